# SPDX-License-Identifier: GPL-2.0-only
# el2_alloc checks the hashes against known answers that Python computes
# from their definition (tests/unit/hash_vectors.py), at build time.
$(BUILD)/tests/unit/hash_vectors.h: tests/unit/hash_vectors.py
	@mkdir -p $(@D)
	python3 $< >$@.tmp && mv $@.tmp $@
$(foreach l,$(LAYOUTS),$(BUILD)/tests/unit/el2_alloc-L$(l).o): $(BUILD)/tests/unit/hash_vectors.h
$(foreach l,$(LAYOUTS),$(BUILD)/tests/unit/el2_alloc-L$(l).o): HYPMEM_CPPFLAGS += -I$(BUILD)/tests/unit
