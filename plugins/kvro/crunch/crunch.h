/* crunch.h - the table mirage-crunch generates and kvro.crunch serves.
 * The generated file defines the table and the descriptor; crunch.c has
 * the ops, shared by every crunched plugin. */
#ifndef MIRAGE_KVRO_CRUNCH_H
#define MIRAGE_KVRO_CRUNCH_H

#include "mirage/host.h"
#include "mirage/kv_ro.h"

struct mg_crunch_entry {
	const char *key;  /* full key; the table is sorted by it (strcmp) */
	const char *name; /* last segment, what list reports ("" for the root) */
	enum mg_kv_kind kind;
	const unsigned char *data; /* value bytes */
	uint64_t size;
	int64_t mtime_ns;
	const char *digest; /* lowercase hex SHA-256 of data; "" for a dictionary */
	/* Dictionary: its entries are children[child .. child + nchild), in
	 * name order. */
	uint32_t child, nchild;
};

struct mg_crunch_table {
	const struct mg_crunch_entry *entries; /* entries[0] is the root "" */
	uint32_t count;
	const uint32_t *children; /* indices into entries */
};

/* The descriptor's hooks: serve the table in env->plugin->data. */
int mg_crunch_connect(const struct mg_env *env, struct mg_device **out);
void mg_crunch_disconnect(struct mg_device *dev);

#endif
