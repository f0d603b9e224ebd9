#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Fuzz regression for make check: build the libFuzzer harnesses (clang,
# ASan+UBSan), then run each once over its generated seeds, its committed
# minimised corpus (tests/fuzz/corpus/NAME/) and the reproducers of fixed
# bugs (tests/fuzz/regress/NAME/) -- no fuzzing, seconds.  Prints TAP: "ok N NAME corpus" or "not ok N NAME corpus" with
# the sanitizer's report.  Without a working clang + libFuzzer (make deps
# installs clang and libclang-rt-14-dev) that is one failure, not a skip.
#
# Usage: BUILD=build tests/fuzz/regress.sh
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.." || exit 1
FUZZ_CC=${FUZZ_CC:-clang}
n=0

tap() { # status name [detail file]
	n=$((n + 1))
	echo "$1 $n $2"
	[ -n "${3:-}" ] && sed 's/^/#   /' "$3" | tail -n 40
	return 0
}

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "not ok 1 fuzz: $FUZZ_CC not installed (make deps installs clang)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# libFuzzer comes with libclang-rt-*-dev, which may be missing.
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' >"$tmp/t.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$tmp/t" "$tmp/t.c" >/dev/null 2>&1; then
	echo "not ok 1 fuzz: $FUZZ_CC cannot link -fsanitize=fuzzer (make deps installs libclang-rt-14-dev)"
	exit 1
fi

jobs=
case "${MAKEFLAGS:-}" in
*j*) ;;
*) jobs=-j$(nproc 2>/dev/null || echo 2) ;;
esac
# shellcheck disable=SC2086
if ! ${MAKE:-make} -s $jobs BUILD="$BUILD" FUZZ_CC="$FUZZ_CC" fuzz-bins fuzz-seeds \
	>"$tmp/build.log" 2>&1; then
	tap "not ok" "fuzz build" "$tmp/build.log"
	exit 1
fi

status=0
# Every harness fuzz.mk built: fuzz_NAME runs over seeds/fuzz_NAME/.
for bin in "$BUILD"/fuzz/fuzz_*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	name=$(basename "$bin")
	# Files, not directories: libFuzzer then runs each input once and
	# never writes to a corpus directory.  Dot files are make's stamps.
	# shellcheck disable=SC2046
	set -- $(find "$BUILD/fuzz/seeds/$name" "tests/fuzz/corpus/$name" \
		"tests/fuzz/regress/$name" -type f \
		! -name '.*' 2>/dev/null | sort)
	if [ $# -eq 0 ]; then
		tap "not ok" "$name corpus (no inputs)"
		status=1
		continue
	fi
	if "$bin" -rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=20 "$@" >"$tmp/$name.log" 2>&1; then
		tap ok "$name corpus"
	else
		tap "not ok" "$name corpus" "$tmp/$name.log"
		status=1
	fi
done
if [ "$n" -eq 0 ]; then
	tap "not ok" "fuzz: no harness in $BUILD/fuzz (fuzz.mk built none?)"
	status=1
fi
exit $status
