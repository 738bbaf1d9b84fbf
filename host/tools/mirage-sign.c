/* mirage-sign.c - Ed25519 keys for plugins, and FILE.sig beside each
 * plugin file (host/load/sigfile.h has the format). */
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load/elfread.h"
#include "load/trust.h"
#include "resolve/resolve.h"

static const char usage[] =
	"usage: mirage-sign keygen NAME              write NAME.key (private, mode 0600) and NAME.pub\n"
	"       mirage-sign sign NAME.key FILE...    write FILE.sig beside each plugin file\n"
	"       mirage-sign verify NAME.pub FILE...  check each FILE against its FILE.sig\n"
	"\n"
	"FILE is a plugin's NAME.so, NAME.unix.o or NAME.xen.o.  A signature covers the\n"
	"file's bytes, its name, the plugin's name and version (read from its descriptor,\n"
	"which is not run) and, for an object, the NAME.TARGET.libs mirage-freeze links it\n"
	"with.  mirage-host and mirage-freeze load only signed plugins when given\n"
	"--trust NAME.pub or a config's trust = [ \"NAME.pub\" ];\n"
	"\n"
	"Exit status: 0 when every file was signed or verifies, 1 otherwise, 2 on usage errors.\n";

/* Writes the PEM of key to path, created new with mode. */
static int write_pem(const char *path, EVP_PKEY *key, int private, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok;

	if (!f) {
		fprintf(stderr, "mirage-sign: %s: %s%s\n", path, strerror(errno),
			errno == EEXIST ? " (a key is never overwritten: remove it first)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ok = private ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) :
		       PEM_write_PUBKEY(f, key);
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "mirage-sign: %s: cannot write the key\n", path);
		return -1;
	}
	return 0;
}

static void fingerprint_of(EVP_PKEY *key, unsigned char raw[MGL_KEY_BYTES], char fpr[65])
{
	size_t n = MGL_KEY_BYTES;

	EVP_PKEY_get_raw_public_key(key, raw, &n);
	mgl_fingerprint(raw, fpr);
}

static int keygen(const char *name)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *priv = mgr_strf("%s.key", name), *pub = mgr_strf("%s.pub", name), fpr[65];
	unsigned char raw[MGL_KEY_BYTES];
	int rc = key ? 0 : -1;

	if (!key)
		fprintf(stderr, "mirage-sign: keygen: OpenSSL could not make an Ed25519 key\n");
	if (rc == 0 && access(pub, F_OK) == 0) {
		fprintf(stderr, "mirage-sign: %s: exists (a key is never overwritten: remove it first)\n",
			pub);
		rc = -1;
	}
	if (rc == 0)
		rc = write_pem(priv, key, 1, 0600);
	if (rc == 0 && (rc = write_pem(pub, key, 0, 0644)) < 0)
		unlink(priv); /* no private key without its public half */
	if (rc == 0) {
		fingerprint_of(key, raw, fpr);
		printf("wrote %s (private, mode 0600) and %s: key SHA256:%s\n", priv, pub, fpr);
	}
	EVP_PKEY_free(key);
	free(priv);
	free(pub);
	return rc < 0;
}

/* The private key at path, and the signer's name: the file's name
 * without its folder and .key. */
static EVP_PKEY *read_private(const char *path, char **signer)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(base);

	if (f)
		fclose(f);
	if (!f)
		fprintf(stderr, "mirage-sign: %s: %s\n", path, strerror(errno));
	else if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
		fprintf(stderr, "mirage-sign: %s: expected an Ed25519 private key in PEM (a NAME.key of mirage-sign keygen)\n",
			path);
	if (key && EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	if (n > 4 && !strcmp(base + n - 4, ".key"))
		n -= 4;
	*signer = mgr_strf("%.*s", (int)n, base);
	return key;
}

/* Writes path.sig through a temporary file and a rename: a reader never
 * sees half a signature. */
static int write_sig(const char *path, const char *text, const unsigned char sig[MGL_SIG_BYTES])
{
	char *sigpath = mgr_strf("%s%s", path, MGL_SIG_SUFFIX), *tmp = mgr_strf("%s.tmp", sigpath);
	char hex[2 * MGL_SIG_BYTES + 1];
	FILE *f = fopen(tmp, "w");
	int rc = 0;

	mgl_hex(sig, MGL_SIG_BYTES, hex);
	if (!f || fprintf(f, "%ssignature ed25519 %s\n", text, hex) < 0 || fclose(f) != 0 ||
	    rename(tmp, sigpath) < 0) {
		fprintf(stderr, "mirage-sign: %s: %s\n", sigpath, strerror(errno));
		unlink(tmp);
		rc = -1;
	}
	free(tmp);
	free(sigpath);
	return rc;
}

static int sign_one(EVP_PKEY *key, const char *signer, const char *path)
{
	unsigned char *bytes = NULL, *libs = NULL, sig[MGL_SIG_BYTES];
	size_t len = 0, libs_len = 0, siglen = sizeof sig;
	struct mgl_statement st;
	EVP_MD_CTX *ctx = NULL;
	char why[256], *text = NULL, name[200];
	int rc = -1;

	if (!mgl_signable(path))
		fprintf(stderr, "mirage-sign: %s: expected a plugin's NAME.so, NAME.unix.o or NAME.xen.o\n",
			path);
	else if ((rc = mgl_read_file(path, &bytes, &len)) < 0 ||
		 (rc = mgl_read_libs(path, &libs, &libs_len)) < 0)
		fprintf(stderr, "mirage-sign: %s: %s\n", path, strerror(-rc));
	else if ((rc = mgl_statement_of(path, bytes, len, libs, libs_len, &st, why, sizeof why)) < 0)
		fprintf(stderr, "mirage-sign: %s: not a plugin: %s\n", path, why);
	if (rc < 0)
		goto out;
	free(st.signer);
	st.signer = mgr_strdup(signer);
	fingerprint_of(key, st.key, st.fpr);
	text = mgl_statement_text(&st);
	ctx = EVP_MD_CTX_new();
	rc = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)text, strlen(text)) == 1 ? 0 : -1;
	if (rc < 0)
		fprintf(stderr, "mirage-sign: %s: OpenSSL could not sign it\n", path);
	else if ((rc = write_sig(path, text, sig)) == 0)
		printf("%s%s: plugin %s %s, signed by key %s\n", path, MGL_SIG_SUFFIX, st.plugin,
		       st.version, mgl_key_name(signer, st.fpr, name, sizeof name));
	mgl_statement_free(&st);
out:
	EVP_MD_CTX_free(ctx);
	free(text);
	free(libs);
	free(bytes);
	return rc;
}

static int sign_all(const char *keyfile, char **files, int n)
{
	char *signer = NULL;
	EVP_PKEY *key = read_private(keyfile, &signer);
	int bad = !key;

	for (int i = 0; key && i < n; i++)
		bad |= sign_one(key, signer, files[i]) < 0;
	EVP_PKEY_free(key);
	free(signer);
	return bad;
}

static int verify_all(const char *pubfile, char **files, int n)
{
	struct mgl_keyring ring = { 0 };
	char why[1024];
	int bad = 0;

	if (mgl_keyring_add(&ring, pubfile, why, sizeof why) < 0) {
		fprintf(stderr, "mirage-sign: %s\n", why);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		unsigned char *bytes = NULL, *libs = NULL;
		size_t len = 0, libs_len = 0;
		struct mgl_sig sig;
		int rc = mgl_read_file(files[i], &bytes, &len);

		if (rc == 0)
			rc = mgl_read_libs(files[i], &libs, &libs_len);
		if (rc < 0) {
			snprintf(why, sizeof why, "%s", strerror(-rc));
		} else {
			mgl_sig_check(files[i], bytes, len, libs, libs_len, &sig);
			rc = mgl_sig_trusted(&sig, &ring, why, sizeof why);
		}
		if (rc == 0)
			printf("%s: ok, signed by key %s\n", files[i], sig.signer);
		else
			fprintf(stderr, "mirage-sign: %s: %s\n", files[i], why);
		bad |= rc < 0;
		free(libs);
		free(bytes);
	}
	mgl_keyring_free(&ring);
	return bad;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return 0;
		}
	if (!strcmp(cmd, "keygen") && argc == 3)
		return keygen(argv[2]);
	if ((!strcmp(cmd, "sign") || !strcmp(cmd, "verify")) && argc >= 4)
		return (cmd[0] == 's' ? sign_all : verify_all)(argv[2], argv + 3, argc - 3);
	if (!strcmp(cmd, "keygen") || !strcmp(cmd, "sign") || !strcmp(cmd, "verify"))
		fprintf(stderr, "mirage-sign: %s: expected %s (try --help)\n", cmd,
			cmd[0] == 'k' ? "NAME" : cmd[0] == 's' ? "NAME.key FILE..." : "NAME.pub FILE...");
	else
		fprintf(stderr, "mirage-sign: %s%s%s: expected keygen, sign or verify (try --help)\n",
			*cmd ? "unknown command '" : "missing command", cmd, *cmd ? "'" : "");
	return 2;
}
