#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: hypmem-dump page, one page at a time, against the EL2 core's
ground truth.

For the configurations of el2_dumps.py (cached dumps are shared):
- every page of every pool is queried; the pages the answers call free,
  counted per block order, and the distinct blocks they name, must equal
  the truth's free_pages_by_order and free_blocks_by_order;
- the first and last page of host stage-2 runs of the truth: level, size,
  valid, owner, state, permissions and attributes of the entry;
- heap chunks of the truth, asked for by hyp VA: the PA and the chunk;
- a hyp variable by its kernel image VA (from nm, translated with the
  truth's kimage_voffset) and by name, as the truth's hyp_allocator PA;
- a free head given a reference in a copy of the dump: the page shows the finding;
- bare numbers read as a PA, a hyp VA and a kernel VA; bad input exits 2,
  an unmapped hyp VA is answered "not mapped".
Runs the ASan+UBSan build when there is one.  Prints TAP; skips without QEMU.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import (BUILD, ElfCore, Tap, layout, make_dumps, nm, no_crash,  # noqa: E402
                        patched_core, tool)

CONFIGS = [
    # (layout, seed, MiB, ops): those of el2_dumps.py
    (8, 1, 1024, 20000),
    (8, 7, 512, 5000),
    (4, 2, 768, 20000),
    (32, 3, 512, 20000),
]
PAGE = 4096
t = Tap()


def query(out, addrs, dump="vmcore"):
    p = subprocess.run([tool("hypmem-dump"), "page", "--json", os.path.join(out, "el2.elf"),
                        os.path.join(out, dump)] + addrs, capture_output=True, text=True)
    if not no_crash(p) or p.returncode == 2:
        return p, None
    return p, json.loads(p.stdout)["pages"]


def check_pools(name, out, truth):
    for pool in truth["pools"]:
        start, end = int(pool["range_start"], 16), int(pool["range_end"], 16)
        p, pages = query(out, ["pa:%#x" % a for a in range(start, end, PAGE)])
        if not t.ok(pages is not None, "%s: page queries of %s" % (name, pool["name"]),
                    p.stderr[-2000:]):
            continue
        n = len(pool["free_pages_by_order"])
        by_pages, blocks, bad = [0] * n, {}, []
        for q in pages:
            po = q.get("pool")
            if not po or po["name"] != pool["name"]:
                bad.append("%s: pool %r" % (q["query"], po))
            elif po["free"]:
                if po["order"] >= n or not po["listed"]:
                    bad.append("%s: %r" % (q["query"], po))
                    continue
                by_pages[po["order"]] += 1
                blocks[po["block"]] = po["order"]
        by_blocks = [0] * n
        for o in blocks.values():
            by_blocks[o] += 1
        t.ok(not bad and by_pages == pool["free_pages_by_order"] and
             by_blocks == pool["free_blocks_by_order"],
             "%s: %s free pages and blocks per order, page by page" % (name, pool["name"]),
             "\n".join(bad[:10]) + "\npages %r want %r\nblocks %r want %r" % (
                 by_pages, pool["free_pages_by_order"], by_blocks,
                 pool["free_blocks_by_order"]))


def check_stage2(name, out, truth):
    runs = truth["stage2"]["runs"]
    step = max(1, len(runs) // 40)
    picked = runs[::step]
    addrs = []
    for r in picked:
        start, end = int(r["start"], 16), int(r["end"], 16)
        addrs += ["pa:%#x" % start, "pa:%#x" % (end - PAGE)]
    p, pages = query(out, addrs)
    if not t.ok(pages is not None, "%s: page queries of stage-2 runs" % name, p.stderr[-2000:]):
        return
    diffs = []
    for i, q in enumerate(pages):
        r, s2 = picked[i // 2], q.get("stage2")
        if not s2:
            diffs.append("%s: no stage-2 entry, truth %r" % (q["query"], r))
            continue
        want = {k: r[k] for k in ("level", "size", "valid")}
        got = {k: s2[k] for k in want}
        if r["valid"]:
            want.update(state=r["state"], prot=r["prot"], memattr=r["memattr"])
            got.update(state=s2["state"], prot=s2["prot"], memattr=s2["memattr"])
            if int(s2["phys"], 16) != int(q["pa"], 16):
                diffs.append("%s: not an identity map: %s" % (q["query"], s2["phys"]))
        else:
            want.update(owner=r["owner"], owner_id=r["owner_id"])
            got.update(owner=s2["owner"], owner_id=s2["owner_id"])
        if want != got:
            diffs.append("%s: got %r, truth %r" % (q["query"], got, want))
        if not int(s2.get("table", "0"), 16) or \
                int(s2["entry_pa"], 16) - int(s2["table"], 16) >= PAGE:
            diffs.append("%s: entry %s outside table %s" % (q["query"], s2.get("entry_pa"),
                                                          s2.get("table")))
    t.ok(not diffs, "%s: %d stage-2 entries as the truth's runs" % (name, len(pages)),
         "\n".join(diffs[:20]))


def check_heap(name, out, truth):
    for heap in truth.get("heap", []):
        chunks = heap["chunks"][:: max(1, len(heap["chunks"]) // 12)]
        p, pages = query(out, ["hyp:%s" % c["address"] for c in chunks])
        if not t.ok(pages is not None, "%s: page queries of heap chunks" % name,
                    p.stderr[-2000:]):
            continue
        diffs = []
        for c, q in zip(chunks, pages):
            if not q["resolved"] or int(q["pa"], 16) != int(c["pa"], 16):
                diffs.append("%s: pa %s, truth %s" % (q["query"], q.get("pa"), c["pa"]))
                continue
            found = [x for x in q["heap_chunks"][:1]
                     if x["address"] == c["address"] and x["holds_address"]]
            if not found or found[0]["size"] != c["size"] or found[0]["state"] != c["state"]:
                diffs.append("%s: chunks %r, truth %r" % (q["query"], q["heap_chunks"], c))
        t.ok(not diffs, "%s: %s: %d chunks by hyp VA" % (name, heap["name"], len(chunks)),
             "\n".join(diffs))


def check_symbols(name, out, truth):
    syms = nm(os.path.join(out, "el2.elf"))
    heap = truth["heap"][0]
    kva = syms["__kvm_nvhe_" + heap["name"]]
    voff = int(truth["hyp"]["kimage_voffset"], 16)
    want = (kva - voff) & (2**64 - 1)
    p, pages = query(out, ["kva:%#x" % kva, "sym:" + heap["name"], "%#x" % kva])
    ok = pages is not None and all(q["resolved"] and int(q["pa"], 16) == want for q in pages)
    t.ok(ok and pages[2]["as"] == "kva",
         "%s: %s by kernel VA, by name and as a bare number" % (name, heap["name"]),
         p.stderr + (json.dumps(pages)[:1000] if pages else ""))
    chunk = heap["chunks"][0]
    pa = int(truth["pools"][0]["range_start"], 16)
    p, pages = query(out, [chunk["address"], "%#x" % pa, "hyp:0x1000", "pfn:%#x" % (pa // PAGE)])
    ok = pages is not None and [q.get("as") for q in pages] == ["hyp", "pa", None, "pfn"] and \
        not pages[2]["resolved"] and int(pages[0]["pa"], 16) == int(chunk["pa"], 16) and \
        pages[1]["pa"] == pages[3]["pa"]
    t.ok(ok, "%s: bare hyp VA and PA, pfn:, an unmapped hyp VA" % name,
         p.stderr + (json.dumps(pages)[:2000] if pages else ""))
    # The EL2 core's VMCOREINFO: VA_BITS 48, PHYS_OFFSET = start of RAM, so
    # the arm64 linear map puts PA P at 0xffff000000000000 + P - PHYS_OFFSET.
    ram = int(truth["target"]["ram_ranges"][0]["start"], 16)
    lin = 0xffff000000000000 + pa - ram
    p, pages = query(out, ["%#x" % lin, "kva:%#x" % lin])
    ok = pages is not None and all(q["as"] == "linear" and int(q["pa"], 16) == pa for q in pages)
    t.ok(ok, "%s: a kernel linear-map VA" % name, p.stderr + json.dumps(pages)[:1000])


def check_finding(name, out, truth):
    """A listed free head given a reference (patched in a copy of the dump, at
    addresses from nm, DWARF and the truth): the page's answer carries the
    finding, and the command exits 1."""
    M64 = (1 << 64) - 1
    image, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    syms, lay, elf = nm(image), layout(BUILD, image), ElfCore(core)
    hyp = truth["hyp"]
    kvo, hpo = int(hyp["kimage_voffset"], 16), int(hyp["hyp_physvirt_offset"], 16)
    ram_start = int(truth["target"]["ram_ranges"][0]["start"], 16)
    esz = truth["vmemmap"]["entry_size"]
    fa = lay["struct hyp_pool"]["free_area"]["offset"]
    with open(core, "rb") as f:
        def read64(pa):
            f.seek(elf.offset(pa))
            return struct.unpack("<Q", f.read(8))[0]
        node = None
        for order in range(11):
            head = (syms["__kvm_nvhe_hpool"] - kvo + fa + 16 * order) & M64
            first = read64(head)
            if first != (head - hpo) & M64:
                node = (first + hpo) & M64
                break
    if node is None:
        t.skip("%s: a finding in a page" % name, "no free block in hpool")
        return
    m = lay["struct hyp_page"]["refcount"]
    entry = int(hyp["carveout_base"], 16) + ((node >> 12) - (ram_start >> 12)) * esz
    tmp = tempfile.mkdtemp(prefix="hypmem-page-")
    try:
        bad = patched_core(core, elf, {entry + m["offset"]: (1).to_bytes(m["size"], "little")},
                           os.path.join(tmp, "vmcore"))
        p = subprocess.run([tool("hypmem-dump"), "page", "--json", image, bad, "pa:%#x" % node],
                           capture_output=True, text=True)
        pages = json.loads(p.stdout)["pages"] if p.returncode == 1 else []
        kinds = [x["kind"] for x in pages[0]["findings"]] if pages else []
        t.ok(no_crash(p) and "free_page_referenced" in kinds,
             "%s: a free head given a reference: the page shows free_page_referenced, exit 1"
             % name, "exit %d kinds %r\n%s" % (p.returncode, kinds, p.stderr[-1000:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_usage(out):
    base = [tool("hypmem-dump"), "page", os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")]
    for bad in (["pa:zz"], [], ["pfn:-1"]):
        p = subprocess.run(base + bad, capture_output=True, text=True)
        t.ok(no_crash(p) and p.returncode == 2 and p.stderr,
             "page %r: usage error, exit 2" % bad, p.stderr)
    p = subprocess.run(base + ["0x40000000"], capture_output=True, text=True)
    t.ok(no_crash(p) and p.returncode in (0, 1) and "stage-2" in p.stdout,
         "page text output", p.stdout + p.stderr)


def main():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("page queries", "qemu-system-aarch64 not installed")
        return t.done()
    for i, (layout, seed, mem, ops) in enumerate(CONFIGS):
        name = "layout %d seed %d %d MiB" % (layout, seed, mem)
        out, err = make_dumps(layout, seed, mem, ops)
        if not t.ok(out is not None, "%s: boot, workload, dumps" % name, err or ""):
            continue
        with open(os.path.join(out, "truth.json")) as f:
            truth = json.load(f)
        check_pools(name, out, truth)
        check_stage2(name, out, truth)
        check_heap(name, out, truth)
        check_symbols(name, out, truth)
        if i == 0:
            check_usage(out)
            check_finding(name, out, truth)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
