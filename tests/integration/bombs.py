#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Resource bombs: inputs built to exhaust time or memory.  Each must be
answered within 2 s and 256 MiB (getrusage of the child) with exit 1 or 2
and a message, never a crash or a hang.

Generated here, in a temporary directory, never committed:
  DWARF   typedef chains and nested structs 10^4 deep, type graphs with
          cycles (typedef loops of 2 and 10^4 links, const <-> volatile,
          an array of itself, a struct holding itself; hand-made), an array of 2^31
          elements in struct hyp_pool (C compiled with gcc -g), a
          .debug_info of 10^6 compile units, a .symtab of 10^7 entries,
          sections claiming bytes past the end of the file (hand-made ELF);
  cores   PT_LOADs claiming a terabyte past the end of the file,
          overlapping PT_LOADs, a kdump header claiming 2^40 pages;
  lists   free lists a naive walk follows forever: the EL2 dump (layout 8)
          with hpool's order-0 list a cycle through 1, 2 and every page of
          the pool (each a list_cycle finding at a node), and with the
          range widened to 2^40 pages besides.
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


# --- hand-made DWARF: type graphs with cycles ---
# gcc never writes a cycle but a damaged or hostile file may: a typedef or
# qualifier chain that comes back to its start, an array of itself, a
# struct holding itself by value, pointers through all of them.  DWARF 4,
# one compile unit; refs are DW_FORM_ref4 (offsets from the unit's start).
# Abbrev codes: 1 compile_unit, 2 structure_type, 3 member, 4 typedef,
# 5 pointer_type, 6 const_type, 7 volatile_type, 8 array_type,
# 9 subrange_type, 10 base_type.
DW_ABBREVS = bytes([
    1, 0x11, 1, 0x03, 0x08, 0x13, 0x0b, 0, 0,
    2, 0x13, 1, 0x03, 0x08, 0x0b, 0x05, 0, 0,
    3, 0x0d, 0, 0x03, 0x08, 0x49, 0x13, 0x38, 0x05, 0, 0,
    4, 0x16, 0, 0x03, 0x08, 0x49, 0x13, 0, 0,
    5, 0x0f, 0, 0x0b, 0x0b, 0x49, 0x13, 0, 0,
    6, 0x26, 0, 0x49, 0x13, 0, 0,
    7, 0x35, 0, 0x49, 0x13, 0, 0,
    8, 0x01, 1, 0x49, 0x13, 0, 0,
    9, 0x21, 0, 0x2f, 0x06, 0, 0,
    10, 0x24, 0, 0x03, 0x08, 0x0b, 0x0b, 0x3e, 0x0b, 0, 0,
    0])


CYCLES = {  # kind: the type of hyp_pool.range_start
    "typedef-loop": "td0",    # t0 -> t1 -> ... -> t0
    "const-volatile": "cv0",  # const -> volatile -> const
    "array-of-itself": "arr",
    "struct-holds-itself": "hyp_pool",
    "pointer-to-loop": "ptr",  # pointer -> pointer -> the typedef loop
}


def dwarf_cycles(path, kind, depth):
    """struct hyp_page (clean) and struct hyp_pool whose range_start has a
    type graph with a cycle of kind @kind (CYCLES), typedef loops of @depth
    links."""
    dies = []  # (label, [bytes or callable(labels) -> bytes])

    def s(x):
        return x.encode() + b"\0"

    def ref(lbl):
        return lambda L: struct.pack("<I", L[lbl])

    def die(label, code, *parts):
        dies.append((label, [bytes([code])] + list(parts)))

    die("cu", 1, s("arch/arm64/kvm/hyp/nvhe/bomb.c"), bytes([0x0c]))
    die("u16", 10, s("unsigned short"), bytes([2, 7]))
    die("u64", 10, s("long long unsigned int"), bytes([8, 7]))
    die("hyp_page", 2, s("hyp_page"), struct.pack("<H", 4))
    die(None, 3, s("refcount"), ref("u16"), struct.pack("<H", 0))
    die(None, 3, s("order"), ref("u16"), struct.pack("<H", 2))
    dies.append((None, [b"\0"]))
    die("hyp_pool", 2, s("hyp_pool"), struct.pack("<H", 200))
    die(None, 3, s("free_area"), ref("u64"), struct.pack("<H", 0))
    die(None, 3, s("range_start"), ref(CYCLES[kind]), struct.pack("<H", 176))
    die(None, 3, s("range_end"), ref("u64"), struct.pack("<H", 184))
    die(None, 3, s("max_order"), ref("u16"), struct.pack("<H", 192))
    dies.append((None, [b"\0"]))
    for i in range(depth):
        die("td%d" % i, 4, s("t%d" % i), ref("td%d" % ((i + 1) % depth)))
    die("cv0", 6, ref("cv1"))
    die("cv1", 7, ref("cv0"))
    die("arr", 8, ref("arr"))
    die(None, 9, struct.pack("<I", 10))
    dies.append((None, [b"\0"]))
    die("ptr", 5, bytes([8]), ref("pp"))
    die("pp", 5, bytes([8]), ref("td0"))
    dies.append((None, [b"\0"]))  # end of the unit's children

    labels, off = {}, 11
    for label, parts in dies:
        if label:
            labels[label] = off
        off += sum(4 if callable(x) else len(x) for x in parts)
    body = b"".join(x(labels) if callable(x) else x for _l, parts in dies for x in parts)
    info = struct.pack("<IHIB", 7 + len(body), 4, 0, 8) + body
    elf_file(path, [(".debug_abbrev", 1, DW_ABBREVS, 0, 0, None),
                    (".debug_info", 1, info, 0, 0, None)])


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
        for kind in CYCLES:
            for depth in (2, 10 ** 4) if kind == "typedef-loop" else (2,):
                name = "cycle-%s%s" % (kind, "-1e4" if depth > 2 else "")
                p = os.path.join(tmp, name + ".o")
                dwarf_cycles(p, kind, depth)
                # The loop is a finding (exit 1, naming the DIE); a pointer
                # to a loop is printed by name, never followed.
                bounded(name + " (layout)", [DUMP, "layout", p],
                        codes=(0, 1) if kind == "pointer-to-loop" else (1,))
                bounded(name + " (layout --json)", [DUMP, "layout", "--json", p],
                        codes=(0, 1) if kind == "pointer-to-loop" else (1,))
                if core:
                    bounded(name, [STAT, p, core])
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
    """Free lists a naive walk would follow forever (10^8 steps and more):
    hpool's order-0 list made a cycle through one node, through two, and
    through every page of the pool (the last node back to the first, never
    to the head: every free page of it), with the range as it is; then the range widened to 2^40
    pages besides.  Each is bounded, and each cycle is a named finding:
    list_cycle at a node of the list, or list_too_long at its head when
    the cycle is longer than the walk's cap lets it be seen."""
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
    start, end = int(hp["range_start"], 16), int(hp["range_end"], 16)

    def va(pa):
        return (pa - hpo) & ((1 << 64) - 1)

    def ring(nodes):
        """head -> nodes[0] -> ... -> nodes[-1] -> nodes[0]."""
        p = {pool + fa: struct.pack("<QQ", va(nodes[0]), va(nodes[-1]))}
        for i, n in enumerate(nodes):
            p[n] = struct.pack("<QQ", va(nodes[(i + 1) % len(nodes)]),
                               va(nodes[i - 1]) if i else va(pool + fa))
        return p

    # Nodes in pages nobody holds (refcount 0): the pool's own page tables
    # stay intact, so the walk meets the cycle and nothing else.
    p = subprocess.run([DUMP, "vmemmap", "--json", "--range",
                        "0x%x-0x%x" % (start >> 12, (end >> 12) - 1), image, core],
                       capture_output=True, text=True, timeout=60)
    pages = [int(x["pfn"], 16) << 12 for x in json.loads(p.stdout)["pages"]
             if x["refcount"] == 0]
    if not t.ok(len(pages) >= 64, "free-list bomb: %d free pages in hpool" % len(pages)):
        return
    cases = [("free-list-cycle-1", ring(pages[:1]), pages[:1]),
             ("free-list-cycle-2", ring(pages[:2]), pages[:2]),
             ("free-list-cycle-%d" % len(pages), ring(pages), pages)]
    wide = dict(ring(pages[:1]))
    wide[pool + re_] = struct.pack("<Q", start + (1 << 52))  # 2^40 pages
    wide[pool + rs] = struct.pack("<Q", start)
    cases.append(("free-list-1e8-steps", wide, None))
    for name, patches, nodes in cases:
        path = patched_core(core, elf, patches, os.path.join(tmp, "list.vmcore"))
        bounded(name, [STAT, image, path])
        if nodes:
            p = subprocess.run([STAT, "--json", image, path], capture_output=True, text=True,
                               timeout=30)
            try:
                found = json.loads(p.stdout)["findings"]
            except (ValueError, KeyError):
                found = []
            # Brent's walk names the cycle at a node; a cycle longer than
            # it can see within one step per pool page ends at the cap,
            # named at the list's head.
            hits = [f for f in found
                    if (f["kind"] == "list_cycle" and int(f["address"], 16) in nodes)
                    or (f["kind"] == "list_too_long" and int(f["address"], 16) == pool + fa)]
            t.ok(len(hits) >= 1, "bomb %s: %s at %s" % (name, hits[0]["kind"] if hits else
                                                       "no list_cycle/list_too_long",
                                                       hits[0]["address"] if hits else "-"),
                 "findings: %s" % [(f["kind"], f["address"]) for f in found
                                   if f["kind"].startswith("list")][:10])
        os.unlink(path)

if __name__ == "__main__":
    sys.exit(main())
