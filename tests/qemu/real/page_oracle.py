#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""page_oracle.py: a few pages of a real pKVM dump as drgn sees them, to
check hypmem-dump page against.

    page_oracle.py VMLINUX VMCORE > pages.json

Uses oracle.py's drgn setup (its own translations, nothing of hypmem).
Prints JSON: "pools": hpool and host_s2_pool as oracle.py's pool_walk
counts them (free pages and blocks per order, range); "guest": up to four
valid leaves of each VM's guest stage-2 (VM handle, IPA, PA of the first
page, page state); "entries": the vmemmap entry (refcount, order, and the
7.x host/hyp state fields when struct hyp_page has them) of each of those
pages and of the first page of each pool.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402


def entry_fields(hyp, pfn):
    e = hyp.entry(pfn)
    if e is None:
        return None
    names = {m.name for m in hyp.hyp_page.members}
    out = {"refcount": e.refcount.value_(), "order": e.order.value_()}
    for f in ("__host_state", "__hyp_state_comp", "host_share_guest_count"):
        if f in names:
            out[f] = getattr(e, f).value_()
    return out


def main():
    hyp = oracle.Hyp(sys.argv[1], sys.argv[2])
    pools = [oracle.pool_walk(hyp, n, {}) for n in ("host_s2_pool", "hpool")]
    state_of = oracle.state_decoder(hyp.prog)
    guest = []
    for slot, vm in hyp.vms():
        pgt = vm.pgt
        start_level = pgt.start_level.value_()
        if start_level > 3:
            start_level -= 1 << (8 * oracle.drgn.sizeof(pgt.start_level.type_))
        ia_bits, pgd = pgt.ia_bits.value_(), pgt.pgd.value_()
        if not pgd:
            continue
        n = 0
        for ia, level, pte, oa in oracle.pgtable_leaves(hyp, pgd + hyp.hpo, ia_bits,
                                                        start_level, ia_bits > 48, {}):
            if not pte & 1:
                continue
            guest.append({"handle": vm.kvm.arch.pkvm.handle.value_(), "ipa": ia, "pa": oa,
                          "level": level, "state": state_of(pte)})
            n += 1
            if n == 4:
                break
    entries = {}
    for pa in [g["pa"] for g in guest] + [int(p["range_start"], 16) for p in pools]:
        entries[hex(pa)] = entry_fields(hyp, pa >> oracle.PAGE_SHIFT)
    json.dump({"page_size": oracle.PAGE, "pools": pools, "guest": guest, "entries": entries},
              sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
