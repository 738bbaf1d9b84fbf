# block.file: a file or a Unix block device, asynchronous through io_uring
$(call mg_plugin,block.file,unix,file.c,-luring)
