/* sockflow.c - the flow type over a connected TCP socket.  write sends at
 * once and never buffers: what the kernel does not take is the caller's,
 * and on_writable says when to try again.  writev sends spans with
 * sendmsg, and a file span with sendfile. */
#include <string.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sock.h"

/* Every idle keep-alive connection holds one: pointers first, then the
 * small fields, so that it and its allocation header fit 144 bytes. */
struct sock_flow {
	struct mg_flow flow;
	struct sock_stack *st;
	struct mg_watch *watch; /* from the first events wanted: one epoll_ctl less */
	struct mg_flow_handler h;
	void *arg;
	int fd;
	int depth;               /* callbacks running: close and epoll_ctl wait for them */
	unsigned char events;    /* what is wanted (MG_EV_*) */
	unsigned char applied;   /* what the watch waits for */
	unsigned char shut;      /* our sending side is closed */
	unsigned char last;      /* last_writes: a short tail waits for the close */
	unsigned char want_write; /* a write took less than asked: on_writable again */
	unsigned char closed;
	char peer[SOCK_ADDRSTR];
};

static struct sock_flow *flow_of(struct mg_flow *f)
{
	return mg_container_of(f, struct sock_flow, flow);
}

static void flow_free(struct sock_flow *sf)
{
	const struct mg_env *env = sf->st->env;

	if (sf->watch)
		env->host->fd_unwatch(sf->watch);
	close(sf->fd);
	mg_free(env, sf);
}

static void on_event(void *arg, unsigned events);

/* The watch waits for what is wanted, by one epoll_ctl when they differ. */
static int apply(struct sock_flow *sf)
{
	const struct mg_env *env = sf->st->env;
	int rc;

	if (sf->events == sf->applied)
		return 0;
	rc = sf->watch ? env->host->fd_update(sf->watch, sf->events)
		       : env->host->fd_watch(env, sf->fd, sf->events, on_event, sf, &sf->watch);
	if (rc == 0)
		sf->applied = sf->events;
	return rc;
}

/* Inside a callback the watch changes when it returns (callback_done):
 * what a callback turns on and off costs one epoll_ctl at most, and a
 * flow closed by then none. */
static int set_events(struct sock_flow *sf, unsigned events)
{
	sf->events = events;
	return sf->depth ? 0 : apply(sf);
}

/* A callback returned: the watch follows what it wants (a failure is the
 * flow's error), or the flow it closed is freed. */
static void callback_done(struct sock_flow *sf)
{
	int rc;

	if (sf->depth == 1 && !sf->closed && (rc = apply(sf)) < 0) {
		sf->events = 0;
		sf->h.on_error(sf->arg, rc);
	}
	if (--sf->depth == 0 && sf->closed)
		flow_free(sf);
}

static void sf_set_handler(struct mg_flow *f, const struct mg_flow_handler *h, void *arg)
{
	struct sock_flow *sf = flow_of(f);

	sf->h = *h;
	sf->arg = arg;
}

static int sf_read_start(struct mg_flow *f)
{
	struct sock_flow *sf = flow_of(f);

	return set_events(sf, sf->events | MG_EV_READ);
}

static int sf_read_stop(struct mg_flow *f)
{
	struct sock_flow *sf = flow_of(f);

	return set_events(sf, sf->events & ~MG_EV_READ);
}

/* on_writable is wanted: the caller has more to write. */
static int want_writable(struct sock_flow *sf)
{
	sf->want_write = 1;
	return set_events(sf, sf->events | MG_EV_WRITE);
}

/* What a send of want bytes that returned n (errno set when < 0) took;
 * less than asked arms on_writable. */
static long took(struct sock_flow *sf, ssize_t n, size_t want)
{
	if (n < 0 && errno != EAGAIN)
		return errno == EPIPE ? -EPIPE : errno == EIO ? -EIO : -ECONNRESET;
	if (n < 0)
		n = 0;
	if ((size_t)n < want) {
		int rc = want_writable(sf);

		if (rc < 0)
			return rc;
	}
	return (long)n;
}

static long sf_write(struct mg_flow *f, const void *buf, size_t len)
{
	struct sock_flow *sf = flow_of(f);
	ssize_t n;

	if (sf->shut)
		return -EPIPE;
	do
		n = send(sf->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT | (sf->last ? MSG_MORE : 0));
	while (n < 0 && errno == EINTR);
	return took(sf, n, len);
}

/* Memory spans from spans[0] (up to SPANS_MAX) in one sendmsg, corked
 * (MSG_MORE) when a file span follows, so that a small response leaves in
 * one segment with its body, and after last_writes, so that its tail
 * leaves with the close's FIN. */
#define SPANS_MAX 8
static long send_memory(struct sock_flow *sf, const struct mg_span *spans, unsigned n,
			unsigned *used)
{
	struct iovec iov[SPANS_MAX];
	struct msghdr msg = { .msg_iov = iov };
	size_t want = 0;
	ssize_t r;

	while (msg.msg_iovlen < n && msg.msg_iovlen < SPANS_MAX && spans[msg.msg_iovlen].data) {
		iov[msg.msg_iovlen] = (struct iovec){ (void *)spans[msg.msg_iovlen].data,
						      spans[msg.msg_iovlen].len };
		want += spans[msg.msg_iovlen++].len;
	}
	*used = (unsigned)msg.msg_iovlen;
	do
		r = sendmsg(sf->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT |
			    (sf->last || (*used < n && !spans[*used].data) ? MSG_MORE : 0));
	while (r < 0 && errno == EINTR);
	return took(sf, r, want);
}

/* A file span by sendfile: the page cache goes to the socket uncopied.
 * At most SENDFILE_MAX a call (nginx's sendfile_max_chunk), so that a
 * big download does not keep the loop from the other connections (on
 * loopback the call does the receiver's work too): the rest goes when the
 * loop comes back.  A 1 MiB file goes in one call when the socket takes
 * it. */
#define SENDFILE_MAX (2u << 20)
static long send_file(struct sock_flow *sf, const struct mg_span *span)
{
	off_t off = (off_t)span->off;
	ssize_t r;

	if (span->len == 0)
		return 0;
	do
		r = sendfile(sf->fd, span->fd, &off, span->len < SENDFILE_MAX ? span->len : SENDFILE_MAX);
	while (r < 0 && errno == EINTR);
	if (r == 0) /* the file ends before the span */
		return -EIO;
	return took(sf, r, span->len);
}

static long sf_writev(struct mg_flow *f, const struct mg_span *spans, unsigned n)
{
	struct sock_flow *sf = flow_of(f);
	long total = 0;

	if (sf->shut)
		return -EPIPE;
	for (unsigned i = 0, used = 1; i < n; i += used) {
		size_t want = 0;
		long r;

		if (spans[i].data) {
			r = send_memory(sf, spans + i, n - i, &used);
			for (unsigned k = 0; k < used; k++)
				want += spans[i + k].len;
		} else {
			used = 1;
			want = spans[i].len;
			r = send_file(sf, spans + i);
		}
		if (r < 0 && total)
			/* what was sent counts; the error comes again next time */
			return want_writable(sf) < 0 ? r : total;
		if (r < 0)
			return r;
		total += r;
		if ((size_t)r < want)
			break;
	}
	return total;
}

static size_t sf_pending(struct mg_flow *f)
{
	(void)f;
	return 0; /* write never keeps bytes */
}

static int sf_shutdown(struct mg_flow *f)
{
	struct sock_flow *sf = flow_of(f);

	if (sf->shut)
		return 0;
	sf->shut = 1;
	return shutdown(sf->fd, SHUT_WR) < 0 && errno != ENOTCONN ? -errno : 0;
}

static const char *sf_peer(struct mg_flow *f)
{
	return flow_of(f)->peer;
}

static void sf_close(struct mg_flow *f)
{
	struct sock_flow *sf = flow_of(f);

	if (sf->depth)
		sf->closed = 1; /* freed when the callback returns */
	else
		flow_free(sf);
}

static void sf_last_writes(struct mg_flow *f)
{
	flow_of(f)->last = 1;
}

/* Linux closes with a reset, and drops what is unsent, only when input
 * waits unread: none, and the close ends the stream after the bytes. */
static int sf_close_if_read(struct mg_flow *f)
{
	int unread;

	if (ioctl(flow_of(f)->fd, FIONREAD, &unread) < 0 || unread > 0)
		return -EBUSY;
	sf_close(f);
	return 0;
}

static const struct mg_flow_ops sock_flow_ops = {
	.hdr = MG_OPS_HDR(struct mg_flow_ops, 1, 2),
	.set_handler = sf_set_handler,
	.read_start = sf_read_start,
	.read_stop = sf_read_stop,
	.write = sf_write,
	.pending = sf_pending,
	.shutdown = sf_shutdown,
	.peer = sf_peer,
	.close = sf_close,
	.writev = sf_writev,
	.last_writes = sf_last_writes,
	.close_if_read = sf_close_if_read,
};

/* The socket's pending error as a negative errno. */
static int sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err == 0)
		err = ECONNRESET;
	return -err;
}

/* One read into the stack's buffer; level-triggered, so more comes in the
 * next round.  After end of stream the flow stops reading. */
static void on_readable(struct sock_flow *sf)
{
	ssize_t n;

	do
		n = recv(sf->fd, sf->st->rbuf, sf->st->rbuf_size, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0) {
		int err = -errno;

		set_events(sf, 0);
		sf->h.on_error(sf->arg, err);
		return;
	}
	if (n == 0)
		set_events(sf, sf->events & ~MG_EV_READ);
	sf->h.on_data(sf->arg, sf->st->rbuf, (size_t)n);
}

static void on_event(void *arg, unsigned events)
{
	struct sock_flow *sf = arg;

	sf->depth++;
	if ((events & MG_EV_WRITE) && (sf->events & MG_EV_WRITE)) {
		/* Stays armed if on_writable's write is short again (a download
		 * sent a piece at a time): no epoll_ctl per piece. */
		sf->want_write = 0;
		sf->h.on_writable(sf->arg);
		if (!sf->closed && !sf->want_write)
			set_events(sf, sf->events & ~MG_EV_WRITE);
	}
	if (!sf->closed && (events & (MG_EV_READ | MG_EV_ERROR)) && (sf->events & MG_EV_READ))
		on_readable(sf);
	else if (!sf->closed && (events & MG_EV_ERROR) && sf->events) {
		set_events(sf, 0);
		sf->h.on_error(sf->arg, sock_error(sf->fd));
	}
	callback_done(sf);
}

void sock_flow_accepted(struct mg_flow *f, mg_accept_cb cb, void *arg)
{
	struct sock_flow *sf = flow_of(f);

	sf->depth++;
	cb(arg, &sf->flow, 0);
	if (!sf->closed && (sf->events & MG_EV_READ))
		on_readable(sf);
	callback_done(sf);
}

struct mg_flow *sock_flow_new(struct sock_stack *st, int fd, const struct sockaddr_storage *peer,
			      int nodelay)
{
	const struct mg_env *env = st->env;
	struct sock_flow *sf = mg_zalloc(env, sizeof *sf);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int one = 1;

	if (!sf) {
		close(fd);
		return NULL;
	}
	sf->flow.ops = &sock_flow_ops;
	sf->st = st;
	sf->fd = fd;
	/* Responses go out whole: no Nagle delay on the last segment. */
	if (!nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (!peer && getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		peer = &ss;
	if (peer)
		sock_addr_text(peer, sf->peer, sizeof sf->peer);
	return &sf->flow;
}
