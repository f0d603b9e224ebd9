#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: boot the EL2 image under QEMU, dump it, decode, compare.

For several (layout, seed, RAM size) configurations the EL2 core runs its
workload at EL2 and prints its ground truth (truth.json, from its own free
lists and vmemmap).  QEMU's dump-guest-memory writes an ELF core and a
kdump-compressed core; hypmem-stat --json decodes each, and every number in
the truth must match.  Dumps are cached under $BUILD/dumps, keyed by the
image's hash and the parameters, so a second run only decodes.

Prints TAP lines.  Skips (ok # SKIP) when QEMU is not installed.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, Tap, compare, make_dumps  # noqa: E402

CONFIGS = [
    # (layout, seed, MiB, ops)
    (8, 1, 1024, 20000),
    (8, 7, 512, 5000),
    (4, 2, 768, 20000),
    (32, 3, 512, 20000),
]
if os.environ.get("HYPMEM_BIG"):
    CONFIGS.append((8, 11, 4096, 50000))
t = Tap()


def expected(truth):
    """The part of truth.json the decoder must reproduce."""
    exp = {k: truth[k] for k in ("schema", "target", "vmemmap", "findings")}
    exp["hyp"] = {k: truth["hyp"][k]
                  for k in ("hyp_physvirt_offset", "kimage_voffset", "io_map_base")}
    return exp


def check_pools(truth, got):
    diffs = []
    by_name = {p["name"]: p for p in got.get("pools", [])}
    for p in truth["pools"]:
        if p["name"] not in by_name:
            diffs.append("pool %s not found by the decoder" % p["name"])
            continue
        diffs += compare(p, by_name[p["name"]], "pools[%s]" % p["name"])
    return diffs


def main():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("el2 dumps", "qemu-system-aarch64 not installed")
        return t.done()
    stat = os.path.join(BUILD, "hypmem-stat")
    for layout, seed, mem, ops in CONFIGS:
        name = "layout %d seed %d %d MiB" % (layout, seed, mem)
        out, err = make_dumps(layout, seed, mem, ops)
        t.ok(out is not None, "%s: boot, workload, dumps" % name, err or "")
        if out is None:
            continue
        with open(os.path.join(out, "truth.json")) as f:
            truth = json.load(f)
        t.ok(truth["vmemmap"]["entry_size"] == layout, "%s: EL2 built with the layout" % name)
        for dump in ("vmcore", "vmcore.kdump"):
            p = subprocess.run([stat, "--json", os.path.join(out, "el2.elf"),
                                os.path.join(out, dump)], capture_output=True, text=True)
            if p.returncode != 0:
                t.ok(False, "%s: hypmem-stat %s exits 0" % (name, dump),
                    "exit %d\n%s%s" % (p.returncode, p.stdout[-2000:], p.stderr))
                continue
            got = json.loads(p.stdout)
            diffs = compare(expected(truth), got) + check_pools(truth, got)
            t.ok(not diffs, "%s: %s decodes to the ground truth" % (name, dump),
                "\n".join(diffs))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
