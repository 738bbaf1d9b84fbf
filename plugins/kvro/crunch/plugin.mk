# kvro.crunch*: files compiled into the plugin by mirage-crunch (a table
# laid out as crunch.h says).  $(call crunch_plugin,NAME,FOLDER[,FILES]):
# FILES, when the folder is made by the build, are what it depends on.
$(BUILD)/obj/plugins/mirage-crunch.o: plugins/kvro/crunch/mirage-crunch.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -c -o $@ $<
$(BUILD)/bin/mirage-crunch: $(BUILD)/obj/plugins/mirage-crunch.o
	@mkdir -p $(@D)
	$(CC) -o $@ $^ -lcrypto $(LDFLAGS_SAN)
define crunch_plugin
$$(BUILD)/gen/$1.c: $$(BUILD)/bin/mirage-crunch $(if $3,$3,$$(shell find $2))
	@mkdir -p $$(@D)
	$$(BUILD)/bin/mirage-crunch --name $1 -o $$@ $2
$$(call mg_plugin,$1,unix xen,crunch.c $$(BUILD)/gen/$1.c,,-Iplugins/kvro/crunch)
endef
$(eval $(call crunch_plugin,kvro.crunch,apps/kvcat/sample))
$(eval $(call crunch_plugin,kvro.crunch.htdocs,apps/website/htdocs))
# a test certificate and its key, made at build time (never committed), for
# configs/website-tls.cfg's Xen image (tls.bearssl reads them from it)
$(BUILD)/tls-xen/server.pem: scripts/tls-cert.sh
	bash scripts/tls-cert.sh $(@D)
$(eval $(call crunch_plugin,kvro.crunch.tlscert,$(BUILD)/tls-xen,$(BUILD)/tls-xen/server.pem))
