# random.rdrand: the random type from the CPU's RDSEED/RDRAND (Xen images)
$(call mg_plugin,random.rdrand,xen,rdrand.c)
