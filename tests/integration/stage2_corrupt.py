#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Corruption of the host stage-2 in a real QEMU dump: each patch must give
its finding and exit status 1 from `hypmem-dump stage2`, never a crash (the
ASan+UBSan build of the tool is used when it exists).

Where to patch is found independently of the decoder: the root's address
from the EL2 core's truth.json, the table pages read straight from the ELF
core through its program headers, descriptors decoded here with a few lines
of Python.  Cases: a table pointer outside host_s2_pool, a table pointing
at itself, an owner id that does not exist, a reserved leaf encoding, a
table page cut in half (a raw image that ends inside it), and random
garbage over the table pages.

The dump is layout 8's, the 7.x era (a type in bits 63:60 of invalid
entries, a donation's owner in 3:1 and metadata in 59:4, page states in the
vmemmap), so the 7.x cases follow, each a named finding at the address of
the entry or page concerned: a type no kernel defines, an unknown owner,
a guest donation naming a VM handle vm_table does not hold, and a vmemmap
host state that contradicts a donation to the hyp (`hypmem-stat`, which
runs the cross-structure checks).  The vmemmap entry is found from the
EL2 core's layout: its backing is the first part of the carve-out, one
8-byte entry per page of RAM from the first RAM page on.
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
from hypmemtest import BUILD, ElfCore, Tap, make_dumps, no_crash, patched_core, tool  # noqa: E402

M64 = (1 << 64) - 1
ADDR = 0x0000FFFFFFFFF000
t = Tap()


class Dump:
    def __init__(self, out):
        self.image = os.path.join(out, "el2.elf")
        self.core = os.path.join(out, "vmcore")
        with open(os.path.join(out, "truth.json")) as f:
            self.truth = json.load(f)
        self.elf = ElfCore(self.core)
        self.f = open(self.core, "rb")
        s2 = self.truth["stage2"]
        self.hpo = int(self.truth["hyp"]["hyp_physvirt_offset"], 16)
        self.pgd = (int(s2["pgd"], 16) + self.hpo) & M64
        self.start_level = s2["start_level"]
        self.ram = [(int(r["start"], 16), int(r["end"], 16))
                    for r in self.truth["target"]["ram_ranges"]]

    def read64(self, pa):
        self.f.seek(self.elf.offset(pa))
        return struct.unpack("<Q", self.f.read(8))[0]

    def table(self, pa):
        self.f.seek(self.elf.offset(pa))
        return struct.unpack("<512Q", self.f.read(4096))

    def tables(self):
        """(level, table PA) of every table page, depth first."""
        out, stack = [], [(self.start_level, self.pgd)]
        while stack:
            level, pa = stack.pop()
            out.append((level, pa))
            if level == 3:
                continue
            for pte in self.table(pa):
                if pte & 3 == 3:
                    stack.append((level + 1, pte & ADDR))
        return out

    def find(self, level, pred):
        """PA of the first entry at @level for which pred(pte) holds."""
        for lvl, pa in self.tables():
            if lvl != level:
                continue
            for i, pte in enumerate(self.table(pa)):
                if pred(pte):
                    return pa + 8 * i, pte
        return None, None


def dump_stage2(image, *source):
    p = subprocess.run([tool("hypmem-dump"), "stage2", "--json", "-s", image] + list(source),
                       capture_output=True, text=True, timeout=300)
    out = json.loads(p.stdout) if p.stdout.startswith("{") else None
    return p, out


def stat(image, *source):
    p = subprocess.run([tool("hypmem-stat"), "--json", "-s", image] + list(source),
                       capture_output=True, text=True, timeout=300)
    out = json.loads(p.stdout) if p.stdout.startswith("{") else None
    return p, out


def expect(d, tmp, name, patches, kind, at=None, run=dump_stage2):
    """The patched dump gives finding @kind (at address @at, if given), exit 1."""
    core = patched_core(d.core, d.elf, patches, os.path.join(tmp, name))
    p, out = run(d.image, "-c", core)
    found = out["findings"] if out else []
    kinds = sorted({f["kind"] for f in found})
    where = sorted({int(f["address"], 16) for f in found if f["kind"] == kind})
    t.ok(no_crash(p) and p.returncode == 1 and kind in kinds and (at is None or at in where),
         "%s: finding %s%s, exit 1" % (name, kind, "" if at is None else " at 0x%x" % at),
         "exit %d, kinds %s, at %s\n%s" % (p.returncode, kinds, [hex(a) for a in where],
                                           p.stderr[-2000:]))
    os.unlink(core)


DONATION = 2 << 60
OWNER_HYP, OWNER_GUEST = 1, 2


def donation(pte, owner=None):
    """A 7.x host donation entry (to @owner, if given)."""
    return (pte and not pte & 1 and pte >> 60 == 2 and
            (owner is None or (pte >> 1) & 7 == owner))


def check_7x(d, tmp):
    """Layout 8's encodings, each broken once."""
    ann, pte = d.find(3, lambda x: donation(x, OWNER_HYP))
    if not t.ok(ann is not None, "7.x: the host stage-2 holds donations to the hyp"):
        return
    expect(d, tmp, "7x-bad-type", {ann: struct.pack("<Q", (5 << 60) | (pte & ~(0xF << 60)))},
           "reserved_encoding", at=ann)
    expect(d, tmp, "7x-unknown-owner", {ann: struct.pack("<Q", DONATION | (6 << 1))},
           "bad_owner", at=ann)

    gann, gpte = d.find(3, lambda x: donation(x, OWNER_GUEST))
    if t.ok(gann is not None, "7.x: the host stage-2 holds donations to guests"):
        handles = {int(v["handle"], 16) for v in d.truth.get("vms", [])}
        ghost = 0x1000 + 0x1ff
        t.ok(handles and ghost not in handles, "7.x: handle 0x%x is not a VM's" % ghost,
             repr(handles))
        # The page's IA: the entry's index in its level-3 table and the table's range.
        page = ia_of(d, gann)
        bad = (gpte & ~(0xFFFF << 4)) | (ghost << 4)
        expect(d, tmp, "7x-vm-does-not-exist", {gann: struct.pack("<Q", bad)}, "bad_owner",
               at=page, run=stat)

    # The vmemmap entry of the hyp's page: host state back to OWNED (0).
    page = ia_of(d, ann)
    carve = int(d.truth["hyp"]["carveout_base"], 16)
    entry = carve + ((page - d.ram[0][0]) >> 12) * 8
    raw = d.read64(entry)
    host, hyp = (raw >> 24) & 0xF, ((raw >> 28) & 0xF) ^ 3
    if t.ok((host, hyp) == (3, 0), "7.x: vmemmap entry 0x%x of page 0x%x says host nopage, "
            "hyp owned" % (entry, page), "raw 0x%x" % raw):
        expect(d, tmp, "7x-vmemmap-contradicts", {entry: struct.pack("<Q", raw & ~(0xF << 24))},
               "state_mismatch", at=page, run=stat)


def ia_of(d, ptep):
    """The input address mapped by the level-3 entry at PA @ptep."""
    def walk(level, pa, base):
        for i, pte in enumerate(d.table(pa)):
            ia = base + (i << (12 + 9 * (3 - level)))
            if level == 3:
                if pa + 8 * i == ptep:
                    return ia
            elif pte & 3 == 3:
                got = walk(level + 1, pte & ADDR, ia)
                if got is not None:
                    return got
        return None
    return walk(d.start_level, d.pgd, 0)


def main():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("stage-2 corruption", "qemu-system-aarch64 not installed")
        return t.done()
    out, err = make_dumps(8, 7, 512, 5000)
    if not t.ok(out is not None, "dump for stage-2 corruption tests", err):
        return t.done()
    d = Dump(out)
    p, base = dump_stage2(d.image, "-c", d.core)
    t.ok(p.returncode == 0 and base and not base["findings"], "unpatched stage-2 is clean",
         p.stderr)
    tmp = tempfile.mkdtemp(prefix="hypmem-s2c-")
    try:
        # An L3 table pointer moved into host RAM, far from host_s2_pool.
        ptep, pte = d.find(2, lambda x: x & 3 == 3)
        outside = d.ram[0][0] + 0x100000
        expect(d, tmp, "table-outside-pool",
               {ptep: struct.pack("<Q", (pte & ~ADDR) | outside)}, "table_outside_pool", at=ptep)

        # A free slot of an L2 table made to point at that table itself.
        slot, _ = d.find(2, lambda x: x == 0)
        expect(d, tmp, "self-referencing-table",
               {slot: struct.pack("<Q", (slot & ~0xFFF) | 3)}, "table_loop", at=slot)

        # An owner id no kernel defines (7.x: in bits 3:1 of a donation).
        ann, pte = d.find(3, lambda x: x and not x & 1)
        expect(d, tmp, "bad-owner", {ann: struct.pack("<Q", DONATION | (7 << 1))}, "bad_owner",
               at=ann)

        check_7x(d, tmp)

        # A page descriptor with the type bit cleared: a block at level 3.
        leaf, pte = d.find(3, lambda x: x & 3 == 3)
        expect(d, tmp, "reserved-encoding", {leaf: struct.pack("<Q", pte & ~2)},
               "reserved_encoding", at=leaf)

        # A raw image of RAM that ends in the middle of the last table page.
        last = max(pa for _, pa in d.tables())
        raw = os.path.join(tmp, "ram.bin")
        start = d.ram[0][0]
        with open(raw, "wb") as f:
            f.seek(0)
            d.f.seek(d.elf.offset(start))
            left = last + 2048 - start
            while left:
                chunk = d.f.read(min(left, 1 << 20))
                f.write(chunk)
                left -= len(chunk)
        kvo = d.truth["hyp"]["kimage_voffset"]
        p, got = dump_stage2(d.image, "--raw", "%s@0x%x" % (raw, start), "--kimage-voffset",
                             kvo, "--kaslr-offset", "0")
        kinds = sorted({f["kind"] for f in got["findings"]}) if got else []
        where = [int(f["address"], 16) for f in (got or {}).get("findings", [])
                 if f["kind"] == "table_unreadable"]
        t.ok(no_crash(p) and p.returncode == 1 and last in where,
             "truncated table page: finding table_unreadable at 0x%x, exit 1" % last,
             "exit %d, kinds %s, at %s\n%s" % (p.returncode, kinds, [hex(a) for a in where],
                                               p.stderr[-2000:]))
        os.unlink(raw)

        # Garbage over the table pages: findings or a clean error, never a crash.
        rng = random.Random(5)
        pages = [pa for _, pa in d.tables()]
        for i in range(6):
            patches = {}
            for _ in range(40):
                pa = rng.choice(pages) + 8 * rng.randrange(512)
                patches[pa] = struct.pack("<Q", rng.getrandbits(64) if i % 2 else
                                          d.read64(pa) ^ (1 << rng.randrange(64)))
            core = patched_core(d.core, d.elf, patches, os.path.join(tmp, "garbage%d" % i))
            p, _ = dump_stage2(d.image, "-c", core)
            t.ok(no_crash(p), "garbage in table pages #%d: no crash (exit %d)" % (i, p.returncode),
                 p.stderr[-2000:])
            os.unlink(core)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
