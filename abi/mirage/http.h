/* http.h - module type "http": the server side of HTTP/1.1 (the seed's
 * HTTP.Server).  The server parses requests and calls the application's
 * handler once per request; the handler answers through the response calls,
 * at once or later (a response may be streamed as the body becomes ready).
 *
 * An exchange (one request and its response) stays valid until the
 * response ends: after `end`, or once a `body_stream` callback returned 0
 * or an error.  If the connection dies first, the calls return -EPIPE and
 * the handler still ends the exchange. */
#ifndef MIRAGE_HTTP_H
#define MIRAGE_HTTP_H

#include "mirage.h"

#define MG_HTTP_NAME "http"
#define MG_HTTP_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_HTTP_TYPE _Pragma("GCC error \"MG_HTTP_TYPE is gone: write MG_TYPE(HTTP, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_http;
struct mg_http_exchange; /* one request and its response, owned by the server */

struct mg_http_header {
	const char *name; /* as received; compare without case */
	const char *value;
};

/* Everything points into the server's buffers: valid until the response
 * ends. */
struct mg_http_request {
	const char *method;  /* "GET" */
	const char *target;  /* raw request target: "/a%20b?x=1" */
	const char *path;    /* target's path, percent-decoded (never holds
				NUL), query removed */
	const char *query;   /* after '?', raw; "" when absent */
	int version_minor;   /* HTTP/1.x */
	const struct mg_http_header *headers;
	size_t nheaders;
	const void *body;    /* whole body, de-chunked */
	size_t body_len;
	const char *peer;    /* the client's address ("127.0.0.1"), "" if unknown */
};

typedef void (*mg_http_handler)(void *arg, struct mg_http_exchange *ex,
				const struct mg_http_request *req);

/* Produces more body bytes for a streamed response: at most cap (> 0)
 * into buf, returns the count, 0 at the end, a negative errno to abort
 * (the server then closes the connection).  With a 1.2 server, -EAGAIN
 * says "nothing yet": the server pulls again after resume (see there). */
typedef long (*mg_http_body_cb)(void *arg, void *buf, size_t cap);

struct mg_http_ops {
	struct mg_ops_hdr hdr;
	/* Starts serving with the handler on the configured address.  When
	 * already serving, the new handler takes every request from now on
	 * (a replaced app's successor); requests begun stay with the old one. */
	int (*serve)(struct mg_http *h, mg_http_handler handler, void *arg);
	/* Looks up a request header (case-insensitive); NULL when absent. */
	const char *(*header)(const struct mg_http_request *req, const char *name);
	/* Begins the response: status and extra headers (the server adds
	 * Date, Content-Length or Transfer-Encoding, Connection).
	 * content_length < 0 means unknown (chunked).  For HEAD, 204 and
	 * 304 no body goes out.  -EINVAL when called twice, -EPIPE. */
	int (*respond)(struct mg_http_exchange *ex, int status,
		       const struct mg_http_header *headers, size_t nheaders,
		       int64_t content_length);
	/* Sends body bytes (copied).  For HEAD they are counted, not sent. */
	int (*body)(struct mg_http_exchange *ex, const void *data, size_t len);
	/* Lets the server pull the rest of the body through cb as the peer
	 * reads it (backpressure); the response ends when cb returns 0 or an
	 * error, so no `end` follows.  When it ends before that (HEAD, a
	 * connection that died, the server disconnected) cb is called once
	 * with buf NULL and cap 0, so the producer learns that nobody pulls
	 * any more.  So arg, and what cb needs, must stay valid until then,
	 * even past the producer's own disconnect (a replaced app's download
	 * may outlive it). */
	int (*body_stream)(struct mg_http_exchange *ex, mg_http_body_cb cb,
			   void *arg);
	/* Ends the response; ex is invalid afterwards. */
	int (*end)(struct mg_http_exchange *ex);
	/* Memory that lives as long as the exchange, suitably aligned, for
	 * the handler's per-request state; no per-request malloc.  NULL when
	 * the exchange's arena (a few KiB) is used up. */
	void *(*alloc)(struct mg_http_exchange *ex, size_t size);

	/* ---- 1.1 ---- */
	/* Like serve, and the server calls release(arg) once it will never
	 * call handler with arg again: when another handler took over, or
	 * when the server disconnects.  So an app that goes first (a replaced
	 * job) leaves arg behind, answering 503, until the server lets go:
	 * neither side knows when the other one leaves. */
	int (*serve_owned)(struct mg_http *h, mg_http_handler handler, void *arg,
			   void (*release)(void *arg));

	/* ---- 1.2 ---- */
	/* The producer of a stream whose callback returned -EAGAIN has more
	 * (a read from a disk completed): the server pulls again.  Called
	 * from a later callback, never from inside the body callback.
	 * -EINVAL when ex is not streaming (it ended, or the connection
	 * died: the body callback then had its call with buf NULL). */
	int (*resume)(struct mg_http_exchange *ex);

	/* ---- 1.3 ---- */
	/* Body bytes from a loan (a kv_ro borrow, say), sent without a copy
	 * when the server's flow can (flow 1.1's writev), as `body` would
	 * send them.  The server owns the loan from the call on and releases
	 * it once the bytes are sent or will never be (HEAD, a dead peer),
	 * maybe before it returns; the span must stay as it is until then.
	 * One loan at a time: `end` may follow at once.  -EOPNOTSUPP, the
	 * loan still the caller's: the server cannot take this span (a file
	 * over a flow that cannot send files); the caller sends the bytes
	 * otherwise.  -EINVAL, -EPIPE (the loan released). */
	int (*body_lent)(struct mg_http_exchange *ex, const struct mg_span *span,
			 struct mg_loan *loan);
};
MG_OPS_PIN(struct mg_http_ops, alloc, 7); /* 1.0 */
MG_OPS_PIN(struct mg_http_ops, serve_owned, 8); /* 1.1 */
MG_OPS_PIN(struct mg_http_ops, resume, 9); /* 1.2 */
MG_OPS_PIN(struct mg_http_ops, body_lent, 10); /* 1.3 */

struct mg_http {
	const struct mg_http_ops *ops;
};

#endif
