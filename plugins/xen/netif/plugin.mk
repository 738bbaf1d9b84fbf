# netif.xen: network over a Xen netfront (device/vif/N)
$(call mg_plugin,netif.xen,xen,netif.c rings.c)
