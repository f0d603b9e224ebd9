#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: hypmem-stat --cost against the EL2 core's ground truth and,
on the real dumps, drgn's walk (tests/qemu/real/oracle.py).

Counts and bytes: vmemmap entries x entry size, host stage-2 table pages x
page size, heap chunks, pools, RAM from the truth (or drgn, on every
cached real dump: 6.1, 6.12, 7.x, 16K pages); per GiB =
bytes x 2^30 / RAM; the three layouts' vmemmap per GiB from the granule
alone (2^30 / page size x 32, 8, 4: 8, 2 and 1 MiB with 4K pages, seed
000's figures); derivable fields = the struct hyp_page members (DWARF, as
hypmem-dump layout lists them) that have another home.  Prints TAP.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, Tap, layout, make_dumps, no_crash, tool  # noqa: E402

CONFIGS = [(8, 1, 1024, 20000), (4, 2, 768, 20000), (32, 3, 512, 20000)]
DERIVABLE = {"node", "pool", "__host_state", "__hyp_state_comp", "host_share_guest_count"}
GIB = 1 << 30
t = Tap()


def cost(vmlinux, core):
    p = subprocess.run([tool("hypmem-stat"), "--json", "--cost", vmlinux, core],
                       capture_output=True, text=True)
    if not no_crash(p) or p.returncode == 2:
        return p, None
    return p, json.loads(p.stdout)["cost"]


def check(name, c, ram, page, entry, entries, s2_tables, chunks, pools, fields, guest=None):
    items = c["items"]
    want = {"vmemmap": (entries, entries * entry), "host_stage2": (s2_tables, s2_tables * page),
            "pools": (pools, None)}
    if chunks is not None:
        want["heap_headers"] = (chunks, chunks * 16)
    if guest is not None:
        want["guest_stage2"] = (guest, guest * page)
    diffs = []
    for k, (n, b) in want.items():
        if items[k]["count"] != n or (b is not None and items[k]["bytes"] != b):
            diffs.append("%s: %r, want count %d bytes %r" % (k, items[k], n, b))
        if items[k]["per_gib"] != items[k]["bytes"] * GIB // ram:
            diffs.append("%s: per GiB %d" % (k, items[k]["per_gib"]))
    if c["ram_bytes"] != ram or c["page_size"] != page or c["entry_size"] != entry:
        diffs.append("ram/page/entry %d %d %d" % (c["ram_bytes"], c["page_size"],
                                                  c["entry_size"]))
    if c["total_bytes"] != sum(i["bytes"] for i in items.values()):
        diffs.append("total %d" % c["total_bytes"])
    t.ok(not diffs, "%s: metadata bytes and per GiB" % name, "\n".join(diffs))
    lay = [(x["entry_size"], x["vmemmap_per_gib"]) for x in c["layouts"]]
    t.ok(lay == [(s, GIB // page * s) for s in (32, 8, 4)],
         "%s: the layouts' vmemmap per GiB (%s)" % (name, ", ".join(
             "%d B: %d MiB" % (s, v >> 20) for s, v in lay)), repr(lay))
    got = sorted(d["field"] for d in c["derivable"])
    t.ok(got == sorted(fields & DERIVABLE), "%s: derivable fields %s" % (name, got),
         "want %r" % sorted(fields & DERIVABLE))


def el2():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("cost of EL2 dumps", "qemu-system-aarch64 not installed")
        return
    for lay_, seed, mem, ops in CONFIGS:
        name = "layout %d seed %d" % (lay_, seed)
        out, err = make_dumps(lay_, seed, mem, ops)
        if not t.ok(out is not None, "%s: dumps" % name, err or ""):
            continue
        truth = json.load(open(os.path.join(out, "truth.json")))
        image = os.path.join(out, "el2.elf")
        p, c = cost(image, os.path.join(out, "vmcore"))
        if not t.ok(c is not None, "%s: hypmem-stat --cost --json" % name, p.stderr):
            continue
        ram = sum(int(r["end"], 16) - int(r["start"], 16) for r in truth["target"]["ram_ranges"])
        fields = set(layout(BUILD, image)["struct hyp_page"]) - {"__size__"}
        check(name, c, ram, truth["target"]["page_size"], truth["vmemmap"]["entry_size"],
              truth["vmemmap"]["nr_entries"], truth["stage2"]["tables"],
              sum(h["nr_chunks"] for h in truth["heap"]), len(truth["pools"]), fields)
    p = subprocess.run([tool("hypmem-stat"), "--cost", image, os.path.join(out, "vmcore")],
                       capture_output=True, text=True)
    t.ok(no_crash(p) and "Metadata cost" in p.stdout and "derivable" in p.stdout,
         "hypmem-stat --cost text", p.stdout[-1500:] + p.stderr)


def real():
    """Every cached real dump (6.1, 6.12, 7.x 4K and 16K): counts from drgn's
    walk, the entry size from DWARF's sizeof(struct hyp_page) as drgn
    reads it, RAM from hyp_memory (drgn) and from the dump's own size as
    real-dumps booted it (meta.json mem_mib)."""
    root = os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))
    d = os.path.join(root, "dumps")
    dirs = [os.path.join(d, n) for n in sorted(os.listdir(d))] if os.path.isdir(d) else []
    dirs = [x for x in dirs if not x.endswith(".tmp") and
            os.path.exists(os.path.join(x, "vmcore")) and
            os.path.exists(os.path.join(x, "meta.json"))]
    if not dirs:
        t.skip("cost of a real dump", "no cached real dump")
        return
    for out in dirs:
        name = os.path.basename(out)
        vmlinux, core = os.path.join(out, "vmlinux"), os.path.join(out, "vmcore")
        meta = json.load(open(os.path.join(out, "meta.json")))
        q = subprocess.run(["/usr/bin/python3", os.path.join("tests", "qemu", "real",
                                                             "oracle.py"), vmlinux, core],
                           capture_output=True, text=True)
        if not t.ok(q.returncode == 0, "%s: drgn walk" % name, q.stderr[-1500:]):
            continue
        want = json.loads(q.stdout)
        p, c = cost(vmlinux, core)
        if not t.ok(c is not None, "%s: hypmem-stat --cost --json" % name, p.stderr):
            continue
        ram = sum(int(e, 16) - int(s, 16) for s, e in want["hyp_memory"])
        t.ok(ram == meta["mem_mib"] << 20,
             "%s: RAM %d MiB (drgn's hyp_memory) is what QEMU was given" % (name, ram >> 20),
             "%d vs %d MiB" % (ram, meta["mem_mib"]))
        fields = set(layout(BUILD, vmlinux)["struct hyp_page"]) - {"__size__"}
        guest = sum(v["tables"] for v in want["vms"]) if want["vms"] else None
        check(name, c, ram, want["page_size"], want["vmemmap"]["entry_size"],
              want["vmemmap"]["nr_entries"], want["stage2"]["tables"], None,
              len(want["pools"]), fields, guest=guest)
        s1, n = c["items"]["hyp_stage1"], want["pgtable"]["tables"]
        # Level -1 included: the 52-bit hyp stage-1 of hVHE with LPA2 (5 levels).
        t.ok(s1["count"] == n and s1["bytes"] == n * want["page_size"],
             "%s: hyp stage-1 %d table pages from level %d, as drgn's walk of pkvm_pgtable"
             % (name, n, want["pgtable"]["start_level"]), "hypmem %r" % s1)


def main():
    el2()
    real()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
