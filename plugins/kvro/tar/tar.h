/* tar.h - kvro.tar's instance, shared by its connect-time scan (scan.c),
 * its reads (read.c) and its ops (tar.c). */
#ifndef MIRAGE_KVRO_TAR_H
#define MIRAGE_KVRO_TAR_H

#include "mirage/block.h"
#include "mirage/host.h"
#include "mirage/kv_ro.h"

#include "index.h"

struct tar_scan;
struct tar_read;

struct tar {
	struct mg_kv_ro kv;
	const struct mg_env *env;
	struct mg_block *disk;
	struct mg_block_info info;
	uint64_t disk_bytes;
	struct tar_index index;  /* complete once the scan is done */
	struct tar_scan *scan;   /* while connecting */
	struct mg_timer *report; /* then, until the host hears how it went */
	int status;
	struct tar_read *reads;  /* in flight */
	uint64_t cache_left;     /* bytes values may still keep in memory */
	unsigned char *edge;     /* a sector, for reads at once that start or end inside one */
};

/* Values up to this size are kept once read whole, while cache_left lasts:
 * the archive does not change while it is served. */
#define TAR_CACHE_VALUE (64u << 10)

/* Starts reading the archive's headers; host->connected follows. */
int tar_scan_start(struct tar *t);
/* Stops a scan in progress (a disconnect before it finished). */
void tar_scan_stop(struct tar *t);

/* kv_ro read: 0 when started, or a negative errno. */
int tar_read_start(struct tar *t, struct tar_entry *e, uint64_t offset, void *buf,
		   size_t len, mg_kv_read_cb cb, void *arg);
void tar_read_cancel(struct tar *t, mg_kv_read_cb cb, void *arg);
/* kv_ro read at once, through the disk's read_nowait (block 1.2): 0, or
 * -EAGAIN when the disk would have to wait (or cannot tell). */
int tar_read_nowait(struct tar *t, struct tar_entry *e, uint64_t offset, void *buf, size_t len);
/* get_partial through the disk's read_sync; -EIO without it. */
int tar_read_sync(struct tar *t, const struct tar_entry *e, uint64_t offset, void *buf,
		  size_t len);

#endif
