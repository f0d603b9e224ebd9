#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Documentation: every option and subcommand a command's --help lists is
known to its man page and to the bash, zsh and fish completions.

The option list is taken from --help itself (the lines that start with an
option), so a new option without its documentation fails here.  Each
completion file is parsed the way its shell would group it: bash by
completion function, zsh by #compdef and the case branch of each command,
fish by the -c of each complete line (with the loops expanded).  hypmem.7
must name every command.  The completion files parse in each shell that
is installed, and the man pages format without groff warnings.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import Tap, tool  # noqa: E402

t = Tap()
PROGS = ("hypmem-stat", "hypmem-dump", "hypmem-top", "hypmem-diff")
OPT = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)")


def known(text, word):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text) is not None


def from_help(prog):
    """(options, subcommands) as --help lists them."""
    out = subprocess.run([tool(prog), "--help"], capture_output=True, text=True).stdout
    opts, cmds, section = set(), [], None
    for line in out.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            section = line[:-1]
            continue
        m = re.match(r"\s+(-\S.*?)(?:\s{2,}|$)", line)
        if m:
            # "-s, --symbols FILE": the option words, not their arguments.
            opts |= {o for o in OPT.findall(m.group(1)) if o.startswith("-")}
        elif section == "Commands" and re.match(r"  [a-z]\w+ ", line):
            cmds.append(line.split()[0])
    return opts, cmds


def roff_text(path):
    with open(path) as f:
        s = f.read()
    s = s.replace("\\-", "-").replace("\\(em", " ")
    return re.sub(r"\\f[BIRP]|\\&", "", s)


def bash_text(prog):
    with open("completions/bash/hypmem") as f:
        s = f.read()
    var = dict(re.findall(r'^(_\w+)="([^"]*)"', s, re.M))
    fn = "_" + prog.replace("-", "_")
    m = re.search(r"^%s\(\)\n\{\n(.*?)^\}" % fn, s, re.M | re.S)
    body = m.group(1) if m else ""
    for k, v in var.items():
        body = body.replace("$" + k, v)
    registered = re.search(r"^complete -F %s %s$" % (fn, prog), s, re.M) is not None
    return body if registered else ""


def zsh_text(prog):
    with open("completions/zsh/_hypmem") as f:
        s = f.read()
    first = s.splitlines()[0]
    if not first.startswith("#compdef") or prog not in first.split()[1:]:
        return ""
    arrays = dict(re.findall(r"^(\w+)=\((.*?)^\)", s, re.M | re.S))
    m = re.search(r"^%s\)\n(.*?)^\t;;" % re.escape(prog), s, re.M | re.S)
    body = m.group(1) if m else ""
    for k, v in arrays.items():
        body = body.replace("$" + k, v)
    return body


def fish_words(prog):
    """The options and arguments fish completes for prog, as '-x'/'--xx'/words."""
    with open("completions/fish/hypmem.fish") as f:
        lines = f.read().splitlines()
    words, loop = set(), None
    for line in lines:
        line = line.strip()
        m = re.match(r"for cmd in (.*)$", line)
        if m:
            loop = m.group(1).split()
            continue
        if line == "end":
            loop = None
            continue
        if not line.startswith("complete "):
            continue
        toks = line.split()
        cmds = []
        for i, tok in enumerate(toks):
            if tok == "-c" and i + 1 < len(toks):
                cmds = loop if toks[i + 1] == "$cmd" and loop else [toks[i + 1]]
        if prog not in cmds:
            continue
        for i, tok in enumerate(toks[:-1]):
            if tok == "-s":
                words.add("-" + toks[i + 1])
            elif tok == "-l":
                words.add("--" + toks[i + 1])
            elif tok == "-a":
                words |= set(toks[i + 1].strip("'\"").split())
    return words


def main():
    for prog in PROGS:
        opts, cmds = from_help(prog)
        t.ok(len(opts) >= (6 if prog == "hypmem-diff" else 8) and "--help" in opts and "--version" in opts and "-h" in opts,
             "%s --help lists its options (%d)" % (prog, len(opts)), sorted(opts))
        man = roff_text("man/man1/%s.1" % prog)
        sources = {"man page": man, "bash": bash_text(prog), "zsh": zsh_text(prog)}
        fish = fish_words(prog)
        for what, text in sources.items():
            missing = [o for o in sorted(opts) + cmds if not known(text, o)]
            t.ok(not missing, "%s: the %s knows every option and command" % (prog, what),
                 "missing: %s" % " ".join(missing))
        missing = [o for o in sorted(opts) + cmds if o not in fish]
        t.ok(not missing, "%s: fish knows every option and command" % prog,
             "missing: %s" % " ".join(missing))
        if prog == "hypmem-dump":
            t.ok(len(cmds) == 9, "hypmem-dump --help lists its 9 commands", cmds)
    for shell, argv in (("bash", ["bash", "-n", "completions/bash/hypmem"]),
                        ("zsh", ["zsh", "-n", "completions/zsh/_hypmem"]),
                        ("fish", ["fish", "--no-execute", "completions/fish/hypmem.fish"])):
        if not shutil.which(shell):
            t.skip("%s completion parses" % shell, "%s not installed" % shell)
            continue
        p = subprocess.run(argv, capture_output=True, text=True)
        t.ok(p.returncode == 0 and not p.stderr, "%s completion parses" % shell, p.stderr)
    if shutil.which("groff"):
        pages = [os.path.join(d, f) for d in ("man/man1", "man/man3", "man/man5", "man/man7")
                 for f in sorted(os.listdir(d))]
        p = subprocess.run(["groff", "-man", "-ww", "-z"] + pages, capture_output=True, text=True)
        t.ok(p.returncode == 0 and not p.stderr, "man pages format without warnings", p.stderr)
    else:
        t.skip("man pages format", "groff not installed")
    seven = roff_text("man/man7/hypmem.7")
    missing = [p for p in PROGS if not known(seven, p + "(1)") and
               not re.search(r"\.BR %s \(1\)" % p, seven)]
    t.ok(not missing, "hypmem.7 names every command", " ".join(missing))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
