/* http.server - HTTP/1.1 over any stackv4: keep-alive, pipelining, chunked
 * bodies, limits and timeouts.  Portable: time comes from the host and the
 * clock slot, bytes from the net slot.
 *
 * Hot swap: the server listens when an app serves on it, not in connect,
 * because a successor is connected while its predecessor still holds the
 * port; at commit it adopts the predecessor's listener instead (so no
 * connection is refused), and the predecessor retires: it answers what
 * its connections already asked, with "Connection: close", then goes. */
#include <string.h>

#include "date.h"
#include "server.h"

enum { S_NET, S_CLOCK };
enum {
	P_PORT, P_ADDRESS, P_MAX_LINE, P_MAX_HEAD, P_MAX_HEADERS, P_MAX_BODY,
	P_HEADER_TIMEOUT, P_IDLE_TIMEOUT, P_WRITE_BUFFER, P_MAX_BUFFERED, P_MAX_CONNECTIONS,
};

#define MS 1000000u
/* How long the stack may keep a silent new connection before delivering it
 * anyway (its header_timeout then runs as for any other). */
#define CLIENT_FIRST_WAIT_S 1u

const char *http_date(struct http_srv *s)
{
	int64_t sec = s->clock->ops->wall_ns(s->clock) / 1000000000;

	if (sec != s->date_sec) {
		http_format_date(sec, s->date);
		s->date_sec = sec;
	}
	return s->date;
}

void http_srv_hold(struct http_srv *s)
{
	int hold = s->nconns >= s->max_conns;

	if (hold != s->held && s->listener && MG_OPS_HAS(s->net->ops, tcp_listener_hold)) {
		s->net->ops->tcp_listener_hold(s->listener, hold);
		s->held = hold;
	}
}

static struct http_srv *srv_of(struct mg_http *h)
{
	return mg_container_of(h, struct http_srv, http);
}

static struct http_srv *srv_of_dev(struct mg_device *dev)
{
	return mg_container_of(dev, struct http_srv, http);
}

/* Lets go of the handler's argument, after the handler is gone from s. */
static void release(void (*fn)(void *arg), void *arg)
{
	if (fn)
		fn(arg);
}

int http_serve(struct mg_http *h, mg_http_handler handler, void *arg)
{
	return http_serve_owned(h, handler, arg, NULL);
}

int http_serve_owned(struct mg_http *h, mg_http_handler handler, void *arg,
		     void (*release_fn)(void *arg))
{
	struct http_srv *s = srv_of(h);
	int rc;

	/* Served again (a replaced app's successor): the new handler takes the
	 * requests from now on; the old one finishes what it has begun. */
	if (s->handler) {
		void (*old_release)(void *) = s->handler_release;
		void *old_arg = s->handler_arg;

		s->handler = handler;
		s->handler_arg = arg;
		s->handler_release = release_fn;
		release(old_release, old_arg);
		return 0;
	}
	if (!s->listener) {
		rc = s->net->ops->tcp_listen(s->net, s->address, s->port, http_conn_accept, s,
					     &s->listener);
		if (rc < 0) {
			/* net says why (address in use, ...); this says who wanted it. */
			mg_log(s->env, MG_LOG_ERROR, "cannot serve HTTP on %s:%u (error %d)",
			       s->address, s->port, rc);
			s->listener = NULL;
			return rc;
		}
		/* An HTTP client speaks first: a connection that sends nothing
		 * waits in the stack, and one delivered has its request in. */
		if (MG_OPS_HAS(s->net->ops, tcp_listener_client_first))
			s->net->ops->tcp_listener_client_first(s->listener, CLIENT_FIRST_WAIT_S);
	}
	mg_log(s->env, MG_LOG_INFO, "listening on http://%s:%u/", s->address,
	       s->net->ops->tcp_port(s->listener));
	s->handler = handler;
	s->handler_arg = arg;
	s->handler_release = release_fn;
	return 0;
}

/* A tick often enough to expire connections close to their deadline, with
 * no timer per connection or per request. */
static uint64_t tick_ns(const struct http_srv *s)
{
	uint64_t t = s->header_timeout_ns < s->idle_timeout_ns ? s->header_timeout_ns
							      : s->idle_timeout_ns;

	t /= 8;
	return t < MS ? MS : t > 1000 * MS ? 1000 * MS : t;
}

static void on_tick(void *arg)
{
	struct http_srv *s = arg;
	uint64_t now = s->env->host->now_ns();

	for (struct http_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->flow && c->expiry != EXP_NONE && now >= c->deadline)
			http_conn_expire(c);
	}
	http_pools_trim(s);
	if (s->env->host->timer_start(s->env, tick_ns(s), on_tick, s, &s->tick) < 0) {
		s->tick = NULL;
		mg_log(s->env, MG_LOG_ERROR, "no timer: connections no longer time out");
	}
}

static int srv_connect(const struct mg_env *env, struct mg_device **out)
{
	const union mg_value *p = env->params;
	struct http_srv *s = mg_zalloc(env, sizeof *s);
	int rc;

	if (!s)
		return -ENOMEM;
	s->http.ops = &http_ops;
	s->env = env;
	s->net = (struct mg_stackv4 *)env->deps[S_NET];
	s->clock = (struct mg_clock *)env->deps[S_CLOCK];
	s->lim = (struct http_limits){
		.max_line = (size_t)p[P_MAX_LINE].i, .max_head = (size_t)p[P_MAX_HEAD].i,
		.max_headers = (size_t)p[P_MAX_HEADERS].i, .max_body = (size_t)p[P_MAX_BODY].i,
	};
	if (s->lim.max_line > s->lim.max_head)
		s->lim.max_line = s->lim.max_head;
	s->header_timeout_ns = (uint64_t)p[P_HEADER_TIMEOUT].i * MS;
	s->idle_timeout_ns = (uint64_t)p[P_IDLE_TIMEOUT].i * MS;
	s->out_cap = (size_t)p[P_WRITE_BUFFER].i;
	s->max_buffered = (size_t)p[P_MAX_BUFFERED].i;
	s->max_conns = (unsigned)p[P_MAX_CONNECTIONS].i;
	s->date_sec = -1;
	http_pools_init(s);
	s->address = p[P_ADDRESS].s;
	s->port = (uint16_t)p[P_PORT].i;
	rc = env->host->timer_start(env, tick_ns(s), on_tick, s, &s->tick);
	if (rc < 0) {
		mg_free(env, s);
		return rc;
	}
	*out = MG_DEVICE(&s->http);
	return 0;
}

static void srv_disconnect(struct mg_device *dev)
{
	struct http_srv *s = srv_of_dev(dev);

	while (s->conns)
		http_conn_free(s->conns);
	http_pools_free(s);
	if (s->tick)
		s->env->host->timer_cancel(s->tick);
	if (s->drain_timer)
		s->env->host->timer_cancel(s->drain_timer);
	if (s->listener)
		s->net->ops->tcp_unlisten(s->listener);
	release(s->handler_release, s->handler_arg);
	mg_free(s->env, s);
}

/* ---- hot swap ---- */

#define TAG_LISTENER "stackv4.tcp_listener"
#define TAG_ADDRESS "http.server.address" /* the text the listener was opened with */

static int srv_export(struct mg_device *dev, struct mg_handover *out)
{
	struct http_srv *s = srv_of_dev(dev);

	if (!s->listener)
		return -ENOENT;
	if (s->held) { /* the successor counts its own connections */
		s->net->ops->tcp_listener_hold(s->listener, 0);
		s->held = 0;
	}
	out->items[out->n].tag = TAG_LISTENER;
	out->items[out->n++].ptr = s->listener;
	out->items[out->n].tag = TAG_ADDRESS;
	out->items[out->n++].ptr = (void *)s->address; /* the host's, outlives the swap */
	s->listener = NULL; /* the successor's from now on */
	return 0;
}

/* Takes the predecessor's listener when it listens where this server
 * would; else closes it, and serve listens anew. */
static void srv_import(struct mg_device *dev, const struct mg_handover *h)
{
	struct http_srv *s = srv_of_dev(dev);
	struct mg_tcp_listener *l = NULL;
	const char *address = NULL;

	for (unsigned i = 0; i < h->n; i++) {
		if (!strcmp(h->items[i].tag, TAG_LISTENER))
			l = h->items[i].ptr;
		else if (!strcmp(h->items[i].tag, TAG_ADDRESS))
			address = h->items[i].ptr;
	}
	if (!l)
		return;
	if (s->listener || !MG_OPS_HAS(s->net->ops, tcp_listener_retarget) || !address ||
	    strcmp(address, s->address) || (s->port && s->port != s->net->ops->tcp_port(l))) {
		s->net->ops->tcp_unlisten(l);
		return;
	}
	s->net->ops->tcp_listener_retarget(l, http_conn_accept, s);
	s->listener = l;
	mg_log(s->env, MG_LOG_DEBUG, "took over the listener on port %u", s->net->ops->tcp_port(l));
}

static void on_drained(void *arg)
{
	struct http_srv *s = arg;

	s->drain_timer = NULL;
	s->env->host->retired(s->env); /* may disconnect us: the last thing we do */
}

void http_srv_drained(struct http_srv *s)
{
	/* Not from here: the host may disconnect the server at once, and a
	 * connection's callback is still on the stack. */
	if (!s->drain_timer && s->env->host->timer_start(s->env, 0, on_drained, s, &s->drain_timer) < 0) {
		s->drain_timer = NULL;
		mg_log(s->env, MG_LOG_WARN, "no timer: the host disconnects this server after its grace period");
	}
}

static void srv_retire(struct mg_device *dev)
{
	struct http_srv *s = srv_of_dev(dev);

	s->retiring = 1;
	if (s->listener) { /* nobody adopted it */
		s->net->ops->tcp_unlisten(s->listener);
		s->listener = NULL;
	}
	for (struct http_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		http_conn_retire(c);
	}
	if (!s->conns)
		http_srv_drained(s);
}

static const struct mg_slot srv_slots[] = {
	/* 1.0 is enough: without tcp_listener_retarget a successor listens anew */
	[S_NET] = { .name = "net", .type = MG_TYPE(STACKV4, 0),
		    .doc = "the TCP/IP stack to listen on" },
	[S_CLOCK] = { .name = "clock", .type = MG_TYPE(CLOCK, 0),
		      .doc = "wall time for the Date header" },
};

#define INT_PARAM(n, d, lo, hi, text) \
	{ .name = n, .type = MG_PARAM_INT, .def = d, .min = lo, .max = hi, .doc = text }

static const struct mg_param srv_params[] = {
	[P_PORT] = INT_PARAM("port", "8080", 0, 65535, "TCP port; 0 picks a free one"),
	[P_ADDRESS] = { .name = "address", .type = MG_PARAM_STRING, .def = "127.0.0.1",
			.doc = "address to listen on (IPv4 or IPv6, \"\" for any)" },
	[P_MAX_LINE] = INT_PARAM("max_request_line", "8192", 64, 1048576,
				 "longest request line (414 beyond)"),
	[P_MAX_HEAD] = INT_PARAM("max_header_bytes", "16384", 64, 1048576,
				 "longest request head, request line included (431 beyond)"),
	[P_MAX_HEADERS] = INT_PARAM("max_headers", "100", 1, 10000,
				    "most header fields in a request (431 beyond)"),
	[P_MAX_BODY] = INT_PARAM("max_body", "1048576", 0, 1073741824,
				 "largest request body in bytes (413 beyond)"),
	[P_HEADER_TIMEOUT] = INT_PARAM("header_timeout_ms", "10000", 1, 3600000,
				       "time to send a whole request (408 after); a new connection that sends nothing closes after it"),
	[P_IDLE_TIMEOUT] = INT_PARAM("idle_timeout_ms", "60000", 1, 86400000,
				     "an idle keep-alive connection, or one that reads no response, closes after this"),
	[P_WRITE_BUFFER] = INT_PARAM("write_buffer", "262144", 16384, 16777216,
				     "write buffer of a connection that streams a body"),
	[P_MAX_BUFFERED] = INT_PARAM("max_buffered", "33554432", 0, 4294967296,
				     "request bytes all connections together buffer beyond their heads "
				     "(bodies); a body that does not fit gets 503"),
	[P_MAX_CONNECTIONS] = INT_PARAM("max_connections", "1000", 1, 1000000,
					"open connections at most; more wait in the listen backlog"),
};

MG_PLUGIN(.name = "http.server", .version = "1.0",
	  .summary = "HTTP/1.1 server over a stackv4 (keep-alive, pipelining, chunked)",
	  .provides = MG_TYPE(HTTP, 3), .targets = MG_TARGET_ANY,
	  .slots = srv_slots, .nslots = MG_COUNTOF(srv_slots),
	  .params = srv_params, .nparams = MG_COUNTOF(srv_params),
	  .connect = srv_connect, .disconnect = srv_disconnect,
	  .handover_export = srv_export, .handover_import = srv_import, .retire = srv_retire);
