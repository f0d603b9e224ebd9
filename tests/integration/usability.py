#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: what a new user trips over.

 1. hypmem-top without a terminal runs in batch mode (plain text, no
    escape codes, -n honoured); with no target it reads /sys/kernel/tracing
    and says so when that has no hypervisor trace.
 2. Usage errors say what was wrong in one line, exit 2: unknown options,
    options given before the command, options that do not apply to the
    command, PFNs outside RAM, VMLINUX and VMCORE swapped, an image
    without pKVM types (layout and the others); a kernel without the hyp
    heap (the el2 image with struct hyp_allocator renamed) is one plain
    sentence in hypmem-stat and hypmem-dump heap.
 3. Outputs are checked before any work and named as the user wrote them;
    the DWARF index cache directory is made with its parents, and a cache
    that cannot be written is one warning.
 4. --version: the version from VERSION (also in every man page's title),
    the git revision built from, the optional features.
 5. Cosmetics: hypmem-stat under 100 columns; vmemmap states by name
    (the EL2 core's enum pkvm_page_state: 0 owned .. 3 nopage) agreeing
    with the JSON numbers; hypmem-top's pool bars say "used", per-CPU
    columns have a header above their numbers.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import Tap, demo_dump, tool  # noqa: E402

t = Tap()
TOP, STAT, DUMP = tool("hypmem-top"), tool("hypmem-stat"), tool("hypmem-dump")


def run(argv, **kw):
    kw.setdefault("timeout", 60)
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def top_without_tty(el2, core):
    with open(os.devnull) as null:
        p = run([TOP, "-n", "2", "-d", "0.1", el2, core], stdin=null, timeout=20)
    screens = p.stdout.split("\nhypmem-top - ")
    t.ok(p.returncode == 0 and len(screens) == 2 and "\x1b" not in p.stdout and
         "Pool hpool" in p.stdout,
         "top < /dev/null > pipe: batch mode, 2 plain screens", p.stdout[:600] + p.stderr)
    p = run([TOP, "-b", "-n", "1", "-d", "0.1"])
    if os.path.exists("/sys/kernel/tracing/remotes/hypervisor"):
        t.skip("top with no target", "this machine has hypervisor tracing")
    else:
        t.ok(p.returncode == 2 and "/sys/kernel/tracing" in p.stderr and
             "no target given" in p.stderr and len(p.stderr.splitlines()) == 1,
             "top with no target: reads /sys/kernel/tracing, one-line error", p.stderr)


def one_line_error(p, want, name):
    lines = p.stderr.splitlines()
    return t.ok(p.returncode == 2 and len(lines) >= 1 and want in lines[0] and
                "Usage:" not in p.stderr and not p.stdout,
                name, "rc=%d\n%s%s" % (p.returncode, p.stdout[:300], p.stderr[:600]))


def usage_errors(el2, core, tmp):
    p = run([DUMP, "--bogus", "pools", el2, core])
    one_line_error(p, "unrecognized option '--bogus'", "dump --bogus: names the option")
    t.ok(p.stderr.splitlines()[-1:] == ["Try 'hypmem-dump --help' for more information."],
         "dump --bogus: points at --help", p.stderr)
    p = run([DUMP, "-s", el2, "-c", core, "pools"])
    t.ok(p.returncode == 0 and "hpool: struct hyp_pool" in p.stdout,
         "dump -s F -c G pools: options before the command work", p.stderr)
    p = run([DUMP, "-s", tmp + "/missing.elf", "-c", core, "pools"])
    one_line_error(p, tmp + "/missing.elf: No such file", "dump -s MISSING -c G pools: names the file")
    for args, want in ((["pools", "--pfn", "3"], "--pfn does not apply to pools (only to vmemmap)"),
                       (["pools", "--svg", tmp + "/x.svg"], "--svg does not apply to pools (only to stage2)"),
                       (["heap", "--stats"], "--stats does not apply to heap (only to trace)"),
                       (["layout", "-c", core], "-c/--core does not apply to layout")):
        one_line_error(run([DUMP] + args + [el2, core] * (args[0] != "layout") +
                           [el2] * (args[0] == "layout")), want, "dump %s: refused" % " ".join(args[:2]))
    p = run([DUMP, "layout", el2, core])
    t.ok(p.returncode == 0 and "struct hyp_page {" in p.stdout,
         "dump layout VMLINUX VMCORE: the dump is ignored, as before", p.stderr)
    t.ok(not os.path.exists(tmp + "/x.svg"), "dump pools --svg: no file written")
    one_line_error(run([DUMP, "vmemmap", "--pfn", "0x1", el2, core]),
                   "PFN 0x1 is not in RAM (PFNs 0x40000-0x7ffff)", "vmemmap --pfn 0x1: not in RAM")
    p = run([DUMP, "vmemmap", "--range", "0x3fffe-0x40001", el2, core])
    t.ok(p.returncode == 0 and len(p.stdout.splitlines()) == 3 and
         p.stdout.splitlines()[1].startswith("0x40000 "),
         "vmemmap --range across the start of RAM: the RAM pages", p.stdout + p.stderr)
    for prog in (DUMP, STAT):
        args = ["pools"] if prog == DUMP else []
        one_line_error(run([prog] + args + [core, el2]),
                       "%s is a dump, not a vmlinux: the order is VMLINUX VMCORE (swapped?)" % core,
                       "%s VMCORE VMLINUX: suggests the swap" % os.path.basename(prog))
    one_line_error(run([DUMP, "layout", STAT]),
                   "%s: no pKVM hypervisor types in its DWARF (no struct hyp_page)" % STAT,
                   "layout on a non-pKVM binary: one line, exit 2")
    for cmd in (["pools"], ["vmemmap"], ["stage2"], ["heap"], ["trace"]):
        one_line_error(run([DUMP] + cmd + [STAT, core]), "no pKVM hypervisor types",
                       "dump %s on a non-pKVM binary: one line, exit 2" % cmd[0])
    one_line_error(run([STAT, STAT, core]), "no pKVM hypervisor types", "stat on a non-pKVM binary")


def no_heap(el2, core, tmp):
    with open(el2, "rb") as f:
        image = f.read()
    noheap = os.path.join(tmp, "noheap.elf")
    with open(noheap, "wb") as f:
        f.write(image.replace(b"hyp_allocator\0", b"hyp_allocatoX\0"))
    p = run([STAT, noheap, core])
    heap = [x for x in p.stdout.splitlines() if x.startswith("Heap:")]
    t.ok(p.returncode == 0 and heap == ["Heap:   this kernel has no hyp heap "
                                        "(no struct hyp_allocator in its DWARF)"],
         "stat without a heap: says so in the Heap line", p.stdout + p.stderr)
    one_line_error(run([DUMP, "heap", noheap, core]), "hypmem-dump: this kernel has no hyp heap",
                   "dump heap without a heap: the same sentence, exit 2")
    # The JSON of both commands carries the same sentence as "heap_note".
    note = "this kernel has no hyp heap (no struct hyp_allocator in its DWARF)"
    p = run([STAT, "--json", noheap, core])
    got = json.loads(p.stdout) if p.returncode == 0 else {}
    t.ok(got.get("heap") == [] and got.get("heap_note") == note,
         "stat --json without a heap: heap [] and heap_note", p.stdout[-600:] + p.stderr)
    p = run([DUMP, "heap", "--json", noheap, core])
    try:
        got = json.loads(p.stdout)
    except ValueError:
        got = {}
    t.ok(p.returncode == 2 and got.get("heap") == [] and got.get("heap_note") == note and
         "target" in got and p.stderr.startswith("hypmem-dump: " + note),
         "dump heap --json without a heap: heap_note in the JSON, the sentence, exit 2",
         "rc=%d\n%s%s" % (p.returncode, p.stdout[-600:], p.stderr))
    p = run([STAT, "--json", el2, core])
    t.ok(p.returncode in (0, 1) and "heap_note" not in json.loads(p.stdout),
         "stat --json with the heap: no heap_note", p.stdout[-300:])
    p = run([STAT, el2, core])
    t.ok(sum(x.startswith("Heap:   hyp_allocator,") for x in p.stdout.splitlines()) == 1,
         "stat with the heap: the heap line is there", p.stdout)


def outputs(el2, core, tmp):
    for args, want in (
            (["trace", "-o", "/nonexistent/x.dat"],
             "hypmem-dump: -o /nonexistent/x.dat: directory /nonexistent: No such file"),
            (["stage2", "--svg", tmp], "hypmem-dump: --svg %s: Is a directory" % tmp),
            (["trace", "--export-tracefs", el2], "--export-tracefs %s: Not a directory" % el2)):
        p = run([DUMP] + args + [el2, core])
        one_line_error(p, want, "dump %s %s: refused before any output" % tuple(args[:2]))
        t.ok(".tmp" not in p.stderr, "dump %s: no temporary name in the message" % args[1],
             p.stderr)
    p = run([DUMP, "trace", "-o", tmp + "/t.dat", "--stats", el2, core])
    t.ok(p.returncode == 0 and os.path.getsize(tmp + "/t.dat") > 4096,
         "dump trace -o in a writable directory still writes", p.stderr)


def index_cache(el2, core, tmp):
    # The cache is kept for images of 64 MiB or more: pad a copy (sparse).
    big = os.path.join(tmp, "big.elf")
    shutil.copyfile(el2, big)
    os.truncate(big, 64 << 20)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPMEM_")}
    env["XDG_CACHE_HOME"] = os.path.join(tmp, "nx", "deeper")
    p = run([STAT, big, core], env=env)
    cache = os.path.join(tmp, "nx", "deeper", "hypmem")
    files = os.listdir(cache) if os.path.isdir(cache) else []
    t.ok(p.returncode == 0 and len(files) == 1 and files[0].endswith(".idx") and
         "warning" not in p.stderr,
         "XDG_CACHE_HOME with missing parents: the index is written", p.stderr + repr(files))
    blocker = os.path.join(tmp, "afile")
    open(blocker, "w").close()
    env["XDG_CACHE_HOME"] = os.path.join(blocker, "cache")
    p = run([STAT, big, core], env=env)
    warn = [x for x in p.stderr.splitlines() if "warning" in x]
    t.ok(p.returncode == 0 and len(warn) == 1 and "index cache" in warn[0] and
         blocker in warn[0] and "Not a directory" in warn[0],
         "an unwritable cache: one warning naming it, the run goes on", p.stderr)


def versions():
    with open("VERSION") as f:
        version = f.read().strip()
    rev = run(["git", "rev-parse", "--short", "HEAD"])
    for prog in (STAT, DUMP, TOP):
        name = os.path.basename(prog)
        p = run([prog, "--version"])
        lines = p.stdout.splitlines()
        t.ok(p.returncode == 0 and len(lines) == 3 and
             lines[0] == "%s (hypmem) %s" % (name, version) and
             (rev.returncode or lines[1].startswith("git " + rev.stdout.strip()[:7])) and
             lines[2].startswith("features: ") and "kdump-compressed" in lines[2] and
             "curses" in lines[2],
             "%s --version: version, git revision, features" % name, p.stdout + p.stderr)
    for page in sorted(os.listdir("man/man1")) + ["../man5/hypmem-json.5", "../man7/hypmem.7"]:
        with open(os.path.join("man/man1", page)) as f:
            th = [x for x in f if x.startswith(".TH ")]
        t.ok(len(th) == 1 and '"hypmem %s"' % version in th[0],
             "man %s: title names hypmem %s" % (os.path.basename(page), version), th)


STATES = {0: "owned", 1: "shared_owned", 2: "shared_borrowed", 3: "nopage"}  # el2/memory.h


def cosmetics(el2, core):
    for c in (core, core + ".kdump"):
        p = run([STAT, el2, c])
        wide = [x for x in p.stdout.splitlines() if len(x) >= 100]
        t.ok(p.returncode == 0 and not wide and "owners: host" in p.stdout and
             "coalescing candidates" in p.stdout,
             "stat %s: every line under 100 columns" % os.path.basename(c), "\n".join(wide))
    p = run([DUMP, "vmemmap", el2, core])
    rows = [x.split() for x in p.stdout.splitlines()[1:]]
    shared = [r[0] for r in rows if r[4] != "owned" or r[5] != "nopage"]
    t.ok(p.returncode == 0 and p.stdout.split()[4:6] == ["HOST", "HYP"] and
         {r[4] for r in rows} | {r[5] for r in rows} <= set(STATES.values()) and
         any(r[4] == "shared_owned" for r in rows), "vmemmap: states by name",
         p.stdout[:400])
    if not shared:
        return
    first = int(shared[0], 16)
    p = run([DUMP, "vmemmap", "--range", "0x%x-0x%x" % (first, first + 600), el2, core])
    q = run([DUMP, "vmemmap", "--json", "--range", "0x%x-0x%x" % (first, first + 600), el2, core])
    text = [x.split() for x in p.stdout.splitlines()[1:]]
    pages = json.loads(q.stdout)["pages"] if q.returncode == 0 else []
    t.ok(len(text) == len(pages) == 601 and
         all(r[4] == STATES[j["host_state"]] and r[5] == STATES[j["hyp_state"]]
             for r, j in zip(text, pages)) and len({r[4] for r in text}) > 1,
         "vmemmap: state names match the JSON values through enum pkvm_page_state",
         p.stdout[:300] + q.stderr)


def top_screen(el2, core):
    if not shutil.which("tmux"):
        t.skip("tmux screen", "tmux not installed")
        return
    tm = ["tmux", "-L", "hypmem-usability-%d" % os.getpid()]
    subprocess.run(tm + ["new-session", "-d", "-x", "100", "-y", "24", "-s", "t",
                         "%s -d 0.3 %s %s; sleep 30" % (TOP, el2, core)], check=True)
    try:
        time.sleep(1)
        subprocess.run(tm + ["send-keys", "-t", "t", "1"], check=True)
        time.sleep(0.8)
        s = subprocess.run(tm + ["capture-pane", "-p", "-t", "t"], capture_output=True,
                           text=True).stdout
    finally:
        subprocess.run(tm + ["kill-server"], capture_output=True)
    lines = s.splitlines()
    pools = [x for x in lines if x.startswith("hpool")]
    t.ok(len(pools) == 1 and re.search(r"\] +\d+\.\d% used, \d+/\d+ pages free$", pools[0]),
         "top screen: pool bar says used and free pages", s)
    head = [x for x in lines if x.startswith("EVENT")]
    row = [x for x in lines if x.startswith("hyp_enter")]
    t.ok(head and row and head[0].rstrip().endswith("CPU0/INT") and
         len(head[0].rstrip()) == len(row[0].rstrip()),
         "top screen: the per-CPU column has a header over its numbers", s)


def main():
    out = demo_dump(t, "usability")
    if out is None:
        return t.done()
    el2, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    top_without_tty(el2, core)
    versions()
    cosmetics(el2, core)
    top_screen(el2, core)
    with tempfile.TemporaryDirectory() as tmp:
        usage_errors(el2, core, tmp)
        no_heap(el2, core, tmp)
        outputs(el2, core, tmp)
        index_cache(el2, core, tmp)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
