#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: the two tracefs shapes a real hypervisor offers, and never
the host's own trace.

Fixtures are written here from facts read in the kernel sources (see
../shared/reference/linux-7x.md and ring-buffer.md), not captured:

 1. Mainline 7.x remotes/hypervisor/: text pipes only
    (per_cpu/cpuN/trace_pipe lines "[001]\\t    2.170313: hyp_enter
    reason=hvc vcpu=0", "CPU:1 [LOST 5 EVENTS]"), format files whose offsets
    ignore alignment (vcpu "offset:3").  hypmem-dump trace --tracefs prints
    every line, merged by time, with the kernel's own text; JSON has vcpu
    from the text; hypmem-top -b counts them.
 2. The tracing root itself holds the host's own per_cpu/ buffers: with no
    remote beside them, exit 2 naming what was looked for; with a remote,
    the host's pipe (a FIFO here, so reading it would show) is not opened.
 3. Android hyp/: trace_pipe_raw pages of 4096 bytes whose last 32 bytes
    are a footer (header_page data size 4048), events/hyp/<event>/format
    for hyp_enter/exit and the host_* events, records laid out as C structs
    (not as the format file's packed offsets).  Every event decoded by the
    independent Python writer's own list comes out, with its fields; a
    footer full of bytes that look like events is never decoded.
 4. No hang: CPU 1's trace_pipe_raw is a FIFO whose writer never writes (an
    empty CPU buffer: the kernel's read sleeps whatever O_NONBLOCK says).
    hypmem-dump trace --tracefs and hypmem-top -b -n 2 finish within
    seconds and show CPU 0's events.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, Tap  # noqa: E402

t = Tap()
DUMP = os.path.join(BUILD, "hypmem-dump")
TOP = os.path.join(BUILD, "hypmem-top")


def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def header_page(data_size):
    return ("\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
            "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
            "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
            "\tfield: char data;\toffset:16;\tsize:%d;\tsigned:0;\n" % data_size)


def remote_format(name, eid, fields, fmt):
    """The format text as the remotes print it: offsets are the running sum
    of the sizes after the 2-byte id, without alignment."""
    s = "name: %s\nID: %d\nformat:\n" % (name, eid)
    s += "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
    off = 2
    for ftype, fname, size, signed in fields:
        s += "\tfield:%s %s;\toffset:%d;\tsize:%d;\tsigned:%d;\n" % (ftype, fname, off, size,
                                                                     signed)
        off += size
    if fields:
        s += "\n"
    return s + "print fmt: %s\n" % fmt


# --- 1, 2: mainline text remote ---

MAINLINE_EVENTS = [  # ids in name order, as the kernel numbers them
    ("hyp_enter", [("u8", "reason", 1, 0), ("pid_t", "vcpu", 4, 1)],
     '"reason=%s vcpu=%d", __hyp_enter_exit_reason_str(REC->reason), REC->vcpu'),
    ("hyp_exit", [("u8", "reason", 1, 0), ("pid_t", "vcpu", 4, 1)],
     '"reason=%s vcpu=%d", __hyp_enter_exit_reason_str(REC->reason), REC->vcpu'),
    ("selftest", [("u64", "id", 8, 0)], '"id=%llu", REC->id'),
]
REASONS = ["hvc", "eret_host", "guest_exit", "eret_guest", "host_abort"]


def mainline_tree(root, lines_per_cpu):
    rem = os.path.join(root, "remotes/hypervisor")
    put(os.path.join(rem, "events/header_page"), header_page(4080))
    put(os.path.join(rem, "events/header_event"), "# compressed entry header\n")
    for i, (name, fields, fmt) in enumerate(MAINLINE_EVENTS):
        put(os.path.join(rem, "events/hypervisor", name, "format"),
            remote_format(name, i, fields, fmt))
        put(os.path.join(rem, "events/hypervisor", name, "id"), "%d\n" % i)
    for cpu, lines in enumerate(lines_per_cpu):
        put(os.path.join(rem, "per_cpu/cpu%d/trace_pipe" % cpu), "".join(lines))
    put(os.path.join(rem, "trace_clock"), "[boot]\n")
    return rem


def mainline_lines(cpu, n, t0, step):
    """(kernel text lines, expected records) for one CPU."""
    lines, recs = [], []
    ts = t0
    for i in range(n):
        if i == n // 2 and cpu == 1:
            lines.append("CPU:1 [LOST 5 EVENTS]\n")
            recs.append((ts + step, cpu, "lost", 5, None))
        ts += step
        if i % 7 == 6:
            name, text, vcpu = "selftest", "id=%d" % (1000 + i), None
        else:
            name = "hyp_enter" if i % 2 == 0 else "hyp_exit"
            vcpu = (i * 37) % 500 - 1 if i % 3 else 0
            text = "reason=%s vcpu=%d" % (REASONS[i % len(REASONS)], vcpu)
        lines.append("[%03d]\t%5d.%06d: %s %s\n" % (cpu, ts // 10**6, ts % 10**6, name, text))
        recs.append((ts, cpu, name, text, vcpu))
    return lines, recs


def expected_text(recs):
    out = []
    for ts, cpu, name, text, _ in sorted(recs, key=lambda r: (r[0], r[1])):
        if name == "lost":
            out.append("CPU:%d [LOST %d EVENTS]\n" % (cpu, text))
            continue
        out.append("           <...>--1    [%03d] %5d.%06d: %-22s%s\n" % (
            cpu, ts // 10**6, ts % 10**6, name + ":", text))
    return "".join(out)


def check_mainline(tmp):
    l0, r0 = mainline_lines(0, 400, 2_170_313, 13)
    l1, r1 = mainline_lines(1, 300, 2_170_320, 17)
    root = os.path.join(tmp, "tracing")
    mainline_tree(root, [l0, l1])
    # The host's own buffer at the top: a FIFO, so opening it would be seen
    # (nobody writes it; a reader would sit there until the timeout).
    host = os.path.join(root, "per_cpu/cpu0")
    os.makedirs(host, exist_ok=True)
    os.mkfifo(os.path.join(host, "trace_pipe_raw"))
    os.mkfifo(os.path.join(host, "trace_pipe"))
    put(os.path.join(root, "events/sched/sched_switch/format"),
        remote_format("sched_switch", 300, [("int", "prev_pid", 4, 1)], '"%d", REC->prev_pid'))

    want = "cpus=2\n" + expected_text(r0 + r1)
    p = subprocess.run([DUMP, "trace", "--tracefs", root], capture_output=True, text=True,
                       timeout=60)
    t.ok(p.returncode == 0 and p.stdout == want,
         "mainline text remote: every line, merged by time, with the kernel's text",
         p.stderr + "\n".join(l for l in p.stdout.splitlines()[:5]))
    if p.stdout != want:
        got, exp = p.stdout.splitlines(), want.splitlines()
        for i, (a, b) in enumerate(zip(got, exp)):
            if a != b:
                print("#   line %d: got %r\n#   want %r" % (i, a, b))
                break
        print("#   %d lines, want %d" % (len(got), len(exp)))

    # The remote itself given as DIR reads the same.
    p2 = subprocess.run([DUMP, "trace", "--tracefs", os.path.join(root, "remotes/hypervisor/")],
                        capture_output=True, text=True, timeout=60)
    t.ok(p2.returncode == 0 and p2.stdout == want, "the remote directory itself as DIR",
         p2.stderr)

    p = subprocess.run([DUMP, "trace", "--json", "--tracefs", root], capture_output=True,
                       text=True, timeout=60)
    ok = p.returncode == 0
    vcpus, prints = [], 0
    try:
        doc = json.loads(p.stdout)
        evs = doc["trace"]["events"]
        for e in evs:
            if e.get("event") in ("hyp_enter", "hyp_exit"):
                vcpus.append(e["fields"]["vcpu"])
                prints += e.get("print", "").startswith("reason=")
    except (ValueError, KeyError, TypeError) as ex:
        ok = False
        print("#   json: %s" % ex)
    want_vcpus = [r[4] for r in sorted(r0 + r1, key=lambda r: (r[0], r[1]))
                  if r[2] in ("hyp_enter", "hyp_exit")]
    t.ok(ok and vcpus == want_vcpus and prints == len(want_vcpus),
         "JSON: fields from the text by the format's names (vcpu, signed), the text kept",
         p.stderr[-500:])

    p = subprocess.run([TOP, "-b", "-n", "1", "--tracefs", root], capture_output=True,
                       text=True, timeout=60)
    n_enter = sum(1 for r in r0 + r1 if r[2] == "hyp_enter")
    t.ok(p.returncode == 0 and "hyp_enter" in p.stdout and str(n_enter) in p.stdout,
         "hypmem-top -b counts the text remote's events", p.stdout[-800:] + p.stderr)

    # The root without any remote: a clear error, exit 2.
    bare = os.path.join(tmp, "bare")
    os.makedirs(os.path.join(bare, "per_cpu/cpu0"))
    put(os.path.join(bare, "per_cpu/cpu0/trace_pipe_raw"), b"\0" * 4096)
    put(os.path.join(bare, "events/header_page"), header_page(4080))
    for cmd in ([DUMP, "trace", "--tracefs", bare], [TOP, "-b", "-n", "1", "--tracefs", bare]):
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        t.ok(p.returncode == 2 and "remotes/hypervisor" in p.stderr and "hyp/" in p.stderr
             and not p.stdout.strip(),
             "%s on a tracefs without a hypervisor remote: exit 2, says what it looked for"
             % os.path.basename(cmd[0]), "rc=%d %s" % (p.returncode, p.stderr))


# --- 3, 4: Android hyp/ raw pages with a footer ---

ANDROID_EVENTS = [  # (name, [(ctype, name, size, signed, struct fmt)], print fmt)
    ("hyp_enter", [], '" "'),
    ("hyp_exit", [], '" "'),
    ("host_hcall", [("unsigned int", "id", 4, 0, "I"), ("u8", "invalid", 1, 0, "B")],
     '"id=%u invalid=%u", REC->id, REC->invalid'),
    ("host_smc", [("u64", "id", 8, 0, "Q"), ("u8", "forwarded", 1, 0, "B")],
     '"id=%llu forwarded=%u", REC->id, REC->forwarded'),
    ("host_mem_abort", [("u64", "esr", 8, 0, "Q"), ("u64", "addr", 8, 0, "Q")],
     '"esr=0x%llx addr=0x%llx", REC->esr, REC->addr'),
    ("host_ffa_call", [("u64", "func_id", 8, 0, "Q"), ("u64", "res_a1", 8, 0, "Q"),
                       ("u64", "res_a2", 8, 0, "Q"), ("u64", "res_a3", 8, 0, "Q"),
                       ("u64", "res_a4", 8, 0, "Q"), ("int", "handled", 4, 1, "i"),
                       ("int", "err", 4, 1, "i")],
     '"ffa_func=0x%llx a1=0x%llx a2=0x%llx a3=0x%llx a4=%llx handled=%d err=%d", '
     'REC->func_id, REC->res_a1, REC->res_a2, REC->res_a3, REC->res_a4, REC->handled, '
     'REC->err'),
]
PAGE, FOOTER, HDR = 4096, 32, 16


def c_struct(fields):
    """struct.Struct of {u16 id; fields...} in natural C layout (little-endian)."""
    fmt, off = "<H", 2
    for _, _, size, _, code in fields:
        pad = (-off) % size
        fmt += "x" * pad + code
        off += pad + size
    return struct.Struct(fmt)


def android_pages(events, seed):
    """Pages as Android's hyp writer fills them: long-form events (type_len 0,
    array[0] = payload + 4), a TIME_EXTEND before a large delta, no event
    past page - footer, commit = bytes written, then a 32-byte footer."""
    pages, page, write, ts_page, last = [], None, 0, 0, 0
    limit = PAGE - HDR - FOOTER

    def finish():
        struct.pack_into("<Q", page, 8, write)
        # A footer whose bytes would decode as events if framed wrongly.
        page[PAGE - FOOTER:] = struct.pack("<IIQQQ", 6 << 5, 0x55, seed, 0x1122, 0x3344)
        pages.append(bytes(page))

    for ts, payload in events:
        size = 8 + len(payload)
        delta = ts - last
        ext = 8 if delta >= (1 << 27) else 0
        if page is None or write + size + ext > limit:
            if page is not None:
                finish()
            page = bytearray(PAGE)
            write, ts_page, last = 0, ts, ts
            struct.pack_into("<Q", page, 0, ts)
            delta, ext = 0, 0
        if ext:
            struct.pack_into("<II", page, HDR + write, 30 | ((delta & ((1 << 27) - 1)) << 5),
                             delta >> 27)
            write += 8
            delta = 0
        struct.pack_into("<II", page, HDR + write, (delta << 5), len(payload) + 4)
        page[HDR + write + 8:HDR + write + 8 + len(payload)] = payload
        write += size
        last = ts
    if page is not None:
        finish()
    return b"".join(pages)


def check_android(tmp):
    root = os.path.join(tmp, "android")
    hyp = os.path.join(root, "hyp")
    put(os.path.join(hyp, "events/header_page"), header_page(PAGE - HDR - FOOTER))
    for i, (name, fields, fmt) in enumerate(ANDROID_EVENTS):
        put(os.path.join(hyp, "events/hyp", name, "format"),
            remote_format(name, i, [f[:4] for f in fields], fmt))
        put(os.path.join(hyp, "events/hyp", name, "id"), "%d\n" % i)
    put(os.path.join(hyp, "trace_clock"), "[boot]\n")
    # CPU 0: enough events for several pages, with one large time gap.
    evs, want, ts = [], [], 5_000_000_000
    for i in range(900):
        eid = i % len(ANDROID_EVENTS)
        name, fields, _ = ANDROID_EVENTS[eid]
        vals = []
        for _, fname, size, signed, code in fields:
            v = (i * 0x9e3779b97f4a7c15 + size) & ((1 << (8 * size)) - 1)
            if signed and v >= 1 << (8 * size - 1):
                v -= 1 << (8 * size)
            vals.append(v)
        ts += 1000 + (i % 13) * 77 + (3 << 27 if i == 450 else 0)
        evs.append((ts, c_struct(fields).pack(eid, *vals)))
        want.append((ts, name, dict(zip([f[1] for f in fields], vals))))
    raw = android_pages(evs, 7)
    put(os.path.join(hyp, "per_cpu/cpu0/trace_pipe_raw"), raw)
    cpu1 = os.path.join(hyp, "per_cpu/cpu1")
    os.makedirs(cpu1)
    fifo = os.path.join(cpu1, "trace_pipe_raw")
    os.mkfifo(fifo)
    # The writer holds the FIFO open and never writes: a read would sleep.
    wfd = os.open(fifo, os.O_RDWR)
    holder = subprocess.Popen(["sleep", "120"], stdin=wfd)
    os.close(wfd)
    try:
        t0 = time.monotonic()
        p = subprocess.run([DUMP, "trace", "--json", "--tracefs", root], capture_output=True,
                           text=True, timeout=60)
        took = time.monotonic() - t0
        got, ok = [], p.returncode == 0
        try:
            doc = json.loads(p.stdout)
            for e in doc["trace"]["events"]:
                if "lost" in e:
                    continue
                got.append((e["ts"], e["event"], e["fields"]))
        except (ValueError, KeyError, TypeError) as ex:
            ok = False
            print("#   json: %s" % ex)
        t.ok(ok and got == want,
             "Android hyp/: %d pages with a 32-byte footer, %d events, fields from the C "
             "layout, footer never decoded" % (len(raw) // PAGE, len(want)),
             "rc=%d got %d events, first diff %s\n%s" % (
                 p.returncode, len(got),
                 next(((a, b) for a, b in zip(got, want) if a != b), None), p.stderr[-400:]))
        t.ok(took < 10, "an empty CPU buffer (FIFO that never delivers) does not block "
             "hypmem-dump trace (%.1f s)" % took)
        t0 = time.monotonic()
        p = subprocess.run([TOP, "-b", "-n", "2", "-d", "0.2", "--tracefs", root],
                           capture_output=True, text=True, timeout=60)
        took = time.monotonic() - t0
        t.ok(p.returncode == 0 and "host_ffa_call" in p.stdout and took < 10,
             "hypmem-top -b -n 2 refreshes past the empty CPU (%.1f s)" % took,
             "rc=%d %s %s" % (p.returncode, p.stdout[-600:], p.stderr[-300:]))
    finally:
        holder.kill()
        holder.wait()

    # A header_page whose data area fits no page, footer or not: an error.
    put(os.path.join(hyp, "events/header_page"), header_page(4000))
    os.unlink(fifo)
    p = subprocess.run([DUMP, "trace", "--tracefs", root], capture_output=True, text=True,
                       timeout=30)
    t.ok(p.returncode != 0 and "footer" in p.stderr,
         "a header_page that frames no page is refused", "rc=%d %s" % (p.returncode, p.stderr))


def bench(n):
    """Events/s of hypmem-dump trace over the same n events as mainline text
    lines and as Android raw pages (output to /dev/null)."""
    with tempfile.TemporaryDirectory() as tmp:
        lines, _ = mainline_lines(0, n, 1_000_000, 3)
        text_root = os.path.join(tmp, "text")
        mainline_tree(text_root, [lines])
        raw_root = os.path.join(tmp, "raw")
        hyp = os.path.join(raw_root, "hyp")
        put(os.path.join(hyp, "events/header_page"), header_page(PAGE - HDR - FOOTER))
        for i, (name, fields, fmt) in enumerate(ANDROID_EVENTS):
            put(os.path.join(hyp, "events/hyp", name, "format"),
                remote_format(name, i, [f[:4] for f in fields], fmt))
        evs = [(1_000_000_000 + 3000 * i, c_struct(ANDROID_EVENTS[2][1]).pack(2, i, 0))
               for i in range(n)]
        put(os.path.join(hyp, "per_cpu/cpu0/trace_pipe_raw"), android_pages(evs, 1))
        for what, root in (("text", text_root), ("raw", raw_root)):
            best = None
            for _ in range(3):
                t0 = time.monotonic()
                subprocess.run([DUMP, "trace", "--tracefs", root], stdout=subprocess.DEVNULL,
                               check=True)
                took = time.monotonic() - t0
                best = took if best is None else min(best, took)
            print("%s: %d events in %.3f s: %.0f events/s" % (what, n, best, n / best))


def check_hostile_text(tmp):
    """Lines a broken or hostile kernel could print: findings, no crash."""
    import random
    rnd = random.Random(13)
    good = "[000]\t    1.000001: hyp_enter reason=hvc vcpu=7\n"
    bad = ["[000]\t99999999999999999999.000001: hyp_enter reason=hvc vcpu=1\n",
           "[000]\t    1.9999999: hyp_exit reason=hvc vcpu=1\n",
           "[001]\t    2.000000: hyp_exit reason=hvc vcpu=1\n",
           "[000]\t    2.000001: no_such_event a=1\n",
           "[000]\t    2.000002: UNKNOWN id=77\n",
           "[000]\t    2.000003: hyp_enter vcpu=99999999999999999999999 reason=\n",
           "[000]\t    2.000004: " + "x" * 200 + "\n",
           "CPU:0 [LOST 18446744073709551615 EVENTS]\n",
           "CPU:0 [LOST -1 EVENTS]\n",
           "\0\0\0garbage\x01\x02\n",
           "[000\n", "\n"]
    lines = [good]
    for _ in range(3000):
        b = rnd.choice(bad + [good])
        if rnd.random() < 0.1:
            b = "".join(chr(rnd.randrange(1, 128)) for _ in range(rnd.randrange(0, 90))) + "\n"
        lines.append(b)
    lines.append("[000]\t    3.000000: hyp_exit reason=hvc vcpu=7")  # no line end
    lines.append("y" * 300000)  # longer than the read buffer, no line end
    root = os.path.join(tmp, "hostile")
    mainline_tree(root, ["".join(lines)])
    p = subprocess.run([DUMP, "trace", "--json", "--tracefs", root], capture_output=True,
                       text=True, timeout=60)
    ok = p.returncode == 1 and "Sanitizer" not in p.stderr and "runtime error" not in p.stderr
    try:
        doc = json.loads(p.stdout)
        kinds = {f["kind"] for f in doc["findings"]}
        n = len([e for e in doc["trace"]["events"] if e.get("event") == "hyp_enter"])
    except (ValueError, KeyError, TypeError):
        ok, kinds, n = False, set(), 0
    t.ok(ok and kinds == {"trace_page_invalid"} and n > 0,
         "hostile trace_pipe text (garbage, huge numbers, unknown events, no line end, "
         "a 300 KB line): findings, the good lines still read (%d hyp_enter)" % n,
         "rc=%d %s" % (p.returncode, p.stderr[-600:]))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--bench":
        bench(int(sys.argv[2]))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        check_mainline(tmp)
        check_android(tmp)
        check_hostile_text(tmp)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
