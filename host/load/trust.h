/* trust.h - Ed25519 keys (OpenSSL) and the check of a plugin file against
 * its FILE.sig (sigfile.h).  Keys are PEM files: NAME.pub holds the public
 * key (SubjectPublicKeyInfo), NAME.key the private one (PKCS#8), as
 * `openssl pkey` reads and writes them. */
#ifndef MIRAGE_TRUST_H
#define MIRAGE_TRUST_H

#include "sigfile.h"

struct mgl_key {
	char *label;                     /* how messages name it: its file */
	unsigned char raw[MGL_KEY_BYTES];
	char fpr[65];
};

/* The keys a host trusts: --trust and the config's trust list. */
struct mgl_keyring {
	struct mgl_key *keys;
	size_t n;
};

/* Adds the public key in the PEM file at path.  0, or a negative errno with
 * "PATH: ..." in why. */
int mgl_keyring_add(struct mgl_keyring *kr, const char *path, char *why, size_t cap);
void mgl_keyring_free(struct mgl_keyring *kr);

/* "'label' (SHA256:0123456789abcdef)": a key as messages name it. */
const char *mgl_key_name(const char *label, const char *fpr, char *buf, size_t cap);

enum mgl_sig_state { MGL_UNSIGNED, MGL_SIG_BAD, MGL_SIGNED };

/* What a plugin file's signature says of it. */
struct mgl_sig {
	enum mgl_sig_state state;
	unsigned char key[MGL_KEY_BYTES]; /* SIGNED: who signed it */
	char signer[160];  /* SIGNED, and BAD when the key is known: as mgl_key_name */
	char why[512];     /* UNSIGNED ("no NAME.sig beside it"), BAD: the reason */
};

/* Checks the signature beside the file at path (path.sig) against the
 * file's bytes (and, for an object, the bytes of its .libs; NULL: none),
 * with the key the .sig names.  Whether that key is trusted is
 * mgl_sig_trusted's question. */
void mgl_sig_check(const char *path, const unsigned char *bytes, size_t len,
		   const unsigned char *libs, size_t libs_len, struct mgl_sig *out);
/* 0 when sig is SIGNED by a key of ring; else -EPERM with the reason, which
 * names the keys involved, in why. */
int mgl_sig_trusted(const struct mgl_sig *sig, const struct mgl_keyring *ring, char *why,
		    size_t cap);

#endif
