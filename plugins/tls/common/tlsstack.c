/* tlsstack.c - the stackv4 side of a TLS implementation (tlsstack.h).  A
 * listener is one of the stack below whose connections are wrapped in the
 * implementation's sessions; they are handed over at once, before the
 * handshake, so that the server's limits and timeouts cover handshakes
 * too.  UDP passes through unchanged; tcp_connect (client TLS) is not
 * implemented.
 *
 * Hot swap (a new certificate): the successor, connected beside this
 * device with the same stack below, adopts the stack's listeners at the
 * commit (handover), holds them, and gives each to the first tcp_listen
 * on its address and port, so that no connection is refused; sessions
 * already open go on with the old certificate until they close. */
#include <string.h>

#include "tlsstack.h"

struct tls_listener {
	struct tls_base *t;
	struct mg_tcp_listener *lower; /* NULL once handed to a successor */
	uint16_t port;                 /* the lower listener's */
	mg_accept_cb cb;               /* NULL: adopted, nobody listens yet */
	void *arg;
	struct tls_listener *prev, *next;
	char addr[];                   /* as tcp_listen was given it */
};

#define TAG_LISTENER "stackv4.tcp_listener"
#define TAG_ADDRESS "tls.address" /* follows its listener in a handover */

static struct tls_base *stack_of(struct mg_stackv4 *s)
{
	return mg_container_of(s, struct tls_base, stack);
}

static struct tls_listener *listener_new(struct tls_base *t, const char *addr)
{
	size_t len = strlen(addr) + 1;
	struct tls_listener *l = mg_zalloc(t->env, sizeof *l + len);

	if (!l)
		return NULL;
	l->t = t;
	memcpy(l->addr, addr, len);
	l->next = t->listeners;
	if (l->next)
		l->next->prev = l;
	t->listeners = l;
	return l;
}

static void listener_free(struct tls_listener *l)
{
	struct tls_base *t = l->t;

	if (l->lower)
		t->net->ops->tcp_unlisten(l->lower);
	if (l->prev)
		l->prev->next = l->next;
	else
		t->listeners = l->next;
	if (l->next)
		l->next->prev = l->prev;
	mg_free(t->env, l);
}

static void on_accept(void *arg, struct mg_flow *lower, int err)
{
	struct tls_listener *l = arg;
	struct mg_flow *f;

	if (err < 0 || !l->cb) { /* no lower flow, or nobody to take it (held) */
		if (lower)
			lower->ops->close(lower);
		return;
	}
	f = l->t->session(l->t, lower);
	if (!f) {
		mg_log(l->t->env, MG_LOG_WARN, "no TLS session for a connection on port %u (out of memory?)", l->port);
		return;
	}
	l->cb(l->arg, f, 0);
}

/* An adopted listener that nobody listens on. */
static struct tls_listener *adopted(struct tls_base *t, const char *addr, uint16_t port)
{
	for (struct tls_listener *l = t->listeners; l; l = l->next)
		if (!l->cb && l->lower && !strcmp(l->addr, addr) && (!port || port == l->port))
			return l;
	return NULL;
}

static int tl_tcp_listen(struct mg_stackv4 *s, const char *addr, uint16_t port,
			 mg_accept_cb cb, void *arg, struct mg_tcp_listener **out)
{
	struct tls_base *t = stack_of(s);
	struct tls_listener *l = adopted(t, addr, port);
	int rc;

	if (l) { /* a predecessor's: its socket never closed */
		l->cb = cb;
		l->arg = arg;
		t->net->ops->tcp_listener_hold(l->lower, 0);
		*out = (struct mg_tcp_listener *)l;
		return 0;
	}
	l = listener_new(t, addr);
	if (!l)
		return -ENOMEM;
	l->cb = cb;
	l->arg = arg;
	rc = t->net->ops->tcp_listen(t->net, addr, port, on_accept, l, &l->lower);
	if (rc < 0) {
		l->lower = NULL;
		listener_free(l);
		return rc;
	}
	l->port = t->net->ops->tcp_port(l->lower);
	*out = (struct mg_tcp_listener *)l;
	return 0;
}

static uint16_t tl_tcp_port(struct mg_tcp_listener *tl)
{
	return ((struct tls_listener *)tl)->port;
}

static void tl_tcp_unlisten(struct mg_tcp_listener *tl)
{
	listener_free((struct tls_listener *)tl);
}

static void tl_tcp_listener_retarget(struct mg_tcp_listener *tl, mg_accept_cb cb, void *arg)
{
	struct tls_listener *l = (struct tls_listener *)tl;

	l->cb = cb;
	l->arg = arg;
}

static void tl_tcp_listener_hold(struct mg_tcp_listener *tl, int hold)
{
	struct tls_listener *l = (struct tls_listener *)tl;

	if (l->lower) /* else a successor's now */
		l->t->net->ops->tcp_listener_hold(l->lower, hold);
}

static void tl_tcp_listener_client_first(struct mg_tcp_listener *tl, unsigned wait_s)
{
	struct tls_listener *l = (struct tls_listener *)tl;

	/* A TLS client speaks first too (its ClientHello). */
	if (l->lower && MG_OPS_HAS(l->t->net->ops, tcp_listener_client_first))
		l->t->net->ops->tcp_listener_client_first(l->lower, wait_s);
}

static int tl_tcp_connect(struct mg_stackv4 *s, const char *addr, uint16_t port,
			  mg_accept_cb cb, void *arg)
{
	struct tls_base *t = stack_of(s);

	(void)cb, (void)arg;
	mg_log(t->env, MG_LOG_ERROR, "connect to %s:%u: %s is a server only (no client TLS)",
	       addr, port, t->impl);
	return -EOPNOTSUPP;
}

/* UDP is the stack's below, wrapped only to find that stack again. */
struct tls_udp {
	struct tls_base *t;
	struct mg_udp *lower;
};

static int tl_udp_bind(struct mg_stackv4 *s, const char *addr, uint16_t port,
		       mg_udp_cb cb, void *arg, struct mg_udp **out)
{
	struct tls_base *t = stack_of(s);
	struct tls_udp *u = mg_zalloc(t->env, sizeof *u);
	int rc;

	if (!u)
		return -ENOMEM;
	u->t = t;
	rc = t->net->ops->udp_bind(t->net, addr, port, cb, arg, &u->lower);
	if (rc < 0) {
		mg_free(t->env, u);
		return rc;
	}
	*out = (struct mg_udp *)u;
	return 0;
}

static int tl_udp_send(struct mg_udp *mu, const char *addr, uint16_t port, const void *data,
		       size_t len)
{
	struct tls_udp *u = (struct tls_udp *)mu;

	return u->t->net->ops->udp_send(u->lower, addr, port, data, len);
}

static void tl_udp_close(struct mg_udp *mu)
{
	struct tls_udp *u = (struct tls_udp *)mu;

	u->t->net->ops->udp_close(u->lower);
	mg_free(u->t->env, u);
}

static const struct mg_stackv4_ops tls_stack_ops = {
	.hdr = MG_OPS_HDR(struct mg_stackv4_ops, 1, 3),
	.tcp_listen = tl_tcp_listen,
	.tcp_port = tl_tcp_port,
	.tcp_unlisten = tl_tcp_unlisten,
	.tcp_connect = tl_tcp_connect,
	.udp_bind = tl_udp_bind,
	.udp_send = tl_udp_send,
	.udp_close = tl_udp_close,
	.tcp_listener_retarget = tl_tcp_listener_retarget,
	.tcp_listener_hold = tl_tcp_listener_hold,
	.tcp_listener_client_first = tl_tcp_listener_client_first,
};

/* ---- hot swap ---- */

/* The stack's listeners, each with the address it was opened with; this
 * device's listeners stay, without them, until their servers let go. */
int tls_base_export(struct mg_device *dev, struct mg_handover *out)
{
	struct tls_base *t = mg_container_of(dev, struct tls_base, stack);

	for (struct tls_listener *l = t->listeners; l && out->n + 2 <= MG_HANDOVER_MAX; l = l->next) {
		if (!l->lower)
			continue;
		out->items[out->n].tag = TAG_LISTENER;
		out->items[out->n++].ptr = l->lower;
		out->items[out->n].tag = TAG_ADDRESS;
		out->items[out->n++].ptr = l->addr; /* copied at import, before we go */
		l->lower = NULL;
	}
	return out->n ? 0 : -ENOENT;
}

static void sweep(void *arg)
{
	struct tls_base *t = arg;

	t->sweep = NULL;
	for (struct tls_listener *l = t->listeners, *next; l; l = next) {
		next = l->next;
		if (!l->cb) {
			mg_log(t->env, MG_LOG_INFO, "nobody listens on port %u any more: closed", l->port);
			listener_free(l);
		}
	}
}

/* Holds each adopted listener (its connections wait in the backlog) until
 * a tcp_listen claims it; what the commit leaves unclaimed is closed from
 * the loop, after it. */
void tls_base_import(struct mg_device *dev, const struct mg_handover *h)
{
	struct tls_base *t = mg_container_of(dev, struct tls_base, stack);
	const struct mg_stackv4_ops *net = t->net->ops;

	for (unsigned i = 0; i < h->n; i++) {
		struct mg_tcp_listener *lower = h->items[i].ptr;
		const char *addr = i + 1 < h->n && !strcmp(h->items[i + 1].tag, TAG_ADDRESS)
					   ? h->items[i + 1].ptr : NULL;
		struct tls_listener *l;

		if (strcmp(h->items[i].tag, TAG_LISTENER))
			continue;
		l = addr ? listener_new(t, addr) : NULL;
		if (!l) {
			net->tcp_unlisten(lower);
			continue;
		}
		l->lower = lower;
		l->port = net->tcp_port(lower);
		net->tcp_listener_hold(lower, 1);
		net->tcp_listener_retarget(lower, on_accept, l);
	}
	if (t->listeners && !t->sweep &&
	    t->env->host->timer_start(t->env, 0, sweep, t, &t->sweep) < 0)
		t->sweep = NULL; /* they stay held until disconnect */
}

void tls_base_init(struct tls_base *b, const struct mg_env *env, struct mg_stackv4 *net,
		   const char *impl, tls_session_fn session)
{
	b->stack.ops = &tls_stack_ops;
	b->env = env;
	b->net = net;
	b->impl = impl;
	b->session = session;
}

void tls_base_fini(struct tls_base *b)
{
	while (b->listeners)
		listener_free(b->listeners);
	if (b->sweep)
		b->env->host->timer_cancel(b->sweep);
}
