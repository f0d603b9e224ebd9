# SPDX-License-Identifier: GPL-2.0-only
# el2_trace links libtraceevent: its kbuffer parser is the independent
# decoder the ring-buffer tests compare against.
TRACEEVENT_CFLAGS := $(shell $(PKG_CONFIG) --cflags libtraceevent 2>/dev/null)
TRACEEVENT_LIBS   := $(shell $(PKG_CONFIG) --libs libtraceevent 2>/dev/null)
$(foreach l,$(LAYOUTS),$(BUILD)/tests/unit/el2_trace-L$(l).o): HYPMEM_CFLAGS += $(TRACEEVENT_CFLAGS)
$(foreach l,$(LAYOUTS),$(BUILD)/tests/unit/el2_trace-L$(l)): HYPMEM_LDLIBS += $(TRACEEVENT_LIBS)
