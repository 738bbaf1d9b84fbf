/* kvro.tar - kv_ro over a POSIX ustar (or GNU) tar archive on a block
 * device, as `tar --format=ustar -cf site.tar -C htdocs .` writes it.
 * Connect reads the headers once, asynchronously, into an index (scan.c);
 * values are read from the disk when asked (read.c), or lent as the
 * disk's file (borrow, over block 1.3's lend).  Only members the
 * index holds are ever read, each within its own bytes.  Portable. */
#include <stdio.h>
#include <string.h>

#include "tar.h"

static struct tar *tar_of(struct mg_kv_ro *kv)
{
	return mg_container_of(kv, struct tar, kv);
}

static int lookup(struct mg_kv_ro *kv, const char *key, const struct tar_entry **out)
{
	int rc = mg_kv_key_check(key);

	if (rc < 0)
		return rc;
	*out = tar_index_find(&tar_of(kv)->index, key);
	return *out ? 0 : -ENOENT;
}

static int lookup_value(struct mg_kv_ro *kv, const char *key, const struct tar_entry **out)
{
	int rc = lookup(kv, key, out);

	return rc == 0 && (*out)->kind != MG_KV_VALUE ? -EISDIR : rc;
}

static int tar_exists(struct mg_kv_ro *kv, const char *key, enum mg_kv_kind *kind)
{
	const struct tar_entry *e;
	int rc = lookup(kv, key, &e);

	if (rc == 0)
		*kind = e->kind;
	return rc;
}

/* The bytes of [offset, offset + len) that the value holds. */
static size_t clip(const struct tar_entry *e, uint64_t offset, size_t len)
{
	if (offset >= e->size)
		return 0;
	return e->size - offset < len ? (size_t)(e->size - offset) : len;
}

static int tar_get(struct mg_kv_ro *kv, const char *key, void *buf, size_t cap, size_t *len)
{
	const struct tar_entry *e;
	int rc = lookup_value(kv, key, &e);

	if (rc < 0)
		return rc;
	*len = (size_t)e->size;
	if (e->size > cap)
		return -ENOSPC;
	return tar_read_sync(tar_of(kv), e, 0, buf, (size_t)e->size);
}

static int tar_get_partial(struct mg_kv_ro *kv, const char *key, uint64_t offset, void *buf,
			   size_t len, size_t *got)
{
	const struct tar_entry *e;
	int rc = lookup_value(kv, key, &e);

	if (rc < 0)
		return rc;
	len = clip(e, offset, len);
	rc = tar_read_sync(tar_of(kv), e, offset, buf, len);
	if (rc == 0)
		*got = len;
	return rc;
}

static int tar_list(struct mg_kv_ro *kv, const char *key, mg_kv_list_cb cb, void *arg)
{
	const struct tar_index *x = &tar_of(kv)->index;
	const struct tar_entry *e;
	int rc = lookup(kv, key, &e);

	if (rc < 0)
		return rc;
	if (e->kind != MG_KV_DICTIONARY)
		return -ENOTDIR;
	for (uint32_t i = 0; i < e->nkids && rc == 0; i++) {
		const struct tar_entry *c = &x->v[x->kids[e->kids + i]];

		rc = cb(arg, c->name, c->kind);
	}
	return rc;
}

static int tar_size(struct mg_kv_ro *kv, const char *key, uint64_t *size)
{
	const struct tar_entry *e;
	int rc = lookup_value(kv, key, &e);

	if (rc == 0)
		*size = e->size;
	return rc;
}

static int tar_last_modified(struct mg_kv_ro *kv, const char *key, int64_t *ns)
{
	const struct tar_entry *e;
	int rc = lookup(kv, key, &e);

	if (rc == 0)
		*ns = e->mtime_ns;
	return rc;
}

/* The member's place, size and time: another archive, or this one
 * rewritten with the value changed, gives another token. */
static int digest_of(const struct tar_entry *e, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "t%llx-%llx-%llx", (unsigned long long)e->hdr,
			 (unsigned long long)e->size, (unsigned long long)e->mtime_ns);

	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

static int tar_digest(struct mg_kv_ro *kv, const char *key, char *buf, size_t cap)
{
	const struct tar_entry *e;
	int rc = lookup_value(kv, key, &e);

	return rc < 0 ? rc : digest_of(e, buf, cap);
}

static int tar_stat(struct mg_kv_ro *kv, const char *key, struct mg_kv_stat *st)
{
	const struct tar_entry *e;
	int rc = lookup(kv, key, &e);

	if (rc < 0)
		return rc;
	*st = (struct mg_kv_stat){ .kind = e->kind, .mtime_ns = e->mtime_ns };
	if (e->kind != MG_KV_VALUE)
		return 0;
	st->size = e->size;
	return digest_of(e, st->digest, sizeof st->digest);
}

static int tar_read(struct mg_kv_ro *kv, const char *key, uint64_t offset, void *buf,
		    size_t len, size_t *got, mg_kv_read_cb cb, void *arg)
{
	const struct tar_entry *e;
	int rc = lookup_value(kv, key, &e);

	if (rc < 0)
		return rc;
	len = clip(e, offset, len);
	if (len == 0 || e->cache) {
		if (len)
			memcpy(buf, e->cache + offset, len);
		*got = len;
		return 1;
	}
	if (tar_read_nowait(tar_of(kv), (struct tar_entry *)e, offset, buf, len) == 0) {
		*got = len;
		return 1;
	}
	if (!cb)
		return -EINPROGRESS;
	return tar_read_start(tar_of(kv), (struct tar_entry *)e, offset, buf, len, cb, arg);
}

static void tar_cancel(struct mg_kv_ro *kv, mg_kv_read_cb cb, void *arg)
{
	if (cb)
		tar_read_cancel(tar_of(kv), cb, arg);
}

/* The member's bytes as the disk's file (block 1.3's lend): the loan is the
 * disk's, which outlives this store and the disk, and the archive does not
 * change while it is served.  A value small enough to be kept is read
 * instead (copied, and then kept), and so is one the disk does not lend
 * (no lend, or its bytes not in the page cache): read then waits for it. */
static int tar_borrow(struct mg_kv_ro *kv, const char *key, uint64_t offset, size_t len,
		      struct mg_span *span, struct mg_loan **loan)
{
	struct tar *t = tar_of(kv);
	const struct tar_entry *e;
	uint64_t ss = t->info.sector_size, pos, first, count;
	int rc = lookup_value(kv, key, &e);

	if (rc < 0)
		return rc;
	len = clip(e, offset, len);
	pos = e->data + offset;
	first = pos / ss;
	count = (pos + len + ss - 1) / ss - first;
	if (e->size <= TAR_CACHE_VALUE || len == 0 || count > UINT32_MAX ||
	    !MG_OPS_HAS(t->disk->ops, lend) ||
	    t->disk->ops->lend(t->disk, first, (uint32_t)count, span, loan) < 0)
		return -EOPNOTSUPP;
	span->off += pos - first * ss;
	span->len = len;
	return 0;
}

static const struct mg_kv_ro_ops tar_ops = {
	.hdr = MG_OPS_HDR(struct mg_kv_ro_ops, 1, 2),
	.exists = tar_exists,
	.get = tar_get,
	.get_partial = tar_get_partial,
	.list = tar_list,
	.size = tar_size,
	.last_modified = tar_last_modified,
	.digest = tar_digest,
	.stat = tar_stat,
	.read = tar_read,
	.read_cancel = tar_cancel,
	.borrow = tar_borrow,
};

static void tar_disconnect(struct mg_device *dev)
{
	struct tar *t = mg_container_of(dev, struct tar, kv);

	tar_scan_stop(t);
	tar_read_cancel(t, NULL, NULL);
	tar_index_free(&t->index);
	mg_free(t->env, t->edge);
	mg_free(t->env, t);
}

static int tar_connect(const struct mg_env *env, struct mg_device **out)
{
	struct mg_block *disk = (struct mg_block *)env->deps[0];
	struct tar *t;
	int rc;

	if (!MG_OPS_HAS(env->host, connected)) {
		mg_log(env, MG_LOG_ERROR, "this host cannot wait for a connect (ABI 1.2 needed)");
		return -ENOTSUP;
	}
	t = mg_zalloc(env, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->kv.ops = &tar_ops;
	t->env = env;
	t->disk = disk;
	disk->ops->info(disk, &t->info);
	t->disk_bytes = t->info.sectors * t->info.sector_size;
	t->cache_left = (uint64_t)env->params[0].i << 10;
	t->edge = mg_alloc(env, t->info.sector_size);
	rc = t->edge ? tar_scan_start(t) : -ENOMEM;
	if (rc < 0) {
		mg_free(env, t->edge);
		mg_free(env, t);
		return rc;
	}
	*out = MG_DEVICE(&t->kv);
	return -EINPROGRESS;
}

static const struct mg_slot tar_slots[] = {
	{ .name = "disk", .type = MG_TYPE(BLOCK, 0), .doc = "the disk holding the archive" },
};

static const struct mg_param tar_params[] = {
	{ .name = "cache_kb", .type = MG_PARAM_INT, .def = "8192", .min = 0, .max = 1 << 20,
	  .doc = "values of at most 64 KiB are kept in memory once read whole, up to this many KiB in all" },
};

MG_PLUGIN(.name = "kvro.tar", .version = "1.0",
	  .summary = "kv_ro over a ustar/GNU tar archive on a block device, read on demand",
	  .provides = MG_TYPE(KV_RO, 2), .targets = MG_TARGET_ANY,
	  .slots = tar_slots, .nslots = MG_COUNTOF(tar_slots),
	  .params = tar_params, .nparams = MG_COUNTOF(tar_params),
	  .connect = tar_connect, .disconnect = tar_disconnect);
