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

# pong.xen: netfront (netif.xen) under a job that answers ARP and ping itself
# (tests/xen/fixtures/pong); freeze's .xl gives it its vif, dom0 pings it
# (pong-client.sh, run through the "testbed: client" line) and then stops it.
XEN_PONG := $(BUILD)/xen-testbed/pong.xen
$(XEN_PONG): tests/xen/fixtures/pong.cfg tests/xen/pong-client.sh all
	@mkdir -p $(@D)
	$(BUILD)/bin/mirage-freeze -q -v $< --plugin-path $(BUILD)/plugins --target xen -o $@
	cp tests/xen/pong-client.sh $(@D)/pong.client.sh
	echo "# testbed: client pong.client.sh" >>$@.xl
XEN_GUEST_IMAGES += $(XEN_PONG)
