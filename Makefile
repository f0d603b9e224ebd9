# SPDX-License-Identifier: GPL-2.0-only
#
# hypmem: top-level build.  Each directory contributes a fragment (build.mk);
# this file holds the flags and the user-facing targets.
#
#   make            build the host library, the commands and the EL2 images
#   make demo       install missing packages, boot the EL2 image, dump, decode
#   make check      install missing packages, build, run every test, then the
#                   unit tests again under ASan+UBSan
#   make bench      speed and memory measurements (ratios, not assertions)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Variables: BUILD (output dir), SANITIZE=1, LAYOUT (EL2 hyp_page layout for
# demo: 8, 4 or 32), SEED, MEM, OPS (demo workload), CROSS (host tools for
# another arch, e.g. aarch64-linux-gnu-), STATIC=1.

BUILD    ?= build
PREFIX   ?= /usr/local
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
PKG_CONFIG ?= pkg-config
HOST_PKGS := libdw libelf json-c libkdumpfile ncursesw

CPPFLAGS := -Iinclude -D_GNU_SOURCE
CFLAGS   := -std=gnu11 -O2 -g -Wall -Wextra -Werror -MMD -MP \
	    $(shell $(PKG_CONFIG) --cflags $(HOST_PKGS) 2>/dev/null)
LDLIBS   := $(shell $(PKG_CONFIG) --libs $(HOST_PKGS) 2>/dev/null)
LDFLAGS  :=
ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
ifneq ($(STATIC),)
LDFLAGS += -static
LDLIBS  := $(shell $(PKG_CONFIG) --static --libs $(HOST_PKGS) 2>/dev/null)
endif

.PHONY: all deps check check-unit check-asan check-integration bench demo install clean format
all:

include lib/hypmem/build.mk
include lib/el2/build.mk
include cmd/build.mk
include tests/build.mk

deps:
	@tests/install-deps.sh

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^tests/corpus/')

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
