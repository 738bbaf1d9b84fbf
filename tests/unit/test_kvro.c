/* test_kvro.c - kvro.dir and kvro.crunch through their kv_ro ops.
 * Run from the repository root; plugins come from $MIRAGE_PLUGIN_DIR
 * (default build/plugins). */
#define _GNU_SOURCE
#include "checkrun.h"
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakehost.h"
#include "mirage/kv_ro.h"

#define SAMPLE_DIR "apps/kvcat/sample"
#define BIG_SIZE 10000

static struct fakehost host;
static struct fakedev dev;
static struct mg_kv_ro *kv;
#define TMP_TEMPLATE "/tmp/mirage-kvro-XXXXXX"
static char tmp[] = TMP_TEMPLATE;

static int connect_kv(struct fakedev *d, const char *name, const char *root,
		      struct mg_kv_ro **out)
{
	char path[PATH_MAX];
	const char *params[] = { root };
	int rc = fakedev_connect(d, &host, fakehost_plugin_path(path, sizeof path, name),
				 params, root ? 1 : 0, NULL, 0);

	if (rc == 0)
		*out = (struct mg_kv_ro *)d->dev;
	return rc;
}

/* tmp/REL, in a buffer that the next call reuses. */
static const char *in_tmp(const char *rel)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", tmp, rel);
	return path;
}

static void put(const char *rel, const char *text, size_t len)
{
	FILE *f = fopen(in_tmp(rel), "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void make_dir(const char *rel)
{
	ck_assert_int_eq(mkdir(in_tmp(rel), 0755), 0);
}

static void make_link(const char *target, const char *rel)
{
	ck_assert_int_eq(symlink(target, in_tmp(rel)), 0);
}

/* tmp/root is served; tmp/secret.txt lies outside it. */
static void setup_dir(void)
{
	static char big[BIG_SIZE];
	char root[PATH_MAX];

	strcpy(tmp, TMP_TEMPLATE); /* CK_FORK=no runs every setup in one process */
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	make_dir("root");
	make_dir("root/sub");
	make_dir("root/sub/deep");
	put("secret.txt", "secret\n", 7);
	put("root/a.txt", "alpha\n", 6);
	put("root/B.txt", "bravo bravo\n", 12);
	put("root/_empty", "", 0);
	put("root/big.bin", big, sizeof big);
	put("root/sub/c.txt", "charlie\n", 8);
	make_link("sub/c.txt", "root/in");
	make_link("../a.txt", "root/sub/up");
	make_link("../secret.txt", "root/out");
	make_link("/etc/passwd", "root/abs");
	make_link("missing", "root/dangling");
	/* absolute, inside the root (a file, a folder, the root) and out */
	make_link(strcpy(root, in_tmp("root/a.txt")), "root/absin");
	make_link(strcpy(root, in_tmp("root/sub")), "root/sub/absdir");
	make_link(strcpy(root, in_tmp("root")), "root/sub/absroot");
	make_link(strcpy(root, in_tmp("secret.txt")), "root/absout");
	/* out of the root and back in */
	make_link("../../root/a.txt", "root/sub/around");
	fakehost_init(&host);
	ck_assert_int_eq(connect_kv(&dev, "kvro.dir", strcpy(root, in_tmp("root")), &kv), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void teardown_dir(void)
{
	fakedev_disconnect(&dev);
	ck_assert_int_eq(host.allocs, 0);
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_crunch(void)
{
	fakehost_init(&host);
	ck_assert_int_eq(connect_kv(&dev, "kvro.crunch", NULL, &kv), 0);
}

static void teardown_crunch(void)
{
	fakedev_disconnect(&dev);
	ck_assert_int_eq(host.allocs, 0);
}

/* list's entries as "name:kind " words. */
static int add_word(void *arg, const char *name, enum mg_kv_kind kind)
{
	char *s = arg;
	size_t n = strlen(s);

	snprintf(s + n, 1024 - n, "%s:%c ", name, kind == MG_KV_VALUE ? 'v' : 'd');
	return 0;
}

static const char *list_words(const char *key)
{
	static char words[1024];

	words[0] = '\0';
	ck_assert_int_eq(kv->ops->list(kv, key, add_word, words), 0);
	return words;
}

static int stop_at_first(void *arg, const char *name, enum mg_kv_kind kind)
{
	(void)name, (void)kind;
	++*(int *)arg;
	return 7;
}

/* get's result and value as "rc:bytes". */
static const char *get_text(const char *key)
{
	static char out[64];
	char buf[32];
	size_t len = 0;
	int rc = kv->ops->get(kv, key, buf, sizeof buf, &len);

	snprintf(out, sizeof out, "%d:%.*s", rc, rc == 0 ? (int)len : 0, buf);
	return out;
}

static int exists_kind(const char *key)
{
	enum mg_kv_kind kind = 0;
	int rc = kv->ops->exists(kv, key, &kind);

	return rc < 0 ? rc : (int)kind;
}

START_TEST(dir_exists)
{
	ck_assert_int_eq(exists_kind(""), MG_KV_DICTIONARY);
	ck_assert_int_eq(exists_kind("a.txt"), MG_KV_VALUE);
	ck_assert_int_eq(exists_kind("sub"), MG_KV_DICTIONARY);
	ck_assert_int_eq(exists_kind("sub/deep"), MG_KV_DICTIONARY);
	ck_assert_int_eq(exists_kind("nope"), -ENOENT);
	ck_assert_int_eq(exists_kind("a.txt/x"), -ENOENT);
	ck_assert_int_eq(exists_kind("dangling"), -ENOENT);
}
END_TEST

START_TEST(dir_get)
{
	char buf[4];
	size_t len = 0;

	ck_assert_str_eq(get_text("a.txt"), "0:alpha\n");
	ck_assert_str_eq(get_text("sub/c.txt"), "0:charlie\n");
	ck_assert_str_eq(get_text("_empty"), "0:");
	ck_assert_int_eq(kv->ops->get(kv, "a.txt", buf, sizeof buf, &len), -ENOSPC);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(kv->ops->get(kv, "sub", buf, sizeof buf, &len), -EISDIR);
	ck_assert_int_eq(kv->ops->get(kv, "", buf, sizeof buf, &len), -EISDIR);
	ck_assert_int_eq(kv->ops->get(kv, "nope", buf, sizeof buf, &len), -ENOENT);
}
END_TEST

START_TEST(dir_get_partial)
{
	char buf[100];
	size_t got = 99;

	ck_assert_int_eq(kv->ops->get_partial(kv, "big.bin", 26 * 10 + 3, buf, 5, &got), 0);
	ck_assert_uint_eq(got, 5);
	ck_assert_int_eq(memcmp(buf, "defgh", 5), 0);
	ck_assert_int_eq(kv->ops->get_partial(kv, "big.bin", BIG_SIZE - 10, buf, 100, &got), 0);
	ck_assert_uint_eq(got, 10);
	ck_assert_int_eq(kv->ops->get_partial(kv, "big.bin", BIG_SIZE, buf, 100, &got), 0);
	ck_assert_uint_eq(got, 0);
	got = 99;
	ck_assert_int_eq(kv->ops->get_partial(kv, "big.bin", UINT64_MAX, buf, 100, &got), 0);
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(kv->ops->get_partial(kv, "sub", 0, buf, 1, &got), -EISDIR);
}
END_TEST

START_TEST(dir_list)
{
	int calls = 0;

	/* Byte order; escaping and dangling links are not shown. */
	ck_assert_str_eq(list_words(""),
			 "B.txt:v _empty:v a.txt:v absin:v big.bin:v in:v sub:d ");
	ck_assert_str_eq(list_words("sub"),
			 "absdir:d absroot:d around:v c.txt:v deep:d up:v ");
	ck_assert_str_eq(list_words("sub/deep"), "");
	ck_assert_int_eq(kv->ops->list(kv, "", stop_at_first, &calls), 7);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(kv->ops->list(kv, "a.txt", add_word, NULL), -ENOTDIR);
	ck_assert_int_eq(kv->ops->list(kv, "nope", add_word, NULL), -ENOENT);
}
END_TEST

START_TEST(dir_size_time_digest)
{
	struct timespec ts[2] = { { 1000, 5 }, { 1234567890, 123456789 } };
	char d1[MG_KV_DIGEST_MAX], d2[MG_KV_DIGEST_MAX];
	uint64_t size = 0;
	int64_t ns = 0;

	ck_assert_int_eq(kv->ops->size(kv, "big.bin", &size), 0);
	ck_assert_uint_eq(size, BIG_SIZE);
	ck_assert_int_eq(kv->ops->size(kv, "sub", &size), -EISDIR);
	ck_assert_int_eq(utimensat(AT_FDCWD, in_tmp("root/a.txt"), ts, 0), 0);
	ck_assert_int_eq(kv->ops->last_modified(kv, "a.txt", &ns), 0);
	ck_assert_int_eq(ns, 1234567890123456789LL);

	ck_assert_int_eq(kv->ops->digest(kv, "a.txt", d1, sizeof d1), 0);
	ck_assert_int_gt(strlen(d1), 0);
	ck_assert_ptr_null(strpbrk(d1, " \"\t\n"));
	ck_assert_int_eq(kv->ops->digest(kv, "a.txt", d2, 3), -ENOSPC);
	put("root/a.txt", "alpha!\n", 7);
	ck_assert_int_eq(kv->ops->digest(kv, "a.txt", d2, sizeof d2), 0);
	ck_assert_str_ne(d1, d2);
	ck_assert_int_eq(kv->ops->digest(kv, "sub", d2, sizeof d2), -EISDIR);
}
END_TEST

/* Keys that must not reach outside the root, whatever op is used. */
START_TEST(dir_traversal)
{
	static const char *const bad[] = { "..", "a/../../x", "/etc/passwd", "a//b",
					   "sub/", ".", "./a.txt", "sub/../a.txt" };
	char buf[64];
	size_t len;
	uint64_t size;

	for (size_t i = 0; i < MG_COUNTOF(bad); i++) {
		ck_assert_int_eq(exists_kind(bad[i]), -EINVAL);
		ck_assert_int_eq(kv->ops->get(kv, bad[i], buf, sizeof buf, &len), -EINVAL);
		ck_assert_int_eq(kv->ops->list(kv, bad[i], add_word, buf), -EINVAL);
		ck_assert_int_eq(kv->ops->size(kv, bad[i], &size), -EINVAL);
	}
	ck_assert_int_eq(kv->ops->get(kv, "", buf, sizeof buf, &len), -EISDIR);
	ck_assert_int_eq(exists_kind("out"), -EACCES);
	ck_assert_int_eq(exists_kind("abs"), -EACCES);
	ck_assert_str_eq(get_text("out"), "-13:");
	ck_assert_int_eq(kv->ops->size(kv, "abs", &size), -EACCES);
	/* Links that stay inside the root are followed. */
	ck_assert_str_eq(get_text("in"), "0:charlie\n");
	ck_assert_str_eq(get_text("sub/up"), "0:alpha\n");
	/* so are absolute ones, and ones that leave and come back */
	ck_assert_str_eq(get_text("absin"), "0:alpha\n");
	ck_assert_str_eq(get_text("sub/absdir/c.txt"), "0:charlie\n");
	ck_assert_str_eq(get_text("sub/absroot/sub/c.txt"), "0:charlie\n");
	ck_assert_str_eq(get_text("sub/around"), "0:alpha\n");
	ck_assert_int_eq(exists_kind("sub/absroot"), MG_KV_DICTIONARY);
	ck_assert_int_eq(exists_kind("absout"), -EACCES);
	ck_assert_str_eq(get_text("absout"), "-13:");
	ck_assert_int_eq(exists_kind("sub/absroot/out"), -EACCES);
}
END_TEST

START_TEST(dir_missing_root)
{
	struct fakedev d;
	struct mg_kv_ro *k;

	ck_assert_int_eq(connect_kv(&d, "kvro.dir", "/nonexistent/mirage", &k), -ENOENT);
	ck_assert_ptr_nonnull(strstr(host.log, "/nonexistent/mirage"));
	ck_assert_ptr_nonnull(strstr(host.log, "No such file"));
}
END_TEST

START_TEST(crunch_ops)
{
	char buf[MG_KV_DIGEST_MAX];
	size_t len = 0, got = 0;
	uint64_t size = 0;

	ck_assert_int_eq(exists_kind(""), MG_KV_DICTIONARY);
	ck_assert_int_eq(exists_kind("notes"), MG_KV_DICTIONARY);
	ck_assert_int_eq(exists_kind("notes/todo.txt"), MG_KV_VALUE);
	ck_assert_int_eq(exists_kind("nope"), -ENOENT);
	ck_assert_int_eq(exists_kind("notes/todo.txt/x"), -ENOENT);
	ck_assert_str_eq(list_words(""), "README.txt:v notes:d poem.txt:v ");
	ck_assert_str_eq(list_words("notes"), "todo.txt:v ");
	ck_assert_int_eq(kv->ops->list(kv, "poem.txt", add_word, buf), -ENOTDIR);

	ck_assert_int_eq(kv->ops->size(kv, "poem.txt", &size), 0);
	ck_assert_int_eq(kv->ops->get(kv, "poem.txt", buf, 4, &len), -ENOSPC);
	ck_assert_uint_eq(len, size);
	ck_assert_int_eq(kv->ops->get_partial(kv, "poem.txt", 4, buf, 6, &got), 0);
	ck_assert_uint_eq(got, 6);
	ck_assert_int_eq(memcmp(buf, "module", 6), 0);
	ck_assert_int_eq(kv->ops->get_partial(kv, "poem.txt", size - 2, buf, 6, &got), 0);
	ck_assert_uint_eq(got, 2);
	ck_assert_int_eq(kv->ops->get_partial(kv, "poem.txt", size, buf, 6, &got), 0);
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(kv->ops->get(kv, "notes", buf, sizeof buf, &len), -EISDIR);

	ck_assert_int_eq(kv->ops->digest(kv, "poem.txt", buf, sizeof buf), 0);
	ck_assert_uint_eq(strlen(buf), 64);
	ck_assert_uint_eq(strspn(buf, "0123456789abcdef"), 64);
	ck_assert_int_eq(kv->ops->digest(kv, "poem.txt", buf, 64), -ENOSPC);
	ck_assert_int_eq(kv->ops->digest(kv, "notes", buf, sizeof buf), -EISDIR);
	ck_assert_int_eq(exists_kind(".."), -EINVAL);
	ck_assert_int_eq(exists_kind("notes//todo.txt"), -EINVAL);
	ck_assert_int_eq(exists_kind("/notes"), -EINVAL);
}
END_TEST

/* Everything a store holds, keys in walk order with kinds, sizes and bytes. */
static void dump(struct mg_kv_ro *k, const char *key, FILE *out);

struct dump_ctx {
	struct mg_kv_ro *kv;
	const char *dir;
	FILE *out;
};

static int dump_entry(void *arg, const char *name, enum mg_kv_kind kind)
{
	struct dump_ctx *c = arg;
	enum mg_kv_kind real = 0;
	char key[PATH_MAX];

	snprintf(key, sizeof key, "%s%s%s", c->dir, *c->dir ? "/" : "", name);
	ck_assert_int_eq(c->kv->ops->exists(c->kv, key, &real), 0);
	ck_assert_int_eq(real, kind);
	dump(c->kv, key, c->out);
	return 0;
}

static void dump(struct mg_kv_ro *k, const char *key, FILE *out)
{
	struct dump_ctx c = { .kv = k, .dir = key, .out = out };
	enum mg_kv_kind kind;
	char buf[4096];
	size_t len;

	ck_assert_int_eq(k->ops->exists(k, key, &kind), 0);
	if (kind == MG_KV_DICTIONARY) {
		fprintf(out, "%s/\n", key);
		ck_assert_int_eq(k->ops->list(k, key, dump_entry, &c), 0);
		return;
	}
	ck_assert_int_eq(k->ops->get(k, key, buf, sizeof buf, &len), 0);
	fprintf(out, "%s %zu\n", key, len);
	fwrite(buf, 1, len, out);
}

static char *dump_text(struct mg_kv_ro *k)
{
	char *text;
	size_t n;
	FILE *out = open_memstream(&text, &n);

	dump(k, "", out);
	fclose(out);
	return text;
}

START_TEST(crunch_matches_dir)
{
	struct fakedev d;
	struct mg_kv_ro *dirkv;
	char root[PATH_MAX], *a, *b;

	ck_assert_ptr_nonnull(realpath(SAMPLE_DIR, root));
	ck_assert_int_eq(connect_kv(&d, "kvro.dir", root, &dirkv), 0);
	a = dump_text(kv);
	b = dump_text(dirkv);
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "notes/todo.txt "));
	free(a);
	free(b);
	fakedev_disconnect(&d);
}
END_TEST

static Suite *kvro_suite(void)
{
	Suite *s = suite_create("kvro");
	TCase *dir = tcase_create("dir"), *crunch = tcase_create("crunch");

	tcase_add_checked_fixture(dir, setup_dir, teardown_dir);
	tcase_add_test(dir, dir_exists);
	tcase_add_test(dir, dir_get);
	tcase_add_test(dir, dir_get_partial);
	tcase_add_test(dir, dir_list);
	tcase_add_test(dir, dir_size_time_digest);
	tcase_add_test(dir, dir_traversal);
	tcase_add_test(dir, dir_missing_root);
	suite_add_tcase(s, dir);

	tcase_add_checked_fixture(crunch, setup_crunch, teardown_crunch);
	tcase_add_test(crunch, crunch_ops);
	tcase_add_test(crunch, crunch_matches_dir);
	suite_add_tcase(s, crunch);
	return s;
}

int main(void)
{
	return check_run(kvro_suite());
}
