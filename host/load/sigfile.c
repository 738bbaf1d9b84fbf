/* sigfile.c - the .sig format (sigfile.h): a file's statement, written and
 * read back strictly. */
#include <openssl/evp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "elfread.h"
#include "resolve/resolve.h"
#include "sigfile.h"

void mgl_hex(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

static void digest_hex(const EVP_MD *md, const unsigned char *bytes, size_t len, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(bytes, len, d, &n, md, NULL);
	mgl_hex(d, n, out);
}

void mgl_fingerprint(const unsigned char key[MGL_KEY_BYTES], char fpr[65])
{
	digest_hex(EVP_sha256(), key, MGL_KEY_BYTES, fpr);
}

/* A value fit for one line. */
static int one_line(const char *s)
{
	return !strchr(s, '\n') && !strchr(s, '\r');
}

int mgl_statement_of(const char *path, const unsigned char *bytes, size_t len,
		     const unsigned char *libs, size_t libs_len, struct mgl_statement *st,
		     char *why, size_t cap)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	uint32_t magic = 0;
	int rc;

	memset(st, 0, sizeof *st);
	rc = mgl_elf_symbol_bytes(bytes, len, MG_PLUGIN_SYMBOL, offsetof(struct mg_plugin, magic),
				  &magic, sizeof magic);
	if (rc == 0 && magic != MG_PLUGIN_MAGIC)
		rc = -EPROTO;
	if (rc == 0)
		rc = mgl_elf_symbol_string(bytes, len, MG_PLUGIN_SYMBOL,
					   offsetof(struct mg_plugin, name), &st->plugin);
	if (rc == 0)
		rc = mgl_elf_symbol_string(bytes, len, MG_PLUGIN_SYMBOL,
					   offsetof(struct mg_plugin, version), &st->version);
	if (rc == 0 && (!st->plugin || !*st->plugin))
		rc = -EPROTO;
	if (rc < 0) {
		snprintf(why, cap, "%s", rc == -ENOENT ? "it has no '" MG_PLUGIN_SYMBOL "' descriptor" :
			 rc == -EPROTO ? "its '" MG_PLUGIN_SYMBOL "' is no plugin descriptor (magic or name missing)" :
			 "its descriptor cannot be read from the ELF file");
		mgl_statement_free(st);
		return -ENOEXEC;
	}
	if (!st->version)
		st->version = mgr_strdup("");
	if (!one_line(st->plugin) || !one_line(st->version) || !one_line(base)) {
		snprintf(why, cap, "its name or version holds a line break");
		mgl_statement_free(st);
		return -ENOEXEC;
	}
	st->file = mgr_strdup(base);
	st->signer = mgr_strdup("");
	digest_hex(EVP_sha512(), bytes, len, st->sha512);
	if (libs)
		digest_hex(EVP_sha512(), libs, libs_len, st->libs);
	return 0;
}

char *mgl_statement_text(const struct mgl_statement *st)
{
	char key[2 * MGL_KEY_BYTES + 1];

	mgl_hex(st->key, MGL_KEY_BYTES, key);
	return mgr_strf("%s %d\nfile %s\nplugin %s\nversion %s\nsha512 %s\nlibs %s%s\nsigner %s\n"
			"key ed25519 %s\nfingerprint sha256 %s\n",
			MGL_SIG_MAGIC, MGL_SIG_FORMAT, st->file, st->plugin, st->version, st->sha512,
			st->libs[0] ? "sha512 " : "none", st->libs, st->signer, key, st->fpr);
}

/* hex of exactly n bytes -> out.  0 or -1. */
static int unhex(const char *s, size_t slen, unsigned char *out, size_t n)
{
	if (slen != 2 * n)
		return -1;
	for (size_t i = 0; i < 2 * n; i++) {
		const char *d = strchr("0123456789abcdef", s[i]);

		if (!d || !s[i])
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)((d - "0123456789abcdef") << 4);
		else
			out[i / 2] |= (unsigned char)(d - "0123456789abcdef");
	}
	return 0;
}

/* A hex value of n bytes after `prefix` (may be ""): to out as hex text
 * (hexout) or bytes (raw). */
static int hex_value(const char *v, size_t vlen, const char *prefix, size_t n, char *hexout,
		     unsigned char *raw)
{
	unsigned char buf[MGL_SIG_BYTES];
	size_t pl = strlen(prefix);

	if (vlen < pl || strncmp(v, prefix, pl) || unhex(v + pl, vlen - pl, raw ? raw : buf, n) < 0)
		return -1;
	if (hexout) {
		memcpy(hexout, v + pl, 2 * n);
		hexout[2 * n] = '\0';
	}
	return 0;
}

int mgl_sig_parse(const char *text, size_t len, struct mgl_statement *st,
		  unsigned char sig[MGL_SIG_BYTES], size_t *signed_len, char *why, size_t cap)
{
	static const char *const keys[] = { MGL_SIG_MAGIC, "file", "plugin", "version", "sha512",
					    "libs", "signer", "key", "fingerprint", "signature" };
	static const char *const wants[] = {
		"the format version 1", "the file's name", "the plugin's name", "its version",
		"128 hex digits", "none or sha512 and 128 hex digits", "the key's name",
		"ed25519 and 64 hex digits", "sha256 and 64 hex digits", "ed25519 and 128 hex digits" };
	const char *p = text, *end = text + len;
	unsigned line;

	memset(st, 0, sizeof *st);
	for (line = 0; line < MG_COUNTOF(keys); line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t klen = strlen(keys[line]), vlen;
		const char *v = p + klen + 1;
		int bad;

		if (line == 9)
			*signed_len = (size_t)(p - text);
		if (!nl || (size_t)(nl - p) <= klen || strncmp(p, keys[line], klen) || p[klen] != ' ' ||
		    memchr(p, '\0', (size_t)(nl - p))) {
			snprintf(why, cap, "line %u: expected '%s ...', found '%.*s'", line + 1, keys[line],
				 nl ? (int)(nl - p > 40 ? 40 : nl - p) : (int)(end - p > 40 ? 40 : end - p), p);
			goto bad;
		}
		vlen = (size_t)(nl - v);
		switch (line) {
		case 0: bad = vlen != 1 || *v != '0' + MGL_SIG_FORMAT; break;
		case 1: bad = !vlen; st->file = mgr_strf("%.*s", (int)vlen, v); break;
		case 2: bad = !vlen; st->plugin = mgr_strf("%.*s", (int)vlen, v); break;
		case 3: bad = 0; st->version = mgr_strf("%.*s", (int)vlen, v); break;
		case 4: bad = hex_value(v, vlen, "", 64, st->sha512, NULL); break;
		case 5: bad = !(vlen == 4 && !strncmp(v, "none", 4)) &&
			      hex_value(v, vlen, "sha512 ", 64, st->libs, NULL);
			break;
		case 6: bad = 0; st->signer = mgr_strf("%.*s", (int)vlen, v); break;
		case 7: bad = hex_value(v, vlen, "ed25519 ", MGL_KEY_BYTES, NULL, st->key); break;
		case 8: bad = hex_value(v, vlen, "sha256 ", 32, st->fpr, NULL); break;
		default: bad = hex_value(v, vlen, "ed25519 ", MGL_SIG_BYTES, NULL, sig); break;
		}
		if (bad) {
			snprintf(why, cap, "line %u: expected %s after '%s', found '%.*s'", line + 1,
				 wants[line], keys[line], (int)(vlen > 40 ? 40 : vlen), v);
			goto bad;
		}
		p = nl + 1;
	}
	if (p != end) {
		snprintf(why, cap, "line %u: expected the end of the file after the signature", line + 1);
		goto bad;
	}
	return 0;
bad:
	mgl_statement_free(st);
	return -EINVAL;
}

void mgl_statement_free(struct mgl_statement *st)
{
	free(st->file);
	free(st->plugin);
	free(st->version);
	free(st->signer);
	memset(st, 0, sizeof *st);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcmp(s + n - k, suffix);
}

int mgl_signable(const char *path)
{
	return ends_with(path, ".so") || ends_with(path, ".unix.o") || ends_with(path, ".xen.o");
}

int mgl_read_libs(const char *path, unsigned char **libs, size_t *len)
{
	char *lp;
	int rc;

	*libs = NULL;
	*len = 0;
	if (!ends_with(path, ".o"))
		return 0;
	lp = mgr_strf("%.*s.libs", (int)(strlen(path) - 2), path);
	rc = mgl_read_file(lp, libs, len);
	free(lp);
	return rc == -ENOENT ? 0 : rc;
}
