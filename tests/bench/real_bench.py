#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Benchmark on a real dump: hypmem-stat against the drgn walk
(tests/qemu/real/oracle.py) of the same Debian 6.12 vmlinux and 2 GiB ELF
dump, both with a warm page cache.  Prints wall times and ratios; asserts
nothing.  Needs the real-kernel cache (make check-real); says so otherwise.
"""
import json
import os
import subprocess
import sys
import time

BUILD = os.environ.get("BUILD", "build")
CONFIG = os.environ.get("BENCH_REAL_CONFIG", "6.12-nvhe")
RUNS = 3


def wall(cmd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return time.monotonic() - t0, p


def first_output(cmd):
    """Seconds until the first line of output."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdout.readline()
    first = time.monotonic() - t0
    p.stdout.read()
    p.wait()
    return first


def main():
    cache = os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))
    if not os.path.isdir(cache):
        print("bench-real: skipped: no real-kernel cache at %s (make check-real first)" % cache)
        return 0
    p = subprocess.run(["tests/qemu/real/real-dumps", "--cache", cache, CONFIG],
                       capture_output=True, text=True)
    if p.returncode or not p.stdout.strip():
        print("bench-real: skipped: real-dumps %s failed (exit %d)\n%s" % (
            CONFIG, p.returncode, p.stderr[-500:]))
        return 0
    out = p.stdout.split(" ", 1)[1].strip()
    vmlinux, elf, kdump = (os.path.join(out, f) for f in ("vmlinux", "vmcore", "vmcore.kdump"))
    stat = os.path.join(BUILD, "hypmem-stat")
    size = os.path.getsize(elf)

    wall([stat, "--json", vmlinux, elf])  # warm the page cache
    t_stat = min(wall([stat, "--json", vmlinux, elf])[0] for _ in range(RUNS))
    t_kdump = min(wall([stat, "--json", vmlinux, kdump])[0] for _ in range(RUNS))
    t_first = min(first_output([stat, vmlinux, elf]) for _ in range(RUNS))
    dump = os.path.join(BUILD, "hypmem-dump")
    t_dwarf = min(wall([dump, "layout", vmlinux])[0] for _ in range(RUNS))
    t_drgn, p = wall(["/usr/bin/python3", "tests/qemu/real/oracle.py", vmlinux, elf])
    if p.returncode:
        print("bench-real: the drgn walk failed:\n" + p.stderr[-1000:])
        return 0
    secs = json.loads(p.stdout)["seconds"]
    print("== real dump: %s, %.1f GiB ELF core (best of %d, warm cache)" % (
        os.path.basename(out), size / 2**30, RUNS))
    print("%-44s %8.2f s" % ("hypmem-stat --json, ELF core", t_stat))
    print("%-44s %8.2f s" % ("hypmem-stat --json, kdump-compressed core", t_kdump))
    print("%-44s %8.2f s" % ("hypmem-stat, time to first output", t_first))
    print("%-44s %8.2f s (DWARF load %.2f s, walk %.2f s)" % (
        "drgn walk (oracle.py), same figures", t_drgn, secs["load"], secs["walk"]))
    print("%-44s %8.2f s" % ("hypmem-dump layout (opening the DWARF only)", t_dwarf))
    walk = max(t_stat - t_dwarf, 0.001)
    print("%-44s %8.1fx" % ("ratio drgn / hypmem-stat (wall)", t_drgn / t_stat))
    print("%-44s %8.1fx (%.3f s vs %.2f s)" % (
        "ratio of the walks (minus DWARF setup)", secs["walk"] / walk, walk, secs["walk"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
