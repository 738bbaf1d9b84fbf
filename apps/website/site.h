/* site.h - the website's pure helpers (site.c): keys from paths, content
 * types, ETag matching and byte ranges. */
#ifndef MIRAGE_WEBSITE_SITE_H
#define MIRAGE_WEBSITE_SITE_H

#include <stddef.h>
#include <stdint.h>

/* The kv_ro key for a decoded path ("/a/b" -> "a/b"; "/d/" -> "d/INDEX")
 * written into buf (strlen(path) + strlen(index) + 2 bytes; NULL gives
 * NULL).  NULL when the path is no valid key ("..", "//", not absolute). */
char *site_key(char *buf, const char *path, const char *index);

/* Does a segment of key start with '.' (a dotfile: .git, .htpasswd, .env)? */
int site_key_hidden(const char *key);

/* The Content-Type for key's extension. */
const char *site_content_type(const char *key);

/* Does If-None-Match `inm` (NULL when absent) match `etag` ("\"...\"")? */
int site_etag_matches(const char *inm, const char *etag);

struct site_range {
	uint64_t start, len;
};

enum site_range_result {
	SITE_RANGE_NONE,        /* serve everything: no (usable) Range */
	SITE_RANGE_PARTIAL,     /* *r set, crange holds the Content-Range value */
	SITE_RANGE_UNSATISFIED, /* 416; crange holds "bytes * /size" */
};

/* Applies a Range header (with its If-Range) to a value of `size` bytes.
 * Only a single "bytes=" range is honoured; anything else is ignored, as
 * RFC 9110 14.2 allows. */
enum site_range_result site_range(const char *range, const char *if_range,
				  const char *etag, uint64_t size,
				  struct site_range *r, char *crange, size_t cap);

#endif
