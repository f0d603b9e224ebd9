#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Seeds for fuzz_stage2 (tests/fuzz/fuzz_stage2.c): a flags byte, then
patch lists over the real host stage-2 and hyp stage-1 the harness builds at
start-up.

  gen_stage2_corpus.py OUTDIR

Flags: bit 0 hyp stage-1, bit 1 render JSON/text/SVG, bits 2-3 root moved.
Records: u8 where (0 host_s2_pool pages, 1 hpool pages, 2 their vmemmap
entries), u32 offset (little-endian, modulo the region), u8 len (1 + len %
16), bytes.  Pool pages hold the tables, the first ones the roots.
"""
import os
import struct
import sys

PAGE = 4096


def rec(where, off, data):
    return struct.pack("<BIB", where, off, len(data) - 1) + data


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {"pristine-s2": b"\x02", "pristine-s1": b"\x03", "moved-root": b"\x06"}
    # The root's first entries, and entries further into the first tables.
    for page in (0, 1, 2, 3, 5):
        for idx in (0, 1, 64, 511):
            off = page * PAGE + 8 * idx
            seeds["s2-p%d-e%d" % (page, idx)] = b"\x02" + rec(0, off, struct.pack("<Q", 3))
            seeds["s1-p%d-e%d" % (page, idx)] = b"\x03" + rec(1, off, b"\xff" * 8)
    # A table pointing at the root, an annotation with a wild owner, state bits.
    seeds["loop"] = b"\x02" + rec(0, 2 * PAGE + 16, struct.pack("<Q", 0x3))
    seeds["owner"] = b"\x02" + rec(0, 4 * PAGE + 8, struct.pack("<Q", 0xff << 2))
    seeds["state"] = b"\x02" + rec(0, 4 * PAGE + 24, b"\x00\x00\x00\x00\x00\x00\x80\x01")
    # Refcounts of the first table pages.
    seeds["refcounts"] = b"\x02" + rec(2, 0, b"\x05\x00") + rec(2, 8 * 1030, b"\x00\x00")
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
