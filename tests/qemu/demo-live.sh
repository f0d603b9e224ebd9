#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make demo-live: boot the EL2 image with its RAM in a shared file and the
# workload running forever (live=1), then watch it with hypmem-top reading
# that RAM while the EL2 core writes it.  QEMU is stopped when hypmem-top
# exits.  Extra hypmem-top options: HYPMEM_TOP_ARGS (e.g. "-b -n 3").
# CPUs: SMP (default 2; the secondaries run their op streams forever too).
# Usage: demo-live.sh BUILD LAYOUT SEED MEM
set -eu
BUILD=$1 LAYOUT=$2 SEED=$3 MEM=$4
OUT=$BUILD/demo-live
RAM=$OUT/ram
mkdir -p "$OUT"
rm -f "$RAM" "$OUT/qemu.pid"
tests/qemu/hypmem-qemu --image "$BUILD/el2/L$LAYOUT/el2.elf" --out "$OUT" --mem "$MEM" \
	--seed "$SEED" --ops 2000 --smp "${SMP:-2}" --no-dump --keep-running --shared-ram "$RAM" \
	--pidfile "$OUT/qemu.pid" --args "live=1 trace_pages=${TRACE_PAGES:-2048}" >/dev/null
pid=$(cat "$OUT/qemu.pid")
trap 'kill "$pid" 2>/dev/null; rm -f "$RAM"' EXIT INT TERM
# RAM starts at 0x40000000 on QEMU's virt machine; raw RAM has no
# VMCOREINFO, so kimage_voffset comes from the EL2 core's ground truth.
voff=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hyp"]["kimage_voffset"])' \
	"$OUT/truth.json")
# shellcheck disable=SC2086
"$BUILD/hypmem-top" ${HYPMEM_TOP_ARGS:-} --kimage-voffset "$voff" --raw "$RAM@0x40000000" \
	"$OUT/el2.elf"
