/* tlssess.c - the shared flow side of TLS sessions (tlssess.h). */
#include "tlssess.h"

static struct tls_sess *sess_of(struct mg_flow *fl)
{
	return mg_container_of(fl, struct tls_sess, flow);
}

void tls_sess_free(struct tls_sess *s)
{
	const struct mg_env *env = s->env;

	if (s->kick)
		env->host->timer_cancel(s->kick);
	s->ops->free(s);
	s->lower->ops->close(s->lower);
	mg_free(env, s);
}

static void leave(struct tls_sess *s)
{
	if (--s->depth == 0 && s->closed)
		tls_sess_free(s);
}

void tls_sess_lower_reading(struct tls_sess *s)
{
	int want = !s->failed && !s->eof_in && !s->eof_out && (!s->hs_done || s->reading) &&
		   (!s->ops->may_read || s->ops->may_read(s));

	if (want != s->lower_reading &&
	    (want ? s->lower->ops->read_start(s->lower) : s->lower->ops->read_stop(s->lower)) == 0)
		s->lower_reading = want;
}

void tls_sess_fail(struct tls_sess *s, int err)
{
	if (s->failed)
		return;
	s->failed = 1;
	tls_sess_lower_reading(s);
	if (!s->closed && s->h.on_error)
		s->h.on_error(s->arg, err);
}

void tls_sess_writable(struct tls_sess *s, int ready)
{
	if (s->want_writable && s->hs_done && ready && !s->closed && !s->failed) {
		s->want_writable = 0;
		s->h.on_writable(s->arg);
	}
}

/* ---- the lower flow's callbacks ---- */

static void lower_on_data(void *arg, const void *data, size_t len)
{
	struct tls_sess *s = arg;

	s->depth++;
	if (len == 0) {
		s->eof_in = 1;
		s->lower_reading = 0; /* a flow reads no more after its end */
	}
	s->ops->lower_data(s, data, len);
	leave(s);
}

static void lower_on_writable(void *arg)
{
	struct tls_sess *s = arg;

	s->depth++;
	s->ops->resume(s, 0);
	leave(s);
}

static void lower_on_error(void *arg, int err)
{
	struct tls_sess *s = arg;

	s->depth++;
	tls_sess_fail(s, err);
	leave(s);
}

static void on_kick(void *arg)
{
	struct tls_sess *s = arg;

	s->kick = NULL;
	s->depth++;
	if (!s->failed)
		s->ops->resume(s, 1);
	leave(s);
}

static const struct mg_flow_handler lower_handler = {
	.on_data = lower_on_data,
	.on_writable = lower_on_writable,
	.on_error = lower_on_error,
};

/* ---- the flow type ---- */

static void ts_set_handler(struct mg_flow *fl, const struct mg_flow_handler *h, void *arg)
{
	struct tls_sess *s = sess_of(fl);

	s->h = *h;
	s->arg = arg;
}

static int ts_read_start(struct mg_flow *fl)
{
	struct tls_sess *s = sess_of(fl);
	const struct mg_env *env = s->env;

	s->reading = 1;
	tls_sess_lower_reading(s);
	/* Bytes that came while the upper flow did not read are delivered
	 * from the loop, not from inside its call. */
	if (s->hs_done && !s->failed && !s->eof_out && !s->kick && (s->ops->buffered(s) || s->eof_in) &&
	    env->host->timer_start(env, 0, on_kick, s, &s->kick) < 0) {
		s->kick = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int ts_read_stop(struct mg_flow *fl)
{
	struct tls_sess *s = sess_of(fl);

	s->reading = 0;
	tls_sess_lower_reading(s);
	return 0;
}

static long ts_write(struct mg_flow *fl, const void *buf, size_t len)
{
	struct tls_sess *s = sess_of(fl);
	long n;

	if (s->shut)
		return -EPIPE;
	if (s->failed || s->werr)
		return s->werr ? s->werr : -ECONNRESET;
	n = s->ops->write(s, buf, len);
	/* short: records wait for the lower flow (its on_writable comes) or
	 * the handshake goes on (its end calls writable) */
	if (n >= 0 && (size_t)n < len)
		s->want_writable = 1;
	return n;
}

static size_t ts_pending(struct mg_flow *fl)
{
	struct tls_sess *s = sess_of(fl);

	return s->ops->pending(s);
}

static int ts_shutdown(struct mg_flow *fl)
{
	struct tls_sess *s = sess_of(fl);

	if (s->shut)
		return 0;
	s->shut = 1;
	return s->ops->shutdown(s);
}

static const char *ts_peer(struct mg_flow *fl)
{
	struct tls_sess *s = sess_of(fl);

	return s->lower->ops->peer(s->lower);
}

static void ts_close(struct mg_flow *fl)
{
	struct tls_sess *s = sess_of(fl);

	if (s->depth)
		s->closed = 1; /* freed when our callback returns */
	else
		tls_sess_free(s);
}

static const struct mg_flow_ops tls_sess_flow_ops = {
	.hdr = MG_OPS_HDR(struct mg_flow_ops, 1, 0),
	.set_handler = ts_set_handler,
	.read_start = ts_read_start,
	.read_stop = ts_read_stop,
	.write = ts_write,
	.pending = ts_pending,
	.shutdown = ts_shutdown,
	.peer = ts_peer,
	.close = ts_close,
};

struct tls_sess *tls_sess_new(const struct mg_env *env, size_t size, const struct tls_sess_ops *ops,
			      struct mg_flow *lower)
{
	struct tls_sess *s = mg_zalloc(env, size);

	if (!s) {
		lower->ops->close(lower);
		return NULL;
	}
	s->flow.ops = &tls_sess_flow_ops;
	s->ops = ops;
	s->env = env;
	s->lower = lower;
	return s;
}

void tls_sess_start(struct tls_sess *s)
{
	s->lower->ops->set_handler(s->lower, &lower_handler, s);
	tls_sess_lower_reading(s); /* the ClientHello */
}
