/* xenstore.c - the platform's asynchronous xenstore client (mgx.h).
 * Requests are queued as bytes for the request ring and pushed whenever
 * xenstored makes room; replies are read from the response ring as they
 * come and matched to their request by req_id; watch events are matched
 * to their watch by token.  Everything runs from the ring's event channel
 * (routed to the loop) and the loop's timers: nothing polls. */
#include <errno.h> /* before xs_wire.h: its error table needs the codes */
#include <stdint.h> /* before Xen's headers, which use its types */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/event_channel.h>
#include <xen/hvm/params.h>
#include <xen/io/xs_wire.h>

#include "runtime/loop.h"
#include "runtime/platform.h"
#include "plat.h"

struct mgx_xs_req {
	struct mgx_xs_req *next;
	uint32_t id;
	const void *owner;
	mgx_xs_cb cb;
	void *arg;
	struct mg_timer *timer;
};

struct mgx_xs_watch {
	struct mgx_xs_watch *next;
	const void *owner;
	mgx_xs_watch_cb cb;
	mgx_xs_cb read;         /* mgx_xs_watch_read's: the path read at each event */
	void *arg;
	struct mgx_xs_req *reg; /* XS_WATCH until it is answered */
	char token[12];
	char path[];
};

/* One message, or what is left of it, waiting for room in the ring. */
struct chunk {
	struct chunk *next;
	size_t len, off;
	char data[];
};

#define HDR sizeof(struct xsd_sockmsg)

static struct {
	struct mgh_loop *loop; /* NULL: no xenstore */
	int dead;              /* the ring broke: requests fail */
	struct xenstore_domain_interface *ring;
	uint32_t port;
	uint32_t last_id, last_token;
	struct mgx_xs_req *reqs;
	struct mgx_xs_watch *watches;
	struct chunk *out, *out_tail;
	struct xsd_sockmsg hdr; /* of the message being read */
	int have_hdr;
	size_t in_len;
	char in[HDR + XENSTORE_PAYLOAD_MAX + 1];
} xs;

static void kick(void)
{
	struct evtchn_send send = { .port = xs.port };

	mgx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (unsigned long)&send, 0, 0, 0);
}

/* Copies what fits of p into the request ring; returns how much. */
static size_t ring_put(const char *p, size_t len)
{
	struct xenstore_domain_interface *r = xs.ring;
	XENSTORE_RING_IDX cons = __atomic_load_n(&r->req_cons, __ATOMIC_ACQUIRE);
	XENSTORE_RING_IDX prod = r->req_prod;
	size_t done = 0;

	while (done < len && prod - cons < XENSTORE_RING_SIZE) {
		size_t n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod);

		if (n > XENSTORE_RING_SIZE - (prod - cons))
			n = XENSTORE_RING_SIZE - (prod - cons);
		if (n > len - done)
			n = len - done;
		memcpy(r->req + MASK_XENSTORE_IDX(prod), p + done, n);
		prod += (XENSTORE_RING_IDX)n;
		done += n;
	}
	__atomic_store_n(&r->req_prod, prod, __ATOMIC_RELEASE); /* data before index */
	return done;
}

/* Copies up to len bytes from the response ring; returns how many. */
static size_t ring_get(char *p, size_t len)
{
	struct xenstore_domain_interface *r = xs.ring;
	XENSTORE_RING_IDX prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_ACQUIRE);
	XENSTORE_RING_IDX cons = r->rsp_cons;
	size_t done = 0;

	if (prod - cons > XENSTORE_RING_SIZE)
		return 0; /* indexes make no sense: read nothing */
	while (done < len && cons != prod) {
		size_t n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons);

		if (n > prod - cons)
			n = prod - cons;
		if (n > len - done)
			n = len - done;
		memcpy(p + done, r->rsp + MASK_XENSTORE_IDX(cons), n);
		cons += (XENSTORE_RING_IDX)n;
		done += n;
	}
	__atomic_store_n(&r->rsp_cons, cons, __ATOMIC_RELEASE); /* read before freeing */
	return done;
}

/* Moves queued bytes into the ring while it has room. */
static void push(void)
{
	int sent = 0;

	while (xs.out) {
		struct chunk *c = xs.out;
		size_t n = ring_put(c->data + c->off, c->len - c->off);

		sent |= n > 0;
		c->off += n;
		if (c->off < c->len)
			break;
		xs.out = c->next;
		if (!xs.out)
			xs.out_tail = NULL;
		free(c);
	}
	if (sent)
		kick();
}

static void unlink_req(struct mgx_xs_req *r)
{
	struct mgx_xs_req **p = &xs.reqs;

	while (*p != r)
		p = &(*p)->next;
	*p = r->next;
	if (r->timer)
		mgh_timer_cancel(r->timer);
}

static void finish(struct mgx_xs_req *r, int status, const char *payload, size_t len)
{
	mgx_xs_cb cb = r->cb;
	void *arg = r->arg;

	unlink_req(r);
	free(r);
	cb(arg, status, payload, len);
}

static void timed_out(void *arg)
{
	struct mgx_xs_req *r = arg;

	r->timer = NULL; /* the loop freed it */
	finish(r, -ETIMEDOUT, NULL, 0);
}

/* Queues one message of type with the parts (each NUL-ended when nul). */
static int request(uint32_t type, const void *owner, const char *const *parts,
		   const size_t *lens, unsigned n, mgx_xs_cb cb, void *arg,
		   struct mgx_xs_req **out)
{
	struct xsd_sockmsg msg = { .type = type };
	struct mgx_xs_req *r = NULL;
	struct chunk *c;
	size_t len = 0, off = HDR;

	if (!xs.loop)
		return -ENODEV;
	if (xs.dead)
		return -EIO;
	for (unsigned i = 0; i < n; i++)
		len += lens[i];
	if (len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	c = malloc(sizeof *c + HDR + len);
	if (!c || (cb && !(r = calloc(1, sizeof *r)))) {
		free(c);
		return -ENOMEM;
	}
	/* 0 is left out: watch events carry it */
	if (++xs.last_id == 0)
		xs.last_id = 1;
	msg.req_id = xs.last_id;
	msg.len = (uint32_t)len;
	if (r) {
		*r = (struct mgx_xs_req){ .next = xs.reqs, .id = msg.req_id, .owner = owner, .cb = cb,
					  .arg = arg };
		if (mgh_timer_start(xs.loop, NULL, MGX_XS_TIMEOUT_NS, timed_out, r, &r->timer) < 0) {
			free(r);
			free(c);
			return -ENOMEM;
		}
		xs.reqs = r;
	}
	*c = (struct chunk){ .len = HDR + len };
	memcpy(c->data, &msg, HDR);
	for (unsigned i = 0; i < n; i++) {
		memcpy(c->data + off, parts[i], lens[i]);
		off += lens[i];
	}
	if (xs.out_tail)
		xs.out_tail->next = c;
	else
		xs.out = c;
	xs.out_tail = c;
	push();
	if (out)
		*out = r;
	return 0;
}

int mgx_xs_read(const void *owner, const char *path, mgx_xs_cb cb, void *arg,
		struct mgx_xs_req **out)
{
	size_t len = strlen(path) + 1;

	return request(XS_READ, owner, &path, &len, 1, cb, arg, out);
}

int mgx_xs_directory(const void *owner, const char *path, mgx_xs_cb cb, void *arg,
		     struct mgx_xs_req **out)
{
	size_t len = strlen(path) + 1;

	return request(XS_DIRECTORY, owner, &path, &len, 1, cb, arg, out);
}

int mgx_xs_write(const void *owner, const char *path, const void *value, size_t len,
		 mgx_xs_cb cb, void *arg, struct mgx_xs_req **out)
{
	const char *parts[] = { path, value };
	size_t lens[] = { strlen(path) + 1, len };

	return request(XS_WRITE, owner, parts, lens, 2, cb, arg, out);
}

void mgx_xs_cancel(struct mgx_xs_req *r)
{
	unlink_req(r);
	free(r);
}

static void watch_set(void *arg, int status, const char *payload, size_t len)
{
	struct mgx_xs_watch *w = arg;

	(void)payload, (void)len;
	w->reg = NULL;
	if (status < 0 && w->read)
		w->read(w->arg, status, NULL, 0);
	else if (status < 0)
		w->cb(w->arg, status, NULL);
}

/* XS_WATCH and XS_UNWATCH take the path and the token. */
static int watch_request(uint32_t type, struct mgx_xs_watch *w, mgx_xs_cb cb)
{
	const char *parts[] = { w->path, w->token };
	size_t lens[] = { strlen(w->path) + 1, strlen(w->token) + 1 };

	return request(type, w->owner, parts, lens, 2, cb, w, cb ? &w->reg : NULL);
}

static int watch_add(const void *owner, const char *path, mgx_xs_watch_cb cb, mgx_xs_cb read,
		     void *arg, struct mgx_xs_watch **out)
{
	size_t len = strlen(path);
	struct mgx_xs_watch *w;
	int rc;

	if (!xs.loop)
		return -ENODEV;
	if (len > XENSTORE_ABS_PATH_MAX)
		return -E2BIG;
	if (!(w = calloc(1, sizeof *w + len + 1)))
		return -ENOMEM;
	*w = (struct mgx_xs_watch){ .next = xs.watches, .owner = owner, .cb = cb, .read = read,
				    .arg = arg };
	memcpy(w->path, path, len + 1);
	snprintf(w->token, sizeof w->token, "mgx%u", ++xs.last_token);
	if ((rc = watch_request(XS_WATCH, w, watch_set)) < 0) {
		free(w);
		return rc;
	}
	xs.watches = w;
	*out = w;
	return 0;
}

int mgx_xs_watch(const void *owner, const char *path, mgx_xs_watch_cb cb, void *arg,
		 struct mgx_xs_watch **out)
{
	return watch_add(owner, path, cb, NULL, arg, out);
}

int mgx_xs_watch_read(const void *owner, const char *path, mgx_xs_cb cb, void *arg,
		      struct mgx_xs_watch **out)
{
	return watch_add(owner, path, NULL, cb, arg, out);
}

void mgx_xs_unwatch(struct mgx_xs_watch *w)
{
	struct mgx_xs_watch **p = &xs.watches;

	while (*p != w)
		p = &(*p)->next;
	*p = w->next;
	if (w->reg)
		mgx_xs_cancel(w->reg);
	/* best effort: xenstored drops the watch with the domain anyway */
	watch_request(XS_UNWATCH, w, NULL);
	free(w);
}

unsigned mgx_xs_drop(const void *owner)
{
	unsigned n = 0;

	if (!owner)
		return 0;
	for (struct mgx_xs_watch *w = xs.watches, *next; w; w = next) {
		next = w->next;
		if (w->owner == owner) {
			mgx_xs_unwatch(w);
			n++;
		}
	}
	/* unwatching may have cancelled requests: walk the list afresh */
	for (struct mgx_xs_req *r = xs.reqs, *next; r; r = next) {
		next = r->next;
		if (r->owner == owner) {
			mgx_xs_cancel(r);
			n++;
		}
	}
	return n;
}

unsigned mgx_xs_waiting(void)
{
	unsigned n = 0;

	for (struct mgx_xs_req *r = xs.reqs; r; r = r->next)
		n += r->owner != NULL;
	for (struct mgx_xs_watch *w = xs.watches; w; w = w->next)
		n += w->owner != NULL;
	return n;
}

unsigned mgx_xs_routes(void)
{
	return xs.loop && !xs.dead;
}

/* xenstored answers errors as errno names ("ENOENT"). */
static int xs_errno(const char *name)
{
	for (size_t i = 0; i < sizeof xsd_errors / sizeof xsd_errors[0]; i++)
		if (strcmp(xsd_errors[i].errstring, name) == 0)
			return -xsd_errors[i].errnum;
	return -EIO;
}

/* A watch event: its callback, or a read of the watched path. */
static void read_or_tell(struct mgx_xs_watch *w, const char *path)
{
	int rc;

	if (!w->read)
		w->cb(w->arg, 0, path);
	else if ((rc = mgx_xs_read(w->owner, w->path, w->read, w->arg, NULL)) < 0)
		w->read(w->arg, rc, NULL, 0);
}

static void deliver(const struct xsd_sockmsg *m, const char *payload)
{
	if (m->type == XS_WATCH_EVENT) {
		size_t plen = strnlen(payload, m->len);
		const char *token = plen < m->len ? payload + plen + 1 : "";

		for (struct mgx_xs_watch *w = xs.watches; w; w = w->next)
			if (strcmp(w->token, token) == 0) {
				read_or_tell(w, payload);
				return;
			}
		return; /* a watch removed meanwhile */
	}
	for (struct mgx_xs_req *r = xs.reqs; r; r = r->next)
		if (r->id == m->req_id) {
			finish(r, m->type == XS_ERROR ? xs_errno(payload) : 0, payload, m->len);
			return;
		}
	/* late (timed out) or cancelled: never anyone else's */
}

/* The ring's indexes or a length cannot be trusted any more: every request
 * fails, nothing more is read. */
static void broken(void)
{
	mgh_plat_log("xen: error: xenstore: malformed reply on the ring; xenstore is off");
	xs.dead = 1;
	mgx_evtchn_route(xs.port, NULL, NULL);
	while (xs.reqs)
		finish(xs.reqs, -EIO, NULL, 0);
}

static void on_event(void *arg, uint32_t port)
{
	struct evtchn_unmask unmask = { .port = port };
	size_t got = 0;

	(void)arg;
	for (;;) {
		size_t want = HDR + (xs.have_hdr ? xs.hdr.len : 0), n = 0;

		if (xs.in_len < want) {
			n = ring_get(xs.in + xs.in_len, want - xs.in_len);
			xs.in_len += n;
			got += n;
		}
		if (xs.in_len < want)
			break;
		if (!xs.have_hdr) {
			memcpy(&xs.hdr, xs.in, HDR);
			if (xs.hdr.len > XENSTORE_PAYLOAD_MAX) {
				broken();
				return;
			}
			xs.have_hdr = 1;
			continue;
		}
		xs.in[want] = '\0';
		xs.have_hdr = 0;
		xs.in_len = 0;
		deliver(&xs.hdr, xs.in + HDR);
	}
	if (got)
		kick(); /* xenstored may wait for room to answer */
	push();
	mgx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, (unsigned long)&unmask, 0, 0, 0);
}

int mgx_xs_start(struct mgh_loop *l)
{
	uint64_t pfn, port;
	int rc;

	if (xs.loop)
		return -EBUSY;
	if (!mgx_on_xen())
		return -ENODEV;
	if ((rc = mgx_hvm_param(HVM_PARAM_STORE_PFN, &pfn)) < 0 ||
	    (rc = mgx_hvm_param(HVM_PARAM_STORE_EVTCHN, &port)) < 0)
		return rc;
	if (!pfn)
		return -ENODEV;
	xs.ring = (struct xenstore_domain_interface *)(uintptr_t)(pfn << MGX_PAGE_SHIFT);
	xs.port = (uint32_t)port;
	if ((rc = mgx_evtchn_route(xs.port, on_event, NULL)) < 0)
		return rc;
	xs.loop = l;
	return 0;
}

void mgx_xs_stop(struct mgh_loop *l)
{
	if (!xs.loop || xs.loop != l)
		return;
	while (xs.watches)
		mgx_xs_unwatch(xs.watches);
	while (xs.reqs)
		mgx_xs_cancel(xs.reqs);
	push(); /* what still fits (the last writes) reaches xenstored */
	while (xs.out) {
		struct chunk *c = xs.out;

		xs.out = c->next;
		free(c);
	}
	mgx_evtchn_route(xs.port, NULL, NULL);
	memset(&xs, 0, sizeof xs);
}
