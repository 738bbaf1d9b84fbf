/* io.c - block.xen's shared ring and bounce pages: granted once at connect
 * (the backend writes reads into them, so they are granted writable), the
 * event channel routed to a handler that reaps responses and delivers the
 * callbacks, then reopens the port (no polling).  read_sync alone blocks:
 * in SCHEDOP_poll on the port, the vCPU descheduled until the backend
 * answers. */
#include <errno.h>
#include <string.h>

#include <stdint.h> /* before Xen's headers, which use its types */
#include <xen/sched.h>

#include "blkfront.h"

#define SYNC_TIMEOUT_NS 30000000000ull /* a backend silent this long: -EIO */

static struct blkfront *bf_of(struct mg_block *b)
{
	return mg_container_of(b, struct blkfront, blk);
}

static void on_later(void *arg)
{
	struct blkfront *bf = arg;

	bf->later = NULL;
	bq_deliver(bf->q);
}

static void hook_later(void *arg)
{
	struct blkfront *bf = arg;

	if (!bf->later && bf->env->host->timer_start(bf->env, 0, on_later, bf, &bf->later) < 0)
		mg_log(bf->env, MG_LOG_ERROR, "no timer for the completions of vbd %u", bf->vdev);
}

static void hook_notify(void *arg)
{
	struct blkfront *bf = arg;

	bf->evt->ops->notify(bf->evt, bf->port);
}

static void on_event(void *arg, uint32_t port)
{
	struct blkfront *bf = arg;

	if (bf->q->running) {
		bq_reap(bf->q);
		bq_deliver(bf->q);
	}
	/* masked by the dispatch; an event raised meanwhile is redelivered */
	bf->evt->ops->unmask(bf->evt, port);
}

/* ---- the block ops ---- */

static void bf_info(struct mg_block *b, struct mg_block_info *out)
{
	bq_info(bf_of(b)->q, out);
}

static int bf_read(struct mg_block *b, uint64_t sector, void *buf, uint32_t count,
		   mg_block_cb cb, void *arg)
{
	return bq_submit(bf_of(b)->q, BLKIF_OP_READ, sector, buf, NULL, count, cb, arg);
}

static int bf_write(struct mg_block *b, uint64_t sector, const void *buf, uint32_t count,
		    mg_block_cb cb, void *arg)
{
	return bq_submit(bf_of(b)->q, BLKIF_OP_WRITE, sector, NULL, buf, count, cb, arg);
}

static int bf_flush(struct mg_block *b, mg_block_cb cb, void *arg)
{
	return bq_submit(bf_of(b)->q, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, NULL, 0, cb, arg);
}

static void bf_cancel(struct mg_block *b, mg_block_cb cb, void *arg)
{
	bq_cancel(bf_of(b)->q, cb, arg);
}

/* Blocks until the backend answered something, the port's pending bit
 * cleared first so that an answer after the look at the ring still wakes
 * the poll.  0, or -ETIMEDOUT past the deadline. */
static int wait_backend(struct blkfront *bf, uint64_t deadline)
{
	struct shared_info *s = mgx_shared_info();
	evtchn_port_t port = bf->port;
	struct sched_poll poll = { .nr_ports = 1, .timeout = deadline };

	__atomic_fetch_and(&s->evtchn_pending[port / 64], ~((xen_ulong_t)1 << (port % 64)),
			   __ATOMIC_SEQ_CST);
	if (bq_reap(bf->q))
		return 0;
	if (mgx_monotonic_ns() >= deadline)
		return -ETIMEDOUT;
	set_xen_guest_handle(poll.ports, &port);
	bf->sync_waits++;
	mgx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, (unsigned long)&poll, 0, 0, 0);
	bq_reap(bf->q);
	return 0;
}

/* Never called: read_sync takes its op off the done list itself. */
static void sync_done(void *arg, int err)
{
	(void)arg, (void)err;
}

static int bf_read_sync(struct mg_block *b, uint64_t sector, void *buf, uint32_t count)
{
	struct blkfront *bf = bf_of(b);
	uint64_t deadline = mgx_monotonic_ns() + SYNC_TIMEOUT_NS;
	char token; /* this call's arg: unique while it runs */
	int rc, err = 0;

	while ((rc = bq_submit(bf->q, BLKIF_OP_READ, sector, buf, NULL, count, sync_done,
			       &token)) == -EAGAIN &&
	       wait_backend(bf, deadline) == 0)
		;
	while (rc == 0 && !bq_take(bf->q, sync_done, &token, &err))
		if (wait_backend(bf, deadline) < 0) {
			bq_cancel(bf->q, sync_done, &token);
			mg_log(bf->env, MG_LOG_ERROR, "vbd %u: no answer from the backend in %llu s to a read of %u sectors at %llu",
			       bf->vdev, SYNC_TIMEOUT_NS / 1000000000ull, count,
			       (unsigned long long)sector);
			rc = -EIO;
		}
	/* what finished meanwhile for others is told from the loop */
	if (bf->q->done)
		hook_later(bf);
	if (rc == -EAGAIN)
		rc = -EIO;
	return rc < 0 ? rc : err < 0 ? -EIO : 0;
}

const struct mg_block_ops bf_ops = {
	.hdr = MG_OPS_HDR(struct mg_block_ops, 1, 1),
	.info = bf_info,
	.read = bf_read,
	.write = bf_write,
	.flush = bf_flush,
	.cancel = bf_cancel,
	.read_sync = bf_read_sync,
};

/* ---- setup ---- */

static void *page_at(void *pages, unsigned i)
{
	return (char *)pages + (size_t)i * BLKIF_PAGE;
}

/* Grants n pages from pages to the backend, refs into out. */
static int grant(struct blkfront *bf, void *pages, unsigned n, int readonly, uint32_t *out)
{
	for (unsigned i = 0; i < n; i++) {
		int rc = mgx_gnt_grant(bf->backend_id, (uintptr_t)page_at(pages, i) >> MGX_PAGE_SHIFT,
				       readonly, &out[i]);

		if (rc < 0) {
			mg_log(bf->env, MG_LOG_ERROR, "cannot grant pages to domain %u: %s",
			       bf->backend_id, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int bf_io_setup(struct blkfront *bf)
{
	const struct mg_env *env = bf->env;
	struct bq_hooks hooks = { .notify = hook_notify, .later = hook_later, .arg = bf };
	int rc;

	bf->q = mg_zalloc(env, sizeof *bf->q);
	bf->pool_refs = mg_zalloc(env, bf->npool * sizeof *bf->pool_refs);
	bf->ring_page = mgx_page_alloc(1);
	bf->pool = mgx_page_alloc(bf->npool);
	if (!bf->q || !bf->pool_refs || !bf->ring_page || !bf->pool) {
		mg_log(env, MG_LOG_ERROR, "out of memory for the ring and %u bounce pages", bf->npool);
		return -ENOMEM;
	}
	bq_ring_init(bf->q, bf->ring_page, &hooks, (uint16_t)bf->vdev);
	if ((rc = grant(bf, bf->ring_page, 1, 0, &bf->ring_ref)) < 0 ||
	    (rc = grant(bf, bf->pool, bf->npool, 0, bf->pool_refs)) < 0)
		return rc;
	if ((rc = bf->evt->ops->alloc_unbound(bf->evt, bf->backend_id, &bf->port)) < 0) {
		bf->port = 0;
		mg_log(env, MG_LOG_ERROR, "cannot allocate an event channel for domain %u: %s",
		       bf->backend_id, strerror(-rc));
		return rc;
	}
	if ((rc = bf->evt->ops->set_handler(bf->evt, bf->port, on_event, bf)) < 0)
		mg_log(env, MG_LOG_ERROR, "cannot route event channel %u: %s", bf->port, strerror(-rc));
	return rc;
}

int bf_io_start(struct blkfront *bf)
{
	int rc;

	if (bf->geom.indirect_segs > BLKIF_SEGS_DIRECT) {
		/* one page of segments per ring slot, read by the backend only */
		bf->ind_refs = mg_zalloc(bf->env, BQ_SLOTS * sizeof *bf->ind_refs);
		bf->ind = mgx_page_alloc(BQ_SLOTS);
		if (!bf->ind_refs || !bf->ind) {
			mg_log(bf->env, MG_LOG_ERROR, "out of memory for %u indirect pages", BQ_SLOTS);
			return -ENOMEM;
		}
		if ((rc = grant(bf, bf->ind, BQ_SLOTS, 1, bf->ind_refs)) < 0)
			return rc;
	}
	rc = bq_configure(bf->q, &bf->geom, bf->pool, bf->pool_refs, bf->npool, bf->ind,
			  bf->ind_refs);
	if (rc < 0) {
		mg_log(bf->env, MG_LOG_ERROR, "vbd %u: sector-size %u is not a power of two from 512 to %u",
		       bf->vdev, bf->geom.sector_size, bf->npool * BLKIF_PAGE);
		return rc;
	}
	/* look at the ring once: the port was open all along */
	bq_reap(bf->q);
	return 0;
}

void bf_io_lost(struct blkfront *bf)
{
	if (bf->q)
		bq_fail_all(bf->q, -EIO);
}

/* One release per allocation: each frees its pages once its grants ended. */
static unsigned release(const uint32_t *refs, unsigned n, void *pages)
{
	if (!pages)
		return 0;
	return refs ? mgx_gnt_release(refs, n, pages) : (mgx_page_free(pages), 0);
}

unsigned bf_io_free(struct blkfront *bf)
{
	unsigned left;

	if (bf->later)
		bf->env->host->timer_cancel(bf->later);
	bf->later = NULL;
	if (bf->port) {
		/* close unroutes it: mask and pending cleared for the next user */
		bf->evt->ops->close(bf->evt, bf->port);
		bf->port = 0;
	}
	left = release(bf->ring_ref ? &bf->ring_ref : NULL, 1, bf->ring_page) +
	       release(bf->pool_refs, bf->npool, bf->pool) +
	       release(bf->ind_refs, BQ_SLOTS, bf->ind);
	mg_free(bf->env, bf->pool_refs);
	mg_free(bf->env, bf->ind_refs);
	mg_free(bf->env, bf->q);
	bf->pool_refs = bf->ind_refs = NULL;
	bf->ring_page = bf->pool = bf->ind = NULL;
	bf->q = NULL;
	return left;
}
