/* session.c - a server-side TLS session over an accepted TCP flow, itself
 * a flow, on BearSSL's engine.  The engine keeps its own record buffers
 * (one for each way): ciphertext from the lower flow waits in `in` until
 * the engine takes it, and records the lower flow does not take stay in
 * the engine, which then takes no more plaintext: write is short, and
 * on_writable follows once they are sent.
 *
 * Backpressure both ways: the lower flow reads while the handshake needs
 * it or the upper flow reads (and `in` holds less than IN_LIMIT).
 * Plaintext is handed to on_data straight from the engine's buffer;
 * while on_data runs (it may write) records are only sent, never read. */
#include <string.h>

#include "bearssl.h"

#define IN_LIMIT 65536
#define SEED_LEN 32 /* bytes of the random device per session */

struct bssl_flow {
	struct mg_flow flow;
	struct bssl_stack *t;
	struct mg_flow *lower;
	br_ssl_server_context sc;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	struct mg_flow_handler h;
	void *arg;
	struct tls_buf in;     /* ciphertext the engine has not taken */
	int werr;              /* the lower write failed: the session is over */
	struct mg_timer *kick; /* delivers what read_start found buffered */
	int depth;             /* our callbacks running: close waits for them */
	unsigned closed : 1, hs_done : 1, reading : 1, lower_reading : 1;
	unsigned eof_in : 1;   /* the lower flow ended */
	unsigned eof_out : 1;  /* the upper flow was told of the end */
	unsigned shut : 1, lower_shut : 1, failed : 1, want_writable : 1;
	unsigned delivering : 1;
};

/* TLS 1.2, ECDHE and AEAD only, the server's order: AES-GCM (AES-NI where
 * there is one) before ChaCha20-Poly1305. */
static const uint16_t suites_ec[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};
static const uint16_t suites_rsa[] = {
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

static br_ssl_engine_context *eng(struct bssl_flow *f)
{
	return &f->sc.eng;
}

/* The server context of one session: what br_ssl_server_init_full_ec
 * would set, less every suite that is not ECDHE with an AEAD cipher. */
static void configure(struct bssl_flow *f)
{
	const struct bssl_stack *t = f->t;
	br_ssl_engine_context *e = eng(f);
	int ec = br_skey_decoder_key_type(t->skey) == BR_KEYTYPE_EC;

	br_ssl_server_zero(&f->sc);
	br_ssl_engine_set_versions(e, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(e, ec ? suites_ec : suites_rsa,
				 ec ? MG_COUNTOF(suites_ec) : MG_COUNTOF(suites_rsa));
	br_ssl_engine_set_default_ec(e);
	/* signing only: no static ECDH or RSA key exchange */
	if (ec)
		br_ssl_server_set_single_ec(&f->sc, t->chain, t->chain_len, br_skey_decoder_get_ec(t->skey),
					    BR_KEYTYPE_SIGN, 0, br_ssl_engine_get_ec(e),
					    br_ecdsa_sign_asn1_get_default());
	else
		br_ssl_server_set_single_rsa(&f->sc, t->chain, t->chain_len, br_skey_decoder_get_rsa(t->skey),
					     BR_KEYTYPE_SIGN, br_rsa_private_get_default(),
					     br_rsa_pkcs1_sign_get_default());
	br_ssl_engine_set_hash(e, br_sha1_ID, &br_sha1_vtable); /* the client's signature hashes */
	br_ssl_engine_set_hash(e, br_sha224_ID, &br_sha224_vtable);
	br_ssl_engine_set_hash(e, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(e, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(e, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(e, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(e, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(e);
	br_ssl_engine_set_default_chapol(e);
	br_ssl_engine_set_buffer(e, f->iobuf, sizeof f->iobuf, 1);
	br_ssl_engine_add_flags(e, BR_OPT_ENFORCE_SERVER_PREFERENCES | BR_OPT_NO_RENEGOTIATION |
				   (t->alpn_len ? BR_OPT_FAIL_ON_ALPN_MISMATCH : 0));
	if (t->alpn_len)
		br_ssl_engine_set_protocol_names(e, t->alpn, t->alpn_len);
	br_ssl_server_set_cache(&f->sc, &f->t->cache.vtable);
}

static struct bssl_flow *flow_of(struct mg_flow *fl)
{
	return mg_container_of(fl, struct bssl_flow, flow);
}

static void flow_free(struct bssl_flow *f)
{
	const struct mg_env *env = f->t->env;

	if (f->kick)
		env->host->timer_cancel(f->kick);
	f->lower->ops->close(f->lower);
	tls_buf_free(env, &f->in);
	memset(&f->sc, 0, sizeof f->sc); /* the session's keys */
	mg_free(env, f);
}

static void leave(struct bssl_flow *f)
{
	if (--f->depth == 0 && f->closed)
		flow_free(f);
}

/* The lower flow reads while the handshake needs it or the upper flow
 * reads, and what it gave is mostly taken. */
static void lower_reading(struct bssl_flow *f)
{
	int want = !f->failed && !f->eof_in && !f->eof_out && (!f->hs_done || f->reading) &&
		   tls_buf_left(&f->in) < IN_LIMIT;

	if (want != f->lower_reading &&
	    (want ? f->lower->ops->read_start(f->lower) : f->lower->ops->read_stop(f->lower)) == 0)
		f->lower_reading = want;
}

/* The session is over: the upper flow hears it once (unless it closed). */
static void fail(struct bssl_flow *f, int err)
{
	if (f->failed)
		return;
	f->failed = 1;
	lower_reading(f);
	if (!f->closed && f->h.on_error)
		f->h.on_error(f->arg, err);
}

/* The engine closed: after close_notify, or on an error it may have told
 * the client of with an alert (sent before it reports closed). */
static void engine_closed(struct bssl_flow *f)
{
	const char *peer = f->lower->ops->peer(f->lower);
	int err = br_ssl_engine_last_error(eng(f));
	char why[128];

	if (err == BR_ERR_OK && f->hs_done) {
		if (!f->eof_out && f->reading && !f->closed) {
			f->eof_out = 1;
			f->h.on_data(f->arg, "", 0);
		}
		return;
	}
	/* info, not warn: any client can cause it, as often as it likes */
	mg_log(f->t->env, MG_LOG_INFO, "%s: TLS %s failed: %s", peer, f->hs_done ? "session" : "handshake",
	       bssl_error_text(err, why, sizeof why));
	fail(f, f->werr ? f->werr : -EPROTO);
}

/* The handshake ended: logs what it agreed on. */
static void handshake_done(struct bssl_flow *f)
{
	static const struct {
		uint16_t id;
		const char *name;
	} names[] = {
		{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256" },
		{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384" },
		{ BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305" },
		{ BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256" },
		{ BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384" },
		{ BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305" },
	};
	br_ssl_session_parameters sp;
	const char *name = "?";

	f->hs_done = 1;
	br_ssl_engine_get_session_parameters(eng(f), &sp);
	for (size_t i = 0; i < MG_COUNTOF(names); i++)
		if (names[i].id == sp.cipher_suite)
			name = names[i].name;
	mg_log(f->t->env, MG_LOG_DEBUG, "%s: TLSv1.2, %s", f->lower->ops->peer(f->lower), name);
}

/* Sends the records the engine has; 1 when all went, 0 when the lower
 * flow took less, -1 when the write failed (the upper flow was told). */
static int send_records(struct bssl_flow *f)
{
	size_t len;
	unsigned char *rec;

	while ((rec = br_ssl_engine_sendrec_buf(eng(f), &len)) != NULL) {
		long n = f->werr ? f->werr : f->lower->ops->write(f->lower, rec, len);

		if (n < 0) {
			f->werr = (int)n;
			fail(f, f->werr);
			return -1;
		}
		if (n == 0)
			return 0;
		br_ssl_engine_sendrec_ack(eng(f), (size_t)n);
		if ((size_t)n < len)
			return 0;
	}
	return 1;
}

/* Moves records both ways until nothing moves: sends what the engine has,
 * feeds it what came, hands plaintext to a reading upper flow.  Inside
 * on_data only the sending. */
static void pump(struct bssl_flow *f)
{
	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng(f));
		unsigned char *p;
		size_t len;

		if (f->failed || f->closed)
			return;
		if (st & BR_SSL_SENDREC) {
			int rc = send_records(f);

			if (rc < 0)
				return;
			if (rc > 0)
				continue;
		}
		if (st == BR_SSL_CLOSED) {
			engine_closed(f);
			return;
		}
		if (!f->hs_done && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
			handshake_done(f);
		if (f->delivering)
			return;
		if ((st & BR_SSL_RECVAPP) && f->reading && !f->eof_out) {
			p = br_ssl_engine_recvapp_buf(eng(f), &len);
			f->delivering = 1;
			f->h.on_data(f->arg, p, len);
			f->delivering = 0;
			if (!f->closed)
				br_ssl_engine_recvapp_ack(eng(f), len);
			continue;
		}
		if ((st & BR_SSL_RECVREC) && tls_buf_left(&f->in)) {
			p = br_ssl_engine_recvrec_buf(eng(f), &len);
			len = len < tls_buf_left(&f->in) ? len : tls_buf_left(&f->in);
			memcpy(p, f->in.p + f->in.off, len);
			tls_buf_take(&f->in, len);
			br_ssl_engine_recvrec_ack(eng(f), len);
			continue;
		}
		if (f->eof_in && !tls_buf_left(&f->in) && !(st & BR_SSL_RECVAPP)) {
			/* the TCP end, without close_notify: an end all the same
			 * (HTTP frames its own messages), unless it cut the
			 * handshake short */
			if (!f->hs_done) {
				mg_log(f->t->env, MG_LOG_DEBUG, "%s: the connection ended during the TLS handshake",
				       f->lower->ops->peer(f->lower));
				fail(f, -ECONNRESET);
			} else if (!f->eof_out && f->reading) {
				f->eof_out = 1;
				f->h.on_data(f->arg, "", 0);
			}
		}
		return;
	}
}

/* Records sent, and the sending side ended once shutdown asked and all
 * is out. */
static void finish_shutdown(struct bssl_flow *f)
{
	size_t len;

	if (f->shut && !f->lower_shut && !f->failed && !br_ssl_engine_sendrec_buf(eng(f), &len)) {
		f->lower_shut = 1;
		if (f->lower->ops->shutdown(f->lower) < 0)
			fail(f, -EPIPE);
	}
}

/* A short write is over: write may go on. */
static void writable(struct bssl_flow *f)
{
	if (f->want_writable && f->hs_done && !f->closed && !f->failed &&
	    (br_ssl_engine_current_state(eng(f)) & BR_SSL_SENDAPP)) {
		f->want_writable = 0;
		f->h.on_writable(f->arg);
	}
}

/* What every lower callback does once its bytes are in place. */
static void step(struct bssl_flow *f)
{
	pump(f);
	finish_shutdown(f);
	writable(f);
	if (!f->closed)
		lower_reading(f);
}

static void lower_on_data(void *arg, const void *data, size_t len)
{
	struct bssl_flow *f = arg;

	f->depth++;
	if (len == 0) {
		f->eof_in = 1;
		f->lower_reading = 0; /* a flow reads no more after its end */
	} else if (tls_buf_put(f->t->env, &f->in, data, len) < 0) {
		fail(f, -ENOMEM);
	}
	step(f);
	leave(f);
}

static void lower_on_writable(void *arg)
{
	struct bssl_flow *f = arg;

	f->depth++;
	step(f);
	leave(f);
}

static void lower_on_error(void *arg, int err)
{
	struct bssl_flow *f = arg;

	f->depth++;
	fail(f, err);
	leave(f);
}

static void on_kick(void *arg)
{
	struct bssl_flow *f = arg;

	f->kick = NULL;
	f->depth++;
	step(f);
	leave(f);
}

/* ---- the flow type ---- */

static void bf_set_handler(struct mg_flow *fl, const struct mg_flow_handler *h, void *arg)
{
	struct bssl_flow *f = flow_of(fl);

	f->h = *h;
	f->arg = arg;
}

static int bf_read_start(struct mg_flow *fl)
{
	struct bssl_flow *f = flow_of(fl);
	const struct mg_env *env = f->t->env;

	f->reading = 1;
	lower_reading(f);
	/* Bytes that came while the upper flow did not read are delivered
	 * from the loop, not from inside its call. */
	if (f->hs_done && !f->failed && !f->eof_out && !f->kick &&
	    ((br_ssl_engine_current_state(eng(f)) & (BR_SSL_RECVAPP | BR_SSL_CLOSED)) ||
	     tls_buf_left(&f->in) || f->eof_in) &&
	    env->host->timer_start(env, 0, on_kick, f, &f->kick) < 0) {
		f->kick = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int bf_read_stop(struct mg_flow *fl)
{
	struct bssl_flow *f = flow_of(fl);

	f->reading = 0;
	lower_reading(f);
	return 0;
}

static long bf_write(struct mg_flow *fl, const void *buf, size_t len)
{
	struct bssl_flow *f = flow_of(fl);
	size_t done = 0;

	if (f->shut)
		return -EPIPE;
	if (f->failed || f->werr)
		return f->werr ? f->werr : -ECONNRESET;
	while (f->hs_done && done < len && !f->failed &&
	       (br_ssl_engine_current_state(eng(f)) & BR_SSL_SENDAPP)) {
		size_t room;
		unsigned char *p = br_ssl_engine_sendapp_buf(eng(f), &room);
		size_t n = len - done < room ? len - done : room;

		memcpy(p, (const char *)buf + done, n);
		br_ssl_engine_sendapp_ack(eng(f), n);
		done += n;
		br_ssl_engine_flush(eng(f), 0); /* a record now: no waiting for more */
		if (send_records(f) <= 0)
			break;
	}
	if (f->failed)
		return done ? (long)done : (f->werr ? f->werr : -ECONNRESET);
	/* short: records wait for the lower flow (its on_writable comes) or
	 * the handshake goes on (its end calls writable) */
	if (done < len)
		f->want_writable = 1;
	return (long)done;
}

static size_t bf_pending(struct mg_flow *fl)
{
	size_t len = 0;

	br_ssl_engine_sendrec_buf(eng(flow_of(fl)), &len);
	return len;
}

static int bf_shutdown(struct mg_flow *fl)
{
	struct bssl_flow *f = flow_of(fl);

	if (f->shut)
		return 0;
	f->shut = 1;
	if (f->hs_done && !f->failed) {
		br_ssl_engine_close(eng(f)); /* close_notify */
		send_records(f);
	}
	finish_shutdown(f);
	return f->werr ? f->werr : 0;
}

static const char *bf_peer(struct mg_flow *fl)
{
	struct bssl_flow *f = flow_of(fl);

	return f->lower->ops->peer(f->lower);
}

static void bf_close(struct mg_flow *fl)
{
	struct bssl_flow *f = flow_of(fl);

	if (f->depth)
		f->closed = 1; /* freed when our callback returns */
	else
		flow_free(f);
}

static const struct mg_flow_ops bssl_flow_ops = {
	.hdr = MG_OPS_HDR(struct mg_flow_ops, 1, 0),
	.set_handler = bf_set_handler,
	.read_start = bf_read_start,
	.read_stop = bf_read_stop,
	.write = bf_write,
	.pending = bf_pending,
	.shutdown = bf_shutdown,
	.peer = bf_peer,
	.close = bf_close,
};

static const struct mg_flow_handler lower_handler = {
	.on_data = lower_on_data,
	.on_writable = lower_on_writable,
	.on_error = lower_on_error,
};

struct mg_flow *bssl_session_new(struct tls_base *b, struct mg_flow *lower)
{
	struct bssl_stack *t = mg_container_of(b, struct bssl_stack, base);
	struct bssl_flow *f = mg_zalloc(t->env, sizeof *f);
	unsigned char seed[SEED_LEN];
	int ok;

	if (!f) {
		lower->ops->close(lower);
		return NULL;
	}
	f->flow.ops = &bssl_flow_ops;
	f->t = t;
	f->lower = lower;
	configure(f);
	/* the engine's HMAC-DRBG, from the random device only (BearSSL's own
	 * system seeders are compiled out) */
	ok = t->rnd->ops->fill(t->rnd, seed, sizeof seed) == 0;
	if (ok)
		br_ssl_engine_inject_entropy(eng(f), seed, sizeof seed);
	memset(seed, 0, sizeof seed);
	if (!ok || !br_ssl_server_reset(&f->sc)) {
		mg_log(t->env, MG_LOG_WARN, "%s: %s: closed", lower->ops->peer(lower),
		       ok ? "BearSSL refuses the session's settings" : "the random device gave no seed");
		flow_free(f);
		return NULL;
	}
	lower->ops->set_handler(lower, &lower_handler, f);
	lower_reading(f); /* the ClientHello */
	return &f->flow;
}
