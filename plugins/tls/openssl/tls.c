/* tls.openssl - the stackv4 type with TLS on its TCP connections, over
 * another stackv4 (OpenSSL 3).  An http.server on it serves HTTPS while
 * another on the stack below serves plain HTTP.  The listeners, UDP and
 * the hot swap are the TLS plugins' shared part (../common/tlsstack.c);
 * the sessions are flow.c's.  Randomness is OpenSSL's own (its DRBG,
 * seeded by the kernel). */
#include "tls.h"

enum { S_NET };

/* ---- the device ---- */

static void tls_free(struct tls_stack *t)
{
	tls_base_fini(&t->base);
	tls_ctx_free(t);
	BIO_meth_free(t->bio);
	mg_free(t->env, t->rbuf);
	mg_free(t->env, t);
}

static int tls_connect(const struct mg_env *env, struct mg_device **out)
{
	struct tls_stack *t = mg_zalloc(env, sizeof *t);
	int rc;

	if (!t)
		return -ENOMEM;
	tls_base_init(&t->base, env, (struct mg_stackv4 *)env->deps[S_NET], "tls.openssl", tls_flow_new);
	t->env = env;
	t->rbuf = mg_alloc(env, TLS_RBUF);
	rc = t->rbuf ? tls_bio_new(t) : -ENOMEM;
	if (rc == 0)
		rc = tls_ctx_new(t);
	if (rc < 0) {
		tls_free(t);
		return rc;
	}
	*out = MG_DEVICE(&t->base.stack);
	return 0;
}

static void tls_disconnect(struct mg_device *dev)
{
	tls_free(mg_container_of(dev, struct tls_stack, base.stack));
}

static const struct mg_slot tls_slots[] = {
	/* 1.2: listeners are held and retargeted across a swap */
	[S_NET] = { .name = "net", .type = MG_TYPE(STACKV4, 2),
		    .doc = "the TCP/IP stack the TLS records travel on" },
};

static const struct mg_param tls_params[] = {
	[P_CERT] = { .name = "cert", .type = MG_PARAM_PATH,
		     .doc = "certificate chain, PEM, the server's certificate first" },
	[P_KEY] = { .name = "key", .type = MG_PARAM_PATH,
		    .doc = "the certificate's private key, PEM, without a passphrase" },
	[P_ALPN] = { .name = "alpn", .type = MG_PARAM_STRING, .def = "http/1.1",
		     .doc = "ALPN protocols, most preferred first, comma-separated (\"\" for none); a client that offers others is refused" },
	[P_MIN_VERSION] = { .name = "min_version", .type = MG_PARAM_ENUM, .def = "1.2",
			    .choices = "1.2|1.3",
			    .doc = "oldest TLS version accepted (1.2: ECDHE with AES-GCM or ChaCha20-Poly1305 only)" },
};

MG_PLUGIN(.name = "tls.openssl", .version = "1.0",
	  .summary = "stackv4 with TLS 1.2/1.3 on its TCP connections, over another stackv4 (OpenSSL)",
	  .provides = MG_TYPE(STACKV4, 3), .targets = MG_TARGET_UNIX,
	  .slots = tls_slots, .nslots = MG_COUNTOF(tls_slots),
	  .params = tls_params, .nparams = MG_COUNTOF(tls_params),
	  .connect = tls_connect, .disconnect = tls_disconnect,
	  .handover_export = tls_base_export, .handover_import = tls_base_import);
