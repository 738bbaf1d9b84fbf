/* test_http_parser.c - the HTTP request parser and the date formatter of
 * http.server, called directly (plugins/http/parser.c, date.c). */
#include "checkrun.h"
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "parser.h"

#define MAX_HEADERS 8

static const struct http_limits lim = {
	.max_line = 64, .max_head = 256, .max_headers = MAX_HEADERS, .max_body = 100,
};
static char buf[4096], path[64];
static struct mg_http_header hdrs[MAX_HEADERS];
static struct http_head head;

/* Parses a copy of text (the parser cuts in place). */
static long parse(const char *text)
{
	size_t n = strlen(text);

	memcpy(buf, text, n + 1);
	head = (struct http_head){ .headers = hdrs };
	return http_parse_head(buf, n, &lim, path, &head);
}

#define H11 " HTTP/1.1\r\nHost: x\r\n\r\n"

START_TEST(simple_get)
{
	const char *req = "GET /a/b.html?x=1&y HTTP/1.1\r\nHost: example.org\r\n"
			  "Accept:  */*  \r\nX-Empty:\r\n\r\nBODY";

	ck_assert_int_eq(parse(req), (long)(strstr(req, "BODY") - req));
	ck_assert_str_eq(head.method, "GET");
	ck_assert_str_eq(head.target, "/a/b.html?x=1&y");
	ck_assert_str_eq(head.path, "/a/b.html");
	ck_assert_str_eq(head.query, "x=1&y");
	ck_assert_int_eq(head.version_minor, 1);
	ck_assert_uint_eq(head.nheaders, 3);
	ck_assert_str_eq(hdrs[1].name, "Accept");
	ck_assert_str_eq(hdrs[1].value, "*/*");
	ck_assert_str_eq(hdrs[2].value, "");
	ck_assert_str_eq(http_find_header(hdrs, head.nheaders, "HOST"), "example.org");
	ck_assert_ptr_null(http_find_header(hdrs, head.nheaders, "Cookie"));
	ck_assert(head.keep_alive);
	ck_assert(!head.is_head && !head.chunked);
	ck_assert_uint_eq(head.content_length, 0);
}
END_TEST

START_TEST(lf_only_and_leading_empty_lines)
{
	ck_assert_int_gt(parse("\r\n\nHEAD / HTTP/1.0\n\n"), 0);
	ck_assert(head.is_head);
	ck_assert_int_eq(head.version_minor, 0);
	ck_assert(!head.keep_alive); /* 1.0 closes by default */
	ck_assert_int_gt(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 0);
	ck_assert(head.keep_alive);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n"), 0);
	ck_assert(!head.keep_alive);
}
END_TEST

START_TEST(incomplete_needs_more)
{
	const char *req = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";

	for (size_t n = 0; n < strlen(req); n++) {
		char part[128];

		memcpy(part, req, n);
		part[n] = '\0';
		ck_assert_msg(parse(part) == 0, "prefix of %zu bytes", n);
	}
	ck_assert_int_eq(parse(req), (long)strlen(req));
}
END_TEST

START_TEST(percent_decoding)
{
	ck_assert_int_gt(parse("GET /a%20b/%C3%A9%2f?q=%20" H11), 0);
	ck_assert_str_eq(head.path, "/a b/\xc3\xa9/");
	ck_assert_str_eq(head.query, "q=%20");
	ck_assert_int_gt(parse("GET http://example.org/x%41?y" H11), 0);
	ck_assert_str_eq(head.path, "/xA");
	ck_assert_int_gt(parse("OPTIONS *" H11), 0);
	ck_assert_str_eq(head.path, "*");
	ck_assert_int_eq(parse("GET /a%00b" H11), -400);  /* NUL never reaches a path */
	/* nor a control character: a decoded CR LF would end the line of a
	 * header that echoes the path (a redirect's Location) */
	ck_assert_int_eq(parse("GET /crlf%0d%0aSet-Cookie:%20x=1" H11), -400);
	ck_assert_int_eq(parse("GET /a%0ab" H11), -400);
	ck_assert_int_eq(parse("GET /a%09b" H11), -400);
	ck_assert_int_eq(parse("GET /a%7fb" H11), -400);
	ck_assert_int_eq(parse("GET /a%2" H11), -400);
	ck_assert_int_eq(parse("GET /a%zz" H11), -400);
	ck_assert_int_eq(parse("GET a/b" H11), -400);
	ck_assert_int_eq(parse("GET *" H11), -400);
}
END_TEST

START_TEST(malformed)
{
	static const char *const bad[] = {
		"GET" H11, "GET  /" H11, "GET /\x01" H11, " GET /" H11,
		"GET / HTTP/1.1 \r\nHost: x\r\n\r\n", "GET / http/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1\r\nHost: x\r\n\r\n", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost x\r\n\r\n", "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
		"GET / HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",                        /* no Host */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  /* two */
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n",
	};

	for (size_t i = 0; i < MG_COUNTOF(bad); i++)
		ck_assert_msg(parse(bad[i]) == -400, "case %zu: %ld", i, parse(bad[i]));
}
END_TEST

START_TEST(unsupported)
{
	ck_assert_int_eq(parse("BREW /pot" H11), -501);
	ck_assert_int_eq(parse("CONNECT a:1" H11), -501);
	ck_assert_int_eq(parse("GET / HTTP/2.0\r\n\r\n"), -505);
	ck_assert_int_eq(parse("GET / HTTP/0.9\r\n\r\n"), -505);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"), -501);
}
END_TEST

START_TEST(limits)
{
	char req[1024];
	int n;

	/* request line: 64 bytes with CRLF fits, 65 does not */
	n = snprintf(req, sizeof req, "GET /%0*d HTTP/1.1\r\nHost: x\r\n\r\n", 64 - 16, 0);
	ck_assert_int_eq(parse(req), n);
	snprintf(req, sizeof req, "GET /%0*d HTTP/1.1\r\nHost: x\r\n\r\n", 64 - 15, 0);
	ck_assert_int_eq(parse(req), -414);
	snprintf(req, sizeof req, "GET /%0*d", 100, 0); /* still arriving, already too long */
	ck_assert_int_eq(parse(req), -414);
	/* head bytes */
	n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: x\r\nA: %0*d\r\n\r\n", 256 - 32, 0);
	ck_assert_int_eq(parse(req), n);
	snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: x\r\nA: %0*d\r\n\r\n", 256 - 31, 0);
	ck_assert_int_eq(parse(req), -431);
	snprintf(req, sizeof req, "GET / HTTP/1.1\r\nA: %0*d", 300, 0);
	ck_assert_int_eq(parse(req), -431);
	/* header count */
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: x\r\n1: a\r\n2: a\r\n3: a\r\n4: a\r\n"
			       "5: a\r\n6: a\r\n7: a\r\n\r\n"), 0);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: x\r\n1: a\r\n2: a\r\n3: a\r\n4: a\r\n"
			       "5: a\r\n6: a\r\n7: a\r\n8: a\r\n\r\n"), -431);
	/* body */
	ck_assert_int_gt(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"), 0);
	ck_assert_uint_eq(head.content_length, 100);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n"), -413);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: x\r\n"
			       "Content-Length: 99999999999999999999999\r\n\r\n"), -413);
}
END_TEST

START_TEST(body_framing)
{
	ck_assert_int_gt(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n"
			       "Expect: 100-continue\r\n\r\n"), 0);
	ck_assert(head.chunked && head.expect_continue);
}
END_TEST

/* Dechunks a copy of text; the body lands at the start of buf. */
static long dechunk(const char *text, size_t *body_len)
{
	struct http_chunks done = { 0, 0 };
	size_t n = strlen(text);

	memcpy(buf, text, n + 1);
	return http_dechunk(buf, n, lim.max_body, &done, body_len);
}

START_TEST(chunked)
{
	const char *body = "5\r\nhello\r\n1;ext=1\r\n \r\n6\nworld!\n0\r\nTrailer: x\r\n\r\nNEXT";
	size_t len = 0;

	ck_assert_int_eq(dechunk(body, &len), (long)(strstr(body, "NEXT") - body));
	ck_assert_uint_eq(len, 12);
	ck_assert(memcmp(buf, "hello world!", 12) == 0);
	for (size_t n = 0; n < strlen(body) - 4; n++) {
		char part[128];

		memcpy(part, body, n);
		part[n] = '\0';
		ck_assert_msg(dechunk(part, &len) == 0, "prefix of %zu bytes", n);
	}
	ck_assert_int_eq(dechunk("0\r\n\r\n", &len), 5);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(dechunk("x\r\n", &len), -400);
	ck_assert_int_eq(dechunk("5\r\nhelloXX\r\n", &len), -400);
	ck_assert_int_eq(dechunk("5\r\nhello\rX", &len), -400);
	ck_assert_int_eq(dechunk("65\r\n", &len), -413);        /* 101 > max_body */
	ck_assert_int_eq(dechunk("40\r\n", &len), 0);
	ck_assert_int_eq(dechunk("ffffffffffffffffff\r\n", &len), -413);
	/* a bare CR in an extension: another parser could end the line there */
	ck_assert_int_eq(dechunk("1;a\rb\r\nX\r\n0\r\n\r\n", &len), -400);
	/* nor in a trailer field, as in a header */
	ck_assert_int_eq(dechunk("1\r\nX\r\n0\r\nT: a\rb\r\n\r\n", &len), -400);
	ck_assert_int_eq(dechunk("0\r\nT: a\rX: b\r\n\r\n", &len), -400);
	ck_assert_int_eq(dechunk("0\r\nT: a\x01\r\n\r\n", &len), -400);
	ck_assert_int_eq(dechunk("0\r\nT: a\tb\r\n\r\n", &len), 13);
}
END_TEST

/* Fed a growing prefix with one state, as a connection does: the same
 * body, and the state only ever moves forward over whole chunks. */
START_TEST(chunked_in_pieces)
{
	const char *body = "5\r\nhello\r\n1;ext=1\r\n \r\n6\nworld!\n0\r\nTrailer: x\r\n\r\nNEXT";
	struct http_chunks done = { 0, 0 };
	size_t len = 0, last = 0, n;
	long rc = 0;

	strcpy(buf, body);
	for (n = 1; n <= strlen(body) && rc == 0; n++) {
		rc = http_dechunk(buf, n, lim.max_body, &done, &len);
		ck_assert_uint_ge(done.pos, last);
		last = done.pos;
	}
	ck_assert_int_eq(rc, (long)(strstr(body, "NEXT") - body));
	ck_assert_uint_eq(len, 12);
	ck_assert(memcmp(buf, "hello world!", 12) == 0);
}
END_TEST

START_TEST(dates)
{
	char d[HTTP_DATE_LEN + 1];

	http_format_date(784111777, d);
	ck_assert_str_eq(d, "Sun, 06 Nov 1994 08:49:37 GMT"); /* RFC 9110's example */
	http_format_date(0, d);
	ck_assert_str_eq(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_format_date(951782400, d);
	ck_assert_str_eq(d, "Tue, 29 Feb 2000 00:00:00 GMT");
	http_format_date(4102444799, d);
	ck_assert_str_eq(d, "Thu, 31 Dec 2099 23:59:59 GMT");
}
END_TEST

static Suite *parser_suite(void)
{
	Suite *s = suite_create("http_parser");
	TCase *tc = tcase_create("parser");

	tcase_add_test(tc, simple_get);
	tcase_add_test(tc, lf_only_and_leading_empty_lines);
	tcase_add_test(tc, incomplete_needs_more);
	tcase_add_test(tc, percent_decoding);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, unsupported);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, body_framing);
	tcase_add_test(tc, chunked);
	tcase_add_test(tc, chunked_in_pieces);
	tcase_add_test(tc, dates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(parser_suite());
}
