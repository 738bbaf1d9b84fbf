# console.unix: lines on a terminal or into a file
$(call mg_plugin,console.unix,unix,console.c)
