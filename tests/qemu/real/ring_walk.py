#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""ring_walk.py: an independent walk of a Linux 7.x hypervisor's trace
rings in a dump, with drgn, for checking `hypmem-dump trace --json`.

    ring_walk.py VMLINUX VMCORE SYSTEM_MAP > walk.json

Shares no code with hypmem.  drgn (Debian python3-drgn 0.0.22) gives the
struct layouts from DWARF (simple_rb_per_cpu, simple_buffer_page) and reads
the core by physical address; every address is computed here:
  - symbols: drgn's, corrected by the difference between System.map's _text
    and drgn's (this drgn placed this vmlinux's symbols off by exactly
    _text); each symbol used must then equal its System.map value, or the
    walk stops with an error;
  - kernel image VA -> PA: VA + KERNELOFFSET - kimage_voffset (VMCOREINFO);
  - a host linear-map VA (kvm_arm_hyp_percpu_base[cpu]) -> PA:
    VA + 2^VA_BITS + PHYS_OFFSET;
  - hyp VA -> PA: VA + hyp_physvirt_offset (the hyp linear map, where the
    backing pages and data pages live).
CPU n's struct simple_rb_per_cpu is at its per-CPU base + (__simple_rbs -
__per_cpu_start).  Its pages are read in the order the ring says: the
reader page, then from the true head (the page the one link with the HEAD
flag, bit 0 of next, points to; head_page is only a hint) round to the
tail page.  Each data page: u64 time stamp, u64 commit (size in bits 29:0),
then events with a 32-bit header (type_len 5 bits, time delta 27 bits):
0 a long event (length word, counting itself), 1..28 4*type_len bytes, 29
padding (delta 0: the rest of the page), 30 a time extension, 31 an
absolute time stamp; times are u64 and wrap as the kernel's do (an nVHE
clock that goes "negative").  The payload starts with the u16 event id.

Prints {"shift": N, "cpus": {"N": [[id, ts], ...]}}; exit 1 with a message
on anything it cannot make sense of.
"""
import json
import re
import sys

import drgn

MASK = (1 << 64) - 1
PAGE = 4096


def main():
    vmlinux, core, sysmap_path = sys.argv[1:4]
    prog = drgn.Program()
    prog.set_core_dump(core)
    try:
        prog.load_debug_info([vmlinux])
    except drgn.MissingDebugInfoError:
        pass
    sysmap = {}
    for line in open(sysmap_path):
        f = line.split()
        if len(f) == 3:
            sysmap[f[2]] = int(f[0], 16)
    shift = sysmap["_text"] - prog.symbol("_text").address
    sym = {}
    for name in ("__kvm_nvhe_kvm_arm_hyp_percpu_base", "__kvm_nvhe___simple_rbs",
                 "__kvm_nvhe___per_cpu_start", "__kvm_nvhe_hyp_physvirt_offset"):
        s = prog.symbol(name)
        sym[name] = (s.address + shift, s.size)
        if s.address + shift != sysmap.get(name):
            sys.exit("%s: drgn 0x%x + 0x%x, System.map %s" % (
                name, s.address, shift & MASK, hex(sysmap.get(name, 0))))
    notes = open(core, "rb").read(1 << 16)

    def number(key):
        m = re.search(rb"NUMBER\(" + key + rb"\)=(-?\w+)", notes)
        if not m:
            sys.exit("no VMCOREINFO NUMBER(%s)" % key.decode())
        return int(m.group(1), 0)

    kimage_voffset, phys_offset = number(b"kimage_voffset"), number(b"PHYS_OFFSET")
    va_bits = number(b"VA_BITS")
    m = re.search(rb"KERNELOFFSET=(\w+)", notes)
    kaslr = int(m.group(1), 16) if m else 0

    def u(pa, n=8):
        return int.from_bytes(prog.read(pa, n, True), "little")

    def kimage_pa(va):
        return (va + kaslr - kimage_voffset) & MASK

    physvirt = u(kimage_pa(sym["__kvm_nvhe_hyp_physvirt_offset"][0]))

    def hyp_pa(va):
        return (va + physvirt) & MASK

    rbt = prog.type("struct simple_rb_per_cpu")
    bpt = prog.type("struct simple_buffer_page")
    o_next = drgn.offsetof(bpt, "link.next")
    o_link, o_page = drgn.offsetof(bpt, "link"), drgn.offsetof(bpt, "page")
    bsz = bpt.size
    base_va, base_size = sym["__kvm_nvhe_kvm_arm_hyp_percpu_base"]
    rbs_off = sym["__kvm_nvhe___simple_rbs"][0] - sym["__kvm_nvhe___per_cpu_start"][0]
    out = {}
    for cpu in range(base_size // 8):
        base = u(kimage_pa(base_va) + 8 * cpu)
        if not base:
            continue
        rb = ((base + (1 << va_bits) + phys_offset) & MASK) + rbs_off
        bpages = u(rb + drgn.offsetof(rbt, "bpages"))
        nr = u(rb + drgn.offsetof(rbt, "nr_pages"), 4)
        if not bpages or not nr:
            continue
        if nr > 65536:
            sys.exit("cpu %d: %d pages" % (cpu, nr))
        reader = u(rb + drgn.offsetof(rbt, "reader_page"))
        tail = u(rb + drgn.offsetof(rbt, "tail_page"))
        nexts = [u(hyp_pa(bpages + bsz * i + o_next)) for i in range(nr)]
        heads = [n & ~3 for n in nexts if n & 1]
        if len(heads) != 1:
            sys.exit("cpu %d: %d links carry HEAD" % (cpu, len(heads)))

        def index(link):
            i, r = divmod(link - o_link - bpages, bsz)
            if r or not 0 <= i < nr:
                sys.exit("cpu %d: link 0x%x is no page of the ring" % (cpu, link))
            return i

        order, i = [index(reader + o_link)], index(heads[0])
        while i not in order:
            order.append(i)
            if i == index(tail + o_link):
                break
            i = index(nexts[i] & ~3)
        evs = []
        for i in order:
            data = prog.read(hyp_pa(u(hyp_pa(bpages + bsz * i + o_page))), PAGE, True)
            ts = int.from_bytes(data[0:8], "little")
            end = min(16 + (int.from_bytes(data[8:16], "little") & ((1 << 30) - 1)), PAGE)
            pos = 16
            while pos + 4 <= end:
                w = int.from_bytes(data[pos:pos + 4], "little")
                typ, delta = w & 31, w >> 5
                arr = int.from_bytes(data[pos + 4:pos + 8], "little")
                if typ == 29:
                    if not delta:
                        break
                    pos += 4 + arr
                elif typ == 30:
                    ts = (ts + (delta | arr << 27)) & MASK  # a u64, as the kernel's
                    pos += 8
                elif typ == 31:
                    ts = (ts & ~((1 << 59) - 1)) | delta | arr << 27
                    pos += 8
                else:
                    ts = (ts + delta) & MASK
                    if typ == 0:
                        payload, pos = data[pos + 8:pos + 4 + arr], pos + 4 + arr
                    else:
                        payload, pos = data[pos + 4:pos + 4 + 4 * typ], pos + 4 + 4 * typ
                    evs.append([int.from_bytes(payload[0:2], "little"), ts])
        out[str(cpu)] = evs
    json.dump({"shift": shift, "cpus": out}, sys.stdout)


if __name__ == "__main__":
    main()
