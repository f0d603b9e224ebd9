#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: real Debian arm64 kernels in pKVM protected mode.

tests/qemu/real/real-dumps downloads Debian's 6.1 and 6.12 cloud-arm64
kernels and sid's newest 7.x (cloud-arm64, arm64-16k; experimental's with
$HYPMEM_REAL_NEXT=1), with their -dbg vmlinux, boots each configuration under QEMU with
kvm-arm.mode=protected and two small VMs running, and dumps it (ELF and
kdump-zlib).  For each dump, hypmem decodes it with the same code as our EL2
image, and an independent drgn walk (tests/qemu/real/oracle.py) of the same
vmlinux + dump must give the same figures, number by number: pools,
vmemmap histograms, and the host stage-2 (geometry, leaves and bytes per
block size, owner and page state, table pages per level, runs).
Invariants that need no oracle: pool pages = free + allocated, every free
head on exactly one list, hpool and host_s2_pool inside the carve-out the
kernel reported, host SHARED_OWNED pages (host stage-2) = hyp
SHARED_BORROWED pages (hyp stage-1) page for page, and the reverse pair.
Per-VM pools (6.12's vm_table) are compared too.  For 7.x: vmemmap page
states by name, stage-2 entries by type, every VM's guest stage-2, the
oracle's own page-by-page cross-checks, and four records broken one at a
time in a copy of each dump, each found as its named finding.  One
dump is also converted to a raw image of RAM and decoded through --raw.

Runs when $HYPMEM_REAL=1 (make check-real; tests/check.sh sets it unless
told otherwise) or when the cache already exists ($HYPMEM_REAL_CACHE,
default ~/.cache/hypmem-real); otherwise prints one skip line, which the
closing count reports as a skip (and .ci/run as a failure).  Packages that
cannot be downloaded skip, with the reason.
$HYPMEM_REAL_CONFIGS (comma-separated) picks configurations.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, ElfCore, Tap  # noqa: E402

REAL = os.path.join("tests", "qemu", "real")
DRGN_PYTHON = "/usr/bin/python3"  # Debian's python3-drgn lives there
EXTRA_PKGS = "libc6-dev-arm64-cross python3-drgn"
RAW_CONFIG = "6.1-kaslr"  # KASLR on, so --raw needs both offsets
t = Tap()


def cache_dir():
    return os.path.abspath(os.path.expanduser(
        os.environ.get("HYPMEM_REAL_CACHE") or "~/.cache/hypmem-real"))


def stat_json(args):
    p = subprocess.run([os.path.join(BUILD, "hypmem-stat"), "--json"] + args,
                       capture_output=True, text=True)
    try:
        return p.returncode, json.loads(p.stdout), p.stderr
    except json.JSONDecodeError:
        return p.returncode, None, p.stdout[-1000:] + p.stderr


def padded(a, n):
    return list(a) + [0] * (n - len(a))


def compare_oracle(got, want):
    """Differences between hypmem-stat --json and the drgn walk."""
    diffs = []

    def eq(what, a, b):
        if a != b:
            diffs.append("%s: hypmem %r, drgn %r" % (what, a, b))

    eq("hyp_physvirt_offset", got["hyp"]["hyp_physvirt_offset"], want["hyp_physvirt_offset"])
    eq("stage-1 start level", got["hyp"]["start_level"], want["pgtable"]["start_level"])
    eq("stage-1 VA bits", got["hyp"]["va_bits"], want["pgtable"]["ia_bits"])
    eq("hyp_memory", [[r["start"], r["end"]] for r in got["target"]["ram_ranges"]],
       want["hyp_memory"])
    gv, wv = got["vmemmap"], want["vmemmap"]
    for k in ("entry_size", "nr_entries", "nr_unbacked", "refcount_histogram",
              "order_histogram"):
        eq("vmemmap." + k, gv.get(k), wv[k])
    eq("vmemmap.nr_unreadable", gv.get("nr_unreadable"), 0)
    for k in ("host_states", "hyp_states"):  # 7.x: states in the vmemmap, by name
        eq("vmemmap." + k, gv.get(k), wv.get(k))
    eq("target.page_size", got["target"]["page_size"], want.get("page_size", 4096))
    pools = {p["name"]: p for p in got["pools"]}
    eq("pool names", sorted(pools), sorted(p["name"] for p in want["pools"]))
    for w in want["pools"]:
        g = pools.get(w["name"])
        if not g:
            continue
        for k in ("range_start", "range_end", "max_order", "nr_pages", "free_pages"):
            eq("%s.%s" % (w["name"], k), g[k], w[k])
        for k in ("free_pages_by_order", "free_blocks_by_order"):
            n = max(len(g[k]), len(w[k]))
            eq("%s.%s" % (w["name"], k), padded(g[k], n), padded(w[k], n))
    gs, ws = got.get("stage2") or {}, want.get("stage2")
    if ws is None:
        eq("stage2", gs.get("missing", "present"), "no host_mmu/host_kvm")
    else:
        eq("stage2", gs.get("missing"), None)
        for k in ("table", "ia_bits", "start_level", "pgd", "pgd_pages", "tables",
                  "tables_by_level", "nr_runs"):
            eq("stage2." + k, gs.get(k), ws[k])
        for k in ("by_size", "by_owner", "by_state", "by_type"):
            g, w = gs.get("histogram", {}).get(k, {}), ws["histogram"].get(k, {})
            for bucket in sorted(set(g) | set(w)):
                eq("stage2.%s.%s" % (k, bucket), g.get(bucket), w.get(bucket))
        eq("stage2.leaf_states", gs.get("leaf_states", True), ws.get("leaf_states", True))
    # The VMs of vm_table and their guest stage-2s.
    gvms = {v["slot"]: v for v in got.get("vms", [])}
    wvms = {v["slot"]: v for v in want.get("vms", [])}
    eq("vms (slots)", sorted(gvms), sorted(wvms))
    for slot in sorted(set(gvms) & set(wvms)):
        g, w = gvms[slot], wvms[slot]
        gs2 = g.get("stage2", {})
        for k in ("handle", "nr_vcpus", "pool_start", "pool_end", "mapped_bytes",
                  "mapped_pages"):
            eq("vm_table[%d].%s" % (slot, k), g.get(k), w[k])
        eq("vm_table[%d].ia_bits" % slot, gs2.get("ia_bits"), w["ia_bits"])
        eq("vm_table[%d].start_level" % slot, gs2.get("start_level"), w["start_level"])
        eq("vm_table[%d].tables" % slot, gs2.get("tables"), w["tables"])
        eq("vm_table[%d].leaves" % slot,
           sum(b["count"] for n, b in gs2.get("histogram", {}).get("by_state", {}).items()
               if n != "nopage"), w["leaves"])
        eq("vm_table[%d].states" % slot,
           {n: b["count"] for n, b in gs2.get("histogram", {}).get("by_state", {}).items()
            if n != "nopage"}, w["states"])
    if want.get("cross"):
        eq("cross_checked_pages", got.get("cross_checked_pages"), want["cross"]["pages"])
    return diffs


def invariants(want, meta):
    """Checks on the oracle's own figures and the kernel's console."""
    bad = []
    for p in want["pools"]:
        if p["free_pages"] + p["allocated_pages"] != p["nr_pages"]:
            bad.append("%s: %d free + %d allocated != %d pages" % (
                p["name"], p["free_pages"], p["allocated_pages"], p["nr_pages"]))
        if p["unlisted_free_heads"]:
            bad.append("%s: %d free heads on no list" % (p["name"], p["unlisted_free_heads"]))
        bad += ["%s: %s" % (p["name"], x) for x in p["problems"]]
    s2 = want.get("stage2") or {}
    bad += ["stage2: %s" % x for x in s2.get("problems", [])]
    cross = want.get("cross") or {}
    bad += ["7.x double records: %s" % x for x in cross.get("problems", [])]
    if s2.get("vtcr_ia_bits") not in (None, s2["ia_bits"]):
        bad.append("stage2: VTCR_EL2.T0SZ gives %d IPA bits, pgt.ia_bits %d"
                   % (s2["vtcr_ia_bits"], s2["ia_bits"]))
        # VM pools live in memory the host donated, not in the carve-out.
        if meta.get("reserved_at") is not None and not p["name"].startswith("vm_table["):
            lo, hi = meta["reserved_at"], meta["reserved_at"] + (meta["reserved_mib"] << 20)
            if not lo <= int(p["range_start"], 16) < int(p["range_end"], 16) <= hi:
                bad.append("%s [%s, %s) is outside the carve-out 'Reserved %d MiB at 0x%x'"
                           % (p["name"], p["range_start"], p["range_end"],
                              meta["reserved_mib"], lo))
    return bad


def share_mismatches(want):
    """Host stage-2 shares vs the hyp stage-1's borrows, page for page."""
    bad = []
    for what, c in sorted((want.get("shares") or {}).items()):
        if c["nr_host_only"] or c["nr_hyp_only"]:
            bad.append("%s: %d host pages, %d hyp pages; host only %d %s, hyp only %d %s"
                       % (what, c["host_pages"], c["hyp_pages"], c["nr_host_only"],
                          " ".join(c["host_only"]), c["nr_hyp_only"], " ".join(c["hyp_only"])))
    return bad


def without(d, *paths):
    """A copy of D without the dotted PATHS."""
    d = json.loads(json.dumps(d))
    for path in paths:
        parts = path.split(".")
        cur = d
        for k in parts[:-1]:
            cur = cur.get(k, {})
        cur.pop(parts[-1], None)
    return d


def wipe_note(chunk):
    """The VMCOREINFO note's name made unrecognisable at each 4K page start."""
    pos = chunk.find(b"VMCOREINFO")
    while pos >= 0:
        if pos % 4096 == 12:
            chunk = chunk[:pos] + b"XXXXXXXXXX" + chunk[pos + 10:]
        pos = chunk.find(b"VMCOREINFO", pos + 1)
    return chunk


def make_raw(out, wipe_vmcoreinfo=False):
    """RAM as one raw file (gaps zero-filled); returns (path, base PA).
    wipe_vmcoreinfo: a copy without the kernel's VMCOREINFO note in RAM."""
    core = ElfCore(os.path.join(out, "vmcore"))
    base = min(pa for pa, _, _ in core.loads)
    raw = os.path.join(out, "ram-nonote.raw" if wipe_vmcoreinfo else "ram.raw")
    if os.path.exists(raw):
        return raw, base
    zero = bytes(1 << 20)
    with open(os.path.join(out, "vmcore"), "rb") as src, open(raw + ".tmp", "wb") as dst:
        for pa, size, off in sorted(core.loads):
            dst.seek(pa - base)
            src.seek(off)
            left = size
            while left:
                chunk = src.read(min(left, len(zero)))
                if not chunk:
                    raise OSError("vmcore is truncated")
                if chunk == zero[:len(chunk)]:
                    dst.seek(len(chunk), os.SEEK_CUR)  # sparse: RAM is mostly zero
                else:
                    dst.write(wipe_note(chunk) if wipe_vmcoreinfo else chunk)
                left -= len(chunk)
        dst.truncate(max(pa + size for pa, size, _ in core.loads) - base)
    os.replace(raw + ".tmp", raw)
    return raw, base


def check_config(name, out, have_drgn):
    vmlinux, elf, kdump = (os.path.join(out, f) for f in ("vmlinux", "vmcore", "vmcore.kdump"))
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    con = open(os.path.join(out, "console.log"), errors="replace").read()
    t.ok("Protected %s mode" % meta["mode"] in con,
         "%s: the kernel reports 'Protected %s mode'" % (name, meta["mode"]))

    t0 = time.monotonic()
    rc, got, err = stat_json([vmlinux, elf])
    secs = time.monotonic() - t0
    t.ok(rc == 0 and got is not None, "%s: hypmem-stat decodes the ELF dump, no findings"
         " (%.1f s)" % (name, secs), "exit %d\n%s\n%s" % (
             rc, err, json.dumps((got or {}).get("findings", ""))[:2000]))
    if got is None:
        return
    t.ok(got["target"]["release"] == meta["abi"],
         "%s: VMCOREINFO names the kernel (%s)" % (name, got["target"]["release"]),
         got["target"]["release"])
    t.ok((got["hyp"]["kaslr_offset"] != "0x0") == meta["kaslr"],
         "%s: KASLR offset %s from VMCOREINFO" % (name, got["hyp"]["kaslr_offset"]))

    if not meta["abi"].startswith("6.1-") and not meta["abi"].startswith("6.1."):
        vms = [p["name"] for p in got["pools"] if p["name"].startswith("vm_table[")]
        # 7.x also runs a protected VM; kernels without them refuse it.
        want_vms = 3 if "(protected): " in con else 2
        t.ok(len(vms) == want_vms, "%s: kvm-user's %d VMs have their hyp pools (%s)" % (
            name, want_vms, ", ".join(vms)))
    if "(protected): " in con:
        donated = got["stage2"]["histogram"]["by_owner"].get("guest", {}).get("count", 0)
        t.ok(donated > 0, "%s: the protected VM's pages are donated to it in the host "
             "stage-2 (%d entries, owner guest)" % (name, donated))

    rc, gotk, err = stat_json([vmlinux, kdump])
    t.ok(rc == 0 and gotk is not None and
         without(gotk, "target.source") == without(got, "target.source"),
         "%s: the kdump-compressed dump decodes to the same JSON" % name,
         "exit %d\n%s" % (rc, err))

    for cmd in ("pools", "vmemmap", "layout", "stage2", "vms"):
        p = subprocess.run([os.path.join(BUILD, "hypmem-dump"), cmd, vmlinux, elf],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        t.ok(p.returncode in (0, 1), "%s: hypmem-dump %s runs (exit %d)" % (
            name, cmd, p.returncode), p.stderr[-1000:])

    if not have_drgn:
        t.skip("%s: drgn oracle" % name, "python3-drgn not installed")
    else:
        t0 = time.monotonic()
        p = subprocess.run([DRGN_PYTHON, os.path.join(REAL, "oracle.py"), vmlinux, elf],
                           capture_output=True, text=True, timeout=900)
        secs = time.monotonic() - t0
        want = json.loads(p.stdout) if p.returncode == 0 else None
        if t.ok(want is not None, "%s: the drgn oracle walks the dump (%.1f s)" % (name, secs),
                p.stderr[-2000:]):
            t.ok(not compare_oracle(got, want),
                 "%s: hypmem-stat and the drgn walk agree number by number" % name,
                 "\n".join(compare_oracle(got, want)))
            t.ok(not invariants(want, meta),
                 "%s: pool pages = free + allocated; free heads on one list each; "
                 "pools inside the carve-out" % name, "\n".join(invariants(want, meta)))
            sh = want.get("shares")
            if want.get("cross"):
                t.ok(not want["cross"]["nr_problems"],
                     "%s: drgn: vmemmap states, host stage-2 donations and guest stage-2 "
                     "mappings agree page by page (%d pages)" % (name, want["cross"]["pages"]),
                     "\n".join(want["cross"]["problems"]))
            elif not sh:
                t.skip("%s: host shares = hyp borrows" % name, "the oracle found no host stage-2")
            else:
                c = sh["host_shared_owned_vs_hyp_shared_borrowed"]
                r = sh["host_shared_borrowed_vs_hyp_shared_owned"]
                t.ok(not share_mismatches(want),
                     "%s: host SHARED_OWNED = hyp SHARED_BORROWED page for page (%d), and "
                     "host SHARED_BORROWED = hyp SHARED_OWNED (%d)" % (
                         name, c["host_pages"], r["host_pages"]),
                     "\n".join(share_mismatches(want)))

    check_corruptions(name, out, got, meta)

    if name == RAW_CONFIG:
        raw, base = make_raw(out)
        spec = "%s@0x%x" % (raw, base)
        args = ["--kimage-voffset", got["hyp"]["kimage_voffset"]]
        rc, gotr, err = stat_json(["-s", vmlinux, "--raw", spec] + args +
                                  ["--kaslr-offset", got["hyp"]["kaslr_offset"]])
        same = gotr is not None and without(gotr, "target.source", "target.release") == \
            without(got, "target.source", "target.release")
        t.ok(rc == 0 and same, "%s: --raw %s gives the same JSON" % (
            name, os.path.basename(spec)), "exit %d\n%s" % (rc, err))
        # The kernel's VMCOREINFO note is in RAM: no offsets by hand.
        rc, gotr, err = stat_json(["-s", vmlinux, "--raw", spec])
        same = gotr is not None and without(gotr, "target.source", "target.release") == \
            without(got, "target.source", "target.release")
        t.ok(rc == 0 and same, "%s: --raw with no offsets (VMCOREINFO found in RAM)" % name,
             "exit %d\n%s" % (rc, err))
        rc, _, err = stat_json(["-s", vmlinux, "--raw", spec, "--kaslr-offset", "0"])
        t.ok(rc == 2 and "--kaslr-offset" in err and "does not match" in err,
             "%s: --raw with a wrong --kaslr-offset is refused, naming --kaslr-offset" % name,
             "exit %d\n%s" % (rc, err))
        # Without the note (wiped from a copy), --kaslr-offset alone: kimage_voffset
        # is found from the banner in RAM (the kernel's code is patched at boot).
        spec = "%s@0x%x" % (make_raw(out, wipe_vmcoreinfo=True)[0], base)
        rc, gotr, err = stat_json(["-s", vmlinux, "--raw", spec,
                                   "--kaslr-offset", got["hyp"]["kaslr_offset"]])
        # Without VMCOREINFO only the dump's build ID is unknown (its banner is read).
        unknown = ("target.source", "target.release", "target.identity.dump_build_id")
        same = gotr is not None and without(gotr, *unknown) == without(got, *unknown)
        t.ok(rc == 0 and same, "%s: --raw, no VMCOREINFO, --kaslr-offset alone finds "
             "kimage_voffset" % name, "exit %d\n%s" % (rc, err))
        rc, _, err = stat_json(["-s", vmlinux, "--raw", spec] + args)
        t.ok(rc == 2 and "--kaslr-offset" in err,
             "%s: --raw, no VMCOREINFO, no --kaslr-offset: fails, naming --kaslr-offset" % name,
             "exit %d\n%s" % (rc, err))


def find_words(core, f, lo, hi, value, limit):
    """PAs of the aligned 8-byte words equal to VALUE (or for which VALUE,
    a function, is true) in [LO, HI) of the dump."""
    found = []
    match = value if callable(value) else (lambda w, v=value: w == v)
    for pa in range(lo, hi, 1 << 16):
        try:
            off = core.offset(pa)
        except KeyError:
            continue
        f.seek(off)
        data = f.read(min(1 << 16, hi - pa))
        for i in range(0, len(data) - 7, 8):
            w = int.from_bytes(data[i:i + 8], "little")
            if w and match(w):
                found.append((pa + i, w))
                if len(found) >= limit:
                    return found
    return found


def check_corruptions(name, out, got, meta):
    """7.x double records: break one of them in a copy of the dump and the
    finding must name it.  Targets are found by their bytes, written here
    from the layouts (8-byte hyp_page: u16 refcount, u8 order, host state
    and complemented hyp state nibbles, u32 host_share_guest_count; a host
    stage-2 donation to the hyp is type 2 in bits 63:60, owner 1 in 3:1)."""
    if not got.get("cross_checked_pages") or got["vmemmap"]["entry_size"] != 8 or \
            meta.get("reserved_at") is None:
        return
    lo = meta["reserved_at"]
    hi = lo + (meta["reserved_mib"] << 20)
    src = os.path.join(out, "vmcore")
    core = ElfCore(src)
    shared_entry = (1 << 32) | (0x01 << 24)   # host shared_owned, hyp nopage, 1 guest share
    donated_entry = 0x33 << 24               # host nopage, hyp owned (refcount, order 0)
    donation_pte = (2 << 60) | (1 << 1)      # host stage-2: given to the hyp
    pool = next(p for p in got["pools"] if p["name"] == "host_s2_pool")
    with open(src, "rb") as f:
        shared = find_words(core, f, lo, hi, shared_entry, 4)
        donated = find_words(core, f, lo, hi, donated_entry, 1)
        ptes = find_words(core, f, int(pool["range_start"], 16), int(pool["range_end"], 16),
                          donation_pte, 1)
        # a donation to a guest: type 2, owner 2, metadata = handle | gfn << 16
        to_guest = find_words(core, f, int(pool["range_start"], 16),
                              int(pool["range_end"], 16),
                              lambda w: w >> 60 == 2 and (w >> 1) & 7 == 2 and not w & 1, 1)
    handle_mask = 0xffff << 4
    cases = [("a guest share counted twice", shared[:1], lambda w: w + (1 << 32),
              "share_count_mismatch"),
             ("a hyp page the vmemmap also gives to the host", donated,
              lambda w: w & ~(0xf << 24) | 0x30 << 24, "state_mismatch"),
             ("a host stage-2 entry of an unknown type", ptes,
              lambda w: w & ~(0xf << 60) | 5 << 60, "reserved_encoding"),
             ("a donation to an owner that does not exist", ptes,
              lambda w: w & ~(7 << 1) | 6 << 1, "bad_owner"),
             ("a donation to a VM handle vm_table does not hold", to_guest,
              lambda w: w & ~handle_mask | 0x1fff << 4, "bad_owner"),
             ("a donation to a guest at a gfn its stage-2 does not map", to_guest,
              lambda w: w + (1 << 20), "state_mismatch")]
    tmp = tempfile.mkdtemp(prefix="hypmem-corrupt-")
    try:
        for what, where, change, kind in cases:
            if not where:
                t.skip("%s: %s is found" % (name, what), "no such word in the dump")
                continue
            copy = os.path.join(tmp, "vmcore")
            subprocess.run(["cp", "--sparse=always", src, copy], check=True)
            pa, word = where[0]
            with open(copy, "r+b") as f:
                f.seek(core.offset(pa))
                f.write(change(word).to_bytes(8, "little"))
            rc, bad, err = stat_json([os.path.join(out, "vmlinux"), copy])
            kinds = [x["kind"] for x in (bad or {}).get("findings", [])]
            t.ok(rc == 1 and kind in kinds and all(x["address"] != "0x0" or
                                                    x["kind"] == kind for x in bad["findings"]),
                 "%s: %s (0x%x) is found as %s" % (name, what, pa, kind),
                 "exit %d, findings %s\n%s" % (rc, kinds, err[-500:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_index_cache(name, out):
    """The DWARF index cache (lib/hypmem/dwarf.c) changes speed, never answers,
    and a corrupt cache file is ignored and rewritten."""
    vmlinux, core = os.path.join(out, "vmlinux"), os.path.join(out, "vmcore")
    tmp = tempfile.mkdtemp(prefix="hypmem-idx-")
    try:
        env = dict(os.environ, HYPMEM_CACHE_DIR=tmp)
        nocache = dict(os.environ, HYPMEM_NO_CACHE="1")

        def run(e):
            p = subprocess.run([os.path.join(BUILD, "hypmem-stat"), "--json", vmlinux, core],
                               capture_output=True, text=True, env=e)
            return p.returncode, p.stdout, p.stderr

        ref = run(nocache)
        first = run(env)
        files = [f for f in os.listdir(tmp) if f.endswith(".idx")]
        t0 = time.monotonic()
        second = run(env)
        warm = time.monotonic() - t0
        t.ok(len(files) == 1 and first[:2] == ref[:2] and second[:2] == ref[:2],
             "%s: the DWARF index cache is written and gives the same JSON (warm run %.2f s)"
             % (name, warm), "files %s\n%s%s" % (files, first[2], second[2]))
        if len(files) != 1:
            return
        path = os.path.join(tmp, files[0])
        good = open(path, "rb").read()
        rng = random.Random(5)
        ok = True
        for i in range(8):
            bad = bytearray(good)
            if i % 2:
                bad = bad[:rng.randrange(len(bad))]
            else:
                bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)
            with open(path, "wb") as f:
                f.write(bad)
            got = run(env)
            ok = ok and got[:2] == ref[:2] and open(path, "rb").read() == good
        t.ok(ok, "%s: corrupt or truncated index caches are ignored and rewritten" % name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    cache = cache_dir()
    enabled = os.environ.get("HYPMEM_REAL") == "1"
    if os.environ.get("HYPMEM_REAL") == "0":
        t.skip("real kernels", "HYPMEM_REAL=0")
        return t.done()
    if not (enabled or os.path.isdir(cache)):
        t.skip("real kernels", "no cache at %s; run make check-real or set HYPMEM_REAL=1 "
               "(downloads ~650 MB of Debian packages)" % cache)
        return t.done()
    if enabled:
        env = dict(os.environ, HYPMEM_EXTRA_PKGS=EXTRA_PKGS)
        p = subprocess.run(["tests/install-deps.sh"], env=env, capture_output=True, text=True)
        if p.returncode:
            t.skip("real kernels", "cannot install %s: %s" % (EXTRA_PKGS, p.stderr[-300:]))
            return t.done()
    have_drgn = subprocess.run([DRGN_PYTHON, "-c", "import drgn"],
                               capture_output=True).returncode == 0
    configs = [c for c in os.environ.get("HYPMEM_REAL_CONFIGS", "").split(",") if c]
    t0 = time.monotonic()
    p = subprocess.run([os.path.join(REAL, "real-dumps"), "--cache", cache] + configs,
                       capture_output=True, text=True, timeout=3600)
    secs = time.monotonic() - t0
    for line in p.stderr.splitlines():
        print("# " + line)
    if p.returncode == 3:
        t.skip("real kernels", "packages unavailable: %s" % p.stderr.strip()[-300:])
        return t.done()
    dumps = [line.split(" ", 1) for line in p.stdout.splitlines() if " " in line]
    t.ok(p.returncode == 0, "real-dumps: %d configuration(s) booted and dumped (%.0f s)" % (
        len(dumps), secs), p.stderr[-3000:])
    if not shutil.which("qemu-system-aarch64") and not dumps:
        return t.done()
    for name, out in dumps:
        check_config(name, out, have_drgn)
    if dumps:
        check_index_cache(*dumps[-1])
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
