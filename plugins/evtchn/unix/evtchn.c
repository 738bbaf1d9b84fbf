/* evtchn.unix - the evtchn type from a Linux domain on Xen, through
 * libxenevtchn (/dev/xen/evtchn).  Its fd is watched on the host loop; a
 * pending port arrives masked, as the type wants.  On a machine without Xen
 * connect fails, naming the device.  Ports are closed with the handle. */
#include <errno.h>
#include <string.h>
#include <xenevtchn.h>

#include "mirage/evtchn.h"
#include "mirage/host.h"

struct handler {
	uint32_t port;
	mg_evtchn_cb cb; /* NULL: a free entry */
	void *arg;
};

struct uevt {
	struct mg_evtchn evt;
	const struct mg_env *env;
	xenevtchn_handle *xce;
	struct mg_watch *watch;
	struct handler *handlers;
	size_t nhandlers;
};

static struct uevt *uevt_of(struct mg_evtchn *e)
{
	return mg_container_of(e, struct uevt, evt);
}

/* libxenevtchn returns -1 and sets errno; the type wants -errno. */
static int port_or_errno(int port, uint32_t *out)
{
	if (port < 0)
		return errno ? -errno : -EIO;
	*out = (uint32_t)port;
	return 0;
}

static int rc_or_errno(int rc)
{
	return rc < 0 ? (errno ? -errno : -EIO) : 0;
}

static int uevt_alloc_unbound(struct mg_evtchn *e, uint16_t remote, uint32_t *port)
{
	return port_or_errno(xenevtchn_bind_unbound_port(uevt_of(e)->xce, remote), port);
}

static int uevt_bind_interdomain(struct mg_evtchn *e, uint16_t remote, uint32_t remote_port,
				 uint32_t *port)
{
	return port_or_errno(xenevtchn_bind_interdomain(uevt_of(e)->xce, remote, remote_port),
			     port);
}

static int uevt_bind_virq(struct mg_evtchn *e, uint32_t virq, uint32_t *port)
{
	return port_or_errno(xenevtchn_bind_virq(uevt_of(e)->xce, virq), port);
}

static struct handler *find(struct uevt *u, uint32_t port)
{
	for (size_t i = 0; i < u->nhandlers; i++)
		if (u->handlers[i].cb && u->handlers[i].port == port)
			return &u->handlers[i];
	return NULL;
}

static int uevt_set_handler(struct mg_evtchn *e, uint32_t port, mg_evtchn_cb cb, void *arg)
{
	struct uevt *u = uevt_of(e);
	struct handler *h = find(u, port);

	if (!h && cb) {
		struct handler *more;

		for (size_t i = 0; i < u->nhandlers && !h; i++)
			if (!u->handlers[i].cb)
				h = &u->handlers[i];
		if (!h) {
			more = mg_alloc(u->env, (u->nhandlers + 1) * sizeof *more);
			if (!more)
				return -ENOMEM;
			if (u->nhandlers)
				memcpy(more, u->handlers, u->nhandlers * sizeof *more);
			mg_free(u->env, u->handlers);
			u->handlers = more;
			h = &u->handlers[u->nhandlers++];
		}
	}
	if (h)
		*h = (struct handler){ port, cb, arg };
	return 0;
}

static int uevt_notify(struct mg_evtchn *e, uint32_t port)
{
	return rc_or_errno(xenevtchn_notify(uevt_of(e)->xce, port));
}

static int uevt_unmask(struct mg_evtchn *e, uint32_t port)
{
	return rc_or_errno(xenevtchn_unmask(uevt_of(e)->xce, port));
}

static int uevt_close(struct mg_evtchn *e, uint32_t port)
{
	uevt_set_handler(e, port, NULL, NULL);
	return rc_or_errno(xenevtchn_unbind(uevt_of(e)->xce, port));
}

static const struct mg_evtchn_ops uevt_ops = {
	.hdr = MG_OPS_HDR(struct mg_evtchn_ops, 1, 0),
	.alloc_unbound = uevt_alloc_unbound,
	.bind_interdomain = uevt_bind_interdomain,
	.bind_virq = uevt_bind_virq,
	.set_handler = uevt_set_handler,
	.notify = uevt_notify,
	.unmask = uevt_unmask,
	.close = uevt_close,
};

/* One pending port per readable event; the loop calls again while more. */
static void on_ready(void *arg, unsigned events)
{
	struct uevt *u = arg;
	xenevtchn_port_or_error_t port = xenevtchn_pending(u->xce);
	struct handler *h;

	(void)events;
	if (port < 0)
		return;
	h = find(u, (uint32_t)port);
	if (h)
		h->cb(h->arg, (uint32_t)port);
}

static int uevt_connect(const struct mg_env *env, struct mg_device **out)
{
	struct uevt *u = mg_zalloc(env, sizeof *u);
	int rc;

	if (!u)
		return -ENOMEM;
	u->evt.ops = &uevt_ops;
	u->env = env;
	u->xce = xenevtchn_open(NULL, 0);
	if (!u->xce) {
		rc = errno ? -errno : -ENODEV;
		mg_log(env, MG_LOG_ERROR, "not running on Xen: cannot open /dev/xen/evtchn (%s)",
		       strerror(-rc));
		mg_free(env, u);
		return rc;
	}
	rc = env->host->fd_watch(env, xenevtchn_fd(u->xce), MG_EV_READ, on_ready, u, &u->watch);
	if (rc < 0) {
		mg_log(env, MG_LOG_ERROR, "cannot watch the event channel device: %s",
		       strerror(-rc));
		xenevtchn_close(u->xce);
		mg_free(env, u);
		return rc;
	}
	*out = MG_DEVICE(&u->evt);
	return 0;
}

static void uevt_disconnect(struct mg_device *dev)
{
	struct uevt *u = mg_container_of(dev, struct uevt, evt);

	u->env->host->fd_unwatch(u->watch);
	xenevtchn_close(u->xce); /* unbinds every port of the handle */
	mg_free(u->env, u->handlers);
	mg_free(u->env, u);
}

MG_PLUGIN(.name = "evtchn.unix", .version = "1.0",
	  .summary = "Xen event channels from a Linux domain (libxenevtchn)",
	  .provides = MG_TYPE(EVTCHN, 0), .targets = MG_TARGET_UNIX,
	  .connect = uevt_connect, .disconnect = uevt_disconnect);
