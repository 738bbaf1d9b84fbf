/* parser.c - see parser.h.  Lines end in LF with an optional CR before it
 * (RFC 9112 2.2); anything unusual is refused rather than guessed at. */
#include <string.h>

#include "parser.h"

#define CHUNK_LINE_MAX 1024 /* a chunk-size line, extensions included */
#define TRAILER_MAX 8192

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int http_strcaseeq(const char *a, const char *b)
{
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b))
		a++, b++;
	return *a == *b;
}

const char *http_find_header(const struct mg_http_header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (http_strcaseeq(h[i].name, name))
			return h[i].value;
	return NULL;
}

/* tchar of RFC 9110 5.6.2. */
static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Index just past the next LF in buf[from..len), or 0 when there is none. */
static size_t line_end(const char *buf, size_t from, size_t len)
{
	const char *lf = memchr(buf + from, '\n', len - from);

	return lf ? (size_t)(lf - buf) + 1 : 0;
}

/* Length of the line buf[from..end) without its CR LF or LF. */
static size_t line_len(const char *buf, size_t from, size_t end)
{
	size_t n = end - from - 1;

	return n && buf[from + n - 1] == '\r' ? n - 1 : n;
}

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE",
				       "OPTIONS", "PATCH", "TRACE" };

/* Percent-decodes src[0..n) into dst (n + 1 bytes); refuses bad escapes
 * and control characters (%00, and %0d%0a, which would end a header line
 * where the path is echoed, as in a redirect's Location), so the path is a
 * printable C string equal to what was meant. */
static int decode_path(const char *src, size_t n, char *dst)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)src[i];

		if (c == '%') {
			if (i + 2 >= n || hexval((unsigned char)src[i + 1]) < 0 ||
			    hexval((unsigned char)src[i + 2]) < 0)
				return -400;
			c = hexval((unsigned char)src[i + 1]) * 16 + hexval((unsigned char)src[i + 2]);
			if (c < 0x20 || c == 0x7f)
				return -400;
			i += 2;
		}
		*dst++ = (char)c;
	}
	*dst = '\0';
	return 0;
}

/* The target's path part (origin or absolute form) and query. */
static int split_target(struct http_head *h, char *path)
{
	const char *t = h->target, *q;

	if (strcmp(t, "*") == 0) {
		if (strcmp(h->method, "OPTIONS") != 0)
			return -400;
		strcpy(path, "*");
		h->query = h->target + 1;
		return 0;
	}
	if (strncmp(t, "http://", 7) == 0 || strncmp(t, "https://", 8) == 0) {
		t = strchr(t, '/') + 2;
		t += strcspn(t, "/?");
	}
	if (*t != '/')
		return -400;
	q = strchr(t, '?');
	h->query = (char *)(q ? q + 1 : t + strlen(t));
	return decode_path(t, q ? (size_t)(q - t) : strlen(t), path);
}

/* "METHOD SP target SP HTTP/1.x", cut in place with NULs. */
static int request_line(char *line, size_t n, char *path, struct http_head *h)
{
	char *end = line + n, *p = line, *sp;
	size_t i;

	while (p < end && is_tchar((unsigned char)*p))
		p++;
	if (p == line || p == end || *p != ' ')
		return -400;
	*p++ = '\0';
	h->method = line;
	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp || sp == p)
		return -400;
	for (char *c = p; c < sp; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return -400;
	*sp = '\0';
	h->target = p;
	p = sp + 1;
	if (end - p != 8 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' ||
	    p[6] != '.' || p[7] < '0' || p[7] > '9')
		return -400;
	if (p[5] != '1')
		return -505;
	h->version_minor = p[7] - '0';
	for (i = 0; i < MG_COUNTOF(methods) && strcmp(methods[i], h->method) != 0; i++)
		;
	if (i == MG_COUNTOF(methods))
		return -501;
	h->is_head = i == 1;
	return split_target(h, path);
}

/* Does the comma-separated list `v` hold `token` (without case)? */
static int has_token(const char *v, const char *token)
{
	size_t tl = strlen(token);

	while (*v) {
		size_t n;

		v += strspn(v, " \t,");
		n = strcspn(v, " \t,");
		if (n == tl) {
			size_t i = 0;

			while (i < n && lower((unsigned char)v[i]) == token[i])
				i++;
			if (i == n)
				return 1;
		}
		v += n;
	}
	return 0;
}

/* Decimal Content-Length; -400 when malformed, -413 beyond max. */
static int parse_length(const char *v, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (!*v)
		return -400;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -400;
		n = n * 10 + (uint64_t)(*v - '0');
		if (n > max)
			return -413;
	}
	*out = n;
	return 0;
}

/* What the headers mean for framing and the connection. */
static int interpret(struct http_head *h, const struct http_limits *lim)
{
	int hosts = 0, lengths = 0;

	h->keep_alive = h->version_minor >= 1;
	for (size_t i = 0; i < h->nheaders; i++) {
		const char *n = h->headers[i].name, *v = h->headers[i].value;
		uint64_t len;
		int rc;

		if (http_strcaseeq(n, "host")) {
			hosts++;
		} else if (http_strcaseeq(n, "content-length")) {
			rc = parse_length(v, lim->max_body, &len);
			if (rc < 0)
				return rc;
			if (lengths++ && len != h->content_length)
				return -400;
			h->content_length = len;
		} else if (http_strcaseeq(n, "transfer-encoding")) {
			if (!http_strcaseeq(v, "chunked"))
				return -501;
			h->chunked = 1;
		} else if (http_strcaseeq(n, "connection")) {
			if (has_token(v, "close"))
				h->keep_alive = 0;
			else if (has_token(v, "keep-alive"))
				h->keep_alive = 1;
		} else if (http_strcaseeq(n, "expect")) {
			if (!http_strcaseeq(v, "100-continue"))
				return -400;
			h->expect_continue = h->version_minor >= 1;
		}
	}
	/* Both framings at once is how requests get smuggled. */
	if ((h->chunked && lengths) || hosts > 1 || (h->version_minor >= 1 && hosts == 0))
		return -400;
	return 0;
}

/* "Name: value" cut in place; OWS around the value is dropped. */
static int header_line(char *line, size_t n, struct mg_http_header *out)
{
	char *end = line + n, *p = line;

	while (p < end && is_tchar((unsigned char)*p))
		p++;
	if (p == line || p == end || *p != ':')
		return -400;
	*p++ = '\0';
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (char *c = p; c < end; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
			return -400;
	*end = '\0';
	out->name = line;
	out->value = p;
	return 0;
}

long http_parse_head(char *buf, size_t len, const struct http_limits *lim,
		     char *path, struct http_head *h)
{
	size_t start = 0, eol, pos;
	struct mg_http_header *hdrs = h->headers;
	int rc;

	/* Empty lines before a request are ignored (RFC 9112 2.2). */
	while (start < len && (buf[start] == '\r' || buf[start] == '\n'))
		start++;
	if (start > lim->max_line)
		return -400;
	eol = line_end(buf, start, len < start + lim->max_line ? len : start + lim->max_line);
	if (!eol)
		return len >= start + lim->max_line ? -414 : 0;
	/* Find the empty line that ends the head before touching anything. */
	for (pos = eol;;) {
		size_t next = line_end(buf, pos, len);

		if (!next)
			return len - start >= lim->max_head ? -431 : 0;
		if (next - start > lim->max_head)
			return -431;
		if (line_len(buf, pos, next) == 0) {
			pos = next;
			break;
		}
		pos = next;
	}
	*h = (struct http_head){ .headers = hdrs, .path = path };
	rc = request_line(buf + start, line_len(buf, start, eol), path, h);
	for (size_t at = eol, next; rc == 0 && (next = line_end(buf, at, pos)) != pos; at = next) {
		size_t n = line_len(buf, at, next);

		if (h->nheaders == lim->max_headers)
			return -431;
		if (buf[at] == ' ' || buf[at] == '\t')
			return -400; /* obsolete line folding */
		rc = header_line(buf + at, n, &hdrs[h->nheaders++]);
	}
	if (rc == 0)
		rc = interpret(h, lim);
	return rc < 0 ? rc : (long)pos;
}

/* Chunk extensions and trailer fields are skipped, but must not hide a bare
 * CR that another parser would take for a line end (request smuggling). */
static int skipped_ok(const char *buf, size_t from, size_t end)
{
	for (size_t i = from; i < end; i++)
		if (buf[i] == '\r' || buf[i] == 0x7f || ((unsigned char)buf[i] < 0x20 && buf[i] != '\t'))
			return 0;
	return 1;
}

/* A pass over a chunked body from the chunk at done->pos; moves the data
 * down when `write` is set (the checking passes leave buf as it is and
 * advance *done past each whole chunk). */
static long chunks(char *buf, size_t len, size_t max_body, int write, struct http_chunks *done,
		   size_t *body_len)
{
	size_t pos = done->pos, out = done->out, eol;

	for (;;) {
		uint64_t size = 0;
		size_t i = pos, digits = 0;

		eol = line_end(buf, pos, len);
		if (!eol)
			return len - pos > CHUNK_LINE_MAX ? -400 : 0;
		if (eol - pos > CHUNK_LINE_MAX)
			return -400;
		for (; hexval((unsigned char)buf[i]) >= 0; i++, digits++) {
			if (digits == 15)
				return -413;
			size = size * 16 + (uint64_t)hexval((unsigned char)buf[i]);
		}
		if (!digits || (buf[i] != ';' && buf[i] != '\n' &&
				(buf[i] != '\r' || i + 2 != eol)))
			return -400;
		if (buf[i] == ';' && !skipped_ok(buf, i + 1, pos + line_len(buf, pos, eol)))
			return -400;
		if (size > max_body - out)
			return -413;
		pos = eol;
		if (size == 0)
			break;
		if (len - pos <= size)
			return 0;
		/* The data ends with CR LF or LF. */
		eol = line_end(buf, pos + (size_t)size, len);
		if (!eol)
			return len - pos - size == 1 && buf[pos + size] == '\r' ? 0 : -400;
		if (line_len(buf, pos + (size_t)size, eol) != 0)
			return -400;
		if (write)
			memmove(buf + out, buf + pos, (size_t)size);
		out += (size_t)size;
		pos = eol;
		if (!write)
			*done = (struct http_chunks){ pos, out };
	}
	/* Trailer fields, ignored, up to an empty line. */
	for (size_t trailer = pos;;) {
		eol = line_end(buf, pos, len);
		if ((eol ? eol : len) - trailer > TRAILER_MAX)
			return -400;
		if (!eol)
			return 0;
		if (line_len(buf, pos, eol) == 0)
			break;
		if (!skipped_ok(buf, pos, pos + line_len(buf, pos, eol)))
			return -400;
		pos = eol;
	}
	*body_len = out;
	return (long)eol;
}

long http_dechunk(char *buf, size_t len, size_t max_body, struct http_chunks *done,
		  size_t *body_len)
{
	struct http_chunks from_start = { 0, 0 };
	long rc = chunks(buf, len, max_body, 0, done, body_len);

	/* complete and valid: one more pass, from the start, moves the data */
	return rc > 0 ? chunks(buf, len, max_body, 1, &from_start, body_len) : rc;
}
