/* response.c - the response calls of the http type: the status line and
 * headers, Content-Length or chunked framing, bodies copied or pulled. */
#include <string.h>

#include "server.h"

#define CHUNK_HEAD 10 /* "%08x\r\n": fixed width, so it is written last */
#define CHUNK_END "0\r\n\r\n"
#define STREAM_MIN 512 /* pull no smaller pieces */

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

static void put(struct http_conn *c, const char *s, size_t n)
{
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
}

static void put_str(struct http_conn *c, const char *s)
{
	put(c, s, strlen(s));
}

/* Decimal without snprintf: this runs for every response. */
static void put_u64(struct http_conn *c, uint64_t v)
{
	char d[20];
	size_t n = 0;

	do
		d[sizeof d - ++n] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(c, d + sizeof d - n, n);
}

static void put_hex8(char *at, size_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 4)
		at[i] = "0123456789abcdef"[v & 15];
}

/* A header name or value the handler gave: a CR or LF in it would end the
 * line and start a header of the client's choosing (response splitting);
 * other control characters and, in a name, ':' or a space garble it. */
static int field_ok(const char *f, int name)
{
	for (; *f; f++)
		if (((unsigned char)*f < 0x20 && (name || *f != '\t')) || *f == 0x7f ||
		    (name && (*f == ':' || *f == ' ')))
			return 0;
	return 1;
}

static int headers_ok(const struct mg_http_header *headers, size_t nheaders)
{
	for (size_t i = 0; i < nheaders; i++)
		if (!*headers[i].name || !field_ok(headers[i].name, 1) ||
		    !field_ok(headers[i].value, 0))
			return 0;
	return 1;
}

static int ex_respond(struct mg_http_exchange *ex, int status,
		      const struct mg_http_header *headers, size_t nheaders,
		      int64_t content_length)
{
	struct http_conn *c = ex->c;
	size_t need = 160 + sizeof c->srv->date;
	int rc, refused = 0;

	if (ex->state != EX_HANDLER || status < 100 || status > 999)
		return -EINVAL;
	ex->state = EX_BODY;
	if (!c->flow)
		return -EPIPE;
	if (!headers_ok(headers, nheaders)) {
		/* An empty 500 goes out instead; the handler's body and end
		 * calls still work (counted, not sent), so the exchange ends. */
		mg_log(c->srv->env, MG_LOG_WARN, "%s %s: a response header holds a control character; 500 instead",
		       ex->req->method, ex->req->target);
		status = 500;
		nheaders = 0;
		content_length = 0;
		ex->keep_alive = 0;
		refused = 1;
	}
	ex->no_body |= status < 200 || status == 204 || status == 304;
	ex->chunked = content_length < 0 && !ex->no_body && ex->req->version_minor >= 1;
	ex->left = content_length;
	if (content_length < 0 && !ex->no_body && !ex->chunked)
		ex->keep_alive = 0; /* HTTP/1.0: the close ends the body */
	for (size_t i = 0; i < nheaders; i++)
		need += strlen(headers[i].name) + strlen(headers[i].value) + 4;
	rc = http_out_reserve(c, need);
	if (rc < 0)
		return rc;
	put_str(c, "HTTP/1.1 ");
	put_u64(c, (uint64_t)status);
	put(c, " ", 1);
	put_str(c, reason(status));
	put_str(c, "\r\nServer: mirage\r\nDate: ");
	put_str(c, http_date(c->srv));
	put(c, "\r\n", 2);
	for (size_t i = 0; i < nheaders; i++) {
		put_str(c, headers[i].name);
		put(c, ": ", 2);
		put_str(c, headers[i].value);
		put(c, "\r\n", 2);
	}
	if (ex->chunked) {
		put_str(c, "Transfer-Encoding: chunked\r\n");
	} else if (content_length >= 0 && status >= 200 && status != 204 && status != 304) {
		put_str(c, "Content-Length: ");
		put_u64(c, (uint64_t)content_length);
		put(c, "\r\n", 2);
	}
	if (!ex->keep_alive)
		put_str(c, "Connection: close\r\n");
	else if (ex->req->version_minor == 0)
		put_str(c, "Connection: keep-alive\r\n");
	put(c, "\r\n", 2);
	ex->no_body |= refused;
	return refused ? -EINVAL : 0;
}

static int ex_body(struct mg_http_exchange *ex, const void *data, size_t len)
{
	struct http_conn *c = ex->c;
	int rc;

	if (ex->state != EX_BODY)
		return -EINVAL;
	if (!c->flow)
		return -EPIPE;
	if (ex->no_body || len == 0)
		return 0;
	http_conn_enter(c);
	/* Big bodies go out as they come instead of piling up. */
	if (c->out_len - c->out_sent + len > c->out_cap)
		http_conn_pump(c);
	rc = c->flow ? http_out_reserve(c, len + (ex->chunked ? CHUNK_HEAD + 2 : 0)) : -EPIPE;
	if (rc == 0 && ex->chunked) {
		put_hex8(c->out + c->out_len, len);
		memcpy(c->out + c->out_len + 8, "\r\n", 2);
		c->out_len += CHUNK_HEAD;
	}
	if (rc == 0)
		put(c, data, len);
	if (rc == 0 && ex->chunked)
		put(c, "\r\n", 2);
	http_conn_leave(c);
	return rc;
}

/* Takes the loan: its bytes go after the buffer's (and a chunk's head),
 * sent from where they are.  1 once the connection has it (even if the
 * write that follows drops the connection: that releases it), or a
 * negative errno and the loan is not taken. */
static int lend(struct http_conn *c, const struct mg_span *span, struct mg_loan *loan)
{
	struct http_lent *l = http_pool_get(c->srv, &c->srv->lent_pool);
	int chunked = c->ex.chunked, rc;

	if (!l)
		return -ENOMEM;
	http_conn_enter(c);
	rc = http_out_reserve(c, chunked ? CHUNK_HEAD + 2 : 0);
	if (rc < 0)
		http_pool_put(&c->srv->lent_pool, l);
	if (rc == 0) {
		if (chunked) {
			put_hex8(c->out + c->out_len, span->len);
			memcpy(c->out + c->out_len + 8, "\r\n", 2);
			c->out_len += CHUNK_HEAD;
		}
		*l = (struct http_lent){ .loan = loan, .span = *span, .at = c->out_len };
		c->lent = l;
		if (chunked)
			put(c, "\r\n", 2);
		rc = 1;
	}
	http_conn_leave(c); /* writes */
	return rc;
}

static int ex_body_lent(struct mg_http_exchange *ex, const struct mg_span *span,
			struct mg_loan *loan)
{
	struct http_conn *c = ex->c;
	int direct = c->flow && MG_OPS_HAS(c->flow->ops, writev), rc;

	if (c->flow && !direct && !span->data)
		return -EOPNOTSUPP; /* the loan stays the caller's */
	if (ex->state != EX_BODY || c->lent)
		rc = -EINVAL;
	else if (!direct || ex->no_body || span->len == 0)
		rc = ex_body(ex, span->data, span->len); /* copied; HEAD: counted */
	else
		rc = lend(c, span, loan);
	if (rc == 1)
		return 0;
	loan->release(loan);
	return rc;
}

/* The response is complete. */
static void finish(struct mg_http_exchange *ex)
{
	struct http_conn *c = ex->c;

	if (c->flow && ex->chunked && http_out_reserve(c, sizeof CHUNK_END - 1) == 0)
		put(c, CHUNK_END, sizeof CHUNK_END - 1);
	ex->state = EX_DONE;
}

static int ex_end(struct mg_http_exchange *ex)
{
	struct http_conn *c = ex->c;

	if (ex->state != EX_BODY)
		return -EINVAL;
	http_conn_enter(c);
	finish(ex);
	http_conn_leave(c);
	return 0;
}

static int ex_body_stream(struct mg_http_exchange *ex, mg_http_body_cb cb, void *arg)
{
	struct http_conn *c = ex->c;

	if (ex->state != EX_BODY)
		return -EINVAL;
	http_conn_enter(c);
	ex->cb = cb;
	ex->cb_arg = arg;
	ex->paused = 0;
	if (!c->flow || ex->no_body) {
		http_stream_abandon(ex);
		finish(ex);
	} else {
		ex->state = EX_STREAM;
	}
	http_conn_leave(c);
	return 0;
}

void http_stream_abandon(struct mg_http_exchange *ex)
{
	if (ex->cb)
		ex->cb(ex->cb_arg, NULL, 0);
	ex->cb = NULL;
}

void http_stream_fill(struct http_conn *c)
{
	struct mg_http_exchange *ex = &c->ex;
	size_t frame = ex->chunked ? CHUNK_HEAD + 2 + sizeof CHUNK_END : 0, room;
	char *at;
	long n;
	/* Connections that stream get the big buffer: fewer, larger writes;
	 * a body of known length no more than it needs (and one byte for the
	 * producer's last call, which returns 0). */
	size_t need = c->out_cap < c->srv->out_cap ? c->srv->out_cap - c->out_len : 0;

	if (ex->left >= 0 && (uint64_t)ex->left + frame + 1 < need)
		need = (size_t)ex->left + frame + 1;
	if (need < frame + STREAM_MIN)
		need = frame + STREAM_MIN;
	if (http_out_reserve(c, need) < 0) {
		http_conn_drop(c);
		return;
	}
	room = c->out_cap - c->out_len - frame;
	at = c->out + c->out_len + (ex->chunked ? CHUNK_HEAD : 0);
	n = ex->cb(ex->cb_arg, at, room);
	if (n == -EAGAIN) {
		ex->paused = 1; /* until resume */
		return;
	}
	if (n < 0 || (size_t)n > room) {
		mg_log(c->srv->env, MG_LOG_WARN, "%s %s: the body failed (%ld); closing",
		       ex->req->method, ex->req->target, n);
		if (n < 0)
			ex->cb = NULL; /* it ended the stream itself */
		http_conn_drop(c);
		return;
	}
	if (n == 0) {
		finish(ex);
		return;
	}
	if (ex->chunked) {
		put_hex8(c->out + c->out_len, (size_t)n);
		memcpy(c->out + c->out_len + 8, "\r\n", 2);
		memcpy(at + n, "\r\n", 2);
		c->out_len += CHUNK_HEAD + 2;
	}
	c->out_len += (size_t)n;
	if (ex->left >= 0)
		ex->left -= ex->left > n ? n : ex->left;
}

static int ex_resume(struct mg_http_exchange *ex)
{
	struct http_conn *c = ex->c;

	if (ex->state != EX_STREAM)
		return -EINVAL;
	if (!ex->paused)
		return 0;
	ex->paused = 0;
	http_conn_enter(c);
	http_conn_leave(c); /* leave pumps, and pulls */
	return 0;
}

static void *ex_alloc(struct mg_http_exchange *ex, size_t size)
{
	size_t at = (ex->arena_used + 15) & ~(size_t)15;

	if (size > HTTP_ARENA || at > HTTP_ARENA - size)
		return NULL;
	ex->arena_used = at + size;
	return ex->arena + at;
}

static const char *ex_header(const struct mg_http_request *req, const char *name)
{
	return http_find_header(req->headers, req->nheaders, name);
}

void http_respond_error(struct http_conn *c, int status)
{
	struct mg_http_exchange *ex = &c->ex;
	static const struct mg_http_header type = { "Content-Type", "text/plain" };
	const char *text = reason(status);
	size_t len = strlen(text);

	/* what a request that never reached the handler reads as */
	static const struct mg_http_request unparsed = { .method = "", .target = "",
							 .version_minor = 1 };

	if (ex->state == EX_IDLE) {
		ex->req = &unparsed;
		ex->state = EX_HANDLER;
		ex->no_body = 0;
		ex->consumed = c->in_len;
	}
	ex->keep_alive = 0;
	c->said_close = 0; /* the server's choice: the close is staged */
	if (ex_respond(ex, status, &type, 1, (int64_t)len + 1) == 0) {
		ex_body(ex, text, len);
		ex_body(ex, "\n", 1);
	}
	finish(ex);
}

const struct mg_http_ops http_ops = {
	.hdr = MG_OPS_HDR(struct mg_http_ops, 1, 3),
	.serve = http_serve,
	.header = ex_header,
	.respond = ex_respond,
	.body = ex_body,
	.body_stream = ex_body_stream,
	.end = ex_end,
	.alloc = ex_alloc,
	.serve_owned = http_serve_owned,
	.resume = ex_resume,
	.body_lent = ex_body_lent,
};
