# hello: the seed's first unikernel
$(call mg_plugin,hello,unix xen,hello.c)
