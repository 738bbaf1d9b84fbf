/* tls.h - tls.openssl internals shared by the stack (tls.c), its TLS
 * sessions (flow.c) and the OpenSSL context made from the parameters
 * (ctx.c). */
#ifndef MIRAGE_TLS_OPENSSL_H
#define MIRAGE_TLS_OPENSSL_H

#include <openssl/ssl.h>

#include "../common/tlsbuf.h"
#include "../common/tlsstack.h"

/* env->params, in descriptor order (tls.c) */
enum { P_CERT, P_KEY, P_ALPN, P_MIN_VERSION };

/* The most plaintext one TLS record carries: SSL_read never gives more. */
#define TLS_RBUF 16384

struct tls_stack {
	struct tls_base base;        /* first: the stack, its listeners */
	const struct mg_env *env;
	SSL_CTX *ctx;                /* certificate, versions, ciphers, ALPN */
	unsigned char *alpn;         /* the alpn parameter in ALPN's wire form */
	unsigned alpn_len;
	BIO_METHOD *bio;             /* OpenSSL's records to and from a lower flow */
	/* One plaintext buffer for every session: data handed to on_data is
	 * valid during the call only, and there is one thread. */
	unsigned char *rbuf;
};

/* ctx.c: the context from the device's parameters; logs what is wrong
 * (the file, OpenSSL's reason) and returns -EINVAL or -ENOMEM. */
int tls_ctx_new(struct tls_stack *t);
void tls_ctx_free(struct tls_stack *t);
/* OpenSSL's queued errors as text into buf (cleared from the queue). */
const char *tls_errors(char *buf, size_t cap);

/* flow.c: the BIO method sessions use, made once per device. */
int tls_bio_new(struct tls_stack *t);
/* flow.c: the sessions (a tls_session_fn, tlsstack.h). */
struct mg_flow *tls_flow_new(struct tls_base *b, struct mg_flow *lower);

#endif
