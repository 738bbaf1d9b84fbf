/* read.c - a value's bytes from the disk: whole sectors into a bounce of
 * the read's own, the wanted bytes copied out, a request of at most
 * CHUNK at a time.  Asynchronous through the disk's read; at once through
 * its read_nowait when the bytes are at hand, or blocking through its
 * read_sync for the 1.0 ops. */
#include <string.h>

#include "tar.h"

#define CHUNK (256u << 10)

struct tar_read {
	struct tar *t;
	struct tar_entry *e;
	uint64_t offset;          /* in the value, where the read began */
	mg_kv_read_cb cb;
	void *arg;
	char *buf;
	size_t len, got;
	uint64_t pos;             /* disk offset of the next byte wanted */
	unsigned char *bounce;
	size_t skip, span;        /* the request in flight: bytes before pos, bytes read */
	int direct;               /* it reads into buf, not the bounce */
	struct mg_timer *timer;   /* a retry while the disk's queue is full */
	struct tar_read *prev, *next;
};

/* Sectors to read for the next `want` bytes at pos, at most the bounce's
 * size (cap, whole sectors); their first is *sector, *skip bytes before pos. */
static uint32_t plan(const struct tar *t, uint64_t pos, size_t want, size_t cap,
		     uint64_t *sector, size_t *skip)
{
	uint64_t ss = t->info.sector_size, end;

	*sector = pos / ss;
	*skip = (size_t)(pos - *sector * ss);
	end = (pos + want + ss - 1) / ss;
	if (end - *sector > cap / ss)
		end = *sector + cap / ss;
	return (uint32_t)(end - *sector);
}

static size_t bounce_cap(const struct tar *t, size_t want)
{
	uint64_t ss = t->info.sector_size, most = (uint64_t)t->info.max_count * ss;
	uint64_t cap = (want + 2 * ss - 1) / ss * ss;

	if (cap > CHUNK)
		cap = CHUNK > ss ? CHUNK / ss * ss : ss;
	return (size_t)(cap > most ? most : cap);
}

static void unlink_read(struct tar_read *r)
{
	struct tar *t = r->t;

	if (r->prev)
		r->prev->next = r->next;
	else
		t->reads = r->next;
	if (r->next)
		r->next->prev = r->prev;
	mg_free(t->env, r->bounce);
	mg_free(t->env, r);
}

/* A small value read whole is kept, for reads that then finish at once. */
static void keep(struct tar *t, struct tar_entry *e, uint64_t offset, const void *buf,
		 size_t got)
{
	if (e->cache || offset || got != e->size || e->size > TAR_CACHE_VALUE ||
	    e->size > t->cache_left || !(e->cache = tar_index_hold(&t->index, e->size ? e->size : 1)))
		return;
	memcpy(e->cache, buf, got);
	t->cache_left -= e->size;
}

static void finish(struct tar_read *r, int err)
{
	mg_kv_read_cb cb = r->cb;
	void *arg = r->arg;
	size_t got = r->got;

	if (err == 0)
		keep(r->t, r->e, r->offset, r->buf, r->got);
	unlink_read(r);
	cb(arg, err, got);
}

static void on_chunk(void *arg, int err);
static void on_retry(void *arg);

/* Asks the disk for the next chunk; -EAGAIN only when nothing of this
 * read is out (the caller retries), -ENOMEM. */
static int issue(struct tar_read *r)
{
	struct tar *t = r->t;
	uint64_t sector;
	uint64_t ss = t->info.sector_size, most = (uint64_t)t->info.max_count * ss;
	size_t want = r->len - r->got;
	uint32_t count;

	/* Whole sectors that start where the wanted bytes do go straight
	 * into the caller's buffer; the rest through the bounce. */
	r->direct = r->pos % ss == 0 && want >= ss;
	if (r->direct) {
		uint64_t n = want / ss * ss;

		r->skip = 0;
		r->span = (size_t)(n < most ? n : most / ss * ss);
		return t->disk->ops->read(t->disk, r->pos / ss, r->buf + r->got,
					  (uint32_t)(r->span / ss), on_chunk, r);
	}
	if (!r->bounce && !(r->bounce = mg_alloc(t->env, bounce_cap(t, r->len))))
		return -ENOMEM; /* only now: a read of whole sectors needs none */
	count = plan(t, r->pos, want, bounce_cap(t, r->len), &sector, &r->skip);
	r->span = (size_t)count * ss;
	return t->disk->ops->read(t->disk, sector, r->bounce, count, on_chunk, r);
}

/* From a completion: the next chunk, a retry later, or the end. */
static void go_on(struct tar_read *r)
{
	const struct mg_env *env = r->t->env;
	int rc = issue(r);

	if (rc == -EAGAIN)
		rc = env->host->timer_start(env, 1000000, on_retry, r, &r->timer);
	if (rc < 0)
		finish(r, rc);
}

static void on_retry(void *arg)
{
	struct tar_read *r = arg;

	r->timer = NULL;
	go_on(r);
}

static void on_chunk(void *arg, int err)
{
	struct tar_read *r = arg;
	size_t n = r->span - r->skip;

	if (err < 0) {
		finish(r, err);
		return;
	}
	if (n > r->len - r->got)
		n = r->len - r->got;
	if (!r->direct)
		memcpy(r->buf + r->got, r->bounce + r->skip, n);
	r->got += n;
	r->pos += n;
	if (r->got < r->len)
		go_on(r);
	else
		finish(r, 0);
}

int tar_read_start(struct tar *t, struct tar_entry *e, uint64_t offset, void *buf,
		   size_t len, mg_kv_read_cb cb, void *arg)
{
	struct tar_read *r = mg_zalloc(t->env, sizeof *r);
	int rc;

	if (!r)
		return -ENOMEM;
	*r = (struct tar_read){ .t = t, .e = e, .offset = offset, .cb = cb, .arg = arg, .buf = buf,
				.len = len, .pos = e->data + offset };
	rc = issue(r);
	if (rc == -EAGAIN) /* the disk's queue is full: retried here, so the caller just waits */
		rc = t->env->host->timer_start(t->env, 1000000, on_retry, r, &r->timer);
	if (rc < 0) {
		mg_free(t->env, r->bounce);
		mg_free(t->env, r);
		return rc;
	}
	r->next = t->reads;
	if (t->reads)
		t->reads->prev = r;
	t->reads = r;
	return 0;
}

void tar_read_cancel(struct tar *t, mg_kv_read_cb cb, void *arg)
{
	struct tar_read *r = t->reads, *next;

	for (; r; r = next) {
		next = r->next;
		if (cb && (r->cb != cb || r->arg != arg))
			continue;
		if (r->timer)
			t->env->host->timer_cancel(r->timer);
		else
			t->disk->ops->cancel(t->disk, on_chunk, r);
		unlink_read(r);
	}
}

/* One of the disk's immediate reads: read_sync or read_nowait. */
typedef int (*now_fn)(struct mg_block *b, uint64_t sector, void *buf, uint32_t count);

/* The bytes at pos through rd: whole sectors straight into buf, the
 * partial ones at either end through the edge sector. */
static int read_now(struct tar *t, now_fn rd, uint64_t pos, char *buf, size_t len)
{
	uint64_t ss = t->info.sector_size;
	int rc = 0;

	while (rc == 0 && len) {
		size_t skip = (size_t)(pos % ss), n;

		if (skip || len < ss) {
			n = ss - skip < len ? (size_t)(ss - skip) : len;
			rc = rd(t->disk, pos / ss, t->edge, 1);
			if (rc == 0)
				memcpy(buf, t->edge + skip, n);
		} else {
			uint64_t count = len / ss < t->info.max_count ? len / ss : t->info.max_count;

			n = (size_t)(count * ss);
			rc = rd(t->disk, pos / ss, buf, (uint32_t)count);
		}
		pos += n;
		buf += n;
		len -= n;
	}
	return rc;
}

int tar_read_sync(struct tar *t, const struct tar_entry *e, uint64_t offset, void *buf,
		  size_t len)
{
	if (!len)
		return 0;
	if (e->cache) {
		memcpy(buf, e->cache + offset, len);
		return 0;
	}
	if (!MG_OPS_HAS(t->disk->ops, read_sync))
		return -EIO; /* a 1.0 disk only reads asynchronously: use read */
	return read_now(t, t->disk->ops->read_sync, e->data + offset, buf, len) < 0 ? -EIO : 0;
}

int tar_read_nowait(struct tar *t, struct tar_entry *e, uint64_t offset, void *buf, size_t len)
{
	int rc;

	if (!MG_OPS_HAS(t->disk->ops, read_nowait))
		return -EAGAIN;
	rc = read_now(t, t->disk->ops->read_nowait, e->data + offset, buf, len);
	if (rc == 0)
		keep(t, e, offset, buf, len);
	return rc;
}
