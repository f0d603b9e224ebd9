#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: hypmem-dump page on the real Debian kernels' dumps, against
drgn (tests/qemu/real/page_oracle.py, built on oracle.py's walk).

For each cached dump (tests/qemu/real/real-dumps makes them; real.py says
how): every page of hpool and host_s2_pool is queried and the free pages
and blocks per order the answers name must equal drgn's walk of the free
lists; the vmemmap entry of a few pages (refcount, order, 7.x host state and
guest share count) must equal drgn's; each guest stage-2 leaf drgn finds
must appear among the page's guest mappings (VM handle, IPA, state).
Skips when the cache or python3-drgn is missing.  Prints TAP.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import Tap, no_crash, tool  # noqa: E402

DRGN_PYTHON = "/usr/bin/python3"
ORACLE = os.path.join("tests", "qemu", "real", "page_oracle.py")
t = Tap()


def dumps():
    root = os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))
    d = os.path.join(root, "dumps")
    if not os.path.isdir(d):
        return []
    want = os.environ.get("HYPMEM_REAL_CONFIGS")
    out = []
    for name in sorted(os.listdir(d)):
        full = os.path.join(d, name)
        if want and not any(name.startswith(w + "-") for w in want.split(",")):
            continue
        if name.endswith(".tmp"):
            continue
        if all(os.path.exists(os.path.join(full, f)) for f in ("vmlinux", "vmcore")):
            out.append((name, full))
    return out


def check(name, out):
    vmlinux, core = os.path.join(out, "vmlinux"), os.path.join(out, "vmcore")
    p = subprocess.run([DRGN_PYTHON, ORACLE, vmlinux, core], capture_output=True, text=True)
    if not t.ok(p.returncode == 0, "%s: drgn reads the pages" % name, p.stderr[-2000:]):
        return
    want = json.loads(p.stdout)
    page = want["page_size"]
    addrs = []
    for pool in want["pools"]:
        addrs += ["pa:%#x" % a for a in range(int(pool["range_start"], 16),
                                              int(pool["range_end"], 16), page)]
    # A linear-map VA of the first pool page, by the arm64 rule from the
    # dump's VMCOREINFO: PAGE_OFFSET = -2^VA_BITS, PA = VA - PAGE_OFFSET +
    # PHYS_OFFSET, linear map = the lower half of the actual (T1SZ) VA space.
    with open(core, "rb") as f:
        head = f.read(1 << 20).decode("latin-1")
    num = {k: int(v, 0) for k, v in re.findall(r"NUMBER\((\w+)\)=(-?\w+)", head)}
    lin = None
    if "VA_BITS" in num and "PHYS_OFFSET" in num:
        pa0 = int(want["pools"][0]["range_start"], 16)
        lin = (pa0 - num["PHYS_OFFSET"] - (1 << num["VA_BITS"])) % (1 << 64)
    extra = list(want["entries"]) + ["pa:%#x" % g["pa"] for g in want["guest"]] + \
        (["kva:%#x" % lin] if lin else [])
    p = subprocess.run([tool("hypmem-dump"), "page", "--json", vmlinux, core] + addrs + extra,
                       capture_output=True, text=True)
    if not t.ok(no_crash(p) and p.returncode != 2, "%s: %d page queries" % (name, len(addrs)),
                p.stderr[-2000:]):
        return
    got = json.loads(p.stdout)["pages"]
    for pool in want["pools"]:
        n = len(pool["free_pages_by_order"])
        pages, blocks = [0] * n, {}
        for q in got[:len(addrs)]:
            po = q.get("pool")
            if po and po["name"] == pool["name"] and po["free"] and po["order"] < n:
                pages[po["order"]] += 1
                blocks[po["block"]] = po["order"]
        nblocks = [0] * n
        for o in blocks.values():
            nblocks[o] += 1
        t.ok(pages == pool["free_pages_by_order"] and nblocks == pool["free_blocks_by_order"],
             "%s: %s free pages and blocks per order, page by page" % (name, pool["name"]),
             "pages %r drgn %r\nblocks %r drgn %r" % (pages, pool["free_pages_by_order"],
                                                     nblocks, pool["free_blocks_by_order"]))
    rest = got[len(addrs):]
    diffs = []
    for q, (pa, e) in zip(rest, want["entries"].items()):
        v = q.get("vmemmap")
        if e is None or v is None:
            if (e is None) != (v is None):
                diffs.append("%s: hypmem %r drgn %r" % (pa, v, e))
            continue
        mine = {"refcount": v["refcount"], "order": v["order"]}
        theirs = {"refcount": e["refcount"], "order": e["order"]}
        if "__host_state" in e:
            mine.update(host_state=v.get("host_state"), shares=v.get("host_share_guest_count"))
            theirs.update(host_state=e["__host_state"], shares=e["host_share_guest_count"])
        if theirs["order"] == (1 << 16) - 1 or theirs["order"] == 255:
            theirs["order"] = "none"
        if mine != theirs:
            diffs.append("%s: hypmem %r drgn %r" % (pa, mine, theirs))
    t.ok(not diffs, "%s: %d vmemmap entries as drgn reads them" % (name, len(want["entries"])),
         "\n".join(diffs))
    if lin:
        q = rest[-1]
        t.ok(q.get("as") == "linear" and int(q["pa"], 16) == pa0,
             "%s: kernel linear-map VA %#x is PA %#x" % (name, lin, pa0), json.dumps(q)[:500])
    if not want["guest"]:
        # drgn finds no VM with a guest stage-2: no page may claim a guest mapping.
        stray = [q.get("query") for q in got
                 if any(not m.get("donation") for m in q.get("guest") or [])]
        t.ok(not stray, "%s: no guest stage-2 mappings, as drgn finds none" % name, stray[:10])
        return
    diffs = []
    for q, g in zip(rest[len(want["entries"]):], want["guest"]):
        maps = [(m["vm_handle"], int(m["ipa"], 16), m.get("state")) for m in q.get("guest", [])]
        if (g["handle"], g["ipa"], g["state"]) not in maps:
            diffs.append("PA %#x: hypmem %r drgn %r" % (g["pa"], maps, g))
    t.ok(not diffs, "%s: %d guest stage-2 leaves among the pages' mappings" % (
        name, len(want["guest"])), "\n".join(diffs))


def main():
    found = dumps()
    if not found:
        t.skip("real page queries", "no cached real dumps")
        return t.done()
    if subprocess.run([DRGN_PYTHON, "-c", "import drgn"], capture_output=True).returncode:
        t.skip("real page queries", "python3-drgn not installed")
        return t.done()
    for name, out in found:
        check(name, out)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
