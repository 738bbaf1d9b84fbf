/* queue.h - block.xen's request queue: a caller's read, write or flush
 * split into blkif requests over pre-granted bounce pages, their responses
 * collected, the callbacks delivered from the loop.  It makes no Xen call:
 * the owner hands it the ring page, the pages with their grant refs, and
 * hooks that ring the backend and ask to be called back soon, so a unit
 * test drives it against a fake backend (tests/unit/test_blkq.c). */
#ifndef BLKQ_H
#define BLKQ_H

#include "mirage/block.h"

#include "blkif.h"

#define BQ_SLOTS BLKIF_RING_SIZE      /* requests on the ring; one part each */
#define BQ_OPS (2 * BQ_SLOTS)         /* callers' ops out or awaiting their callback */
#define BQ_MAX_SEGS BLKIF_SEGS_PER_PAGE /* a request's segments: one indirect page */
#define BQ_MAX_POOL 4096u             /* bounce pages at most (16 MiB) */

/* What the backend said when it connected. */
struct bq_geom {
	uint32_t sector_size;   /* bytes, a power of two >= 512 */
	uint64_t sectors512;    /* the disk's size in 512-byte sectors */
	int writable;
	int flush;              /* feature-flush-cache */
	unsigned indirect_segs; /* feature-max-indirect-segments, 0: none */
};

struct bq_hooks {
	void (*notify)(void *arg); /* requests were pushed that the backend must see */
	void (*later)(void *arg);  /* call bq_deliver soon, from the loop */
	void *arg;
};

struct bq_op {
	mg_block_cb cb;     /* NULL: cancelled */
	void *arg;
	char *buf;          /* a read's destination */
	unsigned parts;     /* its requests still on the ring */
	int err;
	int used;
	struct bq_op *next; /* on the done list */
};

/* One request on the ring (its id is its index). */
struct bq_part {
	struct bq_op *op;   /* NULL: free */
	size_t at, len;     /* its bytes in the op's buffer */
	unsigned npages;
	uint16_t page[BQ_MAX_SEGS]; /* pool pages it holds */
};

struct bq_stats {
	uint64_t reads, writes, flushes, bytes_read, bytes_written;
	uint64_t requests, indirect, errors, eagain;
};

struct bq {
	struct blkif_sring *sring;
	uint32_t req_prod_pvt, rsp_cons;
	struct bq_hooks hooks;
	uint16_t handle;
	int running;
	struct bq_geom g;
	unsigned seg_max;   /* segments per request */
	uint32_t max_count; /* the block type's info */
	char *pool;         /* npool bounce pages */
	const uint32_t *pool_refs;
	unsigned npool, nfree;
	uint16_t free_pages[BQ_MAX_POOL];
	char *ind;          /* one indirect page per part (NULL: direct only) */
	const uint32_t *ind_refs;
	struct bq_part parts[BQ_SLOTS];
	uint8_t free_parts[BQ_SLOTS];
	unsigned nfree_parts; /* = free ring slots: a slot is freed with its part */
	struct bq_op ops[BQ_OPS];
	struct bq_op *done, *done_tail;
	struct bq_stats st;
};

/* Lays out an empty shared ring in page (before its ref is published). */
void bq_ring_init(struct bq *q, void *page, const struct bq_hooks *hooks, uint16_t handle);
/* Takes the backend's geometry and the bounce pages (npool >= 1, and their
 * refs; ind/ind_refs: BQ_SLOTS pages for indirect requests, or NULL), and
 * starts taking I/O.  0, or -EINVAL for a geometry this driver cannot use. */
int bq_configure(struct bq *q, const struct bq_geom *g, void *pool, const uint32_t *pool_refs,
		 unsigned npool, void *ind, const uint32_t *ind_refs);
void bq_info(const struct bq *q, struct mg_block_info *out);

/* The block type's read (wbuf NULL), write (rbuf NULL) and flush (op
 * BLKIF_OP_FLUSH_DISKCACHE, count 0), with its contract: 0 and cb later,
 * or -EINVAL, -EROFS, -EAGAIN (no free ring slot, bounce page or op: only
 * while others are out), -EIO (not running). */
int bq_submit(struct bq *q, int op, uint64_t sector, void *rbuf, const void *wbuf,
	      uint32_t count, mg_block_cb cb, void *arg);
/* Takes every response the backend produced, asking it for an event on
 * the next one; finished ops wait for bq_deliver.  Returns how many. */
unsigned bq_reap(struct bq *q);
/* Calls the callbacks of finished ops, oldest first. */
void bq_deliver(struct bq *q);
/* The block type's cancel: those ops' callbacks never run. */
void bq_cancel(struct bq *q, mg_block_cb cb, void *arg);
/* Takes the finished op of cb and arg off the done list, its status in
 * *err, without calling cb: 1, or 0 when it has not finished. */
int bq_take(struct bq *q, mg_block_cb cb, void *arg, int *err);
/* The backend went away: every op out finishes with err, nothing more is
 * taken, and the pages it held are not reused. */
void bq_fail_all(struct bq *q, int err);
/* Ring requests out. */
unsigned bq_inflight(const struct bq *q);

#endif
