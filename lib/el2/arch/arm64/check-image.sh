#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Sanity checks on a linked EL2 image (the build fails if one fails):
#  - no absolute relocation lands in a loaded section: the image runs at
#    two addresses (PA, then hyp VA) that both differ from its link address,
#    so a link-time pointer stored in data would be wrong at run time;
#  - the hyp symbols carry the __kvm_nvhe_ prefix, as in a real vmlinux.
set -eu
img=$1; cross=${2:-aarch64-linux-gnu-}
bad=$("${cross}readelf" -rW "$img" | awk '
	/^Relocation section/ { sec = $3; gsub(/\047/, "", sec); next }
	/R_AARCH64_(ABS64|ABS32)/ && sec !~ /debug/ { print sec ": " $0 }')
if [ -n "$bad" ]; then
	echo "check-image: absolute relocations in loaded sections of $img:" >&2
	echo "$bad" >&2
	exit 1
fi
# The EL1 host (section .host.payload) may reach nothing outside its own
# section: EL2's pages are not the host's, so a call into them would fault.
# Addresses are 16 hex digits, so string order is numeric order.
pstart=$("${cross}nm" "$img" | awk '$3 == "__kvm_nvhe___host_payload_start" { print $1 }')
pend=$("${cross}nm" "$img" | awk '$3 == "__kvm_nvhe___host_payload_end" { print $1 }')
if [ -n "$pstart" ]; then
	out=$("${cross}readelf" -rW "$img" | awk -v s="$pstart" -v e="$pend" '
		/^Relocation section/ { sec = $3; gsub(/\047/, "", sec); next }
		sec == ".rela.host.payload" && $4 ~ /^[0-9a-f]+$/ && ($4 < s || $4 >= e) { print }')
	if [ -n "$out" ]; then
		echo "check-image: the EL1 host payload references outside its section:" >&2
		echo "$out" >&2
		exit 1
	fi
fi
for sym in __kvm_nvhe_hpool __kvm_nvhe_host_s2_pool __kvm_nvhe___hyp_vmemmap \
	__kvm_nvhe_hyp_physvirt_offset __kvm_nvhe_pkvm_pgtable __kvm_nvhe_hyp_memory; do
	if ! "${cross}nm" "$img" | grep -q " $sym\$"; then
		echo "check-image: $img lacks symbol $sym" >&2
		exit 1
	fi
done
