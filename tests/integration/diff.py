#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: hypmem-diff against the difference of two ground truths.

hypmem-qemu dumps once, at the end of a run, so "before and after a
workload phase" is two runs of one image and seed that differ only in the
EL1 host's phase: rounds=4 and the default 16 VM lifetimes (the EL2 core's
own workload, which comes first, is the same in both, so is its heap).
The expected delta comes from the two truth.json files: free pages per pool
and order, the vmemmap refcount and order histograms, and the host stage-2
ownership changes computed here from the truths' runs (a range with no
entry is the host's, as pKVM treats it).  Also: a dump against itself is
"no differences" (exit 0), --snapshot files give the same diff as the dumps,
and a bad snapshot exits 2.  On the real dumps (when cached): the ELF and
kdump cores of one boot are the same (exit 0), two boots of one 7.x
kernel (nvhe, hvhe) differ in their pools exactly as drgn's walks do, and
two dumps of one boot (before the KVM user creates its VMs, and with them:
real-dumps' PHASES, 6.12 and 7.x) differ in pools (a VM's keyed by its
handle), VMs, host stage-2 ownership and leak candidates exactly as drgn's
walks of them (tests/qemu/real/diff_oracle.py).  A VM moved to
another vm_table slot in a snapshot keeps its pool; another handle does not.
Prints TAP.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import Tap, make_dumps, no_crash, tool  # noqa: E402

CONFIGS = [(8, 1, 1024, 20000), (4, 2, 768, 20000)]
t = Tap()


def diff(args):
    p = subprocess.run([tool("hypmem-diff")] + args, capture_output=True, text=True)
    try:
        return p, json.loads(p.stdout) if "--json" in args else None
    except json.JSONDecodeError:
        return p, None


def label(run):
    if run["valid"]:
        return "host" if run["state"] in ("owned", "nostate", "-") else "host:" + run["state"]
    if "vm_handle" in run:
        return "%s:0x%x" % (run["owner"], run["vm_handle"])
    return run["owner"]


def moves(ra, rb):
    """Ownership changes between two run lists, merged, as the truth says."""
    def segs(runs):
        return [(int(r["start"], 16), int(r["end"], 16), label(r)) for r in runs]
    return moves_segs(segs(ra), segs(rb))


def moves_segs(a, b):
    """Ownership changes between two lists of labelled ranges (start, end,
    label), merged; "host" where neither has a range."""
    points = sorted({0} | {x for s, e, _ in a + b for x in (s, e)})

    def at(lst, x):
        for s, e, lab in lst:
            if s <= x < e:
                return lab
        return "host"
    out = []
    for lo, hi in zip(points, points[1:]):
        la, lb = at(a, lo), at(b, lo)
        if la == lb:
            continue
        if out and out[-1][1] == lo and out[-1][2:] == [la, lb]:
            out[-1][1] = hi
        else:
            out.append([lo, hi, la, lb])
    return out


def expected_pools(ta, tb):
    out = {}
    before = {p["name"]: p["free_pages_by_order"] for p in ta["pools"]}
    after = {p["name"]: p["free_pages_by_order"] for p in tb["pools"]}
    for name in set(before) | set(after):
        # A pool on one side only (a VM's, layout 8) counts as empty on the other.
        u, v = before.get(name, []), after.get(name, [])
        n = max(len(u), len(v))
        u, v = u + [0] * (n - len(u)), v + [0] * (n - len(v))
        out[name] = [(o, x, y) for o, (x, y) in enumerate(zip(u, v)) if x != y]
    return {k: v for k, v in out.items() if v}  # unchanged pools are not listed


def got_pools(j):
    return {p["name"]: [(e["order"], e["before"], e["after"]) for e in p["free_pages_by_order"]]
            for p in j["pools"]}


def hist_delta(ha, hb):
    keys = set(ha) | set(hb)
    return sorted((k, ha.get(k, 0), hb.get(k, 0)) for k in keys if ha.get(k, 0) != hb.get(k, 0))


def el2():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("diff of EL2 dumps", "qemu-system-aarch64 not installed")
        return
    for layout, seed, mem, ops in CONFIGS:
        name = "layout %d seed %d" % (layout, seed)
        a, err = make_dumps(layout, seed, mem, ops, "rounds=4")
        b, err2 = make_dumps(layout, seed, mem, ops)
        if not t.ok(a and b, "%s: dumps after 4 and 16 VM rounds" % name, (err or "") + (err2 or "")):
            continue
        ta = json.load(open(os.path.join(a, "truth.json")))
        tb = json.load(open(os.path.join(b, "truth.json")))
        image = os.path.join(b, "el2.elf")
        p, j = diff(["--json", image, os.path.join(a, "vmcore"), os.path.join(b, "vmcore")])
        if not t.ok(j is not None and p.returncode == 1 and no_crash(p),
                    "%s: hypmem-diff --json exits 1" % name, p.stderr[-2000:]):
            continue
        t.ok(got_pools(j) == expected_pools(ta, tb),
             "%s: free pages per pool and order as the truths differ" % name,
             "got %r\nwant %r" % (got_pools(j), expected_pools(ta, tb)))
        for h in ("refcount_histogram", "order_histogram"):
            got = sorted((e["key"], e["before"], e["after"]) for e in j["vmemmap"][h])
            want = hist_delta(ta["vmemmap"][h], tb["vmemmap"][h])
            t.ok(got == want, "%s: vmemmap %s delta" % (name, h),
                 "got %r\nwant %r" % (got[:20], want[:20]))
        want = moves(ta["stage2"]["runs"], tb["stage2"]["runs"])
        got = [[int(m["start"], 16), int(m["end"], 16), m["from"], m["to"]]
               for m in j["stage2_moves"]]
        t.ok(got == want and want, "%s: %d stage-2 ownership moves as the truths' runs" % (
            name, len(want)), "got %r\nwant %r" % (got[:10], want[:10]))
        pages = {}
        for lo, hi, fr, to in want:
            pages[(fr, to)] = pages.get((fr, to), 0) + (hi - lo) // 4096
        t.ok(sum(m["pages"] for m in j["stage2_moves"]) == sum(pages.values()),
             "%s: pages moved: %s" % (name, ", ".join(
                 "%s->%s %d" % (k[0], k[1], v) for k, v in sorted(pages.items()))))
        p, _ = diff([image, os.path.join(b, "vmcore"), os.path.join(b, "vmcore.kdump")])
        t.ok(p.returncode == 0 and "no differences" in p.stdout and no_crash(p),
             "%s: ELF and kdump cores of one run: no differences, exit 0" % name,
             p.stdout[-2000:] + p.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            snaps = []
            for d in (a, b):
                s = os.path.join(tmp, os.path.basename(d) + ".json")
                with open(s, "w") as f:
                    r = subprocess.run([tool("hypmem-diff"), "--snapshot", image,
                                        os.path.join(d, "vmcore")], stdout=f)
                snaps.append(s)
            p2, j2 = diff(["--json"] + snaps)
            same = j2 is not None and all(j2[k] == j[k] for k in j if k not in ("before", "after"))
            t.ok(r.returncode == 0 and p2.returncode == 1 and same,
                 "%s: snapshots give the same diff as the dumps" % name, p2.stderr)
            with open(os.path.join(tmp, "bad.json"), "w") as f:
                f.write("[1, 2")
            p3, _ = diff([snaps[0], os.path.join(tmp, "bad.json")])
            t.ok(p3.returncode == 2 and no_crash(p3), "%s: a bad snapshot exits 2" % name,
                 p3.stderr)
        p, _ = diff([image, os.path.join(a, "vmcore"), os.path.join(b, "vmcore")])
        t.ok(p.returncode == 1 and "stage-2 ownership moved" in p.stdout and
             "host -> guest" in p.stdout, "%s: text output" % name, p.stdout[-3000:])


def heap_expected(ha, hb):
    ua = {c["address"]: c["used"] for c in ha["chunks"] if c["state"] == "used"}
    ub = {c["address"]: c["used"] for c in hb["chunks"] if c["state"] == "used"}
    return (sorted(k for k in ub if k not in ua), sorted(k for k in ua if k not in ub),
            sorted(k for k in ub if k in ua and ua[k] != ub[k]))


def heap():
    """Two seeds of one image: the heap workloads differ (chunk by chunk from the truths)."""
    if not shutil.which("qemu-system-aarch64"):
        return
    a, _ = make_dumps(8, 7, 512, 5000)
    b, _ = make_dumps(8, 1, 1024, 20000)
    if not a or not b:
        t.skip("heap diff", "no dumps")
        return
    ta = json.load(open(os.path.join(a, "truth.json")))
    tb = json.load(open(os.path.join(b, "truth.json")))
    p, j = diff(["--json", os.path.join(b, "el2.elf"), os.path.join(a, "vmcore"),
                 os.path.join(b, "vmcore")])
    if not t.ok(j is not None and no_crash(p), "heap diff of seeds 7 and 1", p.stderr):
        return
    h = j["heap"][0]
    got = (sorted(c["address"] for c in h["born"]), sorted(c["address"] for c in h["freed"]),
           sorted(c["address"] for c in h["resized"]))
    want = heap_expected(ta["heap"][0], tb["heap"][0])
    t.ok(got == want and any(want), "heap chunks born %d, freed %d, resized %d as the truths" % (
        len(want[0]), len(want[1]), len(want[2])), "got %r\nwant %r" % (got, want))


def real():
    root = os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))
    d = os.path.join(root, "dumps")
    found = {}
    for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if not n.endswith(".tmp") and os.path.exists(os.path.join(d, n, "vmcore.kdump")):
            found.setdefault("-".join(n.split("-")[:2]), os.path.join(d, n))
    a, b = found.get("7.x-nvhe"), found.get("7.x-hvhe")
    if not a or not b:
        t.skip("diff of real dumps", "no cached 7.x nvhe and hvhe dumps")
        return
    vml = os.path.join(a, "vmlinux")
    p, _ = diff([vml, os.path.join(a, "vmcore"), os.path.join(a, "vmcore.kdump")])
    t.ok(p.returncode == 0 and no_crash(p), "7.x: ELF and kdump cores of one boot: exit 0",
         p.stdout[-2000:] + p.stderr)
    p, j = diff(["--json", vml, os.path.join(a, "vmcore"), os.path.join(b, "vmcore")])
    if not t.ok(j is not None and no_crash(p), "7.x: nvhe and hvhe boots compared", p.stderr):
        return
    drgn = []
    for x in (a, b):
        q = subprocess.run(["/usr/bin/python3", os.path.join("tests", "qemu", "real",
                                                             "page_oracle.py"),
                            os.path.join(x, "vmlinux"), os.path.join(x, "vmcore")],
                           capture_output=True, text=True)
        if q.returncode:
            t.skip("7.x: pools against drgn", "drgn: " + q.stderr[-200:])
            return
        drgn.append(json.loads(q.stdout))
    t.ok(got_pools(j) == expected_pools(*drgn) and p.returncode == (1 if j["different"] else 0),
         "7.x: pool deltas as drgn's two walks", "got %r\nwant %r" % (
             got_pools(j), expected_pools(*drgn)))
    # A VM gone while its donated page stays donated: the page drgn finds
    # owned by that VM's stage-2 must be a leak candidate.  The "after"
    # snapshot is the same dump with the VM taken out of vms.
    owned = [g for g in drgn[0]["guest"] if g["state"] == "owned"]
    if not owned:
        t.skip("7.x: leak candidates", "no page owned by a guest")
        return
    g = owned[0]
    with tempfile.TemporaryDirectory() as tmp:
        before, after = os.path.join(tmp, "before.json"), os.path.join(tmp, "after.json")
        with open(before, "w") as f:
            r = subprocess.run([tool("hypmem-diff"), "--snapshot", vml,
                                os.path.join(a, "vmcore")], stdout=f)
        snap = json.load(open(before))
        snap["vms"] = [v for v in snap.get("vms", []) if int(v["handle"], 16) != g["handle"]]
        json.dump(snap, open(after, "w"))
        p, j = diff(["--json", before, after])
    leaks = [x for x in (j or {}).get("leak_candidates", [])
             if int(x["start"], 16) <= g["pa"] < int(x["end"], 16)]
    t.ok(r.returncode == 0 and p.returncode == 1 and j["vms_destroyed"] == [g["handle"]] and
         leaks and leaks[0]["owner"] == "guest:0x%x" % g["handle"] and
         leaks[0]["reason"] == "vm_gone",
         "7.x: a page donated to a VM that is gone (PA 0x%x, drgn) is a leak candidate" % g["pa"],
         p.stderr + json.dumps(j)[:1500] if j else p.stderr)


def pool_key(p):
    h = p.get("vm_handle")
    return "vm:0x%x" % (int(h, 16) if isinstance(h, str) else h) if h is not None else p["name"]


def drgn_delta(sa, sb):
    """What hypmem-diff must say of two dumps, from drgn's reading of each
    (diff_oracle.py): changed pools per order, pools new and gone (a VM's
    pool keyed by its VM's handle), VMs created and destroyed, ownership
    moves and leak candidates by hypmem-diff's rules (a range given to a VM
    the second dump lacks; host -> hyp/guest while no VM was created)."""
    pa = {pool_key(p): p["free_pages_by_order"] for p in sa["pools"]}
    pb = {pool_key(p): p["free_pages_by_order"] for p in sb["pools"]}
    changed = {}
    for k in set(pa) | set(pb):
        u, v = pa.get(k, []), pb.get(k, [])
        n = max(len(u), len(v))
        u, v = u + [0] * (n - len(u)), v + [0] * (n - len(v))
        d = [(o, x, y) for o, (x, y) in enumerate(zip(u, v)) if x != y]
        if d:
            changed[k] = d
    mv = moves_segs([tuple(o) for o in sa["owners"]], [tuple(o) for o in sb["owners"]])
    leaks = [(s, e, lab, "vm_gone") for s, e, lab in sb["owners"]
             if lab.startswith("guest:") and int(lab[6:], 16) not in sb["vms"]]
    if set(sb["vms"]) <= set(sa["vms"]):
        leaks += [(s, e, to, "donated_no_new_vm") for s, e, fr, to in mv
                  if fr == "host" and to.split(":")[0] in ("hyp", "guest")]
    return {"pools": changed, "new": sorted(set(pb) - set(pa)), "gone": sorted(set(pa) - set(pb)),
            "created": sorted(set(sb["vms"]) - set(sa["vms"])),
            "destroyed": sorted(set(sa["vms"]) - set(sb["vms"])), "moves": mv, "leaks": leaks}


def hypmem_delta(j):
    return {"pools": {pool_key(p): [(e["order"], e["before"], e["after"])
                                    for e in p["free_pages_by_order"]]
                      for p in j["pools"] if p["free_pages_by_order"]},
            "new": sorted(pool_key(p) for p in j["pools"] if not p["before"]),
            "gone": sorted(pool_key(p) for p in j["pools"] if not p["after"]),
            "created": sorted(j["vms_created"]), "destroyed": sorted(j["vms_destroyed"]),
            "moves": [[int(m["start"], 16), int(m["end"], 16), m["from"], m["to"]]
                      for m in j["stage2_moves"]],
            "leaks": [(int(x["start"], 16), int(x["end"], 16), x["owner"], x["reason"])
                      for x in j["leak_candidates"]]}


def real_one_boot():
    """Two dumps of one boot (real-dumps PHASES): before kvm-user creates
    its VMs, and with them alive."""
    root = os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))
    if os.environ.get("HYPMEM_REAL") == "0":
        t.skip("diff of one real boot", "HYPMEM_REAL=0")
        return
    if not (os.environ.get("HYPMEM_REAL") == "1" or os.path.isdir(root)):
        t.skip("diff of one real boot", "no cache at %s and HYPMEM_REAL unset" % root)
        return
    # real-dumps reuses cached dumps (seconds) or boots the PHASES configurations.
    real_dumps = os.path.join("tests", "qemu", "real", "real-dumps")
    src = open(real_dumps).read()
    configs = sorted(re.search(r"^PHASES = \{(.*)\}$", src, re.M).group(1).replace(
        '"', "").replace(" ", "").split(","))
    p = subprocess.run([real_dumps, "--cache", root] + configs, capture_output=True, text=True,
                       timeout=3600)
    if p.returncode == 3:
        t.skip("diff of one real boot", "packages unavailable: " + p.stderr[-300:])
        return
    found = dict(line.split(" ", 1) for line in p.stdout.splitlines() if " " in line)
    if not t.ok(p.returncode == 0 and sorted(found) == configs,
                "real-dumps: %s, a dump before the VMs in each boot" % ", ".join(configs),
                p.stderr[-3000:]):
        return
    for config, x in sorted(found.items()):
        vml = os.path.join(x, "vmlinux")
        cores = {ph: os.path.join(x, f) for ph, f in (
            ("before", "vmcore.before"), ("alive", "vmcore"))}
        drgn = {}
        for ph, core in cores.items():
            q = subprocess.run(["/usr/bin/python3", os.path.join(
                "tests", "qemu", "real", "diff_oracle.py"), vml, core],
                capture_output=True, text=True)
            if not t.ok(q.returncode == 0, "%s %s: drgn walk" % (config, ph), q.stderr[-1500:]):
                return
            drgn[ph] = json.loads(q.stdout)
        for pa, pb in (("before", "alive"), ("alive", "before")):
            name = "%s: %s -> %s" % (config, pa, pb)
            p, j = diff(["--json", vml, cores[pa], cores[pb]])
            if not t.ok(j is not None and no_crash(p), "%s: hypmem-diff --json" % name,
                        p.stderr[-1500:]):
                continue
            got, want = hypmem_delta(j), drgn_delta(drgn[pa], drgn[pb])
            bad = ["%s: hypmem %r\n  drgn %r" % (k, got[k], want[k])
                   for k in want if got[k] != want[k]]
            pages = {}
            for lo, hi, fr, to in want["moves"]:
                key = "->".join("guest" if x.startswith("guest:") else x for x in (fr, to))
                pages[key] = pages.get(key, 0) + (hi - lo) // drgn[pa]["page_size"]
            t.ok(not bad and p.returncode == (1 if j["different"] else 0),
                 "%s: as drgn's walks differ (VMs +%d -%d, %d pool(s) changed, pages %s, "
                 "%d leak candidate(s))" % (
                     name, len(want["created"]), len(want["destroyed"]), len(want["pools"]),
                     ", ".join("%s %d" % kv for kv in sorted(pages.items())) or "none",
                     len(want["leaks"])), "\n".join(bad))
            if pa == "before" and pb == "alive":
                t.ok(want["created"] and any(m[3] == "hyp" for m in want["moves"]),
                     "%s: the KVM user's VMs were created and took pages (drgn)" % name,
                     json.dumps(want)[:1500])
        t.ok(drgn["before"]["vms"] == [], "%s: no VM before the KVM user ran (drgn)" % config,
             repr(drgn["before"]["vms"]))


def moved_slot():
    """Per-VM pools are keyed by the VM's handle: the same VM in another
    vm_table slot is the same pool; another handle in the same slot is not."""
    root = os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))
    d = os.path.join(root, "dumps")
    x = None
    for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if n.startswith("7.x-hvhe-") and not n.endswith(".tmp") and \
                os.path.exists(os.path.join(d, n, "vmcore")):
            x = os.path.join(d, n)
    if not x:
        t.skip("VM pools keyed by handle", "no cached 7.x-hvhe dump")
        return
    with tempfile.TemporaryDirectory() as tmp:
        a = os.path.join(tmp, "a.json")
        with open(a, "w") as f:
            r = subprocess.run([tool("hypmem-diff"), "--snapshot", os.path.join(x, "vmlinux"),
                                os.path.join(x, "vmcore")], stdout=f)
        snap = json.load(open(a))
        vm = snap["vms"][0]
        old = "vm_table[%d].pool" % vm["slot"]
        handle = vm["handle"]
        results = []
        for what in ("slot", "handle"):
            s2 = json.loads(json.dumps(snap))
            v2 = s2["vms"][0]
            if what == "slot":
                v2["slot"] = 100
                for pool in s2["pools"]:
                    if pool["name"] == old:
                        pool["name"] = "vm_table[100].pool"
            else:
                v2["handle"] = "0x7fff"
            b = os.path.join(tmp, what + ".json")
            json.dump(s2, open(b, "w"))
            results.append(diff(["--json", a, b]))
            results.append(diff([a, b]))
    (pj, j), (pt, _), (qj, k), _ = results
    mine = [p for p in (j or {}).get("pools", []) if p.get("vm_handle") == handle]
    t.ok(r.returncode == 0 and j is not None and not mine and not j["vms_created"] and
         not j["vms_destroyed"] and "vm_table[100]" not in pt.stdout,
         "VM %s moved from %s to vm_table[100]: the same VM, its pool unchanged" % (handle, old),
         pj.stderr + pt.stdout[-1500:])
    gone = [p["name"] for p in (k or {}).get("pools", []) if not p["after"]]
    new = [p.get("vm_handle") for p in (k or {}).get("pools", []) if not p["before"]]
    t.ok(k is not None and gone == [old] and new == ["0x7fff"] and
         k["vms_destroyed"] == [int(handle, 16)] and k["vms_created"] == [0x7fff],
         "another handle in %s: VM %s's pool gone, VM 0x7fff's new" % (old, handle),
         qj.stderr + json.dumps(k)[:1500])


def main():
    el2()
    heap()
    real()
    real_one_boot()
    moved_slot()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
