# fixtures.mk - Xen images that fault on purpose, included by the Makefile.
# tests/xen/qemu.sh boots them without Xen, test-xen on Xen (guests.list).
include tests/xen/fixtures/xenfault/plugin.mk
include tests/xen/fixtures/pong/plugin.mk
include tests/xen/fixtures/blkrw/plugin.mk

XEN_FAULT_IMAGES := $(BUILD)/nullderef.xen $(BUILD)/overflow.xen
$(XEN_FAULT_IMAGES): $(BUILD)/%.xen: tests/xen/fixtures/%.cfg all
	$(BUILD)/bin/mirage-freeze -q $< --plugin-path $(BUILD)/plugins --target xen -o $@
XEN_GUEST_IMAGES += $(XEN_FAULT_IMAGES)
