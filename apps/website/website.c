/* website - the seed's Dispatch.Main: serves a kv_ro over HTTP, with
 * index.html for folders, Content-Type by extension, ETags and 304, single
 * byte ranges, and an access-log line per request on the console.
 *
 * A store that reads from a disk (kv_ro 1.1's read, answering later) is
 * read into a buffer of the stream's own while the server serves other
 * connections; the stream tells the server (http 1.2's resume) when bytes
 * are there.  A store that answers at once reads into the server's buffer.
 * A store that lends (kv_ro 1.2's borrow) to a server that sends loans
 * (http 1.3's body_lent) has the body sent from its memory or its file,
 * uncopied; the loan is the server's then, so a swap of the store or of
 * the site leaves the download as it began.
 *
 * Hot swap: a replaced console, kv_ro or http is taken over in place
 * (dep_replaced), so the site keeps running; a replaced site (a rebuilt
 * website.so) lets its successor serve and retires once the downloads it
 * streams are done. */
#include <stdlib.h>
#include <string.h>

#include "mirage/console.h"
#include "mirage/http.h"
#include "mirage/job.h"
#include "mirage/kv_ro.h"
#include "site.h"

enum { S_CONSOLE, S_FS, S_HTTP };
enum { P_INDEX, P_ACCESS_LOG, P_DOTFILES };

struct served;

struct site {
	struct mg_job job;
	struct mg_console *con;
	struct mg_kv_ro *fs;
	unsigned fs_gen;        /* counts replacements of fs */
	struct served *served;  /* every server the site has served on */
	struct anchor *anchor;  /* what its streams hold on to */
	int retiring;           /* replaced: done once no stream is left */
	int dotfiles;           /* serve keys with a segment starting with '.' */
};

/* The site as its streams see it.  A server may pull a stream after the
 * site that began it is gone (a replaced site's download past the host's
 * grace period), so the streams hold this, not the site: once the site
 * leaves, `s` is NULL and the last stream frees it.  Plain malloc: the
 * block outlives the device its allocations are counted to. */
struct anchor {
	struct site *s;
	unsigned streams;       /* begun and not ended */
	struct stream *reading; /* streams with a read in flight */
};

/* The handler's argument for one http server.  A replaced server still
 * answers the requests its connections had begun, so the handler must
 * answer through that server's ops, not its successor's.  It outlives the
 * site (then `s` is NULL) until the server lets go of it (serve_owned);
 * plain malloc, like the anchor.  A 1.0 server never lets go: the block
 * then stays, as the server may call the handler any time. */
struct served {
	struct site *s;
	struct mg_http *http;
	struct served *next;
};

#define STREAM_BUF (256u << 10) /* a stream's own buffer, for a store that reads later */
#define STREAM_RETRY_NS 1000000u /* a full store's queue: asked again after 1 ms */

/* One streamed response: the rest of a value, read as the client reads. */
struct stream {
	struct anchor *a;
	struct mg_kv_ro *fs;
	unsigned fs_gen;        /* of fs: the site's may have moved on */
	const char *key;
	uint64_t off, left, size;
	struct mg_http_exchange *ex;
	const struct mg_http_ops *http; /* the server's: resume, when 1.2 */
	/* A store that reads later reads into buf: bytes [at, at + have) of
	 * it are the value's from off; one read at most is in flight.  Plain
	 * malloc: the stream may outlive the site (see struct anchor). */
	char *buf;
	size_t at, have;
	int later;              /* the store said it reads later */
	int reading;            /* a read (or a retry) is in flight on fs */
	struct mg_timer *retry; /* the retry: fs's queue was full */
	const struct mg_host *host; /* the retry's; the site may be gone */
	int err;                /* how the last read failed */
	struct stream *prev, *next; /* in a->reading */
	struct stream *again;   /* see streams_reread */
};

/* The site's fs was replaced while st streamed: st goes on from the new
 * one (the old one is gone) if it has a value of the same size under the
 * key, as the store the site is swapped to usually holds the same files. */
static int stream_refresh(struct site *s, struct stream *st)
{
	struct mg_kv_ro *fs = s->fs;
	uint64_t size;
	int rc = fs->ops->size(fs, st->key, &size);

	if (rc == 0 && size != st->size)
		rc = -ESTALE;
	if (rc < 0)
		return rc;
	st->fs = fs;
	st->fs_gen = s->fs_gen;
	return 0;
}

static void reading_unlink(struct stream *st)
{
	if (st->prev)
		st->prev->next = st->next;
	else
		st->a->reading = st->next;
	if (st->next)
		st->next->prev = st->prev;
	st->prev = st->next = NULL;
	st->reading = 0;
}

/* Drops st's read in flight, if any: its buffer is st's again. */
static void stream_cancel(struct stream *st);

static void on_read(void *arg, int err, size_t got)
{
	struct stream *st = arg;

	reading_unlink(st);
	if (err == 0 && got == 0)
		err = -EIO; /* the value shrank under us */
	st->err = err;
	st->at = 0;
	st->have = err ? 0 : got;
	st->http->resume(st->ex); /* a no-op unless the server waits */
}

static void stream_cancel(struct stream *st)
{
	if (!st->reading)
		return;
	if (st->retry)
		st->host->timer_cancel(st->retry);
	else
		st->fs->ops->read_cancel(st->fs, on_read, st);
	st->retry = NULL;
	reading_unlink(st);
}

static void on_retry(void *arg)
{
	struct stream *st = arg;

	st->retry = NULL;
	reading_unlink(st);
	st->http->resume(st->ex);
}

/* Starts reading the next bytes into st->buf; -EAGAIN when they come
 * later (on_read), 0 when they are there.  A store whose queue is full
 * is asked again from a timer: no completion of ours would wake the
 * server then. */
static int stream_fetch(struct site *s, struct stream *st)
{
	size_t want = st->left < STREAM_BUF ? (size_t)st->left : STREAM_BUF, got;
	int rc;

	if (st->fs_gen != s->fs_gen && (rc = stream_refresh(s, st)) < 0)
		return rc;
	if (!st->buf && !(st->buf = malloc(want)))
		return -ENOMEM;
	rc = st->fs->ops->read(st->fs, st->key, st->off, st->buf, want, &got, on_read, st);
	if (rc == 1) {
		st->at = 0;
		st->have = got;
		return got ? 0 : -EIO;
	}
	if (rc == -EAGAIN) /* in flight as a read would be, until the timer */
		rc = st->host->timer_start(s->job.env, STREAM_RETRY_NS, on_retry, st, &st->retry);
	if (rc < 0)
		return rc;
	st->reading = 1;
	st->next = st->a->reading;
	if (st->next)
		st->next->prev = st;
	st->a->reading = st;
	return -EAGAIN;
}

static long stream_read(struct site *s, struct stream *st, void *buf, size_t cap)
{
	size_t want = st->left < cap ? (size_t)st->left : cap, got;
	int rc;

	if (want == 0)
		return 0;
	if (st->reading)
		return -EAGAIN;
	if (st->err)
		return st->err;
	if (!st->have && st->later) {
		rc = stream_fetch(s, st);
		if (rc < 0)
			return rc;
	}
	if (st->have) {
		got = st->have < want ? st->have : want;
		memcpy(buf, st->buf + st->at, got);
		st->at += got;
		st->have -= got;
	} else {
		if (st->fs_gen != s->fs_gen && (rc = stream_refresh(s, st)) < 0)
			return rc;
		if (MG_OPS_HAS(st->fs->ops, read) && MG_OPS_HAS(st->http, resume)) {
			rc = st->fs->ops->read(st->fs, st->key, st->off, buf, want, &got, NULL, NULL);
			if (rc == -EINPROGRESS) { /* the store reads later: into st's own buffer */
				st->later = 1;
				return stream_read(s, st, buf, cap);
			}
		} else {
			rc = st->fs->ops->get_partial(st->fs, st->key, st->off, buf, want, &got);
		}
		if (rc < 0)
			return rc;
		if (got == 0)
			return -EIO; /* the value shrank under us */
	}
	st->off += got;
	st->left -= got;
	/* the next bytes come while the server writes these */
	if (st->later && !st->have && st->left && (rc = stream_fetch(s, st)) < 0 && rc != -EAGAIN)
		st->err = rc;
	return (long)got;
}

/* A stream ended (or a hold of the count, see streams_reread, ended):
 * the last one frees a gone site's anchor, or lets a retiring site go. */
static void anchor_put(struct anchor *a)
{
	struct site *s = a->s;

	if (--a->streams)
		return;
	if (!s)
		free(a);
	else if (s->retiring)
		s->job.env->host->retired(s->job.env);
}

/* The server pulls the body; 0 or an error ends the stream, and so does
 * a call without buf (the server stopped pulling).  A site that is gone
 * ends its streams. */
static long stream_more(void *arg, void *buf, size_t cap)
{
	struct stream *st = arg;
	struct anchor *a = st->a;
	struct site *s = a->s;
	long n = !buf ? 0 : s ? stream_read(s, st, buf, cap) : -ECANCELED;

	if (n > 0 || n == -EAGAIN)
		return n;
	stream_cancel(st);
	free(st->buf);
	st->buf = NULL;
	anchor_put(a);
	return n;
}

/* The reads in flight on the site's fs are dropped (the store is going),
 * and their servers pull again: the streams read anew, from the site's
 * fs, or end when the site is gone.  The caller holds a stream count, so
 * the anchor stays. */
static void streams_reread(struct anchor *a)
{
	struct stream *again = NULL, *st;

	while ((st = a->reading)) {
		stream_cancel(st); /* unlinks it */
		st->again = again;
		again = st;
	}
	while ((st = again)) {
		again = st->again; /* st may be gone after its resume */
		st->http->resume(st->ex);
	}
}

static void access_log(struct site *s, const struct mg_http_request *req, int status,
		       uint64_t bytes)
{
	if (s->job.env->params[P_ACCESS_LOG].b)
		mg_console_logf(s->con, MG_LOG_INFO, "%s - - \"%s %s HTTP/1.%d\" %d %llu",
				*req->peer ? req->peer : "-", req->method, req->target,
				req->version_minor, status, (unsigned long long)bytes);
}

/* A status with a one-line text body. */
static void reply_text(const struct served *sv, struct mg_http_exchange *ex,
		       const struct mg_http_request *req, int status, const char *text,
		       const struct mg_http_header *extra, size_t nextra)
{
	const struct mg_http_ops *ops = sv->http->ops;
	struct mg_http_header h[3] = { { "Content-Type", "text/plain; charset=utf-8" } };
	size_t len = strlen(text);

	for (size_t i = 0; i < nextra && i < 2; i++)
		h[1 + i] = extra[i];
	access_log(sv->s, req, status, len);
	if (ops->respond(ex, status, h, 1 + (nextra < 2 ? nextra : 2), (int64_t)len) == 0)
		ops->body(ex, text, len);
	ops->end(ex);
}

/* Sends r of key's value from a loan of the store: 0 when the exchange
 * is done with, else a negative errno and nothing was sent (the caller
 * streams it). */
static int lend(struct site *s, const struct mg_http_ops *ops, struct mg_http_exchange *ex,
		const char *key, const struct site_range *r)
{
	struct mg_span span;
	struct mg_loan *loan;
	int rc;

	if (!MG_OPS_HAS(s->fs->ops, borrow) || !MG_OPS_HAS(ops, body_lent) || r->len > SIZE_MAX)
		return -EOPNOTSUPP;
	rc = s->fs->ops->borrow(s->fs, key, r->start, (size_t)r->len, &span, &loan);
	if (rc < 0)
		return rc;
	rc = span.len == r->len ? ops->body_lent(ex, &span, loan) : -EOPNOTSUPP;
	if (rc == -EOPNOTSUPP) { /* the loan is still ours; a short one the stream reports */
		loan->release(loan);
		return rc;
	}
	ops->end(ex);
	return 0;
}

/* Serves value `key` of `size` bytes: 200, 206, 304 or 416.  digest is
 * the store's for it (from stat), or NULL: then it is asked. */
static void serve_value(const struct served *sv, struct mg_http_exchange *ex,
			const struct mg_http_request *req, const char *key, uint64_t size,
			const char *digest)
{
	struct site *s = sv->s;
	const struct mg_http_ops *ops = sv->http->ops;
	char *etag = ops->alloc(ex, MG_KV_DIGEST_MAX + 2);
	char *crange = ops->alloc(ex, 64);
	struct stream *st = ops->alloc(ex, sizeof *st);
	struct mg_http_header h[4] = {
		{ "Content-Type", site_content_type(key) },
		{ "Accept-Ranges", "bytes" },
	};
	size_t nh = 2;
	struct site_range r = { 0, size };
	int status = 200;

	if (!etag || !crange || !st) {
		reply_text(sv, ex, req, 500, "Internal Server Error\n", NULL, 0);
		return;
	}
	if (digest ? (strcpy(etag + 1, digest), *digest != '\0')
		   : s->fs->ops->digest(s->fs, key, etag + 1, MG_KV_DIGEST_MAX) == 0) {
		size_t n = strlen(etag + 1);

		etag[0] = etag[n + 1] = '"';
		etag[n + 2] = '\0';
		h[nh++] = (struct mg_http_header){ "ETag", etag };
		if (site_etag_matches(ops->header(req, "If-None-Match"), etag)) {
			access_log(s, req, 304, 0);
			ops->respond(ex, 304, h + 2, 1, -1);
			ops->end(ex);
			return;
		}
	}
	switch (site_range(ops->header(req, "Range"), ops->header(req, "If-Range"),
			   nh == 3 ? etag : NULL, size, &r, crange, 64)) {
	case SITE_RANGE_NONE:
		break;
	case SITE_RANGE_PARTIAL:
		status = 206;
		h[nh++] = (struct mg_http_header){ "Content-Range", crange };
		break;
	default:
		reply_text(sv, ex, req, 416, "Range Not Satisfiable\n",
			   &(struct mg_http_header){ "Content-Range", crange }, 1);
		return;
	}
	*st = (struct stream){ .a = s->anchor, .fs = s->fs, .fs_gen = s->fs_gen, .key = key,
			       .off = r.start, .left = r.len, .size = size, .ex = ex, .http = ops,
			       .host = s->job.env->host };
	access_log(s, req, status, r.len);
	if (ops->respond(ex, status, h, nh, (int64_t)r.len) == 0) {
		if (lend(s, ops, ex, key, &r) == 0)
			return;
		s->anchor->streams++; /* until stream_more ends it */
		if (ops->body_stream(ex, stream_more, st) < 0)
			s->anchor->streams--;
	} else {
		ops->end(ex);
	}
}

static void handle(void *arg, struct mg_http_exchange *ex, const struct mg_http_request *req)
{
	const struct served *sv = arg;
	struct site *s = sv->s;
	const struct mg_http_ops *ops = sv->http->ops;
	const char *index;
	struct mg_kv_stat *st = NULL;
	enum mg_kv_kind kind;
	uint64_t size;
	char *key;
	int rc;

	if (!s) { /* the site is gone, and no successor serves on this server */
		ops->respond(ex, 503, NULL, 0, 0);
		ops->end(ex);
		return;
	}
	index = s->job.env->params[P_INDEX].s;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		reply_text(sv, ex, req, 405, "Method Not Allowed\n",
			   &(struct mg_http_header){ "Allow", "GET, HEAD" }, 1);
		return;
	}
	key = site_key(ops->alloc(ex, strlen(req->path) + strlen(index) + 2), req->path, index);
	rc = !key ? -EINVAL : !s->dotfiles && site_key_hidden(key) ? -ENOENT : 0;
	if (rc == 0 && MG_OPS_HAS(s->fs->ops, stat)) { /* one lookup for all */
		st = ops->alloc(ex, sizeof *st);
		rc = !st ? -ENOMEM : s->fs->ops->stat(s->fs, key, st);
		kind = st ? st->kind : 0;
	} else if (rc == 0) {
		rc = s->fs->ops->exists(s->fs, key, &kind);
	}
	if (rc == 0 && kind == MG_KV_DICTIONARY) {
		/* A folder asked without its slash: relative links need it. */
		size_t n = strlen(req->path);
		char *loc = ops->alloc(ex, n + 2);

		if (loc) {
			memcpy(loc, req->path, n);
			memcpy(loc + n, "/", 2);
			reply_text(sv, ex, req, 301, "Moved Permanently\n",
				   &(struct mg_http_header){ "Location", loc }, 1);
			return;
		}
		rc = -ENOMEM;
	}
	if (rc == 0 && st)
		size = st->size;
	else if (rc == 0)
		rc = s->fs->ops->size(s->fs, key, &size);
	if (rc == 0)
		serve_value(sv, ex, req, key, size, st ? st->digest : NULL);
	else if (rc == -EINVAL)
		reply_text(sv, ex, req, 400, "Bad Request\n", NULL, 0);
	else if (rc == -ENOENT || rc == -EACCES || rc == -EISDIR || rc == -ENOTDIR)
		reply_text(sv, ex, req, 404, "Not Found\n", NULL, 0);
	else
		reply_text(sv, ex, req, 500, "Internal Server Error\n", NULL, 0);
}

static const struct mg_job_ops site_ops = {
	.hdr = MG_OPS_HDR(struct mg_job_ops, 1, 0),
};

/* The server will not call the handler with arg again. */
static void served_release(void *arg)
{
	struct served *sv = arg;

	for (struct served **p = sv->s ? &sv->s->served : NULL; p && *p; p = &(*p)->next) {
		if (*p == sv) {
			*p = sv->next;
			break;
		}
	}
	free(sv);
}

/* Serves the site on http (as well as on any server before it). */
static int serve_on(struct site *s, struct mg_http *http)
{
	struct served *sv = malloc(sizeof *sv);
	int rc;

	if (!sv)
		return -ENOMEM;
	*sv = (struct served){ .s = s, .http = http, .next = s->served };
	s->served = sv; /* first: serving may release another of the site's */
	rc = MG_OPS_HAS(http->ops, serve_owned) ? http->ops->serve_owned(http, handle, sv, served_release)
						 : http->ops->serve(http, handle, sv);
	if (rc < 0) {
		s->served = sv->next;
		free(sv);
	}
	return rc;
}

static int site_start(struct mg_job *self, struct mg_console *con, struct mg_kv_ro *fs,
		      struct mg_http *http)
{
	struct site *s = mg_container_of(self, struct site, job);

	s->con = con;
	s->fs = fs;
	return serve_on(s, http);
}

static void site_dep_replaced(struct mg_device *self, uint32_t slot, struct mg_device *dep)
{
	struct site *s = mg_container_of(self, struct site, job);
	int rc;

	switch (slot) {
	case S_CONSOLE:
		s->con = (struct mg_console *)dep;
		break;
	case S_FS:
		s->fs = (struct mg_kv_ro *)dep;
		s->fs_gen++;
		s->anchor->streams++;
		streams_reread(s->anchor); /* the old store goes after this call */
		anchor_put(s->anchor);
		break;
	case S_HTTP:
		rc = serve_on(s, (struct mg_http *)dep);
		if (rc < 0)
			mg_log(s->job.env, MG_LOG_ERROR, "cannot serve on the new http: error %d", rc);
		break;
	}
}

/* A successor serves already: wait for the downloads this one streams
 * (the server ends a dead peer's; one past the host's grace period goes on
 * to its end without the site, which the anchor allows). */
static void site_retire(struct mg_device *self)
{
	struct site *s = mg_container_of(self, struct site, job);

	s->retiring = 1;
	if (!s->anchor->streams)
		s->job.env->host->retired(s->job.env);
}

static int site_connect(const struct mg_env *env, struct mg_device **out)
{
	struct site *s = mg_zalloc(env, sizeof *s);

	if (!s)
		return -ENOMEM;
	s->dotfiles = strcmp(env->params[P_DOTFILES].s, "allow") == 0;
	s->anchor = malloc(sizeof *s->anchor);
	if (!s->anchor) {
		mg_free(env, s);
		return -ENOMEM;
	}
	*s->anchor = (struct anchor){ s, 0, NULL };
	s->job.ops = &site_ops;
	s->job.env = env;
	*out = MG_DEVICE(&s->job);
	return 0;
}

static void site_disconnect(struct mg_device *dev)
{
	struct site *s = mg_container_of(dev, struct site, job);

	/* the servers still hold these: they answer 503 until let go */
	for (struct served *sv = s->served; sv; sv = sv->next)
		sv->s = NULL;
	s->anchor->s = NULL; /* the last stream frees it */
	s->anchor->streams++;
	streams_reread(s->anchor); /* they end now: no read outlives the site */
	anchor_put(s->anchor);
	mg_free(s->job.env, s);
}

static const struct mg_slot site_slots[] = {
	[S_CONSOLE] = { .name = "console", .type = MG_TYPE(CONSOLE, 0), .doc = "where the access log goes" },
	[S_FS] = { .name = "fs", .type = MG_TYPE(KV_RO, 0), .doc = "the files to serve" },
	/* 1.0 is enough: without serve_owned the site's handler argument stays */
	[S_HTTP] = { .name = "http", .type = MG_TYPE(HTTP, 0), .doc = "the server" },
};

static const struct mg_param site_params[] = {
	[P_INDEX] = { .name = "index", .type = MG_PARAM_STRING, .def = "index.html",
		      .doc = "the file served for a folder" },
	[P_ACCESS_LOG] = { .name = "access_log", .type = MG_PARAM_BOOL, .def = "true",
			   .doc = "one console line per request" },
	/* Here, not in the store: what a web client may see is the site's
	 * policy, whatever kv_ro it serves (a folder, a crunched one). */
	[P_DOTFILES] = { .name = "dotfiles", .type = MG_PARAM_ENUM, .def = "deny", .choices = "deny|allow",
			 .doc = "\"deny\": a path with a segment starting with '.' (.git, .env) gets 404; \"allow\" serves it" },
};

MG_PLUGIN(.name = "website", .version = "1.0",
	  .summary = "the seed's website: a kv_ro served over HTTP",
	  .provides = MG_TYPE(JOB, 0), .targets = MG_TARGET_ANY,
	  .slots = site_slots, .nslots = MG_COUNTOF(site_slots),
	  .params = site_params, .nparams = MG_COUNTOF(site_params),
	  .connect = site_connect, .disconnect = site_disconnect,
	  .start = (mg_start_fn)site_start, .dep_replaced = site_dep_replaced,
	  .retire = site_retire);
