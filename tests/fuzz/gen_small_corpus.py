#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Seed corpora for the in-memory parser harnesses, generated (no blobs):

  gen_small_corpus.py vmcoreinfo OUTDIR   VMCOREINFO texts (fuzz_vmcoreinfo)
  gen_small_corpus.py events OUTDIR       format texts + payloads (fuzz_events)
  gen_small_corpus.py tracefs OUTDIR      trace_pipe text trees (fuzz_tracefs)
  gen_small_corpus.py dwarf OUTDIR        small -g objects (fuzz_dwarf)

Each set is synthetic, written from the kernels' documented shapes, plus,
when the real-kernel cache (~/.cache/hypmem-real, tests/integration/
real.mk) is warm, pieces cut from it: the VMCOREINFO notes of the real
6.1/6.12/7.x dumps and the first lines of the tracing 7.2 kernel's
trace_pipe.  The real pieces only add seeds: without the cache the sets
are the synthetic ones, so make check runs the same everywhere.
"""
import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile

REAL = os.path.expanduser(os.environ.get("HYPMEM_REAL_CACHE", "~/.cache/hypmem-real"))


def put(outdir, name, data):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# --- VMCOREINFO ---------------------------------------------------------------

VMCI = ("OSRELEASE=7.2.13-fuzz\nBUILD-ID=0123456789abcdef0123456789abcdef01234567\n"
        "PAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffff800081a3b000\nSYMBOL(_stext)=ffff800080010000\n"
        "SYMBOL(mem_section)=ffff0000ff7f9000\nNUMBER(kimage_voffset)=0xffff7fff40000000\n"
        "NUMBER(VA_BITS)=48\nNUMBER(TCR_EL1_T1SZ)=16\nNUMBER(PHYS_OFFSET)=0x40000000\n"
        "NUMBER(KERNELPACMASK)=0xff80000000000000\nKERNELOFFSET=1c00000\nCRASHTIME=1700000000\n")


def real_vmcoreinfo():
    """The VMCOREINFO note of each real ELF dump (its PT_NOTE only: a few KiB read)."""
    out = []
    for core in sorted(glob.glob(os.path.join(REAL, "dumps", "*", "vmcore"))):
        try:
            with open(core, "rb") as f:
                eh = f.read(64)
                if eh[:4] != b"\x7fELF":
                    continue
                phoff, = struct.unpack_from("<Q", eh, 32)
                phnum, = struct.unpack_from("<H", eh, 56)
                f.seek(phoff)
                phs = f.read(56 * phnum)
                for i in range(phnum):
                    ptype, _fl, off, _va, _pa, fsz = struct.unpack_from("<IIQQQQ", phs, 56 * i)
                    if ptype != 4 or fsz > 1 << 20:
                        continue
                    f.seek(off)
                    notes = f.read(fsz)
                    pos = 0
                    while pos + 12 <= len(notes):
                        nsz, dsz, _t = struct.unpack_from("<III", notes, pos)
                        name = notes[pos + 12:pos + 12 + nsz].rstrip(b"\0")
                        dpos = pos + 12 + (nsz + 3) // 4 * 4
                        if name == b"VMCOREINFO":
                            out.append((os.path.basename(os.path.dirname(core)),
                                        notes[dpos:dpos + dsz].rstrip(b"\0")))
                        pos = dpos + (dsz + 3) // 4 * 4
        except OSError:
            continue
    return out


def gen_vmcoreinfo(outdir):
    put(outdir, "synthetic", VMCI)
    put(outdir, "negative", VMCI.replace("48", "-1").replace("0x40000000", "-0x10"))
    put(outdir, "dupes", VMCI + VMCI[:200])
    put(outdir, "no-newline", "OSRELEASE=x\nPAGESIZE=16384")
    put(outdir, "empty-keys", "=\n==\nSYMBOL()=\nNUMBER(=1\n")
    for name, text in real_vmcoreinfo():
        put(outdir, "real-" + name, text)


# --- formats and payloads -------------------------------------------------------

def remote_format(name, eid, fields, fmt):
    """As the 7.x remotes print it: offsets summed without alignment."""
    s = "name: %s\nID: %d\nformat:\n" % (name, eid)
    s += "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
    off = 2
    for ftype, fname, size, signed in fields:
        s += "\tfield:%s %s;\toffset:%d;\tsize:%d;\tsigned:%d;\n" % (ftype, fname, off, size, signed)
        off += size
    return s + "\nprint fmt: %s\n" % fmt


ENTER = [("u8", "reason", 1, 0), ("pid_t", "vcpu", 4, 1)]
ENTER_FMT = '"reason=%s vcpu=%d", __hyp_enter_exit_reason_str(REC->reason), REC->vcpu'
FORMATS = [
    remote_format("hyp_enter", 0, ENTER, ENTER_FMT),
    remote_format("hyp_exit", 1, ENTER, ENTER_FMT),
    remote_format("selftest", 2, [("u64", "id", 8, 0)], '"id=%llu", REC->id'),
    remote_format("host_mem_abort", 7, [("u64", "esr", 8, 0), ("u64", "addr", 8, 0)],
                  '"esr=0x%llx addr=0x%llx", REC->esr, REC->addr'),
    remote_format("tagged", 9, [("char", "tag[8]", 8, 0), ("s32", "delta", 4, 1)],
                  '"tag=%s delta=%d", REC->tag, REC->delta'),
]


def gen_events(outdir):
    def seed(text, payloads):
        t = text.encode()
        return struct.pack("<H", len(t)) + t + b"".join(bytes([len(p)]) + p for p in payloads)

    put(outdir, "all", seed("".join(FORMATS), [
        struct.pack("<HBi", 0, 4, 3), struct.pack("<HBi", 1, 1, -1),
        struct.pack("<HQ", 2, 12345), struct.pack("<HQQ", 7, 0x92000046, 0x1000),
        struct.pack("<H8si", 9, b"abcdefgh", -7), b"\x09\x00abc"]))
    for i, f in enumerate(FORMATS):
        put(outdir, "one-%d" % i, seed(f, [struct.pack("<H", i) + bytes(range(16))]))
    put(outdir, "percent", seed(remote_format("p", 3, [("u32", "x", 4, 0)],
                                              '"%%x=%08x %-5u %lu %p %c", REC->x, REC->x'),
                                [struct.pack("<HI", 3, 0xdeadbeef)]))


# --- trace_pipe text ------------------------------------------------------------

def real_lines():
    for p in sorted(glob.glob(os.path.join(REAL, "tracing-kernel", "runs", "*", "tracefs.txt")))[:1]:
        with open(p, "rb") as f:
            text = f.read(4096)
        return text[text.index(b"\n") + 1:text.rindex(b"\n") + 1]  # past "cpus=N"
    return None


def gen_tracefs(outdir):
    lines = []
    for i in range(40):
        name = ("hyp_enter", "hyp_exit")[i % 2]
        lines.append("[%03d]\t%5d.%06d: %s reason=%s vcpu=%d\n"
                     % (i % 2, 2, 170313 + 17 * i, name, ("hvc", "host_abort")[i % 2], i % 3 - 1))
    text = "".join(lines)
    put(outdir, "one-cpu", b"\0" + text.encode())
    put(outdir, "two-cpus", b"\1" + text.encode())
    lost = text[:400] + "CPU:1 [LOST 5 EVENTS]\n" + text[400:] + "[000]\t    3.000001: selftest id=77\n"
    put(outdir, "lost", b"\1" + lost.encode())
    hp = ("\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
          "\tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;\n"
          "\tfield: char data;\toffset:12;\tsize:4084;\tsigned:0;\n").encode()
    put(outdir, "header-page", b"\2" + struct.pack("<H", len(hp)) + hp + text.encode())
    fmt = remote_format("fuzz", 5, [("u32", "a", 4, 0), ("char", "s[4]", 4, 0)],
                        '"a=%u s=%s", REC->a, REC->s').encode()
    put(outdir, "extra-format", b"\4" + struct.pack("<H", len(fmt)) + fmt
        + b"[000]\t    1.000000: fuzz a=1 s=abc\n" + text.encode())
    real = real_lines()
    if real:
        put(outdir, "real-7.2", b"\0" + real)


# --- DWARF objects ----------------------------------------------------------------

DWARF_SRC = r"""
typedef unsigned long long u64; typedef unsigned int u32; typedef unsigned short u16;
typedef unsigned char u8; typedef struct { u32 lock; } hyp_spinlock_t;
struct list_head { struct list_head *next, *prev; };
enum pkvm_page_state { PKVM_PAGE_OWNED = 0, PKVM_PAGE_SHARED_OWNED = 1 << 0,
                       PKVM_NOPAGE = 1 << 2 };
struct hyp_page { u16 refcount; u8 order; u8 host_state : 4, host_share_guest_count : 4; };
struct hyp_pool { hyp_spinlock_t lock; struct list_head free_area[11];
                  u64 range_start, range_end; u16 max_order; };
struct kvm_pgtable { u32 ia_bits; s32_placeholder; u64 *pgd; union { u64 a; u32 b[2]; } u; };
struct kvm_hyp_memcache { u64 head; unsigned long nr_pages; };
struct hyp_pool hpool, host_s2_pool;
struct hyp_page *__hyp_vmemmap;
long hyp_physvirt_offset;
const char linux_banner[] = "Linux version 7.2.13-fuzz (fuzz@fuzz) #1 SMP\n";
int use(struct kvm_pgtable *p, struct kvm_hyp_memcache *m) { return p->ia_bits + (int)m->head; }
""".replace("s32_placeholder;", "int levels;")


def gen_dwarf(outdir):
    tmp = tempfile.mkdtemp(prefix="gen-dwarf-")
    try:
        src = os.path.join(tmp, "hyp.c")
        with open(src, "w") as f:
            f.write(DWARF_SRC)
        made = 0
        for cc in ("gcc", "clang"):
            if not shutil.which(cc):
                continue
            for ver in ("4", "5"):
                obj = os.path.join(tmp, "%s-dwarf%s.o" % (cc, ver))
                p = subprocess.run([cc, "-g", "-gdwarf-" + ver, "-O0", "-c", "-o", obj, src],
                                   capture_output=True)
                if p.returncode != 0:
                    continue
                # Code and relocations of code are not what is fuzzed: keep it small.
                subprocess.run(["objcopy", "--remove-section=.text", "--remove-section=.rela.text",
                                "--remove-section=.comment", "--remove-section=.note.GNU-stack",
                                "--remove-section=.eh_frame", "--remove-section=.rela.eh_frame",
                                obj], capture_output=True)
                with open(obj, "rb") as f:
                    put(outdir, os.path.basename(obj), f.read())
                made += 1
        if not made:
            sys.exit("gen_small_corpus.py: no gcc or clang to build DWARF seeds")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("vmcoreinfo", "events", "tracefs", "dwarf"):
        sys.exit("usage: gen_small_corpus.py vmcoreinfo|events|tracefs|dwarf OUTDIR")
    globals()["gen_" + sys.argv[1]](sys.argv[2])


if __name__ == "__main__":
    main()
