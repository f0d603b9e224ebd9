#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Seeds for fuzz_ringbuf (tests/fuzz/fuzz_ringbuf.c), generated here so
that no binary blob lives in the tree.

  gen_ringbuf_corpus.py OUTDIR

An input is: u8 flags (bit 0 4-byte longs, bit 1 two CPUs, bit 2 an extra
format file, bits 3-7 page_decode's start / 4), [u16 n + n bytes of format
text], then trace_pipe_raw pages.  Pages follow the Linux ring-buffer page
format: u64 time_stamp, long commit (flags in bits 30-31), then events with
a 32-bit header {type_len:5, time_delta:27}: type_len 1..28 short form
(4 * type_len payload bytes), 0 long form (array[0] = length + 4; the EL2
writer's form, unaligned), 29 padding, 30 time extend, 31 absolute time
stamp.  Event ids are the EL2 core's (positions in el2/trace_events.h).
"""
import os
import struct
import sys

PAGE = 4096
HYP_ENTER, HYP_EXIT, HOST_HCALL, HOST_SMC, HOST_MEM_ABORT, PAGE_ALLOC, PAGE_FREE = range(7)


def ev_payload(eid, *vals):
    """C layout of remote_event_format_<name> (u16 id first, natural alignment)."""
    if eid in (HYP_ENTER, HYP_EXIT):
        return struct.pack("<H", eid)
    if eid == HOST_HCALL:
        return struct.pack("<HxxIB3x", eid, vals[0], vals[1])
    if eid == HOST_SMC:
        return struct.pack("<H6xQB7x", eid, vals[0], vals[1])
    if eid == HOST_MEM_ABORT:
        return struct.pack("<H6xQQ", eid, vals[0], vals[1])
    return struct.pack("<H6xQQB7x", eid, vals[0], vals[1], vals[2])


class Page:
    def __init__(self, ts, long_size=8):
        self.ts, self.long_size, self.data = ts, long_size, b""

    def hdr(self, type_len, delta):
        return struct.pack("<I", type_len | (delta << 5))

    def long(self, delta, payload):  # the EL2 writer's form
        self.data += self.hdr(0, delta) + struct.pack("<I", len(payload) + 4) + payload

    def short(self, delta, payload):  # the kernel's form, 4-byte aligned
        payload += b"\0" * (-len(payload) % 4)
        self.data += self.hdr(len(payload) // 4, delta) + payload

    def extend(self, delta):
        self.data += self.hdr(30, delta & ((1 << 27) - 1)) + struct.pack("<I", delta >> 27)

    def stamp(self, ts):
        self.data += self.hdr(31, ts & ((1 << 27) - 1)) + struct.pack("<I", ts >> 27)

    def padding(self, length):
        self.data += self.hdr(29, 0) + struct.pack("<I", length) + b"\0" * (length - 4)

    def raw(self, b):
        self.data += b

    def bytes(self, commit=None, missed=None, stored=True):
        hdr = 8 + self.long_size
        size = len(self.data) if commit is None else commit
        flags = 0
        tail = b""
        if missed is not None:
            flags |= 1 << 31
            if stored:
                flags |= 1 << 30
                tail = struct.pack("<Q" if self.long_size == 8 else "<I", missed)
        body = self.data + tail
        c = struct.pack("<Q" if self.long_size == 8 else "<I", size | flags)
        out = struct.pack("<Q", self.ts) + c + body
        return out[:PAGE] + b"\0" * (PAGE - min(len(out), PAGE))


def mixed_page(ts, form, n=60, seed=1):
    p = Page(ts)
    x = seed
    for i in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & (2 ** 64 - 1)
        kind = (x >> 33) % 5
        pl = [ev_payload(HYP_ENTER), ev_payload(HOST_HCALL, x >> 40, x & 1),
              ev_payload(PAGE_ALLOC, 0xffff800080123000, 0x40000 + (x >> 48), x & 3),
              ev_payload(PAGE_FREE, 0xffff800080123000, 0x40000 + (x >> 48), x & 3),
              ev_payload(HOST_MEM_ABORT, 0x92000047, x >> 20)][kind]
        getattr(p, form)(100 + (x >> 50) % 500, pl)
    return p


def inp(flags, pages, fmt=None):
    head = bytes([flags])
    if fmt is not None:
        head = bytes([flags | 4]) + struct.pack("<H", len(fmt)) + fmt
    return head + b"".join(pages)


def seeds():
    s = {}
    s["long_form"] = inp(0, [mixed_page(1000, "long").bytes()])
    s["short_form"] = inp(0, [mixed_page(1000, "short").bytes()])
    # Time extend and an absolute stamp; a second page continuing the clock.
    p = Page(5000)
    p.long(0, ev_payload(HYP_ENTER))
    p.extend(3 << 27 | 5)
    p.long(7, ev_payload(HYP_EXIT))
    p.stamp(9 << 30)
    p.short(1, ev_payload(HOST_SMC, 0x84000000, 1))
    q = mixed_page((9 << 30) + 100, "long", 20, 7)
    s["extend_stamp"] = inp(0, [p.bytes(), q.bytes()])
    # Padding records, and a page ending in null padding.
    p = Page(100)
    p.short(1, ev_payload(HYP_ENTER))
    p.padding(16)
    p.short(1, ev_payload(HYP_EXIT))
    p.raw(b"\0" * 8)
    s["padding"] = inp(0, [p.bytes()])
    # Missed events: stored count, unstored flag, on two CPUs.
    a = mixed_page(1000, "long", 30, 3).bytes(missed=1234)
    b = mixed_page(1100, "long", 30, 4).bytes(missed=1, stored=False)
    c = mixed_page(900, "short", 30, 5).bytes()
    s["missed_two_cpus"] = inp(2, [a, b, c, mixed_page(2000, "short", 10, 6).bytes()])
    # A commit past the page, and an event running past commit.
    s["commit_too_big"] = inp(0, [mixed_page(1, "long", 10).bytes(commit=5000)])
    p = mixed_page(1, "long", 10)
    s["event_past_commit"] = inp(0, [p.bytes(commit=len(p.data) - 5)])
    # Long-form length below 4, an event too short for an id.
    p = Page(1)
    p.raw(struct.pack("<II", 0, 2))
    s["bad_length"] = inp(0, [p.bytes()])
    p = Page(1)
    p.raw(struct.pack("<I", 1) + b"\x05")
    s["short_payload"] = inp(0, [p.bytes(commit=5)])
    # 4-byte longs (a 32-bit kernel's pages).
    p = Page(10, long_size=4)
    for i in range(20):
        p.short(3, ev_payload(HOST_HCALL, i, 0))
    s["long_size_4"] = inp(1, [p.bytes()])
    # A partial last page, and decoding from inside a page.
    s["partial_page"] = inp(0, [mixed_page(1, "long").bytes(), b"\x01" * 100])
    s["from_offset"] = inp(8 << 3, [mixed_page(1, "short").bytes()])
    # An extra event with odd fields (array, signed, offsets past the payload).
    fmt = (b"name: ev\nID: 100\nformat:\n"
           b"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
           b"\tfield:s32 delta;\toffset:4;\tsize:4;\tsigned:1;\n"
           b"\tfield:char tag[8];\toffset:8;\tsize:8;\tsigned:0;\n"
           b"\tfield:u64 far;\toffset:4000;\tsize:8;\tsigned:0;\n\n"
           b"print fmt: \"delta=%d tag=%s far=0x%llx\", REC->delta, REC->tag, REC->far\n")
    p = Page(1)
    for i in range(10):
        p.long(10, struct.pack("<Hxxi8s", 100, -i, b"tag%d" % i))
        p.short(10, struct.pack("<Hxxi", 100, i))
    s["extra_format"] = inp(0, [p.bytes()], fmt)
    s["unknown_ids"] = inp(0, [Page(1).bytes()] + [
        (lambda q: (q.long(1, struct.pack("<H", 999)), q.bytes())[1])(Page(2))])
    return s


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
