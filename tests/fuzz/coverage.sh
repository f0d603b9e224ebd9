#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Line coverage of one fuzz harness over a corpus, by llvm-cov: the harness
# and libhypmem rebuilt with clang's source-based coverage (no sanitizers),
# every corpus input run once, then the per-file report of lib/hypmem (the
# TOTAL line counts lib/hypmem/*.c, the library the harnesses fuzz).
#
# Usage: BUILD=build tests/fuzz/coverage.sh HARNESS CORPUS_DIR...
# HARNESS: fuzz_source, fuzz_vmcoreinfo, fuzz_events, fuzz_tracefs,
# fuzz_dwarf; or one linked with the native EL2 core (fuzz_decode-L8/L4/
# L32, fuzz_heap, fuzz_stage2, fuzz_ringbuf), whose EL2 sources are built
# without coverage (they only set up the state that is fuzzed).
set -eu
BUILD=${BUILD:-build}
name=$1
shift
out="$BUILD/fuzz/cov-$name"
mkdir -p "$out/obj"
pkgs="libdw libelf json-c libkdumpfile ncursesw"
base="-std=gnu11 -O1 -g -Iinclude -I$BUILD/gen -D_GNU_SOURCE $(pkg-config --cflags $pkgs)"
cov="-fprofile-instr-generate -fcoverage-mapping"
src=$name el2=
case $name in
fuzz_decode-L*)
	src=fuzz_decode
	el2="-Ilib/el2/host -DHYP_PAGE_LAYOUT=${name#fuzz_decode-L}"
	;;
fuzz_heap | fuzz_stage2 | fuzz_ringbuf) el2="-Ilib/el2/host -DHYP_PAGE_LAYOUT=8" ;;
esac
# libhypmem's objects are shared by every harness; the EL2 core's are per
# layout (a compile-time choice).
build() { # obj src flags...
	o=$1 s=$2
	shift 2
	if [ ! -e "$o" ] || [ -n "$(find "$s" -newer "$o")" ]; then
		# shellcheck disable=SC2086
		clang $base "$@" -c -o "$o" "$s"
	fi
	objs="$objs $o"
}
objs=
mkdir -p "$BUILD/fuzz/cov-lib"
for s in lib/hypmem/*.c; do
	# shellcheck disable=SC2086
	build "$BUILD/fuzz/cov-lib/$(basename "$s" .c).o" "$s" $cov -fsanitize=fuzzer-no-link
done
# shellcheck disable=SC2086
build "$out/obj/$src.o" "tests/fuzz/$src.c" $cov -fsanitize=fuzzer-no-link $el2
if [ -n "$el2" ]; then
	d="$BUILD/fuzz/cov-el2-L${el2##*=}"
	mkdir -p "$d"
	for s in lib/el2/*.c lib/el2/host/*.c; do
		# shellcheck disable=SC2086
		build "$d/$(basename "$s" .c).o" "$s" $el2
	done
fi
# shellcheck disable=SC2086,SC2046
clang -fprofile-instr-generate -fsanitize=fuzzer -o "$out/$name" $objs \
	$(pkg-config --libs $pkgs)
rm -f "$out"/*.profraw
LLVM_PROFILE_FILE="$out/%p.profraw" "$out/$name" -runs=0 "$@" >"$out/run.log" 2>&1 || true
llvm-profdata merge -sparse -o "$out/merged.profdata" "$out"/*.profraw
llvm-cov report "$out/$name" -instr-profile="$out/merged.profdata" lib/hypmem/*.c
