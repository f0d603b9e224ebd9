# SPDX-License-Identifier: GPL-2.0-only
# Commands: each cmd/hypmem-*.c is one program linked with cmd/cli.c (the
# shared option plumbing, not installed) and libhypmem.a.
CMD_SRCS := $(sort $(wildcard cmd/hypmem-*.c))
CMDS     := $(CMD_SRCS:cmd/%.c=$(BUILD)/%)

host: $(CMDS)
all: host

$(BUILD)/cmd/%.o: cmd/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/hypmem-%: $(BUILD)/cmd/hypmem-%.o $(BUILD)/cmd/cli.o $(HYPMEM_LIB)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS)

# hypmem-dump's subcommands that live in files of their own.
$(BUILD)/hypmem-dump: $(BUILD)/cmd/dump_trace.o
