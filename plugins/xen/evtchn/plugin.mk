# xen.evtchn: event channels of the image's own domain
$(call mg_plugin,xen.evtchn,xen,evtchn.c)
