# SPDX-License-Identifier: GPL-2.0-only
# make check-real: the real-kernel tests (tests/integration/real.py) on their
# own, downloading what they need.  make check runs them too (tests/check.sh
# sets HYPMEM_REAL=1 unless it is set); HYPMEM_REAL=0 skips them.
.PHONY: check-real check-real-run
check-real: deps
	$(MAKE) check-real-run

check-real-run: host
	tests/run.sh "env HYPMEM_REAL=1 BUILD=$(BUILD) tests/integration/real.py"
