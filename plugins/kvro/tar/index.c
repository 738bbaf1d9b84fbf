/* index.c - see index.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

void tar_index_init(struct tar_index *x, const struct mg_env *env)
{
	*x = (struct tar_index){ .env = env };
}

void tar_index_free(struct tar_index *x)
{
	for (uint32_t i = 0; i < x->n; i++)
		mg_free(x->env, x->v[i].key);
	mg_free(x->env, x->v);
	mg_free(x->env, x->kids);
	mg_free(x->env, x->last);
	tar_index_init(x, x->env);
}

static char *dup_n(const struct mg_env *env, const char *s, size_t n)
{
	char *d = mg_alloc(env, n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int push(struct tar_index *x, const char *key, size_t len, const struct tar_entry *e)
{
	struct tar_entry *v = x->v;

	if (x->n == x->cap) {
		uint32_t cap = x->cap ? 2 * x->cap : 256;

		v = mg_alloc(x->env, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		if (x->n)
			memcpy(v, x->v, x->n * sizeof *v);
		mg_free(x->env, x->v);
		x->v = v;
		x->cap = cap;
	}
	v[x->n] = *e;
	v[x->n].key = dup_n(x->env, key, len);
	if (!v[x->n].key)
		return -ENOMEM;
	x->n++;
	return 0;
}

int tar_index_add(struct tar_index *x, const char *key, enum mg_kv_kind kind, uint64_t hdr,
		  uint64_t data, uint64_t size, int64_t mtime)
{
	struct tar_entry e = { .kind = kind, .hdr = hdr, .data = data, .size = size,
			       .mtime_ns = mtime * 1000000000, .seq = x->n + 1 };
	struct tar_entry dir = { .kind = MG_KV_DICTIONARY, .implied = 1 };
	size_t len = strlen(key), shared = 0;
	int rc;

	/* Folders above the key, but not the ones the last key had: the
	 * members of a folder come together, so few repeat. */
	if (x->last)
		while (x->last[shared] && x->last[shared] == key[shared])
			shared++;
	else if ((rc = push(x, "", 0, &dir)) < 0)
		return rc;
	for (size_t i = 0; i < len; i++) {
		if (key[i] != '/' || i < shared || (i == shared && x->last && !x->last[i]))
			continue;
		rc = push(x, key, i, &dir);
		if (rc < 0)
			return rc;
	}
	mg_free(x->env, x->last);
	x->last = dup_n(x->env, key, len);
	if (!x->last)
		return -ENOMEM;
	return push(x, key, len, &e);
}

/* By key; of equal keys the one to keep (a member over an implied
 * folder, a later member over an earlier one) comes last. */
static int by_key(const void *a, const void *b)
{
	const struct tar_entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	if (x->implied != y->implied)
		return x->implied ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The entry whose key is the first len bytes of key, or NULL. */
static struct tar_entry *find_n(const struct tar_index *x, const char *key, size_t len)
{
	uint32_t lo = 0, hi = x->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const char *k = x->v[mid].key;
		int c = strncmp(k, key, len);

		if (c == 0 && k[len])
			c = 1; /* longer: after the prefix */
		if (c == 0)
			return &x->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct tar_entry *tar_index_find(const struct tar_index *x, const char *key)
{
	return find_n(x, key, strlen(key));
}

/* The entry of key's folder (the root for a top-level key). */
static struct tar_entry *parent_of(struct tar_index *x, const char *key)
{
	const char *slash = strrchr(key, '/');

	return slash ? find_n(x, key, (size_t)(slash - key)) : &x->v[0];
}

int tar_index_finish(struct tar_index *x, char *why, size_t cap)
{
	uint32_t kept = 0, *fill;

	if (!x->n) {
		struct tar_entry root = { .kind = MG_KV_DICTIONARY, .implied = 1 };

		if (push(x, "", 0, &root) < 0)
			return -ENOMEM;
	}
	qsort(x->v, x->n, sizeof *x->v, by_key);
	for (uint32_t i = 0; i < x->n; i++) {
		if (i + 1 < x->n && !strcmp(x->v[i].key, x->v[i + 1].key)) {
			mg_free(x->env, x->v[i].key);
			continue;
		}
		x->v[kept++] = x->v[i];
	}
	x->n = kept;
	if (x->v[0].key[0] || x->v[0].kind != MG_KV_DICTIONARY) {
		snprintf(why, cap, "the archive's root is no folder");
		return -EINVAL;
	}
	x->kids = mg_alloc(x->env, (x->n + 1) * sizeof *x->kids);
	fill = mg_zalloc(x->env, (x->n + 1) * sizeof *fill);
	if (!x->kids || !fill) {
		mg_free(x->env, fill);
		return -ENOMEM;
	}
	/* count each folder's entries, then place them in key order */
	for (uint32_t i = 0; i < x->n; i++) {
		struct tar_entry *e = &x->v[i], *p = i ? parent_of(x, e->key) : NULL;
		const char *slash = strrchr(e->key, '/');

		e->name = slash ? slash + 1 : e->key;
		e->kids = e->nkids = 0;
		if (p && p->kind != MG_KV_DICTIONARY) {
			snprintf(why, cap, "archive member at offset %llu (%.200s): it is inside %.200s, which is a file",
				 (unsigned long long)e->hdr, e->key, p->key);
			mg_free(x->env, fill);
			return -EINVAL;
		}
		if (p)
			p->nkids++;
	}
	for (uint32_t i = 0, at = 0; i < x->n; i++) {
		x->v[i].kids = at;
		at += x->v[i].nkids;
	}
	for (uint32_t i = 1; i < x->n; i++) {
		struct tar_entry *p = parent_of(x, x->v[i].key);
		uint32_t pi = (uint32_t)(p - x->v);

		x->kids[p->kids + fill[pi]++] = i;
	}
	mg_free(x->env, fill);
	return 0;
}
