# xen.xenstore: the domain's xenstore keys as a kv_ro
$(call mg_plugin,xen.xenstore,xen,xenstore.c)
