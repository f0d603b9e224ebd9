#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Seed corpora for the libFuzzer harnesses, generated so that no binary
blob has to live in the tree.

  gen_corpus.py source OUTDIR           dump files for fuzz_source
  gen_corpus.py decode LAYOUT OUTDIR    patch lists for fuzz_decode-L<LAYOUT>

fuzz_source seeds are small but well-formed (plus, when the real-kernel
cache is warm, pieces of the real 6.1/6.12/7.x dumps: headers, notes and two
pages of RAM, whole or claiming the rest; the first 64 KiB of each kdump): ELF64 ET_CORE files with a
PT_NOTE holding a VMCOREINFO note and one to three PT_LOAD segments (one
with a zero-filled tail, one with virtual addresses), a truncated core, a
kdump-compressed ("KDUMP   ") file with a diskdump header, sub-header,
bitmaps, page descriptors and uncompressed pages, a makedumpfile flattened
stream wrapping an ELF core, and bare VMCOREINFO text.  A fuzzer starting
from valid files reaches the deep parsing code in seconds; from nothing it
would spend its time rediscovering magic numbers.

fuzz_decode seeds are patch lists in the harness's format, records of
  u8 where (0 RAM, 1 hpool, 2 host_s2_pool, 3 pkvm_pgtable, 4 vmemmap vars)
  u32 offset (little-endian, taken modulo the region's size)
  u8 len (1 + len % 16)
  len bytes
The offsets below follow the harness's RAM layout (tests/fuzz/fuzz_decode.c,
which mirrors tests/unit/el2_decode.c): vmemmap at the start of RAM, then
64 stage-1 pages, then the two pools.
"""
import os
import struct
import sys

PAGE = 4096
RAM_PA = 0x40000000

# --- ELF cores ---------------------------------------------------------------

ET_CORE, EM_AARCH64, PT_LOAD, PT_NOTE = 4, 183, 1, 4
VMCOREINFO = (
    "OSRELEASE=6.12.0-fuzz\n"
    "PAGESIZE=4096\n"
    "SYMBOL(swapper_pg_dir)=ffff800081a3b000\n"
    "NUMBER(kimage_voffset)=0xffff7fff40000000\n"
    "NUMBER(VA_BITS)=48\n"
    "KERNELOFFSET=1c00000\n"
    "CRASHTIME=1700000000\n"
)


def note(name, ntype, desc):
    name_b = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name_b), len(desc), ntype) + pad(name_b) + pad(desc)


def page_fill(seed, size):
    """Deterministic non-zero bytes, so reads can be told from zero fill."""
    out = bytearray(size)
    x = seed * 2654435761 & 0xFFFFFFFF or 1
    for i in range(0, size, 4):
        x ^= x << 13 & 0xFFFFFFFF
        x ^= x >> 17
        x ^= x << 5 & 0xFFFFFFFF
        out[i:i + 4] = struct.pack("<I", x)
    return bytes(out)


def elf_core(loads, notes=None, vmcoreinfo=VMCOREINFO):
    """loads: list of (paddr, vaddr, filesz, memsz).  Returns the file bytes."""
    if notes is None:
        notes = note("CORE", 1, b"\0" * 32)
        if vmcoreinfo is not None:
            notes += note("VMCOREINFO", 0, vmcoreinfo.encode())
    phnum = 1 + len(loads)
    ehsize, phentsize = 64, 56
    off = ehsize + phnum * phentsize
    note_off = off
    off += len(notes)
    off = (off + PAGE - 1) & ~(PAGE - 1)
    phdrs = [struct.pack("<IIQQQQQQ", PT_NOTE, 0, note_off, 0, 0, len(notes), 0, 0)]
    body = []
    for i, (paddr, vaddr, filesz, memsz) in enumerate(loads):
        phdrs.append(struct.pack("<IIQQQQQQ", PT_LOAD, 7, off, vaddr, paddr, filesz, memsz,
                                 PAGE))
        body.append((off, page_fill(i + 1, filesz)))
        off += filesz
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", ET_CORE, EM_AARCH64, 1, 0, ehsize, 0, 0,
                               ehsize, phentsize, phnum, 0, 0, 0)
    out = bytearray(ehdr + b"".join(phdrs) + notes)
    for o, data in body:
        out += b"\0" * (o - len(out))
        out += data
    return bytes(out)


# --- kdump-compressed (diskdump) ---------------------------------------------


def kdump_file(version, nr_pages=4, block=PAGE):
    """A "KDUMP   " file: one sub-header block, two bitmap blocks (RAM, then
    dumped), page descriptors, uncompressed pages.  VMCOREINFO is raw text
    in the sub-header block for header version 3, an ELF note for 4+."""
    max_mapnr = 64
    sub_hdr_size, bitmap_blocks = 1, 2
    hdr = bytearray(block)
    hdr[0:8] = b"KDUMP   "
    struct.pack_into("<i", hdr, 8, version)
    uts = [b"Linux", b"fuzz", b"6.12.0-fuzz", b"#1", b"aarch64", b""]
    for i, s in enumerate(uts):
        hdr[12 + 65 * i:12 + 65 * i + len(s)] = s
    # timestamp (16) at 408, status at 424, then the fields the source reads.
    struct.pack_into("<IiiIIIIIIi", hdr, 424, 0, block, sub_hdr_size, bitmap_blocks,
                     max_mapnr, nr_pages, 0, nr_pages, 0, 1)
    text = VMCOREINFO.encode()
    if version >= 4:
        text = note("VMCOREINFO", 0, text)
    sub = bytearray(block * sub_hdr_size)
    off, size = block + 256, len(text)
    vmci = (off, size, 0, 0) if version < 4 else (0, 0, off, size)
    # phys_base, dump_level, split, start_pfn, end_pfn, offset_vmcoreinfo,
    # size_vmcoreinfo, offset_note, size_note, offset_eraseinfo,
    # size_eraseinfo, start_pfn_64, end_pfn_64, max_mapnr_64
    struct.pack_into("<QiiQQqQqQqQQQQ", sub, 0, 0, 31, 0, 0, 0, *vmci, 0, 0, 0, 0, max_mapnr)
    sub[256:256 + size] = text
    bitmap = bytearray(block * bitmap_blocks)
    for pfn in range(nr_pages):
        bitmap[pfn // 8] |= 1 << (pfn % 8)  # RAM
        bitmap[block + pfn // 8] |= 1 << (pfn % 8)  # dumped
    table_off = block * (1 + sub_hdr_size + bitmap_blocks)
    data_off = table_off + 24 * nr_pages
    descs = bytearray()
    pages = bytearray()
    for pfn in range(nr_pages):
        descs += struct.pack("<qIIQ", data_off + pfn * block, block, 0, 0)
        pages += page_fill(100 + pfn, block)
    return bytes(hdr + sub + bitmap + descs + pages)


# --- makedumpfile flattened format -------------------------------------------


def flattened(payload, chunk=3000):
    """Cut @payload into records, written out of order (the format allows it)."""
    hdr = bytearray(PAGE)
    hdr[0:12] = b"makedumpfile"
    struct.pack_into(">qq", hdr, 16, 1, 1)
    recs = [(o, payload[o:o + chunk]) for o in range(0, len(payload), chunk)]
    recs = recs[1:] + recs[:1]
    out = bytearray(hdr)
    for o, data in recs:
        out += struct.pack(">qq", o, len(data)) + data
    out += struct.pack(">qq", -1, 0)
    return bytes(out)


def source_seeds():
    one = elf_core([(RAM_PA, 0, 2 * PAGE, 2 * PAGE)])
    return {
        "elf-1load": one,
        "elf-2loads-zerotail": elf_core([(RAM_PA, 0, PAGE, 3 * PAGE),
                                         (RAM_PA + 0x100000, 0, PAGE, PAGE)]),
        # The kernel image seen through its virtual addresses, as kexec writes.
        "elf-3loads-vaddr": elf_core([(RAM_PA + 0x200000, 0xffff800080000000, PAGE, PAGE),
                                      (RAM_PA, 0, PAGE, PAGE),
                                      (RAM_PA + 0x10000, 0, 2 * PAGE, 2 * PAGE)]),
        "elf-no-vmcoreinfo": elf_core([(RAM_PA, 0, PAGE, PAGE)], vmcoreinfo=None),
        "elf-truncated": one[:len(one) - PAGE - 100],
        "kdump-v3": kdump_file(3),
        "kdump-v6": kdump_file(6),
        "flattened-elf": flattened(elf_core([(RAM_PA, 0, PAGE, PAGE)])),
        # Cut short: decoded as far as the bytes go (partial dumps).
        "kdump-v6-cut": kdump_file(6)[:-PAGE - 7],
        "flattened-kdump-cut": flattened(kdump_file(6))[:-PAGE - 40],
        "flattened-kdump": flattened(kdump_file(6)),
        "vmcoreinfo.txt": VMCOREINFO.encode() + b"NUMBER(x)=-0x10\r\nnoequals\n\nKEY=",
    }


def real_source_seeds(pages=2):
    """Pieces of the real dumps (the real-kernel cache, when warm): each ELF
    vmcore's headers and notes with its PT_LOADs cut to @pages pages (and
    one whose first PT_LOAD still claims its whole size: a dump cut short),
    and the first 64 KiB of each kdump (headers, bitmaps: cut short)."""
    import glob
    real = os.path.expanduser(os.environ.get("HYPMEM_REAL_CACHE", "~/.cache/hypmem-real"))
    out = {}
    for d in sorted(glob.glob(os.path.join(real, "dumps", "*"))):
        name = os.path.basename(d)
        try:
            with open(os.path.join(d, "vmcore"), "rb") as f:
                eh = f.read(64)
                phoff, = struct.unpack_from("<Q", eh, 32)
                phnum, = struct.unpack_from("<H", eh, 56)
                if eh[:4] != b"\x7fELF" or phnum > 64:
                    continue
                f.seek(phoff)
                phs = [list(struct.unpack("<IIQQQQQQ", f.read(56))) for _ in range(phnum)]
                body, off = [], phoff + 56 * phnum
                for ph in phs:
                    n = ph[5] if ph[0] != PT_LOAD else min(ph[5], pages * PAGE)
                    if n > 1 << 20:
                        break
                    f.seek(ph[2])
                    body.append(f.read(n))
                    ph[2], ph[5] = off, n
                    if ph[0] == PT_LOAD:
                        ph[6] = n
                    off += n
                else:
                    head = bytearray(eh) + bytearray(phoff - 64)
                    for cut in (False, True):
                        phb = b"".join(struct.pack("<IIQQQQQQ", *ph) for ph in phs)
                        out["real-%s%s" % (name, "-cut" if cut else "")] = \
                            bytes(head[:phoff]) + phb + b"".join(body)
                        for ph in phs:  # the cut one claims the original sizes
                            if ph[0] == PT_LOAD:
                                ph[5] = ph[6] = 1 << 31
            with open(os.path.join(d, "vmcore.kdump"), "rb") as f:
                out["real-%s-kdump-64k" % name] = f.read(64 * 1024)
        except OSError:
            continue
    return out


# --- decode patch lists --------------------------------------------------------


def patch(where, offset, data):
    assert 1 <= len(data) <= 16
    return struct.pack("<BIB", where, offset, len(data) - 1) + data


def decode_seeds(layout):
    entry = {8: 8, 4: 4, 32: 32}[layout]
    ram_pages = (8 << 20) // PAGE  # POOLS_ENV_RAM_MIB of fuzz_decode.c
    vmemmap_pages = (ram_pages * entry + PAGE - 1) // PAGE
    pool1_pfn = (RAM_PA // PAGE) + vmemmap_pages + 64
    pool1_entry = (pool1_pfn - RAM_PA // PAGE) * entry
    free_area0 = 8  # struct hyp_pool: u32 lock, then list_head free_area[]
    return {
        "empty": b"",
        # free_area[0].next of hpool pointing at a page-aligned nowhere.
        "hpool-head": patch(1, free_area0, struct.pack("<Q", 0xdead000)),
        # free_area[2].prev of host_s2_pool cleared.
        "s2pool-prev": patch(2, free_area0 + 2 * 16 + 8, b"\0" * 8),
        # refcount and order of the first page of hpool.
        "vmemmap-entry": patch(0, pool1_entry, b"\x07\x00\x03"),
        # a few entries in a row, then the pool's range_end.
        "multi": patch(0, pool1_entry + 16 * entry, b"\xff" * 16) +
                 patch(1, free_area0 + 11 * 16 + 8, struct.pack("<Q", RAM_PA + 0x10000)),
        # pkvm_pgtable.start_level and __hyp_vmemmap's low byte.
        "pgtable": patch(3, 4, b"\x01") + patch(4, 0, b"\x08"),
    }


def main(argv):
    if len(argv) == 3 and argv[1] == "source":
        seeds, out = source_seeds(), argv[2]
        seeds.update(real_source_seeds())
    elif len(argv) == 4 and argv[1] == "decode" and argv[2] in ("8", "4", "32"):
        seeds, out = decode_seeds(int(argv[2])), argv[3]
    else:
        sys.stderr.write("usage: gen_corpus.py source OUTDIR | decode 8|4|32 OUTDIR\n")
        return 2
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
