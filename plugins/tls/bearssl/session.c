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
#include "../common/tlssess.h"

#define IN_LIMIT 65536
#define SEED_LEN 32 /* bytes of the random device per session */

struct bssl_flow {
	struct tls_sess s;     /* first: the flow, the flags */
	struct bssl_stack *t;
	br_ssl_server_context sc;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	struct tls_buf in;     /* ciphertext the engine has not taken */
	unsigned delivering : 1;
	unsigned sending : 1;  /* a lower write runs: its callbacks send nothing */
	unsigned closing : 1;  /* close_notify asked of the engine */
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

static struct bssl_flow *flow_of(struct tls_sess *s)
{
	return mg_container_of(s, struct bssl_flow, s);
}

static void bf_free(struct tls_sess *s)
{
	struct bssl_flow *f = flow_of(s);

	tls_buf_free(s->env, &f->in);
	memset(&f->sc, 0, sizeof f->sc); /* the session's keys */
}

/* The upper flow hears of the end once, when it reads. */
static void end_of_input(struct bssl_flow *f)
{
	if (!f->s.eof_out && f->s.reading && !f->s.closed) {
		f->s.eof_out = 1;
		f->s.h.on_data(f->s.arg, "", 0);
	}
}

/* The engine closed: after close_notify, or on an error it may have told
 * the client of with an alert (sent before it reports closed). */
static void engine_closed(struct bssl_flow *f)
{
	int err = br_ssl_engine_last_error(eng(f));
	char why[128];

	if (err == BR_ERR_OK && f->s.hs_done) {
		end_of_input(f);
		return;
	}
	/* info, not warn: any client can cause it, as often as it likes */
	mg_log(f->s.env, MG_LOG_INFO, "%s: TLS %s failed: %s", f->s.lower->ops->peer(f->s.lower),
	       f->s.hs_done ? "session" : "handshake", bssl_error_text(err, why, sizeof why));
	tls_sess_fail(&f->s, f->s.werr ? f->s.werr : -EPROTO);
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

	f->s.hs_done = 1;
	br_ssl_engine_get_session_parameters(eng(f), &sp);
	for (size_t i = 0; i < MG_COUNTOF(names); i++)
		if (names[i].id == sp.cipher_suite)
			name = names[i].name;
	mg_log(f->s.env, MG_LOG_DEBUG, "%s: TLSv1.2, %s", f->s.lower->ops->peer(f->s.lower), name);
}

/* Sends the records the engine has; 1 when all went, 0 when the lower
 * flow took less, -1 when the write failed (the upper flow was told). */
static int send_records(struct bssl_flow *f)
{
	size_t len;
	unsigned char *rec;

	/* A lower write may call back (on_writable, from a stack that handles
	 * acknowledgements as it sends): the record is not acknowledged to
	 * the engine yet, and must not go twice. */
	if (f->sending)
		return 0;
	while ((rec = br_ssl_engine_sendrec_buf(eng(f), &len)) != NULL) {
		long n;

		f->sending = 1;
		n = f->s.werr ? f->s.werr : f->s.lower->ops->write(f->s.lower, rec, len);
		f->sending = 0;
		if (n < 0) {
			f->s.werr = (int)n;
			tls_sess_fail(&f->s, f->s.werr);
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

		if (f->s.failed || f->s.closed)
			return;
		if ((st & BR_SSL_SENDREC) && send_records(f) != 0) {
			if (f->s.failed)
				return;
			continue;
		}
		if (st == BR_SSL_CLOSED) {
			engine_closed(f);
			return;
		}
		if (!f->s.hs_done && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
			handshake_done(f);
		if (f->delivering)
			return;
		if ((st & BR_SSL_RECVAPP) && f->s.reading && !f->s.eof_out) {
			p = br_ssl_engine_recvapp_buf(eng(f), &len);
			f->delivering = 1;
			f->s.h.on_data(f->s.arg, p, len);
			f->delivering = 0;
			if (!f->s.closed)
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
		if (f->s.eof_in && !tls_buf_left(&f->in) && !(st & BR_SSL_RECVAPP)) {
			/* the TCP end, without close_notify: an end all the same
			 * (HTTP frames its own messages), unless it cut the
			 * handshake short */
			if (f->s.hs_done) {
				end_of_input(f);
			} else {
				mg_log(f->s.env, MG_LOG_DEBUG, "%s: the connection ended during the TLS handshake",
				       f->s.lower->ops->peer(f->s.lower));
				tls_sess_fail(&f->s, -ECONNRESET);
			}
		}
		return;
	}
}

/* close_notify once shutdown asked and no record waits (the engine
 * builds the alert in the output buffer), then the lower side's end once
 * all is sent. */
static void finish_shutdown(struct bssl_flow *f)
{
	size_t len;

	if (!f->s.shut || f->s.lower_shut || f->s.failed || br_ssl_engine_sendrec_buf(eng(f), &len))
		return;
	if (f->s.hs_done && !(br_ssl_engine_current_state(eng(f)) & BR_SSL_CLOSED) && !f->closing) {
		f->closing = 1;
		br_ssl_engine_close(eng(f));
		if (send_records(f) <= 0)
			return;
	}
	f->s.lower_shut = 1;
	if (f->s.lower->ops->shutdown(f->s.lower) < 0)
		tls_sess_fail(&f->s, -EPIPE);
}

/* What every lower callback does once its bytes are in place. */
static void step(struct bssl_flow *f)
{
	pump(f);
	finish_shutdown(f);
	tls_sess_writable(&f->s, (br_ssl_engine_current_state(eng(f)) & BR_SSL_SENDAPP) != 0);
	if (!f->s.closed)
		tls_sess_lower_reading(&f->s);
}

/* ---- the session ops ---- */

static void bf_lower_data(struct tls_sess *s, const void *data, size_t len)
{
	struct bssl_flow *f = flow_of(s);

	if (len && tls_buf_put(s->env, &f->in, data, len) < 0)
		tls_sess_fail(s, -ENOMEM);
	step(f);
}

static void bf_resume(struct tls_sess *s, int kicked)
{
	(void)kicked;
	step(flow_of(s));
}

static int bf_buffered(struct tls_sess *s)
{
	struct bssl_flow *f = flow_of(s);

	return (br_ssl_engine_current_state(eng(f)) & (BR_SSL_RECVAPP | BR_SSL_CLOSED)) ||
	       tls_buf_left(&f->in);
}

static int bf_may_read(struct tls_sess *s)
{
	return tls_buf_left(&flow_of(s)->in) < IN_LIMIT;
}

static long bf_write(struct tls_sess *s, const void *buf, size_t len)
{
	struct bssl_flow *f = flow_of(s);
	size_t done = 0;

	while (s->hs_done && done < len && !s->failed &&
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
	if (s->failed && !done)
		return s->werr ? s->werr : -ECONNRESET;
	return (long)done;
}

static size_t bf_pending(struct tls_sess *s)
{
	size_t len = 0;

	br_ssl_engine_sendrec_buf(eng(flow_of(s)), &len);
	return len;
}

static int bf_shutdown(struct tls_sess *s)
{
	finish_shutdown(flow_of(s));
	return s->werr ? s->werr : 0;
}

static const struct tls_sess_ops bssl_sess_ops = {
	.lower_data = bf_lower_data,
	.resume = bf_resume,
	.buffered = bf_buffered,
	.may_read = bf_may_read,
	.write = bf_write,
	.pending = bf_pending,
	.shutdown = bf_shutdown,
	.free = bf_free,
};

struct mg_flow *bssl_session_new(struct tls_base *b, struct mg_flow *lower)
{
	struct bssl_stack *t = mg_container_of(b, struct bssl_stack, base);
	struct tls_sess *s = tls_sess_new(t->env, sizeof(struct bssl_flow), &bssl_sess_ops, lower);
	struct bssl_flow *f = s ? flow_of(s) : NULL;
	unsigned char seed[SEED_LEN];
	int ok;

	if (!f)
		return NULL;
	f->t = t;
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
		tls_sess_free(&f->s);
		return NULL;
	}
	tls_sess_start(&f->s);
	return &f->s.flow;
}
