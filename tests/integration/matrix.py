#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Corruption matrix: each case patches a sparse copy of a dump (never the
original) and expects its named finding at the patched address, exit 1
(tests/README.md has the table).  Two sources, one set of cases where both
have the structure:

 - "EL2 L8": the QEMU dump of our EL2 core with the 7.x-era 8-byte hyp_page
   (layout 8, seed 7, the dump corrupt.py uses).  Where to patch comes from
   the EL2 core's truth.json (pool ranges, offsets, the trace's counters),
   symbols from nm, member offsets from DWARF (hypmem-dump layout; pahole
   for the structs it does not print), and a stage-1 walk of pkvm_pgtable
   written here.
 - "7.x-nvhe": the cached Debian 7.2.13 nVHE ELF core (and, the same way,
   7.x-hvhe and 7.x-exp, 7.3 in hVHE, when cached).  Pools from their
   symbols (nm) read with DWARF's offsets; from the clean decode's JSON
   only the offsets (hyp linear map, kernel image), the stage-1 and host
   stage-2 roots and the vmemmap's base; the same walks.

List nodes, the host stage-2, the vmemmap and vm_table are walked here,
not by the decoder.  The hyp heap's cases are heap.py's (7.2.13 has no
heap); the trace ring's are here for the EL2 dump only (Debian's 7.2.13
has none).  Each part skips on its own: without QEMU, or without the
cached 7.x dump (tests/qemu/real/real-dumps).
"""
import glob
import json
import mmap
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, ElfCore, Tap, layout, make_dumps, nm, no_crash, pahole, tool  # noqa: E402

M64 = (1 << 64) - 1
PAGE = 4096
t = Tap()


def run_json(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    return p, (json.loads(p.stdout) if p.returncode in (0, 1) and p.stdout.startswith("{")
               else None)


def stat(image, core):
    return run_json([tool("hypmem-stat"), "--json", image, core])


def trace(image, core):
    return run_json([tool("hypmem-dump"), "trace", "--json", image, core])


class Source:
    """What both sources share: reads through the ELF core's program
    headers, the hyp linear map, free lists and the stage-1 walk."""

    def r64(self, pa):
        self.f.seek(self.elf.offset(pa))
        return struct.unpack("<Q", self.f.read(8))[0]

    def read(self, pa, n):
        self.f.seek(self.elf.offset(pa))
        return self.f.read(n)

    def pa(self, va):
        return (va + self.hpo) & M64

    def va(self, pa):
        return (pa - self.hpo) & M64

    def sym_pa(self, name):
        return (self.syms["__kvm_nvhe_" + name] - self.kvo) & M64

    def head(self, pool, order):
        return pool["address"] + self.lay["struct hyp_pool"]["free_area"]["offset"] + 16 * order

    def nodes(self, pool, order):
        h = self.head(pool, order)
        out, cur = [], self.r64(h)
        while cur != self.va(h) and len(out) < 4096:
            out.append(cur)
            cur = self.r64(self.pa(cur))
        return out

    def s1_pa(self, va):
        """The hyp stage-1 walk (4K granule; level -1 for 52-bit VAs)."""
        table = self.s1_pgd
        for level in range(self.s1_level, 4):
            shift = 39 - 9 * level
            pte = self.r64(table + ((va >> shift) & (511 if level >= 0 else 15)) * 8)
            if not pte & 1:
                return None
            out = pte & 0x0000fffffffff000
            if level == 3 or not pte & 2:
                return out + (va & ((1 << shift) - 1))
            table = out
        return None

    def vmemmap_pa(self, pfn):
        return self.s1_pa(self.vmemmap_base + pfn * self.esz)

    def expect(self, tmp, name, patches, kind, address, run=stat, cut=None):
        """The patched copy (cut short at PA @cut, if given) gives @kind at
        @address, exit 1."""
        copy = os.path.join(tmp, "vmcore")
        subprocess.run(["cp", "--sparse=always", self.core, copy], check=True)
        with open(copy, "r+b") as f:
            for pa, data in patches.items():
                f.seek(self.elf.offset(pa))
                f.write(data)
            if cut is not None:
                f.truncate(self.elf.offset(cut))
        p, out = run(self.image, copy)
        found = (out or {}).get("findings", [])
        got = [x for x in found if x["kind"] == kind]
        at = any(int(x["address"], 16) == address for x in got)
        t.ok(no_crash(p) and p.returncode == 1 and got and at,
             "%s %s: %s at 0x%x, exit 1" % (self.tag, name, kind, address),
             "exit %d, kinds %s, %s at %s\n%s" % (
                 p.returncode, sorted({x["kind"] for x in found}), kind,
                 [x["address"] for x in got][:8], p.stderr[-800:]))
        os.unlink(copy)


class El2(Source):
    tag = "EL2 L8"

    def __init__(self, d):
        self.image = os.path.join(d, "el2.elf")
        self.core = os.path.join(d, "vmcore")
        with open(os.path.join(d, "truth.json")) as f:
            self.truth = json.load(f)
        self.elf = ElfCore(self.core)
        self.f = open(self.core, "rb")
        self.syms = nm(self.image)
        self.lay = layout(BUILD, self.image)
        hyp = self.truth["hyp"]
        self.kvo = int(hyp["kimage_voffset"], 16)
        self.hpo = int(hyp["hyp_physvirt_offset"], 16)
        pgt = self.sym_pa("pkvm_pgtable")
        kp = self.lay["struct kvm_pgtable"]
        self.s1_pgd = self.pa(self.r64(pgt + kp["pgd"]["offset"]))
        self.s1_level = self.read(pgt + kp["start_level"]["offset"], 1)[0]
        self.vmemmap_base = int(self.truth["vmemmap"]["base"], 16)
        self.esz = self.truth["vmemmap"]["entry_size"]
        self.s2_pgd = self.pa(int(self.truth["stage2"]["pgd"], 16))
        self.s2_level = self.truth["stage2"]["start_level"]
        self.ram = [(int(r["start"], 16), int(r["end"], 16))
                    for r in self.truth["target"]["ram_ranges"]]
        self.vms = [{"handle": int(v["handle"], 16)} for v in self.truth["vms"]]

    def pool(self, name):
        p = next(x for x in self.truth["pools"] if x["name"] == name)
        return {"address": self.sym_pa(name), "lo": int(p["range_start"], 16),
                "hi": int(p["range_end"], 16), "max_order": p["max_order"],
                "nr_pages": p["nr_pages"]}


class Real(Source):
    def __init__(self, d, tag):
        self.tag = tag
        self.image = os.path.join(d, "vmlinux")
        self.core = os.path.join(d, "vmcore")
        self.elf = ElfCore(self.core)
        self.f = open(self.core, "rb")
        p, self.j = stat(self.image, self.core)
        self.syms = nm(self.image)
        self.lay = layout(BUILD, self.image)
        self.hpo = int(self.j["hyp"]["hyp_physvirt_offset"], 16)
        self.kvo = int(self.j["hyp"]["kimage_voffset"], 16)
        self.s1_pgd = self.pa(int(self.j["hyp"]["pgd"], 16))
        self.s1_level = self.j["hyp"]["start_level"]
        self.vmemmap_base = int(self.j["vmemmap"]["base"], 16)
        self.esz = self.j["vmemmap"]["entry_size"]
        self.s2_pgd = self.pa(int(self.j["stage2"]["pgd"], 16))
        self.s2_level = self.j["stage2"]["start_level"]
        self.ram = [(int(r["start"], 16), int(r["end"], 16))
                    for r in self.j["target"]["ram_ranges"]]
        self.vms = [{"handle": int(v["handle"], 16)} for v in self.j.get("vms", [])]

    def pool(self, name):
        """The pool struct at its symbol, read with DWARF's offsets."""
        at, po = self.sym_pa(name), self.lay["struct hyp_pool"]
        lo = self.r64(at + po["range_start"]["offset"])
        hi = self.r64(at + po["range_end"]["offset"])
        mo = po["max_order"]
        return {"address": at, "lo": lo, "hi": hi,
                "max_order": int.from_bytes(self.read(at + mo["offset"], mo["size"]), "little"),
                "nr_pages": (hi - lo) >> 12}


def q(*v):
    return struct.pack("<%dQ" % len(v), *v)


def buddy_cases(s, tmp):
    """Rows 1-13 and the two other list kinds: hpool's free lists, its
    struct, and the vmemmap entries of its free blocks."""
    hp = s.pool("hpool")
    lo, hi = hp["lo"], hp["hi"]
    by_order = {o: s.nodes(hp, o) for o in range(hp["max_order"] + 1)}
    two = next(o for o, n in by_order.items() if len(n) >= 2)
    one = next(o for o, n in by_order.items() if len(n) == 1 and o > 0)
    n1, n2 = by_order[two][:2]
    h_two, h_one = s.head(hp, two), s.head(hp, one)
    node = by_order[one][0]
    pfn = s.pa(node) >> 12
    hpage = s.lay["struct hyp_page"]
    ref_off, order_off = hpage["refcount"]["offset"], hpage["order"]["offset"]
    pool_pa = hp["address"]
    po = s.lay["struct hyp_pool"]

    s.expect(tmp, "second node points back to the first", {s.pa(n2): q(n1)}, "list_cycle",
             s.pa(n1))
    s.expect(tmp, "list head points outside the pool", {h_one: q(s.va(hi + (1 << 20)))},
             "node_outside_pool", hi + (1 << 20))
    s.expect(tmp, "list head points mid-block", {h_one: q(node + 0x1000)}, "node_misaligned",
             s.pa(node) + 0x1000)
    s.expect(tmp, "a node's prev is wrong", {s.pa(n2) + 8: q(n2)}, "list_prev_mismatch",
             s.pa(n2))
    s.expect(tmp, "list head zeroed", {h_one: q(0, 0)}, "list_uninitialised", h_one)
    s.expect(tmp, "range_end below range_start",
             {pool_pa + po["range_end"]["offset"]: q(lo - 0x1000)}, "pool_invalid", pool_pa)
    s.expect(tmp, "a listed block removed from its list",
             {h_one: q(s.va(h_one), s.va(h_one))}, "free_head_not_listed", s.pa(node))
    s.expect(tmp, "max_order beyond the free lists",
             {pool_pa + po["max_order"]["offset"]: bytes([30])}, "bad_order", pool_pa)
    # The last node of a list of order @two also made the head of list @one.
    last = by_order[two][-1]
    s.expect(tmp, "a block on two lists", {h_one: q(last, s.va(h_one))}, "block_on_two_lists",
             s.pa(last))

    ent = s.vmemmap_pa(pfn)
    if not t.ok(ent is not None, "%s: the vmemmap entry of PFN 0x%x is mapped" % (s.tag, pfn)):
        return
    s.expect(tmp, "a free head's order changed", {ent + order_off: bytes([one - 1])},
             "order_mismatch", s.pa(node))
    s.expect(tmp, "a free head referenced", {ent + ref_off: struct.pack("<H", 1)},
             "free_page_referenced", s.pa(node))
    tail = s.vmemmap_pa(pfn + 1)
    s.expect(tmp, "a free tail with an order", {tail + order_off: bytes([0])},
             "free_tail_has_order", s.pa(node) + 0x1000)

    # Both buddies free: the lone order-@one block split into two listed
    # halves of order @one - 1, each with its order in the vmemmap.
    p_va, k = node, one
    q_va = p_va + (1 << (k - 1 + 12))
    head_k1 = s.head(hp, k - 1)
    hk_va, hk1_va = s.va(h_one), s.va(head_k1)
    tl = s.r64(head_k1 + 8)
    patches = {h_one: q(hk_va, hk_va), s.pa(p_va): q(q_va, tl), s.pa(q_va): q(hk1_va, p_va),
               head_k1 + 8: q(q_va)}
    if tl == hk1_va:
        patches[head_k1] = q(p_va, q_va)
    else:
        patches[s.pa(tl)] = q(p_va)
    for va in (p_va, q_va):
        patches[s.vmemmap_pa(s.pa(va) >> 12) + order_off] = bytes([k - 1])
    s.expect(tmp, "two buddies both free", patches, "buddies_both_free", s.pa(p_va))

    # __hyp_vmemmap moved to a hyp VA the stage-1 does not map: the pools
    # have no vmemmap entries.
    far = 0x500000000000
    if t.ok(s.s1_pa(far) is None, "%s: hyp VA 0x%x is not mapped" % (s.tag, far)):
        s.expect(tmp, "__hyp_vmemmap off the stage-1 map", {s.sym_pa("__hyp_vmemmap"): q(far)},
                 "vmemmap_unmapped", pool_pa)

    # The dump cut short at the page of hpool's highest free-list node (in
    # the last segment of the file): the walk cannot read that node.
    top = max(s.pa(n) for n in sum(by_order.values(), []))
    last_seg = max(s.elf.loads, key=lambda x: x[2])
    if t.ok(last_seg[0] <= top < last_seg[0] + last_seg[1],
            "%s: hpool's highest node 0x%x is in the file's last segment" % (s.tag, top)):
        s.expect(tmp, "cut short at a free-list node", {}, "list_broken", top, cut=top)

    # The order-0 list made a ring through every page of the pool nobody
    # holds (refcount 0, read here from the vmemmap), never back to its
    # head: longer than Brent's walk can see within one step per pool page.
    free = []
    for pf in range(lo >> 12, hi >> 12):
        e = s.vmemmap_pa(pf)
        if e is not None and not int.from_bytes(s.read(e + ref_off, 2), "little"):
            free.append(pf << 12)
    cap, power = hp["nr_pages"] + 1, 1
    while power < len(free):
        power *= 2
    h0 = s.head(hp, 0)
    if t.ok(power + len(free) > cap, "%s: %d unheld pages in hpool, a ring Brent's walk "
            "cannot close within %d steps" % (s.tag, len(free), cap)):
        patches = {h0: q(s.va(free[0]), s.va(free[-1]))}
        for i, pa in enumerate(free):
            patches[pa] = q(s.va(free[(i + 1) % len(free)]), s.va(free[i - 1]) if i else s.va(h0))
        s.expect(tmp, "order-0 list a ring through every unheld page", patches, "list_too_long",
                 h0)


def stage2_cases(s, tmp):
    """Rows 15-17 (the host stage-2's root table), table_refcount and
    not_identity."""
    pgd = s.s2_pgd
    slot = next(i for i in range(512) if s.r64(pgd + 8 * i) & 3 == 3)
    s.expect(tmp, "a level-0 entry pointing at its own table",
             {pgd + 8 * slot: q(pgd | 3)}, "table_loop", pgd + 8 * slot)
    s.expect(tmp, "a table outside host_s2_pool",
             {pgd + 8 * slot: q(0x40000000 | 3)}, "table_outside_pool", pgd + 8 * slot)
    s.expect(tmp, "a table past RAM",
             {pgd + 8 * slot: q(0x100000000000 | 3)}, "table_unreadable", 0x100000000000)
    # A level-3 table's refcount in the vmemmap, one too many; a page of
    # the host's identity map pointed one page further.
    tables, pages, _ = s2_walk(s)
    level, table = next(x for x in tables if x[0] == 3)
    ent = s.vmemmap_pa(table >> 12)
    rc_off = s.lay["struct hyp_page"]["refcount"]["offset"]
    rc = int.from_bytes(s.read(ent + rc_off, 2), "little")
    if t.ok(rc > 1, "%s: level-3 table 0x%x has refcount %d" % (s.tag, table, rc)):
        s.expect(tmp, "a table page's refcount one too many",
                 {ent + rc_off: struct.pack("<H", rc + 1)}, "table_refcount", table)
    ptep, ia, pte = pages[len(pages) // 2]
    if t.ok(pte & ADDR == ia, "%s: page 0x%x is mapped at its own address" % (s.tag, ia)):
        s.expect(tmp, "a host page mapped at another address",
                 {ptep: q(pte + PAGE)}, "not_identity", ptep)


ADDR = 0x0000fffffffff000
DONATION = 2  # 7.x: the type of an invalid entry, bits 63:60
OWNER_HYP, OWNER_GUEST = 1, 2  # 7.x: a donation's owner, bits 3:1
SHARED_OWNED, NOPAGE = 1, 3  # 7.x page states (hyp_page: host's, hyp's complemented)


def s2_walk(s):
    """The host stage-2, walked here from its root (4K granule): the
    (level, PA) of its tables below the root, and the (entry PA, IA, pte)
    of its valid level-3 pages and of its donations."""
    tables, pages, dons, stack = [], [], [], [(s.s2_level, s.s2_pgd, 0)]
    while stack:
        level, table, base = stack.pop()
        ptes = struct.unpack("<512Q", s.read(table, PAGE))
        for i, pte in enumerate(ptes):
            ia = base + (i << (12 + 9 * (3 - level)))
            if level < 3 and pte & 3 == 3:
                tables.append((level + 1, pte & ADDR))
                stack.append((level + 1, pte & ADDR, ia))
            elif level == 3 and pte & 3 == 3:
                pages.append((table + 8 * i, ia, pte))
            elif pte and not pte & 1 and pte >> 60 == DONATION:
                dons.append((table + 8 * i, ia, pte))
    return sorted(tables), sorted(pages), sorted(dons)


def vmemmap_entries(s):
    """(PFN, raw 8-byte hyp_page) of every RAM page, read a vmemmap page
    at a time through the stage-1 walk."""
    per = PAGE // s.esz
    for lo, hi in s.ram:
        pfn = lo >> 12
        while pfn < hi >> 12:
            first = pfn - pfn % per
            pa = s.vmemmap_pa(first)
            n = min(per, (hi >> 12) - first)
            if pa is not None:
                raw = s.read(pa, n * s.esz)
                for i in range(max(pfn - first, 0), n):
                    yield first + i, pa + i * s.esz, struct.unpack_from("<Q", raw, i * s.esz)[0]
            pfn = first + per


def cross_cases(s, tmp):
    """Rows 18-23: the 7.x encodings of the host stage-2 and what the
    vmemmap and the guest stage-2s record of the same pages."""
    _, _, dons = s2_walk(s)
    to_hyp = [d for d in dons if (d[2] >> 1) & 7 == OWNER_HYP]
    to_guest = [d for d in dons if (d[2] >> 1) & 7 == OWNER_GUEST]
    if not t.ok(to_hyp and to_guest, "%s: the host stage-2 holds donations to the hyp (%d) "
                "and to guests (%d)" % (s.tag, len(to_hyp), len(to_guest))):
        return
    ent, ia, pte = to_hyp[0]
    s.expect(tmp, "a host stage-2 entry of an unknown type",
             {ent: q(pte & ~(0xf << 60) | 5 << 60)}, "reserved_encoding", ent)
    s.expect(tmp, "a donation to an owner that does not exist",
             {ent: q(pte & ~(7 << 1) | 6 << 1)}, "bad_owner", ent)
    gent, gia, gpte = to_guest[0]
    handles = {v["handle"] for v in s.vms}
    ghost = 0x1fff
    if t.ok(handles and ghost not in handles, "%s: handle 0x%x is not a VM's (%s)" % (
            s.tag, ghost, sorted(handles))):
        s.expect(tmp, "a donation to a VM handle vm_table lacks",
                 {gent: q(gpte & ~(0xffff << 4) | ghost << 4)}, "bad_owner", gia)
    s.expect(tmp, "a guest donation at a gfn its stage-2 does not map",
             {gent: q(gpte + (1 << 20))}, "state_mismatch", gia)
    # The vmemmap: a hyp page the host also owns; a guest share counted twice.
    byp = {pfn: (epa, raw) for pfn, epa, raw in vmemmap_entries(s)}
    epa, raw = byp[ia >> 12]
    host, hyp = (raw >> 24) & 0xf, ((raw >> 28) & 0xf) ^ 3
    if t.ok((host, hyp) == (NOPAGE, 0), "%s: page 0x%x donated to the hyp: host nopage, hyp "
            "owned in the vmemmap" % (s.tag, ia), "raw 0x%x" % raw):
        s.expect(tmp, "a hyp page the vmemmap also gives to the host",
                 {epa: q(raw & ~(0xf << 24))}, "state_mismatch", ia)
    shared = [(pfn, epa, raw) for pfn, (epa, raw) in sorted(byp.items())
              if (raw >> 24) & 0xf == SHARED_OWNED and raw >> 32]
    if t.ok(shared, "%s: pages the host shares with guests (%d)" % (s.tag, len(shared))):
        pfn, epa, raw = shared[0]
        s.expect(tmp, "a guest share counted twice", {epa: q(raw + (1 << 32))},
                 "share_count_mismatch", pfn << 12)


def translation_cases(s, tmp):
    """translation: host_mmu's arch.mmu.pgd_phys one page off pgt.pgd."""
    hm, arch, mmu = (pahole(s.image, n) for n in ("host_mmu", "kvm_arch", "kvm_s2_mmu"))
    at = s.sym_pa("host_mmu")
    phys = at + hm["arch"] + arch["mmu"] + mmu["pgd_phys"]
    pgd = s.pa(s.r64(at + hm["pgt"] + pahole(s.image, "kvm_pgtable")["pgd"]))
    if t.ok(s.r64(phys) == pgd, "%s: host_mmu's pgd_phys is its pgt.pgd's PA" % s.tag):
        s.expect(tmp, "host_mmu's pgd_phys a page off", {phys: q(pgd + PAGE)}, "translation",
                 at)


def vm_cases(s, tmp):
    """vm_invalid: the first VM of vm_table (read here: the symbol, its
    table, its first slot) given a guest stage-2 of 99 IA bits."""
    table = s.pa(s.r64(s.sym_pa("vm_table")))
    vm = next((v for v in struct.unpack("<64Q", s.read(table, 512)) if v), None)
    if not t.ok(vm is not None, "%s: vm_table holds a VM" % s.tag):
        return
    pgt = pahole(s.image, "pkvm_hyp_vm")["pgt"]
    ia = pahole(s.image, "kvm_pgtable")["ia_bits"]
    size = pahole(s.image, "kvm_pgtable", sizes=True)["ia_bits"]
    s.expect(tmp, "a VM's guest stage-2 of 99 IA bits",
             {s.pa(vm) + pgt + ia: (99).to_bytes(size, "little")}, "vm_invalid", vm)


def trace_cases(s, tmp):
    """The trace ring of CPU 0 (the EL2 core keeps 7.x's trace state).
    Pages: trace_bpages_backing[0..n) (page 0 the reader's, 1.. the ring);
    the meta page found by its header and the truth's counters."""
    cpu = s.truth["trace"]["cpus"][0]
    bp = pahole(s.image, "simple_buffer_page")
    bsz = bp["__size__"]
    meta = pahole(s.image, "trace_buffer_meta")
    data = pahole(s.image, "buffer_data_page")
    base = s.sym_pa("trace_bpages_backing")
    pages = []
    for i in range(1, cpu["nr_pages"]):
        va = s.r64(base + i * bsz + bp["page"])
        pages.append(s.pa(va))
    full = [pa for pa in pages if s.r64(pa + data["commit"])]
    if not t.ok(full, "%s: the trace ring has pages with events" % s.tag):
        return
    s.expect(tmp, "a trace page's commit past its end", {full[0] + data["commit"]: q(1 << 20)},
             "trace_page_invalid", full[0] + data["data"], run=trace)
    # The meta page: its header says 4 KiB pages, its counters are the truth's.
    hdr = struct.pack("<IIII", PAGE, meta["__size__"], PAGE, cpu["nr_pages"])
    found = None
    with open(s.core, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        pos = m.find(hdr)
        while pos >= 0 and found is None:
            ent = struct.unpack_from("<Q", m, pos + meta["entries"])[0]
            ovr = struct.unpack_from("<Q", m, pos + meta["overrun"])[0]
            if ent == cpu["entries"] and ovr == cpu["overrun"]:
                found = pos
            pos = m.find(hdr, pos + 1)
    pa = next((p + found - o for p, n, o in s.elf.loads if found is not None and
               o <= found < o + n), None)
    if t.ok(pa is not None and pa % PAGE == 0,
            "%s: CPU 0's meta page (%d entries, %d overwritten)" % (s.tag, cpu["entries"],
                                                                     cpu["overrun"])):
        s.expect(tmp, "the meta page's overrun off by 5",
                 {pa + meta["overrun"]: q(cpu["overrun"] + 5)}, "trace_lost_mismatch", 0,
                 run=trace)
        # Two pages of events restamped at time 0: one of them at least is
        # not first in ring order, and the clock goes back there.
        two = {full[0] + data["time_stamp"]: q(0), full[len(full) // 2] + data["time_stamp"]: q(0)}
        if t.ok(len(two) == 2, "%s: two trace pages with events" % s.tag):
            s.expect(tmp, "two trace pages restamped at time 0", two, "trace_time_backwards", pa,
                     run=trace)


def main():
    el2_part()
    real_part()
    return t.done()


def run_cases(s, *more):
    """The cases both sources have, then @more, in one temporary directory."""
    tmp = tempfile.mkdtemp(prefix="hypmem-matrix-")
    try:
        for cases in (buddy_cases, stage2_cases, cross_cases, vm_cases, translation_cases) + more:
            cases(s, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def el2_part():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("EL2 L8 corruption matrix", "qemu-system-aarch64 not installed")
        return
    out, err = make_dumps(8, 7, 512, 5000)
    if not t.ok(out is not None, "EL2 L8: dump", err or ""):
        return
    s = El2(out)
    p, base = stat(s.image, s.core)
    if not t.ok(p.returncode == 0 and base and not base["findings"],
                "EL2 L8: the clean dump has no findings", p.stderr):
        return
    p, tr = trace(s.image, s.core)
    if not t.ok(p.returncode == 0 and tr and not tr["findings"],
                "EL2 L8: the clean dump's trace has no findings", p.stderr):
        return
    run_cases(s, trace_cases)


def real_part():
    """The 7.x dumps cached with 4 KiB pages: 7.x-nvhe (the table's "real
    7.x" column), and 7.x-hvhe and 7.x-exp (7.3, hVHE) when cached."""
    cache = os.path.expanduser(os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real")
    dumps = sorted(glob.glob(os.path.join(cache, "dumps", "7.x-*", "vmcore")))
    if not any("/7.x-nvhe-" in d for d in dumps):
        t.skip("7.x corruption matrix", "no cached 7.x dump (tests/qemu/real/real-dumps)")
        return
    for d in dumps:
        with open(os.path.join(os.path.dirname(d), "meta.json")) as f:
            meta = json.load(f)
        if meta["config"] == "7.x-16k":
            continue  # 16 KiB pages: the walks here are written for 4 KiB
        s = Real(os.path.dirname(d), meta["config"])
        if t.ok(s.j is not None and not s.j["findings"],
                "%s: the clean dump has no findings" % s.tag):
            run_cases(s)


if __name__ == "__main__":
    sys.exit(main())
