# SPDX-License-Identifier: GPL-2.0-only
# The host library: every lib/hypmem/*.c goes into $(BUILD)/libhypmem.a.
HYPMEM_SRCS := $(sort $(wildcard lib/hypmem/*.c))
ifneq ($(STATIC),)
# No static libkdumpfile (see the top Makefile): a stub says so.
HYPMEM_SRCS := $(filter-out lib/hypmem/source_kdump.c,$(HYPMEM_SRCS)) \
	       lib/hypmem/static/source_kdump_none.c
endif
HYPMEM_OBJS := $(HYPMEM_SRCS:%.c=$(BUILD)/%.o)
HYPMEM_LIB  := $(BUILD)/libhypmem.a

host: $(HYPMEM_LIB)
all: host

$(BUILD)/lib/hypmem/%.o: lib/hypmem/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -fPIC -c -o $@ $<

$(HYPMEM_LIB): $(HYPMEM_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# --version: VERSION, the git revision and the features (see the Makefile).
VERSION_H := $(BUILD)/gen/hypmem_version.h
.PHONY: FORCE
$(VERSION_H): FORCE
	@mkdir -p $(@D)
	@printf '#define HYPMEM_VERSION "%s"\n#define HYPMEM_GIT_REV "%s"\n#define HYPMEM_FEATURES "%s"\n' \
		'$(HYPMEM_VERSION)' '$(GIT_REV)' '$(FEATURES)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
# (cli.o is also compiled by the fuzz build, tests/fuzz/fuzz.mk.)
VERSION_USERS := $(BUILD)/lib/hypmem/cli.o $(BUILD)/fuzz/obj/hypmem/cli.o
$(VERSION_USERS): $(VERSION_H)
$(VERSION_USERS): HYPMEM_CPPFLAGS += -I$(BUILD)/gen

# The installed headers (make install).
HYPMEM_PUBLIC_HEADERS := $(filter-out include/hypmem/cli.h,$(wildcard include/hypmem/*.h))

# hypmem.pc, for PREFIX and VERSION (make install puts it in lib/pkgconfig).
# Requires.private: what a static link against libhypmem.a needs.
HYPMEM_PC := $(BUILD)/hypmem.pc
# Rewritten only when its text changes (PREFIX is not a file make can watch).
$(HYPMEM_PC): lib/hypmem/hypmem.pc.in FORCE
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(HYPMEM_VERSION)|' \
		-e 's|@PKGS@|$(LIB_PKGS)|' $< > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
host: $(HYPMEM_PC)
