#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Resource bombs: inputs built to exhaust time or memory.  Each must be
answered within 2 s and 256 MiB (getrusage of the child) with exit 1 or 2
and a message, never a crash or a hang.

Generated here, in a temporary directory, never committed:
  DWARF   typedef chains and nested structs 10^4 deep, an array of 2^31
          elements in struct hyp_pool (C compiled with gcc -g), a
          .debug_info of 10^6 compile units, a .symtab of 10^7 entries,
          sections claiming bytes past the end of the file (hand-made ELF);
  cores   PT_LOADs claiming a terabyte past the end of the file,
          overlapping PT_LOADs, a kdump header claiming 2^40 pages;
  lists   a free list of 10^8 steps: the EL2 dump (layout 8) with a pool's
          range widened to 2^40 pages and its order-0 list made a cycle.
The timings and peak memory are printed as TAP comments (tests/README).
"""
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, ElfCore, Tap, layout, make_dumps, nm, no_crash, patched_core  # noqa: E402

t = Tap()
LIMIT_S = 2.0
LIMIT_KB = 256 * 1024
# The plain build: ASan's shadow memory and slowdown would measure ASan.
STAT = os.path.join(BUILD, "hypmem-stat")
DUMP = os.path.join(BUILD, "hypmem-dump")


def measured(cmd):
    """Run @cmd; (process, seconds, peak KiB) from the child's rusage."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    secs = time.monotonic() - start
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: run each bomb in a
    # fresh wrapper so the figure is its own.
    return subprocess.CompletedProcess(cmd, p.returncode, out, err), secs, ru.ru_maxrss


def bounded(name, cmd, codes=(1, 2)):
    """One bomb: exit in @codes with a message, under the limits."""
    wrap = [sys.executable, "-c", WRAPPER] + cmd
    p = subprocess.run(wrap, capture_output=True, text=True, timeout=60)
    try:
        rc, secs, kb, err = json.loads(p.stdout.splitlines()[-1])
    except (ValueError, IndexError):
        t.ok(False, "bomb %s: measured" % name, p.stdout[-500:] + p.stderr[-500:])
        return
    msg = err.strip().splitlines()[-1] if err.strip() else ""
    crash = "Sanitizer" in err or "runtime error" in err or rc < 0 or rc > 2
    print("# bomb %-28s exit %d  %.2f s  %d MiB  %s" % (name, rc, secs, kb // 1024, msg[:90]))
    t.ok(not crash and rc in codes and secs < LIMIT_S and kb < LIMIT_KB and (msg or rc != 2),
         "bomb %s: exit %d in %.2f s, %d MiB" % (name, rc, secs, kb // 1024),
         "exit %d\n%s" % (rc, err[-1500:]))


# Runs the command, reports (exit, seconds, peak KiB, stderr) as JSON: its own
# RUSAGE_CHILDREN holds only this one child.
WRAPPER = r"""
import json, resource, subprocess, sys, time
s = time.monotonic()
try:
    p = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=30)
    rc, err = p.returncode, p.stderr
except subprocess.TimeoutExpired:
    rc, err = 124, "timeout"
secs = time.monotonic() - s
print(json.dumps([rc, secs, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, err]))
"""


# --- hand-made ELF files ---

def elf_file(path, sections, etype=1, machine=183, phdrs=b"", phnum=0):
    """An ELF64 LE file with @sections [(name, type, data, link, entsize, size_override)]."""
    shstr = b"\0" + b"".join(s[0].encode() + b"\0" for s in sections) + b".shstrtab\0"
    names, off = [], 1
    for s in sections:
        names.append(off)
        off += len(s[0]) + 1
    shstr_name = off
    body = bytearray()
    base = 64 + len(phdrs)
    offs = []
    for s in sections:
        offs.append(base + len(body))
        body += s[2]
        body += b"\0" * (-len(body) % 8)
    shstr_off = base + len(body)
    body += shstr
    body += b"\0" * (-len(body) % 8)
    shoff = base + len(body)
    sh = bytearray(64)  # null section
    for i, s in enumerate(sections):
        size = s[5] if s[5] is not None else len(s[2])
        sh += struct.pack("<IIQQQQIIQQ", names[i], s[1], 0, 0, offs[i], size, s[3], 0, 1, s[4])
    sh += struct.pack("<IIQQQQIIQQ", shstr_name, 3, 0, 0, shstr_off, len(shstr), 0, 0, 1, 0)
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, 0, 64 if phnum else 0, shoff, 0, 64,
                      56, phnum, 64, len(sections) + 2, len(sections) + 1)
    with open(path, "wb") as f:
        f.write(eh + phdrs + bytes(body) + bytes(sh))


def abbrev_cu():
    # code 1: DW_TAG_compile_unit, no children, no attributes.
    return bytes([1, 0x11, 0, 0, 0, 0])


def many_cus(path, n):
    cu = struct.pack("<IHIB", 7 + 1, 4, 0, 8) + bytes([1])  # DWARF 4 header + one DIE
    elf_file(path, [(".debug_abbrev", 1, abbrev_cu(), 0, 0, None),
                    (".debug_info", 1, cu * n, 0, 0, None)])


def many_symbols(path, n):
    strtab = b"\0hpool\0"
    sym = struct.pack("<IBBHQQ", 1, 0x11, 0, 1, 0xffff800008000000, 8)
    cu = struct.pack("<IHIB", 7 + 1, 4, 0, 8) + bytes([1])
    elf_file(path, [(".debug_abbrev", 1, abbrev_cu(), 0, 0, None),
                    (".debug_info", 1, cu, 0, 0, None),
                    (".strtab", 3, strtab, 0, 0, None),
                    (".symtab", 2, bytes(24) + sym * n, 4, 24, None)])


def section_past_eof(path):
    elf_file(path, [(".debug_abbrev", 1, abbrev_cu(), 0, 0, 1 << 40),
                    (".debug_info", 1, struct.pack("<IHIB", 8, 4, 0, 8) + bytes([1]), 0, 0,
                     1 << 40)])


def gcc_dwarf(tmp, name, src):
    c = os.path.join(tmp, name + ".c")
    o = os.path.join(tmp, name + ".o")
    with open(c, "w") as f:
        f.write(src)
    p = subprocess.run(["gcc", "-g", "-c", "-o", o, c], capture_output=True, text=True)
    return o if p.returncode == 0 else None


def deep_typedefs(n):
    lines = ["struct list_head { struct list_head *next, *prev; };",
             "typedef struct list_head t0;"]
    lines += ["typedef t%d t%d;" % (i - 1, i) for i in range(1, n)]
    lines.append("struct hyp_pool { t%d free_area[11]; unsigned long range_start, range_end;"
                 " unsigned short max_order; };" % (n - 1))
    lines.append("struct hyp_pool hpool;")
    return "\n".join(lines) + "\n"


def deep_structs(n):
    src = "struct list_head { struct list_head *next, *prev; };\n"
    src += "struct hyp_pool {\n" + "struct {\n" * n + "int x;\n" + "} s;\n" * n
    src += "struct list_head free_area[11]; unsigned long range_start, range_end;" \
           " unsigned short max_order; };\nstruct hyp_pool hpool;\n"
    return src


def huge_array():
    return ("struct list_head { struct list_head *next, *prev; };\n"
            "struct hyp_pool { struct list_head free_area[0x80000000UL];"
            " unsigned long range_start, range_end; unsigned short max_order; };\n"
            "extern struct hyp_pool hpool; struct hyp_pool *p = &hpool;\n")


# --- cores ---

def core_with_loads(path, loads, size):
    """An ET_CORE with PT_LOADs [(offset, paddr, filesz, memsz)], file of @size bytes."""
    ph = b"".join(struct.pack("<IIQQQQQQ", 1, 4, off, pa, pa, fsz, msz, 0)
                  for off, pa, fsz, msz in loads)
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIQQQIHHHHHH", 4, 183, 1, 0, 64, 0, 0, 64, 56, len(loads), 64, 0, 0)
    with open(path, "wb") as f:
        f.write(eh + ph)
        f.truncate(size)


def kdump_2p40(path):
    """A diskdump header claiming 2^40 pages (max_mapnr_64 in the sub-header)."""
    h = bytearray(8192)
    h[0:8] = b"KDUMP   "
    struct.pack_into("<i", h, 8, 6)                # header_version
    off = 8 + 4 + 6 * 65                           # utsname (6 x 65)
    off += (-off) % 8
    off += 16                                      # struct timeval
    struct.pack_into("<I", h, off, 0)              # status
    struct.pack_into("<IIII", h, 428, 4096, 1, 2, 0xffffffff)  # block, sub, bitmap, mapnr
    # kdump sub-header (block 1): phys_base, dump_level, split, start/end_pfn,
    # offset/size_vmcoreinfo, note, eraseinfo, start/end_pfn_64, max_mapnr_64.
    sub = 4096
    struct.pack_into("<QiiQQ", h, sub, 0, 1, 0, 0, 0)
    struct.pack_into("<Q", h, sub + 112, 1 << 40)
    with open(path, "wb") as f:
        f.write(h)
        f.write(b"\xff" * 8192)


def dwarf_bomb(name, path, core):
    """hypmem-dump layout (DWARF alone: a clean decode is fine, if bounded),
    then hypmem-stat against a real core: exit 1 or 2 with a message."""
    bounded(name + " (layout)", [DUMP, "layout", path], codes=(0, 1, 2))
    if core:
        bounded(name, [STAT, path, core])


def main():
    tmp = tempfile.mkdtemp(prefix="hypmem-bombs-")
    d, err = make_dumps(8, 7, 512, 5000)
    core = os.path.join(d, "vmcore") if d else None
    try:
        for name, src in (("typedefs-1e4", deep_typedefs(10000)),
                          ("nested-structs-1e4", deep_structs(10000)),
                          ("array-2^31", huge_array())):
            o = gcc_dwarf(tmp, name, src)
            if not o:
                t.skip("bomb %s" % name, "gcc could not build it")
                continue
            dwarf_bomb(name, o, core)
        p = os.path.join(tmp, "cus.o")
        many_cus(p, 10 ** 6)
        dwarf_bomb("compile-units-1e6", p, core)
        p = os.path.join(tmp, "syms.o")
        many_symbols(p, 10 ** 7)
        dwarf_bomb("symbols-1e7", p, core)
        os.unlink(p)
        p = os.path.join(tmp, "eof.o")
        section_past_eof(p)
        dwarf_bomb("sections-past-eof", p, core)

        image = os.path.join(d, "el2.elf") if d else None
        if not d:
            t.ok(False, "EL2 dumps (layout 8)", err)
        else:
            p = os.path.join(tmp, "tera.core")
            core_with_loads(p, [(4096, 0x40000000, 1 << 40, 1 << 40)], 1 << 20)
            bounded("PT_LOAD-1TiB-past-eof", [STAT, image, p])
            # The EL2 core itself, its PT_LOADs claiming a terabyte each.
            subprocess.run(["cp", "--sparse=always", core, p], check=True)
            with open(p, "r+b") as f:
                eh = f.read(64)
                phoff, = struct.unpack_from("<Q", eh, 32)
                phnum, = struct.unpack_from("<H", eh, 56)
                for i in range(phnum):
                    f.seek(phoff + i * 56)
                    if struct.unpack("<I", f.read(4))[0] == 1:
                        f.seek(phoff + i * 56 + 32)
                        f.write(struct.pack("<QQ", 1 << 40, 1 << 40))
            bounded("EL2-core-PT_LOAD-1TiB", [STAT, image, p])
            core_with_loads(p, [(4096, 0x40000000, 1 << 20, 1 << 20),
                                (4096, 0x40080000, 1 << 20, 1 << 20)], 4 << 20)
            bounded("overlapping-PT_LOADs", [STAT, image, p])
            core_with_loads(p, [(4096 + i * 4096, 0x40000000 + i * 4096, 4096, 4096)
                                for i in range(60000)], 4096 + 60000 * 4096)
            bounded("6e4-PT_LOADs", [STAT, image, p])
            os.unlink(p)
            p = os.path.join(tmp, "huge.kdump")
            kdump_2p40(p)
            bounded("kdump-2^40-pages", [STAT, image, p])
            free_list_bomb(tmp, d, image)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


def free_list_bomb(tmp, d, image):
    """hpool's range widened to 2^40 pages and its order-0 list a cycle through
    one node: 10^8 steps would be the naive walk."""
    core = os.path.join(d, "vmcore")
    elf = ElfCore(core)
    with open(os.path.join(d, "truth.json")) as f:
        truth = json.load(f)
    syms = nm(image)
    lay = layout(BUILD, image)
    kvo = int(truth["hyp"]["kimage_voffset"], 16)
    hpo = int(truth["hyp"]["hyp_physvirt_offset"], 16)
    pool = (syms["__kvm_nvhe_hpool"] - kvo) & ((1 << 64) - 1)
    mem = lay["struct hyp_pool"]
    fa = mem["free_area"]["offset"]
    rs, re_ = mem["range_start"]["offset"], mem["range_end"]["offset"]
    hp = [x for x in truth["pools"] if x["name"] == "hpool"][0]
    start = int(hp["range_start"], 16)
    node_pa = start
    node_va = (node_pa - hpo) & ((1 << 64) - 1)
    head_va = (pool + fa - hpo) & ((1 << 64) - 1)
    patches = {
        pool + re_: struct.pack("<Q", start + (1 << 52)),  # 2^40 pages
        pool + rs: struct.pack("<Q", start),
        pool + fa: struct.pack("<QQ", node_va, node_va),
        # The node points at itself: an endless order-0 list.
        node_pa: struct.pack("<QQ", node_va, node_va),
    }
    del head_va
    path = patched_core(core, elf, patches, os.path.join(tmp, "list.vmcore"))
    bounded("free-list-1e8-steps", [STAT, image, path])
    os.unlink(path)


if __name__ == "__main__":
    sys.exit(main())
