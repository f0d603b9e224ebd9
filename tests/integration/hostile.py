#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A hostile live writer, in its two places.

1. Live RAM: hypmem-top -b reads a raw RAM image (its live shared-RAM mode)
   while this process rewrites, at random, words of the pool structs,
   free-list nodes, and the hyp carve-out (vmemmap, stage-2 tables, trace
   ring pages) under it.
2. tracefs: hypmem-top -b --tracefs reads a tree whose per-CPU pipes are
   FIFOs fed by this process, as a kernel feeds trace_pipe_raw and
   trace_pipe: the EL2 dump's own pages (lines, for the mainline text
   shape), a third of them damaged at random -- a bogus commit, a page torn
   from two, random bytes over event headers, a page cut short -- and
   formats rewritten under it.

In both hypmem-top must neither crash (ASan+UBSan build when present) nor
hang, and must keep printing screens; in 2 it must count the pages it threw
away (pages_bad, at most the pages damaged) and show them ("Damage:"), and
count the text lines it could not parse (trace_findings).  In 1, the ring
pages it damages are counted too (pages_bad; pages recycled while copied
are pages_torn, rare with a writer this slow).
HYPMEM_HOSTILE_SECS (default 15) bounds the run of 1; 2 takes a tenth of it
(at least 2 s) per shape: about 35 s in all on a quiet machine.
"""
import glob
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
    secs = float(os.environ.get("HYPMEM_HOSTILE_SECS", "15"))
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
        # The trace ring and the pages around it (its meta and reader pages):
        # their headers (time stamp, commit) most of all, as a hypervisor
        # writing them while hypmem-top copies does.
        ring = None
        with open(os.path.join(d, "console.log"), errors="replace") as f:
            for line in f:
                if "tracing" in line and "pages each, at 0x" in line:
                    nr = int(line.split(" pages each")[0].split()[-1])
                    ring = (int(line.split("at 0x")[1].split()[0], 16), nr)
        heads = []
        if ring:
            rstart, nr = ring[0] - 4 * 4096, ring[1] + 8
            targets += [(rstart, nr * 4096)] * 4
            heads = [rstart + i * 4096 for i in range(nr)]
        stop = threading.Event()
        writes = [0]

        def writer():
            rnd = random.Random(17)
            fd = os.open(ram, os.O_RDWR)
            try:
                while not stop.is_set():
                    start, size = rnd.choice(targets)
                    pa = start + rnd.randrange(0, max(size, 8)) // 8 * 8
                    if heads and rnd.randrange(2):
                        pa = rnd.choice(heads) + rnd.choice([0, 8])
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
        last = json.loads(screens[-1]) if screens else {}
        print("# live RAM: pages_bad %s, pages_torn %s, trace_findings %s" %
              (last.get("pages_bad"), last.get("pages_torn"), last.get("trace_findings")))
        t.ok(ring is not None and last.get("pages_bad", 0) + last.get("pages_torn", 0) > 0,
             "hostile writer: live RAM damage counted (pages_bad %s, pages_torn %s)" %
             (last.get("pages_bad"), last.get("pages_torn")),
             "ring %s; the console says where the trace ring is" % (ring,))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    tracefs_half(d, image, core, max(secs / 10, 2))
    return t.done()


# --- 2: tracefs ---

PAGE = 4096


def damage_page(rnd, page, other):
    """(kind, bytes): one of the ways a page reaches a reader broken."""
    kind = rnd.choice(["commit", "torn", "events", "short"])
    b = bytearray(page)
    if kind == "commit":  # bogus header: commit past the page, or flags only
        v = rnd.choice([PAGE, PAGE * 2, 1 << 40, (1 << 64) - 1, 3 << 30 | PAGE])
        struct.pack_into("<Q", b, 8, v)
    elif kind == "torn":  # the first half of one page, the rest of another
        cut = rnd.randrange(16, PAGE)
        b[cut:] = other[cut:]
        struct.pack_into("<Q", b, 8, struct.unpack_from("<Q", other, 8)[0] + rnd.randrange(1, 64))
    elif kind == "events":  # random bytes over event headers
        for _ in range(rnd.randrange(1, 16)):
            o = rnd.randrange(16, PAGE - 4)
            b[o:o + 4] = rnd.getrandbits(32).to_bytes(4, "little")
        struct.pack_into("<Q", b, 8, PAGE)  # and a commit that says so
    else:  # cut short: the rest of the page never written (zeros), commit kept
        cut = rnd.randrange(16, PAGE // 2)
        b[cut:] = bytes(PAGE - cut)
        struct.pack_into("<Q", b, 8, PAGE - 16)
    return kind, bytes(b)


def damage_line(rnd, line):
    kind = rnd.choice(["cut", "garbage", "cpu", "name"])
    if kind == "cut":
        return line[:rnd.randrange(1, max(len(line) - 1, 2))] + b"\n"
    if kind == "garbage":
        return bytes(rnd.getrandbits(8) | 1 for _ in range(rnd.randrange(1, 80))).replace(
            b"\n", b"x") + b"\n"
    if kind == "cpu":
        return b"[999]" + line[5:]
    return line.replace(b": hyp_", b": nosuch_", 1) if b": hyp_" in line else b"%%%\n"


def feed(fifo, units, damage, stop, stats, seed):
    """Write @units into @fifo over and over, a third of them damaged, until
    @stop.  Opened read-write: a writer is always there, as the kernel is
    behind trace_pipe_raw (a FIFO with none reads as EOF, which a kernel
    pipe never does), and each reader in turn gets what the last left."""
    rnd = random.Random(seed)
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    i, u = 0, None
    try:
        while not stop.is_set():
            if u is None:
                u = units[i % len(units)]
                if rnd.randrange(3) == 0:
                    kind, u = damage(rnd, u, units[rnd.randrange(len(units))])
                    stats[kind] = stats.get(kind, 0) + 1
                    stats["damaged"] = stats.get("damaged", 0) + 1
            try:
                os.write(fd, u)  # a page is PIPE_BUF: all or nothing
            except BlockingIOError:
                time.sleep(0.001)
                continue
            stats["written"] = stats.get("written", 0) + 1
            i, u = i + 1, None
            if i % 16 == 0:  # a busy hypervisor, not a flood: screens stay on time
                time.sleep(0.002)
    finally:
        os.close(fd)


def tracefs_half(d, image, core, secs):
    tmp = tempfile.mkdtemp(prefix="hypmem-hostile-tfs-")
    try:
        # Android's hyp/ (raw pages with a footer) and mainline's text remote.
        for shape in ("android", "mainline"):
            tree = os.path.join(tmp, shape)
            root = "hyp" if shape == "android" else "remotes/hypervisor"
            p = subprocess.run([tool("hypmem-dump"), "trace", "--export-tracefs", tree,
                                "--export-shape", shape, image, core],
                               capture_output=True, text=True, timeout=120)
            pipe = "trace_pipe_raw" if shape == "android" else "trace_pipe"
            cpus = sorted(glob.glob(os.path.join(tree, root, "per_cpu/cpu*", pipe)))
            if not t.ok(p.returncode == 0 and cpus, "tracefs %s: tree exported" % shape,
                        p.stderr[-800:]):
                continue
            units = []
            for f in cpus:
                with open(f, "rb") as fi:
                    data = fi.read()
                if shape == "android":
                    units.append([data[o:o + PAGE] for o in range(0, len(data) - PAGE + 1, PAGE)])
                else:
                    units.append(data.splitlines(keepends=True))
                os.unlink(f)
                os.mkfifo(f)
            fmts = glob.glob(os.path.join(tree, root, "events/*/*/format"))
            stop = threading.Event()
            stats = [{} for _ in cpus]
            feeders = [threading.Thread(target=feed, args=(
                f, u, damage_page if shape == "android" else
                (lambda rnd, line, _o: ("line", damage_line(rnd, line))), stop, st, 17 + i))
                for i, (f, u, st) in enumerate(zip(cpus, units, stats))]

            def formats():  # rewritten under the reader: once opened, not read again
                rnd = random.Random(5)
                while not stop.is_set():
                    f = rnd.choice(fmts)
                    with open(f, "r+b") as fo:
                        fo.seek(rnd.randrange(0, max(os.path.getsize(f), 1)))
                        fo.write(b"\x00garbage:;")
                    time.sleep(0.005)

            for th in feeders:
                th.start()
            # A text screen first: the damage shown where a person looks.
            text = subprocess.run([tool("hypmem-top"), "-b", "-d", "0.2", "-n", "5",
                                   "--tracefs", tree], capture_output=True, text=True, timeout=60)
            n = int(secs / 0.1)
            start = time.monotonic()
            top = subprocess.Popen([tool("hypmem-top"), "-b", "--json", "-d", "0.1", "-n", str(n),
                                    "--tracefs", tree],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Formats are read when the tree is opened (a bad one then is
            # unreadable input, exit 2): scribbled on from the first screen.
            first = top.stdout.readline()
            feeders.append(threading.Thread(target=formats))
            feeders[-1].start()
            try:
                out, errs = top.communicate(timeout=secs * 3 + 30)
                out = first + out
                hung = False
            except subprocess.TimeoutExpired:
                top.kill()
                out, errs = top.communicate()
                hung = True
            took = time.monotonic() - start
            # A text screen too: the damage shown where a person looks.
            stop.set()
            for th in feeders:
                th.join()
            p = subprocess.CompletedProcess(top.args, top.returncode, out, errs)
            screens = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
            last = screens[-1] if screens else {}
            # (the text run's units too: an upper bound for what the JSON run saw)
            damaged = sum(st.get("damaged", 0) for st in stats)
            written = sum(st.get("written", 0) for st in stats)
            kinds = {}
            for st in stats:
                for k, v in st.items():
                    if k not in ("damaged", "written"):
                        kinds[k] = kinds.get(k, 0) + v
            print("# tracefs %s: %d units written, %d damaged %s; %d screens of %d in %.1f s; "
                  "pages_bad %s, trace_findings %s, events %s" %
                  (shape, written, damaged, kinds, len(screens), n, took, last.get("pages_bad"),
                   last.get("trace_findings"), last.get("events_total")))
            t.ok(not hung, "tracefs %s: hypmem-top finishes (no hang)" % shape)
            t.ok(no_crash(p) and no_crash(text), "tracefs %s: no crash, exit %d" %
                 (shape, p.returncode), (p.stderr + text.stderr)[-2000:])
            t.ok(p.returncode in (0, 1) and len(screens) >= n // 2,
                 "tracefs %s: the screen keeps refreshing (%d of %d)" % (shape, len(screens), n),
                 p.stderr[-800:])
            t.ok(damaged > 50 and last.get("events_total", 0) > 0,
                 "tracefs %s: %d of %d units damaged under it, %s events read" %
                 (shape, damaged, written, last.get("events_total")))
            if shape == "android":
                bad = last.get("pages_bad", -1)
                t.ok(0 < bad <= damaged and bad <= last.get("trace_findings", 0),
                     "tracefs android: damaged pages counted: %d bad (of %d damaged), %d findings" %
                     (bad, damaged, last.get("trace_findings", 0)))
            else:
                t.ok(last.get("trace_findings", 0) > 0,
                     "tracefs mainline: unparsable lines counted: %d findings (of %d damaged)" %
                     (last.get("trace_findings", 0), damaged))
            t.ok("Damage: " in text.stdout, "tracefs %s: the text screen shows the damage" % shape,
                 text.stdout[:1500] + text.stderr[-500:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
