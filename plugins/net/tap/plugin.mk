# netif.tap: Ethernet frames over a Linux tap device (/dev/net/tun)
$(call mg_plugin,netif.tap,unix,tap.c)
