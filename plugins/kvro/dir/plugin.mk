# kvro.dir: a folder of files, nothing outside it
$(call mg_plugin,kvro.dir,unix,dir.c lookup.c cache.c)
