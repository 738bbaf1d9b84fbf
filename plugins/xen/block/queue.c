/* queue.c - block.xen's requests on the blkif ring (queue.h).  An op of n
 * bounce pages becomes ceil(n / seg_max) requests: direct ones (11
 * segments) or, when the backend takes them, indirect ones whose segments
 * sit in a page of their own.  An op starts whole or not at all (-EAGAIN),
 * so its pages and ring slots are all taken at once. */
#include <errno.h>
#include <string.h>

#include "queue.h"

/* x86 orders stores after stores and loads after loads: only the full
 * barrier (a store then a load of the other side's index) needs a fence. */
#define mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb() __atomic_signal_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_signal_fence(__ATOMIC_RELEASE)

static char *pool_page(const struct bq *q, unsigned i)
{
	return q->pool + (size_t)i * BLKIF_PAGE;
}

void bq_ring_init(struct bq *q, void *page, const struct bq_hooks *hooks, uint16_t handle)
{
	memset(q, 0, sizeof *q);
	q->sring = page;
	memset(q->sring, 0, BLKIF_PAGE);
	q->sring->req_event = q->sring->rsp_event = 1;
	q->hooks = *hooks;
	q->handle = handle;
	for (unsigned i = 0; i < BQ_SLOTS; i++)
		q->free_parts[q->nfree_parts++] = (uint8_t)(BQ_SLOTS - 1 - i);
}

int bq_configure(struct bq *q, const struct bq_geom *g, void *pool, const uint32_t *pool_refs,
		 unsigned npool, void *ind, const uint32_t *ind_refs)
{
	unsigned segs = BLKIF_SEGS_DIRECT, pages;

	if (g->sector_size < BLKIF_SECTOR || (g->sector_size & (g->sector_size - 1)) ||
	    !npool || npool > BQ_MAX_POOL || (uint64_t)npool * BLKIF_PAGE < g->sector_size)
		return -EINVAL;
	if (ind && g->indirect_segs > BLKIF_SEGS_DIRECT)
		segs = g->indirect_segs < BQ_MAX_SEGS ? g->indirect_segs : BQ_MAX_SEGS;
	q->g = *g;
	q->seg_max = segs < npool ? segs : npool;
	q->ind = segs > BLKIF_SEGS_DIRECT ? ind : NULL;
	q->ind_refs = ind_refs;
	q->pool = pool;
	q->pool_refs = pool_refs;
	q->npool = npool;
	q->nfree = 0;
	for (unsigned i = 0; i < npool; i++)
		q->free_pages[q->nfree++] = (uint16_t)(npool - 1 - i);
	/* an op must fit an idle queue: its pages in the pool, its requests
	 * on the ring */
	pages = BQ_SLOTS * q->seg_max < npool ? BQ_SLOTS * q->seg_max : npool;
	q->max_count = (uint32_t)((uint64_t)pages * BLKIF_PAGE / g->sector_size);
	q->running = 1;
	return 0;
}

void bq_info(const struct bq *q, struct mg_block_info *out)
{
	*out = (struct mg_block_info){ .sector_size = q->g.sector_size, .max_count = q->max_count,
				       .sectors = q->g.sectors512 / (q->g.sector_size / BLKIF_SECTOR),
				       .writable = q->g.writable };
}

unsigned bq_inflight(const struct bq *q)
{
	return BQ_SLOTS - q->nfree_parts;
}

static struct bq_op *op_alloc(struct bq *q)
{
	for (unsigned i = 0; i < BQ_OPS; i++)
		if (!q->ops[i].used)
			return &q->ops[i];
	return NULL;
}

static void op_done(struct bq *q, struct bq_op *op)
{
	if (!op->cb) {
		op->used = 0; /* cancelled: nobody to tell */
		return;
	}
	op->next = NULL;
	if (q->done_tail)
		q->done_tail->next = op;
	else
		q->done = op;
	q->done_tail = op;
}

/* Fills ring entry of part p: len bytes of its pages from 512-sector s. */
static void fill(struct bq *q, unsigned p, int op, uint64_t s)
{
	struct bq_part *part = &q->parts[p];
	union blkif_entry *e = &q->sring->ring[q->req_prod_pvt % BQ_SLOTS];
	struct blkif_seg *seg = e->req.seg;

	memset(e, 0, sizeof *e);
	if (part->npages > BLKIF_SEGS_DIRECT) {
		seg = (struct blkif_seg *)(q->ind + (size_t)p * BLKIF_PAGE);
		e->ind = (struct blkif_req_indirect){ .op = BLKIF_OP_INDIRECT, .indirect_op = (uint8_t)op,
						      .nr_segs = (uint16_t)part->npages, .id = p,
						      .sector = s, .handle = q->handle };
		e->ind.grefs[0] = q->ind_refs[p];
		q->st.indirect++;
	} else {
		e->req = (struct blkif_req){ .op = (uint8_t)op, .nr_segs = (uint8_t)part->npages,
					     .handle = q->handle, .id = p, .sector = s };
	}
	for (unsigned i = 0; i < part->npages; i++) {
		size_t left = part->len - (size_t)i * BLKIF_PAGE;
		size_t n = left < BLKIF_PAGE ? left : BLKIF_PAGE;

		seg[i] = (struct blkif_seg){ .gref = q->pool_refs[part->page[i]], .first_sect = 0,
					     .last_sect = (uint8_t)(n / BLKIF_SECTOR - 1) };
	}
	q->req_prod_pvt++;
	q->st.requests++;
}

static void push(struct bq *q)
{
	uint32_t old = q->sring->req_prod, now = q->req_prod_pvt;

	wmb(); /* the requests before the index that announces them */
	q->sring->req_prod = now;
	mb();  /* the index before reading the backend's req_event */
	if ((uint32_t)(now - q->sring->req_event) < (uint32_t)(now - old))
		q->hooks.notify(q->hooks.arg);
}

static int check(const struct bq *q, int op, uint64_t sector, uint32_t count)
{
	uint64_t sectors = q->g.sectors512 / (q->g.sector_size / BLKIF_SECTOR);

	if (!q->running)
		return -EIO;
	if (op != BLKIF_OP_READ && !q->g.writable)
		return -EROFS;
	if (op == BLKIF_OP_FLUSH_DISKCACHE)
		return 0;
	if (count == 0 || count > q->max_count || sector > sectors || count > sectors - sector)
		return -EINVAL;
	return 0;
}

int bq_submit(struct bq *q, int op, uint64_t sector, void *rbuf, const void *wbuf,
	      uint32_t count, mg_block_cb cb, void *arg)
{
	size_t bytes = (size_t)count * q->g.sector_size;
	unsigned npages = (unsigned)((bytes + BLKIF_PAGE - 1) / BLKIF_PAGE);
	unsigned nparts = op == BLKIF_OP_FLUSH_DISKCACHE ? 1 : (npages + q->seg_max - 1) / q->seg_max;
	uint64_t s = sector * (q->g.sector_size / BLKIF_SECTOR);
	struct bq_op *o;
	int rc = check(q, op, sector, count);

	if (rc < 0)
		return rc;
	if (op == BLKIF_OP_FLUSH_DISKCACHE && !q->g.flush)
		nparts = 0; /* no write cache: done at once, from the loop */
	if (!(o = op_alloc(q)) || q->nfree_parts < nparts || q->nfree < npages) {
		q->st.eagain++;
		return -EAGAIN;
	}
	*o = (struct bq_op){ .cb = cb, .arg = arg, .buf = rbuf, .parts = nparts, .used = 1 };
	if (op == BLKIF_OP_READ)
		q->st.reads++, q->st.bytes_read += bytes;
	else if (op == BLKIF_OP_WRITE)
		q->st.writes++, q->st.bytes_written += bytes;
	else
		q->st.flushes++;
	if (!nparts) {
		op_done(q, o);
		q->hooks.later(q->hooks.arg);
		return 0;
	}
	for (unsigned k = 0, page = 0; k < nparts; k++) {
		unsigned p = q->free_parts[--q->nfree_parts];
		struct bq_part *part = &q->parts[p];
		unsigned n = npages - page < q->seg_max ? npages - page : q->seg_max;

		part->op = o;
		part->at = (size_t)page * BLKIF_PAGE;
		part->len = op == BLKIF_OP_FLUSH_DISKCACHE ? 0
			    : (bytes - part->at < (size_t)n * BLKIF_PAGE ? bytes - part->at
									  : (size_t)n * BLKIF_PAGE);
		part->npages = op == BLKIF_OP_FLUSH_DISKCACHE ? 0 : n;
		for (unsigned i = 0; i < part->npages; i++)
			part->page[i] = q->free_pages[--q->nfree];
		if (wbuf)
			for (unsigned i = 0; i < part->npages; i++) {
				size_t off = (size_t)i * BLKIF_PAGE, left = part->len - off;

				memcpy(pool_page(q, part->page[i]), (const char *)wbuf + part->at + off,
				       left < BLKIF_PAGE ? left : BLKIF_PAGE);
			}
		fill(q, p, op, op == BLKIF_OP_FLUSH_DISKCACHE ? 0 : s + part->at / BLKIF_SECTOR);
		page += part->npages;
	}
	push(q);
	return 0;
}

/* Response for part p: a read's bytes to the caller, pages back. */
static void finish_part(struct bq *q, unsigned p, int16_t status)
{
	struct bq_part *part = &q->parts[p];
	struct bq_op *o = part->op;

	if (status != BLKIF_RSP_OKAY) {
		o->err = -EIO;
		q->st.errors++;
	} else if (o->cb && o->buf) {
		for (unsigned i = 0; i < part->npages; i++) {
			size_t off = (size_t)i * BLKIF_PAGE, left = part->len - off;

			memcpy(o->buf + part->at + off, pool_page(q, part->page[i]),
			       left < BLKIF_PAGE ? left : BLKIF_PAGE);
		}
	}
	for (unsigned i = part->npages; i-- > 0;)
		q->free_pages[q->nfree++] = part->page[i];
	part->op = NULL;
	q->free_parts[q->nfree_parts++] = (uint8_t)p;
	if (--o->parts == 0)
		op_done(q, o);
}

unsigned bq_reap(struct bq *q)
{
	unsigned n = 0;
	uint32_t prod;

	if (!q->running)
		return 0;
	do {
		prod = q->sring->rsp_prod;
		rmb(); /* the responses after the index that announced them */
		for (; q->rsp_cons != prod; q->rsp_cons++, n++) {
			const struct blkif_rsp *r = &q->sring->ring[q->rsp_cons % BQ_SLOTS].rsp;
			uint64_t id = r->id;

			if (id < BQ_SLOTS && q->parts[id].op)
				finish_part(q, (unsigned)id, r->status);
			else
				q->st.errors++; /* not a request of ours: a broken backend */
		}
		q->sring->rsp_event = q->rsp_cons + 1;
		mb(); /* the event index before the last look at rsp_prod */
	} while (q->sring->rsp_prod != q->rsp_cons);
	return n;
}

void bq_deliver(struct bq *q)
{
	struct bq_op *o;

	while ((o = q->done)) {
		mg_block_cb cb = o->cb;
		void *arg = o->arg;
		int err = o->err;

		if (!(q->done = o->next))
			q->done_tail = NULL;
		o->used = 0;
		cb(arg, err);
	}
}

/* Unlinks the done ops of cb and arg; take: only the first.  How many. */
static unsigned unlink_done(struct bq *q, mg_block_cb cb, void *arg, int take, int *err)
{
	struct bq_op **at = &q->done, *prev = NULL;
	unsigned n = 0;

	while (*at) {
		struct bq_op *o = *at;

		if (o->cb != cb || o->arg != arg) {
			prev = o;
			at = &o->next;
			continue;
		}
		*at = o->next;
		if (q->done_tail == o)
			q->done_tail = prev;
		o->used = 0;
		if (err)
			*err = o->err;
		n++;
		if (take)
			break;
	}
	return n;
}

void bq_cancel(struct bq *q, mg_block_cb cb, void *arg)
{
	unlink_done(q, cb, arg, 0, NULL);
	for (unsigned i = 0; i < BQ_OPS; i++)
		if (q->ops[i].used && q->ops[i].parts && q->ops[i].cb == cb && q->ops[i].arg == arg)
			q->ops[i].cb = NULL;
}

int bq_take(struct bq *q, mg_block_cb cb, void *arg, int *err)
{
	return unlink_done(q, cb, arg, 1, err) == 1;
}

void bq_fail_all(struct bq *q, int err)
{
	q->running = 0;
	for (unsigned i = 0; i < BQ_OPS; i++) {
		struct bq_op *o = &q->ops[i];

		if (o->used && o->parts) {
			o->parts = 0;
			o->err = err;
			op_done(q, o);
		}
	}
	if (q->done)
		q->hooks.later(q->hooks.arg);
}
