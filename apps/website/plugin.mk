# website: the seed's website over a kv_ro and an http server
$(call mg_plugin,website,unix xen,website.c site.c)
