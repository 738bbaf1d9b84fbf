/* conn.c - one HTTP connection: reading and framing requests (pipelined,
 * one exchange at a time), writing responses with backpressure, timeouts
 * and the close.  Every entry (flow callback, tick, handler call) goes
 * through enter/leave; the work that may free the connection runs only in
 * the outermost leave. */
#include <string.h>

#include "server.h"

/* Chunk framing a body may carry before its input buffer grows only by
 * need (next_request refuses more than twice the body anyway). */
#define CHUNK_SLACK 65536
/* How long an idle connection of a retiring server stays open: a client
 * that has its next request on the way still gets it answered, and the
 * server is not kept for the full idle timeout. */
#define RETIRE_IDLE_NS 1000000000u

static const struct mg_env *env_of(struct http_conn *c)
{
	return c->srv->env;
}

/* p moved with the input buffer from old to c->in. */
static char *moved(struct http_conn *c, const char *p, uintptr_t old)
{
	return c->in + ((uintptr_t)p - old);
}

/* Moves the parsed head's pointers along when the input buffer moves. */
static void rebase(struct http_conn *c, uintptr_t old)
{
	struct http_head *h;

	if (!c->head_len)
		return;
	h = &c->work->head;
	h->method = moved(c, h->method, old);
	h->target = moved(c, h->target, old);
	h->query = moved(c, h->query, old);
	for (size_t i = 0; i < h->nheaders; i++) {
		h->headers[i].name = moved(c, h->headers[i].name, old);
		h->headers[i].value = moved(c, h->headers[i].value, old);
	}
}

/* The input the pending request needs: its head, then its head and body,
 * chunk framing included up to CHUNK_SLACK. */
static size_t in_limit(const struct http_conn *c)
{
	const struct http_limits *lim = &c->srv->lim;

	if (!c->head_len)
		return lim->max_head;
	return c->head_len + (c->work->head.chunked ? lim->max_body + CHUNK_SLACK
					       : (size_t)c->work->head.content_length);
}

/* What an input buffer of cap bytes counts in the server's max_buffered:
 * its bytes beyond a head's. */
static size_t beyond_head(const struct http_conn *c, size_t cap)
{
	return cap > c->srv->lim.max_head ? cap - c->srv->lim.max_head : 0;
}

/* Moves the input to a buffer of cap bytes, counted in the server's
 * max_buffered.  -ENOBUFS when the server holds too much already. */
static int in_move(struct http_conn *c, size_t cap)
{
	struct http_srv *s = c->srv;
	uintptr_t old = (uintptr_t)c->in;
	size_t more = beyond_head(c, cap), had = beyond_head(c, c->in_cap);
	char *in;

	if (more > had && more - had > s->max_buffered - s->buffered)
		return -ENOBUFS;
	in = http_buf_get(s, cap);
	if (!in)
		return -ENOMEM;
	if (c->in_len)
		memcpy(in, c->in, c->in_len);
	http_buf_put(s, c->in, c->in_cap);
	s->buffered = s->buffered + more - had;
	c->in = in;
	c->in_cap = cap;
	rebase(c, old);
	return 0;
}

/* Grows the input buffer to hold at least need bytes: a head's first,
 * then doubling (few copies for a chunked body) but not past what the
 * request may need. */
static int in_grow(struct http_conn *c, size_t need)
{
	size_t cap = c->in_cap ? 2 * c->in_cap : c->srv->lim.max_head, limit = in_limit(c);

	if (need <= c->in_cap)
		return 0;
	if (cap > limit)
		cap = limit;
	return in_move(c, cap > need ? cap : need);
}

int http_out_reserve(struct http_conn *c, size_t n)
{
	size_t cap = c->out_cap ? c->out_cap : OUT_START;
	char *out;

	if (c->out_sent) { /* drop what is sent */
		memmove(c->out, c->out + c->out_sent, c->out_len - c->out_sent);
		c->out_len -= c->out_sent;
		if (c->lent)
			c->lent->at -= c->out_sent;
		c->out_sent = 0;
	}
	if (c->out && c->out_cap - c->out_len >= n)
		return 0;
	while (cap - c->out_len < n)
		cap *= 2;
	out = http_buf_get(c->srv, cap);
	if (!out)
		return -ENOMEM;
	if (c->out_len)
		memcpy(out, c->out, c->out_len);
	http_buf_put(c->srv, c->out, c->out_cap);
	c->out = out;
	c->out_cap = cap;
	return 0;
}

int http_conn_unsent(const struct http_conn *c)
{
	return c->out_sent < c->out_len || c->lent;
}

void http_conn_loan_end(struct http_conn *c)
{
	if (!c->lent)
		return;
	c->lent->loan->release(c->lent->loan);
	http_pool_put(&c->srv->lent_pool, c->lent);
	c->lent = NULL;
}

/* One writev of what is unsent with a loan: the buffer's bytes before
 * it, its own, and the buffer's after it.  0, or a negative errno. */
static long write_out(struct http_conn *c)
{
	struct http_lent *l = c->lent;
	struct mg_span s[3];
	unsigned n = 0;
	long sent;
	size_t k;

	if (c->out_sent < l->at)
		s[n++] = (struct mg_span){ .data = c->out + c->out_sent, .len = l->at - c->out_sent };
	s[n] = l->span;
	s[n].len -= l->sent;
	if (s[n].data)
		s[n].data = (const char *)s[n].data + l->sent;
	s[n++].off += l->sent;
	if (l->at < c->out_len)
		s[n++] = (struct mg_span){ .data = c->out + l->at, .len = c->out_len - l->at };
	sent = c->flow->ops->writev(c->flow, s, n);
	if (sent < 0)
		return sent;
	k = (size_t)sent;
	if (c->out_sent < l->at) { /* the bytes before the loan's */
		size_t before = l->at - c->out_sent < k ? l->at - c->out_sent : k;

		c->out_sent += before;
		k -= before;
	}
	if (c->out_sent == l->at && k) {
		size_t lent = l->span.len - l->sent < k ? l->span.len - l->sent : k;

		l->sent += lent;
		k -= lent;
	}
	if (l->sent == l->span.len && c->out_sent == l->at)
		http_conn_loan_end(c);
	c->out_sent += k; /* after the loan's */
	return 0;
}

void http_conn_pump(struct http_conn *c)
{
	while (c->flow) {
		long n;

		int pull = c->ex.state == EX_STREAM && !c->ex.paused;

		if (pull && c->out_len - c->out_sent < c->out_cap / 2) {
			http_stream_fill(c);
			if (!c->flow)
				return; /* the body failed: the connection is gone */
		}
		if (!http_conn_unsent(c)) {
			c->out_sent = c->out_len = 0;
			if (c->ex.state == EX_STREAM && !c->ex.paused)
				continue;
			return;
		}
		/* the last answer of a client that said so, done (consumed)
		 * and nothing after it: its tail may go with the close */
		if (c->said_close && c->closing && !c->in_len &&
		    MG_OPS_HAS(c->flow->ops, last_writes))
			c->flow->ops->last_writes(c->flow);
		if (c->lent) {
			n = write_out(c);
			if (n == -EIO) /* the request stays until the loan is sent */
				mg_log(c->srv->env, MG_LOG_WARN, "%s %s: the body failed (%ld); closing",
				       c->ex.req->method, c->ex.req->target, n);
		} else {
			n = c->flow->ops->write(c->flow, c->out + c->out_sent, c->out_len - c->out_sent);
			c->out_sent += n > 0 ? (size_t)n : 0;
		}
		if (n < 0) {
			http_conn_drop(c);
			return;
		}
		if (http_conn_unsent(c))
			return; /* on_writable brings us back */
	}
}

void http_conn_drop(struct http_conn *c)
{
	if (!c->flow)
		return;
	c->flow->ops->close(c->flow);
	c->flow = NULL;
	http_conn_loan_end(c); /* nobody will send it */
	if (c->ex.state == EX_STREAM) {
		c->ex.state = EX_DONE; /* nobody will read the rest */
		http_stream_abandon(&c->ex);
	}
}

/* The work block (head, header array, path, arena, request), from a
 * request's first byte to its end. */
static int work_take(struct http_conn *c)
{
	struct http_srv *s = c->srv;
	size_t hsize = s->lim.max_headers * sizeof(struct mg_http_header);

	if (c->work)
		return 0;
	c->work = http_pool_get(s, &s->work_pool);
	if (!c->work)
		return -ENOMEM;
	c->work->head.headers = (struct mg_http_header *)(c->work + 1);
	c->path = (char *)(c->work + 1) + hsize;
	c->ex.arena = (char *)c->work + s->work_pool.size - HTTP_ARENA;
	return 0;
}

/* Gives the buffers and the work block back; the next request takes
 * them again. */
static void release(struct http_conn *c)
{
	struct http_srv *s = c->srv;

	s->buffered -= beyond_head(c, c->in_cap);
	http_buf_put(s, c->in, c->in_cap);
	http_buf_put(s, c->out, c->out_cap);
	if (c->work)
		http_pool_put(&s->work_pool, c->work);
	c->in = c->out = NULL;
	c->work = NULL;
	c->in_cap = c->in_len = c->out_cap = c->out_len = c->out_sent = 0;
}

void http_conn_free(struct http_conn *c)
{
	const struct mg_env *env = env_of(c);

	http_conn_drop(c); /* a stream still pulled is abandoned: its producer hears */
	if (c->prev)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	release(c);
	c->srv->nconns--;
	http_srv_hold(c->srv);
	mg_free(env, c);
}

/* Hands a complete request to the handler. */
static void dispatch(struct http_conn *c, const char *body, size_t body_len, size_t consumed)
{
	struct mg_http_exchange *ex = &c->ex;
	struct http_head *h = &c->work->head;

	c->work->req = (struct mg_http_request){
		.method = h->method, .target = h->target, .path = c->path,
		.query = h->query, .version_minor = h->version_minor,
		.headers = h->headers, .nheaders = h->nheaders,
		.body = body, .body_len = body_len, .peer = c->flow->ops->peer(c->flow),
	};
	ex->req = &c->work->req;
	ex->state = EX_HANDLER;
	ex->no_body = h->is_head;
	/* a retiring server's clients reconnect, to its successor */
	ex->keep_alive = h->keep_alive && !c->srv->retiring;
	c->said_close = !h->keep_alive;
	ex->consumed = consumed;
	ex->arena_used = 0;
	if (c->srv->handler)
		c->srv->handler(c->srv->handler_arg, ex, ex->req);
	else
		http_respond_error(c, 503);
}

/* Tells a client that waits for it to send the body. */
static void send_continue(struct http_conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	c->continued = 1;
	if (http_out_reserve(c, sizeof cont - 1) == 0) {
		memcpy(c->out + c->out_len, cont, sizeof cont - 1);
		c->out_len += sizeof cont - 1;
	}
}

/* Parses and dispatches the next request when it is all here.  1 when a
 * request went to the handler, 0 when more bytes are needed. */
static int next_request(struct http_conn *c)
{
	const struct http_limits *lim = &c->srv->lim;
	size_t body_len = 0, need;
	long n;

	if (!c->head_len) {
		if (work_take(c) < 0) {
			http_respond_error(c, 503);
			return 0;
		}
		n = http_parse_head(c->in, c->in_len, lim, c->path, &c->work->head);
		if (n <= 0) {
			if (n < 0)
				http_respond_error(c, (int)-n);
			return 0;
		}
		c->head_len = (uint32_t)n; /* n <= max_header_bytes */
		c->work->chunks = (struct http_chunks){ 0, 0 };
		c->continued = 0;
	}
	if (c->work->head.chunked) {
		n = http_dechunk(c->in + c->head_len, c->in_len - c->head_len, lim->max_body, &c->work->chunks,
				 &body_len);
		need = n == 0 ? c->in_len + 1 : 0;
	} else {
		body_len = (size_t)c->work->head.content_length;
		n = c->in_len - c->head_len >= body_len ? (long)body_len : 0;
		need = n == 0 && body_len ? c->head_len + body_len : 0;
	}
	/* Chunk framing may cost more than the body; not without bound. */
	if (need > c->head_len + 2 * lim->max_body + 65536)
		n = -413;
	if (n < 0) {
		http_respond_error(c, (int)-n);
		return 0;
	}
	if (need) { /* the body is on its way */
		n = in_grow(c, need);
		if (n < 0)
			http_respond_error(c, n == -ENOBUFS ? 503 : 500);
		else if (c->work->head.expect_continue && !c->continued)
			send_continue(c);
		return 0;
	}
	dispatch(c, c->in + c->head_len, body_len, c->head_len + (size_t)n);
	return 1;
}

/* Drops the finished request from the input; its pipelined successor
 * starts now. */
static void consume(struct http_conn *c)
{
	struct mg_http_exchange *ex = &c->ex;

	if (c->in_len > ex->consumed)
		memmove(c->in, c->in + ex->consumed, c->in_len - ex->consumed);
	c->in_len -= ex->consumed;
	c->head_len = 0;
	c->fresh = 0;
	/* A body's room goes back to the server (a failed move keeps it). */
	if (c->in_cap > c->srv->lim.max_head && c->in_len <= c->srv->lim.max_head)
		in_move(c, c->srv->lim.max_head);
	ex->state = EX_IDLE;
	if (!ex->keep_alive)
		c->closing = 1;
	if (c->in_len)
		c->req_start = env_of(c)->host->now_ns();
}

/* Reading on or off, the close, and the next deadline, from the state. */
static void settle(struct http_conn *c)
{
	struct http_srv *s = c->srv;
	int idle = c->ex.state == EX_IDLE, flushed = !http_conn_unsent(c), want;
	uint64_t now = env_of(c)->host->now_ns();

	if (idle && c->eof)
		c->closing = 1;
	if (idle && flushed && c->closing) {
		if (c->eof) {
			http_conn_drop(c);
			return;
		}
		/* A client that said its request was the last, and sent nothing
		 * after it, is closed at once where the stack can tell that
		 * nothing more came (then the close cannot reset the answer
		 * away).  Otherwise, and always when the server chose to close,
		 * the staged close of RFC 9112 9.6: a stack that resets a closed
		 * connection with bytes in flight (lwIP does) would lose the
		 * answer. */
		if (!c->shut && c->said_close && !c->in_len &&
		    MG_OPS_HAS(c->flow->ops, close_if_read) &&
		    c->flow->ops->close_if_read(c->flow) == 0) {
			c->flow = NULL;
			return;
		}
		/* Linger: shut our side, read to the client's end, so that a
		 * close with unread input cannot reset the response away. */
		if (!c->shut && c->flow->ops->shutdown(c->flow) < 0) {
			http_conn_drop(c);
			return;
		}
		c->shut = 1;
	}
	/* No reading while an exchange is out: its request points into the
	 * input buffer, which must not move, nor grow for pipelined ones. */
	want = !c->eof && (c->closing ? c->shut : idle && flushed &&
			   c->in_len < (c->head_len ? c->in_cap : s->lim.max_head));
	if (want != c->reading && (want ? c->flow->ops->read_start(c->flow)
				   : c->flow->ops->read_stop(c->flow)) == 0)
		c->reading = want;
	c->expiry = EXP_CLOSE;
	if (!flushed || c->closing)
		c->deadline = now + s->idle_timeout_ns; /* a stuck reader; lingering */
	else if (!idle)
		c->expiry = EXP_NONE; /* the handler has it */
	else if (c->in_len || c->fresh) { /* a request on its way, or a silent client */
		c->deadline = c->req_start + s->header_timeout_ns;
		c->expiry = c->in_len ? EXP_408 : EXP_CLOSE;
	} else {
		c->deadline = now + (s->retiring && RETIRE_IDLE_NS < s->idle_timeout_ns
					     ? RETIRE_IDLE_NS : s->idle_timeout_ns);
	}
	if (idle && flushed && !c->in_len)
		release(c);
}

/* Serves what the input holds, writes, and settles. */
static void process(struct http_conn *c)
{
	for (;;) {
		/* A client that sends requests without reading the responses
		 * gets the next one answered once it has read these. */
		int held = c->out_len - c->out_sent >= OUT_START || c->lent;

		if (c->ex.state == EX_DONE && !c->lent)
			consume(c);
		if (!held && c->ex.state == EX_IDLE && c->flow && !c->closing && c->in_len &&
		    next_request(c))
			continue;
		http_conn_pump(c);
		if ((c->ex.state != EX_DONE || c->lent) && !(held && c->flow && !http_conn_unsent(c)))
			break;
	}
	if (c->flow)
		settle(c);
}

void http_conn_enter(struct http_conn *c)
{
	c->busy++;
}

void http_conn_leave(struct http_conn *c)
{
	struct http_srv *s = c->srv;

	if (--c->busy)
		return;
	c->busy = 1;
	if (c->flow)
		process(c);
	c->busy = 0;
	if (!c->flow && (c->ex.state == EX_IDLE || c->ex.state == EX_DONE)) {
		http_conn_free(c);
		if (s->retiring && !s->conns)
			http_srv_drained(s);
	}
}

void http_conn_retire(struct http_conn *c)
{
	http_conn_enter(c);
	http_conn_leave(c); /* leave settles: the shorter idle deadline */
}

void http_conn_expire(struct http_conn *c)
{
	http_conn_enter(c);
	if (c->expiry == EXP_408)
		http_respond_error(c, 408);
	else
		http_conn_drop(c);
	http_conn_leave(c);
}

static void conn_on_data(void *arg, const void *data, size_t len)
{
	struct http_conn *c = arg;

	http_conn_enter(c);
	if (len == 0) {
		c->eof = 1;
	} else if (!c->closing) {
		int rc = in_grow(c, c->in_len + len);

		if (rc == -ENOBUFS && c->ex.state == EX_IDLE) {
			http_respond_error(c, 503); /* the server holds enough bodies */
		} else if (rc < 0) {
			http_conn_drop(c);
		} else {
			if (!c->in_len && !c->fresh)
				c->req_start = env_of(c)->host->now_ns();
			memcpy(c->in + c->in_len, data, len);
			c->in_len += len;
		}
	}
	http_conn_leave(c);
}

static void conn_on_writable(void *arg)
{
	struct http_conn *c = arg;

	http_conn_enter(c);
	http_conn_leave(c); /* leave pumps */
}

static void conn_on_error(void *arg, int err)
{
	struct http_conn *c = arg;

	(void)err;
	http_conn_enter(c);
	http_conn_drop(c);
	http_conn_leave(c);
}

static const struct mg_flow_handler conn_flow_handler = {
	.on_data = conn_on_data,
	.on_writable = conn_on_writable,
	.on_error = conn_on_error,
};

void http_conn_accept(void *arg, struct mg_flow *flow, int err)
{
	struct http_srv *s = arg;
	const struct mg_env *env = s->env;
	struct http_conn *c;

	if (err < 0)
		return;
	if (s->nconns >= s->max_conns) { /* a stack that cannot hold the listener */
		mg_log(env, MG_LOG_WARN, "max_connections (%u) reached: closing a connection from %s",
		       s->max_conns, flow->ops->peer(flow));
		flow->ops->close(flow);
		return;
	}
	/* Buffers come with its first bytes (see release). */
	c = mg_zalloc(env, sizeof *c);
	if (!c) {
		mg_log(env, MG_LOG_WARN, "out of memory for a connection from %s",
		       flow->ops->peer(flow));
		flow->ops->close(flow);
		return;
	}
	c->srv = s;
	c->flow = flow;
	c->ex.c = c;
	c->fresh = 1;
	c->req_start = env->host->now_ns();
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	http_srv_hold(s);
	flow->ops->set_handler(flow, &conn_flow_handler, c);
	http_conn_enter(c);
	http_conn_leave(c); /* settles: starts reading, arms the idle deadline */
}
