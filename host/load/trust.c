/* trust.c - keys and signature checks: every way a signature can fail gets
 * its own reason, naming the key. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "elfread.h"
#include "resolve/resolve.h"
#include "trust.h"

const char *mgl_key_name(const char *label, const char *fpr, char *buf, size_t cap)
{
	snprintf(buf, cap, "'%s' (SHA256:%.16s)", label, fpr);
	return buf;
}

int mgl_keyring_add(struct mgl_keyring *kr, const char *path, char *why, size_t cap)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *pk = NULL;
	struct mgl_key *k;
	size_t n = MGL_KEY_BYTES;

	if (!f) {
		int rc = -errno;

		snprintf(why, cap, "%s: cannot read the trusted key: %s", path, strerror(-rc));
		return rc;
	}
	pk = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!pk || EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
		snprintf(why, cap, "%s: expected an Ed25519 public key in PEM (a NAME.pub of mirage-sign keygen), found %s",
			 path, pk ? "another kind of key" : "no public key");
		EVP_PKEY_free(pk);
		return -EINVAL;
	}
	kr->keys = mgr_xrealloc(kr->keys, (kr->n + 1) * sizeof *kr->keys);
	k = &kr->keys[kr->n];
	EVP_PKEY_get_raw_public_key(pk, k->raw, &n);
	EVP_PKEY_free(pk);
	k->label = mgr_strdup(path);
	mgl_fingerprint(k->raw, k->fpr);
	kr->n++;
	return 0;
}

void mgl_keyring_free(struct mgl_keyring *kr)
{
	for (size_t i = 0; i < kr->n; i++)
		free(kr->keys[i].label);
	free(kr->keys);
	memset(kr, 0, sizeof *kr);
}

static int ed25519_verify(const unsigned char key[MGL_KEY_BYTES], const unsigned char *msg,
			  size_t len, const unsigned char sig[MGL_SIG_BYTES])
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, MGL_KEY_BYTES);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = pk && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1 &&
		 EVP_DigestVerify(ctx, sig, MGL_SIG_BYTES, msg, len) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ok;
}

/* The statement signed compared with the file's own: the first difference,
 * or NULL. */
static const char *difference(const struct mgl_statement *got, const struct mgl_statement *is,
			      const char *by, char *buf, size_t cap)
{
	if (strcmp(got->sha512, is->sha512))
		snprintf(buf, cap, "its bytes are not those key %s signed (changed or rebuilt after signing)",
			 by);
	else if (strcmp(got->libs, is->libs))
		snprintf(buf, cap, "its .libs (what it is linked with) %s since key %s signed it",
			 !is->libs[0] ? "is gone" : got->libs[0] ? "changed" : "appeared", by);
	else if (strcmp(got->file, is->file))
		snprintf(buf, cap, "key %s signed it as '%s', not as '%s' (renamed)", by, got->file,
			 is->file);
	else if (strcmp(got->plugin, is->plugin) || strcmp(got->version, is->version))
		snprintf(buf, cap, "key %s signed plugin '%s' version '%s', but its descriptor says '%s' version '%s'",
			 by, got->plugin, got->version, is->plugin, is->version);
	else
		return NULL;
	return buf;
}

void mgl_sig_check(const char *path, const unsigned char *bytes, size_t len,
		   const unsigned char *libs, size_t libs_len, struct mgl_sig *out)
{
	char *sigpath = mgr_strf("%s%s", path, MGL_SIG_SUFFIX), fpr[65], diff[400], why[256];
	const char *base = strrchr(sigpath, '/') ? strrchr(sigpath, '/') + 1 : sigpath;
	struct mgl_statement got, is = { 0 };
	unsigned char *text = NULL, sig[MGL_SIG_BYTES];
	size_t tlen = 0, signed_len = 0;
	int rc = mgl_read_file(sigpath, &text, &tlen);

	memset(out, 0, sizeof *out);
	out->state = MGL_SIG_BAD;
	if (rc == -ENOENT) {
		out->state = MGL_UNSIGNED;
		snprintf(out->why, sizeof out->why, "no %s beside it", base);
	} else if (rc < 0) {
		snprintf(out->why, sizeof out->why, "cannot read %s: %s", base, strerror(-rc));
	} else if (mgl_sig_parse((const char *)text, tlen, &got, sig, &signed_len, why, sizeof why) < 0) {
		snprintf(out->why, sizeof out->why, "%s is no signature (format %d): %s", base,
			 MGL_SIG_FORMAT, why);
	} else {
		mgl_key_name(got.signer, got.fpr, out->signer, sizeof out->signer);
		mgl_fingerprint(got.key, fpr);
		if (strcmp(fpr, got.fpr))
			snprintf(out->why, sizeof out->why, "%s: the fingerprint of key %s is not its key's (altered)",
				 base, out->signer);
		else if (!ed25519_verify(got.key, text, signed_len, sig))
			snprintf(out->why, sizeof out->why, "the signature in %s does not verify with key %s (the .sig was altered)",
				 base, out->signer);
		else if (mgl_statement_of(path, bytes, len, libs, libs_len, &is, why, sizeof why) < 0)
			snprintf(out->why, sizeof out->why, "key %s signed it, but %s", out->signer, why);
		else if (difference(&got, &is, out->signer, diff, sizeof diff))
			snprintf(out->why, sizeof out->why, "%s", diff);
		else
			out->state = MGL_SIGNED;
		if (out->state == MGL_SIGNED)
			memcpy(out->key, got.key, sizeof out->key);
		mgl_statement_free(&is);
		mgl_statement_free(&got);
	}
	free(text);
	free(sigpath);
}

/* The trusted keys' names, for a refusal: "'a.pub' (SHA256:...), ...". */
static void ring_names(const struct mgl_keyring *ring, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ring->n && n < cap; i++) {
		char name[200];

		mgl_key_name(ring->keys[i].label, ring->keys[i].fpr, name, sizeof name);
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", name);
	}
}

int mgl_sig_trusted(const struct mgl_sig *sig, const struct mgl_keyring *ring, char *why,
		    size_t cap)
{
	char names[400];

	for (size_t i = 0; sig->state == MGL_SIGNED && i < ring->n; i++)
		if (!memcmp(ring->keys[i].raw, sig->key, MGL_KEY_BYTES))
			return 0;
	ring_names(ring, names, sizeof names);
	if (sig->state == MGL_SIGNED)
		snprintf(why, cap, "signed by key %s, which is not trusted (trusted: %s)", sig->signer,
			 names);
	else
		snprintf(why, cap, "%s%s%s; trusted: %s", sig->state == MGL_UNSIGNED ? "not signed (" : "",
			 sig->why, sig->state == MGL_UNSIGNED ? ")" : "", names);
	return -EPERM;
}
