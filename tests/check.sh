#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The whole test suite: unit tests, integration tests, the unit tests
# again under ASan+UBSan, then the fuzz harnesses over their seed corpora
# (tests/fuzz/regress.sh; make check installs clang).  Prints one TAP
# stream and a final "N passed, N failed, N skipped" line (tests/run.sh).
set -u
BUILD=${BUILD:-build}
# The real-kernel tests are part of the suite: they download Debian's
# kernels on the first run (tests/integration/real.py).  HYPMEM_REAL=0
# leaves them out, and they are then counted as skipped.  The same holds
# for the tracing hypervisor (tests/integration/real_trace.py): Linux 7.x
# built from Debian's source on the first run (about 15 minutes on two
# cores, cached); HYPMEM_REAL_TRACING=0 leaves it out.
export HYPMEM_REAL="${HYPMEM_REAL:-1}"
export HYPMEM_REAL_TRACING="${HYPMEM_REAL_TRACING:-$HYPMEM_REAL}"
list=$(mktemp)
trap 'rm -f "$list"' EXIT
for t in $(find "$BUILD/tests/unit" -maxdepth 1 -type f -perm -u+x | sort); do
	echo "$t" >>"$list"
done
for t in $(ls tests/integration/*.sh tests/integration/*.py 2>/dev/null | sort); do
	echo "env BUILD=$BUILD $t" >>"$list"
done
for t in $(find "$BUILD/asan/tests/unit" -maxdepth 1 -type f -perm -u+x 2>/dev/null | sort); do
	echo "$t" >>"$list"
done
echo "env BUILD=$BUILD tests/fuzz/regress.sh" >>"$list"
exec tests/run.sh -f "$list"
