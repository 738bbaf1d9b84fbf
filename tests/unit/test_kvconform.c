/* test_kvconform.c - one kv_ro conformance suite run against kvro.dir,
 * kvro.crunch and kvro.tar (over block.file, reading at once from the page
 * cache, and with every read through io_uring) holding the same files: the
 * website's htdocs as a folder, crunched into kvro.crunch.htdocs and
 * archived in $(BUILD)/site.tar.  Each store's answers to the same checks
 * are written into a transcript, and the transcripts must be equal; some
 * checks also assert what the header promises.  Times are compared in
 * whole seconds (what a tar header holds); digests by their form and
 * their errors, since each store makes its own.
 * Run from the repository root; plugins from $MIRAGE_PLUGIN_DIR, the
 * archive from $SITE_TAR (default build/site.tar). */
#define _GNU_SOURCE
#include "checkrun.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakehost.h"
#include "mirage/kv_ro.h"

#define HTDOCS "apps/website/htdocs"
#define BAD_KEYS { "..", "/index.html", "docs//index.html", "./index.html", "docs/", ".", \
		   "docs/../index.html" }

enum { DIR_KV, CRUNCH_KV, TAR_KV, TAR_RING_KV, NSTORES };
static const char *const store_names[NSTORES] = { "kvro.dir", "kvro.crunch.htdocs", "kvro.tar",
						  "kvro.tar (cached_reads=false)" };

static struct fakehost host;
static struct fakedev devs[NSTORES], disks[2];
static struct mg_kv_ro *stores[NSTORES];

/* Runs the loop until host.connected was called (or 5 s passed). */
static int await_connected(void)
{
	for (int i = 0; i < 500 && !host.nconnected; i++)
		fakehost_poll(&host, 10);
	return host.nconnected ? host.connected : -ETIMEDOUT;
}

static struct mg_kv_ro *connect_store(int which)
{
	char path[PATH_MAX], root[PATH_MAX];
	const char *tar = getenv("SITE_TAR");
	const char *params[1] = { root };
	int rc;

	ck_assert_ptr_nonnull(realpath(HTDOCS, root));
	if (which >= TAR_KV) {
		/* path, read_only, queue, cached_reads */
		const char *dparams[4] = { tar && *tar ? tar : "build/site.tar", NULL, NULL,
					   which == TAR_KV ? "true" : "false" };
		struct fakedev *disk = &disks[which - TAR_KV];

		ck_assert_int_eq(fakedev_connect(disk, &host, fakehost_plugin_path(path, sizeof path, "block.file"),
						 dparams, 4, NULL, 0), 0);
		host.nconnected = 0;
		rc = fakedev_connect(&devs[which], &host, fakehost_plugin_path(path, sizeof path, "kvro.tar"),
				     NULL, 0, &disk->dev, 1);
		ck_assert_int_eq(rc, -EINPROGRESS);
		ck_assert_int_eq(await_connected(), 0);
	} else {
		rc = fakedev_connect(&devs[which], &host,
				     fakehost_plugin_path(path, sizeof path, store_names[which]),
				     which == DIR_KV ? params : NULL, which == DIR_KV, NULL, 0);
		ck_assert_msg(rc == 0, "%s: %s", store_names[which], host.log);
	}
	return (struct mg_kv_ro *)devs[which].dev;
}

static void setup(void)
{
	fakehost_init(&host);
	for (int i = 0; i < NSTORES; i++)
		stores[i] = connect_store(i);
}

static void teardown(void)
{
	for (int i = 0; i < NSTORES; i++)
		fakedev_disconnect(&devs[i]);
	for (int i = 0; i < 2; i++)
		fakedev_disconnect(&disks[i]);
	ck_assert_int_eq(host.allocs, 0);
}

/* ---- the transcript ------------------------------------------------------ */

struct tx {
	FILE *out;
	struct mg_kv_ro *kv;
};

static uint64_t fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* A digest has the promised form: what the transcript says of it. */
static const char *digest_form(int rc, const char *d)
{
	if (rc < 0)
		return "error";
	if (!*d || strlen(d) >= MG_KV_DIGEST_MAX || strpbrk(d, " \t\"\r\n"))
		return "malformed";
	return "token";
}

struct readwait {
	int calls, err;
	size_t got;
};

static void read_done(void *arg, int err, size_t got)
{
	struct readwait *w = arg;

	w->calls++;
	w->err = err;
	w->got = got;
}

/* kv_ro 1.1's read, waited for: its rc as get_partial would have it. */
static int read_wait(struct mg_kv_ro *kv, const char *key, uint64_t off, void *buf, size_t len,
		     size_t *got)
{
	struct readwait w = { 0 };
	int rc = kv->ops->read(kv, key, off, buf, len, got, read_done, &w);

	if (rc == 1) {
		ck_assert_int_eq(w.calls, 0); /* at once: no callback */
		return 0;
	}
	if (rc < 0)
		return rc;
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(w.calls, 0); /* never from inside read */
	for (int i = 0; i < 500 && !w.calls; i++)
		fakehost_poll(&host, 10);
	ck_assert_int_eq(w.calls, 1);
	*got = w.got;
	return w.err;
}

static void value(struct tx *t, const char *key)
{
	struct mg_kv_ro *kv = t->kv;
	struct mg_kv_stat st;
	char d[MG_KV_DIGEST_MAX], small[4];
	uint64_t size = 0;
	int64_t ns = 0;
	size_t len = 0, got = 0;
	char *buf;
	int rc;

	ck_assert_int_eq(kv->ops->size(kv, key, &size), 0);
	buf = malloc(size + 16);
	ck_assert_ptr_nonnull(buf);
	rc = kv->ops->get(kv, key, buf, size, &len);
	fprintf(t->out, "%s: size %llu get %d len %zu bytes %016llx\n", key, (unsigned long long)size,
		rc, len, (unsigned long long)fnv(buf, len));
	if (size) {
		rc = kv->ops->get(kv, key, buf, size - 1, &len);
		fprintf(t->out, "  get cap-1: %d len %zu\n", rc, len);
		ck_assert_int_eq(rc, -ENOSPC);
		ck_assert_uint_eq(len, size);
	}
	/* get_partial's edges: the middle, the last byte, the end, past it */
	{
		const uint64_t offs[] = { 0, size / 3, size ? size - 1 : 0, size, size + 1, UINT64_MAX };

		for (size_t i = 0; i < MG_COUNTOF(offs); i++) {
			got = 99;
			rc = kv->ops->get_partial(kv, key, offs[i], buf, 10, &got);
			fprintf(t->out, "  get_partial @%llu: %d got %zu %016llx\n",
				(unsigned long long)offs[i], rc, got,
				(unsigned long long)fnv(buf, rc ? 0 : got));
			got = 99;
			rc = read_wait(kv, key, offs[i], buf, 10, &got);
			fprintf(t->out, "  read @%llu: %d got %zu %016llx\n", (unsigned long long)offs[i],
				rc, got, (unsigned long long)fnv(buf, rc ? 0 : got));
		}
		got = 99;
		rc = kv->ops->get_partial(kv, key, 0, buf, 0, &got);
		fprintf(t->out, "  get_partial len 0: %d got %zu\n", rc, got);
	}
	/* the whole value through read, in one request */
	memset(buf, 0, size + 16);
	rc = read_wait(kv, key, 0, buf, size + 16, &got);
	fprintf(t->out, "  read all: %d got %zu %016llx\n", rc, got, (unsigned long long)fnv(buf, got));
	ck_assert_int_eq(kv->ops->last_modified(kv, key, &ns), 0);
	fprintf(t->out, "  mtime %lld\n", (long long)(ns / 1000000000));
	rc = kv->ops->digest(kv, key, d, sizeof d);
	fprintf(t->out, "  digest %s", digest_form(rc, d));
	if (rc == 0) {
		size_t n = strlen(d);

		fprintf(t->out, ", cap n: %d", kv->ops->digest(kv, key, d, n));
		fprintf(t->out, ", cap n+1: %d", kv->ops->digest(kv, key, d, n + 1));
		fprintf(t->out, ", cap 4: %d", kv->ops->digest(kv, key, small, sizeof small));
	}
	ck_assert_int_eq(kv->ops->stat(kv, key, &st), 0);
	fprintf(t->out, "\n  stat: kind %d size %llu mtime %lld digest same %d\n", st.kind,
		(unsigned long long)st.size, (long long)(st.mtime_ns / 1000000000),
		strcmp(st.digest, d) == 0);
	ck_assert_int_eq(st.mtime_ns, ns);
	free(buf);
}

static void walk(struct tx *t, const char *key);

struct walk_ctx {
	struct tx *t;
	const char *dir;
};

static int walk_entry(void *arg, const char *name, enum mg_kv_kind kind)
{
	struct walk_ctx *c = arg;
	char key[PATH_MAX];
	enum mg_kv_kind real = 0;

	snprintf(key, sizeof key, "%s%s%s", c->dir, *c->dir ? "/" : "", name);
	fprintf(c->t->out, "  entry %s %c\n", name, kind == MG_KV_VALUE ? 'v' : 'd');
	ck_assert_int_eq(c->t->kv->ops->exists(c->t->kv, key, &real), 0);
	ck_assert_int_eq(real, kind);
	walk(c->t, key);
	return 0;
}

static int stop_at_first(void *arg, const char *name, enum mg_kv_kind kind)
{
	(void)name, (void)kind;
	++*(int *)arg;
	return 42;
}

static void dictionary(struct tx *t, const char *key)
{
	struct mg_kv_ro *kv = t->kv;
	struct walk_ctx c = { t, key };
	struct mg_kv_stat st;
	char buf[16], d[MG_KV_DIGEST_MAX];
	uint64_t size;
	int64_t ns = 0;
	size_t len, got;
	int calls = 0, rc;

	fprintf(t->out, "%s/:\n", key);
	fprintf(t->out, "  get %d", kv->ops->get(kv, key, buf, sizeof buf, &len));
	fprintf(t->out, " get_partial %d", kv->ops->get_partial(kv, key, 0, buf, 1, &got));
	fprintf(t->out, " read %d", kv->ops->read(kv, key, 0, buf, 1, &got, read_done, NULL));
	fprintf(t->out, " size %d", kv->ops->size(kv, key, &size));
	fprintf(t->out, " digest %d", kv->ops->digest(kv, key, d, sizeof d));
	ck_assert_int_eq(kv->ops->last_modified(kv, key, &ns), 0);
	ck_assert_int_eq(kv->ops->stat(kv, key, &st), 0);
	fprintf(t->out, " mtime %lld stat kind %d size %llu digest \"%s\" mtime same %d\n",
		(long long)(ns / 1000000000), st.kind, (unsigned long long)st.size, st.digest,
		st.mtime_ns == ns);
	rc = kv->ops->list(kv, key, stop_at_first, &calls);
	fprintf(t->out, "  list stopped: %d after %d\n", rc, calls);
	ck_assert_int_eq(kv->ops->list(kv, key, walk_entry, &c), 0);
}

static void walk(struct tx *t, const char *key)
{
	enum mg_kv_kind kind = 0;

	ck_assert_int_eq(t->kv->ops->exists(t->kv, key, &kind), 0);
	if (kind == MG_KV_DICTIONARY)
		dictionary(t, key);
	else
		value(t, key);
}

/* What every op says of keys that are malformed or absent. */
static void errors(struct tx *t)
{
	static const char *const bad[] = BAD_KEYS;
	static const char *const absent[] = { "nope", "index.html/x", "docs/nope.html", "files/1k.txt/" };
	struct mg_kv_ro *kv = t->kv;
	char buf[16];
	size_t len, got;
	uint64_t size;
	int64_t ns;
	enum mg_kv_kind kind;
	struct mg_kv_stat st;

	for (size_t i = 0; i < MG_COUNTOF(bad) + MG_COUNTOF(absent); i++) {
		const char *k = i < MG_COUNTOF(bad) ? bad[i] : absent[i - MG_COUNTOF(bad)];

		fprintf(t->out, "key \"%s\": exists %d get %d get_partial %d list %d size %d", k,
			kv->ops->exists(kv, k, &kind), kv->ops->get(kv, k, buf, sizeof buf, &len),
			kv->ops->get_partial(kv, k, 0, buf, 1, &got),
			kv->ops->list(kv, k, stop_at_first, &(int){ 0 }), kv->ops->size(kv, k, &size));
		fprintf(t->out, " last_modified %d digest %d stat %d read %d\n",
			kv->ops->last_modified(kv, k, &ns), kv->ops->digest(kv, k, buf, sizeof buf),
			kv->ops->stat(kv, k, &st), kv->ops->read(kv, k, 0, buf, 1, &got, read_done, NULL));
	}
	fprintf(t->out, "list of a value: %d\n", kv->ops->list(kv, "index.html", stop_at_first, &(int){ 0 }));
}

static char *transcript(struct mg_kv_ro *kv)
{
	struct tx t = { .kv = kv };
	char *text;
	size_t n;

	t.out = open_memstream(&text, &n);
	ck_assert_ptr_nonnull(t.out);
	walk(&t, "");
	errors(&t);
	fclose(t.out);
	return text;
}

START_TEST(same_answers)
{
	char *text[NSTORES];

	for (int i = 0; i < NSTORES; i++) {
		ck_assert_msg(MG_OPS_HAS(stores[i]->ops, read_cancel), "%s is kv_ro 1.1", store_names[i]);
		text[i] = transcript(stores[i]);
	}
	/* a few of the header's promises, checked on one transcript */
	ck_assert_ptr_nonnull(strstr(text[0], "files/1m.txt: size 1048576 get 0 len 1048576"));
	ck_assert_ptr_nonnull(strstr(text[0], "key \"..\": exists -22 get -22 get_partial -22 list -22 size -22 last_modified -22 digest -22 stat -22 read -22"));
	ck_assert_ptr_nonnull(strstr(text[0], "key \"index.html/x\": exists -2 get -2"));
	ck_assert_ptr_nonnull(strstr(text[0], "  get -21 get_partial -21 read -21 size -21 digest -21"));
	ck_assert_ptr_nonnull(strstr(text[0], "list stopped: 42 after 1"));
	ck_assert_ptr_nonnull(strstr(text[0], "list of a value: -20"));
	ck_assert_ptr_null(strstr(text[0], "malformed"));
	for (int i = 1; i < NSTORES; i++) {
		if (strcmp(text[0], text[i]) != 0) {
			fprintf(stderr, "---- %s\n%s---- %s\n%s", store_names[0], text[0], store_names[i],
				text[i]);
			ck_abort_msg("%s answers differently from %s (transcripts above)", store_names[i],
				     store_names[0]);
		}
	}
	for (int i = 0; i < NSTORES; i++)
		free(text[i]);
}
END_TEST

/* A cancelled read never calls back, and its buffer is the caller's at
 * once; the store serves on. */
START_TEST(read_cancel)
{
	for (int i = 0; i < NSTORES; i++) {
		struct mg_kv_ro *kv = stores[i];
		struct readwait w = { 0 };
		char *buf = malloc(1 << 20);
		size_t got;
		int rc = kv->ops->read(kv, "files/1m.txt", 0, buf, 1 << 20, &got, read_done, &w);

		ck_assert_int_ge(rc, 0);
		kv->ops->read_cancel(kv, read_done, &w);
		free(buf);
		for (int n = 0; n < 20; n++)
			fakehost_poll(&host, 5);
		ck_assert_int_eq(w.calls, 0);
		/* with cb NULL a store answers at once or not at all */
		buf = malloc(16);
		rc = kv->ops->read(kv, "index.html", 0, buf, 16, &got, NULL, NULL);
		ck_assert_msg(rc == 1 || rc == -EINPROGRESS, "%s: read without cb gave %d", store_names[i], rc);
		ck_assert_int_eq(read_wait(kv, "index.html", 0, buf, 16, &got), 0);
		ck_assert_uint_eq(got, 16);
		free(buf);
	}
}
END_TEST

/* kvro.tar over a disk with read_nowait (block 1.2) reads what the page
 * cache holds at once, into the caller's buffer, sector edges and all;
 * without it, or with cached_reads=false, it reads later. */
START_TEST(read_at_once)
{
	static char want[300000], buf[sizeof want];
	struct mg_kv_ro *kv = stores[TAR_KV], *ring = stores[TAR_RING_KV];
	size_t got = 0, len = 0;

	ck_assert_int_eq(kv->ops->get_partial(kv, "files/1m.txt", 1001, want, sizeof want, &len), 0);
	ck_assert_uint_eq(len, sizeof want); /* the archive is in the page cache now */
	ck_assert_int_eq(kv->ops->read(kv, "files/1m.txt", 1001, buf, sizeof buf, &got, NULL, NULL), 1);
	ck_assert_uint_eq(got, sizeof want);
	ck_assert(memcmp(buf, want, sizeof want) == 0);
	ck_assert_int_eq(ring->ops->read(ring, "files/1m.txt", 1001, buf, sizeof buf, &got, NULL, NULL),
			 -EINPROGRESS);
}
END_TEST

/* kvro.tar over a disk that lends (block 1.3) lends a big member's bytes
 * as the disk's file, from within a sector, and the loan outlives the
 * store and its disk; a small value, or a disk that does not lend what
 * the page cache lacks (cached_reads=false), is read instead. */
START_TEST(borrow_lends_the_disk)
{
	static char want[300000], buf[sizeof want];
	struct mg_kv_ro *kv = stores[TAR_KV], *ring = stores[TAR_RING_KV];
	struct mg_span span;
	struct mg_loan *loan;
	size_t len = 0;

	ck_assert(MG_OPS_HAS(kv->ops, borrow));
	ck_assert_int_eq(kv->ops->get_partial(kv, "files/1m.txt", 1001, want, sizeof want, &len), 0);
	ck_assert_int_eq(kv->ops->borrow(kv, "index.html", 0, 16, &span, &loan), -EOPNOTSUPP);
	ck_assert_int_eq(kv->ops->borrow(kv, "docs", 0, 16, &span, &loan), -EISDIR);
	ck_assert_int_eq(kv->ops->borrow(kv, "nope", 0, 16, &span, &loan), -ENOENT);
	ck_assert_int_eq(kv->ops->borrow(kv, "..", 0, 16, &span, &loan), -EINVAL);
	ck_assert_int_eq(ring->ops->borrow(ring, "files/1m.txt", 0, 1 << 20, &span, &loan), -EOPNOTSUPP);
	ck_assert_int_eq(kv->ops->borrow(kv, "files/1m.txt", (1 << 20) - 10, 100, &span, &loan), 0);
	ck_assert_uint_eq(span.len, 10); /* short only at the value's end */
	loan->release(loan);
	ck_assert_int_eq(kv->ops->borrow(kv, "files/1m.txt", 1001, sizeof want, &span, &loan), 0);
	ck_assert_ptr_null(span.data);
	ck_assert_uint_eq(span.len, sizeof want);
	devs[TAR_KV].plugin->disconnect(devs[TAR_KV].dev);
	disks[0].plugin->disconnect(disks[0].dev);
	ck_assert_int_eq(pread(span.fd, buf, span.len, (off_t)span.off), (ssize_t)span.len);
	ck_assert(memcmp(buf, want, sizeof want) == 0);
	loan->release(loan);
	stores[TAR_KV] = connect_store(TAR_KV); /* for teardown */
}
END_TEST

/* A disk whose queue is full does not make kvro.tar's read fail or lose
 * its callback: kvro.tar retries, the caller only waits. */
START_TEST(queue_full)
{
	static char a[1 << 20], b[1 << 20];
	const char *tar = getenv("SITE_TAR");
	const char *dparams[4] = { tar && *tar ? tar : "build/site.tar", NULL, "1", "false" };
	struct fakedev disk1, kv1;
	struct readwait wa = { 0 }, wb = { 0 };
	struct mg_kv_ro *kv;
	char path[PATH_MAX];
	size_t got;

	ck_assert_int_eq(fakedev_connect(&disk1, &host, fakehost_plugin_path(path, sizeof path, "block.file"),
					 dparams, 4, NULL, 0), 0);
	host.nconnected = 0;
	ck_assert_int_eq(fakedev_connect(&kv1, &host, fakehost_plugin_path(path, sizeof path, "kvro.tar"),
					 NULL, 0, &disk1.dev, 1), -EINPROGRESS);
	ck_assert_int_eq(await_connected(), 0);
	kv = (struct mg_kv_ro *)kv1.dev;
	ck_assert_int_eq(kv->ops->read(kv, "files/1m.txt", 0, a, sizeof a, &got, read_done, &wa), 0);
	ck_assert_int_eq(kv->ops->read(kv, "files/1m.txt", 512, b, sizeof b - 512, &got, read_done, &wb), 0);
	for (int i = 0; i < 500 && !(wa.calls && wb.calls); i++)
		fakehost_poll(&host, 10);
	ck_assert_int_eq(wa.calls, 1);
	ck_assert_int_eq(wb.calls, 1);
	ck_assert_int_eq(wa.err, 0);
	ck_assert_int_eq(wb.err, 0);
	ck_assert_uint_eq(wb.got, sizeof b - 512);
	ck_assert(memcmp(a + 512, b, sizeof b - 512) == 0);
	fakedev_disconnect(&kv1);
	fakedev_disconnect(&disk1);
}
END_TEST

static Suite *conform_suite(void)
{
	Suite *s = suite_create("kvconform");
	TCase *tc = tcase_create("stores");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, same_answers);
	tcase_add_test(tc, read_cancel);
	tcase_add_test(tc, read_at_once);
	tcase_add_test(tc, borrow_lends_the_disk);
	tcase_add_test(tc, queue_full);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(conform_suite());
}
