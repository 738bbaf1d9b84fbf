/* server.h - http.server internals: the server (server.c), its connections
 * (conn.c) and the response calls (response.c). */
#ifndef MIRAGE_HTTP_SERVER_H
#define MIRAGE_HTTP_SERVER_H

#include "mirage/clock.h"
#include "mirage/host.h"
#include "mirage/http.h"
#include "mirage/stackv4.h"
#include "parser.h"

#define HTTP_ARENA 2048 /* per exchange, for the handler's alloc */

struct http_conn;

/* Spare blocks of one size, so that a connection gives its buffers back
 * while idle and takes them again for its next request without a malloc.
 * The tick frees the spares no connection asked for since the last tick. */
struct http_pool {
	void *free;    /* a list through each block's first word */
	unsigned n;    /* spares */
	unsigned low;  /* fewest spares since the last tick */
	size_t size;
};

/* body_lent's loan while its bytes go out: after those of the
 * connection's out before `at`; `sent` of them are sent.  A pool block,
 * so that an idle connection does not carry it. */
struct http_lent {
	struct mg_loan *loan;
	struct mg_span span;
	size_t at, sent;
};

struct http_srv {
	struct mg_http http;
	const struct mg_env *env;
	struct mg_stackv4 *net;
	struct mg_clock *clock;
	struct mg_tcp_listener *listener; /* from serve, or adopted from a predecessor */
	const char *address;
	uint16_t port;
	mg_http_handler handler;
	void *handler_arg;
	void (*handler_release)(void *arg); /* called when handler_arg is let go */
	struct http_limits lim;
	uint64_t header_timeout_ns, idle_timeout_ns;
	size_t out_cap;      /* a connection's write buffer */
	size_t max_buffered; /* input beyond the head buffers, all connections */
	size_t buffered;     /* the sum of (in_cap - lim.max_head) */
	unsigned max_conns, nconns;
	int held;            /* the listener holds new connections back */
	struct mg_timer *tick;
	struct http_conn *conns;
	int retiring;        /* replaced: no new connections, no keep-alive */
	struct mg_timer *drain_timer; /* tells the host, outside any connection's callback */
	int64_t date_sec;    /* the second `date` shows */
	char date[32];
	/* A busy connection's buffers: input (lim.max_head), output (OUT_START,
	 * or out_cap's size when it streams), and its work block (header
	 * array, path, arena); a loan's state. */
	struct http_pool in_pool, out_pool, stream_pool, work_pool, lent_pool;
};

enum ex_state {
	EX_IDLE,    /* no request */
	EX_HANDLER, /* the handler has the request, no response yet */
	EX_BODY,    /* responded; body and end to come */
	EX_STREAM,  /* the server pulls the body */
	EX_DONE,    /* the response is complete; the request is not consumed */
};

struct mg_http_exchange {
	struct http_conn *c;
	const struct mg_http_request *req; /* the work block's, or a fixed one for errors */
	enum ex_state state;
	unsigned char no_body;    /* HEAD, 1xx, 204, 304 */
	unsigned char chunked;    /* response framing */
	unsigned char keep_alive;
	unsigned char paused;     /* cb said -EAGAIN: no pulling until resume */
	mg_http_body_cb cb;
	void *cb_arg;
	size_t consumed; /* request bytes at the front of c->in */
	int64_t left;    /* body bytes still to pull, -1 when unknown */
	size_t arena_used;
	char *arena;     /* HTTP_ARENA bytes of the connection's work block */
};

enum expiry { EXP_NONE, EXP_CLOSE, EXP_408 };

/* What a connection needs from a request's first byte to its end; then
 * the header array (lim.max_headers), the path (lim.max_line) and the
 * arena (HTTP_ARENA) follow in the same block. */
struct http_work {
	struct http_head head;
	struct http_chunks chunks; /* how far its chunked body is checked */
	struct mg_http_request req; /* what the handler gets */
};

/* An idle keep-alive connection holds this struct alone: its buffers and
 * work block go back to the server's pools until its next request.  Its
 * small fields share words, so that it and its allocation header fit 240
 * bytes. */
struct http_conn {
	struct http_srv *srv;
	struct mg_flow *flow;  /* NULL once dropped */
	struct http_conn *prev, *next;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_sent, out_cap;
	struct http_lent *lent; /* NULL but while a loan goes out */
	struct http_work *work; /* NULL while idle */
	char *path;            /* lim.max_line bytes of work */
	struct mg_http_exchange ex;
	uint64_t req_start;    /* first byte of the pending request, or the accept */
	uint64_t deadline;
	int busy;              /* inside a callback: work waits for leave() */
	uint32_t head_len;     /* 0 until the current request's head is parsed (max_header_bytes) */
	unsigned char expiry;  /* enum expiry */
	unsigned char continued; /* "100 Continue" sent for this request */
	unsigned char fresh;   /* no request yet: the header timeout runs from the accept */
	unsigned char reading, eof, closing, shut;
	unsigned char said_close; /* the request's client said it was its last */
};

/* server.c */
const char *http_date(struct http_srv *s);
/* A retiring server has no connection left. */
void http_srv_drained(struct http_srv *s);
/* Holds the listener at max_connections, releases it below. */
void http_srv_hold(struct http_srv *s);

/* pool.c */
#define OUT_START 16384 /* a connection's write buffer; streams grow it */
void http_pools_init(struct http_srv *s);
/* A block of p->size bytes, NULL when out of memory. */
void *http_pool_get(struct http_srv *s, struct http_pool *p);
void http_pool_put(struct http_pool *p, void *block);
/* A buffer of size bytes: from the pool of that size, if any, else from
 * the host.  put takes NULL. */
void *http_buf_get(struct http_srv *s, size_t size);
void http_buf_put(struct http_srv *s, void *b, size_t size);
/* Frees the spares unused since the last call (from the tick). */
void http_pools_trim(struct http_srv *s);
void http_pools_free(struct http_srv *s);

/* conn.c */
void http_conn_accept(void *arg, struct mg_flow *flow, int err);
void http_conn_enter(struct http_conn *c);
void http_conn_leave(struct http_conn *c);
void http_conn_drop(struct http_conn *c);
void http_conn_free(struct http_conn *c);
void http_conn_expire(struct http_conn *c);
/* The server retires: an idle connection closes soon, the others after
 * their current response. */
void http_conn_retire(struct http_conn *c);
/* Room for n more bytes at out + out_len.  -ENOMEM. */
int http_out_reserve(struct http_conn *c, size_t n);
/* Writes what the buffer holds and pulls a streamed body. */
void http_conn_pump(struct http_conn *c);
/* Bytes of the response not yet sent: the buffer's or a loan's. */
int http_conn_unsent(const struct http_conn *c);
/* Lets go of the loan, if any. */
void http_conn_loan_end(struct http_conn *c);

/* response.c */
extern const struct mg_http_ops http_ops;
/* server.c: the ops table's serve. */
int http_serve(struct mg_http *h, mg_http_handler handler, void *arg);
int http_serve_owned(struct mg_http *h, mg_http_handler handler, void *arg,
		     void (*release)(void *arg));
/* Answers an unparsable request with status and closes afterwards. */
void http_respond_error(struct http_conn *c, int status);
/* Tells a streamed body's producer that nobody pulls it any more. */
void http_stream_abandon(struct mg_http_exchange *ex);
/* One more piece of a streamed body; ends the exchange at its end. */
void http_stream_fill(struct http_conn *c);

#endif
