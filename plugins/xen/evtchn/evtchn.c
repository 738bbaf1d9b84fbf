/* xen.evtchn (image) - the evtchn type over EVTCHNOP hypercalls; events
 * reach the handlers through the platform's routing on the event loop.
 * Ports this instance opened are closed at disconnect.  Without Xen (QEMU
 * -kernel) connect fails: there are no event channels to offer. */
#include <stdint.h> /* before Xen's headers, which use its types */
#include <xen/event_channel.h>

#include "mirage/evtchn.h"
#include "mirage/host.h"
#include "../common/xendev.h"

#define MAX_PORTS 32

struct xevt {
	struct mg_evtchn evt;
	const struct mg_env *env;
	uint32_t ports[MAX_PORTS]; /* opened here, closed at disconnect */
	unsigned nports;
};

static long evtchn_op(unsigned cmd, void *arg)
{
	return mgx_hypercall(__HYPERVISOR_event_channel_op, cmd, (unsigned long)arg, 0, 0, 0);
}

/* Records a port just opened, or closes it again when the table is full. */
static int keep(struct xevt *x, uint32_t port, uint32_t *out)
{
	struct evtchn_close close = { .port = port };

	if (x->nports == MAX_PORTS) {
		evtchn_op(EVTCHNOP_close, &close);
		return -ENOSPC;
	}
	x->ports[x->nports++] = port;
	*out = port;
	return 0;
}

static int xevt_alloc_unbound(struct mg_evtchn *e, uint16_t remote, uint32_t *port)
{
	struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
	long rc = evtchn_op(EVTCHNOP_alloc_unbound, &op);

	return rc < 0 ? (int)rc : keep(mg_container_of(e, struct xevt, evt), op.port, port);
}

static int xevt_bind_interdomain(struct mg_evtchn *e, uint16_t remote, uint32_t remote_port,
				 uint32_t *port)
{
	struct evtchn_bind_interdomain op = { .remote_dom = remote, .remote_port = remote_port };
	long rc = evtchn_op(EVTCHNOP_bind_interdomain, &op);

	return rc < 0 ? (int)rc : keep(mg_container_of(e, struct xevt, evt), op.local_port, port);
}

static int xevt_bind_virq(struct mg_evtchn *e, uint32_t virq, uint32_t *port)
{
	struct evtchn_bind_virq op = { .virq = virq, .vcpu = 0 };
	long rc;

	/* The platform's loop owns VIRQ_TIMER (Xen binds a VIRQ once per
	 * vCPU); timers come from the time type instead. */
	if (virq == VIRQ_TIMER)
		return -EBUSY;
	rc = evtchn_op(EVTCHNOP_bind_virq, &op);

	return rc < 0 ? (int)rc : keep(mg_container_of(e, struct xevt, evt), op.port, port);
}

static int xevt_set_handler(struct mg_evtchn *e, uint32_t port, mg_evtchn_cb cb, void *arg)
{
	(void)e;
	return mgx_evtchn_route(port, cb, arg);
}

static int xevt_notify(struct mg_evtchn *e, uint32_t port)
{
	struct evtchn_send op = { .port = port };

	(void)e;
	return (int)evtchn_op(EVTCHNOP_send, &op);
}

static int xevt_unmask(struct mg_evtchn *e, uint32_t port)
{
	struct evtchn_unmask op = { .port = port };

	(void)e;
	return (int)evtchn_op(EVTCHNOP_unmask, &op);
}

static int xevt_close(struct mg_evtchn *e, uint32_t port)
{
	struct xevt *x = mg_container_of(e, struct xevt, evt);
	struct evtchn_close op = { .port = port };

	for (unsigned i = 0; i < x->nports; i++)
		if (x->ports[i] == port)
			x->ports[i] = x->ports[--x->nports];
	mgx_evtchn_route(port, NULL, NULL);
	return (int)evtchn_op(EVTCHNOP_close, &op);
}

static const struct mg_evtchn_ops xevt_ops = {
	.hdr = MG_OPS_HDR(struct mg_evtchn_ops, 1, 0),
	.alloc_unbound = xevt_alloc_unbound,
	.bind_interdomain = xevt_bind_interdomain,
	.bind_virq = xevt_bind_virq,
	.set_handler = xevt_set_handler,
	.notify = xevt_notify,
	.unmask = xevt_unmask,
	.close = xevt_close,
};

static int xevt_connect(const struct mg_env *env, struct mg_device **out)
{
	struct xevt *x;
	int rc;

	if ((rc = xendev_check(env, "event channels", 0)) < 0)
		return rc;
	x = mg_zalloc(env, sizeof *x);
	if (!x)
		return -ENOMEM;
	x->evt.ops = &xevt_ops;
	x->env = env;
	*out = MG_DEVICE(&x->evt);
	return 0;
}

static void xevt_disconnect(struct mg_device *dev)
{
	struct xevt *x = mg_container_of(dev, struct xevt, evt);

	while (x->nports)
		xevt_close(&x->evt, x->ports[x->nports - 1]);
	mg_free(x->env, x);
}

MG_PLUGIN(.name = "xen.evtchn", .version = "1.0",
	  .summary = "Xen event channels through hypercalls (in a Xen image)",
	  .provides = MG_TYPE(EVTCHN, 0), .targets = MG_TARGET_XEN,
	  .connect = xevt_connect, .disconnect = xevt_disconnect);
