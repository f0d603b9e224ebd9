#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Line coverage of one fuzz harness over a corpus, by llvm-cov: the harness
# and libhypmem rebuilt with clang's source-based coverage (no sanitizers),
# every corpus input run once, then the per-file report of lib/hypmem.
#
# Usage: BUILD=build tests/fuzz/coverage.sh fuzz_source CORPUS_DIR...
# (only harnesses without the EL2 core: fuzz_source)
set -eu
BUILD=${BUILD:-build}
name=$1
shift
out="$BUILD/fuzz/cov-$name"
mkdir -p "$out/obj"
flags="-std=gnu11 -O1 -g -Iinclude -D_GNU_SOURCE -fprofile-instr-generate -fcoverage-mapping \
	$(pkg-config --cflags libdw libelf json-c libkdumpfile ncursesw)"
objs=
for src in lib/hypmem/*.c "tests/fuzz/$name.c"; do
	o="$out/obj/$(basename "$src" .c).o"
	if [ ! -e "$o" ] || [ -n "$(find "$src" -newer "$o")" ]; then
		# shellcheck disable=SC2086
		clang $flags -fsanitize=fuzzer-no-link -c -o "$o" "$src"
	fi
	objs="$objs $o"
done
# shellcheck disable=SC2086,SC2046
clang -fprofile-instr-generate -fsanitize=fuzzer -o "$out/$name" $objs \
	$(pkg-config --libs libdw libelf json-c libkdumpfile ncursesw)
rm -f "$out"/*.profraw
LLVM_PROFILE_FILE="$out/%p.profraw" "$out/$name" -runs=0 "$@" >"$out/run.log" 2>&1 || true
llvm-profdata merge -sparse -o "$out/merged.profdata" "$out"/*.profraw
llvm-cov report "$out/$name" -instr-profile="$out/merged.profdata" lib/hypmem/*.c
