/* read.c - a value's bytes from the disk: whole sectors into a bounce of
 * the read's own, the wanted bytes copied out, a request of at most
 * CHUNK at a time.  Asynchronous through the disk's read, or blocking
 * through its read_sync for the 1.0 ops. */
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
static void keep(struct tar_read *r)
{
	struct tar *t = r->t;
	struct tar_entry *e = r->e;

	if (e->cache || r->offset || r->got != e->size || e->size > TAR_CACHE_VALUE ||
	    e->size > t->cache_left || !(e->cache = mg_alloc(t->env, e->size ? e->size : 1)))
		return;
	memcpy(e->cache, r->buf, r->got);
	t->cache_left -= e->size;
}

static void finish(struct tar_read *r, int err)
{
	mg_kv_read_cb cb = r->cb;
	void *arg = r->arg;
	size_t got = r->got;

	if (err == 0)
		keep(r);
	unlink_read(r);
	cb(arg, err, got);
}

static void on_chunk(void *arg, int err);
static void on_retry(void *arg);

/* Asks the disk for the next chunk; -EAGAIN only when nothing of this
 * read is out (the caller retries). */
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
	r->bounce = mg_alloc(t->env, bounce_cap(t, len));
	if (!r->bounce) {
		mg_free(t->env, r);
		return -ENOMEM;
	}
	rc = issue(r);
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

int tar_read_sync(struct tar *t, const struct tar_entry *e, uint64_t offset, void *buf,
		  size_t len)
{
	size_t cap = bounce_cap(t, len), done = 0;
	unsigned char *bounce;
	int rc = 0;

	if (!len)
		return 0;
	if (e->cache) {
		memcpy(buf, e->cache + offset, len);
		return 0;
	}
	if (!MG_OPS_HAS(t->disk->ops, read_sync))
		return -EIO; /* a 1.0 disk only reads asynchronously: use read */
	bounce = mg_alloc(t->env, cap);
	if (!bounce)
		return -ENOMEM;
	while (rc == 0 && done < len) {
		uint64_t sector;
		size_t skip, n;
		uint32_t count = plan(t, e->data + offset + done, len - done, cap, &sector, &skip);

		rc = t->disk->ops->read_sync(t->disk, sector, bounce, count);
		n = (size_t)count * t->info.sector_size - skip;
		if (n > len - done)
			n = len - done;
		if (rc == 0)
			memcpy((char *)buf + done, bounce + skip, n);
		done += n;
	}
	mg_free(t->env, bounce);
	return rc < 0 ? -EIO : 0;
}
