/* cache.c - kvro.dir's open files and their metadata, kept between
 * requests, so that a request costs no open, stat or close.
 *
 * Never stale: before a lookup is filled, inotify watches every folder on
 * the key's path (from the root) and then the file itself, and its stat is
 * taken after that; any event of any watch (a write, a truncate, a chmod,
 * a rename over the file or of a folder above it, a delete, a create)
 * empties the whole cache.  The inotify queue is read before a lookup,
 * once per callback of the loop (host->turn; before every lookup on an
 * older host): a change made before a request reached us is in the queue
 * by the time the callback that read the request looks up, even if the
 * loop would have run that callback before the queue's.  The loop also
 * watches it, so that a deleted file's descriptor closes soon.  Keys whose
 * path has a symlink are not cached (what to watch would be elsewhere).
 * Changes through a shared mapping of the file raise no event: as for any
 * cache of stat, they are seen at the next event. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dir.h"

#define WATCH_MASK (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | \
		    IN_DELETE_SELF | IN_MOVE_SELF | IN_MOVED_FROM | IN_MOVED_TO)
/* inotify watches stay after their entry leaves (a watch is per inode and
 * shared, so it is not removed one by one): past this many calls to add
 * one, the cache starts again from a fresh inotify instance. */
#define WATCHES_PER_ENTRY 16

static uint32_t hash_key(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

void dir_entry_put(struct dir_entry *e)
{
	if (--e->refs)
		return;
	if (e->fd >= 0)
		close(e->fd);
	free(e->data);
	free(e);
}

static void entry_release(struct mg_loan *loan)
{
	dir_entry_put(mg_container_of(loan, struct dir_entry, loan));
}

/* A small file's bytes into memory; without them (no memory, the file
 * changed meanwhile: its event empties the cache soon) it is read. */
static void keep_bytes(struct dir_entry *e)
{
	size_t size = (size_t)e->st.st_size, got;

	if (size == 0 || size > DIR_KEEP_BYTES || !(e->data = malloc(size)))
		return;
	if (dir_read_at(e->fd, e->data, size, 0, &got) < 0 || got != size) {
		free(e->data);
		e->data = NULL;
	}
}

static void lru_unlink(struct dir_cache *c, struct dir_entry *e)
{
	*(e->prev ? &e->prev->next : &c->newest) = e->next;
	*(e->next ? &e->next->prev : &c->oldest) = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct dir_cache *c, struct dir_entry *e)
{
	e->next = c->newest;
	*(c->newest ? &c->newest->prev : &c->oldest) = e;
	c->newest = e;
}

/* e leaves the cache; a loan of it keeps it open until returned. */
static void evict(struct dir_cache *c, struct dir_entry *e)
{
	struct dir_entry **p = &c->table[e->hash & (c->nbuckets - 1)];

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	lru_unlink(c, e);
	c->n--;
	dir_entry_put(e);
}

static void flush(struct dir_cache *c)
{
	while (c->oldest)
		evict(c, c->oldest);
}

/* Reads what inotify queued; any event empties the cache.  0, or -EIO when
 * the queue cannot be read (the cache is then off). */
static int drain(struct kvdir *d)
{
	struct dir_cache *c = &d->cache;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int changed = 0;
	ssize_t n;

	/* once per callback (a stat and a borrow for one request: one read) */
	if (MG_OPS_HAS(d->env->host, turn)) {
		uint64_t in = d->env->host->turn() + 1;

		if (in == c->drained_in)
			return 0;
		c->drained_in = in;
	}
	while ((n = read(c->ifd, buf, sizeof buf)) > 0)
		changed = 1;
	if (changed)
		flush(c);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		mg_log(d->env, MG_LOG_ERROR, "inotify: %s; the cache is off", strerror(errno));
		flush(c);
		c->max = 0;
		return -EIO;
	}
	return 0;
}

static void on_inotify(void *arg, unsigned events)
{
	(void)events;
	drain(arg);
}

static void inotify_close(struct kvdir *d)
{
	struct dir_cache *c = &d->cache;

	if (c->watch)
		d->env->host->fd_unwatch(c->watch);
	if (c->ifd >= 0)
		close(c->ifd);
	c->watch = NULL;
	c->ifd = -1;
}

/* A fresh inotify instance, in the loop when the host has fds. */
static int inotify_open(struct kvdir *d)
{
	struct dir_cache *c = &d->cache;

	c->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (c->ifd < 0)
		return -errno;
	c->watches = 0;
	if (d->env->host->fd_watch(d->env, c->ifd, MG_EV_READ, on_inotify, d, &c->watch) < 0)
		c->watch = NULL; /* read before every lookup all the same */
	return 0;
}

int dir_cache_init(struct kvdir *d, unsigned max)
{
	struct dir_cache *c = &d->cache;

	*c = (struct dir_cache){ .ifd = -1, .max = max };
	if (!max)
		return 0;
	for (c->nbuckets = 16; c->nbuckets < 2 * (size_t)max; c->nbuckets *= 2)
		;
	c->table = mg_zalloc(d->env, c->nbuckets * sizeof *c->table);
	if (!c->table)
		return -ENOMEM;
	return inotify_open(d);
}

void dir_cache_fini(struct kvdir *d)
{
	if (d->cache.table)
		flush(&d->cache);
	inotify_close(d);
	mg_free(d->env, d->cache.table);
}

/* Watches path (below /proc/self/fd/: the root's descriptor, or an open
 * file's), a folder when dir is set.  -errno. */
static int watch(struct kvdir *d, const char *path, int dir)
{
	d->cache.watches++;
	return inotify_add_watch(d->cache.ifd, path,
				 WATCH_MASK | (dir ? IN_ONLYDIR | IN_DONT_FOLLOW : 0)) < 0 ? -errno : 0;
}

/* Watches the root and every folder of key's path but its last segment. */
static int watch_path(struct kvdir *d, const char *key)
{
	char path[PATH_MAX + 32];
	int n = snprintf(path, sizeof path, "/proc/self/fd/%d/", d->rootfd), rc;
	const char *slash;

	if (n < 0 || strlen(key) >= sizeof path - (size_t)n)
		return -ENAMETOOLONG;
	rc = watch(d, path, 1);
	for (const char *seg = key; rc == 0 && (slash = strchr(seg, '/')); seg = slash + 1) {
		memcpy(path + n, key, (size_t)(slash - key));
		path[n + (slash - key)] = '\0';
		rc = watch(d, path, 1);
	}
	return rc;
}

/* Opens key for the cache: no symlink on the way, watched before its stat. */
static int fill(struct kvdir *d, const char *key, uint32_t hash, struct dir_entry **out)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	size_t len = strlen(key);
	struct dir_entry *e;
	char self[32];
	int rc = watch_path(d, key);

	if (rc < 0)
		return DIR_UNCACHED; /* the lookup says why */
	e = malloc(sizeof *e + len + 1);
	if (!e)
		return -ENOMEM;
	*e = (struct dir_entry){ .refs = 1, .hash = hash, .loan = { entry_release } };
	memcpy(e->key, key, len + 1);
	e->fd = (int)syscall(SYS_openat2, d->rootfd, *key ? key : ".", &how, sizeof how);
	snprintf(self, sizeof self, "/proc/self/fd/%d", e->fd);
	if (e->fd < 0 || watch(d, self, 0) < 0 || fstat(e->fd, &e->st) < 0 ||
	    dir_kind(&e->st, &e->kind) < 0) {
		dir_entry_put(e); /* closes fd */
		return DIR_UNCACHED;
	}
	if (e->kind == MG_KV_DICTIONARY) {
		close(e->fd);
		e->fd = -1;
	} else {
		keep_bytes(e);
	}
	*out = e;
	return 0;
}

int dir_cache_get(struct kvdir *d, const char *key, struct dir_entry **out)
{
	struct dir_cache *c = &d->cache;
	uint32_t hash;
	struct dir_entry *e;
	int rc = mg_kv_key_check(key);

	if (rc < 0)
		return rc;
	if (!c->max || drain(d) < 0)
		return DIR_UNCACHED;
	hash = hash_key(key);
	for (e = c->table[hash & (c->nbuckets - 1)]; e; e = e->hnext) {
		if (e->hash == hash && strcmp(e->key, key) == 0) {
			lru_unlink(c, e);
			lru_push(c, e);
			e->refs++;
			*out = e;
			return 0;
		}
	}
	if (c->watches > WATCHES_PER_ENTRY * c->max) {
		flush(c);
		inotify_close(d);
		if (inotify_open(d) < 0) {
			c->max = 0;
			return DIR_UNCACHED;
		}
	}
	rc = fill(d, key, hash, &e);
	if (rc != 0)
		return rc;
	if (c->n == c->max)
		evict(c, c->oldest);
	e->hnext = c->table[hash & (c->nbuckets - 1)];
	c->table[hash & (c->nbuckets - 1)] = e;
	lru_push(c, e);
	c->n++;
	e->refs++;
	*out = e;
	return 0;
}
