#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""oracle.py: an independent walk of a real pKVM hypervisor's page
allocator, with drgn, for checking hypmem-stat on the same dump.

    oracle.py VMLINUX VMCORE > oracle.json

VMCORE is a QEMU dump-guest-memory ELF core with a VMCOREINFO note.  drgn
(Debian python3-drgn, 0.0.22) reads the DWARF and the core, but cannot
translate kernel addresses in these dumps (their segments carry physical
addresses only), so this script maps what it needs itself:
  - the kernel image: VA - kimage_voffset (VMCOREINFO; drgn has already
    applied KERNELOFFSET to the symbols);
  - the hyp linear map: hyp VA + hyp_physvirt_offset, for each hyp_memory
    region;
  - the hyp vmemmap: its own walk of the hyp stage-1 table pkvm_pgtable
    (4K granule; a concatenated or level -1 start; LPA2 output addresses
    when the VA space is wider than 48 bits).
Variables are found by their ELF symbols (__kvm_nvhe_<name>; Debian keeps
the static ones) and typed by DWARF, so a kernel variable of the same plain
name (6.1 has a sysctl table called vm_table) cannot be picked by mistake.

Prints JSON: the pools (free pages and blocks per order), the vmemmap
histograms (refcount, order) over hyp_memory, and invariants that need no
other tool (pool pages = free + allocated; every free head on exactly one
list).  Nothing here shares code with hypmem.
"""
import json
import struct
import sys
import time

import drgn
from drgn import Object
from drgn.helpers.linux.list import list_for_each

PAGE = 4096
PAGE_SHIFT = 12


def elf_notes(path):
    """{name: desc} of the ELF core's PT_NOTE segments."""
    notes = {}
    with open(path, "rb") as f:
        hdr = f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2:
            raise SystemExit("oracle: %s is not an ELF64 core" % path)
        phoff, = struct.unpack_from("<Q", hdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
        for i in range(phnum):
            p_type, _, off, _, _, filesz = struct.unpack_from("<IIQQQQ", table, i * phentsize)
            if p_type != 4:
                continue
            f.seek(off)
            data = f.read(filesz)
            pos = 0
            while pos + 12 <= len(data):
                namesz, descsz, _ = struct.unpack_from("<III", data, pos)
                pos += 12
                name = data[pos:pos + namesz].rstrip(b"\0").decode("ascii", "replace")
                pos += (namesz + 3) & ~3
                notes[name] = data[pos:pos + descsz]
                pos += (descsz + 3) & ~3
    return notes


class Hyp:
    def __init__(self, vmlinux, vmcore):
        t0 = time.monotonic()
        text = elf_notes(vmcore).get("VMCOREINFO")
        if text is None:
            raise SystemExit("oracle: %s has no VMCOREINFO note" % vmcore)
        self.vmcoreinfo = dict(line.split("=", 1) for line in
                               text.decode("ascii", "replace").splitlines() if "=" in line)
        self.prog = prog = drgn.Program()
        prog.set_core_dump(vmcore)
        try:
            prog.load_debug_info([vmlinux])
        except drgn.MissingDebugInfoError:
            pass  # modules: not needed
        self.t_load = time.monotonic() - t0
        self.kvo = int(self.vmcoreinfo["NUMBER(kimage_voffset)"], 16)
        self.image = (prog.symbol("_text").address, prog.symbol("_end").address)
        prog.add_memory_segment(self.image[0], self.image[1] - self.image[0],
                                self._phys_at(-self.kvo))

        self.hpo = self.var("hyp_physvirt_offset").value_()
        self.memory = []
        # A header declares it as a pointer in some CUs: say what it is.
        nr = self.var("hyp_memblock_nr").value_()
        regions = self.var("hyp_memory", prog.array_type(prog.type("struct memblock_region"), nr))
        for i in range(nr):
            base, size = regions[i].base.value_(), regions[i].size.value_()
            self.memory.append((base, base + size))
            prog.add_memory_segment(base - self.hpo, size, self._phys_at(self.hpo))

        pgt = self.var("pkvm_pgtable")
        self.ia_bits = pgt.ia_bits.value_()
        self.start_level = pgt.start_level.value_()
        if self.start_level > 3:  # u32 in v6.1: -1 never happens there
            self.start_level -= 1 << 32
        self.pgd_pa = pgt.pgd.value_() + self.hpo
        self.vmemmap = self.var("__hyp_vmemmap").value_()
        self.hyp_page = prog.type("struct hyp_page")
        order = self.hyp_page.member("order")
        bits = order.bit_field_size or 8 * order.type.size
        self.no_order = (1 << bits) - 1
        self.mapped = {}  # vmemmap page VA -> PA or None

    def _phys_at(self, delta):
        prog = self.prog
        return lambda addr, count, offset, physical: prog.read(addr + delta, count, True)

    def var(self, name, type_=None):
        """The hyp variable NAME: address from its ELF symbol, type TYPE_ or
        else DWARF's (checked to describe the same address)."""
        sym = self.prog.symbol("__kvm_nvhe_" + name)
        if type_ is not None:
            return Object(self.prog, type_, address=sym.address)
        obj = self.prog.variable(name)
        if obj.address_ is None:  # a declaration (extern in a header)
            return Object(self.prog, obj.type_, address=sym.address)
        if obj.address_ != sym.address:
            raise SystemExit("oracle: DWARF's %s is at 0x%x, the symbol at 0x%x"
                             % (name, obj.address_, sym.address))
        return obj

    def hyp_va(self, addr):
        """The hyp's own VA for an object drgn sees at ADDR."""
        if self.image[0] <= addr < self.image[1]:
            return addr - self.kvo - self.hpo
        return addr  # already a hyp linear VA

    def vm_pools(self):
        """[(name, pool object)] of each VM in vm_table (6.2+ layouts)."""
        prog = self.prog
        try:
            vm_type = prog.type("struct pkvm_hyp_vm")
            sym = prog.symbol("__kvm_nvhe_vm_table")
        except LookupError:
            return []
        table = Object(prog, prog.pointer_type(prog.pointer_type(vm_type)), address=sym.address)
        if not table.value_():
            return []
        out = []
        for i in range(PAGE // 8):  # the kernel allocates at most a page of slots
            if table[i].value_():
                out.append(("vm_table[%d].pool" % i, table[i][0].pool))
        return out

    def walk(self, va):
        """PA of hyp VA @va through pkvm_pgtable, or None if unmapped."""
        level = self.start_level
        table = self.pgd_pa
        lpa2 = self.ia_bits > 48
        oa_mask = ((1 << 50) - 1) & ~(PAGE - 1) if lpa2 else ((1 << 48) - 1) & ~(PAGE - 1)
        while level <= 3:
            shift = PAGE_SHIFT + 9 * (3 - level)
            if level == self.start_level:
                idx = (va & ((1 << self.ia_bits) - 1)) >> shift
            else:
                idx = (va >> shift) & 511
            pte = self.prog.read_u64(table + 8 * idx, True)
            if not pte & 1:
                return None
            oa = pte & oa_mask
            if lpa2:
                oa |= ((pte >> 8) & 3) << 50
            if level == 3 or not pte & 2:
                size = 1 << shift
                return (oa & ~(size - 1)) | (va & (size - 1))
            table = oa
            level += 1
        return None

    def vmemmap_page(self, va):
        """Map the vmemmap page holding @va into drgn; False if unbacked."""
        page = va & ~(PAGE - 1)
        if page not in self.mapped:
            pa = self.walk(page)
            self.mapped[page] = pa
            if pa is not None:
                self.prog.add_memory_segment(page, PAGE, self._phys_at(pa - page))
        return self.mapped[page] is not None

    def entry(self, pfn):
        va = self.vmemmap + pfn * self.hyp_page.size
        if not self.vmemmap_page(va) or not self.vmemmap_page(va + self.hyp_page.size - 1):
            return None
        return Object(self.prog, self.hyp_page, address=va)


def histogram_add(h, key):
    h[key] = h.get(key, 0) + 1


def vmemmap_walk(hyp):
    """Refcount and order histograms of every hyp_memory page's entry."""
    esz = hyp.hyp_page.size
    refs, orders, nr, unbacked = {}, {}, 0, 0
    pages = {}
    for start, end in hyp.memory:
        pfn, last = start >> PAGE_SHIFT, end >> PAGE_SHIFT
        while pfn < last:
            va = hyp.vmemmap + pfn * esz
            n = min(last - pfn, (PAGE - (va & (PAGE - 1))) // esz) or 1
            if not hyp.vmemmap_page(va):
                unbacked += n
                pfn += n
                continue
            arr = Object(hyp.prog, hyp.prog.array_type(hyp.hyp_page, n), address=va).read_()
            for i in range(n):
                e = arr[i]
                r, o = e.refcount.value_(), e.order.value_()
                histogram_add(refs, r)
                histogram_add(orders, o)
                pages[pfn + i] = (r, o)
            nr += n
            pfn += n
    key = lambda k: "none" if k == hyp.no_order else str(k)  # noqa: E731
    return ({"entry_size": esz, "nr_entries": nr, "nr_unbacked": unbacked,
             "refcount_histogram": {str(k): v for k, v in sorted(refs.items())},
             "order_histogram": {key(k): v for k, v in sorted(orders.items())}}, pages)


def pool_walk(hyp, name, pages, pool=None):
    """Free lists of one pool, and the invariants over its pages."""
    if pool is None:
        pool = hyp.var(name)
    start, end = pool.range_start.value_(), pool.range_end.value_()
    max_order = pool.max_order.value_()
    nr_lists = len(pool.free_area)
    by_order_pages = [0] * nr_lists
    by_order_blocks = [0] * nr_lists
    listed = {}
    problems = []
    for order in range(min(max_order + 1, nr_lists)):
        head = pool.free_area[order]
        if not head.next.value_():
            continue  # never initialised: the kernel skips lists it cannot use
        # The hyp links the head by its own (linear-map) address.
        head = Object(hyp.prog, head.type_, address=hyp.hyp_va(head.address_))
        for node in list_for_each(head.address_of_()):
            pa = node.value_() + hyp.hpo
            pfn = pa >> PAGE_SHIFT
            if pa & (PAGE - 1) or not start <= pa < end:
                problems.append("node 0x%x is not a pool page" % node.value_())
                break
            e = pages.get(pfn)
            if e is None:
                e = hyp.entry(pfn)
                e = (e.refcount.value_(), e.order.value_()) if e is not None else None
            if e is None or e != (0, order):
                problems.append("page 0x%x on list %d has entry %r" % (pa, order, e))
            if pfn in listed:
                problems.append("page 0x%x on lists %d and %d" % (pa, listed[pfn], order))
            listed[pfn] = order
            by_order_pages[order] += 1 << order
            by_order_blocks[order] += 1
    nr_pages = (end - start) >> PAGE_SHIFT
    free = sum(by_order_pages)
    allocated = unlisted_heads = 0
    for pfn in range(start >> PAGE_SHIFT, end >> PAGE_SHIFT):
        e = pages.get(pfn)
        if e is None:
            problems.append("pool page 0x%x has no vmemmap entry" % (pfn << PAGE_SHIFT))
            continue
        r, o = e
        if r:
            allocated += 1 << o if o != hyp.no_order else 1
        elif o != hyp.no_order and pfn not in listed:
            unlisted_heads += 1
    return {"name": name, "range_start": hex(start), "range_end": hex(end),
            "max_order": max_order, "nr_pages": nr_pages, "free_pages": free,
            "free_pages_by_order": by_order_pages, "free_blocks_by_order": by_order_blocks,
            "allocated_pages": allocated, "unlisted_free_heads": unlisted_heads,
            "problems": problems[:20]}


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    t0 = time.monotonic()
    hyp = Hyp(sys.argv[1], sys.argv[2])
    t1 = time.monotonic()
    vmemmap, pages = vmemmap_walk(hyp)
    pools = [pool_walk(hyp, n, pages) for n in ("host_s2_pool", "hpool")]
    pools += [pool_walk(hyp, n, pages, p) for n, p in hyp.vm_pools()]
    t2 = time.monotonic()
    json.dump({"release": hyp.vmcoreinfo.get("OSRELEASE"),
               "hyp_physvirt_offset": hex(hyp.hpo & (2**64 - 1)),
               "hyp_memory": [[hex(s), hex(e)] for s, e in hyp.memory],
               "pgtable": {"ia_bits": hyp.ia_bits, "start_level": hyp.start_level},
               "vmemmap": vmemmap, "pools": pools,
               "seconds": {"load": round(hyp.t_load, 2), "setup": round(t1 - t0, 2),
                           "walk": round(t2 - t1, 2)}}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
