#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: what a new user trips over (issue 16).

 1. hypmem-top without a terminal runs in batch mode (plain text, no
    escape codes, -n honoured); with no target it reads /sys/kernel/tracing
    and says so when that has no hypervisor trace.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import Tap, make_dumps, tool  # noqa: E402

t = Tap()
TOP, STAT, DUMP = tool("hypmem-top"), tool("hypmem-stat"), tool("hypmem-dump")


def run(argv, **kw):
    kw.setdefault("timeout", 60)
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def top_without_tty(el2, core):
    with open(os.devnull) as null:
        p = run([TOP, "-n", "2", "-d", "0.1", el2, core], stdin=null, timeout=20)
    screens = p.stdout.split("\nhypmem-top - ")
    t.ok(p.returncode == 0 and len(screens) == 2 and "\x1b" not in p.stdout and
         "Pool hpool" in p.stdout,
         "top < /dev/null > pipe: batch mode, 2 plain screens", p.stdout[:600] + p.stderr)
    p = run([TOP, "-b", "-n", "1", "-d", "0.1"])
    if os.path.exists("/sys/kernel/tracing/remotes/hypervisor"):
        t.skip("top with no target", "this machine has hypervisor tracing")
    else:
        t.ok(p.returncode == 2 and "/sys/kernel/tracing" in p.stderr and
             "no target given" in p.stderr and len(p.stderr.splitlines()) == 1,
             "top with no target: reads /sys/kernel/tracing, one-line error", p.stderr)


def main():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("usability", "qemu-system-aarch64 not installed")
        return t.done()
    out, err = make_dumps(8, 1, 1024, 20000)
    t.ok(out is not None, "dump", err or "")
    if out is None:
        return t.done()
    el2, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    top_without_tty(el2, core)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
