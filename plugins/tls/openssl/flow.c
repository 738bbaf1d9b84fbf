/* flow.c - a server-side TLS session over an accepted TCP flow, itself a
 * flow.  OpenSSL reads and writes records through a BIO of ours: a read
 * takes the lower flow's bytes (those of the on_data running, after what
 * was kept of earlier ones), a write goes to the lower flow at once, and
 * what the lower flow does not take waits in `out`.  A handshake's
 * records wait there too, so that each flight leaves in one write.
 *
 * Backpressure both ways: the lower flow reads while the handshake needs
 * it or the upper flow reads, and write takes no more plaintext while
 * `out` holds OUT_LIMIT bytes; on_writable follows once `out` is sent. */
#include <openssl/err.h>
#include <string.h>

#include "tls.h"

#define OUT_LIMIT 65536
#define WRITE_CHUNK 16384 /* a record: the limit is checked between them */

struct tls_flow {
	struct mg_flow flow;
	struct tls_stack *t;
	struct mg_flow *lower;
	SSL *ssl;
	struct mg_flow_handler h;
	void *arg;
	const char *win;       /* the running on_data's bytes OpenSSL has not read */
	size_t win_len;
	struct tls_buf in;         /* ciphertext kept from earlier on_data calls */
	struct tls_buf out;        /* ciphertext the lower flow has not taken */
	int werr;              /* the lower write failed: the session is over */
	struct mg_timer *kick; /* delivers what read_start found buffered */
	int depth;             /* our callbacks running: close waits for them */
	unsigned closed : 1, hs_done : 1, reading : 1, lower_reading : 1;
	unsigned eof_in : 1;   /* the lower flow ended */
	unsigned eof_out : 1;  /* the upper flow was told of the end */
	unsigned shut : 1, lower_shut : 1, failed : 1, want_writable : 1;
};

/* ---- the BIO OpenSSL reads and writes records through ---- */

static int bio_read(BIO *b, char *buf, size_t size, size_t *got)
{
	struct tls_flow *f = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (tls_buf_left(&f->in)) {
		n = size < tls_buf_left(&f->in) ? size : tls_buf_left(&f->in);
		memcpy(buf, f->in.p + f->in.off, n);
		tls_buf_take(&f->in, n);
	} else if (f->win_len) {
		n = size < f->win_len ? size : f->win_len;
		memcpy(buf, f->win, n);
		f->win += n;
		f->win_len -= n;
	} else {
		if (!f->eof_in)
			BIO_set_retry_read(b); /* more comes with the next on_data */
		*got = 0;
		return 0;
	}
	*got = n;
	return 1;
}

static int bio_write(BIO *b, const char *data, size_t len, size_t *written)
{
	struct tls_flow *f = BIO_get_data(b);
	size_t rest = len;

	BIO_clear_retry_flags(b);
	if (f->werr)
		return 0;
	if (f->hs_done && !tls_buf_left(&f->out)) {
		long n = f->lower->ops->write(f->lower, data, len);

		if (n < 0) {
			f->werr = (int)n;
			return 0;
		}
		data += n;
		rest -= (size_t)n;
	}
	if (rest && tls_buf_put(f->t->env, &f->out, data, rest) < 0) {
		f->werr = -ENOMEM;
		return 0;
	}
	*written = len;
	return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls_flow *f = BIO_get_data(b);

	(void)num, (void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1; /* written is sent, or waits in out */
	case BIO_CTRL_EOF: /* OpenSSL tells an end from a reset by this */
		return f->eof_in && !tls_buf_left(&f->in) && !f->win_len;
	case BIO_CTRL_PENDING:
		return (long)(tls_buf_left(&f->in) + f->win_len);
	case BIO_CTRL_WPENDING:
		return (long)tls_buf_left(&f->out);
	default:
		return 0;
	}
}

int tls_bio_new(struct tls_stack *t)
{
	/* a fixed type: BIO_get_new_index hands out 127 indexes per process,
	 * and every hot swap makes a new device */
	t->bio = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "mirage lower flow");
	if (!t->bio || !BIO_meth_set_read_ex(t->bio, bio_read) ||
	    !BIO_meth_set_write_ex(t->bio, bio_write) || !BIO_meth_set_ctrl(t->bio, bio_ctrl))
		return -ENOMEM;
	return 0;
}

/* ---- the session ---- */

static struct tls_flow *flow_of(struct mg_flow *fl)
{
	return mg_container_of(fl, struct tls_flow, flow);
}

static void flow_free(struct tls_flow *f)
{
	const struct mg_env *env = f->t->env;

	if (f->kick)
		env->host->timer_cancel(f->kick);
	SSL_free(f->ssl); /* and its BIO */
	f->lower->ops->close(f->lower);
	tls_buf_free(env, &f->in);
	tls_buf_free(env, &f->out);
	mg_free(env, f);
}

static void leave(struct tls_flow *f)
{
	if (--f->depth == 0 && f->closed)
		flow_free(f);
}

/* The lower flow reads while the handshake needs it or the upper flow
 * reads. */
static void lower_reading(struct tls_flow *f)
{
	int want = !f->failed && !f->eof_in && !f->eof_out && (!f->hs_done || f->reading);

	if (want != f->lower_reading &&
	    (want ? f->lower->ops->read_start(f->lower) : f->lower->ops->read_stop(f->lower)) == 0)
		f->lower_reading = want;
}

/* Sends what waits in out and, once it is gone, ends the sending side if
 * shutdown asked to.  0, or the lower flow's error. */
static int flush(struct tls_flow *f)
{
	if (tls_buf_left(&f->out) && !f->werr) {
		long n = f->lower->ops->write(f->lower, f->out.p + f->out.off, tls_buf_left(&f->out));

		if (n < 0)
			f->werr = (int)n;
		else
			tls_buf_take(&f->out, (size_t)n);
	}
	if (f->werr)
		return f->werr;
	if (f->shut && !f->lower_shut && !tls_buf_left(&f->out)) {
		f->lower_shut = 1;
		return f->lower->ops->shutdown(f->lower);
	}
	return 0;
}

/* The session is over: the upper flow hears it once (unless it closed). */
static void fail(struct tls_flow *f, int err)
{
	if (f->failed)
		return;
	f->failed = 1;
	lower_reading(f);
	if (!f->closed && f->h.on_error)
		f->h.on_error(f->arg, err);
}

/* Goes on with the handshake: 1 when it is done, 0 when it waits for the
 * client, -1 when it failed (the upper flow was told). */
static int handshake(struct tls_flow *f)
{
	const char *peer = f->lower->ops->peer(f->lower);
	char why[512];
	int r, e, rc;

	ERR_clear_error();
	r = SSL_do_handshake(f->ssl);
	e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(f->ssl, r);
	f->hs_done = r == 1;
	rc = flush(f); /* this flight, or the alert that says why not */
	if ((e == SSL_ERROR_NONE || e == SSL_ERROR_WANT_READ) && rc < 0) {
		fail(f, rc);
		return -1;
	}
	if (e == SSL_ERROR_WANT_READ)
		return 0;
	if (e == SSL_ERROR_NONE) {
		mg_log(f->t->env, MG_LOG_DEBUG, "%s: %s, %s%s", peer, SSL_get_version(f->ssl),
		       SSL_get_cipher_name(f->ssl), SSL_session_reused(f->ssl) ? ", resumed" : "");
		return 1;
	}
	if (f->eof_in || f->werr) {
		ERR_clear_error();
		mg_log(f->t->env, MG_LOG_DEBUG, "%s: the connection ended during the TLS handshake", peer);
		fail(f, f->werr ? f->werr : -ECONNRESET);
	} else {
		/* info, not warn: any client can cause it, as often as it likes */
		mg_log(f->t->env, MG_LOG_INFO, "%s: TLS handshake failed: %s", peer,
		       tls_errors(why, sizeof why));
		fail(f, -EPROTO);
	}
	return -1;
}

/* Hands the upper flow what can be decrypted, while it reads. */
static void deliver(struct tls_flow *f)
{
	unsigned char *buf = f->t->rbuf;
	char why[512];

	while (!f->closed && !f->failed && f->reading && !f->eof_out) {
		size_t n;
		int e;

		ERR_clear_error();
		if (SSL_read_ex(f->ssl, buf, TLS_RBUF, &n)) {
			f->h.on_data(f->arg, buf, n);
			continue;
		}
		e = SSL_get_error(f->ssl, 0);
		if (e == SSL_ERROR_WANT_READ)
			return;
		if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify, or the TCP end */
			f->eof_out = 1;
			f->h.on_data(f->arg, buf, 0);
			return;
		}
		flush(f); /* the alert */
		mg_log(f->t->env, MG_LOG_INFO, "%s: TLS session failed: %s",
		       f->lower->ops->peer(f->lower), tls_errors(why, sizeof why));
		fail(f, f->werr ? f->werr : -EPROTO);
	}
}

/* A short write is over: write may go on. */
static void writable(struct tls_flow *f)
{
	if (f->want_writable && f->hs_done && !tls_buf_left(&f->out) && !f->closed && !f->failed) {
		f->want_writable = 0;
		f->h.on_writable(f->arg);
	}
}

/* What every lower callback does once its bytes are in place. */
static void step(struct tls_flow *f)
{
	if (!f->hs_done && handshake(f) <= 0) {
		lower_reading(f);
		return;
	}
	deliver(f);
	writable(f); /* a write before the handshake's end, say */
	if (!f->closed)
		lower_reading(f);
}

static void lower_on_data(void *arg, const void *data, size_t len)
{
	struct tls_flow *f = arg;
	const struct mg_env *env = f->t->env;

	f->depth++;
	if (len == 0) {
		f->eof_in = 1;
		f->lower_reading = 0; /* a flow reads no more after its end */
	} else if (!tls_buf_left(&f->in)) {
		f->win = data;
		f->win_len = len;
	} else if (tls_buf_put(env, &f->in, data, len) < 0) { /* after the kept bytes */
		fail(f, -ENOMEM);
	}
	if (!f->failed)
		step(f);
	/* what OpenSSL did not read yet outlives the call only as a copy */
	if (f->win_len && !f->closed && !f->failed && tls_buf_put(env, &f->in, f->win, f->win_len) < 0)
		fail(f, -ENOMEM);
	f->win_len = 0;
	leave(f);
}

static void lower_on_writable(void *arg)
{
	struct tls_flow *f = arg;
	int rc;

	f->depth++;
	rc = flush(f);
	if (rc < 0)
		fail(f, rc);
	else
		writable(f);
	leave(f);
}

static void lower_on_error(void *arg, int err)
{
	struct tls_flow *f = arg;

	f->depth++;
	fail(f, err);
	leave(f);
}

static void on_kick(void *arg)
{
	struct tls_flow *f = arg;

	f->kick = NULL;
	f->depth++;
	if (!f->failed)
		step(f);
	leave(f);
}

/* ---- the flow type ---- */

static void tf_set_handler(struct mg_flow *fl, const struct mg_flow_handler *h, void *arg)
{
	struct tls_flow *f = flow_of(fl);

	f->h = *h;
	f->arg = arg;
}

static int tf_read_start(struct mg_flow *fl)
{
	struct tls_flow *f = flow_of(fl);
	const struct mg_env *env = f->t->env;

	f->reading = 1;
	lower_reading(f);
	/* Bytes that came while the upper flow did not read are delivered
	 * from the loop, not from inside its call. */
	if (f->hs_done && !f->failed && !f->eof_out && !f->kick &&
	    (SSL_has_pending(f->ssl) || tls_buf_left(&f->in) || f->eof_in) &&
	    env->host->timer_start(env, 0, on_kick, f, &f->kick) < 0) {
		f->kick = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int tf_read_stop(struct mg_flow *fl)
{
	struct tls_flow *f = flow_of(fl);

	f->reading = 0;
	lower_reading(f);
	return 0;
}

static long tf_write(struct mg_flow *fl, const void *buf, size_t len)
{
	struct tls_flow *f = flow_of(fl);
	size_t done = 0;

	if (f->shut)
		return -EPIPE;
	if (f->failed || f->werr)
		return f->werr ? f->werr : -ECONNRESET;
	while (f->hs_done && done < len && tls_buf_left(&f->out) < OUT_LIMIT) {
		size_t n = len - done < WRITE_CHUNK ? len - done : WRITE_CHUNK, w;

		ERR_clear_error();
		if (!SSL_write_ex(f->ssl, (const char *)buf + done, n, &w)) {
			ERR_clear_error();
			return f->werr ? f->werr : -ECONNRESET;
		}
		done += w;
	}
	/* short: out is full (the lower flow's on_writable comes) or the
	 * handshake goes on (its end calls writable) */
	if (done < len)
		f->want_writable = 1;
	return (long)done;
}

static size_t tf_pending(struct mg_flow *fl)
{
	return tls_buf_left(&flow_of(fl)->out);
}

static int tf_shutdown(struct mg_flow *fl)
{
	struct tls_flow *f = flow_of(fl);
	int rc;

	if (f->shut)
		return 0;
	f->shut = 1;
	if (f->hs_done && !f->failed) {
		ERR_clear_error();
		SSL_shutdown(f->ssl); /* close_notify, into out or sent */
		ERR_clear_error();
	}
	rc = flush(f); /* ends the lower flow's side once out is sent */
	return rc < 0 ? rc : 0;
}

static const char *tf_peer(struct mg_flow *fl)
{
	struct tls_flow *f = flow_of(fl);

	return f->lower->ops->peer(f->lower);
}

static void tf_close(struct mg_flow *fl)
{
	struct tls_flow *f = flow_of(fl);

	if (f->depth)
		f->closed = 1; /* freed when our callback returns */
	else
		flow_free(f);
}

static const struct mg_flow_ops tls_flow_ops = {
	.hdr = MG_OPS_HDR(struct mg_flow_ops, 1, 0),
	.set_handler = tf_set_handler,
	.read_start = tf_read_start,
	.read_stop = tf_read_stop,
	.write = tf_write,
	.pending = tf_pending,
	.shutdown = tf_shutdown,
	.peer = tf_peer,
	.close = tf_close,
};

static const struct mg_flow_handler lower_handler = {
	.on_data = lower_on_data,
	.on_writable = lower_on_writable,
	.on_error = lower_on_error,
};

struct mg_flow *tls_flow_new(struct tls_base *b, struct mg_flow *lower)
{
	struct tls_stack *t = mg_container_of(b, struct tls_stack, base);
	struct tls_flow *f = mg_zalloc(t->env, sizeof *f);
	SSL *ssl = NULL;
	BIO *bio = NULL;

	ERR_clear_error();
	if (f && (ssl = SSL_new(t->ctx)) != NULL)
		bio = BIO_new(t->bio);
	if (!bio) {
		ERR_clear_error();
		SSL_free(ssl);
		mg_free(t->env, f);
		lower->ops->close(lower);
		return NULL;
	}
	BIO_set_data(bio, f);
	BIO_set_init(bio, 1);
	SSL_set_bio(ssl, bio, bio); /* one BIO both ways: one reference, the SSL's */
	SSL_set_accept_state(ssl);
	f->flow.ops = &tls_flow_ops;
	f->t = t;
	f->lower = lower;
	f->ssl = ssl;
	lower->ops->set_handler(lower, &lower_handler, f);
	lower_reading(f); /* the ClientHello */
	return &f->flow;
}
