#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: the EL2 core's trace under QEMU, read back three ways.

The EL2 core runs its workload at EL2 with tracing on and prints, in its
ground truth, what each CPU's writer committed: the number of events, how
many were overwritten, and an FNV-1a hash over every payload in order.

 1. Big buffer (nothing overwritten): hypmem-dump trace on the dump returns
    exactly that sequence: the count matches, and an independent decoder
    written here in Python (over the Android-shaped tracefs tree that
    hypmem-dump exports: the dump's events re-packed into footer pages)
    hashes to the EL2 core's value.
 2. The same events per type as the workload's own counters (allocations per
    pool).
 3. trace-cmd report (the real one) on our trace.dat prints exactly our
    text; the tracefs tree read back with --tracefs prints it too.
 4. Small buffer (overwrite mode): every event is read or counted lost, and
    lost == the meta page's overrun.
 5. The EL2 core keeps Linux 7.x's trace state, so its dumps take the real
    kernels' decoder path: the image has __simple_rbs in its per-CPU
    section, kvm_arm_hyp_percpu_base and no format text in memory; every
    decoded event's name and id (ids from the DWARF structs in name order)
    are the ones the EL2 core's own enum gives in its ground truth.
 6. Two CPUs (--smp 2, PSCI CPU_ON): both CPUs' buffers have events; each
    CPU's pages, decoded here, hash to that CPU's own record; the merged
    sequence is ordered by time, holds exactly each CPU's sequence, and
    switches CPU often (the SMP phase really ran concurrently); each CPU's
    allocation events match its op stream's count; the pools are the same
    as before the SMP phase and the same in a second boot (the interleaving
    does not reach the ground truth); hypmem-stat decodes the SMP dump.
 6. Lost counts survive export: trace-cmd report of our trace.dat and
    hypmem-top -b over both tracefs shapes show --stats' lost count.
 7. Filters (-e with globs, --cpu, --since/--until) and --json-lines give
    exactly what the unfiltered --json output, filtered here, holds; lost
    records are never dropped silently; bad filters are one-line errors.
 8. pool= is printed by name (hpool, host_s2_pool, vm_table[N].pool) where
    the dump tells, one name per hyp VA; trace-cmd (which has no memory)
    prints the same lines with the VAs.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, Tap, file_hash, nm  # noqa: E402

t = Tap()
DUMP = os.path.join(BUILD, "hypmem-dump")


def boot(pages, ops, seed=3, smp=1, tag="", dump=True):
    image = os.path.join(BUILD, "el2", "L8", "el2.elf")
    out = os.path.join(BUILD, "dumps", "trace-p%d-o%d-s%d%s%s-%s" % (
        pages, ops, seed, "-c%d" % smp if smp > 1 else "", tag, file_hash(image)))
    if os.path.exists(os.path.join(out, "vmcore" if dump else "truth.json")):
        return out, None
    shutil.rmtree(out, ignore_errors=True)
    cmd = ["tests/qemu/hypmem-qemu", "--image", image, "--out", out, "--mem", "512",
           "--seed", str(seed), "--ops", str(ops), "--formats", "elf", "--smp", str(smp),
           "--args", "trace_pages=%d" % pages] + ([] if dump else ["--no-dump"])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode:
        return None, "%s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr)
    return out, None


def fnv1a(h, data):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def python_decode(raw, with_ts=False):
    """An independent reader of trace_pipe_raw pages: payloads in order
    (with with_ts, (timestamp, payload) pairs)."""
    out, lost = [], 0
    for off in range(0, len(raw), 4096):
        page = raw[off:off + 4096]
        ts, commit = struct.unpack_from("<QQ", page, 0)
        size = commit & ((1 << 30) - 1)
        if commit & (1 << 30):
            lost += struct.unpack_from("<Q", page, 16 + size)[0]
        pos, end = 16, 16 + size
        while pos < end:
            w, = struct.unpack_from("<I", page, pos)
            typ, delta = w & 31, w >> 5
            if typ == 0:
                length, = struct.unpack_from("<I", page, pos + 4)
                ts += delta
                pl = page[pos + 8:pos + 4 + length]
                pos += 4 + length
            elif typ == 30:
                ts += delta | struct.unpack_from("<I", page, pos + 4)[0] << 27
                pos += 8
                continue
            elif typ == 31:
                ts = delta | struct.unpack_from("<I", page, pos + 4)[0] << 27
                pos += 8
                continue
            elif typ == 29:
                raise ValueError("padding in an EL2 page")
            else:
                ts += delta
                pl = page[pos + 4:pos + 4 + 4 * typ]
                pos += 4 + 4 * typ
            out.append((ts, pl) if with_ts else pl)
    return out, lost


def main():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("trace", "qemu-system-aarch64 not installed")
        return t.done()
    out, err = boot(2048, 20000)
    t.ok(out is not None, "big buffer: boot, workload, dump", err or "")
    if out is None:
        return t.done()
    truth = json.load(open(os.path.join(out, "truth.json")))["trace"]
    cpu0 = truth["cpus"][0]
    t.ok(cpu0["overrun"] == 0 and cpu0["entries"] > 10000,
         "big buffer: the EL2 writer overwrote nothing", cpu0)
    el2, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    syms = nm(el2)
    pcpu = [syms.get("__kvm_nvhe_" + n) for n in ("__per_cpu_start", "__simple_rbs",
                                                   "__per_cpu_end")]
    t.ok(None not in pcpu and pcpu[0] <= pcpu[1] < pcpu[2] and
         "__kvm_nvhe_kvm_arm_hyp_percpu_base" in syms and "__kvm_nvhe_trace_buffer" in syms and
         not any("trace_formats" in n for n in syms),
         "the image keeps 7.x's trace state: __simple_rbs in the per-CPU section, "
         "kvm_arm_hyp_percpu_base, no format text in memory", pcpu)
    tmp = tempfile.mkdtemp(prefix="hypmem-trace-")
    try:
        p = subprocess.run([DUMP, "trace", "--json", el2, core], capture_output=True, text=True)
        t.ok(p.returncode == 0, "hypmem-dump trace --json exits 0", p.stderr + p.stdout[-500:])
        if p.returncode == 0:
            j = json.loads(p.stdout)
            evs = j["trace"]["events"]
            t.ok(len(evs) == cpu0["entries"] and not any("lost" in e for e in evs),
                 "every committed event is read, none lost",
                 "%d events, truth %d" % (len(evs), cpu0["entries"]))
            ts = [e["ts"] for e in evs]
            t.ok(ts == sorted(ts) and ts[0] == cpu0["first_ts"] and ts[-1] == cpu0["last_ts"],
                 "timestamps ordered, first and last as the EL2 clock said")
            ids = truth["events"]
            seen = {e["event"] for e in evs}
            t.ok(sorted(ids, key=ids.get) == sorted(ids) and
                 all(ids.get(e["event"]) == e["id"] for e in evs) and
                 {"hyp_enter", "hyp_exit", "hyp_page_alloc", "hyp_page_free"} <= seen,
                 "every event's name and id, read through DWARF, are the EL2 core's own "
                 "(ids in name order)", "truth %s, decoded %s" % (ids, sorted(seen)))
            # The single-CPU workload's events: CPU 0's first, up to its mark.
            mark = [m for m in truth["marks"] if m["name"] == "workload"][0]
            allocs = {}
            for e in [e for e in evs if e["cpu"] == 0][:mark["entries"]]:
                if e["event"] == "hyp_page_alloc":
                    allocs[e["fields"]["pool"]] = allocs.get(e["fields"]["pool"], 0) + 1
            wl = json.load(open(os.path.join(out, "truth.json")))["workload"]["pools"]
            t.ok(sorted(allocs.values()) == sorted(p["allocs"] for p in wl),
                 "hyp_page_alloc events per pool match the workload's allocations",
                 "%s vs %s" % (allocs, wl))
        tfs = os.path.join(tmp, "tracefs")
        dat = os.path.join(tmp, "trace.dat")
        p = subprocess.run([DUMP, "trace", "-o", dat, "--export-tracefs", tfs,
                            "--export-shape", "android", el2, core],
                           capture_output=True, text=True)
        t.ok(p.returncode == 0, "trace text, trace.dat and tracefs export", p.stderr)
        names = check_pool_names(el2, core, p.stdout, evs)
        ours = unname(p.stdout, names)
        raw = open(os.path.join(tfs, "hyp/per_cpu/cpu0/trace_pipe_raw"), "rb").read()
        payloads, lost = python_decode(raw)
        h = 0xcbf29ce484222325
        for pl in payloads:
            h = fnv1a(h, pl)
        t.ok(len(payloads) == cpu0["entries"] and "0x%x" % h == cpu0["hash"] and lost == 0,
             "independent decoder over the exported pages: the EL2 core's sequence hash",
             "%d payloads hash 0x%x, truth %s" % (len(payloads), h, cpu0))
        if shutil.which("trace-cmd"):
            p = subprocess.run(["trace-cmd", "report", dat], capture_output=True, text=True)
            t.ok(p.returncode == 0 and p.stdout == ours,
                 "trace-cmd report trace.dat prints exactly our text",
                 p.stderr + "".join(l for l in
                                    __import__("difflib").unified_diff(
                                        ours.splitlines(True)[:50],
                                        p.stdout.splitlines(True)[:50])))
        else:
            t.skip("trace-cmd report", "trace-cmd not installed")
        p = subprocess.run([DUMP, "trace", "--tracefs", tfs], capture_output=True, text=True)
        t.ok(p.returncode == 0 and p.stdout == ours, "the tracefs tree reads back the same",
             p.stderr + p.stdout[:500])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    out, err = boot(16, 20000)
    t.ok(out is not None, "small buffer: boot, workload, dump", err or "")
    if out is None:
        return t.done()
    cpu0 = json.load(open(os.path.join(out, "truth.json")))["trace"]["cpus"][0]
    p = subprocess.run([DUMP, "trace", "--json", os.path.join(out, "el2.elf"),
                        os.path.join(out, "vmcore")], capture_output=True, text=True)
    t.ok(p.returncode == 0, "small buffer: hypmem-dump trace exits 0 (no findings)",
         p.stdout[-2000:] + p.stderr)
    if p.returncode == 0:
        j = json.loads(p.stdout)
        st = j["trace"]["cpus"][0]
        evs = j["trace"]["events"]
        lost = sum(e["lost"] for e in evs if "lost" in e)
        nev = sum(1 for e in evs if "lost" not in e)
        t.ok(cpu0["overrun"] > 0 and lost == cpu0["overrun"] and
             nev + lost == cpu0["entries"] and st["read"] == nev,
             "overwrite: every event read or counted lost, lost == overrun",
             "read %d lost %d, truth %s" % (nev, lost, cpu0))
        check_lost_export(os.path.join(out, "el2.elf"), os.path.join(out, "vmcore"), lost)
        check_lost_filtered(os.path.join(out, "el2.elf"), os.path.join(out, "vmcore"), lost)
    check_smp()
    return t.done()


def pool_names(text, evs):
    """Our text prints pool= by name where the dump tells: name -> VA as
    the format prints it (decimal: the EL2 image's formats come from DWARF,
    as a 7.x kernel's do), from the text lines beside the --json events
    (same order), and whether
    every name stands for one VA and no two names for the same one."""
    lines = text.splitlines()[1:1 + len(evs)]
    names, ok = {}, len(lines) == len(evs)
    for line, e in zip(lines, evs):
        m = re.search(r" pool=(\S+)", line)
        if m and "pool" in e.get("fields", {}):
            va = "%d" % e["fields"]["pool"]
            if m.group(1) != va:
                ok &= names.setdefault(m.group(1), va) == va
    return names, ok and len(set(names.values())) == len(names)


def unname(text, names):
    """Our text with the pools' VAs back, as trace-cmd prints them."""
    return re.sub(r"(?<= pool=)(\S+)", lambda m: names.get(m.group(1), m.group(1)), text)


def check_pool_names(el2, core, text, evs):
    names, ok = pool_names(text, evs)
    p = subprocess.run([DUMP, "pools", "--json", el2, core], capture_output=True, text=True)
    pools = [x["name"] for x in json.loads(p.stdout)["pools"]] if p.returncode == 0 else []
    t.ok(ok and {"hpool", "host_s2_pool"} <= set(names) and set(names) <= set(pools),
         "pool= by name: hpool and host_s2_pool, each one VA, all pools the dump lists",
         "%s\npools %s" % (names, pools))
    return names


def check_lost_export(el2, core, lost):
    """The lost count survives every export: trace-cmd report of our
    trace.dat, and hypmem-top -b over both tracefs shapes, show what
    hypmem-dump trace --stats counts on the dump."""
    tmp = tempfile.mkdtemp(prefix="hypmem-trace-lost-")
    try:
        p = subprocess.run([DUMP, "trace", "--stats", el2, core], capture_output=True, text=True)
        stats = [l for l in p.stdout.splitlines() if l.startswith("cpu 0: ")]
        t.ok(lost > 0 and stats and " lost %d " % lost in stats[0],
             "overwrite: --stats counts %d lost" % lost, stats)
        dat = os.path.join(tmp, "lost.dat")
        p = subprocess.run([DUMP, "trace", "--stats", "-o", dat, el2, core], capture_output=True,
                           text=True)
        if not shutil.which("trace-cmd"):
            t.skip("overwrite: trace-cmd report shows the lost count", "trace-cmd not installed")
        else:
            q = subprocess.run(["trace-cmd", "report", dat], capture_output=True, text=True)
            dropped = [l for l in q.stdout.splitlines() if "DROPPED" in l]
            t.ok(p.returncode == 0 and dropped == ["CPU:0 [%d EVENTS DROPPED]" % lost],
                 "overwrite: trace-cmd report of our trace.dat shows the %d lost events" % lost,
                 dropped[:3] + [p.stderr, q.stderr[-500:]])
        for shape in ("mainline", "android"):
            tfs = os.path.join(tmp, shape)
            p = subprocess.run([DUMP, "trace", "--export-tracefs", tfs, "--export-shape", shape,
                                el2, core], capture_output=True, text=True)
            q = subprocess.run([os.path.join(BUILD, "hypmem-top"), "-b", "-n", "1", "-d", "0.2",
                                "--json", "--tracefs", tfs], capture_output=True, text=True,
                               timeout=60)
            got = None
            try:
                got = json.loads(q.stdout.splitlines()[-1])["lost_total"]
            except (ValueError, KeyError, IndexError):
                pass
            t.ok(p.returncode == 0 and got == lost,
                 "overwrite: hypmem-top -b over the %s export counts the %d lost events" %
                 (shape, lost), "got %s\n%s%s" % (got, p.stderr, q.stderr[-500:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def printed_us(ts):
    """The microsecond the text prints for ts (ns), rounded as trace-cmd does."""
    return (ts + 500) // 1000


def check_filters(el2, core, full, tmp, names):
    """-e, --cpu, --since/--until and --json-lines against the unfiltered
    --json output, filtered here."""
    evs = full["trace"]["events"]

    def run(*args):
        p = subprocess.run([DUMP, "trace", "--json-lines"] + list(args) + [el2, core],
                           capture_output=True, text=True)
        lines = p.stdout.splitlines()
        try:
            return p.returncode, [json.loads(x) for x in lines[:-1]], json.loads(lines[-1])
        except (ValueError, IndexError):
            return p.returncode, None, p.stderr

    rc, lines, last = run()
    t.ok(rc == 0 and lines == evs and last["trace"]["cpus"] == full["trace"]["cpus"] and
         last["findings"] == full["findings"] and "filtered" not in last["trace"],
         "filters: --json-lines: the --json events one per line, then counters and findings")
    import fnmatch
    want = [e for e in evs if "lost" in e or fnmatch.fnmatch(e["event"], "hyp_page_*")
            or e["event"] == "hyp_exit"]
    rc, lines, last = run("-e", "hyp_page_*", "--event", "hyp_exit")
    t.ok(rc == 0 and lines == want and want and
         last["trace"]["filtered"]["events"] == len(evs) - len(want),
         "filters: -e 'hyp_page_*' -e hyp_exit keeps exactly those events (%d of %d)" %
         (len(want), len(evs)), last if rc else "")
    want = [e for e in evs if e["cpu"] == 1]
    rc, lines, last = run("--cpu", "1")
    t.ok(rc == 0 and lines == want and want and len(want) < len(evs),
         "filters: --cpu 1 keeps CPU 1's %d events" % len(want))
    rc, lines, _ = run("--cpu", "0-1,0")
    t.ok(rc == 0 and lines == evs, "filters: --cpu 0-1,0 keeps everything")
    lo, hi = printed_us(evs[len(evs) // 3]["ts"]), printed_us(evs[len(evs) // 2]["ts"])
    since, until = "%d.%06d" % divmod(lo, 1000000), "%d.%06d" % divmod(hi, 1000000)
    want = [e for e in evs if lo <= printed_us(e["ts"]) <= hi]
    rc, lines, last = run("--since", since, "--until", until)
    t.ok(rc == 0 and lines == want and lines[0]["ts"] <= evs[len(evs) // 3]["ts"] and
         lines[-1]["ts"] >= evs[len(evs) // 2]["ts"],
         "filters: --since %s --until %s keeps the %d events printed in that window" %
         (since, until, len(want)))
    p = subprocess.run([DUMP, "trace", "--stats", "--since", since, "--until", until,
                        "-e", "hyp_enter", el2, core], capture_output=True, text=True)
    kept = sum(1 for e in want if e["event"] == "hyp_enter")
    t.ok(p.returncode == 0 and p.stdout.count("hyp_enter:") == kept and
         "filtered out: %d events, 0 lost-event records (0 events lost)\n" %
         (len(evs) - kept) in p.stdout,
         "filters: text with --stats says how many events were filtered out",
         p.stdout[-300:] + p.stderr)
    if shutil.which("trace-cmd"):
        dat = os.path.join(tmp, "filtered.dat")
        p = subprocess.run([DUMP, "trace", "-o", dat, "--cpu", "1", "-e", "hyp_page_*", el2,
                            core], capture_output=True, text=True)
        q = subprocess.run(["trace-cmd", "report", dat], capture_output=True, text=True)
        t.ok(p.returncode == 0 and q.returncode == 0 and q.stdout == unname(p.stdout, names) and
             q.stdout.count("\n") > 10, "filters: trace.dat holds what the filters keep",
             p.stderr + q.stderr[-300:])
    else:
        t.skip("filters: trace.dat holds what the filters keep", "trace-cmd not installed")
    for bad in (["-e", "no_such_*"], ["--cpu", "1-0"], ["--cpu", "64"], ["--since", "1.2.3"],
                ["--until", "x"], ["-e", "hyp_enter,"]):
        p = subprocess.run([DUMP, "trace"] + bad + [el2, core], capture_output=True, text=True)
        t.ok(p.returncode == 2 and not p.stdout and p.stderr.count("\n") == 1 and
             bad[1] in p.stderr, "filters: %s is a one-line error, exit 2" % " ".join(bad),
             p.stderr + p.stdout[:200])


def check_lost_filtered(el2, core, lost):
    """A filter never hides a gap silently: -e keeps the lost records; a
    window that leaves one out says so in --stats."""
    p = subprocess.run([DUMP, "trace", "--json-lines", "-e", "hyp_exit", el2, core],
                       capture_output=True, text=True)
    recs = [json.loads(x) for x in p.stdout.splitlines()[:-1]]
    t.ok(p.returncode == 0 and sum(r.get("lost", 0) for r in recs) == lost and
         all(r.get("event", "hyp_exit") == "hyp_exit" for r in recs),
         "filters: -e hyp_exit keeps the %d lost events' record" % lost)
    p = subprocess.run([DUMP, "trace", "--stats", "--cpu", "0", "--since", "999999", el2, core],
                       capture_output=True, text=True)
    t.ok(p.returncode == 0 and "1 lost-event records (%d events lost)" % lost in p.stdout,
         "filters: a window without the gap counts the lost record it left out",
         p.stdout[-300:])


def check_smp():
    out, err = boot(2048, 20000, smp=2)
    t.ok(out is not None, "smp 2: boot, PSCI CPU_ON, SMP phase, dump", err or "")
    if out is None:
        return
    full = json.load(open(os.path.join(out, "truth.json")))
    truth, smp = full["trace"], full["smp"]
    cpus = truth["cpus"]
    t.ok(truth["nr_cpus"] == 2 and smp["nr_cpus"] == 2 and
         all(c["entries"] > 1000 and c["overrun"] == 0 and c["dropped"] == 0 for c in cpus),
         "smp 2: both CPUs' buffers have events, nothing overwritten or dropped", cpus)
    t.ok(smp["mismatches"] == 0 and
         all(p["state_hash_before"] == p["state_hash_after"] for p in smp["pools"]),
         "smp 2: the pools are as before the SMP phase (free blocks, page states)", smp)
    el2, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    tmp = tempfile.mkdtemp(prefix="hypmem-trace-smp-")
    try:
        p = subprocess.run([DUMP, "trace", "--json", "--export-tracefs",
                            os.path.join(tmp, "tfs"), "--export-shape", "android", el2, core],
                           capture_output=True, text=True)
        t.ok(p.returncode == 0, "smp 2: hypmem-dump trace --json exits 0", p.stderr)
        if p.returncode:
            return
        evs = json.loads(p.stdout)["trace"]["events"]
        p = subprocess.run([DUMP, "trace", el2, core], capture_output=True, text=True)
        names = check_pool_names(el2, core, p.stdout, evs)
        t.ok(not any("lost" in e for e in evs) and
             [sum(1 for e in evs if e["cpu"] == c) for c in (0, 1)] ==
             [c["entries"] for c in cpus],
             "smp 2: the merged trace holds every event of each CPU, none lost")
        ts = [e["ts"] for e in evs]
        switches = sum(1 for a, b in zip(evs, evs[1:]) if a["cpu"] != b["cpu"])
        t.ok(ts == sorted(ts) and switches > 100,
             "smp 2: merged by time, CPUs interleave (%d switches)" % switches)
        same = True
        detail = []
        for c in (0, 1):
            raw = open(os.path.join(tmp, "tfs", "hyp/per_cpu/cpu%d" % c,
                                    "trace_pipe_raw"), "rb").read()
            seq, lost = python_decode(raw, with_ts=True)
            h = 0xcbf29ce484222325
            for _, pl in seq:
                h = fnv1a(h, pl)
            mine = [(x, struct.unpack_from("<H", pl)[0]) for x, pl in seq]
            merged = [(e["ts"], e["id"]) for e in evs if e["cpu"] == c]
            ok = "0x%x" % h == cpus[c]["hash"] and lost == 0 and mine == merged and \
                mine and mine[0][0] == cpus[c]["first_ts"] and mine[-1][0] == cpus[c]["last_ts"]
            same &= bool(ok)
            detail.append("cpu%d: %d events hash 0x%x, truth %s" % (c, len(seq), h, cpus[c]))
        t.ok(same, "smp 2: each CPU's pages hash to its own record and its events are, "
             "in order and time, the merged trace's events of that CPU", "\n".join(detail))
        marks = {(m["name"], m["cpu"]): m["entries"] for m in truth["marks"]}
        got = []
        for c in (0, 1):
            mine = [e for e in evs if e["cpu"] == c]
            lo = marks.get(("smp_begin", c), 0)
            got.append(sum(1 for e in mine[lo:marks[("smp_end", c)]]
                           if e["event"] == "hyp_page_alloc"))
        t.ok(got == [c["allocs"] for c in smp["cpus"]],
             "smp 2: each CPU's allocation events in the SMP phase match its op stream",
             "%s vs %s" % (got, smp["cpus"]))
        fj = subprocess.run([DUMP, "trace", "--json", el2, core], capture_output=True,
                            text=True)
        check_filters(el2, core, json.loads(fj.stdout), tmp, names)
        dat = os.path.join(tmp, "smp.dat")
        p = subprocess.run([DUMP, "trace", "-o", dat, el2, core], capture_output=True, text=True)
        if not shutil.which("trace-cmd"):
            t.skip("smp 2: trace-cmd report", "trace-cmd not installed")
        else:
            q = subprocess.run(["trace-cmd", "report", dat], capture_output=True, text=True)
            t.ok(p.returncode == 0 and q.returncode == 0 and q.stdout == unname(p.stdout, names)
                 and "cpus=2" in q.stdout,
                 "smp 2: trace-cmd report merges the two CPUs exactly as we do",
                 p.stderr[-1000:] + q.stderr[-1000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    p = subprocess.run([os.path.join(BUILD, "hypmem-stat"), "--json", el2, core],
                       capture_output=True, text=True)
    ok = p.returncode == 0
    if ok:
        got = {x["name"]: x for x in json.loads(p.stdout).get("pools", [])}
        keys = ("free_pages", "free_pages_by_order", "free_blocks_by_order")
        ok = all(got.get(x["name"], {}).get(k) == x[k] for x in full["pools"] for k in keys)
    t.ok(ok, "smp 2: hypmem-stat decodes the pools of the SMP dump", p.stderr[-2000:])
    again, err = boot(2048, 20000, smp=2, tag="-again", dump=False)
    if again is None:
        t.ok(False, "smp 2: second boot", err)
        return
    full2 = json.load(open(os.path.join(again, "truth.json")))
    t.ok(all(full[k] == full2[k] for k in ("pools", "vmemmap", "workload")) and
         [p["state_hash_after"] for p in smp["pools"]] ==
         [p["state_hash_after"] for p in full2["smp"]["pools"]],
         "smp 2: a second boot leaves the same pools and vmemmap (interleaving is not in "
         "the ground truth)")


if __name__ == "__main__":
    sys.exit(main())
