# time.loop: timers on the host's event loop, every target
$(call mg_plugin,time.loop,unix xen,time.c)
