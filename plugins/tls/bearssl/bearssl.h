/* bearssl.h - tls.bearssl internals shared by the device (bearssl.c), its
 * TLS sessions (session.c) and the certificate and key it serves
 * (keys.c). */
#ifndef MIRAGE_TLS_BEARSSL_H
#define MIRAGE_TLS_BEARSSL_H

#include <bearssl.h>

#include "mirage/kv_ro.h"
#include "mirage/random.h"
#include "../common/tlsbuf.h"
#include "../common/tlsstack.h"

/* env->params and env->deps, in descriptor order (bearssl.c) */
enum { P_CERT, P_KEY, P_ALPN, P_MIN_VERSION };
enum { S_NET, S_CERTS, S_RANDOM };

struct bssl_stack {
	struct tls_base base;          /* first: the stack, its listeners */
	const struct mg_env *env;
	struct mg_random *rnd;         /* seeds each session's HMAC-DRBG */
	/* keys.c: the chain (each DER allocated on its own) and the key,
	 * which lives in the decoder's context */
	br_x509_certificate *chain;
	size_t chain_len;
	br_skey_decoder_context *skey;
	/* ALPN names, most preferred first, in one allocation */
	const char **alpn;
	size_t alpn_len;
	/* resumption by session ID (BearSSL has no tickets) */
	br_ssl_session_cache_lru cache;
	unsigned char *cache_store;
};

/* keys.c: loads the cert and key parameters from the certs store and
 * checks that they belong together; logs what is wrong and returns
 * -EINVAL or -ENOMEM. */
int bssl_keys_load(struct bssl_stack *t);
void bssl_keys_free(struct bssl_stack *t);
/* keys.c: what BearSSL's error code means, for a log line. */
const char *bssl_error_text(int err, char *buf, size_t cap);

/* session.c: the sessions (a tls_session_fn, tlsstack.h). */
struct mg_flow *bssl_session_new(struct tls_base *b, struct mg_flow *lower);

#endif
