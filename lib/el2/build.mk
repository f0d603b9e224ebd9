# SPDX-License-Identifier: GPL-2.0-only
# The EL2 core, built twice from the same sources:
#  - freestanding aarch64 image, one per hyp_page layout:
#      $(BUILD)/el2/L<layout>/el2.elf
#  - native static library for unit tests, with the host shim (lib/el2/host):
#      $(BUILD)/el2-native/L<layout>/libel2.a
# The core (lib/el2/*.c) is shared; lib/el2/arch/arm64/ is the image's boot,
# MMU, UART, fw_cfg and FDT code; lib/el2/host/ replaces it natively.
EL2_CORE_SRCS := $(sort $(wildcard lib/el2/*.c))
EL2_HOST_SRCS := $(sort $(wildcard lib/el2/host/*.c))
EL2_ARCH_SRCS := $(sort $(wildcard lib/el2/arch/arm64/*.c lib/el2/arch/arm64/*.S))

EL2_NATIVE_CPPFLAGS := -Iinclude -Ilib/el2/host
EL2_CC := $(EL2_CROSS)gcc
EL2_CPPFLAGS := -Iinclude -Ilib/el2/arch/arm64
# -mno-fix-cortex-a53-843419: the image only runs under QEMU, and the
# linker's erratum stubs (a 4 KiB veneer page whenever an adrp lands at
# page offset 0xff8/0xffc) would move .data and the ground truth with
# unrelated code edits.
EL2_CFLAGS := -std=gnu11 -O2 -g3 -gdwarf-5 -Wall -Wextra -Werror -MMD -MP \
	-ffreestanding -fno-builtin -nostdinc -isystem $(shell $(EL2_CC) -print-file-name=include 2>/dev/null) \
	-mgeneral-regs-only -mstrict-align -mno-outline-atomics -fno-stack-protector \
	-fno-pie -fno-plt -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	-fno-tree-loop-distribute-patterns -mno-fix-cortex-a53-843419
EL2_LDFLAGS := -nostdlib -static -no-pie -Wl,-q -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
	-Wl,-T,lib/el2/arch/arm64/image.lds
EL2_LIBGCC := $(shell $(EL2_CC) -print-libgcc-file-name 2>/dev/null)

define el2_layout_rules
# native
$(BUILD)/el2-native/L$(1)/%.o: lib/el2/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CPPFLAGS) $$(EL2_NATIVE_CPPFLAGS) -DHYP_PAGE_LAYOUT=$(1) $$(ALL_CFLAGS) -c -o $$@ $$<
$(BUILD)/el2-native/L$(1)/libel2.a: $(patsubst lib/el2/%.c,$(BUILD)/el2-native/L$(1)/%.o,$(EL2_CORE_SRCS) $(EL2_HOST_SRCS))
	rm -f $$@
	$$(AR) rcs $$@ $$^
# aarch64 image
$(BUILD)/el2/L$(1)/%.o: lib/el2/%.c
	@mkdir -p $$(@D)
	$$(EL2_CC) $$(EL2_CPPFLAGS) -DHYP_PAGE_LAYOUT=$(1) $$(EL2_CFLAGS) -c -o $$@ $$<
$(BUILD)/el2/L$(1)/%.o: lib/el2/%.S
	@mkdir -p $$(@D)
	$$(EL2_CC) $$(EL2_CPPFLAGS) -DHYP_PAGE_LAYOUT=$(1) -D__ASSEMBLY__ -g -c -o $$@ $$<
$(BUILD)/el2/L$(1)/el2.elf: $(patsubst lib/el2/%,$(BUILD)/el2/L$(1)/%.o,$(basename $(EL2_CORE_SRCS) $(EL2_ARCH_SRCS))) lib/el2/arch/arm64/image.lds
	$$(EL2_CC) $$(EL2_CFLAGS) $$(EL2_LDFLAGS) -o $$@.tmp $$(filter %.o,$$^) $$(EL2_LIBGCC)
	$(EL2_CROSS)objcopy --prefix-symbols=__kvm_nvhe_ $$@.tmp
	lib/el2/arch/arm64/check-image.sh $$@.tmp $(EL2_CROSS)
	mv $$@.tmp $$@
endef
$(foreach l,$(LAYOUTS),$(eval $(call el2_layout_rules,$(l))))

# The boot banner's release string carries VERSION (one source for the version).
EL2_BOOT_OBJS := $(foreach l,$(LAYOUTS),$(BUILD)/el2/L$(l)/arch/arm64/boot.o)
$(EL2_BOOT_OBJS): VERSION
$(EL2_BOOT_OBJS): EL2_CPPFLAGS += -DHYPMEM_VERSION='"$(HYPMEM_VERSION)"'

EL2_IMAGES := $(foreach l,$(LAYOUTS),$(BUILD)/el2/L$(l)/el2.elf)
.PHONY: el2
el2: $(EL2_IMAGES)
all: el2
