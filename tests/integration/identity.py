#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: which kernel is this?  An image given with another kernel's
dump is refused with both names (exit 2), --force goes on.

- EL2 images of the three hyp_page layouts against each other's dumps:
  the same layout (another seed) is accepted, every other pair refused
  naming the dump's release (its VMCOREINFO says "layout-N");
- real dumps (when cached), one per kernel (6.1, 6.12, 7.x 4K and 16K pages,
  7.3): every vmlinux with every other kernel's dump, ELF and kdump cores,
  refused naming both releases (Debian's ABI names, from meta.json); each
  dump with its own vmlinux reports the release and build ID of the dump's
  VMCOREINFO note and of readelf -n on the vmlinux.
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


def vmcoreinfo(core):
    """OSRELEASE and BUILD-ID as the dump's VMCOREINFO note says, read as text."""
    with open(core, "rb") as f:
        head = f.read(1 << 21).decode("latin-1")
    rel = re.search(r"OSRELEASE=(\S+)", head)
    bid = re.search(r"BUILD-ID=([0-9a-f]+)", head)
    return rel.group(1) if rel else "", bid.group(1) if bid else ""


def real():
    """One cached dump per kernel (6.1, 6.12, 7.x 4K and 16K, 7.3 when
    cached): each with its own vmlinux is itself (release as Debian's
    package names it in meta.json, build IDs as readelf and the dump's
    VMCOREINFO say), each with every other kernel's vmlinux is refused
    naming both, ELF and kdump cores alike."""
    root = os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))
    found = {}
    for d in sorted(glob.glob(os.path.join(root, "dumps", "*"))):
        if d.endswith(".tmp") or not all(os.path.exists(os.path.join(d, f)) for f in (
                "vmcore", "vmcore.kdump", "meta.json", "vmlinux")):
            continue
        found.setdefault(json.load(open(os.path.join(d, "meta.json")))["abi"], d)
    if len(found) < 2:
        t.skip("real identity", "fewer than two kernels' dumps cached")
        return
    for abi, d in sorted(found.items()):
        rel, bid = vmcoreinfo(os.path.join(d, "vmcore"))
        p = stat(["--json", os.path.join(d, "vmlinux"), os.path.join(d, "vmcore.kdump")])
        ident = json.loads(p.stdout)["target"]["identity"] if p.returncode in (0, 1) else {}
        t.ok(ident.get("match") and ident.get("image_release") == abi == rel and
             ident.get("dump_release") == rel and bid and
             ident.get("image_build_id") == build_id(os.path.join(d, "vmlinux")) == bid and
             ident.get("dump_build_id") == bid,
             "%s: its own vmlinux matches, release and build ID as Debian, readelf and "
             "VMCOREINFO say" % abi, p.stderr + json.dumps(ident))
    for x, dx in sorted(found.items()):
        for y, dy in sorted(found.items()):
            if x == y:
                continue
            for core in ("vmcore", "vmcore.kdump"):
                p = stat([os.path.join(dx, "vmlinux"), os.path.join(dy, core)])
                t.ok(no_crash(p) and p.returncode == 2 and x in p.stderr and y in p.stderr and
                     "does not match" in p.stderr,
                     "%s vmlinux with a %s %s: refused, naming both" % (x, y, core), p.stderr)
    x, y = sorted(found)[:2]
    p = stat(["--force", os.path.join(found[x], "vmlinux"),
              os.path.join(found[y], "vmcore.kdump")])
    t.ok(no_crash(p) and "does not match" not in p.stderr,
         "%s vmlinux with a %s dump, --force: goes on past the identity check" % (x, y),
         p.stderr[-1500:])


def main():
    el2()
    real()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
