# guests.mk - testbed guests made for one test each, included by the Makefile.
# forever.xen: configs/hello.cfg greeting a million times, one a second, -v
# (the runtime's info lines, "stopping" among them): dom0 stops it with
# `xl shutdown` (the "testbed: shutdown after N" line of its .xl).
XEN_FOREVER := $(BUILD)/xen-testbed/forever.xen
$(XEN_FOREVER): configs/hello.cfg tests/xen/forever.xl all
	@mkdir -p $(@D)
	$(BUILD)/bin/mirage-freeze -q -v $< --target xen --set devices.main.count=1000000 \
		--set devices.main.interval_ms=1000 -o $@
	cp tests/xen/forever.xl $(@:.xen=.xl)
	cp tests/xen/forever.xl $@.xl
XEN_GUEST_IMAGES += $(XEN_FOREVER)
