# SPDX-License-Identifier: GPL-2.0-only
# make bench: speed and memory, printed as ratios against a baseline run in
# the same process.  Never part of make check.
BENCH_MEM ?= 8192
BENCH_BIN := $(BUILD)/tests/bench/bench_decode

$(BUILD)/tests/bench/%.o: tests/bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BENCH_BIN): $(BUILD)/tests/bench/bench_decode.o $(HYPMEM_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench bench-run
bench: deps
	$(MAKE) bench-run

bench-run: all $(BENCH_BIN)
	tests/qemu/hypmem-qemu --image $(BUILD)/el2/L8/el2.elf --out $(BUILD)/bench-dump \
		--mem $(BENCH_MEM) --seed 5 --ops 50000 --reuse
	@echo "== decoder, ELF core, $(BENCH_MEM) MiB guest"
	$(BENCH_BIN) $(BUILD)/bench-dump/el2.elf $(BUILD)/bench-dump/vmcore
	@echo "== decoder, kdump-compressed core"
	$(BENCH_BIN) $(BUILD)/bench-dump/el2.elf $(BUILD)/bench-dump/vmcore.kdump
