#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Corruption: patch a real QEMU dump of the EL2 core and check that the
decoder reports the right finding (exit 1), or a clean error (exit 2), and
never crashes.  Runs the ASan+UBSan build of hypmem-stat when it exists.

Where to patch is computed independently of the decoder's pool walk: symbol
addresses from nm, member offsets from DWARF (hypmem-dump layout), the
kernel-image and linear-map offsets from the EL2 core's own truth.json, and
file offsets from the ELF program headers.
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
from hypmemtest import BUILD, ElfCore, Tap, layout, make_dumps, nm, no_crash, patched_core, tool  # noqa: E402

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
        self.dir = out
        self.image = os.path.join(out, "el2.elf")
        self.core = os.path.join(out, "vmcore")
        with open(os.path.join(out, "truth.json")) as f:
            self.truth = json.load(f)
        self.elf = ElfCore(self.core)
        self.syms = nm(self.image)
        self.lay = layout(BUILD, self.image)
        hyp = self.truth["hyp"]
        self.kvo = int(hyp["kimage_voffset"], 16)
        self.hpo = int(hyp["hyp_physvirt_offset"], 16)
        self.carveout = int(hyp["carveout_base"], 16)
        self.ram_start = int(self.truth["target"]["ram_ranges"][0]["start"], 16)
        self.esz = self.truth["vmemmap"]["entry_size"]
        self.f = open(self.core, "rb")

    def sym_pa(self, name):
        return (self.syms["__kvm_nvhe_" + name] - self.kvo) & M64

    def lin_pa(self, va):
        return (va + self.hpo) & M64

    def pa_va(self, pa):
        return (pa - self.hpo) & M64

    def read64(self, pa):
        self.f.seek(self.elf.offset(pa))
        return struct.unpack("<Q", self.f.read(8))[0]

    def vmemmap_pa(self, pfn):
        # The vmemmap backing is the first part of the carve-out.
        return self.carveout + (pfn - (self.ram_start >> 12)) * self.esz

    def member(self, struct_name, member):
        return self.lay["struct " + struct_name][member]

    def list_head_pa(self, pool, order):
        fa = self.member("hyp_pool", "free_area")["offset"]
        return self.sym_pa(pool) + fa + 16 * order

    def list_nodes(self, pool, order):
        head_pa = self.list_head_pa(pool, order)
        head_va = self.pa_va(head_pa)
        nodes, cur = [], self.read64(head_pa)
        while cur != head_va and len(nodes) < 100000:
            nodes.append(cur)
            cur = self.read64(self.lin_pa(cur))
        return nodes


def expect_finding(d, name, patches, kind):
    core = patched_core(d.core, d.elf, patches,
                        os.path.join(tempfile.mkdtemp(prefix="hypmem-corrupt-"), name))
    try:
        p, out = run_stat(d.image, core)
        kinds = sorted({x["kind"] for x in out["findings"]}) if out else []
        t.ok(no_crash(p) and p.returncode == 1 and kind in kinds,
             "%s: finding %s, exit 1" % (name, kind),
             "exit %d, kinds %s\n%s" % (p.returncode, kinds, p.stderr[-2000:]))
    finally:
        shutil.rmtree(os.path.dirname(core), ignore_errors=True)


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


def field_bytes(d, struct_name, member, value):
    m = d.member(struct_name, member)
    return m["offset"], value.to_bytes(m["size"], "little")


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

    # Find a free list with at least two nodes, and one with exactly one.
    multi = single = None
    for pool in ("hpool", "host_s2_pool"):
        for order in range(11):
            nodes = d.list_nodes(pool, order)
            if len(nodes) >= 2 and not multi:
                multi = (pool, order, nodes)
            if len(nodes) == 1 and order >= 1 and not single:
                single = (pool, order, nodes)
    if not t.ok(multi is not None and single is not None, "suitable free lists found"):
        return t.done()
    pool, order, nodes = multi
    n1, n2 = nodes[0], nodes[1]

    # A cycle that never returns to the head: the 2nd node points back at the 1st.
    expect_finding(d, "cycle", {d.lin_pa(n2): struct.pack("<Q", n1)}, "list_cycle")

    # The list head points at a page outside the pool.
    outside = d.pa_va(d.ram_start + 0x100000)
    expect_finding(d, "node-outside-pool",
                   {d.list_head_pa(pool, order): struct.pack("<Q", outside)},
                   "node_outside_pool")

    # The vmemmap says another order for a listed free head.
    pfn = d.lin_pa(n1) >> 12
    off, data = field_bytes(d, "hyp_page", "order", order + 1)
    expect_finding(d, "wrong-order", {d.vmemmap_pa(pfn) + off: data}, "order_mismatch")

    # A listed free page with a reference.
    off, data = field_bytes(d, "hyp_page", "refcount", 1)
    expect_finding(d, "free-page-referenced", {d.vmemmap_pa(pfn) + off: data},
                   "free_page_referenced")

    # Both buddies free: split a lone order-k block into two listed halves.
    spool, k, (p_va,) = single
    q_va = p_va + (1 << (k - 1 + 12))
    head_k = d.list_head_pa(spool, k)
    head_k1 = d.list_head_pa(spool, k - 1)
    head_k_va, head_k1_va = d.pa_va(head_k), d.pa_va(head_k1)
    tail = d.read64(head_k1 + 8)
    patches = {
        head_k: struct.pack("<QQ", head_k_va, head_k_va),
        d.lin_pa(p_va): struct.pack("<QQ", q_va, tail),
        d.lin_pa(q_va): struct.pack("<QQ", head_k1_va, p_va),
        head_k1 + 8: struct.pack("<Q", q_va),
    }
    if tail == head_k1_va:
        patches[head_k1] = struct.pack("<QQ", p_va, q_va)
    else:
        patches[d.lin_pa(tail)] = struct.pack("<Q", p_va)
    off, _ = field_bytes(d, "hyp_page", "order", 0)
    for va in (p_va, q_va):
        _, data = field_bytes(d, "hyp_page", "order", k - 1)
        patches[d.vmemmap_pa(d.lin_pa(va) >> 12) + off] = data
    expect_finding(d, "buddies-both-free", patches, "buddies_both_free")

    # __hyp_vmemmap points at an unmapped private VA.
    expect_finding(d, "vmemmap-off-the-map",
                   {d.sym_pa("__hyp_vmemmap"): struct.pack("<Q", 0x500000000000)},
                   "vmemmap_unmapped")

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
