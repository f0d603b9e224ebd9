#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Partial dumps: a dump cut short is decoded as far as its bytes go, with a
"dump_truncated" finding for what its headers claim but its bytes lack,
instead of being refused whole.

EL2 dumps (layout 8): the ELF core cut inside the second pool keeps the
first pool whole, and so does a raw image of RAM cut at the same place
(its cut is found from hyp_memory); the kdump cut short reports the pages
it lost.  Real 7.x
dump (when cached, see real.py): a copy in a temporary directory cut inside
host_s2_pool still shows hpool exactly as the whole dump does.  The cache is
never written.
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
from hypmemtest import ElfCore, Tap, make_dumps, no_crash, tool  # noqa: E402

t = Tap()


def stat(image, core):
    p = subprocess.run([tool("hypmem-stat"), "--json", image, core], capture_output=True,
                       text=True, timeout=120)
    out = json.loads(p.stdout) if p.returncode in (0, 1) and p.stdout else None
    return p, out


def copy_prefix(src, dst, n):
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        off = 0
        while off < n:
            c = os.copy_file_range(fi.fileno(), fo.fileno(), n - off, off, off)
            if c <= 0:
                break
            off += c


def load_phdr(core):
    """(p_offset, p_paddr, p_filesz) of each PT_LOAD."""
    with open(core, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        out = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ph = f.read(56)
            typ, = struct.unpack_from("<I", ph, 0)
            off, _va, pa, fsz = struct.unpack_from("<QQQQ", ph, 8)
            if typ == 1:
                out.append((off, pa, fsz))
        return out


def pool(out, name):
    for p in out["pools"] if out else []:
        if p["name"] == name:
            return p
    return None


def truncated(out):
    return [f for f in (out or {}).get("findings", []) if f["kind"] == "dump_truncated"]


def check_elf_cut(label, image, core, tmp, keep, cut_in, whole):
    """Cut @core inside pool @cut_in; pool @keep must decode as in @whole."""
    p_in = pool(whole, cut_in)
    cut_pa = (int(p_in["range_start"], 16) + int(p_in["range_end"], 16)) // 2 & ~0xfff
    loads = load_phdr(core)
    seg = [s for s in loads if s[1] <= cut_pa < s[1] + s[2]][0]
    cut_off = seg[0] + (cut_pa - seg[1])
    path = os.path.join(tmp, label + ".vmcore")
    copy_prefix(core, path, cut_off)
    p, out = stat(image, path)
    t.ok(no_crash(p) and p.returncode == 1 and out is not None,
         "%s: ELF cut at PA 0x%x is decoded (exit 1)" % (label, cut_pa), p.stderr)
    tr = truncated(out)
    t.ok(len(tr) >= 1 and int(tr[0]["address"], 16) == cut_pa,
         "%s: dump_truncated at the first missing PA 0x%x" % (label, cut_pa), json.dumps(tr))
    a, b = pool(out, keep), pool(whole, keep)
    t.ok(a is not None and a["free_pages"] == b["free_pages"] and a["nr_pages"] == b["nr_pages"],
         "%s: pool %s, whole in the file, decodes as in the whole dump" % (label, keep),
         "cut %s whole %s" % (a, b))
    c = pool(out, cut_in)
    t.ok(c is not None and c["findings"] > 0,
         "%s: pool %s, cut, has findings" % (label, cut_in), str(c))
    os.unlink(path)

    # Nothing of memory left: a clean refusal or a decode full of findings, never a crash.
    path = os.path.join(tmp, label + "-hdr.vmcore")
    copy_prefix(core, path, loads[0][0])
    p, out = stat(image, path)
    t.ok(no_crash(p) and p.returncode in (1, 2) and p.stderr.strip() if p.returncode == 2 else
         no_crash(p) and truncated(out),
         "%s: ELF cut after its headers: exit %d with a message" % (label, p.returncode),
         p.stderr)
    os.unlink(path)


def check_raw_cut(label, image, core, tmp, keep, cut_in, whole, truth):
    """A raw image of RAM cut inside pool @cut_in (only for single-PT_LOAD cores)."""
    loads = load_phdr(core)
    if len(loads) != 1:
        t.skip("%s: raw image cut short" % label, "core has %d PT_LOADs" % len(loads))
        return
    off, base, _ = loads[0]
    p_in = pool(whole, cut_in)
    cut_pa = (int(p_in["range_start"], 16) + int(p_in["range_end"], 16)) // 2 & ~0xfff
    path = os.path.join(tmp, label + ".raw")
    with open(core, "rb") as fi, open(path, "wb") as fo:
        n, pos = cut_pa - base, 0
        while pos < n:
            c = os.copy_file_range(fi.fileno(), fo.fileno(), n - pos, off + pos, pos)
            if c <= 0:
                break
            pos += c
    p = subprocess.run([tool("hypmem-stat"), "--json", "-s", image, "--raw",
                        "%s@0x%x" % (path, base), "--kaslr-offset", "0",
                        "--kimage-voffset", truth["hyp"]["kimage_voffset"]],
                       capture_output=True, text=True, timeout=120)
    out = json.loads(p.stdout) if p.returncode in (0, 1) and p.stdout else None
    tr = truncated(out)
    t.ok(no_crash(p) and p.returncode == 1 and tr and int(tr[0]["address"], 16) == cut_pa,
         "%s: raw image cut at PA 0x%x: dump_truncated there (exit 1)" % (label, cut_pa),
         p.stderr + json.dumps(tr))
    a, b = pool(out, keep), pool(whole, keep)
    t.ok(a is not None and a["free_pages"] == b["free_pages"],
         "%s: raw cut: pool %s decodes as in the whole dump" % (label, keep), str(a))
    os.unlink(path)


def check_kdump_cut(label, image, kdump, tmp, frac):
    size = os.path.getsize(kdump)
    path = os.path.join(tmp, label + ".kdump")
    copy_prefix(kdump, path, int(size * frac))
    p, out = stat(image, path)
    t.ok(no_crash(p) and p.returncode == 1 and truncated(out),
         "%s: kdump cut at %d%% is decoded with dump_truncated (exit 1)" %
         (label, frac * 100), p.stderr + json.dumps(truncated(out))[:2000])
    os.unlink(path)


def main():
    tmp = tempfile.mkdtemp(prefix="hypmem-partial-")
    try:
        d, err = make_dumps(8, 7, 512, 5000)
        if not d:
            t.ok(False, "EL2 dumps (layout 8)", err)
        else:
            image = os.path.join(d, "el2.elf")
            core = os.path.join(d, "vmcore")
            p, whole = stat(image, core)
            t.ok(p.returncode == 0 and whole, "EL2 L8: the whole dump is clean", p.stderr)
            names = [x["name"] for x in whole["pools"]]
            # Pools sorted by address: cut inside the last, keep the first.
            by_addr = sorted(whole["pools"], key=lambda x: int(x["range_start"], 16))
            check_elf_cut("el2-L8", image, core, tmp, by_addr[0]["name"], by_addr[-1]["name"],
                          whole)
            t.ok(len(names) >= 2, "EL2 L8: two pools or more", str(names))
            with open(os.path.join(d, "truth.json")) as f:
                truth = json.load(f)
            check_raw_cut("el2-L8", image, core, tmp, by_addr[0]["name"], by_addr[-1]["name"],
                          whole, truth)
            kd = os.path.join(d, "vmcore.kdump")
            check_kdump_cut("el2-L8", image, kd, tmp, 0.8)
            # Cut before the hypervisor's own state: refused, naming what is missing.
            path = os.path.join(tmp, "el2-L8-short.kdump")
            copy_prefix(kd, path, int(os.path.getsize(kd) * 0.3))
            p, out = stat(image, path)
            t.ok(no_crash(p) and (p.returncode == 2 and "cut short" in p.stderr or
                                  p.returncode == 1 and truncated(out)),
                 "el2-L8: kdump cut at 30%%: exit %d, names the cut" % p.returncode, p.stderr)

        cache = os.path.expanduser(os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real")
        real = sorted(glob.glob(os.path.join(cache, "dumps", "7.x-nvhe-*", "vmcore")))
        if not real:
            t.skip("real 7.x dump cut short", "no cached 7.x dump (tests/qemu/real/real-dumps)")
        else:
            rd = os.path.dirname(real[0])
            image = os.path.join(rd, "vmlinux")
            p, whole = stat(image, real[0])
            t.ok(p.returncode in (0, 1) and whole, "real 7.x: the whole dump decodes", p.stderr)
            if whole:
                by_addr = sorted((x for x in whole["pools"] if x["nr_pages"] > 1),
                                 key=lambda x: int(x["range_start"], 16))
                check_elf_cut("real-7.x", image, real[0], tmp, by_addr[0]["name"],
                              by_addr[-1]["name"], whole)
                check_kdump_cut("real-7.x", image, os.path.join(rd, "vmcore.kdump"), tmp, 0.9)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
