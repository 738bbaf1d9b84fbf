/* net.socket - the stackv4 type over BSD sockets on the host's event loop:
 * non-blocking TCP listen/accept/connect and UDP, IPv4 and IPv6. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"

enum { P_BACKLOG, P_READ_BUFFER };

/* A bound socket watched for reading: a TCP listener or a UDP endpoint. */
struct sock_ep {
	struct sock_stack *st;
	int fd;
	struct mg_watch *watch;
};

struct sock_listener {
	struct sock_ep ep; /* first: the watch's argument */
	uint16_t port;
	mg_accept_cb cb;
	void *arg;
	struct mg_timer *pause; /* out of fds: accepting again after it */
	int held;               /* tcp_listener_hold */
	/* Accepted sockets inherit TCP_NODELAY from the listener (Linux): one
	 * setsockopt less per connection.  -1 until the first one tells. */
	int nodelay_inherited;
};

/* Out of file descriptors, the listener stays readable: level-triggered,
 * it would spin.  It rests this long, then tries again. */
#define FD_PAUSE_NS (100 * 1000000ull)

struct sock_connect {
	struct sock_stack *st;
	int fd;
	struct mg_watch *watch;
	mg_accept_cb cb;
	void *arg;
};

struct sock_udp {
	struct sock_ep ep; /* first: the watch's argument */
	mg_udp_cb cb;
	void *arg;
};

static struct sock_stack *stack_of(struct mg_stackv4 *s)
{
	return mg_container_of(s, struct sock_stack, stack);
}

/* A non-blocking socket for addr:port, in *fd; -EINVAL for a bad address. */
static int open_socket(const char *addr, uint16_t port, int type,
		       struct sockaddr_storage *ss, socklen_t *len, int *fd)
{
	int rc = sock_addr_parse(addr, port, ss, len);

	if (rc < 0)
		return rc;
	*fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return *fd < 0 ? -errno : 0;
}

/* Binds (and for TCP listens on) addr:port and watches for reading with
 * cb(ep).  A failure is logged with the address and port. */
static int ep_open(struct sock_stack *st, struct sock_ep *ep, int type, const char *addr,
		   uint16_t port, mg_watch_cb cb)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, rc;

	ep->st = st;
	ep->fd = -1;
	rc = open_socket(addr, port, type, &ss, &len, &ep->fd);
	if (rc == 0) {
		setsockopt(ep->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		/* workers: each process listens on the port; the kernel spreads
		 * the connections over them */
		if (type == SOCK_STREAM && MG_OPS_HAS(st->env->host, workers) &&
		    st->env->host->workers(st->env) > 1)
			setsockopt(ep->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
		if (bind(ep->fd, (struct sockaddr *)&ss, len) < 0 ||
		    (type == SOCK_STREAM && listen(ep->fd, st->backlog) < 0))
			rc = -errno;
	}
	if (rc < 0)
		mg_log(st->env, MG_LOG_ERROR, "cannot %s on %s:%u: %s",
		       type == SOCK_STREAM ? "listen" : "bind UDP", *addr ? addr : "*", port,
		       ep->fd < 0 && rc == -EINVAL ? "not a numeric IPv4 or IPv6 address"
						   : strerror(-rc));
	if (rc == 0)
		rc = st->env->host->fd_watch(st->env, ep->fd, MG_EV_READ, cb, ep, &ep->watch);
	if (rc < 0 && ep->fd >= 0)
		close(ep->fd);
	return rc;
}

static void ep_close(struct sock_ep *ep)
{
	ep->st->env->host->fd_unwatch(ep->watch);
	close(ep->fd);
}

static void resume_accepting(void *arg)
{
	struct sock_listener *l = arg;

	l->pause = NULL;
	if (!l->held)
		l->ep.st->env->host->fd_update(l->ep.watch, MG_EV_READ);
}

static void on_acceptable(void *arg, unsigned events)
{
	struct sock_listener *l = arg;
	const struct mg_host *host = l->ep.st->env->host;

	(void)events;
	/* A bounded batch: the listener must not starve open flows. */
	for (int i = 0; i < 64 && !l->held; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(l->ep.fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct mg_flow *f;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE) && !l->pause &&
		    host->timer_start(l->ep.st->env, FD_PAUSE_NS, resume_accepting, l,
				      &l->pause) == 0) {
			mg_log(l->ep.st->env, MG_LOG_WARN,
			       "accept on port %u: %s; pausing new connections", l->port,
			       strerror(errno));
			host->fd_update(l->ep.watch, 0);
			return;
		}
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				mg_log(l->ep.st->env, MG_LOG_WARN, "accept on port %u: %s",
				       l->port, strerror(errno));
			return;
		}
		if (l->nodelay_inherited < 0) {
			int on = 0;
			socklen_t olen = sizeof on;

			l->nodelay_inherited = getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &olen) == 0 && on;
		}
		f = sock_flow_new(l->ep.st, fd, &ss, l->nodelay_inherited);
		if (f)
			sock_flow_accepted(f, l->cb, l->arg);
	}
}

static int sk_tcp_listen(struct mg_stackv4 *s, const char *addr, uint16_t port,
			 mg_accept_cb cb, void *arg, struct mg_tcp_listener **out)
{
	struct sock_stack *st = stack_of(s);
	struct sock_listener *l = mg_zalloc(st->env, sizeof *l);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int rc;

	if (!l)
		return -ENOMEM;
	l->cb = cb;
	l->arg = arg;
	l->nodelay_inherited = -1;
	rc = ep_open(st, &l->ep, SOCK_STREAM, addr, port, on_acceptable);
	if (rc < 0) {
		mg_free(st->env, l);
		return rc;
	}
	setsockopt(l->ep.fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	l->port = getsockname(l->ep.fd, (struct sockaddr *)&ss, &len) == 0
			  ? sock_addr_text(&ss, NULL, 0) : port;
	*out = (struct mg_tcp_listener *)l;
	return 0;
}

static uint16_t sk_tcp_port(struct mg_tcp_listener *tl)
{
	return ((struct sock_listener *)tl)->port;
}

static void sk_tcp_unlisten(struct mg_tcp_listener *tl)
{
	struct sock_listener *l = (struct sock_listener *)tl;

	if (l->pause)
		l->ep.st->env->host->timer_cancel(l->pause);
	ep_close(&l->ep);
	mg_free(l->ep.st->env, l);
}

static void sk_tcp_listener_retarget(struct mg_tcp_listener *tl, mg_accept_cb cb, void *arg)
{
	struct sock_listener *l = (struct sock_listener *)tl;

	l->cb = cb;
	l->arg = arg;
}

static void sk_tcp_listener_hold(struct mg_tcp_listener *tl, int hold)
{
	struct sock_listener *l = (struct sock_listener *)tl;

	l->held = hold;
	if (!l->pause) /* else resume_accepting looks at held */
		l->ep.st->env->host->fd_update(l->ep.watch, hold ? 0 : MG_EV_READ);
}

static void sk_tcp_listener_client_first(struct mg_tcp_listener *tl, unsigned wait_s)
{
	struct sock_listener *l = (struct sock_listener *)tl;
	int v = wait_s > 3600 ? 3600 : (int)wait_s;

	/* A hint: without it, connections are delivered as they come. */
	setsockopt(l->ep.fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, sizeof v);
}

/* The connection is made or failed: hand over a flow or the error. */
static void on_connected(void *arg, unsigned events)
{
	struct sock_connect *c = arg;
	const struct mg_env *env = c->st->env;
	int err = 0, fd = c->fd;
	socklen_t len = sizeof err;
	struct mg_flow *f = NULL;

	(void)events;
	env->host->fd_unwatch(c->watch);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		close(fd);
	} else {
		f = sock_flow_new(c->st, fd, NULL, 0);
		err = f ? 0 : ENOMEM;
	}
	c->cb(c->arg, f, -err);
	mg_free(env, c);
}

static int sk_tcp_connect(struct mg_stackv4 *s, const char *addr, uint16_t port,
			  mg_accept_cb cb, void *arg)
{
	struct sock_stack *st = stack_of(s);
	struct sock_connect *c = mg_zalloc(st->env, sizeof *c);
	struct sockaddr_storage ss;
	socklen_t len;
	int rc;

	if (!c)
		return -ENOMEM;
	*c = (struct sock_connect){ .st = st, .fd = -1, .cb = cb, .arg = arg };
	rc = open_socket(addr, port, SOCK_STREAM, &ss, &len, &c->fd);
	if (rc == 0 && connect(c->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
		rc = -errno;
	/* Even a connection made at once is reported later, as promised. */
	if (rc == 0)
		rc = st->env->host->fd_watch(st->env, c->fd, MG_EV_WRITE, on_connected, c, &c->watch);
	if (rc < 0) {
		if (c->fd >= 0)
			close(c->fd);
		mg_free(st->env, c);
	}
	return rc;
}

static void on_datagram(void *arg, unsigned events)
{
	struct sock_udp *u = arg;
	struct sock_stack *st = u->ep.st;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char addr[SOCK_ADDRSTR];
	uint16_t port;
	ssize_t n;

	(void)events;
	n = recvfrom(u->ep.fd, st->rbuf, st->rbuf_size, MSG_DONTWAIT, (struct sockaddr *)&ss, &len);
	if (n < 0)
		return; /* EAGAIN, or an ICMP error of an earlier send */
	port = sock_addr_text(&ss, addr, sizeof addr);
	u->cb(u->arg, addr, port, st->rbuf, (size_t)n);
}

static int sk_udp_bind(struct mg_stackv4 *s, const char *addr, uint16_t port,
		       mg_udp_cb cb, void *arg, struct mg_udp **out)
{
	struct sock_stack *st = stack_of(s);
	struct sock_udp *u = mg_zalloc(st->env, sizeof *u);
	int rc;

	if (!u)
		return -ENOMEM;
	u->cb = cb;
	u->arg = arg;
	rc = ep_open(st, &u->ep, SOCK_DGRAM, addr, port, on_datagram);
	if (rc < 0) {
		mg_free(st->env, u);
		return rc;
	}
	*out = (struct mg_udp *)u;
	return 0;
}

static int sk_udp_send(struct mg_udp *mu, const char *addr, uint16_t port,
		       const void *data, size_t len)
{
	struct sock_udp *u = (struct sock_udp *)mu;
	struct sockaddr_storage ss;
	socklen_t slen;
	int rc = sock_addr_parse(addr, port, &ss, &slen);

	if (rc < 0)
		return rc;
	if (sendto(u->ep.fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&ss, slen) >= 0)
		return 0;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

static void sk_udp_close(struct mg_udp *mu)
{
	struct sock_udp *u = (struct sock_udp *)mu;

	ep_close(&u->ep);
	mg_free(u->ep.st->env, u);
}

static const struct mg_stackv4_ops sock_stack_ops = {
	.hdr = MG_OPS_HDR(struct mg_stackv4_ops, 1, 3),
	.tcp_listen = sk_tcp_listen,
	.tcp_port = sk_tcp_port,
	.tcp_unlisten = sk_tcp_unlisten,
	.tcp_connect = sk_tcp_connect,
	.udp_bind = sk_udp_bind,
	.udp_send = sk_udp_send,
	.udp_close = sk_udp_close,
	.tcp_listener_retarget = sk_tcp_listener_retarget,
	.tcp_listener_hold = sk_tcp_listener_hold,
	.tcp_listener_client_first = sk_tcp_listener_client_first,
};

static int sock_connect(const struct mg_env *env, struct mg_device **out)
{
	struct sock_stack *st = mg_zalloc(env, sizeof *st);

	if (!st)
		return -ENOMEM;
	st->stack.ops = &sock_stack_ops;
	st->env = env;
	st->backlog = (int)env->params[P_BACKLOG].i;
	st->rbuf_size = (size_t)env->params[P_READ_BUFFER].i;
	st->rbuf = mg_alloc(env, st->rbuf_size);
	if (!st->rbuf) {
		mg_free(env, st);
		return -ENOMEM;
	}
	*out = MG_DEVICE(&st->stack);
	return 0;
}

static void sock_disconnect(struct mg_device *dev)
{
	struct sock_stack *st = mg_container_of(dev, struct sock_stack, stack);

	mg_free(st->env, st->rbuf);
	mg_free(st->env, st);
}

static const struct mg_param sock_params[] = {
	[P_BACKLOG] = { .name = "backlog", .type = MG_PARAM_INT, .def = "1024",
			.min = 1, .max = 65535, .doc = "queue of connections not yet accepted" },
	[P_READ_BUFFER] = { .name = "read_buffer", .type = MG_PARAM_INT, .def = "65536",
			    .min = 512, .max = 16777216,
			    .doc = "most bytes one read hands to a flow or UDP endpoint" },
};

MG_PLUGIN(.name = "net.socket", .version = "1.0",
	  .summary = "stackv4 over BSD sockets (TCP, UDP; IPv4 and IPv6)",
	  .provides = MG_TYPE(STACKV4, 3), .targets = MG_TARGET_UNIX,
	  .params = sock_params, .nparams = MG_COUNTOF(sock_params),
	  .connect = sock_connect, .disconnect = sock_disconnect);
