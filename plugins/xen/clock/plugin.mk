# clock.xen: the PV clock (the TSC and CMOS without Xen)
$(call mg_plugin,clock.xen,xen,clock.c)
