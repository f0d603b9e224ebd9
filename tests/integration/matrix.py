#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Corruption matrix on a real 7.x dump: each case patches a sparse copy of
the cached 7.x-nvhe ELF core (never the cache) and expects its named
finding at the patched address, exit 1 (tests/README has the table).

Where to patch comes from the clean decode's JSON (pool addresses, the hyp
linear-map offset, the stage-1 PGD, the host stage-2 pool), the struct
layouts from DWARF (hypmem-dump layout), and a stage-1 walk written here
for the vmemmap entries; list nodes are followed here, not by the decoder.
Skipped when the dump is not cached (tests/qemu/real/real-dumps).
"""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, ElfCore, Tap, no_crash, tool  # noqa: E402

M64 = (1 << 64) - 1
t = Tap()


def stat(image, core):
    p = subprocess.run([tool("hypmem-stat"), "--json", image, core], capture_output=True,
                       text=True, timeout=120)
    return p, (json.loads(p.stdout) if p.returncode in (0, 1) and p.stdout else None)


class Real:
    def __init__(self, d):
        self.image = os.path.join(d, "vmlinux")
        self.core = os.path.join(d, "vmcore")
        self.elf = ElfCore(self.core)
        self.f = open(self.core, "rb")
        p, self.j = stat(self.image, self.core)
        lay = subprocess.run([os.path.join(BUILD, "hypmem-dump"), "layout", "--json", self.image],
                             capture_output=True, text=True, check=True)
        self.lay = {s["name"]: {m["name"]: m for m in s["members"]} | {"__size__": s["size"]}
                    for s in json.loads(lay.stdout)["structs"]}
        self.hpo = int(self.j["hyp"]["hyp_physvirt_offset"], 16)

    def r64(self, pa):
        self.f.seek(self.elf.offset(pa))
        return struct.unpack("<Q", self.f.read(8))[0]

    def pa(self, va):
        return (va + self.hpo) & M64

    def va(self, pa):
        return (pa - self.hpo) & M64

    def pool(self, name):
        return next(p for p in self.j["pools"] if p["name"] == name)

    def head(self, pool, order):
        fa = self.lay["struct hyp_pool"]["free_area"]["offset"]
        return int(pool["address"], 16) + fa + 16 * order

    def nodes(self, pool, order):
        h = self.head(pool, order)
        out, cur = [], self.r64(h)
        while cur != self.va(h) and len(out) < 64:
            out.append(cur)
            cur = self.r64(self.pa(cur))
        return out

    def s1_pa(self, va):
        """The hyp stage-1 walk (4K granule, 4 levels from level 0)."""
        table = self.pa(int(self.j["hyp"]["pgd"], 16))
        for level in range(4):
            shift = 39 - 9 * level
            pte = self.r64(table + ((va >> shift) & 511) * 8)
            if not pte & 1:
                return None
            out = pte & 0x0000fffffffff000
            if level == 3 or not pte & 2:
                return out + (va & ((1 << shift) - 1))
            table = out
        return None

    def vmemmap_pa(self, pfn):
        base = int(self.j["vmemmap"]["base"], 16)
        return self.s1_pa(base + pfn * self.j["vmemmap"]["entry_size"])


def expect(r, tmp, name, patches, kind, address=None):
    copy = os.path.join(tmp, "vmcore")
    subprocess.run(["cp", "--sparse=always", r.core, copy], check=True)
    with open(copy, "r+b") as f:
        for pa, data in patches.items():
            f.seek(r.elf.offset(pa))
            f.write(data)
    p, out = stat(r.image, copy)
    got = [x for x in (out or {}).get("findings", []) if x["kind"] == kind]
    at = address is None or any(int(x["address"], 16) == address for x in got)
    t.ok(no_crash(p) and p.returncode == 1 and got and at,
         "7.x %s: %s%s, exit 1" % (name, kind, "" if address is None else " at 0x%x" % address),
         "exit %d, kinds %s\n%s" % (p.returncode,
                                    sorted({x["kind"] for x in (out or {}).get("findings", [])}),
                                    p.stderr[-800:]))
    os.unlink(copy)


def q(*v):
    return struct.pack("<%dQ" % len(v), *v)


def main():
    cache = os.path.expanduser(os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real")
    dumps = sorted(glob.glob(os.path.join(cache, "dumps", "7.x-nvhe-*", "vmcore")))
    if not dumps:
        t.skip("7.x corruption matrix", "no cached 7.x dump (tests/qemu/real/real-dumps)")
        return t.done()
    r = Real(os.path.dirname(dumps[0]))
    if not t.ok(r.j is not None and not r.j["findings"], "7.x: the clean dump has no findings"):
        return t.done()
    tmp = tempfile.mkdtemp(prefix="hypmem-matrix-")
    try:
        run(r, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


def run(r, tmp):
    hp = r.pool("hpool")
    lo, hi = int(hp["range_start"], 16), int(hp["range_end"], 16)
    by_order = {o: r.nodes(hp, o) for o in range(hp["max_order"] + 1)}
    two = next(o for o, n in by_order.items() if len(n) >= 2)
    one = next(o for o, n in by_order.items() if len(n) == 1 and o > 0)
    n1, n2 = by_order[two][:2]
    h_two, h_one = r.head(hp, two), r.head(hp, one)
    node = by_order[one][0]
    pfn = r.pa(node) >> 12
    ent = r.vmemmap_pa(pfn)
    hpage = r.lay["struct hyp_page"]
    ref_off, order_off = hpage["refcount"]["offset"], hpage["order"]["offset"]
    pool_pa = int(hp["address"], 16)
    po = r.lay["struct hyp_pool"]

    # --- buddy: free lists and pool structs ---
    expect(r, tmp, "second node points back to the first", {r.pa(n2): q(n1)}, "list_cycle",
           r.pa(n1))
    expect(r, tmp, "list head points outside the pool", {h_one: q(r.va(hi + (1 << 20)))},
           "node_outside_pool", hi + (1 << 20))
    expect(r, tmp, "list head points mid-block", {h_one: q(node + 0x1000)}, "node_misaligned",
           r.pa(node) + 0x1000)
    expect(r, tmp, "a node's prev is wrong", {r.pa(n2) + 8: q(n2)}, "list_prev_mismatch",
           r.pa(n2))
    expect(r, tmp, "list head zeroed", {h_one: q(0, 0)}, "list_uninitialised", h_one)
    expect(r, tmp, "range_end below range_start",
           {pool_pa + po["range_end"]["offset"]: q(lo - 0x1000)}, "pool_invalid")
    expect(r, tmp, "a listed block removed from its list",
           {h_one: q(r.va(h_one), r.va(h_one))}, "free_head_not_listed", r.pa(node))
    # --- vmemmap entries of free blocks ---
    if ent is None:
        t.ok(False, "7.x: the vmemmap entry of PFN 0x%x is mapped" % pfn)
        return
    expect(r, tmp, "a free head's order changed", {ent + order_off: bytes([one - 1])},
           "order_mismatch", r.pa(node))
    expect(r, tmp, "a free head referenced", {ent + ref_off: struct.pack("<H", 1)},
           "free_page_referenced", r.pa(node))
    tail = r.vmemmap_pa(pfn + 1)
    expect(r, tmp, "a free tail with an order", {tail + order_off: bytes([0])},
           "free_tail_has_order", r.pa(node) + 0x1000)
    expect(r, tmp, "max_order beyond the free lists",
           {pool_pa + po["max_order"]["offset"]: bytes([30])}, "bad_order", pool_pa)
    # --- host stage-2 tables ---
    s2 = r.j["stage2"]
    pgd = r.pa(int(s2["pgd"], 16))  # a hyp linear-map VA
    slot = next(i for i in range(512) if r.r64(pgd + 8 * i) & 3 == 3)
    expect(r, tmp, "a level-0 entry pointing at its own table",
           {pgd + 8 * slot: q(pgd | 3)}, "table_loop", pgd + 8 * slot)
    expect(r, tmp, "a table outside host_s2_pool",
           {pgd + 8 * slot: q(0x40000000 | 3)}, "table_outside_pool", pgd + 8 * slot)
    expect(r, tmp, "a table past RAM",
           {pgd + 8 * slot: q(0x100000000000 | 3)}, "table_unreadable", 0x100000000000)


if __name__ == "__main__":
    sys.exit(main())
