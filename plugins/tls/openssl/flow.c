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
#include "../common/tlssess.h"

#define OUT_LIMIT 65536
#define WRITE_CHUNK 16384 /* a record: the limit is checked between them */

struct tls_flow {
	struct tls_sess s;     /* first: the flow, the flags */
	struct tls_stack *t;
	SSL *ssl;
	const char *win;       /* the running on_data's bytes OpenSSL has not read */
	size_t win_len;
	struct tls_buf in;     /* ciphertext kept from earlier on_data calls */
	struct tls_buf out;    /* ciphertext the lower flow has not taken */
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
		if (!f->s.eof_in)
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
	if (f->s.werr)
		return 0;
	if (f->s.hs_done && !tls_buf_left(&f->out)) {
		long n = f->s.lower->ops->write(f->s.lower, data, len);

		if (n < 0) {
			f->s.werr = (int)n;
			return 0;
		}
		data += n;
		rest -= (size_t)n;
	}
	if (rest && tls_buf_put(f->s.env, &f->out, data, rest) < 0) {
		f->s.werr = -ENOMEM;
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
		return f->s.eof_in && !tls_buf_left(&f->in) && !f->win_len;
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

static struct tls_flow *flow_of(struct tls_sess *s)
{
	return mg_container_of(s, struct tls_flow, s);
}

static void tf_free(struct tls_sess *s)
{
	struct tls_flow *f = flow_of(s);

	SSL_free(f->ssl); /* and its BIO */
	tls_buf_free(s->env, &f->in);
	tls_buf_free(s->env, &f->out);
}

/* Sends what waits in out and, once it is gone, ends the sending side if
 * shutdown asked to.  0, or the lower flow's error. */
static int flush(struct tls_flow *f)
{
	struct tls_sess *s = &f->s;

	if (tls_buf_left(&f->out) && !s->werr) {
		long n = s->lower->ops->write(s->lower, f->out.p + f->out.off, tls_buf_left(&f->out));

		if (n < 0)
			s->werr = (int)n;
		else
			tls_buf_take(&f->out, (size_t)n);
	}
	if (s->werr)
		return s->werr;
	if (s->shut && !s->lower_shut && !tls_buf_left(&f->out)) {
		s->lower_shut = 1;
		return s->lower->ops->shutdown(s->lower);
	}
	return 0;
}

/* Goes on with the handshake: 1 when it is done, 0 when it waits for the
 * client, -1 when it failed (the upper flow was told). */
static int handshake(struct tls_flow *f)
{
	struct tls_sess *s = &f->s;
	const char *peer = s->lower->ops->peer(s->lower);
	char why[512];
	int r, e, rc;

	ERR_clear_error();
	r = SSL_do_handshake(f->ssl);
	e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(f->ssl, r);
	s->hs_done = r == 1;
	rc = flush(f); /* this flight, or the alert that says why not */
	if ((e == SSL_ERROR_NONE || e == SSL_ERROR_WANT_READ) && rc < 0) {
		tls_sess_fail(s, rc);
		return -1;
	}
	if (e == SSL_ERROR_WANT_READ)
		return 0;
	if (e == SSL_ERROR_NONE) {
		mg_log(s->env, MG_LOG_DEBUG, "%s: %s, %s%s", peer, SSL_get_version(f->ssl),
		       SSL_get_cipher_name(f->ssl), SSL_session_reused(f->ssl) ? ", resumed" : "");
		return 1;
	}
	if (s->eof_in || s->werr) {
		ERR_clear_error();
		mg_log(s->env, MG_LOG_DEBUG, "%s: the connection ended during the TLS handshake", peer);
		tls_sess_fail(s, s->werr ? s->werr : -ECONNRESET);
	} else {
		/* info, not warn: any client can cause it, as often as it likes */
		mg_log(s->env, MG_LOG_INFO, "%s: TLS handshake failed: %s", peer,
		       tls_errors(why, sizeof why));
		tls_sess_fail(s, -EPROTO);
	}
	return -1;
}

/* Hands the upper flow what can be decrypted, while it reads. */
static void deliver(struct tls_flow *f)
{
	struct tls_sess *s = &f->s;
	unsigned char *buf = f->t->rbuf;
	char why[512];

	while (!s->closed && !s->failed && s->reading && !s->eof_out) {
		size_t n;
		int e;

		ERR_clear_error();
		if (SSL_read_ex(f->ssl, buf, TLS_RBUF, &n)) {
			s->h.on_data(s->arg, buf, n);
			continue;
		}
		e = SSL_get_error(f->ssl, 0);
		if (e == SSL_ERROR_WANT_READ)
			return;
		if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify, or the TCP end */
			s->eof_out = 1;
			s->h.on_data(s->arg, buf, 0);
			return;
		}
		flush(f); /* the alert */
		mg_log(s->env, MG_LOG_INFO, "%s: TLS session failed: %s",
		       s->lower->ops->peer(s->lower), tls_errors(why, sizeof why));
		tls_sess_fail(s, s->werr ? s->werr : -EPROTO);
	}
}

/* What every lower callback does once its bytes are in place. */
static void step(struct tls_flow *f)
{
	if (!f->s.hs_done && handshake(f) <= 0) {
		tls_sess_lower_reading(&f->s);
		return;
	}
	deliver(f);
	tls_sess_writable(&f->s, !tls_buf_left(&f->out)); /* a write before the handshake's end, say */
	if (!f->s.closed)
		tls_sess_lower_reading(&f->s);
}

/* ---- the session ops ---- */

static void tf_lower_data(struct tls_sess *s, const void *data, size_t len)
{
	struct tls_flow *f = flow_of(s);

	if (len == 0) {
		/* the end: OpenSSL hears it through the BIO */
	} else if (!tls_buf_left(&f->in)) {
		f->win = data;
		f->win_len = len;
	} else if (tls_buf_put(s->env, &f->in, data, len) < 0) { /* after the kept bytes */
		tls_sess_fail(s, -ENOMEM);
	}
	if (!s->failed)
		step(f);
	/* what OpenSSL did not read yet outlives the call only as a copy */
	if (f->win_len && !s->closed && !s->failed && tls_buf_put(s->env, &f->in, f->win, f->win_len) < 0)
		tls_sess_fail(s, -ENOMEM);
	f->win_len = 0;
}

static void tf_resume(struct tls_sess *s, int kicked)
{
	struct tls_flow *f = flow_of(s);
	int rc;

	if (kicked) {
		step(f);
		return;
	}
	rc = flush(f);
	if (rc < 0)
		tls_sess_fail(s, rc);
	else
		tls_sess_writable(s, !tls_buf_left(&f->out));
}

static int tf_buffered(struct tls_sess *s)
{
	struct tls_flow *f = flow_of(s);

	return SSL_has_pending(f->ssl) || tls_buf_left(&f->in);
}

static long tf_write(struct tls_sess *s, const void *buf, size_t len)
{
	struct tls_flow *f = flow_of(s);
	size_t done = 0;

	while (s->hs_done && done < len && tls_buf_left(&f->out) < OUT_LIMIT) {
		size_t n = len - done < WRITE_CHUNK ? len - done : WRITE_CHUNK, w;

		ERR_clear_error();
		if (!SSL_write_ex(f->ssl, (const char *)buf + done, n, &w)) {
			ERR_clear_error();
			return s->werr ? s->werr : -ECONNRESET;
		}
		done += w;
	}
	return (long)done;
}

static size_t tf_pending(struct tls_sess *s)
{
	return tls_buf_left(&flow_of(s)->out);
}

static int tf_shutdown(struct tls_sess *s)
{
	struct tls_flow *f = flow_of(s);
	int rc;

	if (s->hs_done && !s->failed) {
		ERR_clear_error();
		SSL_shutdown(f->ssl); /* close_notify, into out or sent */
		ERR_clear_error();
	}
	rc = flush(f); /* ends the lower flow's side once out is sent */
	return rc < 0 ? rc : 0;
}

static const struct tls_sess_ops tls_sess_ops = {
	.lower_data = tf_lower_data,
	.resume = tf_resume,
	.buffered = tf_buffered,
	.write = tf_write,
	.pending = tf_pending,
	.shutdown = tf_shutdown,
	.free = tf_free,
};

struct mg_flow *tls_flow_new(struct tls_base *b, struct mg_flow *lower)
{
	struct tls_stack *t = mg_container_of(b, struct tls_stack, base);
	struct tls_sess *s = tls_sess_new(t->env, sizeof(struct tls_flow), &tls_sess_ops, lower);
	struct tls_flow *f = s ? flow_of(s) : NULL;
	BIO *bio = NULL;

	if (!f)
		return NULL;
	f->t = t;
	ERR_clear_error();
	f->ssl = SSL_new(t->ctx);
	if (f->ssl)
		bio = BIO_new(t->bio);
	if (!bio) {
		ERR_clear_error();
		tls_sess_free(&f->s); /* SSL_free(NULL) is nothing */
		return NULL;
	}
	BIO_set_data(bio, f);
	BIO_set_init(bio, 1);
	SSL_set_bio(f->ssl, bio, bio); /* one BIO both ways: one reference, the SSL's */
	SSL_set_accept_state(f->ssl);
	tls_sess_start(&f->s);
	return &f->s.flow;
}
