/* keys.c - the certificate chain and private key of a tls.bearssl device:
 * PEM values of the certs store (a kv_ro: a folder on Unix, files built
 * into a Xen image), decoded with BearSSL's PEM, X.509 and key decoders;
 * the key must be the certificate's (ECDSA, or RSA for ECDHE_RSA). */
#include <stdio.h>
#include <string.h>

#include "bearssl.h"

/* One PEM object's bytes, decoded. */
struct pem_obj {
	const struct mg_env *env;
	struct tls_buf der;
	int err;
};

static void pem_append(void *ctx, const void *data, size_t len)
{
	struct pem_obj *o = ctx;

	if (!o->err)
		o->err = tls_buf_put(o->env, &o->der, data, len);
}

/* Called with each object's name and DER bytes: 0 to go on. */
typedef int (*pem_cb)(struct bssl_stack *t, const char *name, const void *der, size_t len);

struct pem_walk {
	br_pem_decoder_context pc;
	struct pem_obj o;
	char name[128];
	int n, inside;
};

/* What follows one push: an object begins or ends, or an error. */
static int pem_event(struct bssl_stack *t, const char *file, struct pem_walk *w, pem_cb cb)
{
	int rc = 0;

	switch (br_pem_decoder_event(&w->pc)) {
	case BR_PEM_BEGIN_OBJ:
		snprintf(w->name, sizeof w->name, "%s", br_pem_decoder_name(&w->pc));
		br_pem_decoder_setdest(&w->pc, pem_append, &w->o);
		w->inside = 1;
		break;
	case BR_PEM_END_OBJ:
		w->inside = 0;
		rc = w->o.err ? w->o.err : cb(t, w->name, w->o.der.p, w->o.der.len);
		w->o.der.len = 0;
		w->n++;
		break;
	case BR_PEM_ERROR:
		mg_log(t->env, MG_LOG_ERROR, "%s: not PEM (a line that is no base64, or no END line)", file);
		rc = -EINVAL;
		break;
	}
	return rc;
}

/* Decodes every PEM object of data.  The number of objects, or -EINVAL
 * (logged: file is the key's name) or -ENOMEM. */
static int pem_each(struct bssl_stack *t, const char *file, const unsigned char *data, size_t len,
		    pem_cb cb)
{
	struct pem_walk *w = mg_zalloc(t->env, sizeof *w);
	const char *nl = "\n"; /* ends a last line that has none */
	size_t nl_len = 1;
	int rc = 0;

	if (!w)
		return -ENOMEM;
	w->o.env = t->env;
	br_pem_decoder_init(&w->pc);
	while (rc == 0 && len) {
		size_t k = br_pem_decoder_push(&w->pc, data, len);

		data += k;
		len -= k;
		rc = pem_event(t, file, w, cb);
	}
	while (rc == 0 && nl_len) {
		nl_len -= br_pem_decoder_push(&w->pc, nl, nl_len);
		rc = pem_event(t, file, w, cb);
	}
	if (rc == 0 && w->inside) {
		mg_log(t->env, MG_LOG_ERROR, "%s: the PEM object \"%s\" has no END line", file, w->name);
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = w->n;
	tls_buf_free(t->env, &w->o.der);
	mg_free(t->env, w);
	return rc;
}

/* The whole value of key into a new buffer (*len bytes). */
static int read_value(struct bssl_stack *t, const char *key, unsigned char **out, size_t *len)
{
	struct mg_kv_ro *kv = (struct mg_kv_ro *)t->env->deps[S_CERTS];
	uint64_t size;
	int rc = kv->ops->size(kv, key, &size);

	if (rc < 0) {
		mg_log(t->env, MG_LOG_ERROR, "cannot read %s from the certs store: %s", key, strerror(-rc));
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	if (size > (1u << 20)) {
		mg_log(t->env, MG_LOG_ERROR, "%s: %llu bytes, more than a PEM file of keys (1 MiB)", key,
		       (unsigned long long)size);
		return -EINVAL;
	}
	*out = mg_alloc(t->env, size ? size : 1);
	if (!*out)
		return -ENOMEM;
	rc = kv->ops->get(kv, key, *out, size, len);
	if (rc < 0) {
		mg_log(t->env, MG_LOG_ERROR, "cannot read %s from the certs store: %s", key, strerror(-rc));
		mg_free(t->env, *out);
		return -EINVAL;
	}
	return 0;
}

static int add_cert(struct bssl_stack *t, const char *name, const void *der, size_t len)
{
	br_x509_certificate *chain;
	unsigned char *copy;

	if (strcmp(name, "CERTIFICATE"))
		return 0; /* other objects are no part of the chain */
	chain = mg_alloc(t->env, (t->chain_len + 1) * sizeof *chain);
	copy = mg_alloc(t->env, len);
	if (!chain || !copy) {
		mg_free(t->env, chain);
		mg_free(t->env, copy);
		return -ENOMEM;
	}
	if (t->chain_len)
		memcpy(chain, t->chain, t->chain_len * sizeof *chain);
	mg_free(t->env, t->chain);
	memcpy(copy, der, len);
	chain[t->chain_len].data = copy;
	chain[t->chain_len++].data_len = len;
	t->chain = chain;
	return 0;
}

static int add_key(struct bssl_stack *t, const char *name, const void *der, size_t len)
{
	if (strcmp(name, "PRIVATE KEY") && strcmp(name, "EC PRIVATE KEY") &&
	    strcmp(name, "RSA PRIVATE KEY"))
		return 0; /* EC PARAMETERS, say */
	if (t->skey->key_type) {
		mg_log(t->env, MG_LOG_ERROR, "%s: more than one private key", t->env->params[P_KEY].s);
		return -EINVAL;
	}
	br_skey_decoder_push(t->skey, der, len);
	if (br_skey_decoder_last_error(t->skey) || !br_skey_decoder_key_type(t->skey)) {
		mg_log(t->env, MG_LOG_ERROR, "%s: the %s is not an EC or RSA key BearSSL can read (error %d)",
		       t->env->params[P_KEY].s, name, br_skey_decoder_last_error(t->skey));
		return -EINVAL;
	}
	return 0;
}

/* Strips leading zero bytes of a big-endian number. */
static const unsigned char *trim(const unsigned char *p, size_t *len)
{
	while (*len && !*p)
		p++, (*len)--;
	return p;
}

/* 1 when the key is the one the certificate names. */
static int key_matches(const br_x509_pkey *pk, const br_skey_decoder_context *sk)
{
	if (pk->key_type != br_skey_decoder_key_type(sk))
		return 0;
	if (pk->key_type == BR_KEYTYPE_EC) {
		const br_ec_private_key *ec = br_skey_decoder_get_ec(sk);
		unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pub;
		size_t n = br_ec_compute_pub(br_ec_get_default(), &pub, q, ec);

		return n && pub.curve == pk->key.ec.curve && n == pk->key.ec.qlen &&
		       !memcmp(q, pk->key.ec.q, n);
	} else {
		const br_rsa_private_key *rsa = br_skey_decoder_get_rsa(sk);
		unsigned char n[512]; /* RSA-4096, the most BearSSL does */
		size_t len = br_rsa_compute_modulus_get_default()(NULL, rsa), clen = pk->key.rsa.nlen;
		const unsigned char *a, *b;

		if (!len || len > sizeof n || br_rsa_compute_modulus_get_default()(n, rsa) != len)
			return 0;
		a = trim(n, &len);
		b = trim(pk->key.rsa.n, &clen);
		return len == clen && !memcmp(a, b, len);
	}
}

/* The first certificate's key, which must be the private key's. */
static int check_pair(struct bssl_stack *t)
{
	const char *cert = t->env->params[P_CERT].s, *key = t->env->params[P_KEY].s;
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;

	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, t->chain[0].data, t->chain[0].data_len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (!pk) {
		mg_log(t->env, MG_LOG_ERROR, "%s: the first certificate cannot be decoded (X.509 error %d)",
		       cert, br_x509_decoder_last_error(&dc));
		return -EINVAL;
	}
	if (!key_matches(pk, t->skey)) {
		mg_log(t->env, MG_LOG_ERROR, "the key in %s is not the key of the certificate in %s", key, cert);
		return -EINVAL;
	}
	mg_log(t->env, MG_LOG_INFO, "TLS 1.2, %s certificate from %s (%zu in the chain)",
	       pk->key_type == BR_KEYTYPE_EC ? "ECDSA" : "RSA", cert, t->chain_len);
	return 0;
}

/* Reads one parameter's file and hands each PEM object to cb. */
static int load_file(struct bssl_stack *t, int param, pem_cb cb, const char *expected)
{
	const char *file = t->env->params[param].s;
	unsigned char *data;
	size_t len;
	int rc = read_value(t, file, &data, &len);

	if (rc < 0)
		return rc;
	rc = pem_each(t, file, data, len, cb);
	memset(data, 0, len); /* the key's bytes do not linger in the heap */
	mg_free(t->env, data);
	if (rc == 0) {
		mg_log(t->env, MG_LOG_ERROR, "%s: no PEM object in it (expected %s)", file, expected);
		rc = -EINVAL;
	}
	return rc < 0 ? rc : 0;
}

int bssl_keys_load(struct bssl_stack *t)
{
	int rc;

	t->skey = mg_zalloc(t->env, sizeof *t->skey);
	if (!t->skey)
		return -ENOMEM;
	br_skey_decoder_init(t->skey);
	rc = load_file(t, P_CERT, add_cert, "PEM certificates, the server's first");
	if (rc == 0 && !t->chain_len) {
		mg_log(t->env, MG_LOG_ERROR, "%s: no CERTIFICATE in it (expected PEM certificates, the server's first)",
		       t->env->params[P_CERT].s);
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = load_file(t, P_KEY, add_key, "a PEM private key without a passphrase");
	if (rc == 0 && !br_skey_decoder_key_type(t->skey)) {
		mg_log(t->env, MG_LOG_ERROR, "%s: no private key in it (expected a PEM EC or RSA key without a passphrase)",
		       t->env->params[P_KEY].s);
		rc = -EINVAL;
	}
	return rc == 0 ? check_pair(t) : rc;
}

void bssl_keys_free(struct bssl_stack *t)
{
	for (size_t i = 0; i < t->chain_len; i++)
		mg_free(t->env, t->chain[i].data);
	mg_free(t->env, t->chain);
	if (t->skey)
		memset(t->skey, 0, sizeof *t->skey);
	mg_free(t->env, t->skey);
}

struct code_text {
	int code;
	const char *text;
};

static const struct code_text errors[] = {
	{ BR_ERR_UNSUPPORTED_VERSION, "unsupported protocol version (TLS 1.2 only)" },
	{ BR_ERR_BAD_VERSION, "a record of another protocol version" },
	{ BR_ERR_BAD_LENGTH, "a record or message of a wrong length" },
	{ BR_ERR_TOO_LARGE, "a record too large" },
	{ BR_ERR_BAD_MAC, "a record that does not authenticate" },
	{ BR_ERR_NO_RANDOM, "no random seed" },
	{ BR_ERR_UNKNOWN_TYPE, "a record of an unknown type (no TLS)" },
	{ BR_ERR_UNEXPECTED, "an unexpected message" },
	{ BR_ERR_BAD_HANDSHAKE, "a malformed handshake message" },
	{ BR_ERR_BAD_CIPHER_SUITE, "no shared cipher suite (ECDHE with AES-GCM or ChaCha20-Poly1305 only)" },
	{ BR_ERR_BAD_COMPRESSION, "no shared compression method" },
	{ BR_ERR_BAD_FRAGLEN, "a bad maximum fragment length" },
	{ BR_ERR_BAD_SECRENEG, "a bad secure renegotiation" },
	{ BR_ERR_EXTRA_EXTENSION, "an extension sent twice" },
	{ BR_ERR_BAD_SNI, "a bad server name" },
	{ BR_ERR_LIMIT_EXCEEDED, "a limit exceeded" },
	{ BR_ERR_BAD_FINISHED, "a bad Finished message" },
	{ BR_ERR_INVALID_ALGORITHM, "no shared curve or signature algorithm" },
	{ BR_ERR_BAD_SIGNATURE, "a bad signature" },
	{ BR_ERR_IO, "the connection failed" },
};

/* the fatal alerts BearSSL sends, as RFC 5246 names them */
static const struct code_text alerts[] = {
	{ 10, "unexpected message" }, { 20, "bad record mac" }, { 22, "record overflow" },
	{ 40, "handshake failure" }, { 47, "illegal parameter" }, { 50, "decode error" },
	{ 70, "protocol version" }, { 71, "insufficient security" }, { 80, "internal error" },
	{ 110, "unsupported extension" }, { 120, "no application protocol" },
};

static const char *lookup(const struct code_text *t, size_t n, int code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].text;
	return NULL;
}

const char *bssl_error_text(int err, char *buf, size_t cap)
{
	const char *text;

	if (err >= BR_ERR_RECV_FATAL_ALERT) {
		text = lookup(alerts, MG_COUNTOF(alerts), err & 255);
		snprintf(buf, cap, "%s alert %d (%s)", err >= BR_ERR_SEND_FATAL_ALERT ? "sent" : "the client sent",
			 err & 255, text ? text : "?");
		return buf;
	}
	text = lookup(errors, MG_COUNTOF(errors), err);
	if (!text)
		snprintf(buf, cap, "BearSSL error %d", err);
	return text ? text : buf;
}
