# clock.unix: clock_gettime
$(call mg_plugin,clock.unix,unix,clock.c)
