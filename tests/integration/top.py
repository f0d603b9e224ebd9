#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: hypmem-top.

 1. Batch mode on a dump: -b -n 3 prints three screens whose totals equal
    the EL2 core's record (truth.json), and --json lines parse.
 2. Live: the EL2 workload runs forever in shared RAM while hypmem-top -b
    --json reads it; the view changes, and after every refresh each event
    committed so far is either read or counted lost (never more than the
    writer committed).  HYPMEM_LIVE_SECS sets the length (default 3).
 3. The interactive screen under tmux: header, help (h), sort (s), pause
    (p), per-CPU (1), resize, and q restores the terminal and exits.
 4. Filters (-e, --cpu) on a two-CPU dump (CPU 0 overwrote most of its
    ring, CPU 1 nothing), on its kdump and on the tracefs trees exported
    from it (mainline text, Android pages): each event's per-CPU count is
    the unfiltered hypmem-dump trace --json events of that name and CPU,
    counted here (fnmatch), whose per-CPU sums are the EL2 core's own
    record (truth.json: entries - overrun); lost events are the kept
    CPUs' overrun.  Bad patterns and CPU lists exit 2 with one line, as
    hypmem-dump's do; a CPU the source lacks keeps nothing, as there.
    Live, a filtered view of shared RAM keeps only what it selects.
"""
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, Tap, make_dumps  # noqa: E402

t = Tap()
TOP = os.path.join(BUILD, "hypmem-top")
DUMP = os.path.join(BUILD, "hypmem-dump")


def batch(out, truth):
    el2, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    p = subprocess.run([TOP, "-b", "-n", "3", "-d", "0.2", el2, core], capture_output=True,
                       text=True, timeout=60)
    screens = p.stdout.split("\nhypmem-top - ")
    t.ok(p.returncode == 0 and len(screens) == 3, "top -b -n 3 prints 3 screens",
         p.stdout[-1500:] + p.stderr)
    entries = truth["trace"]["cpus"][0]["entries"]
    first = p.stdout.split("\n")[1]
    read, lost = int(first.split()[1]), int(first.split("lost: ")[1].split()[0])
    t.ok(read + lost == entries and lost == truth["trace"]["cpus"][0]["overrun"],
         "top -b: events read + lost = the EL2 record, lost = overrun", p.stdout[:600])
    p = subprocess.run([TOP, "-b", "-n", "2", "-d", "0.1", "--json", el2, core],
                       capture_output=True, text=True, timeout=60)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    t.ok(p.returncode == 0 and len(lines) == 2 and lines[0]["events_total"] + lines[0]["lost_total"] == entries and
         {q["name"] for q in lines[0]["pools"]} == {q["name"] for q in truth["pools"]},
         "top -b --json: one object per refresh, totals and pools", p.stdout[:800])


def expected(names, counts, nr_cpus, pats, cpus):
    """{event: per-CPU counts} that -e PATS --cpu CPUS should keep."""
    return {n: [counts.get((n, c), 0) if c in cpus else 0 for c in range(nr_cpus)]
            for n in names if not pats or any(fnmatch.fnmatchcase(n, p) for p in pats)}


def filters(out, truth):
    el2, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    cpus = truth["trace"]["cpus"]
    names = sorted(truth["trace"]["events"])
    p = subprocess.run([DUMP, "trace", "--json", el2, core], capture_output=True, text=True)
    evs = json.loads(p.stdout)["trace"]["events"] if p.returncode == 0 else []
    counts = {}
    for e in evs:
        if "event" in e:
            counts[(e["event"], e["cpu"])] = counts.get((e["event"], e["cpu"]), 0) + 1
    read = [sum(n for (_, c), n in counts.items() if c == cpu) for cpu in range(len(cpus))]
    ok = t.ok(len(cpus) == 2 and read == [c["entries"] - c["overrun"] for c in cpus] and
              cpus[0]["overrun"] > 0 and cpus[1]["overrun"] == 0 and read[1] > 0,
              "filters: the reference counts (%s per CPU) are the EL2 record's, CPU 0 "
              "lost events, CPU 1 none" % read, "%s\n%s" % (cpus, p.stderr))
    if not ok:
        return
    tmp = tempfile.mkdtemp(prefix="hypmem-top-filter-")
    sources = [("dump", [el2, core]), ("kdump", [el2, core + ".kdump"])]
    for shape in ("mainline", "android"):
        d = os.path.join(tmp, shape)
        p = subprocess.run([DUMP, "trace", "--export-tracefs", d, "--export-shape", shape, el2,
                            core], capture_output=True, text=True)
        t.ok(p.returncode == 0, "filters: tracefs tree exported (%s)" % shape, p.stderr)
        sources.append(("tracefs " + shape, ["--tracefs", d]))
    cases = [(["-e", "hyp_exit"], ["hyp_exit"], None),
             (["-e", "hyp_page_*"], ["hyp_page_*"], None),
             (["--cpu", "1"], None, [1]),
             (["-e", "hyp_*", "--cpu", "1"], ["hyp_*"], [1]),
             (["--event", "host_*,hyp_enter", "--cpu", "0"], ["host_*", "hyp_enter"], [0])]
    try:
        for what, src in sources:
            for args, pats, keep in cases:
                want = expected(names, counts, 2, pats, keep if keep else [0, 1])
                p = subprocess.run([TOP, "-b", "-n", "1", "--json"] + args + src,
                                   capture_output=True, text=True, timeout=60)
                try:
                    j = json.loads(p.stdout)
                except ValueError:
                    j = {}
                got = {n: r["per_cpu"] for n, r in j.get("events", {}).items()}
                filt = dict(({"events": pats} if pats else {}), **({"cpus": keep} if keep else {}))
                t.ok(p.returncode == 0 and got == want and want and
                     all(r["total"] == sum(r["per_cpu"]) for r in j["events"].values()) and
                     j["events_total"] == sum(map(sum, want.values())) and
                     j["lost_total"] == sum(cpus[c]["overrun"] for c in (keep or [0, 1])) and
                     j.get("filter") == filt,
                     "filters: %s: %s keeps %d events of %s, lost %d" %
                     (what, " ".join(args), sum(map(sum, want.values())), sorted(want),
                      j.get("lost_total", -1)),
                     "want %s\ngot %s\n%s" % (want, got, p.stdout[-600:] + p.stderr))
            p = subprocess.run([TOP, "-b", "-n", "1", "-e", "hyp_*", "--cpu", "1"] + src,
                               capture_output=True, text=True, timeout=60)
            want = expected(names, counts, 2, ["hyp_*"], [1])
            lines = p.stdout.splitlines()
            table = lines[lines.index("") + 2:] if "" in lines else []
            rows = [x.split()[0] for x in table if x and not x.startswith("Free blocks")]
            t.ok(p.returncode == 0 and lines[1].startswith("Events: %d total," %
                                                            sum(map(sum, want.values()))) and
                 lines[2] == "Filter: events hyp_*; cpus 1" and rows == sorted(want),
                 "filters: %s: the text screen says the filter and lists only what it keeps" %
                 what, p.stdout[:1200] + p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for bad in (["-e", "no_such_*"], ["--event", "hyp_enter,"], ["--cpu", "64"],
                ["--cpu", "1-0"], ["--cpu", "x"]):
        p = subprocess.run([TOP, "-b", "-n", "1"] + bad + [el2, core], capture_output=True,
                           text=True, timeout=60)
        d = subprocess.run([DUMP, "trace"] + bad + [el2, core], capture_output=True, text=True)
        t.ok(p.returncode == 2 and not p.stdout and p.stderr.count("\n") == 1 and
             bad[1] in p.stderr and d.returncode == 2 and
             p.stderr.replace("hypmem-top", "hypmem-dump") == d.stderr,
             "filters: %s is hypmem-dump's one-line error, exit 2" % " ".join(bad),
             p.stderr + p.stdout[:200] + d.stderr)
    # A CPU the source does not have: nothing to keep, as for hypmem-dump.
    p = subprocess.run([TOP, "-b", "-n", "1", "--json", "--cpu", "5", el2, core],
                       capture_output=True, text=True, timeout=60)
    d = subprocess.run([DUMP, "trace", "--json-lines", "--cpu", "5", el2, core],
                       capture_output=True, text=True)
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    t.ok(p.returncode == 0 and j["events_total"] == 0 and j["lost_total"] == 0 and
         all(r["total"] == 0 for r in j["events"].values()) and d.returncode == 0 and
         d.stdout.count("\n") == 1, "filters: --cpu 5 of 2 CPUs keeps nothing, exit 0, "
         "as hypmem-dump trace does", p.stdout[-400:] + p.stderr + d.stderr)


def live_filtered():
    """The live view through a filter: only hyp_enter and hyp_page_alloc of
    CPU 1, while both CPUs write."""
    env = dict(os.environ, HYPMEM_TOP_ARGS="-b --json -d 0.5 -n 4 -e hyp_enter,hyp_page_alloc "
               "--cpu 1", TRACE_PAGES="256")
    p = subprocess.run(["tests/qemu/demo-live.sh", BUILD, "8", "2", "512"], capture_output=True,
                       text=True, timeout=150, env=env)
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    t.ok(p.returncode == 0 and len(lines) == 4 and
         all(x["filter"] == {"events": ["hyp_enter", "hyp_page_alloc"], "cpus": [1]} and
             sorted(x["events"]) == ["hyp_enter", "hyp_page_alloc"] and
             all(r["per_cpu"][0] == 0 and r["total"] >= r["per_cpu"][1]
                 for r in x["events"].values()) and
             x["events_interval"] == sum(r["interval"] for r in x["events"].values())
             for x in lines),
         "live: -e hyp_enter,hyp_page_alloc --cpu 1 counts only those, on CPU 1",
         p.stdout[-800:] + p.stderr[-800:])
    totals = [x["events"]["hyp_enter"]["total"] for x in lines]
    t.ok(len(totals) == 4 and totals[-1] > totals[0] and
         all(x["events_total"] == sum(r["total"] for r in x["events"].values()) for x in lines),
         "live: CPU 1's hyp_enter count grows (%s), the totals are the rows'" % totals)


def live():
    secs = float(os.environ.get("HYPMEM_LIVE_SECS", "3"))
    env = dict(os.environ, HYPMEM_TOP_ARGS="-b --json -d 0.5 -n %d" % int(secs * 2),
               TRACE_PAGES="256")
    p = subprocess.run(["tests/qemu/demo-live.sh", BUILD, "8", "2", "512"], capture_output=True,
                       text=True, timeout=120 + secs, env=env)
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    t.ok(p.returncode == 0 and len(lines) >= 2, "live: hypmem-top reads shared RAM",
         p.stdout[-800:] + p.stderr[-800:])
    if len(lines) < 2:
        return
    totals = [x["events_total"] for x in lines]
    t.ok(all(b > a for a, b in zip(totals, totals[1:])), "live: the view changes as EL2 runs",
         totals)
    enter = [x["events"]["hyp_enter"]["total"] for x in lines]
    exit_ = [x["events"]["hyp_exit"]["total"] for x in lines]
    # Each CPU may be between its hyp_enter and hyp_exit when the view is taken.
    t.ok(all(abs(a - b) <= len(x["events"]["hyp_enter"]["per_cpu"]) + x["lost_total"]
             for a, b, x in zip(enter, exit_, lines)),
         "live: hyp_enter/hyp_exit pair up except where events were counted lost")
    t.ok(len(lines[-1]["events"]["hyp_enter"].get("per_cpu", [])) == 2 and
         all(n > 0 for n in lines[-1]["events"]["hyp_enter"]["per_cpu"]),
         "live: two CPUs (PSCI), both writing", lines[-1]["events"]["hyp_enter"])


class Tmux:
    """A detached 80x24 tmux session running CMD; screen() and key() after a pause."""

    def __init__(self, cmd):
        self.tm = ["tmux", "-L", "hypmem-top-test-%d" % os.getpid()]
        subprocess.run(self.tm + ["new-session", "-d", "-x", "80", "-y", "24", "-s", "t",
                                  cmd + "; echo EXITED $?; sleep 30"], check=True)

    def screen(self):
        time.sleep(0.6)
        return subprocess.run(self.tm + ["capture-pane", "-p", "-t", "t"], capture_output=True,
                              text=True).stdout

    def key(self, k):
        subprocess.run(self.tm + ["send-keys", "-t", "t", k], check=True)
        return self.screen()

    def resize(self, x, y):
        subprocess.run(self.tm + ["resize-window", "-t", "t", "-x", str(x), "-y", str(y)])

    def close(self):
        subprocess.run(self.tm + ["kill-server"], capture_output=True)


def tmux(out):
    if not shutil.which("tmux"):
        t.skip("tmux screen", "tmux not installed")
        return
    el2, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    tm = Tmux("%s -d 0.3 %s %s" % (TOP, el2, core))
    try:
        s = tm.screen()
        t.ok("hypmem-top -" in s and "hyp_page_alloc" in s and "hpool" in s,
             "tmux: 80x24 screen shows header, events and pools", s)
        s = tm.key("h")
        t.ok("hypmem-top keys" in s and "filter:" not in s, "tmux: h shows the help", s)
        tm.key("x")
        s = tm.key("s")
        t.ok("sort:rate" in s and "hypmem-top keys" not in s, "tmux: s sorts by rate", s)
        s = tm.key("1")
        t.ok("CPU0" in s.replace(" ", ""), "tmux: 1 adds per-CPU columns", s)
        s = tm.key("p")
        t.ok("[paused]" in s, "tmux: p pauses", s)
        tm.resize(100, 30)
        s = tm.screen()
        # The header's end may be cut at 100 columns when the dump's path is long.
        t.ok(len(s.splitlines()) >= 29 and "every 0.3" in s, "tmux: resize redraws", s)
        s = tm.key("q")
        t.ok("EXITED 0" in s, "tmux: q exits 0 and restores the terminal", s)
    finally:
        tm.close()


def tmux_filtered(out):
    """The screen of a filtered view of two CPUs: the filter under the
    header and in the help, only the kept events and CPU columns."""
    if not shutil.which("tmux"):
        t.skip("tmux filtered screen", "tmux not installed")
        return
    el2, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    tm = Tmux("%s -d 0.3 -e 'hyp_page_*' --cpu 1 %s %s" % (TOP, el2, core))
    try:
        s = tm.screen()
        lines = s.splitlines()
        table = lines[[x.startswith("EVENT") for x in lines].index(True) + 1:] \
            if any(x.startswith("EVENT") for x in lines) else []
        rows = [x.split()[0] for x in table[:table.index("")] if x] if "" in table else table
        t.ok("\nFilter: events hyp_page_*; cpus 1" in s and
             rows == ["hyp_page_alloc", "hyp_page_free"],
             "tmux: a filtered screen says the filter and shows only the kept events", s)
        s = tm.key("1")
        cols = s.replace(" ", "")
        t.ok("CPU1/INT" in cols and "CPU0/INT" not in cols,
             "tmux: per-CPU columns only for the kept CPU", s)
        s = tm.key("h")
        t.ok("hypmem-top keys" in s and "filter: events hyp_page_*; cpus 1" in s,
             "tmux: the help lists the filter", s)
        tm.key("x")
        s = tm.key("q")
        t.ok("EXITED 0" in s, "tmux: the filtered view quits cleanly", s)
    finally:
        tm.close()


def main():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("hypmem-top", "qemu-system-aarch64 not installed")
        return t.done()
    out, err = make_dumps(8, 1, 1024, 20000)
    t.ok(out is not None, "dump for hypmem-top", err or "")
    if out is None:
        return t.done()
    truth = json.load(open(os.path.join(out, "truth.json")))
    batch(out, truth)
    tmux(out)
    live()
    smp, err = make_dumps(8, 3, 512, 20000, smp=2)
    t.ok(smp is not None, "two-CPU dump for the filters", err or "")
    if smp is not None:
        filters(smp, json.load(open(os.path.join(smp, "truth.json"))))
        tmux_filtered(smp)
    live_filtered()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
