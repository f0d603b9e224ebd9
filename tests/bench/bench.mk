# SPDX-License-Identifier: GPL-2.0-only
# make bench: speed and memory, printed as ratios against a baseline run in
# the same process.  Never part of make check.
BENCH_MEM ?= 8192
BENCH_BIN := $(BUILD)/tests/bench/bench_decode

$(BUILD)/tests/bench/%.o: tests/bench/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BENCH_BIN): $(BUILD)/tests/bench/bench_decode.o $(HYPMEM_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

# The heap (tests/bench/bench_heap.c): natively, against the EL2 core.
BENCH_HEAP_BIN := $(BUILD)/tests/bench/bench_heap
$(BUILD)/tests/bench/bench_heap.o: tests/bench/bench_heap.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(EL2_NATIVE_CPPFLAGS) -DHYP_PAGE_LAYOUT=8 -Itests/unit $(ALL_CFLAGS) -c -o $@ $<
$(BENCH_HEAP_BIN): $(BUILD)/tests/bench/bench_heap.o $(BUILD)/el2-native/L8/libel2.a $(HYPMEM_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)
bench-run: $(BENCH_HEAP_BIN)

# The stage-2 walker (tests/bench/bench_stage2.c): tables built natively by the EL2 core.
BENCH_STAGE2_BIN := $(BUILD)/tests/bench/bench_stage2
$(BUILD)/tests/bench/bench_stage2.o: tests/bench/bench_stage2.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(EL2_NATIVE_CPPFLAGS) -DHYP_PAGE_LAYOUT=8 $(ALL_CFLAGS) -c -o $@ $<
$(BENCH_STAGE2_BIN): $(BUILD)/tests/bench/bench_stage2.o $(BUILD)/el2-native/L8/libel2.a $(HYPMEM_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)
bench-run: $(BENCH_STAGE2_BIN)

# Trace reading (tests/bench/bench_trace.c): pages from the EL2 core's writer,
# natively; against trace-cmd report; hypmem-top's CPU use at 10^6 events/s.
BENCH_TRACE_BIN := $(BUILD)/tests/bench/bench_trace
BENCH_TRACE_EVENTS ?= 10000000
$(BUILD)/tests/bench/bench_trace.o: tests/bench/bench_trace.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(EL2_NATIVE_CPPFLAGS) -DHYP_PAGE_LAYOUT=8 $(ALL_CFLAGS) -c -o $@ $<
$(BENCH_TRACE_BIN): $(BUILD)/tests/bench/bench_trace.o $(BUILD)/el2-native/L8/libel2.a $(HYPMEM_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)
bench-run: $(BENCH_TRACE_BIN)

# Built (not run) by make check too, so that a bench cannot rot unseen.
.PHONY: bench bench-run bench-bins
bench-bins: $(BENCH_BIN) $(BENCH_HEAP_BIN) $(BENCH_STAGE2_BIN) $(BENCH_TRACE_BIN)

bench: deps
	$(MAKE) bench-run

bench-run: all $(BENCH_BIN)
	tests/qemu/hypmem-qemu --image $(BUILD)/el2/L8/el2.elf --out $(BUILD)/bench-dump \
		--mem $(BENCH_MEM) --seed 5 --ops 50000 --reuse
	@echo "== decoder, ELF core, $(BENCH_MEM) MiB guest"
	$(BENCH_BIN) $(BUILD)/bench-dump/el2.elf $(BUILD)/bench-dump/vmcore
	@echo "== decoder, kdump-compressed core"
	$(BENCH_BIN) $(BUILD)/bench-dump/el2.elf $(BUILD)/bench-dump/vmcore.kdump
	$(BENCH_HEAP_BIN)
	@echo "== stage-2 walker, 64 GiB of 4K pages"
	$(BENCH_STAGE2_BIN)
	rm -rf $(BUILD)/bench-trace
	$(BENCH_TRACE_BIN) $(BUILD)/bench-trace $(BUILD)/hypmem-top $(BENCH_TRACE_EVENTS)
	rm -rf $(BUILD)/bench-trace
-include tests/bench/real.mk
