# SPDX-License-Identifier: GPL-2.0-only
# Commands: each cmd/hypmem-*.c is one program linked with cmd/cli.c (the
# shared option plumbing, not installed) and libhypmem.a (the static
# library: the commands use internal modules the shared library does not
# export).  Each links only the libraries it uses: libhypmem's, plus
# ncursesw for hypmem-top.
CMD_SRCS := $(sort $(wildcard cmd/hypmem-*.c))
CMDS     := $(CMD_SRCS:cmd/%.c=$(BUILD)/%)

host: $(CMDS)
all: host

$(BUILD)/cmd/%.o: cmd/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/hypmem-%: $(BUILD)/cmd/hypmem-%.o $(BUILD)/cmd/cli.o $(HYPMEM_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(CMD_LDLIBS) $(ALL_LDLIBS)

# hypmem-top draws with ncursesw; no other command sees its flags
# (-D_XOPEN_SOURCE) or links it.
$(BUILD)/cmd/hypmem-top.o: HYPMEM_CFLAGS += $(CURSES_CFLAGS)
$(BUILD)/hypmem-top: CMD_LDLIBS = $(CURSES_LDLIBS)

# hypmem-dump's subcommands that live in files of their own.
$(BUILD)/hypmem-dump: $(BUILD)/cmd/dump_trace.o
