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
histograms (refcount, order) over hyp_memory, the host stage-2 (host_kvm
in 6.1, host_mmu later: leaves per block size, per owner and per page
state, table pages per level, runs), and invariants that need no other
tool (pool pages = free + allocated; every free head on exactly one list;
pages the host shares with the hyp, SHARED_OWNED in the host stage-2, are
the hyp's SHARED_BORROWED pages in its stage-1, page for page, and the
reverse pair).  For 7.x kernels (DWARF has enum kvm_invalid_pte_type and
struct hyp_page has __host_state): the vmemmap's host and hyp page states
by name, the host stage-2's invalid entries by type, every VM of vm_table
with its guest stage-2 (leaves, pages mapped, tables, states), and the
double records checked page by page (a donation to the hyp is host NOPAGE
and hyp OWNED; host NOPAGE is never mapped writable; the hyp borrows
exactly the pages the host shares with no guest; host_share_guest_count =
guest stage-2 mappings; VM pools are the hyp's).  The granule is
VMCOREINFO's PAGESIZE.  Nothing here shares code with hypmem.

Descriptors (Arm ARM; 4K, 16K or 64K granule): bits 1:0 = 3 below level 3 is a table;
a valid leaf's output address is bits 47:12, or with LPA2 (FEAT_LPA2,
TCR/VTCR.DS = 1) bits 49:12 with OA[51:50] in bits 9:8.  An invalid
non-zero stage-2 entry carries an owner id in bits 9:2; a valid leaf's
page state is in software bits 56:55, encoded as enum pkvm_page_state says.
"""
import json
import struct
import sys
import time

import drgn
from drgn import Object
from drgn.helpers.linux.list import list_for_each

# The granule: set from VMCOREINFO's PAGESIZE before anything is walked
# (4K, 16K or 64K; a table page holds PAGE / 8 descriptors).
PAGE = 4096
PAGE_SHIFT = 12
LEVEL_BITS = 9


def set_granule(page_size):
    global PAGE, PAGE_SHIFT, LEVEL_BITS
    PAGE = page_size
    PAGE_SHIFT = page_size.bit_length() - 1
    LEVEL_BITS = PAGE_SHIFT - 3


def level_size(level):
    return 1 << (PAGE_SHIFT + LEVEL_BITS * (3 - level))


def size_name(level):
    n = level_size(level)
    for unit in "KMGT":
        n >>= 10
        if n < 1024:
            return "%d%s" % (n, unit)
    return "L%d" % level


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
        set_granule(int(self.vmcoreinfo.get("PAGESIZE", "4096")))
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
        bits = order.bit_field_size or 8 * drgn.sizeof(order.type)
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
        return [("vm_table[%d].pool" % i, vm.pool) for i, vm in self.vms()]

    def vms(self):
        """[(slot, struct pkvm_hyp_vm object)] of vm_table."""
        prog = self.prog
        try:
            vm_type = prog.type("struct pkvm_hyp_vm")
            sym = prog.symbol("__kvm_nvhe_vm_table")
        except LookupError:
            return []
        table = Object(prog, prog.pointer_type(prog.pointer_type(vm_type)), address=sym.address)
        if not table.value_():
            return []
        # 512: more slots than KVM_MAX_PVMS.  0xa110ca7ed: a slot reserved
        # while its VM is created (pkvm.c).
        return [(i, table[i][0]) for i in range(512)
                if table[i].value_() and table[i].value_() != 0xa110ca7ed]

    def walk(self, va):
        """PA of hyp VA @va through pkvm_pgtable, or None if unmapped."""
        level = self.start_level
        table = self.pgd_pa
        lpa2 = self.ia_bits > 48
        oa_mask = ((1 << 50) - 1) & ~(PAGE - 1) if lpa2 else ((1 << 48) - 1) & ~(PAGE - 1)
        while level <= 3:
            shift = PAGE_SHIFT + LEVEL_BITS * (3 - level)
            if level == self.start_level:
                idx = (va & ((1 << self.ia_bits) - 1)) >> shift
            else:
                idx = (va >> shift) & ((1 << LEVEL_BITS) - 1)
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
    # 7.x: the host's state and the complement of the hyp's in the entry.
    members = {m.name for m in hyp.hyp_page.members}
    has_state = "__host_state" in members and "__hyp_state_comp" in members
    names = {v: n[len("PKVM_PAGE_"):].lower() if n.startswith("PKVM_PAGE_")
             else n[len("PKVM_"):].lower()
             for n, v in enum_values(hyp.prog, "pkvm_page_state").items()}
    comp = enum_values(hyp.prog, "pkvm_page_state").get("PKVM_NOPAGE", 3)
    host_h, hyp_h = {}, {}
    states = {}  # pfn -> (host, hyp, host_share_guest_count)
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
                if has_state:
                    h, y = e.__host_state.value_(), e.__hyp_state_comp.value_() ^ comp
                    histogram_add(host_h, names.get(h, "state%d" % h))
                    histogram_add(hyp_h, names.get(y, "state%d" % y))
                    states[pfn + i] = (h, y, e.host_share_guest_count.value_())
            nr += n
            pfn += n
    key = lambda k: "none" if k == hyp.no_order else str(k)  # noqa: E731
    out = {"entry_size": esz, "nr_entries": nr, "nr_unbacked": unbacked,
           "refcount_histogram": {str(k): v for k, v in sorted(refs.items())},
           "order_histogram": {key(k): v for k, v in sorted(orders.items())}}
    if has_state:
        out["host_states"], out["hyp_states"] = host_h, hyp_h
    return out, pages, states


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


def pgtable_leaves(hyp, pgd_pa, ia_bits, start_level, lpa2, tables):
    """Yield (IA, level, descriptor) of each non-zero leaf of the table at
    PGD_PA, in address order; count table pages per level in TABLES."""
    shift = PAGE_SHIFT + LEVEL_BITS * (3 - start_level)
    per_table = 1 << LEVEL_BITS
    nr_root = 1 << max(ia_bits - shift, 0)
    root_pages = (nr_root + per_table - 1) // per_table
    if lpa2:
        oa_mask = ((1 << 50) - 1) & ~(PAGE - 1)
    else:
        oa_mask = ((1 << 48) - 1) & ~(PAGE - 1)

    def oa(pte):
        return (pte & oa_mask) | ((((pte >> 8) & 3) << 50) if lpa2 else 0)

    def table(pa, level, base, n):
        tables[level] = tables.get(level, 0) + (n + per_table - 1) // per_table
        data = hyp.prog.read(pa, 8 * n, True)
        sh = PAGE_SHIFT + LEVEL_BITS * (3 - level)
        for i, pte in enumerate(struct.unpack("<%dQ" % n, data)):
            if not pte:
                continue
            ia = base + (i << sh)
            if level < 3 and pte & 3 == 3:
                yield from table(oa(pte), level + 1, ia, per_table)
            else:
                yield ia, level, pte, oa(pte)

    yield from table(pgd_pa, start_level, 0, nr_root)
    tables["root_pages"] = root_pages


def enum_values(prog, name):
    try:
        return {e.name: e.value for e in prog.type("enum " + name).enumerators}
    except LookupError:
        return {}


def state_decoder(prog):
    """Page state name of a leaf, from its software bits 56:55 as DWARF's
    enum pkvm_page_state encodes them (masks in v6.1, small integers later)."""
    sw0 = enum_values(prog, "kvm_pgtable_prot").get("KVM_PGTABLE_PROT_SW0", 1 << 55)
    shift = sw0.bit_length() - 1
    names = {}
    for name, v in enum_values(prog, "pkvm_page_state").items():
        key = {"PKVM_PAGE_OWNED": "owned", "PKVM_PAGE_SHARED_OWNED": "shared_owned",
               "PKVM_PAGE_SHARED_BORROWED": "shared_borrowed"}.get(name)
        if key:
            names[v >> shift if v >= sw0 else v] = key
    return lambda pte: names.get((pte >> shift) & 3, "reserved")


def invalid_decoder(prog):
    """How to read an invalid non-zero entry: in 7.x (DWARF has enum
    kvm_invalid_pte_type) the type is the top nibble, and a host donation
    names the new owner in bits 3:1 and a guest (VM handle, gfn) in the
    bits above; before, the owner id sits in bits 9:2."""
    types = enum_values(prog, "kvm_invalid_pte_type")
    if not types:
        return None
    return {v: {"KVM_INVALID_PTE_TYPE_LOCKED": "locked",
                "KVM_HOST_INVALID_PTE_TYPE_DONATION": "host_donation",
                "KVM_GUEST_INVALID_PTE_TYPE_POISONED": "guest_poisoned"}.get(n, n.lower())
            for n, v in types.items()}


def stage2_walk(hyp):
    """The host stage-2 as hypmem's JSON 'stage2' object describes it, and
    the PAs of its SHARED_OWNED and SHARED_BORROWED pages."""
    prog = hyp.prog
    for name in ("host_mmu", "host_kvm"):
        try:
            host = hyp.var(name)
            break
        except LookupError:
            continue
    else:
        return None, None
    pgt = host.pgt
    ia_bits = pgt.ia_bits.value_()
    start_level = pgt.start_level.value_()
    if start_level > 3:
        start_level -= 1 << (8 * pgt.start_level.type_.size)
    pgd = pgt.pgd.value_()
    vtcr = None
    for path in ("arch.vtcr", "arch.mmu.vtcr"):
        try:
            obj = host
            for k in path.split("."):
                obj = obj.member_(k)
            vtcr = obj.value_()
            break
        except LookupError:
            continue
    # LPA2 descriptors when VTCR_EL2.DS (bit 32) is set; else when the IPA
    # space is wider than 48 bits (only LPA2 gives that with 4K pages).
    lpa2 = bool(vtcr >> 32 & 1) if vtcr is not None else ia_bits > 48
    state_of = state_decoder(prog)
    owner_names = {v: n[len("PKVM_ID_"):].lower()
                   for n, v in enum_values(prog, "pkvm_component_id").items()
                   if n != "PKVM_ID_MAX"}
    types = invalid_decoder(prog)
    # With the 7.x entry types and vmemmap states, valid host leaves carry no state.
    leaf_states = not (types and "__host_state" in {m.name for m in hyp.hyp_page.members})
    by_size, by_owner, by_state, by_type = {}, {}, {}, {}
    donated_to = {}  # PA of each page the host stage-2 gives away -> owner name
    valid_prot = {}  # PA -> writable, of the pages the host maps (memory only)
    tables = {}
    nr_runs, run, problems = 0, None, []
    shared = {"shared_owned": set(), "shared_borrowed": set()}
    owners = []  # [start, end, label] of what the host does not plainly own, merged

    def own(ia, size, label):
        if owners and owners[-1][1] == ia and owners[-1][2] == label:
            owners[-1][1] = ia + size
        else:
            owners.append([ia, ia + size, label])

    def add(h, key, nbytes):
        c = h.setdefault(key, {"count": 0, "bytes": 0})
        c["count"] += 1
        c["bytes"] += nbytes

    for ia, level, pte, oa in pgtable_leaves(hyp, pgd + hyp.hpo, ia_bits, start_level,
                                             lpa2, tables):
        size = level_size(level)
        if pte & 1:
            # A level 0 block exists only with LPA2 (4K granule, DS = 1).
            if (level == 3 and not pte & 2) or (level == 0 and not lpa2):
                problems.append("reserved leaf 0x%x at IA 0x%x level %d" % (pte, ia, level))
            owner, state = 0, state_of(pte)
            prot = (pte >> 6 & 1, pte >> 7 & 1, not pte >> 54 & 1)
            mt = pte >> 2 & 0xf
            attr = "normal" if mt == 0xf else "device" if mt <= 3 else "other"
            if state in shared and leaf_states:
                shared[state].update(range(oa, oa + size, PAGE))
                own(ia, size, "host:" + state)
            if not leaf_states:
                state = None
                if any(s <= oa < e for s, e in hyp.memory):
                    for pa in range(oa, oa + size, PAGE):
                        valid_prot[pa] = bool(prot[1])
        elif types:
            ty = types.get(pte >> 60, "type%d" % (pte >> 60))
            owner, state, prot, attr, oa = 0, "nopage", None, None, None
            if ty == "host_donation":
                owner = (pte >> 1) & 7
                meta = (pte >> 4) & ((1 << 56) - 1)
                oname = owner_names.get(owner, "owner%d" % owner)
                for i, pa in enumerate(range(ia, ia + size, PAGE)):
                    # a guest's: VM handle in metadata bits 15:0, gfn in 55:16
                    donated_to[pa] = (oname, meta & 0xffff, (meta >> 16) + i) \
                        if oname == "guest" else (oname, 0, 0)
                if oname == "guest":
                    oa = (meta >> 16) * PAGE  # runs follow the gfn
                own(ia, size, "guest:0x%x" % (meta & 0xffff) if oname == "guest" else oname)
            elif ty != "locked":
                problems.append("invalid entry 0x%x at IA 0x%x: type %s" % (pte, ia, ty))
            add(by_type, ty, size)
            prot = (ty, (pte >> 4) & 0xffff if oa is not None else 0)
        else:
            owner, state, prot, attr, oa = (pte >> 2) & 0xff, "nopage", None, None, None
            if pte & ~0x3fc or not owner:
                problems.append("invalid entry 0x%x at IA 0x%x is no owner" % (pte, ia))
            own(ia, size, owner_names.get(owner, "owner%d" % owner))
        add(by_size, size_name(level), size)
        add(by_owner, owner_names.get(owner, "owner%d" % owner), size)
        if state is not None:
            add(by_state, state, size)
        key = (level, bool(pte & 1), owner, state, prot, attr)
        if run and run[0] == key and run[1] == ia and (oa is None or run[2] == oa):
            run = (key, ia + size, oa + size if oa is not None else None)
        else:
            nr_runs += 1
            run = (key, ia + size, oa + size if oa is not None else None)
    root_pages = tables.pop("root_pages")
    out = {"table": name, "ia_bits": ia_bits, "start_level": start_level,
           "pgd": hex(pgd), "pgd_pages": root_pages, "lpa2": lpa2,
           "vtcr": hex(vtcr) if vtcr is not None else None,
           "vtcr_ia_bits": 64 - (vtcr & 0x3f) if vtcr is not None else None,
           "histogram": {"by_size": by_size, "by_owner": by_owner, "by_state": by_state},
           "leaf_states": leaf_states,
           "tables": sum(tables.values()),
           "tables_by_level": {str(k): v for k, v in sorted(tables.items())},
           "nr_runs": nr_runs, "problems": problems[:20]}
    if types:
        out["histogram"]["by_type"] = by_type
    shared["donated_to"], shared["valid_prot"] = donated_to, valid_prot
    shared["owners"] = owners
    return out, shared


def guest_walks(hyp):
    """Each VM's guest stage-2: leaves, mapped pages, tables; and how many
    guest mappings each host page has (a block maps each of its pages)."""
    prog = hyp.prog
    state_of = state_decoder(prog)
    out, maps, owned = [], {}, {}
    for slot, vm in hyp.vms():
        pgt = vm.pgt
        start_level = pgt.start_level.value_()
        if start_level > 3:
            start_level -= 1 << (8 * drgn.sizeof(pgt.start_level.type_))
        ia_bits, pgd = pgt.ia_bits.value_(), pgt.pgd.value_()
        tables, leaves, mapped, states = {}, 0, 0, {}
        if pgd:
            for ia, level, pte, oa in pgtable_leaves(hyp, pgd + hyp.hpo, ia_bits, start_level,
                                                     ia_bits > 48, tables):
                if not pte & 1:
                    continue
                leaves += 1
                mapped += level_size(level)
                st = state_of(pte)
                histogram_add(states, st)
                handle = vm.kvm.arch.pkvm.handle.value_()
                for i, pa in enumerate(range(oa, oa + level_size(level), PAGE)):
                    if st == "shared_borrowed":  # what host_share_guest_count counts
                        maps[pa] = maps.get(pa, 0) + 1
                    elif st == "owned":  # given by the host: (handle, gfn) recorded
                        owned.setdefault(pa, []).append((handle, (ia >> PAGE_SHIFT) + i))
        tables.pop("root_pages", None)
        out.append({"slot": slot, "handle": hex(vm.kvm.arch.pkvm.handle.value_()),
                    "nr_vcpus": vm.kvm.created_vcpus.value_(),
                    "pool_start": hex(vm.pool.range_start.value_()),
                    "pool_end": hex(vm.pool.range_end.value_()),
                    "ia_bits": ia_bits, "start_level": start_level,
                    "leaves": leaves, "mapped_bytes": mapped, "mapped_pages": mapped // PAGE,
                    "tables": sum(tables.values()), "states": states})
    return out, (maps, owned)


def cross_invariants(hyp, states, host, vms, guest):
    """The 7.x double records, page by page: a list of what disagrees."""
    if not states:
        return None
    st = enum_values(hyp.prog, "pkvm_page_state")
    own, so, sb, nop = (st["PKVM_PAGE_OWNED"], st["PKVM_PAGE_SHARED_OWNED"],
                        st["PKVM_PAGE_SHARED_BORROWED"], st["PKVM_NOPAGE"])
    maps, owned = guest
    bad = []
    for pfn, (h, y, count) in states.items():
        pa = pfn << PAGE_SHIFT
        given = host["donated_to"].get(pa, (None, 0, 0))
        if given[0] == "guest":
            if h != nop:
                bad.append("0x%x given to a guest: host %d" % (pa, h))
            if owned.get(pa) != [given[1:]]:
                bad.append("0x%x given to VM 0x%x gfn 0x%x, guest stage-2s own it as %r"
                           % (pa, given[1], given[2], owned.get(pa)))
        elif pa in owned:
            bad.append("0x%x owned by a guest %r, not given by the host" % (pa, owned[pa]))
        if given[0] == "hyp" and (h != nop or y != own):
            bad.append("0x%x given to the hyp: host %d hyp %d" % (pa, h, y))
        if y == own and h != nop:
            bad.append("0x%x the hyp owns it, host state %d" % (pa, h))
        if h == nop and host["valid_prot"].get(pa):
            bad.append("0x%x host nopage but mapped writable" % pa)
        if (y == sb) != (h == so and not count):
            bad.append("0x%x hyp %d, host %d, %d guest shares" % (pa, y, h, count))
        if count != maps.get(pa, 0):
            bad.append("0x%x count %d, %d guest mappings" % (pa, count, maps.get(pa, 0)))
    for vm in vms:
        for pa in range(int(vm["pool_start"], 16), int(vm["pool_end"], 16), PAGE):
            if host["donated_to"].get(pa, (None,))[0] != "hyp":
                bad.append("vm_table[%d] pool page 0x%x not the hyp's" % (vm["slot"], pa))
    return {"pages": len(states), "problems": bad[:20], "nr_problems": len(bad)}


def hyp_stage1_states(hyp):
    """PAs of the pages the hyp stage-1 maps SHARED_BORROWED / SHARED_OWNED
    (state in the leaves' software bits, as in the host stage-2)."""
    state_of = state_decoder(hyp.prog)
    shared = {"shared_owned": set(), "shared_borrowed": set()}
    tables = {}
    for ia, level, pte, oa in pgtable_leaves(hyp, hyp.pgd_pa, hyp.ia_bits, hyp.start_level,
                                             hyp.ia_bits > 48, tables):
        if not pte & 1:
            continue  # fixmap slots and the like: not mappings
        state = state_of(pte)
        if state in shared:
            shared[state].update(range(oa, oa + level_size(level), PAGE))
    return shared


def share_invariant(host, hyp_s1):
    """Host SHARED_OWNED == hyp SHARED_BORROWED and host SHARED_BORROWED ==
    hyp SHARED_OWNED, page for page."""
    out = {}
    for a, b in (("shared_owned", "shared_borrowed"), ("shared_borrowed", "shared_owned")):
        h, y = host[a], hyp_s1[b]
        out["host_%s_vs_hyp_%s" % (a, b)] = {
            "host_pages": len(h), "hyp_pages": len(y),
            "host_only": [hex(x) for x in sorted(h - y)[:10]],
            "hyp_only": [hex(x) for x in sorted(y - h)[:10]],
            "nr_host_only": len(h - y), "nr_hyp_only": len(y - h)}
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    t0 = time.monotonic()
    hyp = Hyp(sys.argv[1], sys.argv[2])
    t1 = time.monotonic()
    vmemmap, pages, states = vmemmap_walk(hyp)
    pools = [pool_walk(hyp, n, pages) for n in ("host_s2_pool", "hpool")]
    pools += [pool_walk(hyp, n, pages, p) for n, p in hyp.vm_pools()]
    stage2, host_shared = stage2_walk(hyp)
    # Before 7.x the share pairs are in the leaves of both tables.
    shares = share_invariant(host_shared, hyp_stage1_states(hyp)) \
        if stage2 and stage2["leaf_states"] else None
    vms, guest = guest_walks(hyp)
    s1_tables = {}
    s1_leaves = sum(1 for _ in pgtable_leaves(hyp, hyp.pgd_pa, hyp.ia_bits, hyp.start_level,
                                              hyp.ia_bits > 48, s1_tables))
    s1_tables.pop("root_pages")
    cross = cross_invariants(hyp, states, host_shared, vms, guest) if stage2 else None
    t2 = time.monotonic()
    json.dump({"release": hyp.vmcoreinfo.get("OSRELEASE"),
               "hyp_physvirt_offset": hex(hyp.hpo & (2**64 - 1)),
               "hyp_memory": [[hex(s), hex(e)] for s, e in hyp.memory],
               "pgtable": {"ia_bits": hyp.ia_bits, "start_level": hyp.start_level,
                           "leaves": s1_leaves, "tables": sum(s1_tables.values())},
               "vmemmap": vmemmap, "pools": pools,
               "page_size": PAGE, "stage2": stage2, "shares": shares,
               "vms": vms, "cross": cross,
               "seconds": {"load": round(hyp.t_load, 2), "setup": round(t1 - t0, 2),
                           "walk": round(t2 - t1, 2)}}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
