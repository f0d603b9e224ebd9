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
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, Tap, make_dumps  # noqa: E402

t = Tap()
TOP = os.path.join(BUILD, "hypmem-top")


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


def tmux(out):
    if not shutil.which("tmux"):
        t.skip("tmux screen", "tmux not installed")
        return
    sock = "hypmem-top-test-%d" % os.getpid()
    tm = ["tmux", "-L", sock]
    el2, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    subprocess.run(tm + ["new-session", "-d", "-x", "80", "-y", "24", "-s", "t",
                         "%s -d 0.3 %s %s; echo EXITED $?; sleep 30" % (TOP, el2, core)],
                   check=True)

    def screen():
        time.sleep(0.6)
        return subprocess.run(tm + ["capture-pane", "-p", "-t", "t"], capture_output=True,
                              text=True).stdout

    def key(k):
        subprocess.run(tm + ["send-keys", "-t", "t", k], check=True)
        return screen()

    try:
        s = screen()
        t.ok("hypmem-top -" in s and "hyp_page_alloc" in s and "hpool" in s,
             "tmux: 80x24 screen shows header, events and pools", s)
        s = key("h")
        t.ok("hypmem-top keys" in s, "tmux: h shows the help", s)
        key("x")
        s = key("s")
        t.ok("sort:rate" in s and "hypmem-top keys" not in s, "tmux: s sorts by rate", s)
        s = key("1")
        t.ok("CPU0" in s.replace(" ", ""), "tmux: 1 adds per-CPU columns", s)
        s = key("p")
        t.ok("[paused]" in s, "tmux: p pauses", s)
        subprocess.run(tm + ["resize-window", "-t", "t", "-x", "100", "-y", "30"])
        s = screen()
        # The header's end may be cut at 100 columns when the dump's path is long.
        t.ok(len(s.splitlines()) >= 29 and "every 0.3" in s, "tmux: resize redraws", s)
        s = key("q")
        t.ok("EXITED 0" in s, "tmux: q exits 0 and restores the terminal", s)
    finally:
        subprocess.run(tm + ["kill-server"], capture_output=True)


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
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
