# kvro.tar: a tar archive on a block device (portable)
$(call mg_plugin,kvro.tar,unix xen,tar.c scan.c read.c index.c header.c)
