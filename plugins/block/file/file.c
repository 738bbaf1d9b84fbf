/* block.file - a block device over a Unix file or block device.  I/O goes
 * through io_uring; its completions ring an eventfd the host's loop
 * watches, so no request ever blocks the loop.  Every request bounces
 * through a buffer of its own: the caller's buffer is free the moment its
 * callback (or cancel) returns, even while the kernel still writes into
 * the bounce of a cancelled read.  read_nowait (block 1.2) goes around
 * all that for what the page cache holds: a preadv2 with RWF_NOWAIT into
 * the caller's buffer, done when it returns; lend (block 1.3) lends the
 * file itself for bytes the page cache holds, the descriptor shared with
 * the loans so that the last of them closes it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <liburing.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mirage/block.h"
#include "mirage/host.h"

enum { P_PATH, P_READ_ONLY, P_QUEUE, P_CACHED };
#define SECTOR 512u
#define MAX_COUNT 2048u /* sectors per request: 1 MiB */

struct req {
	struct bfile *f;
	mg_block_cb cb; /* NULL once cancelled: the bounce waits for the kernel */
	void *arg;
	void *buf;      /* the caller's, for a read */
	char *bounce;
	size_t len, done;
	uint64_t off;
	int op;         /* IORING_OP_READ, _WRITE or _FSYNC */
	struct req *prev, *next; /* in flight */
};

/* The disk's descriptor, held by the disk and by each of its loans.  Plain
 * malloc: a loan may outlive the disk (a swapped store's, still being sent). */
struct bfile_fd {
	struct mg_loan loan;
	int fd;
	unsigned refs;
};

struct bfile {
	struct mg_block blk;
	const struct mg_env *env;
	int fd, efd;
	struct io_uring ring;
	int ring_up;
	struct mg_watch *watch;
	struct mg_block_info info;
	unsigned queue, inflight;
	struct req *reqs;
	int nowait;     /* read_nowait tries: cached_reads, and the file takes RWF_NOWAIT */
	struct bfile_fd *file; /* fd's, shared with the loans */
	unsigned char *probe;  /* a sector, where lend checks the page cache */
};

static struct bfile *bfile_of(struct mg_block *b)
{
	return mg_container_of(b, struct bfile, blk);
}

static void bfile_info(struct mg_block *b, struct mg_block_info *out)
{
	*out = bfile_of(b)->info;
}

static int check_range(struct bfile *f, uint64_t sector, uint32_t count)
{
	if (count == 0 || count > f->info.max_count || sector > f->info.sectors ||
	    count > f->info.sectors - sector)
		return -EINVAL;
	return 0;
}

/* Queues what is left of r; the ring has room (inflight < queue). */
static void submit(struct bfile *f, struct req *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);

	if (r->op == IORING_OP_FSYNC)
		io_uring_prep_fsync(sqe, f->fd, 0);
	else if (r->op == IORING_OP_READ)
		io_uring_prep_read(sqe, f->fd, r->bounce + r->done, (unsigned)(r->len - r->done),
				   r->off + r->done);
	else
		io_uring_prep_write(sqe, f->fd, r->bounce + r->done, (unsigned)(r->len - r->done),
				    r->off + r->done);
	io_uring_sqe_set_data(sqe, r);
	io_uring_submit(&f->ring);
}

static void req_free(struct bfile *f, struct req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		f->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	f->inflight--;
	mg_free(f->env, r->bounce);
	mg_free(f->env, r);
}

/* One completion: a short transfer goes on from where it stopped. */
static void complete(struct bfile *f, struct req *r, int res)
{
	int err = res < 0 ? -EIO : 0;

	if (res > 0 && r->op != IORING_OP_FSYNC) {
		r->done += (size_t)res;
		if (r->done < r->len) {
			submit(f, r);
			return;
		}
	} else if (res == 0 && r->op != IORING_OP_FSYNC) {
		err = -EIO; /* the file shrank under the disk */
	}
	if (r->cb) {
		mg_block_cb cb = r->cb;
		void *arg = r->arg;

		if (err == 0 && r->op == IORING_OP_READ)
			memcpy(r->buf, r->bounce, r->len);
		req_free(f, r);
		cb(arg, err);
	} else {
		req_free(f, r);
	}
}

static void reap(struct bfile *f)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&f->ring, &cqe) == 0) {
		struct req *r = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&f->ring, cqe);
		complete(f, r, res);
	}
}

static void on_eventfd(void *arg, unsigned events)
{
	struct bfile *f = arg;
	uint64_t n;

	(void)events;
	if (read(f->efd, &n, sizeof n) < 0 && errno != EAGAIN)
		mg_log(f->env, MG_LOG_WARN, "eventfd: %s", strerror(errno));
	reap(f);
}

static int start(struct bfile *f, int op, uint64_t sector, void *buf, const void *data,
		 uint32_t count, mg_block_cb cb, void *arg)
{
	struct req *r;

	if (f->inflight >= f->queue)
		return -EAGAIN;
	r = mg_zalloc(f->env, sizeof *r);
	if (!r)
		return -ENOMEM;
	*r = (struct req){ .f = f, .cb = cb, .arg = arg, .buf = buf, .op = op,
			   .len = (size_t)count * f->info.sector_size,
			   .off = sector * f->info.sector_size, .next = f->reqs };
	if (op != IORING_OP_FSYNC && !(r->bounce = mg_alloc(f->env, r->len))) {
		mg_free(f->env, r);
		return -ENOMEM;
	}
	if (data)
		memcpy(r->bounce, data, r->len);
	if (f->reqs)
		f->reqs->prev = r;
	f->reqs = r;
	f->inflight++;
	submit(f, r);
	return 0;
}

static int bfile_read(struct mg_block *b, uint64_t sector, void *buf, uint32_t count,
		      mg_block_cb cb, void *arg)
{
	struct bfile *f = bfile_of(b);
	int rc = check_range(f, sector, count);

	return rc < 0 ? rc : start(f, IORING_OP_READ, sector, buf, NULL, count, cb, arg);
}

static int bfile_write(struct mg_block *b, uint64_t sector, const void *buf, uint32_t count,
		       mg_block_cb cb, void *arg)
{
	struct bfile *f = bfile_of(b);
	int rc = check_range(f, sector, count);

	if (rc == 0 && !f->info.writable)
		rc = -EROFS;
	return rc < 0 ? rc : start(f, IORING_OP_WRITE, sector, NULL, buf, count, cb, arg);
}

static int bfile_flush(struct mg_block *b, mg_block_cb cb, void *arg)
{
	struct bfile *f = bfile_of(b);

	if (!f->info.writable)
		return -EROFS;
	return start(f, IORING_OP_FSYNC, 0, NULL, NULL, 0, cb, arg);
}

/* The kernel may still be writing into the bounces: they are freed when
 * their completions come. */
static void bfile_cancel(struct mg_block *b, mg_block_cb cb, void *arg)
{
	for (struct req *r = bfile_of(b)->reqs; r; r = r->next)
		if (r->cb == cb && r->arg == arg)
			r->cb = NULL;
}

static int bfile_read_sync(struct mg_block *b, uint64_t sector, void *buf, uint32_t count)
{
	struct bfile *f = bfile_of(b);
	size_t len = (size_t)count * f->info.sector_size, n = 0;
	int rc = check_range(f, sector, count);

	while (rc == 0 && n < len) {
		ssize_t got = pread(f->fd, (char *)buf + n, len - n,
				    (off_t)(sector * f->info.sector_size + n));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			rc = -EIO;
		else
			n += (size_t)got;
	}
	return rc;
}

/* Straight into the caller's buffer, from the page cache only: a part
 * that is not there ends the read (RWF_NOWAIT), and the caller waits on
 * read instead.  A file system without RWF_NOWAIT is not asked again. */
static int bfile_read_nowait(struct mg_block *b, uint64_t sector, void *buf, uint32_t count)
{
	struct bfile *f = bfile_of(b);
	size_t len = (size_t)count * f->info.sector_size, n = 0;
	int rc = check_range(f, sector, count);

	if (rc == 0 && !f->nowait)
		rc = -EAGAIN;
	while (rc == 0 && n < len) {
		struct iovec iov = { (char *)buf + n, len - n };
		ssize_t got = preadv2(f->fd, &iov, 1, (off_t)(sector * f->info.sector_size + n),
				      RWF_NOWAIT);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EOPNOTSUPP)
			f->nowait = 0;
		if (got < 0)
			rc = errno == EIO ? -EIO : -EAGAIN;
		else if (got == 0)
			rc = -EIO; /* the file shrank under the disk */
		else
			n += (size_t)got;
	}
	return rc;
}

static void file_release(struct mg_loan *loan)
{
	struct bfile_fd *file = mg_container_of(loan, struct bfile_fd, loan);

	if (--file->refs == 0) {
		close(file->fd);
		free(file);
	}
}

/* The file itself, when its first and last sectors are in the page cache
 * (read_nowait into the probe): a cheap check, not a proof for the pages
 * between them. */
static int bfile_lend(struct mg_block *b, uint64_t sector, uint32_t count, struct mg_span *span,
		      struct mg_loan **loan)
{
	struct bfile *f = bfile_of(b);
	uint64_t ss = f->info.sector_size;
	int rc = count == 0 || sector > f->info.sectors || count > f->info.sectors - sector
			 ? -EINVAL : bfile_read_nowait(b, sector, f->probe, 1);

	if (rc == 0 && count > 1)
		rc = bfile_read_nowait(b, sector + count - 1, f->probe, 1);
	if (rc < 0)
		return rc;
	f->file->refs++;
	*span = (struct mg_span){ .len = (size_t)(count * ss), .fd = f->file->fd, .off = sector * ss };
	*loan = &f->file->loan;
	return 0;
}

static const struct mg_block_ops bfile_ops = {
	.hdr = MG_OPS_HDR(struct mg_block_ops, 1, 3),
	.info = bfile_info,
	.read = bfile_read,
	.write = bfile_write,
	.flush = bfile_flush,
	.cancel = bfile_cancel,
	.read_sync = bfile_read_sync,
	.read_nowait = bfile_read_nowait,
	.lend = bfile_lend,
};

/* The disk's size and sector size: a file's length in 512-byte sectors
 * (a tail shorter than a sector is not part of the disk), or a block
 * device's own. */
static int measure(struct bfile *f, const char *path)
{
	struct stat st;
	uint64_t bytes;
	int ssz = SECTOR;

	if (fstat(f->fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(f->fd, BLKGETSIZE64, &bytes) < 0 || ioctl(f->fd, BLKSSZGET, &ssz) < 0)
			return -errno;
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		mg_log(f->env, MG_LOG_ERROR, "disk image %s: not a file or a block device", path);
		return -EINVAL;
	}
	if (bytes % (unsigned)ssz)
		mg_log(f->env, MG_LOG_WARN, "disk image %s: its last %u bytes are less than a sector, and not on the disk",
		       path, (unsigned)(bytes % (unsigned)ssz));
	f->info = (struct mg_block_info){ .sector_size = (uint32_t)ssz, .max_count = MAX_COUNT,
					  .sectors = bytes / (unsigned)ssz,
					  .writable = !f->env->params[P_READ_ONLY].b };
	if ((uint64_t)MAX_COUNT * (unsigned)ssz > (1u << 24))
		f->info.max_count = (1u << 24) / (unsigned)ssz;
	return 0;
}

static void bfile_disconnect(struct mg_device *dev)
{
	struct bfile *f = mg_container_of(dev, struct bfile, blk);

	if (f->watch)
		f->env->host->fd_unwatch(f->watch);
	/* A dependent that leaves cancels first; what the kernel still
	 * does with a bounce is waited for here, so none is freed early. */
	while (f->ring_up && f->inflight) {
		struct io_uring_cqe *cqe;
		struct req *r;

		if (io_uring_wait_cqe(&f->ring, &cqe) < 0)
			break;
		r = io_uring_cqe_get_data(cqe);
		io_uring_cqe_seen(&f->ring, cqe);
		r->cb = NULL;
		req_free(f, r);
	}
	if (f->ring_up)
		io_uring_queue_exit(&f->ring);
	if (f->efd >= 0)
		close(f->efd);
	if (f->file)
		file_release(&f->file->loan); /* the disk's hold; loans keep fd open */
	else if (f->fd >= 0)
		close(f->fd);
	mg_free(f->env, f->probe);
	mg_free(f->env, f);
}

static int bfile_connect(const struct mg_env *env, struct mg_device **out)
{
	const char *path = env->params[P_PATH].s;
	struct bfile *f = mg_zalloc(env, sizeof *f);
	int rc;

	if (!f)
		return -ENOMEM;
	f->env = env;
	f->efd = -1;
	f->queue = (unsigned)env->params[P_QUEUE].i;
	f->nowait = env->params[P_CACHED].b;
	f->blk.ops = &bfile_ops;
	f->fd = open(path, (env->params[P_READ_ONLY].b ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (f->fd < 0) {
		rc = -errno;
		mg_log(env, MG_LOG_ERROR, "cannot open disk image %s: %s", path, strerror(errno));
		goto fail;
	}
	f->file = malloc(sizeof *f->file);
	if (!f->file) {
		rc = -ENOMEM;
		goto fail;
	}
	*f->file = (struct bfile_fd){ .loan = { file_release }, .fd = f->fd, .refs = 1 };
	rc = measure(f, path);
	if (rc == 0 && !(f->probe = mg_alloc(env, f->info.sector_size)))
		rc = -ENOMEM;
	if (rc < 0) {
		if (rc != -EINVAL && rc != -ENOMEM)
			mg_log(env, MG_LOG_ERROR, "disk image %s: cannot tell its size: %s", path,
			       strerror(-rc));
		goto fail;
	}
	rc = io_uring_queue_init(f->queue, &f->ring, 0);
	if (rc < 0) {
		mg_log(env, MG_LOG_ERROR, "disk image %s: io_uring is not available: %s", path,
		       strerror(-rc));
		goto fail;
	}
	f->ring_up = 1;
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rc = f->efd < 0 ? -errno : io_uring_register_eventfd(&f->ring, f->efd);
	if (rc == 0)
		rc = env->host->fd_watch(env, f->efd, MG_EV_READ, on_eventfd, f, &f->watch);
	if (rc < 0) {
		mg_log(env, MG_LOG_ERROR, "disk image %s: cannot watch its completions: %s", path,
		       strerror(-rc));
		goto fail;
	}
	*out = MG_DEVICE(&f->blk);
	return 0;
fail:
	bfile_disconnect(MG_DEVICE(&f->blk));
	return rc;
}

static const struct mg_param bfile_params[] = {
	[P_PATH] = { .name = "path", .type = MG_PARAM_PATH, .def = NULL,
		     .doc = "the file or block device holding the disk" },
	[P_READ_ONLY] = { .name = "read_only", .type = MG_PARAM_BOOL, .def = "true",
			  .doc = "open it read-only: write and flush give -EROFS" },
	[P_QUEUE] = { .name = "queue", .type = MG_PARAM_INT, .def = "64", .min = 1, .max = 4096,
		      .doc = "requests in flight at most; more get -EAGAIN" },
	[P_CACHED] = { .name = "cached_reads", .type = MG_PARAM_BOOL, .def = "true",
		       .doc = "read_nowait reads and lend lends what the page cache holds at once; false: they never do, every read goes through io_uring" },
};

MG_PLUGIN(.name = "block.file", .version = "1.0",
	  .summary = "a block device over a file or a Unix block device (io_uring on the loop)",
	  .provides = MG_TYPE(BLOCK, 3), .targets = MG_TARGET_UNIX,
	  .params = bfile_params, .nparams = MG_COUNTOF(bfile_params),
	  .connect = bfile_connect, .disconnect = bfile_disconnect);
