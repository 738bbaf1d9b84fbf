/* lookup.c - kvro.dir's way to a key.  Every lookup goes through openat2
 * with RESOLVE_BENEATH from the root, so no key, "..", or symlink reaches
 * outside the root.  Symlinks that lead inside the root are followed, an
 * absolute one too: refused by RESOLVE_BENEATH, it is resolved once more
 * where it points, and served only if that is below the root. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dir.h"

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

int dir_kind(const struct stat *st, enum mg_kv_kind *kind)
{
	if (S_ISREG(st->st_mode))
		*kind = MG_KV_VALUE;
	else if (S_ISDIR(st->st_mode))
		*kind = MG_KV_DICTIONARY;
	else
		return -ENOENT;
	return 0;
}

int dir_lookup(struct kvdir *d, const char *key, int flags, int *fd, struct stat *st,
	       enum mg_kv_kind *kind)
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
	rc = fstat(*fd, st) < 0 ? -errno : dir_kind(st, kind);
	if (rc < 0)
		close(*fd);
	return rc;
}

int dir_read_at(int fd, void *buf, size_t len, uint64_t off, size_t *got)
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
