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

# website.xen: configs/website.cfg frozen for Xen with NET=direct (net.direct,
# lwIP over netif.xen) at 10.0.0.2/24, its files crunched in (the config's
# when.target.xen), its console console.xen with lines stamped with the
# guest's uptime;
# website-dhcp.xen: the same without IPV4, so it asks dom0's udhcpd (the vif
# line has no ip=: vif-route.sh starts one).  website-client.sh fetches from
# dom0 and checks the files' sha256; freeze's size report goes to NAME.size.
XEN_WEBSITES := $(BUILD)/xen-testbed/website.xen $(BUILD)/xen-testbed/website-dhcp.xen
HTDOCS := apps/website/htdocs
$(XEN_WEBSITES): $(BUILD)/xen-testbed/website%.xen: configs/website.cfg tests/xen/website-client.sh all
	@mkdir -p $(@D)
	NET=direct $(if $*,,IPV4=10.0.0.2/24) $(BUILD)/bin/mirage-freeze -v configs/website.cfg \
		--target xen --set devices.console.impl=console.xen \
		--set devices.console.uptime=true -o $@ >$(@:.xen=.size)
	{ echo "ADDR=$(if $*,10.0.0.50,10.0.0.2)"; \
	  echo "SUM_INDEX=$$(sha256sum $(HTDOCS)/index.html | cut -d' ' -f1)"; \
	  echo "SUM_1M=$$(sha256sum $(HTDOCS)/files/1m.txt | cut -d' ' -f1)"; \
	  cat tests/xen/website-client.sh; } >$(@:.xen=.client.sh)
	echo "# testbed: client $(notdir $(@:.xen=.client.sh))" >>$@.xl
XEN_GUEST_IMAGES += $(XEN_WEBSITES)

# Disks: block.xen (blkfront) over dom0's blkback, the image on a loop
# device that tests/xen/block-loop.sh (the `script=block-loop` of freeze's
# disk line) sets up; each image goes to dom0's /guests by the .xl's
# "testbed: file" line, as the path freeze wrote in the disk line says.
# kvdisk.xen: kvcat over kvro.tar over block.xen (tests/xen/fixtures/
# kvdisk.cfg) prints a ustar archive of apps/kvcat/sample;
# website-disk.xen: configs/website-disk.cfg frozen for Xen, the site read
# from $(BUILD)/site.tar and served over netfront at 10.0.0.2, checked by
# website-client.sh as website.xen is.
XEN_KVDISK := $(BUILD)/xen-testbed/kvdisk.xen
$(XEN_KVDISK): tests/xen/fixtures/kvdisk.cfg all
	@mkdir -p $(@D)
	tar --format=ustar -cf $(@D)/kv-sample.tar -C apps/kvcat/sample .
	DISK=/guests/kv-sample.tar $(BUILD)/bin/mirage-freeze -q -v $< --plugin-path $(BUILD)/plugins \
		--target xen -o $@
	echo "# testbed: file kv-sample.tar" >>$@.xl
XEN_GUEST_IMAGES += $(XEN_KVDISK)

XEN_WEBDISK := $(BUILD)/xen-testbed/website-disk.xen
$(XEN_WEBDISK): configs/website-disk.cfg tests/xen/website-client.sh all
	@mkdir -p $(@D)
	cp $(BUILD)/site.tar $(@D)/site.tar
	SITE_TAR=/guests/site.tar IPV4=10.0.0.2/24 $(BUILD)/bin/mirage-freeze -v $< --target xen \
		--set devices.console.uptime=true -o $@ >$(@:.xen=.size)
	{ echo "ADDR=10.0.0.2"; \
	  for f in index.html:INDEX files/1m.txt:1M; do \
	    echo "SUM_$${f#*:}=$$(tar -xOf $(BUILD)/site.tar ./$${f%:*} | sha256sum | cut -d' ' -f1)"; done; \
	  cat tests/xen/website-client.sh; } >$(@:.xen=.client.sh)
	printf '# testbed: client %s\n# testbed: file site.tar\n' $(notdir $(@:.xen=.client.sh)) >>$@.xl
XEN_GUEST_IMAGES += $(XEN_WEBDISK)

# blkrw.xen: a writable disk (a 2 MiB file, access=rw): the blkrw job
# (tests/xen/fixtures/blkrw) writes 1.5 MiB, more than the bounce pages
# hold (-EAGAIN, then on), flushes, reads it back.
XEN_BLKRW := $(BUILD)/xen-testbed/blkrw.xen
$(XEN_BLKRW): tests/xen/fixtures/blkrw.cfg all $(BUILD)/plugins/blkrw.xen.o
	@mkdir -p $(@D)
	rm -f $(@D)/rw.img && truncate -s 2M $(@D)/rw.img
	DISK=/guests/rw.img $(BUILD)/bin/mirage-freeze -q -v $< --plugin-path $(BUILD)/plugins \
		--target xen -o $@
	echo "# testbed: file rw.img" >>$@.xl
XEN_GUEST_IMAGES += $(XEN_BLKRW)

# kvdisk2.xen: two disks, kvcat over the second (block.xen index 1, xvdb:
# the sample archive); the first is the site's archive.
XEN_KVDISK2 := $(BUILD)/xen-testbed/kvdisk2.xen
$(XEN_KVDISK2): tests/xen/fixtures/kvdisk2.cfg $(XEN_KVDISK) $(XEN_WEBDISK)
	DISK0=/guests/site.tar DISK=/guests/kv-sample.tar $(BUILD)/bin/mirage-freeze -q -v $< \
		--plugin-path $(BUILD)/plugins --target xen -o $@
	printf '# testbed: file %s\n' site.tar kv-sample.tar >>$@.xl
XEN_GUEST_IMAGES += $(XEN_KVDISK2)

# website-tls.xen: configs/website-tls.cfg frozen for Xen (its
# when.target.xen: tls.bearssl over net.direct/netif.xen at 10.0.0.2/24,
# plain HTTP beside it, the test certificate of $(BUILD)/tls-xen crunched in
# as kvro.crunch.tlscert).  website-tls-client.sh fetches over HTTPS from dom0
# with openssl s_client, trusting that certificate (put into the client);
# freeze's size report goes to website-tls.size.
XEN_WEBSITE_TLS := $(BUILD)/xen-testbed/website-tls.xen
$(XEN_WEBSITE_TLS): configs/website-tls.cfg tests/xen/website-tls-client.sh all
	@mkdir -p $(@D)
	IPV4=10.0.0.2/24 $(BUILD)/bin/mirage-freeze -v configs/website-tls.cfg --target xen \
		--set devices.console.uptime=true -o $@ >$(@:.xen=.size)
	{ echo "ADDR=10.0.0.2"; \
	  echo "SUM_INDEX=$$(sha256sum $(HTDOCS)/index.html | cut -d' ' -f1)"; \
	  echo "SUM_1M=$$(sha256sum $(HTDOCS)/files/1m.txt | cut -d' ' -f1)"; \
	  echo "CA='$$(cat $(BUILD)/tls-xen/server.pem)'"; \
	  cat tests/xen/website-tls-client.sh; } >$(@:.xen=.client.sh)
	echo "# testbed: client $(notdir $(@:.xen=.client.sh))" >>$@.xl
XEN_GUEST_IMAGES += $(XEN_WEBSITE_TLS)
