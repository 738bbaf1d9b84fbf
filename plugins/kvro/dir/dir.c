/* kvro.dir - kv_ro serving a directory.  Every lookup goes through openat2
 * with RESOLVE_BENEATH from the root, so no key, "..", or symlink reaches
 * outside the root.  Symlinks that lead inside the root are followed, an
 * absolute one too: refused by RESOLVE_BENEATH, it is resolved once more
 * where it points, and served only if that is below the root. */
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

#include "mirage/host.h"
#include "mirage/kv_ro.h"

struct kvdir {
	struct mg_kv_ro kv;
	const struct mg_env *env;
	int rootfd;
	char root[PATH_MAX]; /* its real path, "" for "/" */
};

/* Opens key, whose resolution left the root (an absolute symlink, or one
 * through ".."), by the key where it really leads when that is below the
 * root: the path of an O_PATH descriptor (no open of a device, no fifo)
 * names it.  -EACCES otherwise. */
static int reopen_inside(struct kvdir *d, const char *key, struct open_how *how)
{
	struct open_how anywhere = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
	char fdpath[32], real[PATH_MAX];
	size_t n = strlen(d->root);
	ssize_t len;
	int fd = (int)syscall(SYS_openat2, d->rootfd, key, &anywhere, sizeof anywhere);

	if (fd < 0)
		return errno == ENOENT ? -EACCES : -errno; /* dangling or out: unseen */
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
	len = readlink(fdpath, real, sizeof real - 1);
	close(fd);
	if (len < 0 || (size_t)len < n || memcmp(real, d->root, n) != 0 ||
	    ((size_t)len > n && real[n] != '/'))
		return -EACCES;
	real[len] = '\0';
	/* Beneath again: if the tree moved meanwhile, it is refused. */
	fd = (int)syscall(SYS_openat2, d->rootfd, (size_t)len > n + 1 ? real + n + 1 : ".", how,
			  sizeof *how);
	return fd < 0 ? (errno == EXDEV ? -EACCES : -errno) : fd;
}

/* Opens key below the root and stats it.  `flags` is O_PATH for metadata or
 * O_RDONLY to read.  Entries that are neither files nor folders (fifos,
 * devices, sockets) do not exist for the store. */
static int lookup(struct kvdir *d, const char *key, int flags, int *fd,
		  struct stat *st, enum mg_kv_kind *kind)
{
	struct open_how how = {
		/* O_NONBLOCK|O_NOCTTY: opening a fifo or tty must not wait. */
		.flags = (uint64_t)(flags == O_PATH ? O_PATH | O_CLOEXEC
				    : flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int rc = mg_kv_key_check(key);

	if (rc < 0)
		return rc;
	*fd = (int)syscall(SYS_openat2, d->rootfd, *key ? key : ".", &how, sizeof how);
	if (*fd < 0 && errno == EXDEV) {
		*fd = reopen_inside(d, key, &how);
		if (*fd < 0)
			return *fd;
	}
	if (*fd < 0) {
		/* A value used as a folder in the middle of the key. */
		return errno == ENOTDIR ? -ENOENT : -errno;
	}
	if (fstat(*fd, st) < 0)
		rc = -errno;
	else if (S_ISREG(st->st_mode))
		*kind = MG_KV_VALUE;
	else if (S_ISDIR(st->st_mode))
		*kind = MG_KV_DICTIONARY;
	else
		rc = -ENOENT;
	if (rc < 0)
		close(*fd);
	return rc;
}

/* lookup for ops that want a value: -EISDIR for a folder. */
static int lookup_value(struct kvdir *d, const char *key, int flags, int *fd,
			struct stat *st)
{
	enum mg_kv_kind kind;
	int rc = lookup(d, key, flags, fd, st, &kind);

	if (rc == 0 && kind != MG_KV_VALUE) {
		close(*fd);
		rc = -EISDIR;
	}
	return rc;
}

static struct kvdir *kvdir_of(struct mg_kv_ro *kv)
{
	return mg_container_of(kv, struct kvdir, kv);
}

/* lookup for metadata only: the descriptor is closed at once. */
static int meta(struct mg_kv_ro *kv, const char *key, struct stat *st, enum mg_kv_kind *kind)
{
	int fd, rc = lookup(kvdir_of(kv), key, O_PATH, &fd, st, kind);

	if (rc == 0)
		close(fd);
	return rc;
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int kvdir_exists(struct mg_kv_ro *kv, const char *key, enum mg_kv_kind *kind)
{
	struct stat st;

	return meta(kv, key, &st, kind);
}

/* Reads up to len bytes at off; *got < len only at the end of the file. */
static int read_at(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
	size_t n = 0;

	while (n < len) {
		ssize_t r = pread(fd, (char *)buf + n, len - n, (off_t)(off + n));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -EIO;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return 0;
}

static int kvdir_get(struct mg_kv_ro *kv, const char *key, void *buf, size_t cap,
		     size_t *len)
{
	struct stat st;
	int fd, rc = lookup_value(kvdir_of(kv), key, O_RDONLY, &fd, &st);

	if (rc < 0)
		return rc;
	if ((uint64_t)st.st_size > cap) {
		*len = (size_t)st.st_size;
		rc = -ENOSPC;
	} else {
		rc = read_at(fd, buf, (size_t)st.st_size, 0, len);
	}
	close(fd);
	return rc;
}

static int kvdir_get_partial(struct mg_kv_ro *kv, const char *key, uint64_t offset,
			     void *buf, size_t len, size_t *got)
{
	struct stat st;
	int fd, rc = lookup_value(kvdir_of(kv), key, O_RDONLY, &fd, &st);

	if (rc < 0)
		return rc;
	if (offset >= (uint64_t)st.st_size)
		*got = 0; /* pread wants an off_t: offsets past the end stop here */
	else
		rc = read_at(fd, buf, len, offset, got);
	close(fd);
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
	int fd, n, rc = lookup(d, key, O_RDONLY, &fd, &st, &kind);

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
	struct stat st;
	int fd, rc = lookup_value(kvdir_of(kv), key, O_PATH, &fd, &st);

	if (rc < 0)
		return rc;
	*size = (uint64_t)st.st_size;
	close(fd);
	return 0;
}

static int kvdir_last_modified(struct mg_kv_ro *kv, const char *key, int64_t *ns)
{
	enum mg_kv_kind kind;
	struct stat st;
	int rc = meta(kv, key, &st, &kind);

	if (rc == 0)
		*ns = mtime_ns(&st);
	return rc;
}

/* Like nginx's ETag: changes with the file's identity, size or mtime. */
static int digest_of(const struct stat *st, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%" PRIx64 "-%" PRIx64 "-%" PRIx64 ".%lx",
			 (uint64_t)st->st_ino, (uint64_t)st->st_size,
			 (uint64_t)st->st_mtim.tv_sec, (unsigned long)st->st_mtim.tv_nsec);

	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

static int kvdir_digest(struct mg_kv_ro *kv, const char *key, char *buf, size_t cap)
{
	struct stat st;
	int fd, rc = lookup_value(kvdir_of(kv), key, O_PATH, &fd, &st);

	if (rc < 0)
		return rc;
	close(fd);
	return digest_of(&st, buf, cap);
}

/* One openat2 and one fstat for all four answers. */
static int kvdir_stat(struct mg_kv_ro *kv, const char *key, struct mg_kv_stat *out)
{
	enum mg_kv_kind kind;
	struct stat st;
	int rc = meta(kv, key, &st, &kind);

	if (rc < 0)
		return rc;
	*out = (struct mg_kv_stat){ .kind = kind, .mtime_ns = mtime_ns(&st) };
	if (kind != MG_KV_VALUE)
		return 0;
	out->size = (uint64_t)st.st_size;
	return digest_of(&st, out->digest, sizeof out->digest);
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

static const struct mg_kv_ro_ops kvdir_ops = {
	.hdr = MG_OPS_HDR(struct mg_kv_ro_ops, 1, 1),
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
};

static int kvdir_connect(const struct mg_env *env, struct mg_device **out)
{
	const char *root = env->params[0].s;
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
	*out = MG_DEVICE(&d->kv);
	return 0;
}

static void kvdir_disconnect(struct mg_device *dev)
{
	struct kvdir *d = mg_container_of(dev, struct kvdir, kv);

	close(d->rootfd);
	mg_free(d->env, d);
}

static const struct mg_param kvdir_params[] = {
	{ .name = "root", .type = MG_PARAM_PATH, .def = NULL,
	  .doc = "folder to serve; keys are paths below it" },
};

MG_PLUGIN(.name = "kvro.dir", .version = "1.1",
	  .summary = "kv_ro serving a directory (openat2, RESOLVE_BENEATH)",
	  .provides = MG_TYPE(KV_RO, 1), .targets = MG_TARGET_UNIX,
	  .params = kvdir_params, .nparams = MG_COUNTOF(kvdir_params),
	  .connect = kvdir_connect, .disconnect = kvdir_disconnect);
