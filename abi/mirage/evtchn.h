/* evtchn.h - module type "evtchn": Xen event channels, the doorbells that
 * split drivers (console, netfront, blkfront) ring between domains. */
#ifndef MIRAGE_EVTCHN_H
#define MIRAGE_EVTCHN_H

#include "mirage.h"

#define MG_EVTCHN_NAME "evtchn"
#define MG_EVTCHN_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_EVTCHN_TYPE _Pragma("GCC error \"MG_EVTCHN_TYPE is gone: write MG_TYPE(EVTCHN, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_evtchn;

/* The port was signalled.  Delivery leaves the port masked; unmask it once
 * the shared ring has been drained. */
typedef void (*mg_evtchn_cb)(void *arg, uint32_t port);

struct mg_evtchn_ops {
	struct mg_ops_hdr hdr;
	/* Allocates a port that domain `remote` may bind to.  -ENOSPC. */
	int (*alloc_unbound)(struct mg_evtchn *e, uint16_t remote, uint32_t *port);
	/* Binds to a port another domain allocated.  -EINVAL. */
	int (*bind_interdomain)(struct mg_evtchn *e, uint16_t remote,
				uint32_t remote_port, uint32_t *port);
	/* Binds a virtual IRQ (VIRQ_TIMER, ...) of this vCPU. */
	int (*bind_virq)(struct mg_evtchn *e, uint32_t virq, uint32_t *port);
	/* Routes the port's events to cb (NULL: drop them). */
	int (*set_handler)(struct mg_evtchn *e, uint32_t port, mg_evtchn_cb cb,
			   void *arg);
	int (*notify)(struct mg_evtchn *e, uint32_t port);
	int (*unmask)(struct mg_evtchn *e, uint32_t port);
	int (*close)(struct mg_evtchn *e, uint32_t port);
};
MG_OPS_PIN(struct mg_evtchn_ops, close, 7); /* 1.0 */

struct mg_evtchn {
	const struct mg_evtchn_ops *ops;
};

#endif
