/* sigfile.h - FILE.sig, the signature of a plugin file (NAME.so,
 * NAME.unix.o, NAME.xen.o), written beside it by mirage-sign.  A text
 * file of "KEY VALUE" lines, exactly these, in this order:
 *
 *   mirage-plugin-signature 1       the format and its version
 *   file kvro.dir.so                the signed file's name (no folder)
 *   plugin kvro.dir                 the descriptor's name
 *   version 1.0                     the descriptor's version (may be empty)
 *   sha512 HEX                      SHA-512 of the file's bytes
 *   libs none | sha512 HEX          an object's NAME.TARGET.libs (what
 *                                   mirage-freeze links it with); none: a .so
 *   signer release                  the key's name when it signed
 *   key ed25519 HEX                 the 32 bytes of its public key
 *   fingerprint sha256 HEX          SHA-256 of those 32 bytes
 *   signature ed25519 HEX           Ed25519 over every byte above this line
 *
 * HEX is lowercase.  The name and version come from the descriptor, read
 * from the ELF file without loading or linking it.  A reader rejects any
 * other first line: a version 2 is another format. */
#ifndef MIRAGE_SIGFILE_H
#define MIRAGE_SIGFILE_H

#include <stddef.h>

#define MGL_SIG_MAGIC "mirage-plugin-signature"
#define MGL_SIG_FORMAT 1
#define MGL_SIG_SUFFIX ".sig"
#define MGL_KEY_BYTES 32
#define MGL_SIG_BYTES 64

struct mgl_statement {
	char *file;
	char *plugin;
	char *version;
	char *signer;
	char sha512[129];
	char libs[129]; /* hex, or "" for none */
	unsigned char key[MGL_KEY_BYTES];
	char fpr[65];   /* hex SHA-256 of key */
};

/* Lowercase hex of n bytes into out (2n + 1 chars). */
void mgl_hex(const unsigned char *bytes, size_t n, char *out);
/* The key's fingerprint: hex SHA-256 of its 32 bytes. */
void mgl_fingerprint(const unsigned char key[MGL_KEY_BYTES], char fpr[65]);

/* What a plugin file is: its name (path's last part), its descriptor's name
 * and version, the hashes of its bytes and of libs (NULL: none).  The key
 * and signer are left empty.  0, or -ENOEXEC with the reason in why. */
int mgl_statement_of(const char *path, const unsigned char *bytes, size_t len,
		     const unsigned char *libs, size_t libs_len, struct mgl_statement *st,
		     char *why, size_t cap);
/* The signed text: every line but the signature, malloc'd. */
char *mgl_statement_text(const struct mgl_statement *st);
/* Reads a .sig's text: the statement, the signature, and how many leading
 * bytes of text it signs.  0, or -EINVAL with "line N: expected ..., found
 * ..." in why. */
int mgl_sig_parse(const char *text, size_t len, struct mgl_statement *st,
		  unsigned char sig[MGL_SIG_BYTES], size_t *signed_len, char *why, size_t cap);
void mgl_statement_free(struct mgl_statement *st);

/* Whether path names a plugin file that is signed: .so, .unix.o, .xen.o. */
int mgl_signable(const char *path);
/* An object NAME.TARGET.o's NAME.TARGET.libs, malloc'd: 0 with *libs NULL
 * for a .so or an object without one, or a negative errno. */
int mgl_read_libs(const char *path, unsigned char **libs, size_t *len);

#endif
