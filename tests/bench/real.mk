# SPDX-License-Identifier: GPL-2.0-only
# make bench, real-kernel part: hypmem-stat against the drgn walk on a real
# 2 GiB Debian 6.12 dump (needs the cache that make check-real fills; says
# so and skips otherwise).  Included from bench.mk.
.PHONY: bench-real
bench-run: bench-real

bench-real: host
	@BUILD=$(BUILD) tests/bench/real_bench.py
