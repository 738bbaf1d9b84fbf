# console.xen: the PV console ring (serial port without Xen)
$(call mg_plugin,console.xen,xen,console.c)
