/* blkfront.h - block.xen's parts: the xenbus handshake (blkfront.c) and
 * the rings, grants, event channel and the block ops (io.c). */
#ifndef BLKFRONT_H
#define BLKFRONT_H

#include "mirage/evtchn.h"
#include "mirage/host.h"
#include "mgx.h"

#include "queue.h"

struct blkfront {
	struct mg_block blk;
	const struct mg_env *env;
	struct mg_evtchn *evt;
	unsigned index;     /* of the domain's disks, by vbd number */
	unsigned vdev;      /* device/vbd/N */
	char front[32];
	char *back;         /* the backend's absolute path */
	uint16_t backend_id;
	int phase;          /* enum in blkfront.c */
	unsigned reads;     /* the keys read so far */
	int said_state;     /* we wrote our state: disconnect says Closed */
	struct mgx_xs_watch *watch;
	struct bq_geom geom;
	unsigned info;      /* the backend's `info` bits */

	/* io.c */
	uint32_t port;      /* 0: none */
	void *ring_page, *pool, *ind;
	uint32_t ring_ref, *pool_refs, *ind_refs;
	unsigned npool;
	struct mg_timer *later; /* bq_deliver from the loop */
	uint64_t sync_waits;    /* SCHEDOP_poll calls of read_sync */
	struct bq *q;
};

/* The ring, the bounce pages granted to the backend, the event channel.
 * 0, or a negative errno after a log line; bf_io_free undoes it. */
int bf_io_setup(struct blkfront *bf);
/* Indirect pages when the backend takes them, then the queue starts. */
int bf_io_start(struct blkfront *bf);
/* The backend went away: what is out fails with -EIO. */
void bf_io_lost(struct blkfront *bf);
/* Everything bf_io_setup took: the port closed, grants ended (or left to
 * the platform while the backend maps them), the pages freed.  Returns
 * how many grants were left so. */
unsigned bf_io_free(struct blkfront *bf);
extern const struct mg_block_ops bf_ops;

#endif
