#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A hostile live writer: hypmem-top -b reads a raw RAM image (its live
shared-RAM mode) while this process rewrites, at random, words of the pool
structs, free-list nodes, and the hyp carve-out (vmemmap, stage-2 tables,
trace ring pages) under it.  hypmem-top must neither crash (ASan+UBSan
build when present) nor hang, and must keep printing screens.
HYPMEM_HOSTILE_SECS (default 20) bounds the run.

Open: hypmem-top does not yet count torn pages; this test checks only
that it survives and keeps refreshing.
"""
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import Tap, make_dumps, no_crash, tool  # noqa: E402

t = Tap()


def main():
    secs = float(os.environ.get("HYPMEM_HOSTILE_SECS", "20"))
    d, err = make_dumps(8, 7, 512, 5000)
    if not t.ok(d is not None, "EL2 dump (layout 8)", err):
        return t.done()
    image, core = os.path.join(d, "el2.elf"), os.path.join(d, "vmcore")
    with open(os.path.join(d, "truth.json")) as f:
        truth = json.load(f)
    p = subprocess.run([tool("hypmem-stat"), "--json", image, core], capture_output=True,
                       text=True, timeout=120)
    clean = json.loads(p.stdout)
    with open(core, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phnum, = struct.unpack_from("<H", eh, 56)
        for i in range(phnum):
            f.seek(phoff + 56 * i)
            ph = f.read(56)
            if struct.unpack_from("<I", ph)[0] == 1:  # the PT_LOAD of RAM
                off, _va, base, fsz = struct.unpack_from("<QQQQ", ph, 8)
                break
    tmp = tempfile.mkdtemp(prefix="hypmem-hostile-")
    ram = os.path.join(tmp, "ram")
    try:
        with open(core, "rb") as fi, open(ram, "wb") as fo:
            pos = 0
            while pos < fsz:
                pos += os.copy_file_range(fi.fileno(), fo.fileno(), fsz - pos, off + pos, pos)
        targets = []
        for pool in clean["pools"]:
            a = int(pool["address"], 16)
            targets += [(a, 208)]
            lo, hi = int(pool["range_start"], 16), int(pool["range_end"], 16)
            targets += [(lo, hi - lo)]
        carve = int(truth["hyp"]["carveout_base"], 16)
        targets.append((carve, base + fsz - carve))
        stop = threading.Event()
        writes = [0]

        def writer():
            rnd = random.Random(17)
            fd = os.open(ram, os.O_RDWR)
            try:
                while not stop.is_set():
                    start, size = rnd.choice(targets)
                    pa = start + rnd.randrange(0, max(size, 8)) // 8 * 8
                    word = rnd.choice([0, (1 << 64) - 1, rnd.getrandbits(64),
                                       pa - base + 0xffff000000000000, rnd.getrandbits(12)])
                    os.pwrite(fd, struct.pack("<Q", word), pa - base)
                    writes[0] += 1
                    if writes[0] % 64 == 0:
                        time.sleep(0.001)
            finally:
                os.close(fd)

        n = int(secs / 0.1)
        start = time.monotonic()
        top = subprocess.Popen([tool("hypmem-top"), "-b", "--json", "-d", "0.1", "-n", str(n),
                                "--kimage-voffset", truth["hyp"]["kimage_voffset"],
                                "--raw", "%s@0x%x" % (ram, base), image],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # The writer starts once the first screen is out: setup (symbols,
        # translation) done on sound memory, every refresh after on hostile.
        first = top.stdout.readline()
        th = threading.Thread(target=writer)
        th.start()
        try:
            rest, errs = top.communicate(timeout=secs * 3 + 30)
            hung = False
        except subprocess.TimeoutExpired:
            top.kill()
            rest, errs = top.communicate()
            hung = True
        p = subprocess.CompletedProcess(top.args, top.returncode, first + rest, errs)
        took = time.monotonic() - start
        stop.set()
        th.join()
        if hung:
            t.ok(False, "hostile writer: hypmem-top finishes (no hang)", "timed out")
            return t.done()
        screens = [x for x in p.stdout.splitlines() if x.startswith("{")]
        print("# %d writes, %d screens of %d in %.1f s, exit %d" %
              (writes[0], len(screens), n, took, p.returncode))
        t.ok(no_crash(p), "hostile writer: no crash, exit %d" % p.returncode, p.stderr[-2000:])
        t.ok(p.returncode in (0, 1) and len(screens) >= n // 2,
             "hostile writer: the screen keeps refreshing (%d of %d)" % (len(screens), n),
             p.stderr[-800:])
        t.ok(writes[0] > 1000, "hostile writer: %d words rewritten under it" % writes[0])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
