/* test_http_response.c - http.server's connection and response code
 * (plugins/http/conn.c, response.c) over a fake flow: requests go in
 * through the flow's callbacks, the bytes written come out. */
#include "checkrun.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fakehost.h"
#include "server.h"

/* server.c's part, which these tests do not link */
const char *http_date(struct http_srv *s)
{
	(void)s;
	return "Thu, 01 Jan 1970 00:00:00 GMT";
}
void http_srv_drained(struct http_srv *s)
{
	(void)s;
}
void http_srv_hold(struct http_srv *s)
{
	(void)s;
}
int http_serve(struct mg_http *h, mg_http_handler handler, void *arg)
{
	(void)h, (void)handler, (void)arg;
	return -ENOSYS;
}

struct fakeflow {
	struct mg_flow flow;
	const struct mg_flow_handler *h;
	void *arg;
	char out[131072];
	size_t out_len;
	size_t budget;         /* bytes write takes before the socket is "full" */
	int closed;
};

static struct fakeflow *ff_of(struct mg_flow *f)
{
	return mg_container_of(f, struct fakeflow, flow);
}
static void ff_set_handler(struct mg_flow *f, const struct mg_flow_handler *h, void *arg)
{
	ff_of(f)->h = h;
	ff_of(f)->arg = arg;
}
static int ff_nop(struct mg_flow *f)
{
	(void)f;
	return 0;
}
static long ff_write(struct mg_flow *f, const void *buf, size_t len)
{
	struct fakeflow *ff = ff_of(f);

	if (len > ff->budget)
		len = ff->budget;
	ff->budget -= len;
	ck_assert_uint_le(ff->out_len + len, sizeof ff->out - 1);
	memcpy(ff->out + ff->out_len, buf, len);
	ff->out_len += len;
	ff->out[ff->out_len] = '\0';
	return (long)len;
}
static size_t ff_pending(struct mg_flow *f)
{
	(void)f;
	return 0;
}
static const char *ff_peer(struct mg_flow *f)
{
	(void)f;
	return "127.0.0.1";
}
static void ff_close(struct mg_flow *f)
{
	ff_of(f)->closed = 1;
}
static const struct mg_flow_ops ff_ops = {
	.set_handler = ff_set_handler, .read_start = ff_nop, .read_stop = ff_nop,
	.write = ff_write, .pending = ff_pending, .shutdown = ff_nop, .peer = ff_peer,
	.close = ff_close,
};

static struct fakehost fh;
static struct mg_env env;
static struct http_srv srv;
static struct fakeflow flow;

/* What the handler under test answers. */
static const struct mg_http_header *answer;
static int respond_rc;

static void handler(void *arg, struct mg_http_exchange *ex, const struct mg_http_request *req)
{
	(void)arg, (void)req;
	respond_rc = http_ops.respond(ex, 301, answer, 1, 5);
	http_ops.body(ex, "moved", 5);
	http_ops.end(ex);
}

/* A server with one connection on the fake flow. */
static void setup(void)
{
	fakehost_init(&fh);
	env = (struct mg_env){ .host = &fh.host, .name = "http" };
	srv = (struct http_srv){
		.env = &env, .handler = handler, .out_cap = 65536, .max_buffered = 65536,
		.max_conns = 8,
		.lim = { .max_line = 1024, .max_head = 4096, .max_headers = 16, .max_body = 4096 },
		.header_timeout_ns = 1000000000, .idle_timeout_ns = 1000000000,
	};
	flow = (struct fakeflow){ .flow.ops = &ff_ops, .budget = SIZE_MAX };
	http_conn_accept(&srv, &flow.flow, 0);
	ck_assert_ptr_nonnull(srv.conns);
}

static void teardown(void)
{
	while (srv.conns)
		http_conn_free(srv.conns);
	ck_assert_int_eq(fh.allocs, 0);
}

static void send_text(const char *text)
{
	flow.h->on_data(flow.arg, text, strlen(text));
}

START_TEST(header_values_are_sent)
{
	answer = &(struct mg_http_header){ "Location", "/docs/" };
	send_text("GET /docs HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_int_eq(respond_rc, 0);
	ck_assert_msg(strncmp(flow.out, "HTTP/1.1 301 ", 13) == 0, "%s", flow.out);
	ck_assert_ptr_nonnull(strstr(flow.out, "\r\nLocation: /docs/\r\n"));
	ck_assert_ptr_nonnull(strstr(flow.out, "\r\n\r\nmoved"));
}
END_TEST

/* A CR or LF in a handler's header would split the response. */
START_TEST(header_injection_refused)
{
	static const char *const values[] = { "/crlf\r\nSet-Cookie: pwned=1/", "/a\nSet-Cookie: x",
					      "/a\rSet-Cookie: x", "/a\x01" };

	for (size_t i = 0; i < MG_COUNTOF(values); i++) {
		teardown();
		setup();
		answer = &(struct mg_http_header){ "Location", values[i] };
		send_text("GET /docs HTTP/1.1\r\nHost: t\r\n\r\n");
		ck_assert_int_eq(respond_rc, -EINVAL);
		ck_assert_msg(strncmp(flow.out, "HTTP/1.1 500 ", 13) == 0, "%s", flow.out);
		ck_assert_ptr_null(strstr(flow.out, "Set-Cookie"));
		ck_assert_ptr_null(strstr(flow.out, "Location"));
		ck_assert_ptr_null(strstr(flow.out, "moved"));
		ck_assert_ptr_nonnull(strstr(flow.out, "\r\nContent-Length: 0\r\n"));
		ck_assert_ptr_nonnull(strstr(flow.out, "\r\nConnection: close\r\n\r\n"));
	}
	teardown();
	setup();
	answer = &(struct mg_http_header){ "Set-Cookie: x\r\nLocation", "/" };
	send_text("GET /docs HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_int_eq(respond_rc, -EINVAL);
	ck_assert_ptr_null(strstr(flow.out, "Set-Cookie"));
}
END_TEST

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* A client that pipelines requests and reads late: answers pile up to a
 * bound, and once it reads, the rest are answered. */
START_TEST(pipelined_answers_wait_for_the_reader)
{
	static char reqs[400 * 40];
	size_t n = 0;

	for (int i = 0; i < 400; i++)
		n += (size_t)sprintf(reqs + n, "GET /docs HTTP/1.1\r\nHost: t\r\n\r\n");
	answer = &(struct mg_http_header){ "Location", "/docs/" };
	flow.budget = 0; /* the socket is full */
	flow.h->on_data(flow.arg, reqs, n);
	ck_assert_uint_eq(flow.out_len, 0);
	ck_assert_uint_lt(srv.conns->out_len, 32768); /* not 400 answers */
	flow.budget = SIZE_MAX;
	flow.h->on_writable(flow.arg);
	ck_assert_uint_eq(count(flow.out, "HTTP/1.1 301 "), 400);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_response");
	TCase *tc = tcase_create("response");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, header_values_are_sent);
	tcase_add_test(tc, header_injection_refused);
	tcase_add_test(tc, pipelined_answers_wait_for_the_reader);
	suite_add_tcase(s, tc);
	return check_run(s);
}
