/* rings.c - netif.xen's shared rings (io/netif.h): one page each for tx and
 * rx, and one pre-granted buffer page per slot, so that a frame is only
 * ever copied (request-rx-copy: the backend copies into our rx pages; we
 * copy a frame to send into an idle tx page, granted read-only).  Driven by
 * the event channel: the handler drains both rings, refills rx, then
 * unmasks the port (no polling). */
#include <errno.h>
#include <string.h>

#include "netfront.h"

#define NREFS (2 + NF_TX_SLOTS + NF_RX_SLOTS)
#define TX_REF(nf, id) ((nf)->refs[2 + (id)])
#define RX_REF(nf, id) ((nf)->refs[2 + NF_TX_SLOTS + (id)])

static void *page_at(void *pages, unsigned i)
{
	return (char *)pages + (size_t)i * NF_PAGE;
}

static uint64_t frame_of(const void *p)
{
	return (uintptr_t)p >> MGX_PAGE_SHIFT;
}

uint32_t nf_tx_ring_ref(const struct netfront *nf)
{
	return nf->refs[0];
}

uint32_t nf_rx_ring_ref(const struct netfront *nf)
{
	return nf->refs[1];
}

static void notify(struct netfront *nf)
{
	nf->evt->ops->notify(nf->evt, nf->port);
}

/* Tx responses give their buffers back. */
static void reap_tx(struct netfront *nf)
{
	RING_IDX prod = nf->tx.sring->rsp_prod;

	xen_rmb(); /* the responses before the index that announced them */
	for (RING_IDX i = nf->tx.rsp_cons; i != prod; i++) {
		const struct netif_tx_response *r = RING_GET_RESPONSE(&nf->tx, i);

		if (r->status == NETIF_RSP_NULL || r->id >= NF_TX_SLOTS)
			continue; /* an extra-info slot (never asked for) */
		nf->st.tx_errors += r->status != NETIF_RSP_OKAY;
		nf->tx_free[nf->ntx_free++] = r->id;
	}
	nf->tx.rsp_cons = prod;
}

/* Posts rx buffer id in the next free request slot. */
static void post_rx(struct netfront *nf, uint16_t id)
{
	struct netif_rx_request *q = RING_GET_REQUEST(&nf->rx, nf->rx.req_prod_pvt);

	q->id = id;
	q->gref = RX_REF(nf, id);
	nf->rx.req_prod_pvt++;
}

/* Received frames go to the listener, their buffers back to the backend. */
static void drain_rx(struct netfront *nf)
{
	RING_IDX prod = nf->rx.sring->rsp_prod;
	int more;

	xen_rmb();
	for (RING_IDX i = nf->rx.rsp_cons; i != prod; i++) {
		const struct netif_rx_response *r = RING_GET_RESPONSE(&nf->rx, i);
		uint16_t id = r->id;

		if (id >= NF_RX_SLOTS)
			continue; /* not a buffer of ours: the backend is broken */
		/* Without feature-sg and GSO a frame fits one page: a split
		 * or extra-info frame is dropped whole. */
		if (r->status > 0 && !(r->flags & (NETRXF_more_data | NETRXF_extra_info)) &&
		    (unsigned)r->offset + (unsigned)r->status <= NF_PAGE) {
			nf->st.rx_frames++;
			nf->st.rx_bytes += (unsigned)r->status;
			if (nf->cb)
				nf->cb(nf->cb_arg, (char *)page_at(nf->rx_pages, id) + r->offset,
				       (size_t)r->status);
		} else {
			nf->st.rx_dropped++;
		}
		post_rx(nf, id);
	}
	nf->rx.rsp_cons = prod;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->rx, more);
	if (more)
		notify(nf);
}

/* Drains both rings until the backend has nothing more, each final check
 * asking it for an event on the next response. */
static void poll_rings(struct netfront *nf)
{
	int tx_more, rx_more;

	do {
		reap_tx(nf);
		drain_rx(nf);
		RING_FINAL_CHECK_FOR_RESPONSES(&nf->tx, tx_more);
		RING_FINAL_CHECK_FOR_RESPONSES(&nf->rx, rx_more);
	} while ((tx_more || rx_more) && nf->port);
}

static void on_event(void *arg, uint32_t port)
{
	struct netfront *nf = arg;

	if (nf->running)
		poll_rings(nf);
	/* masked by the dispatch; an event raised meanwhile is redelivered */
	nf->evt->ops->unmask(nf->evt, port);
}

void nf_rings_start(struct netfront *nf)
{
	nf->running = 1;
	poll_rings(nf);
	notify(nf); /* the backend may have missed the rx buffers */
}

int nf_send(struct mg_network *n, const void *frame, size_t len)
{
	struct netfront *nf = mg_container_of(n, struct netfront, net);
	struct netif_tx_request *q;
	uint16_t id;
	int more;

	if (len > NF_FRAME_MAX)
		return -EMSGSIZE;
	if (!nf->running)
		return -EIO;
	if (!nf->ntx_free || RING_FULL(&nf->tx))
		reap_tx(nf);
	if (!nf->ntx_free || RING_FULL(&nf->tx))
		return -EAGAIN;
	id = nf->tx_free[--nf->ntx_free];
	memcpy(page_at(nf->tx_pages, id), frame, len);
	q = RING_GET_REQUEST(&nf->tx, nf->tx.req_prod_pvt);
	/* flags 0: the checksums are complete, dom0 may check them */
	*q = (struct netif_tx_request){ .gref = TX_REF(nf, id), .offset = 0, .flags = 0,
					.id = id, .size = (uint16_t)len };
	nf->tx.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->tx, more);
	if (more)
		notify(nf);
	nf->st.tx_frames++;
	nf->st.tx_bytes += len;
	return 0;
}

/* Grants count pages of pages to the backend, refs from out[0]. */
static int grant_all(struct netfront *nf, void *pages, unsigned count, int readonly,
		     uint32_t *out)
{
	for (unsigned i = 0; i < count; i++) {
		int rc = mgx_gnt_grant(nf->backend_id, frame_of(page_at(pages, i)), readonly, &out[i]);

		if (rc < 0)
			return rc;
	}
	return 0;
}

int nf_rings_setup(struct netfront *nf)
{
	const struct mg_env *env = nf->env;
	struct netif_tx_sring *txs;
	struct netif_rx_sring *rxs;
	int rc;

	nf->refs = mg_zalloc(env, NREFS * sizeof *nf->refs);
	nf->ring_pages = mgx_page_alloc(2);
	nf->tx_pages = mgx_page_alloc(NF_TX_SLOTS);
	nf->rx_pages = mgx_page_alloc(NF_RX_SLOTS);
	if (!nf->refs || !nf->ring_pages || !nf->tx_pages || !nf->rx_pages) {
		mg_log(env, MG_LOG_ERROR, "out of memory for the rings and %u buffer pages",
		       NF_TX_SLOTS + NF_RX_SLOTS);
		return -ENOMEM;
	}
	txs = page_at(nf->ring_pages, 0);
	rxs = page_at(nf->ring_pages, 1);
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&nf->tx, txs, NF_PAGE);
	FRONT_RING_INIT(&nf->rx, rxs, NF_PAGE);
	if ((rc = grant_all(nf, nf->ring_pages, 2, 0, &nf->refs[0])) < 0 ||
	    (rc = grant_all(nf, nf->tx_pages, NF_TX_SLOTS, 1, &TX_REF(nf, 0))) < 0 ||
	    (rc = grant_all(nf, nf->rx_pages, NF_RX_SLOTS, 0, &RX_REF(nf, 0))) < 0) {
		mg_log(env, MG_LOG_ERROR, "cannot grant pages to domain %u: %s", nf->backend_id,
		       strerror(-rc));
		return rc;
	}
	for (unsigned id = 0; id < NF_TX_SLOTS; id++)
		nf->tx_free[nf->ntx_free++] = (uint16_t)(NF_TX_SLOTS - 1 - id);
	for (unsigned id = 0; id < NF_RX_SLOTS; id++)
		post_rx(nf, (uint16_t)id);
	RING_PUSH_REQUESTS(&nf->rx);
	if ((rc = nf->evt->ops->alloc_unbound(nf->evt, nf->backend_id, &nf->port)) < 0) {
		nf->port = 0;
		mg_log(env, MG_LOG_ERROR, "cannot allocate an event channel for domain %u: %s",
		       nf->backend_id, strerror(-rc));
		return rc;
	}
	if ((rc = nf->evt->ops->set_handler(nf->evt, nf->port, on_event, nf)) < 0) {
		mg_log(env, MG_LOG_ERROR, "cannot route event channel %u: %s", nf->port,
		       strerror(-rc));
		return rc;
	}
	return 0;
}

/* One release per allocation: each frees its pages once its grants ended. */
static unsigned release(uint32_t *refs, unsigned n, void *pages)
{
	if (!pages)
		return 0;
	return refs ? mgx_gnt_release(refs, n, pages) : (mgx_page_free(pages), 0);
}

void nf_rings_free(struct netfront *nf)
{
	unsigned left;

	nf->running = 0;
	if (nf->port) {
		/* close unroutes it: mask and pending cleared for the next user */
		nf->evt->ops->close(nf->evt, nf->port);
		nf->port = 0;
	}
	left = release(nf->refs, 2, nf->ring_pages) +
	       release(nf->refs ? &TX_REF(nf, 0) : NULL, NF_TX_SLOTS, nf->tx_pages) +
	       release(nf->refs ? &RX_REF(nf, 0) : NULL, NF_RX_SLOTS, nf->rx_pages);
	if (left)
		mg_log(nf->env, MG_LOG_DEBUG, "%u grants still mapped by domain %u: ended later",
		       left, nf->backend_id);
	mg_free(nf->env, nf->refs);
	nf->refs = NULL;
	nf->ring_pages = nf->tx_pages = nf->rx_pages = NULL;
}
