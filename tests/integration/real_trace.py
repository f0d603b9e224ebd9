#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: a real Linux 7.x hypervisor's trace, on the device and in a
dump, against the kernel's own text.

tests/qemu/real/tracing-kernel builds Debian sid's linux-source-7.N with
hypervisor tracing (about 10-15 minutes on 2 cores, once; cached), boots it
in protected mode (-cpu max: hVHE; cortex-a72: nVHE), lets kvm-user make the
hypervisor trace, stops tracing, prints the kernel's own
remotes/hypervisor/trace, takes a QMP dump, then runs our static arm64
hypmem-dump and hypmem-top inside the guest.  Checked here:

 device  (inside the guest)
   1. hypmem-dump trace --tracefs /sys/kernel/tracing prints every line of
      the kernel's own trace text, in order (it reads trace_pipe, which
      starts at the reader page: it may hold more than `trace` shows);
   2. hypmem-top -b --tracefs follows the hypervisor while it traces 2000
      selftests: each shown or counted lost;
   3. the tracing root without a remote is exit 2, and the marker written
      into the host's own trace before everything is still there after;
 dump    (on the host: hypmem-dump trace VMLINUX VMCORE)
   4. the ids are the names' order, as the guest's events/*/id say;
   5. every CPU's events, walked from the true head, hold the kernel's text
      lines in order (cpu, time to the microsecond, event, reason through
      the DWARF enum hyp_enter_exit_reason read by drgn, vcpu) -- and more:
      the kernel's `trace` starts at the head_page hint -- and their
      number is what the meta page accounts for (entries - overrun - what
      the host's reader consumed: /init reads trace_pipe first);
   6. an independent walk of the same rings (tests/qemu/real/ring_walk.py:
      drgn for DWARF layouts and physical reads, its symbols checked
      against System.map, every address computed there) finds, per CPU,
      exactly our events: the same number, ids and timestamps, in order;
      hypmem-top -e 'self*' --cpu N counts exactly CPU N's selftest events
      of those, and CPU N's lost events;
   7. trace-cmd report on our trace.dat prints exactly our text;
   8. timestamps that go backwards in ring order (nVHE) are findings,
      exactly when the kernel's text shows them;
 emulator (the guest's RAM in a shared file, -cpu max)
   9. hypmem-top --raw RAM@0x40000000 VMLINUX on the host, no offsets given
      (VMCOREINFO found in RAM), counts at least the events of the kernel's
      trace text while tracing is off, with the pools;
  10. then follows the running hypervisor while the guest traces: the
      selftest total grows refresh after refresh;
 hostile  (a copy of the hVHE dump with CPU 0's ring broken, located here
      from the symbols, VMCOREINFO and the kernel's struct sizes)
  11. no HEAD flag, a link into nowhere, a link to itself, a huge nr_pages,
      a commit past the page: each a finding or a clear error, never a
      crash or a hang (the sanitizer build when there is one).

Runs when $HYPMEM_REAL_TRACING=1 or when the kernel is already built in the
cache ($HYPMEM_REAL_CACHE, default ~/.cache/hypmem-real); otherwise one skip
line.  Sources that cannot be had skip.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, ElfCore, Tap, nm, pahole  # noqa: E402

t = Tap()
DUMP = os.path.join(BUILD, "hypmem-dump")
SCRIPT = os.path.join("tests", "qemu", "real", "tracing-kernel")
ARM64 = os.path.join(BUILD, "arm64-static")
DRGN_PYTHON = "/usr/bin/python3"
RING_WALK = os.path.join("tests", "qemu", "real", "ring_walk.py")
LINE = re.compile(r"^\[(\d+)\]\t\s*(\d+)\.(\d{6}): (\S+) ?(.*)$")


def cache():
    return os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))


def kernel_lines(path):
    out = []
    for line in open(path):
        m = LINE.match(line.rstrip("\n"))
        if m:
            out.append((int(m.group(1)), int(m.group(2)) * 10**6 + int(m.group(3)),
                        m.group(4), m.group(5)))
    return out


def is_subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def per_cpu_subsequence(small, big):
    """Each CPU's records of @small appear in @big's records of that CPU, in
    order (the merge across CPUs may order equal microseconds either way)."""
    return all(is_subsequence([x for x in small if x[0] == c], [y for y in big if y[0] == c])
               for c in {x[0] for x in small})


def reasons(vmlinux):
    """{name: value} of enum hyp_enter_exit_reason, read by drgn."""
    code = ("import drgn,sys\np=drgn.Program()\np.load_debug_info([sys.argv[1]])\n"
            "for e in p.type('enum hyp_enter_exit_reason').enumerators:\n"
            "    print(e.name, e.value)\n")
    p = subprocess.run([DRGN_PYTHON, "-c", code, vmlinux], capture_output=True, text=True)
    if p.returncode:
        return None
    return {n[len("HYP_REASON_"):].lower(): int(v) for n, v in
            (l.split() for l in p.stdout.splitlines())}


def check_run(run, cpu):
    meta = json.load(open(os.path.join(run, "meta.json")))
    vmlinux = os.path.join(run, "vmlinux")
    kern = kernel_lines(os.path.join(run, "trace.txt"))
    t.ok(len(kern) > 100, "%s: %s mode, the kernel's own trace text has %d events" % (
        cpu, meta.get("mode"), len(kern)))

    # --- device ---
    ours = []
    for line in open(os.path.join(run, "tracefs.txt")):
        m = re.match(r"^\s+<\.\.\.>--1\s+\[(\d+)\]\s+(\d+)\.(\d{6}): (\w+):\s+(.*)$", line)
        if m:
            ours.append((int(m.group(1)), int(m.group(2)) * 10**6 + int(m.group(3)),
                         m.group(4), m.group(5)))
    t.ok(ours and per_cpu_subsequence(kern, ours) and "rc=0" in open(
        os.path.join(run, "tracefs.txt")).read(),
         "%s: device: hypmem-dump trace --tracefs (static arm64, in the guest) shows every "
         "line of the kernel's trace, in order (%d of our %d)" % (cpu, len(kern), len(ours)),
         "first kernel lines %s\nfirst of ours %s" % (kern[:3], ours[:3]))
    top = open(os.path.join(run, "top.txt")).read()
    sel = [int(x) for x in re.findall(r"^selftest\s+\d+\s+\d+\s+(\d+)$", top, re.M)]
    lost = [int(x) for x in re.findall(r"lost: (\d+) total", top)]
    rates = [int(x) for x in re.findall(r"total, (\d+)/s", top)]
    t.ok("rc=0" in top and sel and lost and (sel[-1] == 2000 or lost[-1] > 0),
         "%s: device: hypmem-top -b --tracefs follows 2000 selftests on the text path "
         "(shown %d, lost %d, up to %d events/s)" % (cpu, sel[-1] if sel else -1,
                                                     lost[-1] if lost else -1,
                                                     max(rates or [0])), top[-600:])
    nohost = open(os.path.join(run, "nohost.txt")).read()
    t.ok("rc=2" in nohost and "remotes/hypervisor" in nohost,
         "%s: device: a tracefs without a remote is exit 2 naming what was looked for" % cpu,
         nohost)
    t.ok(open(os.path.join(run, "marker.txt")).read().strip() == "1",
         "%s: device: the host's own trace still holds the marker written first" % cpu)

    # --- dump ---
    t.ok(meta.get("events") == {"hyp_enter": "0", "hyp_exit": "1", "selftest": "2"},
         "%s: the guest's event ids are the names' order" % cpu, meta.get("events"))
    p = subprocess.run([DUMP, "trace", "--json", vmlinux, os.path.join(run, "vmcore")],
                       capture_output=True, text=True, timeout=300)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        t.ok(False, "%s: hypmem-dump trace --json on the dump" % cpu, p.stderr[-800:])
        return
    evs = [e for e in doc["trace"]["events"] if "event" in e]
    stats = doc["trace"]["cpus"]
    rs = reasons(vmlinux)
    mine = []
    for e in evs:
        f = e["fields"]
        if e["event"] in ("hyp_enter", "hyp_exit"):
            text = (f.get("reason"), f.get("vcpu"))
        else:
            text = (f.get("id"),)
        mine.append((e["cpu"], e["ts"] // 1000, e["event"], text))
    want = []
    for c, us, name, args in kern:
        kv = dict(a.split("=", 1) for a in args.split() if "=" in a)
        if name in ("hyp_enter", "hyp_exit") and rs is not None:
            want.append((c, us, name, (rs.get(kv.get("reason")), int(kv.get("vcpu", -1)))))
        elif name == "selftest":
            want.append((c, us, name, (int(kv.get("id", -1)),)))
        else:
            want.append((c, us, name, None))
    ok = rs is not None
    detail = "" if ok else "drgn could not read enum hyp_enter_exit_reason"
    for c in sorted({w[0] for w in want}):
        k = [w for w in want if w[0] == c]
        m = [x for x in mine if x[0] == c]
        if not is_subsequence(k, m):
            ok = False
            detail += "cpu %d: kernel %s...\nours %s...\n" % (c, k[:3], m[:3])
    t.ok(ok, "%s: dump: every CPU's events from the true head hold the kernel's text lines "
         "in order, fields decoded from DWARF (%d kernel, %d ours)" % (cpu, len(want), len(mine)),
         detail + p.stderr[-400:])
    acc = all(s.get("read") + s.get("consumed", 0) == s.get("entries", -1) - s.get("overrun", 0)
              and s.get("lost") == s.get("overrun") for s in stats if "entries" in s)
    t.ok(acc and sum(s.get("read", 0) for s in stats) == len(evs),
         "%s: dump: the events read are what the meta pages account for "
         "(entries - overrun - consumed by the host's reader, per CPU: %s), overrun "
         "reported lost" % (cpu, ", ".join(
             "%d-%d-%d" % (s.get("entries", 0), s.get("overrun", 0), s.get("consumed", 0))
             for s in stats)), stats)
    check_ring_walk(run, cpu, evs)
    # hypmem-top's filters on a real kernel's rings: the per-CPU counts of
    # the events just checked against the kernel's text and the ring walk.
    keep = len(stats) - 1
    p = subprocess.run([os.path.join(BUILD, "hypmem-top"), "-b", "-n", "1", "--json", "-e",
                        "self*", "--cpu", str(keep), vmlinux, os.path.join(run, "vmcore")],
                       capture_output=True, text=True, timeout=300)
    want = [sum(1 for e in evs if e["event"] == "selftest" and e["cpu"] == c) if c == keep
            else 0 for c in range(len(stats))]
    try:
        j = json.loads(p.stdout)
    except ValueError:
        j = {}
    t.ok(want[keep] > 0 and list(j.get("events", {})) == ["selftest"] and
         j["events"]["selftest"]["per_cpu"] == want and j["events_total"] == want[keep] and
         j["lost_total"] == stats[keep]["lost"],
         "%s: dump: hypmem-top -e 'self*' --cpu %d counts CPU %d's %d selftest events and "
         "its %d lost" % (cpu, keep, keep, want[keep], stats[keep]["lost"]),
         p.stdout[-600:] + p.stderr[-300:])
    backwards = [f for f in doc.get("findings") or []
                 if isinstance(f, dict) and f.get("kind") == "trace_time_backwards"]
    # Independent: does the kernel's own text go back in time on some CPU?
    kern_back = any(b[1] < a[1] for c in {k[0] for k in kern}
                    for a, b in zip([k for k in kern if k[0] == c],
                                    [k for k in kern if k[0] == c][1:]))
    # The dump holds more than the kernel's text: a jump may be in what
    # only the dump has.  hVHE's clock has always been monotonic here.
    t.ok((backwards or not kern_back) and not (backwards and meta.get("mode") == "hVHE"),
         "%s: dump: the clock going backwards is a finding whenever the kernel's text "
         "shows it (%s mode: %s)" % (cpu, meta.get("mode"),
                                     backwards[0]["message"] if backwards else "monotonic"),
         backwards[:3])

    # Exports shaped like each kernel's tracefs, read back through --tracefs.
    direct = [(e["cpu"], e["ts"] // 1000, e["event"], e["fields"]) for e in evs]
    for shape in ("mainline", "android"):
        tmp = tempfile.mkdtemp(prefix="hypmem-export-")
        try:
            p = subprocess.run([DUMP, "trace", "--export-tracefs", tmp, "--export-shape", shape,
                                vmlinux, os.path.join(run, "vmcore")], capture_output=True,
                               text=True, timeout=300)
            q = subprocess.run([DUMP, "trace", "--json", "--tracefs", tmp], capture_output=True,
                               text=True, timeout=300)
            back = []
            try:
                back = [(e["cpu"], e["ts"] // 1000, e["event"], e["fields"])
                        for e in json.loads(q.stdout)["trace"]["events"] if "event" in e]
            except (ValueError, KeyError):
                pass
            files = sorted(os.path.relpath(os.path.join(d, f), tmp)
                           for d, _, fs in os.walk(tmp) for f in fs)
            # Per CPU: text keeps microseconds, so the merge may order ties either way.
            by_cpu = lambda l: sorted(l, key=lambda x: x[0])  # noqa: E731 (stable)
            t.ok(p.returncode in (0, 1) and by_cpu(back) == by_cpu(direct) and any(
                f.endswith("trace_pipe" if shape == "mainline" else "trace_pipe_raw")
                for f in files),
                 "%s: dump: --export-shape %s (%s) reads back through --tracefs with the same "
                 "%d events" % (cpu, shape, "text pipes" if shape == "mainline" else
                                "footer pages", len(direct)),
                 "%s\n%s\nfiles %s\nfirst diff %s" % (p.stderr[-300:], q.stderr[-300:], files[:8],
                                                    next(((a, b) for a, b in zip(by_cpu(back), by_cpu(direct))
                                                          if a != b), None)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    if shutil.which("trace-cmd"):
        dat = os.path.join(run, "ours.dat")
        p = subprocess.run([DUMP, "trace", "-o", dat, vmlinux, os.path.join(run, "vmcore")],
                           capture_output=True, text=True, timeout=300)
        r = subprocess.run(["trace-cmd", "report", dat], capture_output=True, text=True)
        # Lost-event lines: trace-cmd words them its own way ("[N EVENTS
        # DROPPED]", and not at all for a CPU's first page); the counts are
        # checked above against the meta pages.
        def events_only(text):
            return [l for l in text.split("\nFindings:")[0].splitlines()
                    if not re.match(r"CPU:\d+ \[", l)]
        t.ok(p.returncode in (0, 1) and r.returncode == 0 and
             events_only(r.stdout) == events_only(p.stdout),
             "%s: dump: trace-cmd report on our trace.dat prints exactly our text" % cpu,
             r.stderr[-400:])
        os.unlink(dat)
    else:
        t.skip("%s: trace-cmd report" % cpu, "trace-cmd not installed")


def check_ring_walk(run, cpu, evs):
    """Our events per CPU against drgn's own walk of the rings."""
    vmlinux = os.path.join(run, "vmlinux")
    sysmap = os.path.join(os.path.dirname(os.path.realpath(vmlinux)), "System.map")
    p = subprocess.run([DRGN_PYTHON, RING_WALK, vmlinux, os.path.join(run, "vmcore"), sysmap],
                       capture_output=True, text=True, timeout=600)
    try:
        walk = json.loads(p.stdout)["cpus"]
    except (ValueError, KeyError):
        t.ok(False, "%s: dump: drgn's independent walk of the rings" % cpu, p.stderr[-800:])
        return
    ok, detail, counts = bool(walk), "", []
    for c in sorted(set(int(k) for k in walk) | {e["cpu"] for e in evs}):
        theirs = [tuple(x) for x in walk.get(str(c), [])]
        mine = [(e["id"], e["ts"]) for e in evs if e["cpu"] == c]
        counts.append("cpu%d %d" % (c, len(theirs)))
        if theirs != mine:
            ok = False
            first = next((i for i, (a, b) in enumerate(zip(theirs, mine)) if a != b),
                         min(len(theirs), len(mine)))
            detail += "cpu %d: drgn %d events, ours %d; first difference at %d: %s vs %s\n" % (
                c, len(theirs), len(mine), first, theirs[first:first + 2], mine[first:first + 2])
    t.ok(ok, "%s: dump: drgn's independent walk from the true head finds exactly our events, "
         "ids and timestamps per CPU (%s)" % (cpu, ", ".join(counts)), detail)


def check_hostile(run):
    """Break CPU 0's ring in a copy of the dump; hypmem must say so and end."""
    vmlinux = os.path.join(run, "vmlinux")
    tool = os.path.join(BUILD, "asan", "hypmem-dump")
    tool = tool if os.path.exists(tool) else DUMP
    tmp = tempfile.mkdtemp(prefix="hypmem-hostile-")
    core = os.path.join(tmp, "vmcore")
    try:
        subprocess.run(["cp", "--sparse=always", os.path.join(run, "vmcore"), core], check=True)
        head = open(core, "rb").read(1 << 16)
        num = lambda k: int(re.search(rb"NUMBER\(" + k + rb"\)=(\w+)", head).group(1), 0)  # noqa
        phys_offset, va_bits = num(b"PHYS_OFFSET"), num(b"VA_BITS")
        kimage_voffset = num(b"kimage_voffset")
        syms = nm(vmlinux)
        elf = ElfCore(core)
        f = open(core, "r+b")

        def rd(pa, n=8):
            f.seek(elf.offset(pa))
            return int.from_bytes(f.read(n), "little")

        def wr(pa, v, n=8):
            f.seek(elf.offset(pa))
            f.write(v.to_bytes(n, "little"))
            f.flush()

        kpa = lambda s: syms[s] - kimage_voffset  # noqa: E731 (nokaslr)
        base0 = rd(kpa("__kvm_nvhe_kvm_arm_hyp_percpu_base"))
        rb = (base0 + (1 << va_bits) + phys_offset) % (1 << 64) + \
            syms["__kvm_nvhe___simple_rbs"] - syms["__kvm_nvhe___per_cpu_start"]
        physvirt = rd(kpa("__kvm_nvhe_hyp_physvirt_offset"))
        hyp_pa = lambda va: (va + physvirt) % (1 << 64)  # noqa: E731
        # Offsets and sizes from the vmlinux's DWARF (pahole), not from notes.
        rbl, bpl = pahole(vmlinux, "simple_rb_per_cpu"), pahole(vmlinux, "simple_buffer_page")
        nrl = pahole(vmlinux, "simple_rb_per_cpu", sizes=True)["nr_pages"]
        bsz, next_off = bpl["__size__"], bpl["link"] + pahole(vmlinux, "list_head")["next"]
        nr_at = rb + rbl["nr_pages"]
        bpages, nr = rd(rb + rbl["bpages"]), rd(nr_at, nrl)
        links = [hyp_pa(bpages + bsz * i + next_off) for i in range(nr)]
        nexts = [rd(pa) for pa in links]
        ok_layout = 3 <= nr <= 64 and sum(n & 1 for n in nexts) == 1
        if not t.ok(ok_layout, "hostile: CPU 0's ring located in the dump (%d pages, one HEAD "
                    "link)" % nr, [hex(n) for n in nexts]):
            return
        flagged = next(i for i, n in enumerate(nexts) if n & 1)
        head = ((nexts[flagged] & ~3) - bpages - next_off) // bsz
        page0 = hyp_pa(rd(links[1] - next_off + bpl["page"]))
        # Each: the writes, a word the output must hold, and where the
        # trace_page_invalid finding must be: the ring itself, the link or
        # count written, anywhere in the page written (None: an error, exit
        # 2).  CPU 1's ring is intact: its events must still come out.
        cases = [
            ("no HEAD flag", [(links[flagged], nexts[flagged] & ~3, 8)], "HEAD", (rb, rb + 1)),
            ("a link into nowhere", [(links[flagged], 0xffff0000dead0001, 8)], "no page",
             (links[flagged], links[flagged] + 1)),
            ("the head's link to itself", [(links[head], bpages + bsz * head + next_off, 8)], "tail",
             (links[head], links[head] + 1)),
            ("nr_pages 0xffffffff", [(nr_at, 0xffffffff, nrl)], "trace pages", (nr_at, nr_at + 1)),
            ("a commit past the page", [(page0 + pahole(vmlinux, "buffer_data_page")["commit"],
                                         0x3fffffff, 8)], "trace page",
             (page0, page0 + 4096)),
        ]
        for name, writes, word, where in cases:
            saved = [(pa, rd(pa, n), n) for pa, _, n in writes]
            for pa, v, n in writes:
                wr(pa, v, n)
            try:
                p = subprocess.run([tool, "trace", "--json", vmlinux, core],
                                   capture_output=True, text=True, timeout=60)
                rc, out = p.returncode, p.stdout + p.stderr
            except subprocess.TimeoutExpired:
                rc, out = None, "timeout"
            at, cpu1 = [], 0
            if rc == 1:
                doc = json.loads(p.stdout)
                at = [int(f["address"], 0) for f in doc.get("findings") or []
                      if isinstance(f, dict) and f.get("kind") == "trace_page_invalid"]
                cpu1 = sum(1 for e in doc["trace"]["events"] if e.get("cpu") == 1)
            placed = (rc == 2 and where is None) or \
                (rc == 1 and where is not None and any(where[0] <= a < where[1] for a in at))
            t.ok(placed and "Sanitizer" not in out and "runtime error" not in out and
                 word in out and (where is None or cpu1 > 0),
                 "hostile: %s: %s" % (name, "exit 2, an error naming it" if where is None else
                                      "exit 1, trace_page_invalid at 0x%x, CPU 1's %d events "
                                      "still read" % (where[0], cpu1)),
                 "exit %s, findings at %s\n%s" % (rc, [hex(a) for a in at], out[-600:]))
            for pa, v, n in saved:
                wr(pa, v, n)
        f.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_emulator(run):
    kern = kernel_lines(os.path.join(run, "trace.txt"))
    still = open(os.path.join(run, "emu-still.txt")).read()
    m = re.search(r"Events: (\d+) total", still)
    t.ok(m and int(m.group(1)) >= len(kern) and "Pool hpool" in still and "rc=0" in still,
         "emulator: hypmem-top --raw on the running guest's RAM (VMCOREINFO found in RAM) "
         "counts at least the kernel's %d events (%s), with the pools" % (
             len(kern), m.group(1) if m else "?"), still[-800:])
    live = open(os.path.join(run, "emu-live.txt")).read()
    totals = [int(x) for x in re.findall(r"^selftest\s+\d+\s+\d+\s+(\d+)$", live, re.M)]
    grew = sum(1 for a, b in zip(totals, totals[1:]) if b > a)
    t.ok("rc=0" in live and grew >= 3,
         "emulator: hypmem-top --raw follows the live hypervisor (selftest totals %s)"
         % totals, live[-800:])


def main():
    want = os.environ.get("HYPMEM_REAL_TRACING")
    built = os.path.exists(os.path.join(cache(), "tracing-kernel", "build.json"))
    if want == "0" or (want != "1" and not built):
        t.skip("real tracing hypervisor", "set HYPMEM_REAL_TRACING=1 to build Linux 7.x "
               "with hypervisor tracing (about 15 minutes, once)")
        return t.done()
    if not os.path.exists(os.path.join(ARM64, "hypmem-dump")):
        p = subprocess.run(["make", "-s", "CROSS=aarch64-linux-gnu-", "STATIC=1",
                            "BUILD=" + ARM64, "host"], capture_output=True, text=True)
        if p.returncode:
            t.skip("real tracing hypervisor", "no static arm64 build (HYPMEM_CROSS=1 make "
                   "deps): " + p.stderr.strip()[-200:])
            return t.done()
    for cpu in os.environ.get("HYPMEM_REAL_TRACING_CPUS", "max,cortex-a72").split(","):
        p = subprocess.run([SCRIPT, "--cpu", cpu, "--hypmem-arm64", ARM64],
                           capture_output=True, text=True, timeout=3600)
        if p.returncode == 3:
            t.skip("real tracing hypervisor (%s)" % cpu, p.stderr.strip()[-300:])
            continue
        m = re.search(r"^RUN (.*)$", p.stdout, re.M)
        if not t.ok(p.returncode == 0 and m, "%s: build, boot, trace, dump" % cpu,
                    p.stderr[-1500:]):
            continue
        check_run(m.group(1), cpu)
        if cpu == "max":
            check_hostile(m.group(1))
    p = subprocess.run([SCRIPT, "--cpu", "max", "--hypmem-arm64", ARM64, "--emulator",
                        os.path.join(BUILD, "hypmem-top")],
                       capture_output=True, text=True, timeout=3600)
    m = re.search(r"^RUN (.*)$", p.stdout, re.M)
    if p.returncode == 3:
        t.skip("emulator scenario", p.stderr.strip()[-300:])
    elif t.ok(p.returncode == 0 and m, "emulator: boot with RAM in a shared file, trace live",
              p.stderr[-1500:]):
        check_emulator(m.group(1))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
