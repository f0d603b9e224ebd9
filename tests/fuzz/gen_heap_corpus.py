#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Seeds for fuzz_heap (tests/fuzz/fuzz_heap.c): patch lists over the real
heap the harness builds at start-up.

  gen_heap_corpus.py OUTDIR

Records: u8 where (0 page bytes, 1 allocator fields, 2 mapped flags),
u32 offset (little-endian, modulo the region), u8 len (1 + len % 16), bytes.
The pristine heap is the first seed; the others each touch what a real
corruption would: a header word, a page's mapping, an allocator field.
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
    seeds = {"pristine": b""}
    # Header words of the first chunks (the head is at offset 0; others follow).
    for off in (0, 4, 8, 12, 0x840, 0x848, 0x84c, 2 * PAGE + 0x30):
        seeds["hdr-%x" % off] = rec(0, off, b"\xff\x10")
    # Pages losing their mapping, or gaining one.
    for page in (0, 1, 5, 20, 60):
        seeds["unmap-%d" % page] = rec(2, page, b"\x00")
        seeds["map-%d" % (page + 100)] = rec(2, page + 100, b"\x01")
    # Allocator fields: end, last_used, head, tail, mc_pages.
    for i, value in ((1, 1 << 40), (2, 0), (4, 16), (5, 0), (7, 1 << 62)):
        seeds["field-%d" % i] = rec(1, 8 * i, struct.pack("<Q", value)[:6])
    seeds["many"] = b"".join(rec(0, 0x100 * i + 8, b"\x01") for i in range(40))
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
