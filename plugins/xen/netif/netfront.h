/* netfront.h - netif.xen's parts: the handshake over xenstore (netif.c)
 * and the shared rings with their pre-granted buffers (rings.c). */
#ifndef NETFRONT_H
#define NETFRONT_H

#include <stdint.h> /* before Xen's headers, which use its types */
/* io/ring.h leaves the barriers to its user: x86 orders stores after
 * stores and loads after loads, so only a full barrier needs a fence. */
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_signal_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_signal_fence(__ATOMIC_RELEASE)
#include <xen/grant_table.h>
#include <xen/io/netif.h>

#include "mirage/evtchn.h"
#include "mirage/host.h"
#include "mirage/network.h"
#include "mgx.h"

#define NF_PAGE (1u << MGX_PAGE_SHIFT)
#define NF_TX_SLOTS ((unsigned)__CONST_RING_SIZE(netif_tx, NF_PAGE)) /* 256 */
#define NF_RX_SLOTS ((unsigned)__CONST_RING_SIZE(netif_rx, NF_PAGE)) /* 256 */
#define NF_MTU 1500
#define NF_FRAME_MAX (NF_MTU + 14) /* the Ethernet header */

struct nf_stats {
	uint64_t rx_frames, rx_bytes, rx_dropped, tx_frames, tx_bytes, tx_errors;
};

struct netfront {
	struct mg_network net;
	const struct mg_env *env;
	struct mg_evtchn *evt;
	unsigned index;
	char front[32];   /* "device/vif/N" */
	char *back;       /* the backend's absolute path */
	uint16_t backend_id;
	uint8_t mac[6];
	int phase;        /* enum in netif.c */
	unsigned reads;   /* keys read so far */
	unsigned writes;  /* xenstore writes in flight */
	int backend_up;   /* the backend said Connected */
	int said_state;   /* we wrote our state: disconnect says Closed */
	int ran;          /* frames flowed: disconnect logs the counts */
	struct mgx_xs_watch *watch;

	/* rings.c */
	uint32_t port;    /* 0: none */
	int running;      /* connected, backend up: frames flow */
	void *ring_pages; /* tx ring, rx ring */
	void *tx_pages, *rx_pages; /* one buffer page per slot */
	uint32_t *refs;   /* 2 rings, NF_TX_SLOTS tx, NF_RX_SLOTS rx buffers */
	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
	uint16_t tx_free[NF_TX_SLOTS]; /* ids of idle tx buffers */
	unsigned ntx_free;
	mg_frame_cb cb;
	void *cb_arg;
	struct nf_stats st;
};

/* Pages, grants to the backend, the event channel (routed to the rings'
 * handler), the rx ring filled.  0, or a negative errno after a log line;
 * nf_rings_free undoes what was done. */
int nf_rings_setup(struct netfront *nf);
/* Everything nf_rings_setup took: the port closed and unrouted, grants
 * ended (or left to the platform while the backend maps them). */
void nf_rings_free(struct netfront *nf);
/* Refs of the tx and rx rings, for xenstore. */
uint32_t nf_tx_ring_ref(const struct netfront *nf);
uint32_t nf_rx_ring_ref(const struct netfront *nf);
/* The network op: one frame into the tx ring. */
int nf_send(struct mg_network *n, const void *frame, size_t len);
/* Reopens the port and looks at the rings once (connect is over). */
void nf_rings_start(struct netfront *nf);

#endif
