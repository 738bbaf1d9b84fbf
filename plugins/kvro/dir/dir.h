/* dir.h - kvro.dir internals: the store (dir.c), its lookups below the
 * root (lookup.c) and its cache of open files (cache.c). */
#ifndef MIRAGE_KVRO_DIR_H
#define MIRAGE_KVRO_DIR_H

#include <limits.h>
#include <sys/stat.h>

#include "mirage/host.h"
#include "mirage/kv_ro.h"

/* A key's file or folder as a lookup found it.  Cached entries are shared:
 * refs counts the cache's hold (while in the table) and each loan of it
 * (a borrowed view), and the last one closes fd.  Plain malloc: a loan
 * may outlive the store (a swapped store is disconnected while the server
 * still sends what it lent). */
struct dir_entry {
	struct dir_entry *hnext;      /* in the hash chain */
	struct dir_entry *prev, *next; /* in the LRU list, newest first */
	unsigned refs;
	int fd;                       /* O_RDONLY for a value, -1 for a folder */
	enum mg_kv_kind kind;
	struct stat st;               /* taken after the watches were in place */
	struct mg_loan loan;          /* borrow's: releases one reference */
	void *data;                   /* a small file's bytes, read at once */
	uint32_t hash;
	char key[];
};

struct dir_cache {
	struct dir_entry **table;     /* nbuckets chains */
	size_t nbuckets;
	struct dir_entry *newest, *oldest;
	unsigned n, max;              /* entries, and at most (0: no cache) */
	int ifd;                      /* inotify, -1 without */
	struct mg_watch *watch;       /* ifd in the host's loop */
	unsigned watches;             /* inotify_add_watch calls since ifd was made */
	uint64_t drained_in;          /* host->turn + 1 of the last read of ifd */
};

struct kvdir {
	struct mg_kv_ro kv;
	const struct mg_env *env;
	int rootfd;
	char root[PATH_MAX]; /* its real path, "" for "/" */
	int lend_files;      /* borrow lends descriptors, not only memory */
	struct dir_cache cache;
};

/* lookup.c */
/* Opens key below the root and stats it.  `flags` is O_PATH for metadata
 * or O_RDONLY to read.  Entries that are neither files nor folders (fifos,
 * devices, sockets) do not exist for the store. */
int dir_lookup(struct kvdir *d, const char *key, int flags, int *fd, struct stat *st,
	       enum mg_kv_kind *kind);
/* The kind of a regular file or folder, else -ENOENT. */
int dir_kind(const struct stat *st, enum mg_kv_kind *kind);
/* Reads up to len bytes at off; *got < len only at the end of the file. */
int dir_read_at(int fd, void *buf, size_t len, uint64_t off, size_t *got);

/* cache.c */
/* Files up to this size are kept in memory too, so that a loan of one is
 * memory, sent in one writev with its headers. */
#define DIR_KEEP_BYTES 16384
/* max entries (0: none).  -errno when inotify is out of reach. */
int dir_cache_init(struct kvdir *d, unsigned max);
void dir_cache_fini(struct kvdir *d);
/* The cached entry of key (filled on a miss), one reference more for the
 * caller.  DIR_UNCACHED when the cache does not keep such keys (the path
 * has a symlink, the file cannot be opened for reading, no cache): the
 * caller then looks the key up itself.  -EINVAL, -ENOMEM. */
#define DIR_UNCACHED 1
int dir_cache_get(struct kvdir *d, const char *key, struct dir_entry **out);
void dir_entry_put(struct dir_entry *e);

#endif
