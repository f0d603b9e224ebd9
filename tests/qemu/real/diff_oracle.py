#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""diff_oracle.py: what hypmem-diff compares, as drgn reads one real pKVM
dump, to check hypmem-diff against the difference of two of them.

    diff_oracle.py VMLINUX VMCORE > state.json

Uses oracle.py's drgn walks (nothing of hypmem).  Prints JSON: "pools":
hpool, host_s2_pool and each VM's pool (free pages per order; a VM's pool
with its VM handle); "vms": the handles in vm_table; "owners": the host
stage-2 ranges the host does not plainly own, merged, labelled as
hypmem-diff labels them ("hyp", "guest:0xHANDLE" for a 7.x donation to a
guest, "host:shared_owned" for a 6.x leaf in a shared state).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    hyp = oracle.Hyp(sys.argv[1], sys.argv[2])
    vms = {slot: vm.kvm.arch.pkvm.handle.value_() for slot, vm in hyp.vms()}
    pools = [oracle.pool_walk(hyp, n, {}) for n in ("host_s2_pool", "hpool")]
    for name, pool in hyp.vm_pools():
        p = oracle.pool_walk(hyp, name, {}, pool)
        p["vm_handle"] = vms[int(name[len("vm_table["):name.index("]")])]
        pools.append(p)
    _, shared = oracle.stage2_walk(hyp)
    json.dump({"page_size": oracle.PAGE, "pools": pools, "vms": sorted(vms.values()),
               "owners": shared["owners"] if shared else None}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
