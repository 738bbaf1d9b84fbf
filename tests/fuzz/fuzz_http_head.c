/* fuzz_http_head.c - the request head parser (plugins/http/server/parser.c) over
 * arbitrary bytes, in an exactly sized buffer so that any read past the
 * input is caught.  Beyond not crashing: a parsed head lies inside the
 * input, its strings are cut inside it, and the same head arriving in
 * pieces parses to "more, please" until it is whole (the server re-parses
 * as bytes come in). */
#include <string.h>

#include "fuzz.h"
#include "parser.h"

#define MAX_HEADERS 16

static const struct http_limits lim = {
	.max_line = 256, .max_head = 1024, .max_headers = MAX_HEADERS, .max_body = 1 << 20,
};

/* Parses a copy of data[0..n) (the parser cuts in place); the buffer is
 * the caller's to free. */
static long parse(const uint8_t *data, size_t n, char **buf, char *path, struct http_head *h,
		  struct mg_http_header *hdrs)
{
	*buf = malloc(n ? n : 1);
	FUZZ_ASSERT(*buf);
	memcpy(*buf, data, n);
	*h = (struct http_head){ .headers = hdrs };
	return http_parse_head(*buf, n, &lim, path, h);
}

static int inside(const char *p, const char *buf, size_t n)
{
	return p >= buf && p < buf + n && memchr(p, '\0', (size_t)(buf + n - p));
}

/* A prefix of a complete head is not an error, nor complete. */
static void check_prefix(const uint8_t *data, size_t cut)
{
	struct mg_http_header hdrs[MAX_HEADERS];
	char path[256], *buf;
	struct http_head h;
	long rc = parse(data, cut, &buf, path, &h, hdrs);

	FUZZ_ASSERT(rc == 0);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_http_header hdrs[MAX_HEADERS];
	char path[256], *buf;
	struct http_head h;
	long rc = parse(data, size, &buf, path, &h, hdrs);

	FUZZ_ASSERT(rc >= -505 && rc <= (long)size);
	if (rc > 0) {
		FUZZ_ASSERT(inside(h.method, buf, (size_t)rc) && inside(h.target, buf, (size_t)rc));
		FUZZ_ASSERT(h.query >= h.target && inside(h.query, buf, (size_t)rc));
		FUZZ_ASSERT(memchr(path, '\0', sizeof path) && h.path == path);
		for (const char *p = path; *p; p++) /* no header injection through a Location */
			FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
		FUZZ_ASSERT(h.nheaders <= MAX_HEADERS && h.content_length <= lim.max_body);
		for (size_t i = 0; i < h.nheaders; i++) {
			FUZZ_ASSERT(inside(hdrs[i].name, buf, (size_t)rc));
			FUZZ_ASSERT(inside(hdrs[i].value, buf, (size_t)rc));
			FUZZ_ASSERT(!strpbrk(hdrs[i].value, "\r\n"));
		}
		FUZZ_ASSERT(!(h.chunked && h.content_length));
		check_prefix(data, (size_t)rc - 1);
		check_prefix(data, (size_t)rc / 2);
	}
	free(buf);
	return 0;
}
