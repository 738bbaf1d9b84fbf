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
int http_serve_owned(struct mg_http *h, mg_http_handler handler, void *arg,
		     void (*release)(void *arg))
{
	(void)h, (void)handler, (void)arg, (void)release;
	return -ENOSYS;
}

struct fakeflow {
	struct mg_flow flow;
	const struct mg_flow_handler *h;
	void *arg;
	char out[131072];
	size_t out_len;
	size_t budget;         /* bytes write takes before the socket is "full" */
	int closed, shut;
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
static int ff_shutdown(struct mg_flow *f)
{
	ff_of(f)->shut = 1;
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
	.write = ff_write, .pending = ff_pending, .shutdown = ff_shutdown, .peer = ff_peer,
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
	http_pools_init(&srv);
	flow = (struct fakeflow){ .flow.ops = &ff_ops, .budget = SIZE_MAX };
	http_conn_accept(&srv, &flow.flow, 0);
	ck_assert_ptr_nonnull(srv.conns);
}

static void teardown(void)
{
	while (srv.conns)
		http_conn_free(srv.conns);
	http_pools_free(&srv);
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

/* An idle keep-alive connection gives its buffers and work block back
 * (memory per idle connection: the struct alone), and its next request
 * takes them from the pools again, with no allocation. */
START_TEST(idle_connection_holds_no_buffer)
{
	struct http_conn *c = srv.conns;
	long calls;

	answer = &(struct mg_http_header){ "Location", "/docs/" };
	ck_assert_int_eq(fh.allocs, 1); /* a new connection: the struct */
	send_text("GET /docs HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_uint_eq(count(flow.out, "HTTP/1.1 301 "), 1);
	ck_assert_ptr_null(c->in);
	ck_assert_ptr_null(c->out);
	ck_assert_ptr_null(c->work);
	ck_assert_uint_eq(srv.in_pool.n + srv.out_pool.n + srv.work_pool.n, 3);
	calls = fh.alloc_calls;
	for (int i = 0; i < 10; i++)
		send_text("GET /docs HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_uint_eq(count(flow.out, "HTTP/1.1 301 "), 11);
	ck_assert_int_eq(fh.alloc_calls, calls);
	/* no request for a tick: the tick frees the spares */
	http_pools_trim(&srv);
	http_pools_trim(&srv);
	ck_assert_int_eq(fh.allocs, 1);
	send_text("GET /docs HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_uint_eq(count(flow.out, "HTTP/1.1 301 "), 12);
}
END_TEST

/* A request cut in two keeps its buffers between the pieces. */
START_TEST(request_in_pieces)
{
	answer = &(struct mg_http_header){ "Location", "/docs/" };
	send_text("GET /docs HTTP/1.1\r\nHo");
	ck_assert_ptr_nonnull(srv.conns->in);
	send_text("st: t\r\n\r\n");
	ck_assert_uint_eq(count(flow.out, "HTTP/1.1 301 "), 1);
	ck_assert_ptr_nonnull(strstr(flow.out, "\r\nLocation: /docs/\r\n"));
}
END_TEST

static long stream_left, stream_len = 1024;
static long pull(void *arg, void *buf, size_t cap)
{
	size_t n = (size_t)stream_left < cap ? (size_t)stream_left : cap;

	(void)arg;
	if (!buf)
		return 0;
	memset(buf, 'x', n);
	stream_left -= (long)n;
	return (long)n;
}
static void stream_handler(void *arg, struct mg_http_exchange *ex, const struct mg_http_request *req)
{
	(void)arg, (void)req;
	stream_left = stream_len;
	http_ops.respond(ex, 200, NULL, 0, stream_len);
	http_ops.body_stream(ex, pull, NULL);
}

/* A streamed body of known, small length does not grow the connection's
 * write buffer to the streaming size. */
START_TEST(small_stream_keeps_the_small_buffer)
{
	srv.handler = stream_handler;
	flow.budget = 0; /* the socket is full: the response stays buffered */
	send_text("GET /f HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_uint_eq(srv.conns->out_cap, OUT_START);
	flow.budget = SIZE_MAX;
	flow.h->on_writable(flow.arg);
	ck_assert_ptr_nonnull(strstr(flow.out, "\r\nContent-Length: 1024\r\n\r\nxxxx"));
	ck_assert_uint_eq(strlen(strstr(flow.out, "\r\n\r\n") + 4), 1024);
	ck_assert_ptr_null(srv.conns->out);
}
END_TEST

/* The server closes in stages (RFC 9112 9.6), whether the client said
 * "Connection: close" or the server chose to close (a bad request): it
 * shuts its side and reads to the client's end, so no reset loses the
 * answer. */
START_TEST(close_in_stages)
{
	answer = &(struct mg_http_header){ "Location", "/docs/" };
	send_text("GET /docs HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	ck_assert_uint_eq(count(flow.out, "HTTP/1.1 301 "), 1);
	ck_assert_int_eq(flow.shut, 1);
	ck_assert_int_eq(flow.closed, 0);
	flow.h->on_data(flow.arg, "", 0); /* the client's end */
	ck_assert_int_eq(flow.closed, 1);
	teardown();
	setup();
	send_text("GET /docs HTTP/1.1\r\n\r\n"); /* no Host: 400 */
	ck_assert_msg(strncmp(flow.out, "HTTP/1.1 400 ", 13) == 0, "%s", flow.out);
	ck_assert_int_eq(flow.shut, 1);
	ck_assert_int_eq(flow.closed, 0);
	flow.h->on_data(flow.arg, "", 0);
	ck_assert_int_eq(flow.closed, 1);
}
END_TEST

/* A flow that can tell whether input waits unread (flow 1.2). */
static int unread, told_last;
static void ff_last_writes(struct mg_flow *f)
{
	(void)f;
	told_last = 1;
}
static int ff_close_if_read(struct mg_flow *f)
{
	if (unread)
		return -EBUSY;
	ff_close(f);
	return 0;
}
static const struct mg_flow_ops ffc_ops = {
	.hdr = MG_OPS_HDR(struct mg_flow_ops, 1, 2),
	.set_handler = ff_set_handler, .read_start = ff_nop, .read_stop = ff_nop,
	.write = ff_write, .pending = ff_pending, .shutdown = ff_shutdown, .peer = ff_peer,
	.close = ff_close, .last_writes = ff_last_writes, .close_if_read = ff_close_if_read,
};

/* Over such a flow, a client that said its request was the last and sent
 * nothing after it is closed at once, unstaged, and its answer is the
 * flow's last writes.  Input unread in the flow,
 * input pipelined after that request, or a close the server chose (a bad
 * request) still get the staged close. */
START_TEST(close_at_once_when_all_is_read)
{
	static const char last[] = "GET /docs HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	static const char *const staged[] = {
		last,					/* with input unread */
		"GET /docs HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /",
		"GET /docs HTTP/1.1\r\n\r\n",		/* no Host: 400 */
	};

	answer = &(struct mg_http_header){ "Location", "/docs/" };
	flow.flow.ops = &ffc_ops;
	unread = told_last = 0;
	send_text(last);
	ck_assert_uint_eq(count(flow.out, "HTTP/1.1 301 "), 1);
	ck_assert_int_eq(told_last, 1); /* the answer's tail may go with the close */
	ck_assert_int_eq(flow.closed, 1);
	ck_assert_int_eq(flow.shut, 0);
	ck_assert_ptr_null(srv.conns);
	for (size_t i = 0; i < MG_COUNTOF(staged); i++) {
		teardown();
		setup();
		flow.flow.ops = &ffc_ops;
		unread = i == 0;
		told_last = 0;
		send_text(staged[i]);
		ck_assert_msg(flow.shut == 1 && flow.closed == 0, "case %zu: %s", i, flow.out);
		ck_assert_int_eq(told_last, i == 0); /* a request pipelined after it, or a 400: not the last */
		flow.h->on_data(flow.arg, "", 0);
		ck_assert_int_eq(flow.closed, 1);
	}
}
END_TEST

/* A body bigger than the streaming buffer: the connection streams it
 * through a buffer of out_cap's size, which goes back to a pool when the
 * connection is idle, so the next download allocates nothing. */
START_TEST(stream_buffer_pooled)
{
	long calls;

	srv.handler = stream_handler;
	stream_len = 100000; /* srv.out_cap is 65536 */
	send_text("GET /f HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_uint_eq(strlen(strstr(flow.out, "\r\n\r\n") + 4), 100000);
	ck_assert_ptr_null(srv.conns->out);
	ck_assert_uint_eq(srv.stream_pool.n, 1);
	calls = fh.alloc_calls;
	flow.out_len = 0;
	send_text("GET /f HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_uint_eq(strlen(strstr(flow.out, "\r\n\r\n") + 4), 100000);
	ck_assert_int_eq(fh.alloc_calls, calls);
	stream_len = 1024;
}
END_TEST

/* ---- loans (http 1.3's body_lent over flow 1.1's writev) ---- */
static long ff_writev(struct mg_flow *f, const struct mg_span *spans, unsigned n)
{
	long total = 0;

	for (unsigned i = 0; i < n; i++) {
		long r;

		ck_assert_ptr_nonnull(spans[i].data); /* these tests lend memory */
		r = ff_write(f, spans[i].data, spans[i].len);
		total += r;
		if ((size_t)r < spans[i].len)
			break;
	}
	return total;
}
static const struct mg_flow_ops ffv_ops = {
	.hdr = MG_OPS_HDR(struct mg_flow_ops, 1, 1),
	.set_handler = ff_set_handler, .read_start = ff_nop, .read_stop = ff_nop,
	.write = ff_write, .pending = ff_pending, .shutdown = ff_shutdown, .peer = ff_peer,
	.close = ff_close, .writev = ff_writev,
};

static int released, lent_rc, lend_chunked, lend_file;
static char lent_bytes[3000];
static void count_release(struct mg_loan *loan)
{
	(void)loan;
	released++;
}
static struct mg_loan test_loan = { count_release };

static void lend_handler(void *arg, struct mg_http_exchange *ex, const struct mg_http_request *req)
{
	struct mg_span span = { .data = lend_file ? NULL : lent_bytes, .len = sizeof lent_bytes,
				.fd = lend_file ? 0 : -1 };

	(void)arg, (void)req;
	http_ops.respond(ex, 200, NULL, 0, lend_chunked ? -1 : (int64_t)sizeof lent_bytes);
	lent_rc = http_ops.body_lent(ex, &span, &test_loan);
	if (lent_rc == -EOPNOTSUPP)
		http_ops.body(ex, lent_bytes, sizeof lent_bytes);
	http_ops.end(ex);
}

static void lend_setup(void)
{
	setup();
	memset(lent_bytes, 'L', sizeof lent_bytes);
	released = lent_rc = lend_chunked = lend_file = 0;
	srv.handler = lend_handler;
	flow.flow.ops = &ffv_ops;
}

/* A lent body goes out after its head, through a socket that takes a
 * little at a time; the loan is released once, when all of it is sent,
 * and a pipelined request waits for that. */
START_TEST(lent_body_released_once_sent)
{
	flow.budget = 100;
	send_text("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_int_eq(lent_rc, 0);
	ck_assert_int_eq(released, 0);
	ck_assert_ptr_nonnull(srv.conns->lent);
	ck_assert_uint_eq(count(flow.out, "HTTP/1.1 200 "), 1);
	for (int i = 0; i < 100 && released == 0; i++) {
		flow.budget = 500;
		flow.h->on_writable(flow.arg);
	}
	ck_assert_int_eq(released, 1); /* the first; the second is being sent */
	flow.budget = SIZE_MAX;
	flow.h->on_writable(flow.arg);
	ck_assert_int_eq(released, 2);
	ck_assert_uint_eq(count(flow.out, "HTTP/1.1 200 "), 2);
	ck_assert_uint_eq(count(flow.out, "\r\n\r\nLLLL"), 2);
	ck_assert_uint_eq(flow.out_len, 2 * (size_t)(strstr(flow.out, "\r\n\r\n") + 4 - flow.out) +
						2 * sizeof lent_bytes);
}
END_TEST

START_TEST(lent_body_chunked)
{
	lend_chunked = 1;
	send_text("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_int_eq(released, 1);
	ck_assert_ptr_nonnull(strstr(flow.out, "\r\n\r\n00000bb8\r\nLLL"));
	ck_assert_str_eq(flow.out + flow.out_len - 8, "L\r\n0\r\n\r\n");
}
END_TEST

/* The peer goes while the loan is being sent: the loan is released. */
START_TEST(lent_body_released_on_drop)
{
	flow.budget = 0;
	send_text("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_int_eq(released, 0);
	flow.h->on_error(flow.arg, -ECONNRESET);
	ck_assert_int_eq(released, 1);
}
END_TEST

/* HEAD sends no body: the loan comes back at once. */
START_TEST(lent_body_head)
{
	send_text("HEAD /a HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_int_eq(lent_rc, 0);
	ck_assert_int_eq(released, 1);
	ck_assert_ptr_null(strstr(flow.out, "LLL"));
}
END_TEST

/* A file over a flow without writev is refused and stays the caller's;
 * memory is copied and released at once. */
START_TEST(lent_body_without_writev)
{
	flow.flow.ops = &ff_ops;
	lend_file = 1;
	send_text("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_int_eq(lent_rc, -EOPNOTSUPP);
	ck_assert_int_eq(released, 0);
	lend_file = 0;
	send_text("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_int_eq(lent_rc, 0);
	ck_assert_int_eq(released, 1);
	ck_assert_uint_eq(count(flow.out, "\r\n\r\nLLLL"), 2);
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
	tcase_add_test(tc, idle_connection_holds_no_buffer);
	tcase_add_test(tc, request_in_pieces);
	tcase_add_test(tc, small_stream_keeps_the_small_buffer);
	tcase_add_test(tc, close_in_stages);
	tcase_add_test(tc, close_at_once_when_all_is_read);
	tcase_add_test(tc, stream_buffer_pooled);
	suite_add_tcase(s, tc);
	tc = tcase_create("loans");
	tcase_add_checked_fixture(tc, lend_setup, teardown);
	tcase_add_test(tc, lent_body_released_once_sent);
	tcase_add_test(tc, lent_body_chunked);
	tcase_add_test(tc, lent_body_released_on_drop);
	tcase_add_test(tc, lent_body_head);
	tcase_add_test(tc, lent_body_without_writev);
	suite_add_tcase(s, tc);
	return check_run(s);
}
