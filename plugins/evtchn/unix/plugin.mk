# evtchn.unix: Xen event channels from a Linux domain (libxenevtchn)
$(call mg_plugin,evtchn.unix,unix,evtchn.c,-lxenevtchn)
