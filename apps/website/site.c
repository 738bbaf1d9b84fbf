/* site.c - see site.h.  Pure: strings in, strings out. */
#include <stdio.h>
#include <string.h>

#include "mirage/kv_ro.h"
#include "site.h"

char *site_key(char *buf, const char *path, const char *index)
{
	size_t n;

	if (!buf || path[0] != '/')
		return NULL;
	n = strlen(path + 1);
	memcpy(buf, path + 1, n + 1);
	if (n == 0 || buf[n - 1] == '/')
		memcpy(buf + n, index, strlen(index) + 1);
	return mg_kv_key_check(buf) == 0 ? buf : NULL;
}

int site_key_hidden(const char *key)
{
	for (const char *p = key; *p; p++)
		if (*p == '.' && (p == key || p[-1] == '/'))
			return 1;
	return 0;
}

static const struct { const char *ext, *type; } types[] = {
	{ "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" }, { "js", "text/javascript; charset=utf-8" },
	{ "json", "application/json" }, { "txt", "text/plain; charset=utf-8" },
	{ "xml", "application/xml" }, { "svg", "image/svg+xml" },
	{ "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" }, { "webp", "image/webp" }, { "ico", "image/x-icon" },
	{ "pdf", "application/pdf" }, { "wasm", "application/wasm" },
	{ "woff2", "font/woff2" },
};

const char *site_content_type(const char *key)
{
	const char *slash = strrchr(key, '/'), *dot = strrchr(key, '.');

	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

int site_etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);

	if (!inm)
		return 0;
	while (*inm) {
		size_t len;

		inm += strspn(inm, " \t,");
		if (*inm == '*')
			return 1;
		if (strncmp(inm, "W/", 2) == 0) /* weak comparison (RFC 9110 13.1.2) */
			inm += 2;
		len = strcspn(inm, " \t,");
		if (len == n && memcmp(inm, etag, n) == 0)
			return 1;
		inm += len;
	}
	return 0;
}

/* Decimal digits at *s; -1 when none or too many. */
static int number(const char **s, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	for (; **s >= '0' && **s <= '9'; (*s)++, digits++) {
		if (digits == 18)
			return -1;
		v = v * 10 + (uint64_t)(**s - '0');
	}
	*out = v;
	return digits ? 0 : -1;
}

enum site_range_result site_range(const char *range, const char *if_range,
				  const char *etag, uint64_t size,
				  struct site_range *r, char *crange, size_t cap)
{
	const char *p = range;
	uint64_t a = 0, b = UINT64_MAX;
	int suffix;

	if (!range || strncmp(range, "bytes=", 6) != 0 || strchr(range, ','))
		return SITE_RANGE_NONE;
	if (if_range && (!etag || strcmp(if_range, etag) != 0))
		return SITE_RANGE_NONE; /* the client's copy is stale: all of it */
	p += 6;
	suffix = *p == '-';
	if ((!suffix && number(&p, &a) < 0) || *p++ != '-' ||
	    (*p && number(&p, &b) < 0) || *p || (suffix && b == UINT64_MAX) ||
	    (!suffix && a > b))
		return SITE_RANGE_NONE;
	if (suffix) {
		a = b < size ? size - b : 0;
		b = size - 1;
		if (size == 0 || a > b) /* "-0" asks for nothing */
			a = size;
	}
	if (a >= size) {
		snprintf(crange, cap, "bytes */%llu", (unsigned long long)size);
		return SITE_RANGE_UNSATISFIED;
	}
	if (b >= size)
		b = size - 1;
	r->start = a;
	r->len = b - a + 1;
	snprintf(crange, cap, "bytes %llu-%llu/%llu", (unsigned long long)a,
		 (unsigned long long)b, (unsigned long long)size);
	return SITE_RANGE_PARTIAL;
}
