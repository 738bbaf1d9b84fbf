/* website - the seed's Dispatch.Main: serves a kv_ro over HTTP, with
 * index.html for folders, Content-Type by extension, ETags and 304, single
 * byte ranges, and an access-log line per request on the console. */
#include <string.h>

#include "mirage/console.h"
#include "mirage/http.h"
#include "mirage/job.h"
#include "mirage/kv_ro.h"
#include "site.h"

enum { P_INDEX, P_ACCESS_LOG };

struct site {
	struct mg_job job;
	struct mg_console *con;
	struct mg_kv_ro *fs;
	struct mg_http *http;
};

/* One streamed response: the rest of a value, read as the client reads. */
struct stream {
	struct mg_kv_ro *fs;
	const char *key;
	uint64_t off, left;
};

static long stream_more(void *arg, void *buf, size_t cap)
{
	struct stream *st = arg;
	size_t want = st->left < cap ? (size_t)st->left : cap, got;
	int rc;

	if (want == 0)
		return 0;
	rc = st->fs->ops->get_partial(st->fs, st->key, st->off, buf, want, &got);
	if (rc < 0)
		return rc;
	if (got == 0)
		return -EIO; /* the value shrank under us */
	st->off += got;
	st->left -= got;
	return (long)got;
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
static void reply_text(struct site *s, struct mg_http_exchange *ex,
		       const struct mg_http_request *req, int status, const char *text,
		       const struct mg_http_header *extra, size_t nextra)
{
	struct mg_http_header h[3] = { { "Content-Type", "text/plain; charset=utf-8" } };
	size_t len = strlen(text);

	for (size_t i = 0; i < nextra && i < 2; i++)
		h[1 + i] = extra[i];
	access_log(s, req, status, len);
	if (s->http->ops->respond(ex, status, h, 1 + (nextra < 2 ? nextra : 2), (int64_t)len) == 0)
		s->http->ops->body(ex, text, len);
	s->http->ops->end(ex);
}

/* Serves value `key` of `size` bytes: 200, 206, 304 or 416. */
static void serve_value(struct site *s, struct mg_http_exchange *ex,
			const struct mg_http_request *req, const char *key, uint64_t size)
{
	const struct mg_http_ops *ops = s->http->ops;
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
		reply_text(s, ex, req, 500, "Internal Server Error\n", NULL, 0);
		return;
	}
	if (s->fs->ops->digest(s->fs, key, etag + 1, MG_KV_DIGEST_MAX) == 0) {
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
		reply_text(s, ex, req, 416, "Range Not Satisfiable\n",
			   &(struct mg_http_header){ "Content-Range", crange }, 1);
		return;
	}
	*st = (struct stream){ .fs = s->fs, .key = key, .off = r.start, .left = r.len };
	access_log(s, req, status, r.len);
	if (ops->respond(ex, status, h, nh, (int64_t)r.len) == 0)
		ops->body_stream(ex, stream_more, st);
	else
		ops->end(ex);
}

static void handle(void *arg, struct mg_http_exchange *ex, const struct mg_http_request *req)
{
	struct site *s = arg;
	const struct mg_http_ops *ops = s->http->ops;
	const char *index = s->job.env->params[P_INDEX].s;
	enum mg_kv_kind kind;
	uint64_t size;
	char *key;
	int rc;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		reply_text(s, ex, req, 405, "Method Not Allowed\n",
			   &(struct mg_http_header){ "Allow", "GET, HEAD" }, 1);
		return;
	}
	key = site_key(ops->alloc(ex, strlen(req->path) + strlen(index) + 2), req->path, index);
	rc = key ? s->fs->ops->exists(s->fs, key, &kind) : -EINVAL;
	if (rc == 0 && kind == MG_KV_DICTIONARY) {
		/* A folder asked without its slash: relative links need it. */
		size_t n = strlen(req->path);
		char *loc = ops->alloc(ex, n + 2);

		if (loc) {
			memcpy(loc, req->path, n);
			memcpy(loc + n, "/", 2);
			reply_text(s, ex, req, 301, "Moved Permanently\n",
				   &(struct mg_http_header){ "Location", loc }, 1);
			return;
		}
		rc = -ENOMEM;
	}
	if (rc == 0)
		rc = s->fs->ops->size(s->fs, key, &size);
	if (rc == 0)
		serve_value(s, ex, req, key, size);
	else if (rc == -EINVAL)
		reply_text(s, ex, req, 400, "Bad Request\n", NULL, 0);
	else if (rc == -ENOENT || rc == -EACCES || rc == -EISDIR || rc == -ENOTDIR)
		reply_text(s, ex, req, 404, "Not Found\n", NULL, 0);
	else
		reply_text(s, ex, req, 500, "Internal Server Error\n", NULL, 0);
}

static const struct mg_job_ops site_ops = {
	.hdr = MG_OPS_HDR(struct mg_job_ops, 1, 0),
};

static int site_start(struct mg_job *self, struct mg_console *con, struct mg_kv_ro *fs,
		      struct mg_http *http)
{
	struct site *s = mg_container_of(self, struct site, job);

	s->con = con;
	s->fs = fs;
	s->http = http;
	return http->ops->serve(http, handle, s);
}

static int site_connect(const struct mg_env *env, struct mg_device **out)
{
	struct site *s = mg_zalloc(env, sizeof *s);

	if (!s)
		return -ENOMEM;
	s->job.ops = &site_ops;
	s->job.env = env;
	*out = MG_DEVICE(&s->job);
	return 0;
}

static void site_disconnect(struct mg_device *dev)
{
	struct site *s = mg_container_of(dev, struct site, job);

	mg_free(s->job.env, s);
}

static const struct mg_slot site_slots[] = {
	{ .name = "console", .type = MG_CONSOLE_TYPE, .doc = "where the access log goes" },
	{ .name = "fs", .type = MG_KV_RO_TYPE, .doc = "the files to serve" },
	{ .name = "http", .type = MG_HTTP_TYPE, .def = "http.server", .doc = "the server" },
};

static const struct mg_param site_params[] = {
	[P_INDEX] = { .name = "index", .type = MG_PARAM_STRING, .def = "index.html",
		      .doc = "the file served for a folder" },
	[P_ACCESS_LOG] = { .name = "access_log", .type = MG_PARAM_BOOL, .def = "true",
			   .doc = "one console line per request" },
};

MG_PLUGIN(.name = "website", .version = "1.0",
	  .summary = "the seed's website: a kv_ro served over HTTP",
	  .provides = MG_JOB_TYPE, .targets = MG_TARGET_ANY,
	  .slots = site_slots, .nslots = MG_COUNTOF(site_slots),
	  .params = site_params, .nparams = MG_COUNTOF(site_params),
	  .connect = site_connect, .disconnect = site_disconnect,
	  .start = (mg_start_fn)site_start);
