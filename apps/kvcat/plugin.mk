# kvcat: prints every file of a kv_ro
$(call mg_plugin,kvcat,unix xen,kvcat.c)
