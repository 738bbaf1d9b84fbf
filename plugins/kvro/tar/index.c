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
	while (x->chunks) {
		struct tar_chunk *c = x->chunks;

		x->chunks = c->next;
		mg_free(x->env, c);
	}
	while (x->blocks) {
		struct tar_block *b = x->blocks;

		x->blocks = b->next;
		mg_free(x->env, b);
	}
	mg_free(x->env, x->v);
	mg_free(x->env, x->kids);
	mg_free(x->env, x->tmp);
	tar_index_init(x, x->env);
}

/* Chunks of this size, or one of its own for more than a quarter of it
 * (the current chunk then goes on filling). */
#define TAR_CHUNK (64u << 10)

void *tar_index_hold(struct tar_index *x, size_t size)
{
	struct tar_chunk *c = x->chunks;

	if (!c || c->cap - c->used < size) {
		int own = size > TAR_CHUNK / 4;

		c = mg_alloc(x->env, sizeof *c + (own ? size : TAR_CHUNK));
		if (!c)
			return NULL;
		*c = (struct tar_chunk){ .cap = own ? size : TAR_CHUNK };
		if (own && x->chunks) {
			c->next = x->chunks->next;
			x->chunks->next = c;
		} else {
			c->next = x->chunks;
			x->chunks = c;
		}
	}
	c->used += size;
	return c->b + c->used - size;
}

static char *dup_n(struct tar_index *x, const char *s, size_t n)
{
	char *d = tar_index_hold(x, n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int push(struct tar_index *x, const char *key, size_t len, const struct tar_entry *e)
{
	struct tar_block *b = x->tail;

	if (!b || b->n == TAR_BLOCK_ENTRIES) {
		b = mg_alloc(x->env, sizeof *b);
		if (!b)
			return -ENOMEM;
		b->next = NULL;
		b->n = 0;
		if (x->tail)
			x->tail->next = b;
		else
			x->blocks = b;
		x->tail = b;
	}
	b->e[b->n] = *e;
	b->e[b->n].key = dup_n(x, key, len);
	if (!b->e[b->n].key)
		return -ENOMEM;
	b->n++;
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
	rc = push(x, key, len, &e);
	if (rc == 0)
		x->last = x->tail->e[x->tail->n - 1].key;
	return rc;
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

/* The entry of key's folder (the root for a top-level key); every
 * folder above a key has an entry. */
static struct tar_entry *parent_of(struct tar_index *x, const char *key)
{
	const char *slash = strrchr(key, '/');

	return slash ? find_n(x, key, (size_t)(slash - key)) : &x->v[0];
}

/* Has the step's time run out?  Asked every 16 operations. */
static int spent(struct tar_index *x, unsigned *ops, uint64_t until)
{
	return (++*ops & 15) == 0 && x->env->host->now_ns() >= until;
}

/* One pass after another of a bottom-up merge sort, from v into tmp and
 * back, each merge resumable; 1 while not sorted. */
static int sort_some(struct tar_index *x, uint64_t until)
{
	unsigned ops = 0;

	while (x->width < x->n) {
		if (!x->merging) {
			x->mid = x->lo + x->width < x->n ? x->lo + x->width : x->n;
			x->hi = x->mid + x->width < x->n ? x->mid + x->width : x->n;
			x->p = x->o = x->lo;
			x->q = x->mid;
			x->merging = 1;
		}
		while (x->o < x->hi) {
			if (x->p < x->mid && (x->q >= x->hi || by_key(&x->v[x->p], &x->v[x->q]) <= 0))
				x->tmp[x->o++] = x->v[x->p++];
			else
				x->tmp[x->o++] = x->v[x->q++];
			if (spent(x, &ops, until))
				return 1;
		}
		x->merging = 0;
		x->lo = x->hi;
		if (x->lo >= x->n) { /* a pass is done: the runs doubled */
			struct tar_entry *t = x->v;

			x->v = x->tmp;
			x->tmp = t;
			x->width *= 2;
			x->lo = 0;
		}
	}
	return 0;
}

int tar_index_finish(struct tar_index *x, uint64_t until, char *why, size_t cap)
{
	unsigned ops = 0;

	switch (x->stage) {
	case TAR_COLLECT:
		if (!x->n) {
			struct tar_entry root = { .kind = MG_KV_DICTIONARY, .implied = 1 };

			if (push(x, "", 0, &root) < 0)
				return -ENOMEM;
		}
		x->v = mg_alloc(x->env, x->n * sizeof *x->v);
		x->tmp = mg_alloc(x->env, x->n * sizeof *x->tmp);
		if (!x->v || !x->tmp)
			return -ENOMEM;
		x->k = 0;
		x->stage = TAR_GATHER;
		/* fall through */
	case TAR_GATHER:
		/* a block at a time, a few microseconds each; one at least */
		for (int first = 1; x->blocks; first = 0) {
			struct tar_block *b = x->blocks;

			if (!first && x->env->host->now_ns() >= until)
				return 1;
			memcpy(x->v + x->k, b->e, b->n * sizeof *b->e);
			x->k += b->n;
			x->blocks = b->next;
			mg_free(x->env, b);
		}
		x->tail = NULL;
		x->width = 1;
		x->stage = TAR_SORT;
		/* fall through */
	case TAR_SORT:
		if (sort_some(x, until))
			return 1;
		x->stage = TAR_DEDUPE;
		x->k = x->kept = 0;
		/* fall through */
	case TAR_DEDUPE:
		for (; x->k < x->n; x->k++) {
			if (spent(x, &ops, until))
				return 1;
			if (x->k + 1 >= x->n || strcmp(x->v[x->k].key, x->v[x->k + 1].key))
				x->v[x->kept++] = x->v[x->k];
		}
		x->n = x->kept;
		if (x->v[0].key[0] || x->v[0].kind != MG_KV_DICTIONARY) {
			snprintf(why, cap, "the archive's root is no folder");
			return -EINVAL;
		}
		x->v[0].name = x->v[0].key;
		x->stage = TAR_LINK;
		x->k = 1;
		/* fall through */
	case TAR_LINK:
		/* each entry's folder, counting the folders' entries */
		for (; x->k < x->n; x->k++) {
			struct tar_entry *e = &x->v[x->k], *p;
			const char *slash = strrchr(e->key, '/');

			if (spent(x, &ops, until))
				return 1;
			p = parent_of(x, e->key);
			e->name = slash ? slash + 1 : e->key;
			if (!p || p->kind != MG_KV_DICTIONARY) {
				snprintf(why, cap, "archive member at offset %llu (%.200s): it is inside %.200s, which is a file",
					 (unsigned long long)e->hdr, e->key, p ? p->key : "?");
				return -EINVAL;
			}
			e->parent = (uint32_t)(p - x->v);
			p->nkids++;
		}
		x->kids = mg_alloc(x->env, (x->n + 1) * sizeof *x->kids);
		if (!x->kids)
			return -ENOMEM;
		x->stage = TAR_PLACE;
		x->k = x->o = 0;
		/* fall through */
	case TAR_PLACE:
		/* each folder's run in kids, in key order: walks without lookups */
		for (; x->k < x->n; x->k++) {
			if (spent(x, &ops, until))
				return 1;
			x->v[x->k].kids = x->o;
			x->o += x->v[x->k].nkids;
			x->v[x->k].nkids = 0;
		}
		x->stage = TAR_FILL;
		x->k = 1;
		/* fall through */
	case TAR_FILL:
		for (; x->k < x->n; x->k++) {
			struct tar_entry *p = &x->v[x->v[x->k].parent];

			if (spent(x, &ops, until))
				return 1;
			x->kids[p->kids + p->nkids++] = x->k;
		}
		mg_free(x->env, x->tmp);
		x->tmp = NULL;
		x->stage = TAR_DONE;
		/* fall through */
	case TAR_DONE:
		break;
	}
	return 0;
}
