/* tls.bearssl - the stackv4 type with TLS 1.2 on its TCP connections, over
 * another stackv4, on BearSSL (portable: it links into a Xen image).  The
 * listeners, UDP and the hot swap are the TLS plugins' shared part
 * (../common/tlsstack.c); the sessions are session.c's.
 *
 * A portable plugin has no file system: the cert and key parameters are
 * keys of the `certs` store (kvro.dir over a folder on Unix; on Xen the
 * PEM files crunched into the image).  Randomness comes from the `random`
 * device, which must report an entropy source (random.rdrand's RDSEED or
 * RDRAND, OpenSSL's kernel-seeded DRBG on Unix): each session's HMAC-DRBG
 * is seeded from it, and BearSSL's own system seeders are compiled out. */
#include <string.h>

#include "bearssl.h"
#include "../common/tlsalpn.h"

/* Sessions resumed by ID: about 100 bytes each. */
#define CACHE_BYTES (64 << 10)

/* The alpn parameter as the array of names BearSSL takes: the wire form
 * shifted by a byte, each length byte become the previous name's NUL. */
static int alpn_parse(struct bssl_stack *t, const char *list)
{
	unsigned char *wire;
	unsigned len, n = 0;
	char *names;
	int rc = tls_alpn_wire(t->env, list, &wire, &len);

	if (rc < 0 || !len) {
		mg_free(t->env, wire);
		return rc;
	}
	for (unsigned o = 0; o < len; o += 1u + wire[o])
		n++;
	t->alpn = mg_alloc(t->env, n * sizeof *t->alpn + len);
	if (!t->alpn) {
		mg_free(t->env, wire);
		return -ENOMEM;
	}
	names = (char *)(t->alpn + n);
	memcpy(names, wire + 1, len - 1);
	for (unsigned o = 0; o < len; o += 1u + wire[o]) {
		t->alpn[t->alpn_len++] = names + o;
		names[o + wire[o]] = 0;
	}
	mg_free(t->env, wire);
	return 0;
}

/* The random device must say what its bytes come from. */
static int check_random(struct bssl_stack *t)
{
	const char *src = MG_OPS_HAS(t->rnd->ops, source) ? t->rnd->ops->source(t->rnd) : NULL;

	if (!src) {
		mg_log(t->env, MG_LOG_ERROR,
		       "the random device reports no entropy source: TLS keys made from it could be guessed; refusing to start (use random.rdrand in an image, random.openssl on Unix)");
		return -EINVAL;
	}
	mg_log(t->env, MG_LOG_DEBUG, "sessions seeded from %s", src);
	return 0;
}

static void bssl_free(struct bssl_stack *t)
{
	tls_base_fini(&t->base);
	bssl_keys_free(t);
	mg_free(t->env, t->alpn);
	mg_free(t->env, t->cache_store);
	mg_free(t->env, t);
}

static int bssl_connect(const struct mg_env *env, struct mg_device **out)
{
	struct bssl_stack *t = mg_zalloc(env, sizeof *t);
	int rc;

	if (!t)
		return -ENOMEM;
	tls_base_init(&t->base, env, (struct mg_stackv4 *)env->deps[S_NET], "tls.bearssl",
		      bssl_session_new);
	t->env = env;
	t->rnd = (struct mg_random *)env->deps[S_RANDOM];
	t->cache_store = mg_alloc(env, CACHE_BYTES);
	rc = t->cache_store ? check_random(t) : -ENOMEM;
	if (rc == 0)
		rc = bssl_keys_load(t);
	if (rc == 0)
		rc = alpn_parse(t, env->params[P_ALPN].s);
	if (rc < 0) {
		bssl_free(t);
		return rc;
	}
	br_ssl_session_cache_lru_init(&t->cache, t->cache_store, CACHE_BYTES);
	*out = MG_DEVICE(&t->base.stack);
	return 0;
}

static void bssl_disconnect(struct mg_device *dev)
{
	bssl_free(mg_container_of(dev, struct bssl_stack, base.stack));
}

static const struct mg_slot bssl_slots[] = {
	/* 1.2: listeners are held and retargeted across a swap */
	[S_NET] = { .name = "net", .type = MG_TYPE(STACKV4, 2),
		    .doc = "the TCP/IP stack the TLS records travel on" },
	[S_CERTS] = { .name = "certs", .type = MG_TYPE(KV_RO, 0),
		      .doc = "where the cert and key files are (a folder with kvro.dir; crunched into an image)" },
	/* 1.1: source, so that no session is keyed from a guessable generator */
	[S_RANDOM] = { .name = "random", .type = MG_TYPE(RANDOM, 1),
		       .doc = "seeds each session's HMAC-DRBG; must report an entropy source" },
};

static const struct mg_param bssl_params[] = {
	[P_CERT] = { .name = "cert", .type = MG_PARAM_STRING,
		     .doc = "certificate chain, PEM, the server's certificate first (ECDSA or RSA): a key of the certs store" },
	[P_KEY] = { .name = "key", .type = MG_PARAM_STRING,
		    .doc = "the certificate's private key, PEM, without a passphrase: a key of the certs store" },
	[P_ALPN] = { .name = "alpn", .type = MG_PARAM_STRING, .def = "http/1.1",
		     .doc = "ALPN protocols, most preferred first, comma-separated (\"\" for none); a client that offers others is refused" },
	[P_MIN_VERSION] = { .name = "min_version", .type = MG_PARAM_ENUM, .def = "1.2", .choices = "1.2",
			    .doc = "oldest TLS version accepted: 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305 only (BearSSL has no TLS 1.3)" },
};

MG_PLUGIN(.name = "tls.bearssl", .version = "1.0",
	  .summary = "stackv4 with TLS 1.2 on its TCP connections, over another stackv4 (BearSSL, portable)",
	  .provides = MG_TYPE(STACKV4, 3), .targets = MG_TARGET_ANY,
	  .slots = bssl_slots, .nslots = MG_COUNTOF(bssl_slots),
	  .params = bssl_params, .nparams = MG_COUNTOF(bssl_params),
	  .connect = bssl_connect, .disconnect = bssl_disconnect,
	  .handover_export = tls_base_export, .handover_import = tls_base_import);
