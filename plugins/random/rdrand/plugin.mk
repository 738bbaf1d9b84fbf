# random.rdrand: the CPU's RDRAND (x86), the Xen image's default random
$(call mg_plugin,random.rdrand,unix xen,rdrand.c)
