/* kvcat - prints every value of a kv_ro store: a count, a "KEY SIZE" index,
 * then each value's bytes under a "==> KEY <==" header. */
#include <string.h>

#include "mirage/console.h"
#include "mirage/job.h"
#include "mirage/kv_ro.h"

/* The value keys found so far, in walk order. */
struct walk {
	const struct mg_env *env;
	struct mg_kv_ro *fs;
	char **keys;
	size_t n, cap;
	int logged; /* a failure was logged where it happened */
};

/* One dictionary being listed. */
struct level {
	struct walk *w;
	const char *dir;
};

static int walk_dir(struct walk *w, const char *dir);

static int push(struct walk *w, char *key)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		char **keys = mg_alloc(w->env, cap * sizeof *keys);

		if (!keys)
			return -ENOMEM;
		if (w->n)
			memcpy(keys, w->keys, w->n * sizeof *keys);
		mg_free(w->env, w->keys);
		w->keys = keys;
		w->cap = cap;
	}
	w->keys[w->n++] = key;
	return 0;
}

static int visit(void *arg, const char *name, enum mg_kv_kind kind)
{
	struct level *l = arg;
	size_t dl = strlen(l->dir), nl = strlen(name), off = dl ? dl + 1 : 0;
	char *key = mg_alloc(l->w->env, off + nl + 1);
	int rc;

	if (!key)
		return -ENOMEM;
	memcpy(key, l->dir, dl);
	key[dl] = '/'; /* overwritten by the name at the root */
	memcpy(key + off, name, nl + 1);
	if (kind == MG_KV_VALUE) {
		rc = push(l->w, key);
		if (rc == 0)
			return 0; /* the key now belongs to w->keys */
	} else {
		rc = walk_dir(l->w, key);
	}
	mg_free(l->w->env, key);
	return rc;
}

static int walk_dir(struct walk *w, const char *dir)
{
	struct level l = { .w = w, .dir = dir };
	int rc = w->fs->ops->list(w->fs, dir, visit, &l);

	if (rc < 0 && !w->logged) {
		mg_log(w->env, MG_LOG_ERROR, "cannot list '%s': error %d", dir, rc);
		w->logged = 1;
	}
	return rc;
}

/* Writes "==> KEY <==" and the value's bytes. */
static int cat(struct walk *w, struct mg_console *c, const char *key, uint64_t size)
{
	char *buf = mg_alloc(w->env, size ? (size_t)size : 1);
	size_t len;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = w->fs->ops->get(w->fs, key, buf, (size_t)size, &len);
	if (rc < 0)
		mg_log(w->env, MG_LOG_ERROR, "cannot read '%s': error %d", key, rc);
	else if (mg_console_printf(c, "==> %s <==\n", key) < 0 ||
		 c->ops->write(c, buf, len) < 0)
		rc = -EIO;
	mg_free(w->env, buf);
	return rc;
}

static int print(struct walk *w, struct mg_console *c)
{
	int rc = 0;

	if (mg_console_printf(c, "kvcat: %zu files\n", w->n) < 0)
		return -EIO;
	for (size_t i = 0; i < w->n && rc == 0; i++) {
		uint64_t size;

		rc = w->fs->ops->size(w->fs, w->keys[i], &size);
		if (rc < 0)
			mg_log(w->env, MG_LOG_ERROR, "no size for '%s': error %d",
			       w->keys[i], rc);
		else if (mg_console_printf(c, "%s %llu\n", w->keys[i],
					   (unsigned long long)size) < 0)
			rc = -EIO;
	}
	for (size_t i = 0; i < w->n && rc == 0; i++) {
		uint64_t size;

		rc = w->fs->ops->size(w->fs, w->keys[i], &size);
		if (rc == 0)
			rc = cat(w, c, w->keys[i], size);
	}
	return rc;
}

static int kvcat_start(struct mg_job *self, struct mg_console *c, struct mg_kv_ro *fs)
{
	struct walk w = { .env = self->env, .fs = fs };
	int rc = walk_dir(&w, "");

	if (rc == 0)
		rc = print(&w, c);
	for (size_t i = 0; i < w.n; i++)
		mg_free(w.env, w.keys[i]);
	mg_free(w.env, w.keys);
	mg_job_done(self, rc);
	return 0;
}

static const struct mg_slot kvcat_slots[] = {
	{ .name = "console", .type = MG_TYPE(CONSOLE, 0), .doc = "where the files go" },
	{ .name = "fs", .type = MG_TYPE(KV_RO, 0), .doc = "the store to print" },
};

MG_PLUGIN(.name = "kvcat", .version = "1.0",
	  .summary = "prints every value of a kv_ro store",
	  .provides = MG_TYPE(JOB, 0), .targets = MG_TARGET_ANY,
	  .slots = kvcat_slots, .nslots = MG_COUNTOF(kvcat_slots),
	  .start = (mg_start_fn)kvcat_start);
