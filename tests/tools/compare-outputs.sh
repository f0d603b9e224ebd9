#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# compare-outputs.sh BASE_BINDIR NEW_BINDIR
#
# A tool for redesigns (not part of make check): run every command and
# subcommand, in text and with --json, on the demo dumps and on the cached
# real-kernel dumps, with the binaries of BASE_BINDIR (say, main's, copied
# away before the change) and of NEW_BINDIR, and compare stdout, stderr, the
# exit status and every file written (SVG maps, trace.dat) byte for byte.
#
# Environment:
#   DEMO_DUMPS  directory of demo dump directories (each with el2.elf,
#               vmcore, vmcore.kdump); default build/dumps.  Only the
#               directories named L8-*, L4-*, L32-* (first of each) are used.
#   REAL_DUMPS  directory of real dump directories (each with vmlinux,
#               vmcore, vmcore.kdump); default ~/.cache/hypmem-real/dumps.
#   REAL_CORES  which real cores to decode: "vmcore" (default) or
#               "vmcore vmcore.kdump".
#   OUT         where outputs go; default a new directory under /tmp.
#   KEEP=1      keep OUT even when everything matches.
#
# Prints one line per difference and closes with
# "compare: N outputs compared, N differ"; exits 1 if any differ, 2 on usage.
set -u

if [ $# -ne 2 ] || [ ! -x "$1/hypmem-dump" ] || [ ! -x "$2/hypmem-dump" ]; then
	echo "usage: $0 BASE_BINDIR NEW_BINDIR (each with hypmem-stat, -dump, -diff, -top)" >&2
	exit 2
fi
BASE=$(cd "$1" && pwd)
NEW=$(cd "$2" && pwd)
DEMO_DUMPS=${DEMO_DUMPS:-build/dumps}
REAL_DUMPS=${REAL_DUMPS:-$HOME/.cache/hypmem-real/dumps}
REAL_CORES=${REAL_CORES:-vmcore}
OUT=${OUT:-$(mktemp -d /tmp/compare-outputs.XXXXXX)}
mkdir -p "$OUT/base" "$OUT/new"

compared=0
differ=0

# run_side SIDE NAME BINDIR CMD ARGS...: run one side (found on PATH, so that
# argv[0] and the messages that name it are the same) in its own scratch
# directory so that files the command writes (named relative, e.g. map.svg) are kept.
run_side() {
	local side=$1 name=$2 bindir=$3
	shift 3
	local dir="$OUT/$side/$name"
	mkdir -p "$dir/files"
	local cmd=$1
	shift
	(cd "$dir/files" && PATH="$bindir:$PATH" timeout 300 "$cmd" "$@" >"$dir/stdout" 2>"$dir/stderr" </dev/null
	 echo $? >"$dir/status")
}

# check NAME CMD ARGS...: run with both sides and compare everything.
check() {
	local name=$1
	shift
	run_side base "$name" "$BASE" "$@"
	run_side new "$name" "$NEW" "$@"
	local f
	for f in stdout stderr status; do
		compared=$((compared + 1))
		if ! cmp -s "$OUT/base/$name/$f" "$OUT/new/$name/$f"; then
			differ=$((differ + 1))
			echo "DIFF $name: $f ($*)"
		fi
	done
	for f in $( (cd "$OUT/base/$name/files" && ls; cd "$OUT/new/$name/files" && ls) | sort -u); do
		compared=$((compared + 1))
		if ! cmp -s "$OUT/base/$name/files/$f" "$OUT/new/$name/files/$f"; then
			differ=$((differ + 1))
			echo "DIFF $name: file $f ($*)"
		fi
	done
}

# Every subcommand on one (symbols, core) pair; the paths are absolute.
dump_all() {
	local tag=$1 sym=$2 core=$3
	local j
	for j in "" --json; do
		local t=${j:+-json}
		check "$tag/stat$t" hypmem-stat $j "$sym" "$core"
		check "$tag/stat-cost$t" hypmem-stat --cost $j "$sym" "$core"
		check "$tag/stat-sc$t" hypmem-stat $j -s "$sym" -c "$core"
		local sub
		for sub in vmemmap pools stage2 stage1 vms heap trace; do
			check "$tag/dump-$sub$t" hypmem-dump "$sub" $j "$sym" "$core"
		done
		check "$tag/dump-vmemmap-pfn$t" hypmem-dump vmemmap $j --range 0x40000-0x40010 "$sym" "$core"
		check "$tag/dump-vmemmap-onepfn$t" hypmem-dump vmemmap $j --pfn 0x40001 "$sym" "$core"
		check "$tag/dump-stage2-svg$t" hypmem-dump stage2 $j --svg map.svg "$sym" "$core"
		check "$tag/dump-page$t" hypmem-dump page $j "$sym" "$core" \
			pfn:0x40000 pa:0x40001000 sym:hyp_physvirt_offset 0x40200000 hyp:0x0
		check "$tag/diff-self$t" hypmem-diff $j "$sym" "$core" "$core"
		check "$tag/top-b$t" hypmem-top -b -n 1 -d 0.1 $j "$sym" "$core"
	done
	check "$tag/diff-snapshot" hypmem-diff --snapshot "$sym" "$core"
	check "$tag/dump-trace-stats" hypmem-dump trace --stats "$sym" "$core"
	check "$tag/dump-trace-dat" hypmem-dump trace -o trace.dat "$sym" "$core"
}

# Usage errors and the help texts.
for c in hypmem-stat hypmem-dump hypmem-diff hypmem-top; do
	check "usage/$c-help" "$c" --help
	check "usage/$c-none" "$c"
	check "usage/$c-bogus" "$c" --bogus
done
for sub in vmemmap pools layout stage2 stage1 vms heap trace page; do
	check "usage/dump-$sub-noargs" hypmem-dump "$sub"
	check "usage/dump-$sub-bogus" hypmem-dump "$sub" --bogus x y
done
check "usage/dump-unknown" hypmem-dump frobnicate x y

ndemo=0
for l in L8 L4 L32; do
	d=$(ls -d "$DEMO_DUMPS/$l"-*/ 2>/dev/null | grep -v -- '-ipa' | head -1)
	[ -n "$d" ] && [ -f "$d/el2.elf" ] || { echo "warning: no $l demo dump under $DEMO_DUMPS" >&2; continue; }
	d=$(cd "$d" && pwd)
	ndemo=$((ndemo + 1))
	for j in "" --json; do
		check "demo-$l/layout${j:+-json}" hypmem-dump layout $j "$d/el2.elf"
	done
	for core in vmcore vmcore.kdump; do
		dump_all "demo-$l-$core" "$d/el2.elf" "$d/$core"
	done
	check "demo-$l/diff-elf-kdump" hypmem-diff "$d/el2.elf" "$d/vmcore" "$d/vmcore.kdump"
done
first=""
for d in "$DEMO_DUMPS"/L8-*/; do
	[ -f "$d/el2.elf" ] || continue
	if [ -z "$first" ]; then first=$d; continue; fi
	check "demo/diff-two" hypmem-diff "$(cd "$first" && pwd)/el2.elf" "$(cd "$first" && pwd)/vmcore" \
		"$(cd "$d" && pwd)/vmcore"
	check "demo/diff-two-json" hypmem-diff --json "$(cd "$first" && pwd)/el2.elf" \
		"$(cd "$first" && pwd)/vmcore" "$(cd "$d" && pwd)/vmcore"
	break
done

nreal=0
for d in "$REAL_DUMPS"/*/; do
	[ -f "$d/vmlinux" ] || continue
	d=$(cd "$d" && pwd)
	tag=real-$(basename "$d")
	nreal=$((nreal + 1))
	for j in "" --json; do
		check "$tag/layout${j:+-json}" hypmem-dump layout $j "$d/vmlinux"
	done
	for core in $REAL_CORES; do
		[ -f "$d/$core" ] && dump_all "$tag-$core" "$d/vmlinux" "$d/$core"
	done
done

echo "compare: $ndemo demo layouts, $nreal real dumps"
echo "compare: $compared outputs compared, $differ differ"
if [ "$differ" -eq 0 ] && [ -z "${KEEP:-}" ]; then
	rm -rf "$OUT"
else
	echo "compare: outputs kept in $OUT"
fi
[ "$differ" -eq 0 ]
