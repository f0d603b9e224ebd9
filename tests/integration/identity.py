#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: which kernel is this?  An image given with another kernel's
dump is refused with both names (exit 2), --force goes on.

- EL2 images of the three hyp_page layouts against each other's dumps:
  the same layout (another seed) is accepted, every other pair refused
  naming the dump's release (its VMCOREINFO says "layout-N");
- real dumps (when cached): 6.1's vmlinux with a 6.12 dump and the reverse,
  ELF and kdump cores, refused naming both releases; each dump with its own
  vmlinux reports the build ID readelf -n prints for that vmlinux.
Prints TAP.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import Tap, make_dumps, no_crash, tool  # noqa: E402

CONFIGS = [(8, 1, 1024, 20000), (8, 7, 512, 5000), (4, 2, 768, 20000), (32, 3, 512, 20000)]
t = Tap()


def stat(args):
    return subprocess.run([tool("hypmem-stat")] + args, capture_output=True, text=True)


def el2():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("EL2 identity", "qemu-system-aarch64 not installed")
        return
    dirs = {}
    for layout, seed, mem, ops in CONFIGS:
        out, err = make_dumps(layout, seed, mem, ops)
        if t.ok(out is not None, "layout %d seed %d: dumps" % (layout, seed), err or ""):
            dirs[(layout, seed)] = out
    for (la, sa), a in dirs.items():
        for (lb, sb), b in dirs.items():
            if (la, sa) == (lb, sb):
                continue
            p = stat([os.path.join(a, "el2.elf"), os.path.join(b, "vmcore")])
            if la == lb:
                t.ok(no_crash(p) and p.returncode in (0, 1),
                     "layout %d image, seed %d dump of the same image: accepted" % (la, sb),
                     p.stderr)
            else:
                t.ok(no_crash(p) and p.returncode == 2 and "does not match" in p.stderr and
                     "layout-%d" % lb in p.stderr,
                     "layout %d image with a layout %d dump: refused, naming it" % (la, lb),
                     p.stderr)
    if (8, 1) in dirs and (4, 2) in dirs:
        p = stat(["--force", os.path.join(dirs[(8, 1)], "el2.elf"),
                  os.path.join(dirs[(4, 2)], "vmcore")])
        t.ok(no_crash(p) and "does not match" not in p.stderr,
             "--force goes on past the identity check", p.stderr)


def build_id(vmlinux):
    out = subprocess.run(["readelf", "-n", vmlinux], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    return m.group(1) if m else ""


def real():
    root = os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))
    found = {}
    for d in sorted(glob.glob(os.path.join(root, "dumps", "*"))):
        name = os.path.basename(d)
        if name.endswith(".tmp") or not os.path.exists(os.path.join(d, "vmcore")):
            continue
        found.setdefault(name.split("-")[0] + "-" + name.split("-")[1], d)
    a, b = found.get("6.1-nvhe"), found.get("6.12-nvhe")
    if not a or not b:
        t.skip("real identity", "no cached 6.1-nvhe and 6.12-nvhe dumps")
        return
    rel = {}
    for d in (a, b):
        p = stat(["--json", os.path.join(d, "vmlinux"), os.path.join(d, "vmcore.kdump")])
        ident = json.loads(p.stdout)["target"]["identity"] if p.returncode in (0, 1) else {}
        rel[d] = ident.get("image_release", "")
        t.ok(ident.get("match") and ident.get("image_build_id") == build_id(
            os.path.join(d, "vmlinux")) == ident.get("dump_build_id"),
             "%s: its own vmlinux matches, build ID as readelf says" % os.path.basename(d),
             p.stderr + json.dumps(ident))
    for x, y in ((a, b), (b, a)):
        for core in ("vmcore", "vmcore.kdump"):
            p = stat([os.path.join(x, "vmlinux"), os.path.join(y, core)])
            t.ok(no_crash(p) and p.returncode == 2 and rel[x] and rel[y] and
                 rel[x] in p.stderr and rel[y] in p.stderr and "does not match" in p.stderr,
                 "%s vmlinux with a %s %s: refused, naming both" % (
                     rel[x], rel[y], core), p.stderr)


def main():
    el2()
    real()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
