# SPDX-License-Identifier: GPL-2.0-only
#
# hypmem: top-level build.  Each directory contributes a fragment (build.mk);
# this file holds the flags and the user-facing targets.
#
#   make            build the host libraries (libhypmem.a, libhypmem.so.0),
#                   the commands and the EL2 images
#   make host       the same without the EL2 images (no cross compiler)
#   make demo       install missing packages, boot the EL2 image, dump, decode
#   make demo-live  the EL2 workload running forever, watched by hypmem-top
#   make check      install missing packages, build, run every test, then the
#                   unit tests again under ASan+UBSan
#   make bench      speed and memory measurements (ratios, not assertions)
#   make install    PREFIX=/usr/local DESTDIR= (PYTHONDIR: the Python package)
#
# Variables: BUILD (output dir), SANITIZE=1, LAYOUT (EL2 hyp_page layout for
# demo: 8, 4 or 32), SEED, MEM, OPS (demo workload), CROSS (host tools for
# another arch, e.g. aarch64-linux-gnu-), STATIC=1.  CFLAGS, CPPFLAGS,
# LDFLAGS, LDLIBS: the user's, added after the project's (HYPMEM_*).

BUILD    ?= build
PREFIX   ?= /usr/local
# Where make install puts the Python package (Debian's layout for packages
# outside the distribution's own python3 modules).
PYTHONDIR ?= $(PREFIX)/lib/python3/dist-packages
DESTDIR  ?=
CROSS    ?=
EL2_CROSS ?= aarch64-linux-gnu-
LAYOUTS  := 8 4 32
LAYOUT   ?= 8
SEED     ?= 1
MEM      ?= 1024
OPS      ?= 20000

CC       := $(CROSS)gcc
AR       := $(CROSS)ar
# Cross builds (make CROSS=aarch64-linux-gnu- host) read the target's .pc
# files: $(CROSS)pkg-config if installed, else pkg-config limited to the
# Debian multiarch directory of the triplet (dpkg --add-architecture arm64;
# apt-get install libdw-dev:arm64 ...: see tests/install-deps.sh).
ifneq ($(CROSS),)
CROSS_TRIPLET := $(patsubst %-,%,$(notdir $(CROSS)))
PKG_CONFIG ?= $(or $(shell command -v $(CROSS)pkg-config 2>/dev/null),\
	PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS_TRIPLET)/pkgconfig:/usr/share/pkgconfig pkg-config)
endif
PKG_CONFIG ?= pkg-config
HOST_PKGS := libdw libelf json-c libkdumpfile ncursesw
# STATIC=1: Debian ships no static libkdumpfile, so a static build reads
# kdump-compressed dumps not at all (ELF cores, raw images, tracefs: yes).
ifneq ($(STATIC),)
HOST_PKGS := libdw libelf json-c ncursesw
endif

# One version number (VERSION), the git revision and the optional features,
# for --version: written to a header only when they change.
HYPMEM_VERSION := $(shell cat VERSION)
GIT_REV  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
FEATURES := $(if $(STATIC),-kdump-compressed,+kdump-compressed) +curses

# Project flags live in HYPMEM_*; CPPFLAGS, CFLAGS, LDFLAGS and LDLIBS are the
# user's (command line or environment) and come after them, so that
# "make CFLAGS=-O0" or "make CPPFLAGS=-DNDEBUG" adds to the project's flags
# (warnings, -Werror, the libraries' include paths) instead of replacing them.
# Library flags: LIB_PKGS for everything linking libhypmem, ncursesw only for
# hypmem-top (see cmd/build.mk).
LIB_PKGS := $(filter-out ncursesw,$(HOST_PKGS))
HYPMEM_CPPFLAGS := -Iinclude -D_GNU_SOURCE
HYPMEM_CFLAGS   := -std=gnu11 -O2 -g -Wall -Wextra -Werror -MMD -MP \
	    $(shell $(PKG_CONFIG) --cflags $(LIB_PKGS) 2>/dev/null)
HYPMEM_LDLIBS   := $(shell $(PKG_CONFIG) --libs $(LIB_PKGS) 2>/dev/null)
CURSES_CFLAGS   := $(shell $(PKG_CONFIG) --cflags ncursesw 2>/dev/null)
CURSES_LDLIBS   := $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null)
HYPMEM_LDFLAGS  :=
ifneq ($(SANITIZE),)
HYPMEM_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HYPMEM_LDFLAGS += -fsanitize=address,undefined
endif
ifneq ($(STATIC),)
HYPMEM_LDFLAGS += -static
HYPMEM_LDLIBS  := $(shell $(PKG_CONFIG) --static --libs $(LIB_PKGS) 2>/dev/null)
CURSES_LDLIBS  := $(shell $(PKG_CONFIG) --static --libs ncursesw 2>/dev/null)
endif
# What the rules use: the project's flags, then the user's.
ALL_CPPFLAGS = $(HYPMEM_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = $(HYPMEM_CFLAGS) $(CFLAGS)
ALL_LDFLAGS  = $(HYPMEM_LDFLAGS) $(LDFLAGS)
ALL_LDLIBS   = $(HYPMEM_LDLIBS) $(LDLIBS)

# No object is an intermediate to delete after linking: a second "make"
# finds them all and relinks nothing.
.SECONDARY:

.PHONY: all host deps check check-unit check-asan check-integration bench demo install clean format
all:
host:

include lib/hypmem/build.mk
include lib/el2/build.mk
include cmd/build.mk
include tests/build.mk

deps:
	@tests/install-deps.sh

# The demo: boot the EL2 image under QEMU, let its workload run, take an ELF
# and a kdump-compressed dump, and summarise the ELF one.
DEMO_DIR := $(BUILD)/demo
.PHONY: demo-run
demo: deps
	$(MAKE) demo-run

demo-run: all
	tests/qemu/hypmem-qemu --image $(BUILD)/el2/L$(LAYOUT)/el2.elf --out $(DEMO_DIR) \
		--mem $(MEM) --seed $(SEED) --ops $(OPS)
	@echo
	@echo '$$ hypmem-stat $(DEMO_DIR)/el2.elf $(DEMO_DIR)/vmcore'
	@$(BUILD)/hypmem-stat $(DEMO_DIR)/el2.elf $(DEMO_DIR)/vmcore

# The live demo: the EL2 workload runs forever in shared RAM, hypmem-top
# watches it (tests/qemu/demo-live.sh; q quits and stops QEMU).
.PHONY: demo-live demo-live-run
demo-live: deps
	$(MAKE) demo-live-run

demo-live-run: all
	tests/qemu/demo-live.sh $(BUILD) $(LAYOUT) $(SEED) $(MEM)

# install: what "host" builds (no EL2 images, so no cross compiler needed),
# the public header, the pkg-config file, man pages (their .TH line gets
# VERSION), completions and the Python package.
install: host $(HYPMEM_PC)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/hypmem $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man7 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(CMDS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(HYPMEM_LIB) $(DESTDIR)$(PREFIX)/lib/
ifneq ($(HYPMEM_SO_BUILT),)
	install -m 755 $(HYPMEM_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(notdir $(HYPMEM_SO)) $(DESTDIR)$(PREFIX)/lib/$(HYPMEM_SONAME)
	ln -sf $(HYPMEM_SONAME) $(DESTDIR)$(PREFIX)/lib/libhypmem.so
endif
	install -m 644 $(HYPMEM_PUBLIC_HEADERS) $(DESTDIR)$(PREFIX)/include/hypmem/
	for m in man/man[1-9]/*.[1-9]; do \
		sed -e '1,3s/"hypmem [0-9][0-9.]*"/"hypmem $(HYPMEM_VERSION)"/' $$m \
			> $(DESTDIR)$(PREFIX)/share/man/$${m#man/} || exit 1; \
	done
	for c in $(notdir $(CMDS)); do \
		install -m 644 completions/bash/hypmem $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$c; \
	done
	install -m 644 completions/zsh/_hypmem $(DESTDIR)$(PREFIX)/share/zsh/site-functions/
	for c in $(notdir $(CMDS)); do \
		install -m 644 completions/fish/hypmem.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$c.fish; \
	done
	install -m 644 $(HYPMEM_PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/hypmem.pc
	install -d $(DESTDIR)$(PYTHONDIR)/hypmem
	install -m 644 python/hypmem/*.py $(DESTDIR)$(PYTHONDIR)/hypmem/
	printf '# Written by make install: where libhypmem.so.0 was installed.\nLIBDIR = "%s"\n' \
		'$(PREFIX)/lib' > $(DESTDIR)$(PYTHONDIR)/hypmem/_paths.py

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^tests/corpus/')

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
