# SPDX-License-Identifier: GPL-2.0-only
# The cli test links the commands' shared option code (cmd/cli.o, not in
# libhypmem) and includes its header; libhypmem.a is named again after
# cli.o, which calls into it.
$(BUILD)/tests/unit/cli.o: HYPMEM_CPPFLAGS += -Icmd
$(BUILD)/tests/unit/cli: $(BUILD)/cmd/cli.o
$(BUILD)/tests/unit/cli: HYPMEM_LDLIBS := $(HYPMEM_LIB) $(HYPMEM_LDLIBS)
