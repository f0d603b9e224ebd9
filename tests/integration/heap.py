#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: the hyp heap, decoded from QEMU dumps, against the EL2 core's
ground truth; then corrupted dumps.

For the configurations of el2_dumps.py (cached dumps are shared), the EL2
core's truth.json "heap" section (its own chunk walk and stage-1) must equal
hypmem-dump heap --json chunk by chunk, hole by hole, for the ELF core and
the kdump-compressed one, and hypmem-stat --json must report the same
totals.  The host's record ("heap_workload") shows the run did what a heap
test needs: top-up requests served, reclaims, holes.

Corruptions patch one dump.  Where to patch comes from outside the decoder:
chunk header PAs from the truth, member offsets from DWARF (hypmem-dump
layout), symbols from nm, page-table entries from a walk of the hyp stage-1
done here.  Each must give its finding at the chunk, page or address
concerned (a hyp VA of the heap; the memcache's PA), exit 1, under the
ASan+UBSan build when there is one.  Prints TAP; skips without QEMU.
"""
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, ElfCore, Tap, layout, make_dumps, nm, no_crash, patched_core, tool  # noqa: E402

CONFIGS = [
    # (layout, seed, MiB, ops): those of el2_dumps.py
    (8, 1, 1024, 20000),
    (8, 7, 512, 5000),
    (4, 2, 768, 20000),
    (32, 3, 512, 20000),
]
M64 = (1 << 64) - 1
t = Tap()


def run_json(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    out = json.loads(p.stdout) if p.returncode in (0, 1) and p.stdout.startswith("{") else None
    return p, out


def compare_heap(truth, got, lists):
    """Every key the truth has must be equal in got; chunk by chunk."""
    diffs = []
    if len(truth) != len(got):
        return ["%d heaps in the truth, %d decoded" % (len(truth), len(got))]
    for th, gh in zip(truth, got):
        for k, v in th.items():
            if k in ("chunks", "holes"):
                if not lists:
                    continue
                if len(v) != len(gh.get(k, [])):
                    diffs.append("%s: %d in the truth, %d decoded" % (k, len(v), len(gh.get(k, []))))
                    continue
                for i, (a, b) in enumerate(zip(v, gh[k])):
                    for kk, vv in a.items():
                        if b.get(kk) != vv:
                            diffs.append("%s[%d].%s: expected %r, got %r" % (k, i, kk, vv, b.get(kk)))
            elif gh.get(k) != v:
                diffs.append("%s: expected %r, got %r" % (k, v, gh.get(k)))
    return diffs


class Dump:
    """Where things are in an ELF core, found without the decoder."""

    def __init__(self, out):
        self.image = os.path.join(out, "el2.elf")
        self.core = os.path.join(out, "vmcore")
        with open(os.path.join(out, "truth.json")) as f:
            self.truth = json.load(f)
        self.elf = ElfCore(self.core)
        self.syms = nm(self.image)
        self.lay = layout(BUILD, self.image)
        self.kvo = int(self.truth["hyp"]["kimage_voffset"], 16)
        self.hpo = int(self.truth["hyp"]["hyp_physvirt_offset"], 16)
        self.f = open(self.core, "rb")

    def sym_pa(self, name):
        return (self.syms["__kvm_nvhe_" + name] - self.kvo) & M64

    def read(self, pa, n):
        self.f.seek(self.elf.offset(pa))
        return self.f.read(n)

    def member(self, s, m):
        return self.lay["struct " + s][m]

    def read_member(self, base_pa, s, m, signed=False):
        mem = self.member(s, m)
        return int.from_bytes(self.read(base_pa + mem["offset"], mem["size"]), "little",
                              signed=signed)

    def pte_pa(self, va):
        """PA of the last-level entry mapping hyp VA @va (a walk of pkvm_pgtable)."""
        pgt = self.sym_pa("pkvm_pgtable")
        table = (self.read_member(pgt, "kvm_pgtable", "pgd") + self.hpo) & M64
        level = self.read_member(pgt, "kvm_pgtable", "start_level", signed=True)
        while True:
            idx = (va >> (12 + 9 * (3 - level))) & 511
            entry = table + 8 * idx
            pte = struct.unpack("<Q", self.read(entry, 8))[0]
            if level == 3:
                return entry
            if pte & 3 != 3:
                raise KeyError("0x%x is not mapped with pages" % va)
            table = pte & 0x0000fffffffff000
            level += 1


def expect_finding(d, name, patches, kind, at):
    """@kind at @at (a hyp VA of the heap: a chunk's, or last_used), exit 1,
    from hypmem-dump heap and from hypmem-stat."""
    core = patched_core(d.core, d.elf, patches,
                        os.path.join(tempfile.mkdtemp(prefix="hypmem-heap-"), name))
    try:
        for argv, what in (([tool("hypmem-dump"), "heap"], "finding"),
                           ([tool("hypmem-stat")], "hypmem-stat reports")):
            p, out = run_json(argv + ["--json", d.image, core])
            found = out["findings"] if out else []
            where = [int(x["address"], 16) for x in found if x["kind"] == kind]
            t.ok(no_crash(p) and p.returncode == 1 and at in where,
                 "corrupt %s: %s %s at 0x%x, exit 1" % (name, what, kind, at),
                 "exit %d, kinds %s, %s at %s\n%s" % (
                     p.returncode, sorted({x["kind"] for x in found}), kind,
                     [hex(a) for a in where][:8], p.stderr[-2000:]))
    finally:
        shutil.rmtree(os.path.dirname(core), ignore_errors=True)


def check_config(layout_, seed, mem, ops, totals):
    name = "layout %d seed %d %d MiB" % (layout_, seed, mem)
    out, err = make_dumps(layout_, seed, mem, ops)
    if not t.ok(out is not None, "%s: dumps" % name, err or ""):
        return None
    with open(os.path.join(out, "truth.json")) as f:
        truth = json.load(f)
    if not t.ok("heap" in truth and len(truth["heap"]) == 1, "%s: the truth has a heap" % name):
        return None
    th, wl = truth["heap"][0], truth["heap_workload"]
    t.ok(len(th["chunks"]) == th["nr_chunks"] and wl["requests"] > 0 and wl["failures"] == 0,
         "%s: %d chunks, %d holes, %d top-up requests served" %
         (name, th["nr_chunks"], th["nr_holes"], wl["requests"]), json.dumps(wl))
    for key in ("nr_holes", "reclaimable_pages", "memcache_pages"):
        totals[key] = totals.get(key, 0) + th[key]
    image = os.path.join(out, "el2.elf")
    for dump in ("vmcore", "vmcore.kdump"):
        core = os.path.join(out, dump)
        p, got = run_json([os.path.join(BUILD, "hypmem-dump"), "heap", "--json", image, core])
        if not t.ok(p.returncode == 0 and got, "%s: hypmem-dump heap %s exits 0" % (name, dump),
                    "exit %d\n%s" % (p.returncode, p.stderr)):
            continue
        diffs = compare_heap(truth["heap"], got["heap"], True)
        t.ok(not diffs, "%s: %s: every chunk and hole as the EL2 core has them" % (name, dump),
             "\n".join(diffs[:30]))
        p, got = run_json([os.path.join(BUILD, "hypmem-stat"), "--json", image, core])
        diffs = compare_heap(truth["heap"], got["heap"] if got else [], False)
        t.ok(p.returncode == 0 and not diffs, "%s: %s: hypmem-stat heap totals" % (name, dump),
             "exit %d\n%s" % (p.returncode, "\n".join(diffs[:30])))
    p = subprocess.run([os.path.join(BUILD, "hypmem-dump"), "heap", image,
                        os.path.join(out, "vmcore")], capture_output=True, text=True)
    rows = [l for l in p.stdout.splitlines() if l.strip().endswith(("used", "free"))]
    t.ok(p.returncode == 0 and len(rows) == th["nr_chunks"],
         "%s: text listing, one line per chunk" % name, p.stdout[-2000:] + p.stderr)
    return out


def corruptions(out):
    d = Dump(out)
    th = d.truth["heap"][0]
    chunks = th["chunks"]
    used = [c for c in chunks[1:-1] if c["state"] == "used"]
    if not t.ok(len(used) >= 6, "enough used chunks to corrupt (%d)" % len(used)):
        return
    p, base = run_json([tool("hypmem-dump"), "heap", "--json", d.image, d.core])
    t.ok(p.returncode == 0 and base and not base["findings"], "unpatched dump: no heap findings",
         p.stderr)

    def field(chunk, member, value):
        m = d.member("chunk_hdr", member)
        return {int(chunk["pa"], 16) + m["offset"]: value.to_bytes(m["size"], "little")}

    def header(chunk):
        m = d.member("chunk_hdr", "hash")
        pa = int(chunk["pa"], 16)
        raw = d.read(pa, m["offset"] + 4)
        return struct.unpack_from("<I", raw, d.member("chunk_hdr", "next")["offset"])[0], \
            struct.unpack_from("<I", raw, m["offset"])[0]

    nxt, h = header(used[1])
    expect_finding(d, "hash", field(used[1], "hash", h ^ 0x40), "heap_hash_mismatch",
                   int(used[1]["address"], 16))
    expect_finding(d, "next-offset", field(used[2], "next", 0x7ffffff0),
                   "heap_offset_out_of_range", int(used[2]["address"], 16))
    # A loop: the next offset of a later chunk, as a negative u32, back to an earlier one.
    a, b = used[0], used[4]
    back = (int(b["address"], 16) - int(a["address"], 16)) & 0xffffffff
    expect_finding(d, "loop", field(b, "next", (-back) & 0xffffffff), "heap_loop",
                   int(b["address"], 16))
    # The stage-1 entry of a chunk header's page, zeroed: the walk stops at
    # the first chunk whose header is in that page.
    page = int(used[5]["address"], 16) & ~0xfff
    first = next(int(c["address"], 16) for c in chunks if int(c["address"], 16) & ~0xfff == page)
    expect_finding(d, "unmapped-header", {d.pte_pa(page): b"\0" * 8}, "heap_chunk_in_hole",
                   first)
    # last_used beyond the range: the tail's size is inconsistent.
    alloc = d.sym_pa("hyp_allocator")
    lu = d.member("hyp_allocator", "last_used")
    expect_finding(d, "last-used",
                   {alloc + lu["offset"]: (int(th["end"], 16) + 0x1000).to_bytes(8, "little")},
                   "heap_size_inconsistent", int(th["end"], 16) + 0x1000)
    # The range's end below its start.
    end = d.member("hyp_allocator", "end")
    expect_finding(d, "end-below-start",
                   {alloc + end["offset"]: (int(th["start"], 16) - 0x1000).to_bytes(8, "little")},
                   "heap_invalid", alloc)
    # A page past the top mapped in the heap's range (the first chunk's
    # stage-1 entry copied there): no chunk accounts for it.
    top = int(th["top"], 16)
    orphan = top + 4 * 0x1000
    if t.ok(orphan < int(th["end"], 16) and orphan >> 21 == top >> 21,
            "0x%x is in the heap range, under the top's level-3 table" % orphan):
        pte = d.read(d.pte_pa(int(th["start"], 16)), 8)
        expect_finding(d, "orphan-page", {d.pte_pa(orphan): pte}, "heap_orphan_mapping", orphan)
    # The memcache given one page, a page the heap maps (the first chunk's).
    mc = d.member("hyp_allocator", "mc")["offset"]
    kmc = d.lay["struct kvm_hyp_memcache"]
    page = int(chunks[0]["pa"], 16) & ~0xfff
    expect_finding(d, "memcache-page-mapped",
                   {alloc + mc + kmc["head"]["offset"]: struct.pack("<Q", page),
                    alloc + mc + kmc["nr_pages"]["offset"]: struct.pack("<Q", 1)},
                   "heap_memcache_broken", page)

    rng = random.Random(5)
    size = d.lay["struct hyp_allocator"]["__size__"]
    for i in range(6):
        patches = {alloc + rng.randrange(0, size): bytes([rng.randrange(256)]) for _ in range(6)}
        core = patched_core(d.core, d.elf, patches,
                        os.path.join(tempfile.mkdtemp(prefix="hypmem-heap-"), "garbage%d" % i))
        p, _ = run_json([tool("hypmem-dump"), "heap", "--json", d.image, core])
        t.ok(no_crash(p), "garbage in struct hyp_allocator #%d: no crash (exit %d)" %
             (i, p.returncode), p.stderr[-2000:])
        shutil.rmtree(os.path.dirname(core), ignore_errors=True)
    for i in range(4):
        c = chunks[rng.randrange(len(chunks))]
        patches = {int(c["pa"], 16) + rng.randrange(16): bytes([rng.randrange(256)])
                   for _ in range(3)}
        core = patched_core(d.core, d.elf, patches,
                        os.path.join(tempfile.mkdtemp(prefix="hypmem-heap-"), "hdr-garbage%d" % i))
        p, out_ = run_json([tool("hypmem-dump"), "heap", "--json", d.image, core])
        t.ok(no_crash(p) and p.returncode in (0, 1),
             "garbage in chunk header #%d: no crash (exit %d)" % (i, p.returncode),
             p.stderr[-2000:])
        shutil.rmtree(os.path.dirname(core), ignore_errors=True)


def main():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("heap dumps", "qemu-system-aarch64 not installed")
        return t.done()
    totals = {}
    outs = {}
    for cfg in CONFIGS:
        outs[cfg] = check_config(*cfg, totals)
    # The configurations together must exercise holes, reclaim and stalled pages.
    t.ok(totals.get("nr_holes", 0) > 0 and totals.get("reclaimable_pages", 0) > 0,
         "the configurations leave holes and reclaimable pages", json.dumps(totals))
    if outs.get(CONFIGS[1]):
        corruptions(outs[CONFIGS[1]])
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
