# SPDX-License-Identifier: GPL-2.0-only
# libFuzzer harnesses (tests/fuzz/*.c), built with clang, ASan and UBSan,
# into $(BUILD)/fuzz/.  Everything they exercise is compiled here with
# clang: libhypmem's sources once (with coverage instrumentation), the
# native EL2 core once per hyp_page layout (sanitizers only: it runs at
# start-up, its coverage is not what is being fuzzed).
#
#   make fuzz           fuzz each harness for FUZZ_SECONDS (default 60),
#                       corpus in $(BUILD)/fuzz/corpus-NAME, crashes in
#                       $(BUILD)/fuzz/artifacts/
#   make fuzz-regress   run each harness once over its seeds, its committed
#                       minimised corpus (tests/fuzz/corpus/NAME/) and the
#                       reproducers of fixed bugs (tests/fuzz/regress/NAME/), TAP
#   make fuzz-bins      just build; fuzz-seeds: just generate the seeds
#
# Seeds come from tests/fuzz/gen_*corpus.py, never from committed blobs;
# tests/fuzz/corpus/NAME/ is what fuzzing found, minimised (-merge=1);
# tests/fuzz/regress/NAME/ the inputs of bugs found and fixed.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -Wall -Wextra -MMD -MP $(FUZZ_SAN) \
		$(shell $(PKG_CONFIG) --cflags $(HOST_PKGS) 2>/dev/null)
FUZZ_LDLIBS  := $(shell $(PKG_CONFIG) --libs $(HOST_PKGS) 2>/dev/null)

FUZZ_HYPMEM_OBJS := $(HYPMEM_SRCS:lib/hypmem/%.c=$(FUZZ_DIR)/obj/hypmem/%.o)
FUZZ_EL2_SRCS    := $(EL2_CORE_SRCS) $(EL2_HOST_SRCS)
FUZZ_DECODE_BINS := $(foreach l,$(LAYOUTS),$(FUZZ_DIR)/fuzz_decode-L$(l))
FUZZ_BINS        := $(FUZZ_DIR)/fuzz_source $(FUZZ_DECODE_BINS)
FUZZ_NAMES       := $(notdir $(FUZZ_BINS))

.PHONY: fuzz fuzz-bins fuzz-seeds fuzz-regress
fuzz-bins: $(FUZZ_BINS)

# libhypmem with line tables only: stack traces keep file:line, and the
# DWARF that fuzz_decode opens on itself (/proc/self/exe) for every input
# stays small -- a lookup that misses the EL2 units indexes all the others.
$(FUZZ_DIR)/obj/hypmem/%.o: lib/hypmem/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(HYPMEM_CPPFLAGS) $(FUZZ_CFLAGS) -gline-tables-only -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/obj/fuzz_source.o: tests/fuzz/fuzz_source.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(HYPMEM_CPPFLAGS) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/fuzz_source: $(FUZZ_DIR)/obj/fuzz_source.o $(FUZZ_HYPMEM_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LDLIBS)

define fuzz_layout_rules
FUZZ_EL2_OBJS_L$(1) := $(FUZZ_EL2_SRCS:lib/el2/%.c=$(FUZZ_DIR)/obj/el2-L$(1)/%.o)
$(FUZZ_DIR)/obj/el2-L$(1)/%.o: lib/el2/%.c
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(HYPMEM_CPPFLAGS) $$(EL2_NATIVE_CPPFLAGS) -DHYP_PAGE_LAYOUT=$(1) $$(FUZZ_CFLAGS) -c -o $$@ $$<
$(FUZZ_DIR)/obj/fuzz_decode-L$(1).o: tests/fuzz/fuzz_decode.c
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(HYPMEM_CPPFLAGS) $$(EL2_NATIVE_CPPFLAGS) -DHYP_PAGE_LAYOUT=$(1) $$(FUZZ_CFLAGS) \
		-Werror -fsanitize=fuzzer-no-link -c -o $$@ $$<
$(FUZZ_DIR)/fuzz_decode-L$(1): $(FUZZ_DIR)/obj/fuzz_decode-L$(1).o $$(FUZZ_EL2_OBJS_L$(1)) $(FUZZ_HYPMEM_OBJS)
	$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ $$(FUZZ_LDLIBS)
endef
$(foreach l,$(LAYOUTS),$(eval $(call fuzz_layout_rules,$(l))))

# Seeds: regenerated whenever the generator changes (only this generator's
# directories: other harnesses keep theirs under seeds/ too).
$(FUZZ_DIR)/seeds/.stamp: tests/fuzz/gen_corpus.py
	rm -rf $(FUZZ_DIR)/seeds/fuzz_source $(FUZZ_DIR)/seeds/fuzz_decode-L*
	python3 tests/fuzz/gen_corpus.py source $(FUZZ_DIR)/seeds/fuzz_source
	$(foreach l,$(LAYOUTS),python3 tests/fuzz/gen_corpus.py decode $(l) $(FUZZ_DIR)/seeds/fuzz_decode-L$(l) &&) true
	touch $@
fuzz-seeds: $(FUZZ_DIR)/seeds/.stamp

# Input size limits: fuzz_source inputs are whole dump files (a few pages),
# fuzz_decode inputs are patch lists (MAX_PATCHES records of at most 22 bytes);
# FUZZ_MAXLEN_<harness> for the others, the patch-list limit by default.
FUZZ_MAXLEN_SOURCE ?= 65536
FUZZ_MAXLEN_DECODE ?= 1408
FUZZ_MAXLEN_fuzz_source = $(FUZZ_MAXLEN_SOURCE)
FUZZ_MAXLEN_fuzz_ringbuf := 16385
rparen := )
fuzz_maxlen = $(or $(FUZZ_MAXLEN_$(1)),$(FUZZ_MAXLEN_DECODE))

# Each harness runs even if an earlier one crashed; the target fails at the
# end if any did.  The committed reproducers are left to fuzz-regress: an
# unfixed one would stop the fuzzer before it starts.  FUZZ_ARGS passes
# libFuzzer options, e.g. FUZZ_ARGS='-fork=1 -ignore_ooms=1' to go on past
# known out-of-memory bugs.
fuzz: fuzz-bins fuzz-seeds
	@mkdir -p $(FUZZ_DIR)/artifacts
	@failed=; for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_DIR)/corpus-$$n; \
		echo "== $$n: $(FUZZ_SECONDS) s"; \
		case $$n in $(foreach h,$(FUZZ_NAMES),$(h)$(rparen) max=$(call fuzz_maxlen,$(h));;) esac; \
		dict=; [ -f tests/fuzz/dict/$$n.dict ] && dict=-dict=tests/fuzz/dict/$$n.dict; \
		$(FUZZ_DIR)/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=$$max \
			-artifact_prefix=$(FUZZ_DIR)/artifacts/$$n- -print_final_stats=1 \
			$$dict $(FUZZ_ARGS) $(FUZZ_DIR)/corpus-$$n $(FUZZ_DIR)/seeds/$$n || \
			failed="$$failed $$n"; \
	done; \
	if [ -n "$$failed" ]; then \
		echo "fuzz: crashes in:$$failed (inputs in $(FUZZ_DIR)/artifacts/)"; exit 1; \
	fi

fuzz-regress:
	@BUILD=$(BUILD) tests/fuzz/regress.sh

# The corpora grown by make fuzz, minimised (-merge=1: the smallest inputs
# that keep every feature) together with the committed ones into
# tests/fuzz/corpus/NAME/, to be committed.
.PHONY: fuzz-minimise
fuzz-minimise: fuzz-bins
	@for n in $(FUZZ_NAMES); do \
		case $$n in $(foreach h,$(FUZZ_NAMES),$(h)$(rparen) max=$(call fuzz_maxlen,$(h));;) esac; \
		rm -rf $(FUZZ_DIR)/min-$$n && mkdir -p $(FUZZ_DIR)/min-$$n tests/fuzz/corpus/$$n && \
		$(FUZZ_DIR)/$$n -merge=1 -max_len=$$max -rss_limit_mb=2048 -timeout=20 \
			$(FUZZ_DIR)/min-$$n tests/fuzz/corpus/$$n $(FUZZ_DIR)/corpus-$$n \
			>$(FUZZ_DIR)/min-$$n.log 2>&1 || { echo "$$n: merge failed"; exit 1; }; \
		rm -rf tests/fuzz/corpus/$$n && mv $(FUZZ_DIR)/min-$$n tests/fuzz/corpus/$$n; \
		echo "$$n: $$(ls tests/fuzz/corpus/$$n | wc -l) inputs, $$(cat tests/fuzz/corpus/$$n/* | wc -c) bytes"; \
	done

# fuzz_heap: the heap walker over a real heap (tests/fuzz/fuzz_heap.c).  The
# heap does not depend on the hyp_page layout: one binary, on layout 8.
$(FUZZ_DIR)/obj/fuzz_heap.o: tests/fuzz/fuzz_heap.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(HYPMEM_CPPFLAGS) $(EL2_NATIVE_CPPFLAGS) -DHYP_PAGE_LAYOUT=8 $(FUZZ_CFLAGS) \
		-Werror -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_DIR)/fuzz_heap: $(FUZZ_DIR)/obj/fuzz_heap.o $(FUZZ_EL2_OBJS_L8) $(FUZZ_HYPMEM_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LDLIBS)
$(FUZZ_DIR)/seeds/fuzz_heap/.stamp: tests/fuzz/gen_heap_corpus.py
	rm -rf $(FUZZ_DIR)/seeds/fuzz_heap
	python3 tests/fuzz/gen_heap_corpus.py $(FUZZ_DIR)/seeds/fuzz_heap
	touch $@
fuzz-bins: $(FUZZ_DIR)/fuzz_heap
fuzz-seeds: $(FUZZ_DIR)/seeds/fuzz_heap/.stamp
FUZZ_NAMES += fuzz_heap

# fuzz_stage2: the page-table walker and the stage-2/stage-1 decoders over a
# real host stage-2 (tests/fuzz/fuzz_stage2.c).  One binary, on layout 8.
$(FUZZ_DIR)/obj/fuzz_stage2.o: tests/fuzz/fuzz_stage2.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(HYPMEM_CPPFLAGS) $(EL2_NATIVE_CPPFLAGS) -DHYP_PAGE_LAYOUT=8 $(FUZZ_CFLAGS) \
		-Werror -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_DIR)/fuzz_stage2: $(FUZZ_DIR)/obj/fuzz_stage2.o $(FUZZ_EL2_OBJS_L8) $(FUZZ_HYPMEM_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LDLIBS)
$(FUZZ_DIR)/seeds/fuzz_stage2/.stamp: tests/fuzz/gen_stage2_corpus.py $(FUZZ_DIR)/seeds/.stamp
	rm -rf $(FUZZ_DIR)/seeds/fuzz_stage2
	python3 tests/fuzz/gen_stage2_corpus.py $(FUZZ_DIR)/seeds/fuzz_stage2
	touch $@
fuzz-bins: $(FUZZ_DIR)/fuzz_stage2
fuzz-seeds: $(FUZZ_DIR)/seeds/fuzz_stage2/.stamp
FUZZ_NAMES += fuzz_stage2

# fuzz_ringbuf: the ring-buffer reader -- page decoder, tracefs source,
# merge, formats, text/JSON/trace.dat output (tests/fuzz/fuzz_ringbuf.c).
# Links the native EL2 core (layout 8) for its format text.
$(FUZZ_DIR)/obj/fuzz_ringbuf.o: tests/fuzz/fuzz_ringbuf.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(HYPMEM_CPPFLAGS) $(EL2_NATIVE_CPPFLAGS) -DHYP_PAGE_LAYOUT=8 $(FUZZ_CFLAGS) \
		-Werror -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_DIR)/fuzz_ringbuf: $(FUZZ_DIR)/obj/fuzz_ringbuf.o $(FUZZ_EL2_OBJS_L8) $(FUZZ_HYPMEM_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LDLIBS)
$(FUZZ_DIR)/seeds/fuzz_ringbuf/.stamp: tests/fuzz/gen_ringbuf_corpus.py
	rm -rf $(FUZZ_DIR)/seeds/fuzz_ringbuf
	python3 tests/fuzz/gen_ringbuf_corpus.py $(FUZZ_DIR)/seeds/fuzz_ringbuf
	touch $@
fuzz-bins: $(FUZZ_DIR)/fuzz_ringbuf
fuzz-seeds: $(FUZZ_DIR)/seeds/fuzz_ringbuf/.stamp
FUZZ_NAMES += fuzz_ringbuf

# The in-memory parser harnesses: libhypmem alone, no EL2 core, seeds from
# gen_small_corpus.py (synthetic, plus pieces of the real-kernel cache when
# it is warm).  Fast: small inputs, no disk per input (memfd, /dev/shm).
FUZZ_PLAIN := fuzz_vmcoreinfo fuzz_events fuzz_tracefs fuzz_dwarf
$(FUZZ_DIR)/obj/fuzz_%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(HYPMEM_CPPFLAGS) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer-no-link -c -o $@ $<
$(addprefix $(FUZZ_DIR)/,$(FUZZ_PLAIN)): $(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/%.o $(FUZZ_HYPMEM_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LDLIBS)
$(FUZZ_DIR)/seeds/fuzz_%/.stamp: tests/fuzz/gen_small_corpus.py
	rm -rf $(@D)
	python3 tests/fuzz/gen_small_corpus.py $* $(@D)
	touch $@
fuzz-bins: $(addprefix $(FUZZ_DIR)/,$(FUZZ_PLAIN))
fuzz-seeds: $(foreach n,$(FUZZ_PLAIN),$(FUZZ_DIR)/seeds/$(n)/.stamp)
FUZZ_NAMES += $(FUZZ_PLAIN)
FUZZ_MAXLEN_fuzz_vmcoreinfo := 8192
FUZZ_MAXLEN_fuzz_events := 4096
FUZZ_MAXLEN_fuzz_tracefs := 8192
FUZZ_MAXLEN_fuzz_dwarf := 16384
