#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Corruption: patch a real QEMU dump of the EL2 core with garbage, cut it
short, break its kdump headers: the decoder reports findings (exit 1) or a
clean error (exit 2), and never crashes.  Runs the ASan+UBSan build of
hypmem-stat when it exists.  Each named kind of damage, with the finding's
address, is in the corruption matrix (matrix.py, tests/README.md).

The pool structs are found from nm and the EL2 core's truth.json
(kimage_voffset), file offsets from the ELF program headers.
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
from hypmemtest import ElfCore, Tap, make_dumps, nm, no_crash, patched_core, tool  # noqa: E402

M64 = (1 << 64) - 1
t = Tap()


def run_stat(image, core):
    p = subprocess.run([tool("hypmem-stat"), "--json", image, core], capture_output=True,
                       text=True, timeout=120)
    out = None
    if p.returncode in (0, 1) and p.stdout:
        out = json.loads(p.stdout)
    return p, out


class Dump:
    def __init__(self, out):
        self.image = os.path.join(out, "el2.elf")
        self.core = os.path.join(out, "vmcore")
        with open(os.path.join(out, "truth.json")) as f:
            self.truth = json.load(f)
        self.elf = ElfCore(self.core)
        self.syms = nm(self.image)
        self.kvo = int(self.truth["hyp"]["kimage_voffset"], 16)

    def sym_pa(self, name):
        return (self.syms["__kvm_nvhe_" + name] - self.kvo) & M64


def unflatten(data):
    """makedumpfile's flattened format (what QEMU writes) to a plain file:
    a 4 KiB header, then records {be64 offset, be64 size, bytes}."""
    assert data[:12] == b"makedumpfile"
    pos, out = 4096, bytearray()
    while len(data) - pos >= 16:
        off, size = struct.unpack_from(">qq", data, pos)
        pos += 16
        if off < 0:
            break
        if len(out) < off + size:
            out.extend(bytes(off + size - len(out)))
        out[off:off + size] = data[pos:pos + size]
        pos += size
    return bytes(out)


def main():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("corruption tests", "qemu-system-aarch64 not installed")
        return t.done()
    out, err = make_dumps(8, 7, 512, 5000)
    if not t.ok(out is not None, "dump for corruption tests", err):
        return t.done()
    d = Dump(out)
    p, base = run_stat(d.image, d.core)
    t.ok(p.returncode == 0 and base and not base["findings"], "unpatched dump is clean",
         p.stderr)

    # Random garbage over the pool structs: findings or errors, never a crash.
    rng = random.Random(7)
    for i in range(6):
        patches = {}
        for pool_name in ("hpool", "host_s2_pool"):
            base_pa = d.sym_pa(pool_name)
            for _ in range(8):
                patches[base_pa + rng.randrange(0, 200)] = bytes([rng.randrange(256)])
        core = patched_core(d.core, d.elf, patches,
                        os.path.join(tempfile.mkdtemp(prefix="hypmem-corrupt-"), "garbage%d" % i))
        p, _ = run_stat(d.image, core)
        t.ok(no_crash(p), "garbage in pool structs #%d: no crash (exit %d)" % (i, p.returncode),
             p.stderr[-2000:])
        shutil.rmtree(os.path.dirname(core), ignore_errors=True)

    # A truncated ELF core and a truncated kdump file: exit 2 with one line.
    tmpdir = tempfile.mkdtemp(prefix="hypmem-trunc-")
    try:
        for src in ("vmcore", "vmcore.kdump"):
            cut = os.path.join(tmpdir, src)
            size = os.path.getsize(os.path.join(out, src))
            with open(os.path.join(out, src), "rb") as fi, open(cut, "wb") as fo:
                fo.write(fi.read(size // 3))
            p, js = run_stat(d.image, cut)
            # Decoded as far as its bytes go (partial.py), or refused in one line.
            cut_ok = (p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1) or \
                (p.returncode == 1 and js and
                 any(f["kind"] == "dump_truncated" for f in js["findings"]))
            t.ok(cut_ok and no_crash(p),
                 "truncated %s: dump_truncated (exit 1) or a one-line error (exit 2)" % src,
                 "exit %d\n%s" % (p.returncode, p.stderr[-2000:]))
        # kdump headers that libkdumpfile 0.5.1 mishandles on a failed open
        # (it reads freed state): a bad version, notes past the end.
        flat = open(os.path.join(out, "vmcore.kdump"), "rb").read()
        whole = unflatten(flat)
        block = struct.unpack_from("<I", whole, 428)[0]
        for name, patch in (("version 99", [(8, struct.pack("<i", 99))]),
                            ("notes past the end",
                             [(block + 48, struct.pack("<QQ", len(whole) + 4096, 100))]),
                            ("VMCOREINFO past the end",
                             [(block + 32, struct.pack("<QQ", len(whole) - 10, 100))])):
            bad = bytearray(whole)
            for off, data in patch:
                bad[off:off + len(data)] = data
            path = os.path.join(tmpdir, "bad.kdump")
            with open(path, "wb") as f:
                f.write(bad)
            p, _ = run_stat(d.image, path)
            t.ok(p.returncode == 2 and no_crash(p), "kdump with %s: exit 2, no crash" % name,
                 "exit %d\n%s" % (p.returncode, p.stderr[-2000:]))
        # An image without DWARF.
        stripped = os.path.join(tmpdir, "el2-stripped.elf")
        subprocess.run(["aarch64-linux-gnu-objcopy", "--strip-debug", d.image, stripped],
                       check=True)
        p, _ = run_stat(stripped, d.core)
        t.ok(p.returncode == 2 and "DWARF" in p.stderr, "image without DWARF: exit 2",
             "exit %d\n%s" % (p.returncode, p.stderr))
        # Not a dump at all.
        p, _ = run_stat(d.image, d.image)
        t.ok(p.returncode == 2 and no_crash(p), "an ELF that is not a core: exit 2", p.stderr)
        p = subprocess.run([tool("hypmem-stat"), d.image, "/nonexistent"], capture_output=True,
                           text=True)
        t.ok(p.returncode == 2 and "nonexistent" in p.stderr, "missing file: exit 2", p.stderr)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
