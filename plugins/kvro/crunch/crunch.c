/* kvro.crunch - kv_ro over a table compiled into the plugin by mirage-crunch.
 * Portable: string functions and host services only. */
#include <string.h>

#include "crunch.h"

struct crunch {
	struct mg_kv_ro kv;
	const struct mg_env *env;
	const struct mg_crunch_table *table;
};

/* Finds a well-formed key by binary search over the sorted table. */
static int lookup(struct mg_kv_ro *kv, const char *key,
		  const struct mg_crunch_entry **out)
{
	const struct mg_crunch_table *t = mg_container_of(kv, struct crunch, kv)->table;
	uint32_t lo = 0, hi = t->count;
	int rc = mg_kv_key_check(key);

	if (rc < 0)
		return rc;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->entries[mid].key, key);

		if (c == 0) {
			*out = &t->entries[mid];
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

static int lookup_value(struct mg_kv_ro *kv, const char *key,
			const struct mg_crunch_entry **out)
{
	int rc = lookup(kv, key, out);

	return rc == 0 && (*out)->kind != MG_KV_VALUE ? -EISDIR : rc;
}

static int crunch_exists(struct mg_kv_ro *kv, const char *key, enum mg_kv_kind *kind)
{
	const struct mg_crunch_entry *e;
	int rc = lookup(kv, key, &e);

	if (rc == 0)
		*kind = e->kind;
	return rc;
}

static int crunch_get(struct mg_kv_ro *kv, const char *key, void *buf, size_t cap,
		      size_t *len)
{
	const struct mg_crunch_entry *e;
	int rc = lookup_value(kv, key, &e);

	if (rc < 0)
		return rc;
	*len = (size_t)e->size;
	if (e->size > cap)
		return -ENOSPC;
	memcpy(buf, e->data, (size_t)e->size);
	return 0;
}

static int crunch_get_partial(struct mg_kv_ro *kv, const char *key, uint64_t offset,
			      void *buf, size_t len, size_t *got)
{
	const struct mg_crunch_entry *e;
	int rc = lookup_value(kv, key, &e);

	if (rc < 0)
		return rc;
	*got = 0;
	if (offset < e->size) {
		*got = e->size - offset < len ? (size_t)(e->size - offset) : len;
		memcpy(buf, e->data + offset, *got);
	}
	return 0;
}

static int crunch_list(struct mg_kv_ro *kv, const char *key, mg_kv_list_cb cb,
		       void *arg)
{
	const struct mg_crunch_table *t = mg_container_of(kv, struct crunch, kv)->table;
	const struct mg_crunch_entry *e;
	int rc = lookup(kv, key, &e);

	if (rc < 0)
		return rc;
	if (e->kind != MG_KV_DICTIONARY)
		return -ENOTDIR;
	for (uint32_t i = 0; i < e->nchild && rc == 0; i++) {
		const struct mg_crunch_entry *c = &t->entries[t->children[e->child + i]];

		rc = cb(arg, c->name, c->kind);
	}
	return rc;
}

static int crunch_size(struct mg_kv_ro *kv, const char *key, uint64_t *size)
{
	const struct mg_crunch_entry *e;
	int rc = lookup_value(kv, key, &e);

	if (rc == 0)
		*size = e->size;
	return rc;
}

static int crunch_last_modified(struct mg_kv_ro *kv, const char *key, int64_t *ns)
{
	const struct mg_crunch_entry *e;
	int rc = lookup(kv, key, &e);

	if (rc == 0)
		*ns = e->mtime_ns;
	return rc;
}

static int crunch_digest(struct mg_kv_ro *kv, const char *key, char *buf, size_t cap)
{
	const struct mg_crunch_entry *e;
	int rc = lookup_value(kv, key, &e);
	size_t n;

	if (rc < 0)
		return rc;
	n = strlen(e->digest) + 1;
	if (n > cap)
		return -ENOSPC;
	memcpy(buf, e->digest, n);
	return 0;
}

static int crunch_stat(struct mg_kv_ro *kv, const char *key, struct mg_kv_stat *st)
{
	const struct mg_crunch_entry *e;
	int rc = lookup(kv, key, &e);

	if (rc < 0)
		return rc;
	*st = (struct mg_kv_stat){ .kind = e->kind, .size = e->size, .mtime_ns = e->mtime_ns };
	if (strlen(e->digest) >= sizeof st->digest)
		return -ENOSPC;
	strcpy(st->digest, e->digest);
	return 0;
}

/* The bytes are in memory: always at once. */
static int crunch_read(struct mg_kv_ro *kv, const char *key, uint64_t offset, void *buf,
		       size_t len, size_t *got, mg_kv_read_cb cb, void *arg)
{
	int rc = crunch_get_partial(kv, key, offset, buf, len, got);

	(void)cb, (void)arg;
	return rc < 0 ? rc : 1;
}

static void crunch_read_cancel(struct mg_kv_ro *kv, mg_kv_read_cb cb, void *arg)
{
	(void)kv, (void)cb, (void)arg; /* no read is ever in flight */
}

/* The table is part of the plugin's image, which stays loaded as long as
 * the program runs (a rebuilt plugin loads beside it): lending it costs
 * nothing, and a loan outlives a swapped-out store as it is. */
static void static_release(struct mg_loan *loan)
{
	(void)loan;
}

static const struct mg_loan static_loan = { static_release };

static int crunch_borrow(struct mg_kv_ro *kv, const char *key, uint64_t offset, size_t len,
			 struct mg_span *span, struct mg_loan **loan)
{
	const struct mg_crunch_entry *e;
	int rc = lookup_value(kv, key, &e);

	if (rc < 0)
		return rc;
	if (offset > e->size)
		offset = e->size;
	if (len > e->size - offset)
		len = (size_t)(e->size - offset);
	*span = (struct mg_span){ .data = e->data + offset, .len = len, .fd = -1 };
	*loan = (struct mg_loan *)&static_loan; /* release writes nothing */
	return 0;
}

static const struct mg_kv_ro_ops crunch_ops = {
	.hdr = MG_OPS_HDR(struct mg_kv_ro_ops, 1, 2),
	.exists = crunch_exists,
	.get = crunch_get,
	.get_partial = crunch_get_partial,
	.list = crunch_list,
	.size = crunch_size,
	.last_modified = crunch_last_modified,
	.digest = crunch_digest,
	.stat = crunch_stat,
	.read = crunch_read,
	.read_cancel = crunch_read_cancel,
	.borrow = crunch_borrow,
};

int mg_crunch_connect(const struct mg_env *env, struct mg_device **out)
{
	struct crunch *c = mg_zalloc(env, sizeof *c);

	if (!c)
		return -ENOMEM;
	c->kv.ops = &crunch_ops;
	c->env = env;
	c->table = env->plugin->data;
	*out = MG_DEVICE(&c->kv);
	return 0;
}

void mg_crunch_disconnect(struct mg_device *dev)
{
	struct crunch *c = mg_container_of(dev, struct crunch, kv);

	mg_free(c->env, c);
}
