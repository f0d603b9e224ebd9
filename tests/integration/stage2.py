#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: the host stage-2 of a real EL1 host under QEMU, decoded from
the dump, against the EL2 core's own description of it.

For several (layout, seed, RAM, IPA size) configurations the EL1 host runs
behind its stage-2 (faults, shares, donations, guests created and torn
down), then EL2 prints truth.json's "stage2" section from its own walker and
counters.  `hypmem-dump stage2 --json` on the ELF and the kdump-compressed
dump must reproduce it run by run (every run, every histogram bucket, the
table counts); `hypmem-stat --json` must carry the same histograms; the SVG
map must be well-formed XML; the hyp stage-1, walked by the same walker,
must decode without findings.  The workload must have left both coalesced
and fragmented regions, or the comparison proves little.

Layout 8 is the 7.x era: truth.json's runs carry the invalid-entry type and,
for a donation to a guest, the VM handle and gfn; its "vms" section (every
VM of vm_table with its guest stage-2, from the EL2 core's own walker) must
equal `hypmem-dump vms --json` VM by VM and run by run, every guest donation
in the host stage-2 must name a live VM, and `hypmem-stat` must cross-check
the vmemmap, host and guest stage-2s without a finding.

Prints TAP lines.  Skips when QEMU is not installed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, Tap, compare, make_dumps  # noqa: E402

CONFIGS = [
    # (layout, seed, MiB, ops, EL2 arguments)
    (8, 1, 1024, 20000, ""),
    (8, 7, 512, 5000, ""),
    (8, 5, 768, 5000, "ipa=40"),  # concatenated roots, host and guests
    (4, 2, 768, 20000, "ipa=40"),
    (32, 3, 512, 20000, "ipa=36 rounds=30"),
]
if os.environ.get("HYPMEM_BIG"):
    CONFIGS.append((8, 11, 4096, 20000, "rounds=40"))
# What only the EL2 core can know (its counters), not the table.
TRUTH_ONLY = {"pool_pages", "pool_pages_peak", "coalesce_events", "coalesced_by_level",
              "faults", "faults_by_level", "vms"}
t = Tap()


def run(tool, *args):
    p = subprocess.run([os.path.join(BUILD, tool)] + list(args), capture_output=True,
                       text=True, timeout=300)
    out = json.loads(p.stdout) if p.stdout.startswith("{") else None
    return p, out


def check_workload(name, s2):
    """The EL1 host left what the map is meant to show."""
    owners = s2["histogram"]["by_owner"]
    sizes = s2["histogram"]["by_size"]
    t.ok(s2["coalesce_events"] > 0 and s2["vms"]["torn_down"] > 0,
         "%s: guests were torn down and tables coalesced" % name,
         "coalesce_events %d, vms %r" % (s2["coalesce_events"], s2["vms"]))
    t.ok("guest" in owners and "hyp" in owners and s2["vms"]["live"] > 0,
         "%s: live guests and hyp pages remain (fragmented regions)" % name, repr(owners))
    t.ok("2M" in sizes and "4K" in sizes, "%s: block and page mappings" % name, repr(sizes))
    t.ok(s2["pool_pages"] == s2["tables"],
         "%s: table pages taken from host_s2_pool equal the tables walked" % name,
         "pool %d, walked %d" % (s2["pool_pages"], s2["tables"]))


def check_vms(name, out, whole):
    """Layout 8 (7.x): the VMs and their guest stage-2s, and the donations naming them."""
    vms = whole.get("vms")
    if not t.ok(vms, "%s: truth.json lists the VMs of vm_table" % name, repr(vms)[:200]):
        return
    handles = {int(v["handle"], 16) for v in vms}
    donated = [r for r in whole["stage2"]["runs"] if r.get("vm_handle")]
    t.ok(donated and all(r["vm_handle"] in handles and r["type"] == "host_donation" and
                         r["owner"] == "guest" for r in donated),
         "%s: %d guest donations, each naming a VM of vm_table" % (name, len(donated)),
         repr(donated[:3]))
    shared = sum(r["entries"] for v in vms for r in v["stage2"]["runs"]
                 if r["state"] == "shared_borrowed")
    t.ok(shared > 0, "%s: guests map %d pages the host shares with them" % (name, shared))
    elf, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    p, got = run("hypmem-dump", "vms", "--json", elf, core)
    diffs = compare(vms, (got or {}).get("vms")) if got else ["no JSON"]
    t.ok(p.returncode == 0 and not diffs,
         "%s: %d VMs and their guest stage-2s equal the ground truth" % (name, len(vms)),
         "exit %d\n%s\n%s" % (p.returncode, "\n".join(diffs[:20]), p.stderr))
    p, got = run("hypmem-stat", "--json", elf, core)
    t.ok(p.returncode == 0 and got and not got["findings"],
         "%s: vmemmap, host and guest stage-2s cross-checked, no finding" % name,
         "exit %d\n%s" % (p.returncode, json.dumps((got or {}).get("findings"))[:2000]))


def check_svg(name, out, tmp):
    svg = os.path.join(tmp, "map.svg")
    p, got = run("hypmem-dump", "stage2", "--json", "--svg", svg, os.path.join(out, "el2.elf"),
                 os.path.join(out, "vmcore"))
    ok = p.returncode == 0 and os.path.exists(svg)
    detail = p.stderr
    if ok:
        try:
            root = ET.parse(svg).getroot()
            rects = [e for e in root.iter() if e.tag.endswith("rect")]
            ok = root.tag.endswith("svg") and len(rects) > len(got["stage2"]["runs"]) // 2
            detail = "%d rects for %d runs" % (len(rects), len(got["stage2"]["runs"]))
        except ET.ParseError as e:
            ok, detail = False, str(e)
    if ok and shutil.which("xmllint"):
        x = subprocess.run(["xmllint", "--noout", svg], capture_output=True, text=True)
        ok, detail = x.returncode == 0, x.stderr
    t.ok(ok, "%s: --svg writes a well-formed memory map" % name, detail)


def main():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("stage-2 dumps", "qemu-system-aarch64 not installed")
        return t.done()
    tmp = tempfile.mkdtemp(prefix="hypmem-s2-")
    try:
        for layout, seed, mem, ops, args in CONFIGS:
            name = "layout %d seed %d %d MiB%s" % (layout, seed, mem, " " + args if args else "")
            out, err = make_dumps(layout, seed, mem, ops, args)
            if not t.ok(out is not None, "%s: boot, EL1 host, dumps" % name, err or ""):
                continue
            with open(os.path.join(out, "truth.json")) as f:
                whole = json.load(f)
            truth = whole["stage2"]
            check_workload(name, truth)
            if layout == 8:
                check_vms(name, out, whole)
            expect = {k: v for k, v in truth.items() if k not in TRUTH_ONLY}
            for dump in ("vmcore", "vmcore.kdump"):
                p, got = run("hypmem-dump", "stage2", "--json", os.path.join(out, "el2.elf"),
                             os.path.join(out, dump))
                if not t.ok(p.returncode == 0 and got is not None,
                            "%s: hypmem-dump stage2 %s exits 0" % (name, dump),
                            "exit %d\n%s%s" % (p.returncode, p.stdout[-3000:], p.stderr)):
                    continue
                diffs = compare(expect, got["stage2"])
                t.ok(not diffs, "%s: %s: %d runs equal the ground truth" % (
                    name, dump, len(truth["runs"])), "\n".join(diffs))
            p, got = run("hypmem-stat", "--json", os.path.join(out, "el2.elf"),
                         os.path.join(out, "vmcore"))
            summary = {k: expect[k] for k in ("histogram", "tables", "coalescing_candidates",
                                              "table", "ia_bits", "start_level")}
            diffs = compare(summary, (got or {}).get("stage2", {})) if got else ["no JSON"]
            t.ok(p.returncode == 0 and not diffs, "%s: hypmem-stat --json stage2 summary" % name,
                 "exit %d\n%s\n%s" % (p.returncode, "\n".join(diffs), p.stderr))
            p, got = run("hypmem-dump", "stage1", "--json", os.path.join(out, "el2.elf"),
                         os.path.join(out, "vmcore"))
            t.ok(p.returncode == 0 and got and got["hyp_stage1"]["runs"],
                 "%s: the same walker decodes the hyp stage-1 cleanly" % name,
                 "exit %d\n%s" % (p.returncode, p.stdout[-2000:] + p.stderr))
            check_svg(name, out, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
