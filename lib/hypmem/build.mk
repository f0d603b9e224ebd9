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

# The shared library: the same objects, exporting only the public API
# (include/hypmem/hypmem.h; the version script lists it).  VERSION "A.B"
# gives libhypmem.so.A.B, soname libhypmem.so.A, and the libhypmem.so
# symlink for linking.  Not with STATIC=1 or SANITIZE=1.
HYPMEM_SO_MAJOR := $(firstword $(subst ., ,$(HYPMEM_VERSION)))
HYPMEM_SONAME   := libhypmem.so.$(HYPMEM_SO_MAJOR)
HYPMEM_SO       := $(BUILD)/libhypmem.so.$(HYPMEM_VERSION)
HYPMEM_SO_LINKS := $(BUILD)/$(HYPMEM_SONAME) $(BUILD)/libhypmem.so
ifeq ($(STATIC)$(SANITIZE),)
HYPMEM_SO_BUILT := $(HYPMEM_SO)
host: $(HYPMEM_SO) $(HYPMEM_SO_LINKS)
endif

$(HYPMEM_SO): $(HYPMEM_OBJS) lib/hypmem/libhypmem.map
	$(CC) -shared -Wl,-soname,$(HYPMEM_SONAME) -Wl,--version-script=lib/hypmem/libhypmem.map \
		-Wl,--no-undefined $(ALL_LDFLAGS) -o $@ $(HYPMEM_OBJS) $(ALL_LDLIBS)
$(BUILD)/$(HYPMEM_SONAME): $(HYPMEM_SO)
	ln -sf $(notdir $<) $@
$(BUILD)/libhypmem.so: $(BUILD)/$(HYPMEM_SONAME)
	ln -sf $(notdir $<) $@

# --version: VERSION, the git revision and the features (see the Makefile).
VERSION_H := $(BUILD)/gen/hypmem_version.h
.PHONY: FORCE
$(VERSION_H): FORCE
	@mkdir -p $(@D)
	@printf '#define HYPMEM_VERSION "%s"\n#define HYPMEM_GIT_REV "%s"\n#define HYPMEM_FEATURES "%s"\n' \
		'$(HYPMEM_VERSION)' '$(GIT_REV)' '$(FEATURES)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
# (cmd/cli.c prints it; the commands' build is cmd/build.mk.)
VERSION_USERS := $(BUILD)/cmd/cli.o $(BUILD)/lib/hypmem/api.o $(BUILD)/fuzz/obj/hypmem/api.o
$(VERSION_USERS): $(VERSION_H)
$(VERSION_USERS): HYPMEM_CPPFLAGS += -I$(BUILD)/gen

# The installed header: the public API only (the others are internal).
HYPMEM_PUBLIC_HEADERS := include/hypmem/hypmem.h

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
