/* parser.h - HTTP/1.1 request parsing, pure: no I/O, no allocation, no
 * clock.  The head is parsed in place (names, values and the request line
 * are cut with NULs); errors come back as the negated HTTP status to send. */
#ifndef MIRAGE_HTTP_PARSER_H
#define MIRAGE_HTTP_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "mirage/http.h"

struct http_limits {
	size_t max_line;    /* request line, CRLF included (414 beyond) */
	size_t max_head;    /* request line and headers (431 beyond) */
	size_t max_headers; /* header count (431 beyond) */
	size_t max_body;    /* decoded body (413 beyond) */
};

struct http_head {
	char *method, *target, *path, *query;
	int version_minor;
	struct mg_http_header *headers; /* the caller's array, max_headers long */
	size_t nheaders;
	uint64_t content_length;        /* 0 without a body */
	int chunked;
	int keep_alive;                 /* the connection may stay open */
	int expect_continue;
	int is_head;                    /* method HEAD */
};

/* Parses the head at buf[0..len).  `path` (max_line bytes) receives the
 * decoded path; h->headers must point to max_headers entries.  Returns the
 * head's length in bytes when complete, 0 when more bytes are needed, or
 * -400, -413, -414, -431, -501, -505. */
long http_parse_head(char *buf, size_t len, const struct http_limits *lim,
		     char *path, struct http_head *h);

/* How far a chunked body arriving in pieces has been checked, so that each
 * new piece costs its own length, not the whole body's again.  Zero it
 * for each request. */
struct http_chunks {
	size_t pos; /* bytes of whole chunks checked */
	size_t out; /* their data bytes */
};

/* Decodes a chunked body at buf[0..len) in place once it is complete.
 * Returns the bytes it took (chunks and trailer) with the body's length in
 * *body_len, 0 when more bytes are needed, -400 or -413. */
long http_dechunk(char *buf, size_t len, size_t max_body, struct http_chunks *done,
		  size_t *body_len);

/* Case-insensitive ASCII comparison of NUL-terminated strings. */
int http_strcaseeq(const char *a, const char *b);
/* The value of header `name` in h[0..n), or NULL. */
const char *http_find_header(const struct mg_http_header *h, size_t n, const char *name);

#endif
