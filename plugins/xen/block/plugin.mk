# block.xen: a block device over a Xen blkfront (device/vbd/N)
$(call mg_plugin,block.xen,xen,blkfront.c io.c queue.c)
