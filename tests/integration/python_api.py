#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: the Python package (python/hypmem, ctypes over
libhypmem.so.0) against the commands' JSON for the same dump.

On demo dumps (two hyp_page layouts): the target's facts, every pool,
every vmemmap entry, every run of the host stage-2 and of the hyp
stage-1, every heap chunk, page answers (each pool's first and last page,
a hyp variable by name, heap chunks by hyp VA, a PFN, a bare number, an
address outside RAM) and the findings of a copy of the dump with a pool's
free list broken; errors (a missing file, a bad address) come as
HypmemError with their kind.  On the first cached real dump of 6.x and of
7.x (see page_real.py; HYPMEM_REAL=0 leaves them out): pools, runs, heap,
findings, a stretch of the vmemmap and the pools' first pages.  Each value is
compared with hypmem-dump's --json (pools, vmemmap, stage2, stage1, heap,
page).  Prints TAP.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from hypmemtest import BUILD, ElfCore, Tap, layout, make_dumps, patched_core  # noqa: E402

t = Tap()
os.environ.setdefault("HYPMEM_LIBRARY", os.path.join(os.path.abspath(BUILD), "libhypmem.so.0"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
try:
    import hypmem  # noqa: E402
except ImportError as e:
    t.ok(False, "import hypmem", str(e))
    sys.exit(t.done())

CONFIGS = [(8, 1, 1024, 20000), (4, 2, 768, 20000)]
DUMP = os.path.join(BUILD, "hypmem-dump")


def cli(sub, vmlinux, core, *args):
    p = subprocess.run([DUMP, sub, "--json", vmlinux, core] + list(args), capture_output=True,
                       text=True)
    if p.returncode not in (0, 1):
        raise RuntimeError("hypmem-dump %s: %s" % (sub, p.stderr))
    return json.loads(p.stdout)


def h(v):
    return None if v is None else "%#x" % v


def diff(name, want, got):
    bad = ["%s[%d]: want %r\n  got  %r" % (name, i, w, g)
           for i, (w, g) in enumerate(zip(want, got)) if w != g]
    if len(want) != len(got):
        bad.insert(0, "%s: %d entries expected, got %d" % (name, len(want), len(got)))
    return bad


def pool_json(p):
    return {"name": p.name, "address": h(p.address), "range_start": h(p.range_start),
            "range_end": h(p.range_end), "max_order": p.max_order, "nr_pages": p.nr_pages,
            "free_pages": p.free_pages, "free_pages_by_order": p.free_pages_by_order,
            "free_blocks_by_order": p.free_blocks_by_order, "findings": p.findings}


def entry_json(e, with_va=None):
    o = {"pfn": h(e.pfn), "refcount": e.refcount, "order": "none" if e.order is None
         else e.order}
    if e.host_state is not None:
        o.update(host_state_name=e.host_state_name, hyp_state_name=e.hyp_state_name,
                 host_state=e.host_state, hyp_state=e.hyp_state,
                 host_share_guest_count=e.host_share_guest_count)
    return o


def run_json(r, keys):
    """A Run as hypmem-dump's runs, keeping the keys the command printed."""
    o = {"start": h(r.start), "end": h(r.end), "level": r.level, "size": r.size,
         "valid": r.valid, "state": r.state, "prot": r.prot, "memattr": r.memattr}
    if r.phys is not None:
        o["phys"] = h(r.phys)
    if r.owner is not None:
        o["owner"] = r.owner
    if r.type is not None:
        o["type"] = r.type
    if r.vm_handle is not None:
        o.update(vm_handle=r.vm_handle, gfn=h(r.gfn))
    return {k: o.get(k) for k in keys}


RUN_KEYS = ("start", "end", "level", "size", "valid", "phys", "owner", "type", "vm_handle",
            "gfn", "state", "prot", "memattr")
# hypmem-dump stage2 prints no phys (the host stage-2 is an identity map).
S2_KEYS = tuple(k for k in RUN_KEYS if k != "phys")


def runs_want(runs, keys):
    return [{k: r.get(k) for k in keys} for r in runs]


def page_json(p):
    """A Page in the shape of hypmem-dump page --json, the fields both have."""
    o = {"query": p.query, "resolved": p.resolved}
    if not p.resolved:
        return o
    o.update({"as": p.kind, "pa": h(p.pa), "pfn": h(p.pfn), "in_ram": p.in_ram})
    if p.entry:
        o["vmemmap"] = entry_json(p.entry)
    if p.pool:
        o["pool"] = {"name": p.pool, "free": p.free_block is not None}
        if p.free_block:
            o["pool"].update(block=h(p.free_block[0] << 12), order=p.free_block[1],
                             index=p.free_block[2])
    if p.s2:
        s2 = {"start": h(p.s2.start), "end": h(p.s2.end), "level": p.s2.level,
              "size": p.s2.size, "valid": p.s2.valid, "descriptor": h(p.s2_descriptor),
              "table": h(p.s2_table)}
        if p.s2.valid:
            s2.update(phys=h(p.s2.phys + p.page_pa - p.s2.start), state=p.s2.state,
                      prot=p.s2.prot, memattr=p.s2.memattr)
        else:
            s2["owner"] = p.s2.owner
            if p.s2.type:
                s2["type"] = p.s2.type
        o["stage2"] = s2
    o["hyp_stage1"] = [h(v) for v in p.hyp_stage1]
    o["guest"] = [(vm, h(ipa)) for vm, ipa in p.guest]
    o["heap_chunks"] = [(c.heap, h(c.addr), c.size, c.used) for c in p.heap_chunks]
    o["nr_findings"] = p.nr_findings
    return o


def page_want(q):
    o = {"query": q["query"], "resolved": q["resolved"]}
    if not q["resolved"]:
        return o
    o.update({k: q[k] for k in ("as", "pa", "pfn", "in_ram")})
    if q.get("vmemmap"):
        o["vmemmap"] = {k: v for k, v in q["vmemmap"].items() if k != "entry_va"}
    if q.get("pool"):
        o["pool"] = {k: v for k, v in q["pool"].items() if k != "listed"}
    if q.get("stage2"):
        keep = ("start", "end", "level", "size", "valid", "descriptor", "table", "phys",
                "state", "prot", "memattr", "owner", "type")
        o["stage2"] = {k: v for k, v in q["stage2"].items() if k in keep}
    o["hyp_stage1"] = [m["va"] for m in q["hyp_stage1"]]
    o["guest"] = [(m["vm_handle"], m["ipa"]) for m in q["guest"]]
    o["heap_chunks"] = [(c["heap"], c["address"], c["size"], c["used"])
                        for c in q["heap_chunks"]]
    o["nr_findings"] = len(q["findings"])
    return o


def findings_json(fs):
    return [{"kind": f.kind, "address": h(f.address), "message": f.message} for f in fs]


def check_target(name, vmlinux, core, addrs, vmemmap_range=None):
    """Everything the package returns for one dump, against the commands' JSON."""
    with hypmem.Target(vmlinux, core) as prog:
        pools = cli("pools", vmlinux, core)
        tgt = pools["target"]
        t.ok(prog.release == tgt["release"] and prog.page_size == tgt["page_size"],
             "%s: release and page size" % name, (prog.release, prog.page_size, tgt))
        t.ok(len(pools["pools"]) >= 2 and
             [pool_json(p) for p in prog.pools()] == pools["pools"],
             "%s: %d pools" % (name, len(pools["pools"])),
             diff("pools", pools["pools"], [pool_json(p) for p in prog.pools()]))
        args = ["--range", "%#x-%#x" % vmemmap_range] if vmemmap_range else []
        want = cli("vmemmap", vmlinux, core, *args)["pages"]
        first, end = (vmemmap_range[0], vmemmap_range[1] + 1) if vmemmap_range else (0, None)
        got = [entry_json(e) for e in prog.vmemmap(first, end)]
        t.ok(len(want) > 100 and got == want, "%s: %d vmemmap entries" % (name, len(want)),
             diff("vmemmap", want, got)[:10])
        for sub, key, runs, keys in (("stage2", "stage2", prog.stage2_runs(), S2_KEYS),
                                     ("stage1", "hyp_stage1", prog.stage1_runs(), RUN_KEYS)):
            want = runs_want(cli(sub, vmlinux, core)[key]["runs"], keys)
            got = [run_json(r, keys) for r in runs]
            t.ok(len(want) > 2 and got == want, "%s: %d %s runs" % (name, len(want), sub),
                 diff(sub, want, got)[:10])
        hp = subprocess.run([DUMP, "heap", "--json", vmlinux, core], capture_output=True,
                            text=True)
        if hp.returncode == 2 and "no hyp heap" in hp.stderr:
            t.ok(prog.heap_chunks() == [], "%s: no heap, no chunks" % name)
        else:
            want = [dict(c, heap=x["name"]) for x in json.loads(hp.stdout)["heap"]
                    for c in x["chunks"]]
            got = [{"heap": c.heap, "address": h(c.addr), "pa": h(c.pa), "size": c.size,
                    "state": "used" if c.is_used else "free", "mapped": c.mapped,
                    "used": c.used, "hash_ok": c.hash_ok} for c in prog.heap_chunks()]
            t.ok(len(want) > 2 and got == want, "%s: %d heap chunks" % (name, len(want)),
                 diff("chunks", want, got)[:10])
            addrs = addrs + ["hyp:%#x" % c.addr for c in prog.heap_chunks()[:6]]
        pages = cli("page", vmlinux, core, *addrs)
        want = [page_want(q) for q in pages["pages"]]
        got = [page_json(prog.page(a)) for a in addrs]
        t.ok(got == want, "%s: %d page answers" % (name, len(addrs)), diff("page", want, got))
        t.ok(findings_json(prog.findings()) == pages["findings"],
             "%s: the %d findings" % (name, len(pages["findings"])),
             diff("findings", pages["findings"], findings_json(prog.findings())))
        return prog.pools()


def broken_pool_copy(out, tmp, pool):
    """A copy of the dump whose pool has the first non-empty free list's head
    pointing into nowhere (free_area's offset from DWARF)."""
    image, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    fa = layout(BUILD, image)["struct hyp_pool"]["free_area"]["offset"]
    order = next(k for k, n in enumerate(pool.free_blocks_by_order) if n)
    bad = (0xdead0000dead0000).to_bytes(8, "little")
    return patched_core(core, ElfCore(core), {pool.address + fa + 16 * order: bad},
                        os.path.join(tmp, "vmcore"))


def check_demo(tmp):
    for cfg in CONFIGS:
        name = "L%d seed %d" % (cfg[0], cfg[1])
        out, err = make_dumps(*cfg)
        if not t.ok(out is not None, "%s: dump (QEMU)" % name, err):
            continue
        image, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
        pools = cli("pools", image, core)["pools"]
        addrs = ["sym:hyp_allocator", "pfn:%#x" % (int(pools[0]["range_start"], 16) >> 12),
                 pools[1]["range_start"], "pa:0x1000"]
        for p in pools:
            addrs += ["pa:" + p["range_start"], "pa:%#x" % (int(p["range_end"], 16) - 4096)]
        got = check_target(name, image, core, addrs)
        if not got:
            continue
        if cfg == CONFIGS[0]:
            bad = broken_pool_copy(out, tmp, got[0])
            with hypmem.Target(image, bad) as prog:
                fs = prog.findings()
                want = cli("page", image, bad, "pa:" + pools[0]["range_start"])["findings"]
                t.ok(fs and findings_json(fs) == want,
                     "%s, a free list broken: the %d findings" % (name, len(want)),
                     diff("findings", want, findings_json(fs)))
                t.ok(any(p.findings for p in prog.pools()),
                     "%s, a free list broken: the pool counts its findings" % name)
            with hypmem.Target(image, core) as prog:
                try:
                    prog.page("nonsense")
                    t.ok(False, "a bad address raises HypmemError")
                except hypmem.HypmemError as e:
                    t.ok(e.kind == "INVALID_ARGUMENT" and "nonsense" in e.message,
                         "a bad address raises HypmemError INVALID_ARGUMENT", repr(e))
            try:
                hypmem.Target(image, os.path.join(tmp, "missing"))
                t.ok(False, "a missing dump raises HypmemError")
            except hypmem.HypmemError as e:
                t.ok(e.kind == "OS" and "missing" in e.message,
                     "a missing dump raises HypmemError OS", repr(e))


def real_dumps():
    root = os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))
    d = os.path.join(root, "dumps")
    if not os.path.isdir(d):
        return []
    return [(n, os.path.join(d, n)) for n in sorted(os.listdir(d))
            if not n.endswith(".tmp") and
            all(os.path.exists(os.path.join(d, n, f)) for f in ("vmlinux", "vmcore"))]


def check_real():
    if os.environ.get("HYPMEM_REAL", "1") == "0":
        t.skip("a real dump", "HYPMEM_REAL=0")
        return
    dumps = real_dumps()
    if not dumps:
        t.skip("a real dump", "no cached real dump (tests/qemu/real/real-dumps)")
        return
    # The first dump of each kernel series (6.x, 7.x): layouts with and
    # without page states, with and without the heap.
    seen = set()
    for name, out in dumps:
        if name.split(".")[0] in seen:
            continue
        seen.add(name.split(".")[0])
        vmlinux, core = os.path.join(out, "vmlinux"), os.path.join(out, "vmcore")
        info = cli("pools", vmlinux, core)
        start, ps = int(info["pools"][0]["range_start"], 16), info["target"]["page_size"]
        addrs = ["pa:%#x" % (int(p["range_start"], 16)) for p in info["pools"]] + ["sym:hpool"]
        check_target("real " + name, vmlinux, core, addrs,
                     vmemmap_range=(start // ps, start // ps + 2047))


tmp = tempfile.mkdtemp(prefix="hypmem-py-")
try:
    t.ok(hypmem.version() == open("VERSION").read().strip(), "hypmem.version() is VERSION")
    check_demo(tmp)
    check_real()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(t.done())
