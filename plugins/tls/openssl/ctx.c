/* ctx.c - the OpenSSL server context of a tls.openssl device: its
 * certificate chain and key (PEM files), the protocol versions (TLS 1.2
 * and 1.3 only), the TLS 1.2 ciphers (ECDHE key exchange with an AEAD
 * cipher only: no RSA key exchange, no CBC) and ALPN. */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

#include "tls.h"
#include "../common/tlsalpn.h"

/* TLS 1.2: forward secrecy and AEAD only.  TLS 1.3's suites are all AEAD
 * with (EC)DHE; OpenSSL's defaults stand. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"

const char *tls_errors(char *buf, size_t cap)
{
	const char *last = "";
	unsigned long e;
	size_t n = 0;

	buf[0] = 0;
	/* the first queued error is the cause ("No such file"), later ones
	 * say where it surfaced: each reason once */
	while ((e = ERR_get_error()) != 0 && n + 3 < cap) {
		const char *r = ERR_SYSTEM_ERROR(e) ? strerror(ERR_GET_REASON(e))
						    : ERR_reason_error_string(e);

		if (!r || !strcmp(r, last) || !strcmp(r, "system lib"))
			continue;
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "; " : "", r);
		last = r;
	}
	ERR_clear_error();
	if (!buf[0])
		snprintf(buf, cap, "no reason given");
	return buf;
}

/* A key file with a passphrase would make OpenSSL prompt on the terminal;
 * nobody answers a server's prompt. */
static int no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf, (void)size, (void)rwflag, (void)arg;
	return 0;
}

/* The server's preference first; a client that offers none of them is
 * refused, as RFC 7301 asks, rather than served a protocol it did not
 * ask for. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned inlen, void *arg)
{
	struct tls_stack *t = arg;
	unsigned char *sel;

	(void)ssl;
	if (SSL_select_next_proto(&sel, outlen, t->alpn, t->alpn_len, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* Logs which certificate the device serves and until when. */
static void log_cert(struct tls_stack *t)
{
	X509 *x = SSL_CTX_get0_certificate(t->ctx);
	char subject[256] = "?", until[64] = "?";
	BIO *b = BIO_new(BIO_s_mem());

	if (x)
		X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
	if (x && b && ASN1_TIME_print(b, X509_get0_notAfter(x)) == 1) {
		int n = BIO_read(b, until, sizeof until - 1);

		until[n > 0 ? n : 0] = 0;
	}
	BIO_free(b);
	if (x && X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		mg_log(t->env, MG_LOG_WARN, "certificate %s expired on %s", subject, until);
	mg_log(t->env, MG_LOG_INFO, "TLS %s and newer, certificate %s (valid until %s)",
	       t->env->params[P_MIN_VERSION].s, subject, until);
}

/* Loads what the parameters name; the message says which file failed. */
static int load(struct tls_stack *t)
{
	const char *cert = t->env->params[P_CERT].s, *key = t->env->params[P_KEY].s;
	char why[512];

	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1) {
		mg_log(t->env, MG_LOG_ERROR, "cannot load the certificate chain from %s (expected PEM certificates, the server's first): %s", cert,
		       tls_errors(why, sizeof why));
		return -EINVAL;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH ||
		    ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
			ERR_clear_error();
			mg_log(t->env, MG_LOG_ERROR, "the key in %s is not the key of the certificate in %s",
			       key, cert);
		} else {
			mg_log(t->env, MG_LOG_ERROR, "cannot load the private key from %s (expected a PEM key without a passphrase): %s", key,
			       tls_errors(why, sizeof why));
		}
		return -EINVAL;
	}
	return 0;
}

int tls_ctx_new(struct tls_stack *t)
{
	int min = strcmp(t->env->params[P_MIN_VERSION].s, "1.3") ? TLS1_2_VERSION : TLS1_3_VERSION;
	char why[512];
	int rc;

	ERR_clear_error();
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx)
		return -ENOMEM;
	SSL_CTX_set_default_passwd_cb(t->ctx, no_passphrase);
	if (SSL_CTX_set_min_proto_version(t->ctx, min) != 1 ||
	    SSL_CTX_set_cipher_list(t->ctx, TLS12_CIPHERS) != 1) {
		mg_log(t->env, MG_LOG_ERROR, "OpenSSL refuses the versions or ciphers: %s",
		       tls_errors(why, sizeof why));
		return -EINVAL;
	}
	/* no compression (CRIME), no renegotiation (a client could make us
	 * sign at will), the server's cipher order; a TCP end without
	 * close_notify is an end (HTTP frames its own messages) */
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
				    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* idle keep-alive sessions give their record buffers back */
	SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_read_ahead(t->ctx, 1);
	/* resumption by tickets only: no server state per session, and no
	 * sweep of a cache grown to thousands of them every 255 handshakes */
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL_STORE |
						       SSL_SESS_CACHE_NO_AUTO_CLEAR);
	rc = load(t);
	if (rc == 0)
		rc = tls_alpn_wire(t->env, t->env->params[P_ALPN].s, &t->alpn, &t->alpn_len);
	if (rc == 0 && t->alpn_len)
		SSL_CTX_set_alpn_select_cb(t->ctx, alpn_select, t);
	if (rc == 0)
		log_cert(t);
	return rc;
}

void tls_ctx_free(struct tls_stack *t)
{
	SSL_CTX_free(t->ctx);
	mg_free(t->env, t->alpn);
}
