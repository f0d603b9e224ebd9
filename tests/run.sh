#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run test programs that print TAP ("ok N name" / "not ok N name" /
# "ok N name # SKIP reason"), echo their output, count the results and end
# with "N passed, N failed, N skipped".  A skip is not a pass: it is
# counted apart and its reason listed again before the closing line.
# A program that exits non-zero without printing any "not ok", or whose
# results do not add up to its plan ("1..N"), counts as one failure (a
# crash, a sanitizer report, a missing binary, tests that never ran).
# Usage: tests/run.sh PROGRAM... (each argument one command; a quoted
# "PROGRAM ARGS" is split on blanks), or tests/run.sh -f FILE listing one
# command per line; RUN_LABEL prefixes the output.
pass=0; fail=0; skip=0
label=${RUN_LABEL:-}
skips=$(mktemp)
trap 'rm -f "$skips"' EXIT
run_one() {
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	# TAP directives are case-insensitive; "# TODO" is not used here.
	s=$(grep -ciE '^ok [0-9]+[^#]*# *skip' "$out")
	p=$(($(grep -c '^ok ' "$out") - s))
	f=$(grep -c '^not ok ' "$out")
	sed "s|^|${label:+$label: }|" "$out"
	prog=$1
	for a in "$@"; do # the program, past "env VAR=value"
		case $a in env | *=*) ;; *) prog=$a; break ;; esac
	done
	grep -iE '^ok [0-9]+[^#]*# *skip' "$out" | sed "s|^|$prog: |" >>"$skips"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "${label:+$label: }not ok - $* exited with status $rc"
		f=1
	fi
	# A plan ("1..N") the results do not add up to: tests went missing.
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
	if [ -n "$plan" ] && [ $((p + f + s)) -ne "$plan" ] && [ "$f" -eq 0 ]; then
		echo "${label:+$label: }not ok - $*: planned $plan tests, $((p + s)) reported"
		f=1
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	rm -f "$out"
}
if [ "$1" = "-f" ]; then
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		# shellcheck disable=SC2086
		run_one $line
	done <"$2"
else
	for cmd in "$@"; do
		# shellcheck disable=SC2086
		run_one $cmd
	done
fi
if [ "$skip" -gt 0 ]; then
	echo "${label:+$label: }skipped:"
	sed "s|^|${label:+$label: }#   |" "$skips"
fi
echo "${label:+$label: }$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
