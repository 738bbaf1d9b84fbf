/* mirage-crunch - compiles a directory into the C source of a kv_ro plugin
 * (plugins/kvro/crunch.h describes the table; crunch.c serves it).
 *
 *   mirage-crunch --name NAME -o OUT.c DIR
 *
 * The output depends only on the files' names, bytes and mtimes (or
 * SOURCE_DATE_EPOCH), so the same tree always gives the same file. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct entry {
	char *key;  /* "" for the root */
	char *path; /* on disk */
	int dir;
	int64_t mtime_ns;
	uint64_t size;
	char digest[2 * EVP_MAX_MD_SIZE + 1];
	size_t parent, child, nchild;
};

struct tree {
	struct entry *v;
	size_t n, cap;
	size_t *children; /* see link_tree */
	int fixed_mtime; /* SOURCE_DATE_EPOCH given */
	int64_t mtime_ns;
};

static const char *out_tmp; /* removed when dying */

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	fputs("mirage-crunch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (out_tmp)
		unlink(out_tmp);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("out of memory");
	return p;
}

/* "a/b", or b alone when a is "" (the root's key). */
static char *join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s%s%s", a, *a ? "/" : "", b) < 0)
		die("out of memory");
	return s;
}

static void add(struct tree *t, char *key, char *path, const struct stat *st)
{
	struct entry *e;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->v = realloc(t->v, t->cap * sizeof *t->v);
		if (!t->v)
			die("out of memory");
	}
	e = &t->v[t->n++];
	*e = (struct entry){ .key = key, .path = path, .dir = S_ISDIR(st->st_mode) };
	e->mtime_ns = t->fixed_mtime ? t->mtime_ns
		: (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Adds everything below folder `path` (key `key`).  Symlinks are skipped, not
 * followed: one could leave the folder or loop. */
static void walk(struct tree *t, const char *path, const char *key)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		die("%s: %s", path, strerror(errno));
	while ((errno = 0, de = readdir(d))) {
		char *p, *k;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = join(path, de->d_name);
		if (lstat(p, &st) < 0)
			die("%s: %s", p, strerror(errno));
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "mirage-crunch: warning: skipping %s: %s\n", p,
				S_ISLNK(st.st_mode) ? "symbolic link" : "not a file");
			free(p);
			continue;
		}
		k = join(key, de->d_name);
		add(t, k, p, &st);
		if (S_ISDIR(st.st_mode))
			walk(t, p, k);
	}
	if (errno)
		die("%s: %s", path, strerror(errno));
	closedir(d);
}

static void free_tree(struct tree *t)
{
	for (size_t i = 1; i < t->n; i++) { /* the root's strings are not ours */
		free(t->v[i].key);
		free(t->v[i].path);
	}
	free(t->v);
	free(t->children);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

/* Gives each dictionary its run in t->children: its entries' indices in
 * name order, which is key order once the table is sorted. */
static void link_tree(struct tree *t)
{
	size_t next = 0;

	for (size_t i = 1; i < t->n; i++) {
		const char *slash = strrchr(t->v[i].key, '/');
		struct entry probe = { .key = "" }, *p;

		if (slash && !(probe.key = strndup(t->v[i].key, (size_t)(slash - t->v[i].key))))
			die("out of memory");
		p = bsearch(&probe, t->v, t->n, sizeof *t->v, by_key);
		if (slash)
			free(probe.key);
		t->v[i].parent = (size_t)(p - t->v);
		p->nchild++;
	}
	for (size_t i = 0; i < t->n; i++) {
		t->v[i].child = next;
		next += t->v[i].nchild;
		t->v[i].nchild = 0; /* counted again as the run fills */
	}
	t->children = xmalloc(t->n * sizeof *t->children);
	for (size_t i = 1; i < t->n; i++) {
		struct entry *p = &t->v[t->v[i].parent];

		t->children[p->child + p->nchild++] = i;
	}
}

/* A C string literal: anything unusual as a three-digit octal escape. */
static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(" ._-/+,=:@~%", c))
			fputc(c, f);
		else
			fprintf(f, "\\%03o", c);
	}
	fputc('"', f);
}

/* Emits file i's bytes as array d<i> and computes its size and SHA-256.  A
 * trailing NUL keeps empty files legal C. */
static void put_data(FILE *out, struct entry *e, size_t i)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *in = fopen(e->path, "rb");
	size_t n;

	if (!in)
		die("%s: %s", e->path, strerror(errno));
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		die("cannot start SHA-256");
	fprintf(out, "static const unsigned char d%zu[] = {", i);
	while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
		for (size_t j = 0; j < n; j++)
			fprintf(out, "%s0x%02x,", (e->size + j) % 12 ? " " : "\n\t", buf[j]);
		e->size += n;
		EVP_DigestUpdate(ctx, buf, n);
	}
	if (ferror(in))
		die("%s: %s", e->path, strerror(errno));
	fclose(in);
	fprintf(out, "\n\t0 };\n");
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned j = 0; j < mdlen; j++)
		sprintf(e->digest + 2 * j, "%02x", md[j]);
}

static void put_entry(FILE *out, const struct entry *e, size_t i)
{
	const char *slash = strrchr(e->key, '/');

	fputs("\t{ .key = ", out);
	put_str(out, e->key);
	fputs(", .name = ", out);
	put_str(out, slash ? slash + 1 : e->key);
	if (e->dir)
		fprintf(out, ", .kind = MG_KV_DICTIONARY, .digest = \"\",\n\t  "
			".child = %zu, .nchild = %zu", e->child, e->nchild);
	else
		fprintf(out, ", .kind = MG_KV_VALUE, .data = d%zu, .size = %" PRIu64
			",\n\t  .digest = \"%s\"", i, e->size, e->digest);
	fprintf(out, ", .mtime_ns = %" PRId64 " },\n", e->mtime_ns);
}

static void generate(FILE *out, struct tree *t, const char *name, const char *dir)
{
	fputs("/* Generated by mirage-crunch from ", out);
	put_str(out, dir);
	fputs("; do not edit. */\n#include \"crunch.h\"\n\n", out);
	for (size_t i = 0; i < t->n; i++)
		if (!t->v[i].dir)
			put_data(out, &t->v[i], i);
	fputs("\nstatic const struct mg_crunch_entry entries[] = {\n", out);
	for (size_t i = 0; i < t->n; i++)
		put_entry(out, &t->v[i], i);
	fputs("};\n", out);
	if (t->n > 1) {
		fputs("\nstatic const uint32_t children[] = {", out);
		for (size_t i = 0; i < t->n - 1; i++)
			fprintf(out, "%s%zu,", i % 12 ? " " : "\n\t", t->children[i]);
		fputs("\n};\n", out);
	}
	fprintf(out, "\nstatic const struct mg_crunch_table table = {\n"
		"\t.entries = entries,\n\t.count = %zu,\n\t.children = %s,\n};\n\n",
		t->n, t->n > 1 ? "children" : "NULL");
	fputs("MG_PLUGIN(.name = ", out);
	put_str(out, name);
	fputs(", .version = \"1.0\",\n\t  .summary = \"kv_ro: files of \" ", out);
	put_str(out, dir);
	fputs(" \" compiled in\",\n", out);
	fputs("\t  .provides = MG_TYPE(KV_RO, 2), .targets = MG_TARGET_ANY,\n"
	      "\t  .connect = mg_crunch_connect, .disconnect = mg_crunch_disconnect,\n"
	      "\t  .data = &table);\n", out);
}

static void usage(FILE *f)
{
	fputs("usage: mirage-crunch --name NAME -o OUT.c DIR\n"
	      "Writes OUT.c: a kv_ro plugin NAME serving the files below DIR\n"
	      "(symbolic links are skipped).  Build it with plugins/kvro/crunch.c\n"
	      "and -Iplugins/kvro.  SOURCE_DATE_EPOCH, when set, is every mtime.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *outpath = NULL, *epoch = getenv("SOURCE_DATE_EPOCH");
	struct tree t = { 0 };
	char *tmp;
	struct stat st;
	FILE *out;
	int c;

	while ((c = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'o': outpath = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!name || !outpath || optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (epoch) {
		char *end;

		t.fixed_mtime = 1;
		errno = 0;
		t.mtime_ns = strtoll(epoch, &end, 10) * 1000000000;
		if (errno || !*epoch || *end)
			die("SOURCE_DATE_EPOCH: not a number of seconds: %s", epoch);
	}
	if (stat(argv[optind], &st) < 0)
		die("%s: %s", argv[optind], strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die("%s: %s", argv[optind], strerror(ENOTDIR));
	add(&t, "", argv[optind], &st);
	walk(&t, argv[optind], "");
	qsort(t.v, t.n, sizeof *t.v, by_key);
	link_tree(&t);

	/* Written next to OUT and renamed: make never sees half a file. */
	if (asprintf(&tmp, "%s.tmp", outpath) < 0)
		die("out of memory");
	out_tmp = tmp;
	out = fopen(tmp, "w");
	if (!out)
		die("%s: %s", tmp, strerror(errno));
	generate(out, &t, name, argv[optind]);
	if (ferror(out) || fclose(out) != 0 || rename(tmp, outpath) < 0)
		die("%s: %s", outpath, strerror(errno));
	free_tree(&t); /* keeps leak checkers quiet */
	free(tmp);
	return 0;
}
