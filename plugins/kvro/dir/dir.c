/* kvro.dir - kv_ro serving a directory: its ops, over lookups below the
 * root (lookup.c) that a cache of open files answers first (cache.c). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dir.h"

enum { P_ROOT, P_CACHE, P_LEND_FILES };

static struct kvdir *kvdir_of(struct mg_kv_ro *kv)
{
	return mg_container_of(kv, struct kvdir, kv);
}

/* What an op works on: a cached entry, or a lookup of the op's own. */
struct found {
	struct dir_entry *e;   /* NULL: fd is the op's to close */
	int fd;
	const struct stat *st;
	enum mg_kv_kind kind;
	struct stat own;
};

/* key's entry; `flags` as dir_lookup's when the cache does not keep it. */
static int find(struct kvdir *d, const char *key, int flags, struct found *f)
{
	int rc = dir_cache_get(d, key, &f->e);

	if (rc == 0) {
		f->fd = f->e->fd;
		f->st = &f->e->st;
		f->kind = f->e->kind;
		return 0;
	}
	if (rc != DIR_UNCACHED)
		return rc;
	f->e = NULL;
	f->st = &f->own;
	return dir_lookup(d, key, flags, &f->fd, &f->own, &f->kind);
}

static void found_done(struct found *f)
{
	if (f->e)
		dir_entry_put(f->e);
	else
		close(f->fd);
}

/* find for ops that want a value: -EISDIR for a folder. */
static int find_value(struct kvdir *d, const char *key, int flags, struct found *f)
{
	int rc = find(d, key, flags, f);

	if (rc == 0 && f->kind != MG_KV_VALUE) {
		found_done(f);
		rc = -EISDIR;
	}
	return rc;
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int kvdir_exists(struct mg_kv_ro *kv, const char *key, enum mg_kv_kind *kind)
{
	struct found f;
	int rc = find(kvdir_of(kv), key, O_PATH, &f);

	if (rc == 0) {
		*kind = f.kind;
		found_done(&f);
	}
	return rc;
}

static int kvdir_get(struct mg_kv_ro *kv, const char *key, void *buf, size_t cap,
		     size_t *len)
{
	struct found f;
	int rc = find_value(kvdir_of(kv), key, O_RDONLY, &f);

	if (rc < 0)
		return rc;
	if ((uint64_t)f.st->st_size > cap) {
		*len = (size_t)f.st->st_size;
		rc = -ENOSPC;
	} else {
		rc = dir_read_at(f.fd, buf, (size_t)f.st->st_size, 0, len);
	}
	found_done(&f);
	return rc;
}

static int kvdir_get_partial(struct mg_kv_ro *kv, const char *key, uint64_t offset,
			     void *buf, size_t len, size_t *got)
{
	struct found f;
	int rc = find_value(kvdir_of(kv), key, O_RDONLY, &f);

	if (rc < 0)
		return rc;
	if (offset >= (uint64_t)f.st->st_size)
		*got = 0; /* pread wants an off_t: offsets past the end stop here */
	else
		rc = dir_read_at(f.fd, buf, len, offset, got);
	found_done(&f);
	return rc;
}

static int skip_dots(const struct dirent *e)
{
	return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Kind of entry `name` of folder dirfd (key `dir`); -ENOENT when the store
 * does not show it.  A symlink is looked up again from the root so that one
 * leaving the root is hidden like any other unreachable key. */
static int entry_kind(struct kvdir *d, int dirfd, const char *dir,
		      const char *name, enum mg_kv_kind *kind)
{
	char key[PATH_MAX];
	struct stat st;
	int n;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		*kind = S_ISREG(st.st_mode) ? MG_KV_VALUE : MG_KV_DICTIONARY;
		return 0;
	}
	if (!S_ISLNK(st.st_mode))
		return -ENOENT;
	n = snprintf(key, sizeof key, "%s%s%s", dir, *dir ? "/" : "", name);
	if (n < 0 || (size_t)n >= sizeof key)
		return -ENAMETOOLONG;
	return kvdir_exists(&d->kv, key, kind);
}

static int kvdir_list(struct mg_kv_ro *kv, const char *key, mg_kv_list_cb cb,
		      void *arg)
{
	struct kvdir *d = kvdir_of(kv);
	struct dirent **names;
	enum mg_kv_kind kind;
	struct stat st;
	int fd, n, rc = dir_lookup(d, key, O_RDONLY, &fd, &st, &kind);

	if (rc < 0)
		return rc;
	if (kind != MG_KV_DICTIONARY) {
		close(fd);
		return -ENOTDIR;
	}
	n = scandirat(fd, ".", &names, skip_dots, byte_order);
	if (n < 0)
		rc = -errno;
	for (int i = 0; i < n; i++) {
		if (rc == 0 && entry_kind(d, fd, key, names[i]->d_name, &kind) == 0)
			rc = cb(arg, names[i]->d_name, kind);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	close(fd);
	return rc;
}

static int kvdir_size(struct mg_kv_ro *kv, const char *key, uint64_t *size)
{
	struct found f;
	int rc = find_value(kvdir_of(kv), key, O_PATH, &f);

	if (rc < 0)
		return rc;
	*size = (uint64_t)f.st->st_size;
	found_done(&f);
	return 0;
}

static int kvdir_last_modified(struct mg_kv_ro *kv, const char *key, int64_t *ns)
{
	struct found f;
	int rc = find(kvdir_of(kv), key, O_PATH, &f);

	if (rc < 0)
		return rc;
	*ns = ns_of(&f.st->st_mtim);
	found_done(&f);
	return 0;
}

/* Like nginx's ETag, it changes with the file's identity, size or mtime;
 * and with its ctime, which nobody can set back: a file rewritten to the
 * same size and given its old mtime again gets a new one too. */
static int digest_of(const struct stat *st, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%" PRIx64 "-%" PRIx64 "-%" PRIx64 "-%" PRIx64,
			 (uint64_t)st->st_ino, (uint64_t)st->st_size,
			 (uint64_t)ns_of(&st->st_mtim), (uint64_t)ns_of(&st->st_ctim));

	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

static int kvdir_digest(struct mg_kv_ro *kv, const char *key, char *buf, size_t cap)
{
	struct found f;
	int rc = find_value(kvdir_of(kv), key, O_PATH, &f);

	if (rc < 0)
		return rc;
	rc = digest_of(f.st, buf, cap);
	found_done(&f);
	return rc;
}

/* One lookup for all four answers: none at all when cached. */
static int kvdir_stat(struct mg_kv_ro *kv, const char *key, struct mg_kv_stat *out)
{
	struct found f;
	int rc = find(kvdir_of(kv), key, O_PATH, &f);

	if (rc < 0)
		return rc;
	*out = (struct mg_kv_stat){ .kind = f.kind, .mtime_ns = ns_of(&f.st->st_mtim) };
	if (f.kind == MG_KV_VALUE) {
		out->size = (uint64_t)f.st->st_size;
		rc = digest_of(f.st, out->digest, sizeof out->digest);
	}
	found_done(&f);
	return rc;
}

/* A local file system: pread answers at once (from the page cache, or
 * after the disk, as get_partial does). */
static int kvdir_read(struct mg_kv_ro *kv, const char *key, uint64_t offset, void *buf,
		      size_t len, size_t *got, mg_kv_read_cb cb, void *arg)
{
	int rc = kvdir_get_partial(kv, key, offset, buf, len, got);

	(void)cb, (void)arg;
	return rc < 0 ? rc : 1;
}

static void kvdir_read_cancel(struct mg_kv_ro *kv, mg_kv_read_cb cb, void *arg)
{
	(void)kv, (void)cb, (void)arg; /* no read is ever in flight */
}

/* A cached file lends its bytes (a small one) or, with lend_files, its
 * descriptor, opened before the loan: renamed over or deleted, it keeps the
 * old bytes.  A socket sends it with sendfile, so the kernel holds the
 * page cache's pages until the peer has them: a file truncated or written
 * in place meanwhile may go out torn (zeros from the truncation on), as
 * with nginx.  Without lend_files the bytes are read (copied), and a
 * truncated file ends the download short.  A key the cache does not keep
 * is read too. */
static int kvdir_borrow(struct mg_kv_ro *kv, const char *key, uint64_t offset, size_t len,
			struct mg_span *span, struct mg_loan **loan)
{
	struct dir_entry *e;
	uint64_t size;
	int rc = dir_cache_get(kvdir_of(kv), key, &e);

	if (rc == DIR_UNCACHED)
		return -EOPNOTSUPP;
	if (rc < 0)
		return rc;
	rc = e->kind != MG_KV_VALUE ? -EISDIR : !e->data && !kvdir_of(kv)->lend_files ? -EOPNOTSUPP : 0;
	if (rc < 0) {
		dir_entry_put(e);
		return rc;
	}
	size = (uint64_t)e->st.st_size;
	if (offset > size)
		offset = size;
	if (len > size - offset)
		len = (size_t)(size - offset);
	*span = e->data ? (struct mg_span){ .data = (char *)e->data + offset, .len = len, .fd = -1 }
			: (struct mg_span){ .len = len, .fd = e->fd, .off = offset };
	*loan = &e->loan; /* the reference dir_cache_get took */
	return 0;
}

static const struct mg_kv_ro_ops kvdir_ops = {
	.hdr = MG_OPS_HDR(struct mg_kv_ro_ops, 1, 2),
	.exists = kvdir_exists,
	.get = kvdir_get,
	.get_partial = kvdir_get_partial,
	.list = kvdir_list,
	.size = kvdir_size,
	.last_modified = kvdir_last_modified,
	.digest = kvdir_digest,
	.stat = kvdir_stat,
	.read = kvdir_read,
	.read_cancel = kvdir_read_cancel,
	.borrow = kvdir_borrow,
};

static int kvdir_connect(const struct mg_env *env, struct mg_device **out)
{
	const char *root = env->params[P_ROOT].s;
	struct kvdir *d;
	int rc;

	d = mg_zalloc(env, sizeof *d);
	if (!d)
		return -ENOMEM;
	d->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->rootfd < 0 || !realpath(root, d->root)) {
		rc = -errno;
		mg_log(env, MG_LOG_ERROR, "cannot open root folder %s: %s", root,
		       strerror(errno));
		if (d->rootfd >= 0)
			close(d->rootfd);
		mg_free(env, d);
		return rc;
	}
	if (strcmp(d->root, "/") == 0)
		d->root[0] = '\0';
	d->kv.ops = &kvdir_ops;
	d->env = env;
	d->lend_files = env->params[P_LEND_FILES].b;
	rc = dir_cache_init(d, (unsigned)env->params[P_CACHE].i);
	if (rc < 0) {
		mg_log(env, MG_LOG_ERROR, "cannot set up the cache: %s", strerror(-rc));
		dir_cache_fini(d);
		close(d->rootfd);
		mg_free(env, d);
		return rc;
	}
	*out = MG_DEVICE(&d->kv);
	return 0;
}

static void kvdir_disconnect(struct mg_device *dev)
{
	struct kvdir *d = mg_container_of(dev, struct kvdir, kv);

	dir_cache_fini(d);
	close(d->rootfd);
	mg_free(d->env, d);
}

static const struct mg_param kvdir_params[] = {
	[P_ROOT] = { .name = "root", .type = MG_PARAM_PATH, .def = NULL,
		     .doc = "folder to serve; keys are paths below it" },
	[P_CACHE] = { .name = "cache", .type = MG_PARAM_INT, .def = "256", .min = 0, .max = 65536,
		      .doc = "files and folders kept open with their metadata, revalidated by inotify "
			     "(each file holds a descriptor); 0: none" },
	[P_LEND_FILES] = { .name = "lend_files", .type = MG_PARAM_BOOL, .def = "true",
			   .doc = "lend open files to be sent uncopied (sendfile): a file renamed over "
				  "while being sent keeps its old bytes, one truncated or written in place "
				  "may go out torn; false: files above 16 KiB are copied" },
};

MG_PLUGIN(.name = "kvro.dir", .version = "1.2",
	  .summary = "kv_ro serving a directory (openat2, RESOLVE_BENEATH)",
	  .provides = MG_TYPE(KV_RO, 2), .targets = MG_TARGET_UNIX,
	  .params = kvdir_params, .nparams = MG_COUNTOF(kvdir_params),
	  .connect = kvdir_connect, .disconnect = kvdir_disconnect);
