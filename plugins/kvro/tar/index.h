/* index.h - the members of an archive as a kv_ro tree: collected in
 * archive order while the headers are read (in blocks of a fixed size, so
 * that no step copies the whole index to grow it), then gathered into
 * one array and sorted by key once, with the folders that names imply and
 * each folder's entries in name order. */
#ifndef MIRAGE_KVRO_TAR_INDEX_H
#define MIRAGE_KVRO_TAR_INDEX_H

#include "mirage/host.h"
#include "mirage/kv_ro.h"

struct tar_entry {
	char *key;           /* "" for the root */
	const char *name;    /* its last segment, in key */
	enum mg_kv_kind kind;
	int implied;         /* a folder no header names */
	uint64_t hdr;        /* the header's byte offset on the disk */
	uint64_t data, size; /* where the value's bytes are, and how many */
	int64_t mtime_ns;
	uint32_t seq;        /* archive order: a later member replaces */
	uint32_t parent;     /* its folder's entry */
	uint32_t kids, nkids; /* a folder's entries: index.kids[kids ..] */
	unsigned char *cache; /* the value's bytes once read, when kept (tar_index_hold) */
};

/* Where tar_index_finish is: it works in steps of bounded time. */
enum tar_stage { TAR_COLLECT, TAR_GATHER, TAR_SORT, TAR_DEDUPE, TAR_LINK, TAR_PLACE, TAR_FILL,
		 TAR_DONE };

#define TAR_BLOCK_ENTRIES 256

/* Entries as they are collected. */
struct tar_block {
	struct tar_block *next;
	uint32_t n;
	struct tar_entry e[TAR_BLOCK_ENTRIES];
};

/* Memory that lives as long as the index: keys and kept values, freed
 * with it a chunk at a time, so that letting go of a big index is a few
 * frees, not one per key. */
struct tar_chunk {
	struct tar_chunk *next;
	size_t used, cap;
	unsigned char b[];
};

struct tar_index {
	const struct mg_env *env;
	struct tar_chunk *chunks;
	struct tar_block *blocks, *tail; /* until gathered into v */
	struct tar_entry *v;
	uint32_t n;
	uint32_t *kids;
	/* the last key added, whose folders are already candidates */
	const char *last;
	/* finishing: the blocks gathered into v (the next at `blocks`, v's
	 * first k filled), a bottom-up merge sort into tmp, then walks at k */
	enum tar_stage stage;
	struct tar_entry *tmp;
	uint32_t width, lo, mid, hi, p, q, o, k, kept;
	int merging;
};

void tar_index_init(struct tar_index *x, const struct mg_env *env);
void tar_index_free(struct tar_index *x);
/* Adds a member (key as tar_name_key made it), and a candidate for each
 * folder above it.  -ENOMEM. */
int tar_index_add(struct tar_index *x, const char *key, enum mg_kv_kind kind, uint64_t hdr,
		  uint64_t data, uint64_t size, int64_t mtime);
/* Sorts, keeps the last member of each key, links folders to their
 * entries, working until the host's clock passes `until` (ns): 1 when
 * there is more to do (call again, from a later callback), 0 when done,
 * -EINVAL (a member under a name that is a value; why in why) or
 * -ENOMEM. */
int tar_index_finish(struct tar_index *x, uint64_t until, char *why, size_t cap);
/* size bytes that live as long as the index, or NULL. */
void *tar_index_hold(struct tar_index *x, size_t size);
/* The entry of a well-formed key, or NULL. */
const struct tar_entry *tar_index_find(const struct tar_index *x, const char *key);

#endif
