#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Documentation is executable: every hypmem command line the README and
the man pages show runs, adapted to the demo files, and exits 0.

Adaptation, word by word: VMLINUX/vmlinux -> the EL2 image, VMCORE/vmcore
(and build/demo/...) -> the test's dumps, FILE@PHYS -> a raw image of the
dump's RAM at its real base, A-B (or a range outside the demo's RAM) -> a
PFN range in RAM, a pipe's tail (| grep ...) dropped, N -> 0, output
files -> a temporary directory, /sys/kernel/tracing -> a tracefs tree
exported from the dump, and hypmem-top gets -n 1 (a bare hypmem-top, the
device command, gets that tree with --tracefs).  A command that exits
non-zero, or a README/man page with fewer command lines than expected
(the extraction broke), fails.
"""
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, ElfCore, Tap, demo_dump  # noqa: E402

t = Tap()


def readme_lines():
    out = []
    with open("README.md") as f:
        for n, line in enumerate(f, 1):
            m = re.match(r"    (?:\$ )?(hypmem-\S.*)$", line.rstrip("\n"))
            if m:
                out.append(("README.md:%d" % n, m.group(1)))
    return out


def man_lines():
    out = []
    for page in sorted(glob.glob("man/man*/*.[1-9]")):
        in_nf = False
        with open(page) as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if line == ".nf":
                    in_nf = True
                elif line == ".fi":
                    in_nf = False
                elif in_nf and line.startswith("hypmem-"):
                    out.append(("%s:%d" % (page, n), line.replace("\\-", "-")))
    return out


def pfn_range(w, f):
    """A range A-B as written when the demo's RAM holds it, else one as wide
    at the start of its RAM (a real kernel's PFNs are not the demo's)."""
    first_ram, end_ram = f["ram_base"] >> 12, (f["ram_base"] + f["ram_size"]) >> 12
    m = re.match(r"(0x[0-9a-f]+)-(0x[0-9a-f]+)$", w)
    if not m:
        return "0x%x-0x%x" % (first_ram, first_ram + 15)
    a, b = int(m.group(1), 16), int(m.group(2), 16)
    if first_ram <= a <= b < end_ram:
        return w
    return "0x%x-0x%x" % (first_ram, first_ram + min(b - a, 4095))


def adapt(line, f):
    line = line.split("  #")[0].split(" # ")[0].strip()
    words = shlex.split(line)
    # A session's pipe into grep/head only trims what is shown: run the command.
    if "|" in words:
        words = words[:words.index("|")]
    out, i = [], 0
    while i < len(words):
        w = words[i]
        prev = out[-1] if out else ""
        if w == ">":
            i += 2
            continue
        if w in ("VMLINUX", "vmlinux", "build/demo/el2.elf"):
            w = f["el2"]
        elif w in ("VMCORE", "vmcore", "build/demo/vmcore"):
            w = f["core"]
        elif w in ("vmcore.kdump", "build/demo/vmcore.kdump"):
            w = f["core"] + ".kdump"
        elif "@" in w and prev == "--raw":
            w = "%s@0x%x" % (f["raw"], f["ram_base"])
        elif prev == "--range":
            w = pfn_range(w, f)
        elif w in ("BEFORE", "AFTER", "before.vmcore", "after.vmcore"):
            w = f["core"]  # hypmem-diff: a dump against itself
        elif w.endswith(".json") and not w.startswith("/"):
            w = os.path.join(f["tmp"], w)  # made by main() with --snapshot
        elif w == "ADDR...":
            w = "pfn:0x%x" % (f["ram_base"] >> 12)
        elif prev == "--kaslr-offset":
            w = "0"  # the demo image runs without KASLR: any other offset is refused
        elif prev == "--kimage-voffset" and not re.match(r"(0x)?[0-9a-f]+$", w):
            w = "0"
        elif prev in ("--svg", "-o", "--output", "--export-tracefs"):
            w = os.path.join(f["tmp"], os.path.basename(w))
        elif w == "/sys/kernel/tracing":
            w = f["tracefs"]
        out.append(w)
        i += 1
    if out[0] == "hypmem-top":
        if len(out) == 1:
            out += ["--tracefs", f["tracefs"]]
        if "-n" not in out:
            out[1:1] = ["-n", "1", "-d", "0.1"]
    out[0] = os.path.join(BUILD, out[0])
    return out


def raw_image(core, tmp):
    elf = ElfCore(core)
    base, size, off = max(elf.loads, key=lambda x: x[1])
    raw = os.path.join(tmp, "ddr.bin")
    with open(core, "rb") as fi, open(raw, "wb") as fo:
        fi.seek(off)
        left = size
        while left:
            chunk = fi.read(min(left, 1 << 24))
            if not chunk:
                break
            fo.write(chunk)
            left -= len(chunk)
    return raw, base


def main():
    readme, man = readme_lines(), man_lines()
    t.ok(len(readme) >= 15, "README shows %d hypmem command lines" % len(readme), readme)
    t.ok(len(man) >= 10, "the man pages show %d hypmem command lines" % len(man), man)
    out = demo_dump(t, "documented command lines")
    if out is None:
        return t.done()
    tmp = tempfile.mkdtemp(prefix="hypmem-docs-")
    try:
        f = {"el2": os.path.join(out, "el2.elf"), "core": os.path.join(out, "vmcore"), "tmp": tmp,
             "tracefs": os.path.join(tmp, "tracefs")}
        f["raw"], f["ram_base"] = raw_image(f["core"], tmp)
        f["ram_size"] = os.path.getsize(f["raw"])
        p = subprocess.run([os.path.join(BUILD, "hypmem-dump"), "trace", "--stats",
                            "--export-tracefs", f["tracefs"], f["el2"], f["core"]],
                           capture_output=True, text=True)
        t.ok(p.returncode == 0, "a tracefs tree to stand for /sys/kernel/tracing", p.stderr)
        for name in ("before.json", "after.json"):
            with open(os.path.join(tmp, name), "w") as out_json:
                p = subprocess.run([os.path.join(BUILD, "hypmem-diff"), "--snapshot", f["el2"],
                                    f["core"]], stdout=out_json, stderr=subprocess.PIPE,
                                   text=True)
            t.ok(p.returncode == 0, "hypmem-diff --snapshot writes %s" % name, p.stderr)
        for where, line in readme + man:
            argv = adapt(line, f)
            p = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                               stdin=subprocess.DEVNULL)
            t.ok(p.returncode == 0 and p.stdout, "%s: %s" % (where, line),
                 "ran: %s\nexit %d\n%s" % (" ".join(argv), p.returncode, p.stderr[-1000:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
