# SPDX-License-Identifier: GPL-2.0-only
# Tests.  One unit-test binary per module: tests/unit/<module>.c, which ends
# with TEST_MAIN (tests/unit/test.h).  Files named el2_*.c test the EL2 core
# and are built once per hyp_page layout against the native EL2 library
# (and libhypmem.a, so decoders can be tested against the EL2 core's own
# structures); the others link with libhypmem.a.  A module that needs extra rules
# (fixtures) adds tests/unit/<module>.mk.
UNIT_HOST_SRCS := $(filter-out tests/unit/el2_%.c,$(sort $(wildcard tests/unit/*.c)))
UNIT_HOST_BINS := $(UNIT_HOST_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
UNIT_EL2_SRCS  := $(sort $(wildcard tests/unit/el2_*.c))
UNIT_EL2_BINS  := $(foreach l,$(LAYOUTS),$(UNIT_EL2_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%-L$(l)))
UNIT_BINS       = $(UNIT_HOST_BINS) $(UNIT_EL2_BINS) $(UNIT_EXTRA_BINS)

.PHONY: unit-bins check-run
unit-bins: $(UNIT_HOST_BINS) $(UNIT_EL2_BINS) $(UNIT_EXTRA_BINS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -c -o $@ $<

$(UNIT_HOST_BINS): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(HYPMEM_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

define el2_unit_rule
$(BUILD)/tests/unit/%-L$(1).o: tests/unit/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CPPFLAGS) $$(EL2_NATIVE_CPPFLAGS) -DHYP_PAGE_LAYOUT=$(1) -Itests/unit $$(ALL_CFLAGS) -c -o $$@ $$<
$(BUILD)/tests/unit/%-L$(1): $(BUILD)/tests/unit/%-L$(1).o $(BUILD)/el2-native/L$(1)/libel2.a $(HYPMEM_LIB)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(ALL_LDLIBS)
endef
$(foreach l,$(LAYOUTS),$(eval $(call el2_unit_rule,$(l))))

-include $(sort $(wildcard tests/unit/*.mk))
-include $(sort $(wildcard tests/integration/*.mk))
-include tests/bench/bench.mk
-include tests/fuzz/fuzz.mk

# check: install what is missing first, then re-run make so that pkg-config
# sees the freshly installed libraries.
check: deps
	$(MAKE) --no-print-directory check-run

# The count is the last line make check prints (no "Leaving directory").
check-run:
	$(MAKE) all unit-bins bench-bins
	$(MAKE) BUILD=$(BUILD)/asan SANITIZE=1 host unit-bins
	BUILD=$(BUILD) tests/check.sh

check-unit: all unit-bins
	tests/run.sh $(UNIT_BINS)
