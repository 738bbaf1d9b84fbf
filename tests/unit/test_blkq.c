/* test_blkq.c - block.xen's request queue (plugins/xen/block/queue.c)
 * against a fake blkback: a memory disk that serves the shared ring,
 * finding each segment's page by its grant ref, as dom0's backend maps
 * them.  Covers the splitting of an op into direct or indirect requests,
 * the bounce pages, -EAGAIN, flush, cancel and errors, without Xen. */
#include "checkrun.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"
#include "blockdone.h"

#define NPOOL 256
#define DISK_SECTORS 8192 /* 4 MiB */
#define POOL_REF0 1000
#define IND_REF0 5000

static struct bq q;
static unsigned char disk[DISK_SECTORS * BLKIF_SECTOR];
static char *pool, *ind;
static uint32_t pool_refs[NPOOL], ind_refs[BQ_SLOTS];
static int notified, later_asked;

/* What the fake backend saw and does. */
static struct {
	uint32_t req_cons, rsp_prod;
	unsigned requests, indirect, flushes, max_segs;
	int fail_next;         /* answer the next request with an error */
	int reverse;           /* answer a batch last request first */
} be;

static char *page_of_ref(uint32_t ref)
{
	if (ref >= POOL_REF0 && ref < POOL_REF0 + NPOOL)
		return pool + (size_t)(ref - POOL_REF0) * BLKIF_PAGE;
	if (ref >= IND_REF0 && ref < IND_REF0 + BQ_SLOTS)
		return ind + (size_t)(ref - IND_REF0) * BLKIF_PAGE;
	ck_abort_msg("grant ref %u is none of the queue's", ref);
	return NULL;
}

/* One request: its segments copied from or to the disk; the status. */
static int16_t serve_one(const union blkif_entry *e)
{
	const struct blkif_seg *seg = e->req.seg;
	unsigned nsegs = e->req.nr_segs, op = e->req.op;
	uint64_t s = e->req.sector;

	if (op == BLKIF_OP_FLUSH_DISKCACHE) {
		ck_assert_uint_eq(nsegs, 0);
		be.flushes++;
		return 0;
	}
	if (op == BLKIF_OP_INDIRECT) {
		op = e->ind.indirect_op;
		nsegs = e->ind.nr_segs;
		s = e->ind.sector;
		seg = (const struct blkif_seg *)page_of_ref(e->ind.grefs[0]);
		ck_assert_uint_gt(nsegs, BLKIF_SEGS_DIRECT);
		be.indirect++;
	} else {
		ck_assert_uint_le(nsegs, BLKIF_SEGS_DIRECT);
	}
	ck_assert(op == BLKIF_OP_READ || op == BLKIF_OP_WRITE);
	if (nsegs > be.max_segs)
		be.max_segs = nsegs;
	for (unsigned i = 0; i < nsegs; i++) {
		char *page = page_of_ref(seg[i].gref);
		size_t n = (size_t)(seg[i].last_sect - seg[i].first_sect + 1) * BLKIF_SECTOR;

		ck_assert_uint_le(seg[i].first_sect, seg[i].last_sect);
		ck_assert_uint_lt(seg[i].last_sect, BLKIF_PAGE / BLKIF_SECTOR);
		ck_assert_uint_le((s + seg[i].first_sect) * BLKIF_SECTOR + n, sizeof disk);
		if (op == BLKIF_OP_READ)
			memcpy(page + seg[i].first_sect * BLKIF_SECTOR, disk + s * BLKIF_SECTOR, n);
		else
			memcpy(disk + s * BLKIF_SECTOR, page + seg[i].first_sect * BLKIF_SECTOR, n);
		s += n / BLKIF_SECTOR;
	}
	return 0;
}

/* Takes every request on the ring, answers them (in reverse when asked). */
static void serve(void)
{
	struct blkif_sring *sr = q.sring;
	struct blkif_rsp rsp[BQ_SLOTS];
	unsigned n = 0;

	for (; be.req_cons != sr->req_prod; be.req_cons++) {
		const union blkif_entry *e = &sr->ring[be.req_cons % BQ_SLOTS];

		ck_assert_uint_lt(n, BQ_SLOTS);
		rsp[n] = (struct blkif_rsp){ .id = e->req.id, .op = e->req.op, .status = serve_one(e) };
		if (be.fail_next) {
			rsp[n].status = -1;
			be.fail_next = 0;
		}
		n++;
		be.requests++;
	}
	for (unsigned i = 0; i < n; i++) {
		union blkif_entry *slot = &sr->ring[be.rsp_prod++ % BQ_SLOTS];

		slot->rsp = rsp[be.reverse ? n - 1 - i : i];
	}
	sr->rsp_prod = be.rsp_prod;
}

static void hook_notify(void *arg)
{
	(void)arg;
	notified++;
}

static void hook_later(void *arg)
{
	(void)arg;
	later_asked++;
}

static void setup_geom(unsigned indirect, int writable, int flush, unsigned npool)
{
	static char ring[BLKIF_PAGE] __attribute__((aligned(4096)));
	struct bq_hooks hooks = { .notify = hook_notify, .later = hook_later };
	struct bq_geom g = { .sector_size = 512, .sectors512 = DISK_SECTORS, .writable = writable,
			     .flush = flush, .indirect_segs = indirect };

	memset(&be, 0, sizeof be);
	notified = later_asked = 0;
	for (size_t i = 0; i < sizeof disk; i++)
		disk[i] = (unsigned char)(i * 7 + i / 4096);
	if (!pool) {
		pool = aligned_alloc(BLKIF_PAGE, (size_t)NPOOL * BLKIF_PAGE);
		ind = aligned_alloc(BLKIF_PAGE, (size_t)BQ_SLOTS * BLKIF_PAGE);
		ck_assert(pool && ind);
		for (unsigned i = 0; i < NPOOL; i++)
			pool_refs[i] = POOL_REF0 + i;
		for (unsigned i = 0; i < BQ_SLOTS; i++)
			ind_refs[i] = IND_REF0 + i;
	}
	bq_ring_init(&q, ring, &hooks, 51712);
	ck_assert_int_eq(bq_configure(&q, &g, pool, pool_refs, npool, ind, ind_refs), 0);
}

/* Reads count sectors at sector into a buffer at an odd address and
 * compares with the disk. */
static void read_and_check(uint64_t sector, uint32_t count)
{
	size_t len = (size_t)count * 512;
	char *mem = malloc(len + 1), *buf = mem + 1;
	struct done d = { 0 };

	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, sector, buf, NULL, count, on_done, &d), 0);
	ck_assert_int_eq(d.calls, 0);
	serve();
	bq_reap(&q);
	ck_assert_int_eq(d.calls, 0); /* only bq_deliver calls back */
	bq_deliver(&q);
	ck_assert_int_eq(d.calls, 1);
	ck_assert_int_eq(d.err, 0);
	ck_assert(memcmp(buf, disk + sector * 512, len) == 0);
	ck_assert_uint_eq(q.nfree, q.npool);
	ck_assert_uint_eq(bq_inflight(&q), 0);
	free(mem);
}

START_TEST(direct_split)
{
	struct mg_block_info info;

	setup_geom(0, 0, 0, NPOOL);
	bq_info(&q, &info);
	ck_assert_uint_eq(info.sector_size, 512);
	ck_assert_uint_eq(info.sectors, DISK_SECTORS);
	ck_assert_uint_eq(info.max_count, NPOOL * 8); /* 24 requests of 11 pages fit the ring */
	ck_assert_int_eq(info.writable, 0);
	read_and_check(3, 2048); /* 1 MiB: 256 pages in ceil(256 / 11) requests */
	ck_assert_uint_eq(be.requests, 24);
	ck_assert_uint_eq(be.indirect, 0);
	ck_assert_uint_eq(be.max_segs, 11);
	ck_assert_int_eq(notified, 1); /* one kick for the batch */
	read_and_check(DISK_SECTORS - 1, 1);
}
END_TEST

START_TEST(indirect_requests)
{
	setup_geom(256, 0, 0, NPOOL);
	read_and_check(5, 2048); /* 1 MiB in one indirect request of 256 segments */
	ck_assert_uint_eq(be.requests, 1);
	ck_assert_uint_eq(be.indirect, 1);
	ck_assert_uint_eq(be.max_segs, 256);
	read_and_check(0, 88); /* 11 pages: a direct one */
	ck_assert_uint_eq(be.indirect, 1);
	read_and_check(1, 97); /* 13 pages, the last partly */
	ck_assert_uint_eq(be.indirect, 2);
}
END_TEST

START_TEST(write_and_flush)
{
	char data[3 * 512];
	struct done d = { 0 };

	setup_geom(256, 1, 1, NPOOL);
	memset(data, 'w', sizeof data);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_WRITE, 10, NULL, data, 3, on_done, &d), 0);
	memset(data, 0, sizeof data); /* the queue copied it */
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, NULL, 0, on_done, &d), 0);
	serve();
	bq_reap(&q);
	bq_deliver(&q);
	ck_assert_int_eq(d.calls, 2);
	ck_assert_int_eq(d.err, 0);
	ck_assert_uint_eq(be.flushes, 1);
	for (size_t i = 0; i < sizeof data; i++)
		ck_assert_int_eq(disk[10 * 512 + i], 'w');
	read_and_check(9, 5);
}
END_TEST

START_TEST(flush_without_cache)
{
	struct done d = { 0 };

	setup_geom(0, 1, 0, NPOOL);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, NULL, 0, on_done, &d), 0);
	ck_assert_int_eq(d.calls, 0); /* never from within the op */
	ck_assert_int_eq(later_asked, 1);
	ck_assert_uint_eq(q.sring->req_prod, 0); /* nothing for the backend */
	bq_deliver(&q);
	ck_assert_int_eq(d.calls, 1);
	ck_assert_int_eq(d.err, 0);
}
END_TEST

START_TEST(refused)
{
	char buf[512];
	struct done d = { 0 };

	setup_geom(0, 0, 1, NPOOL);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_WRITE, 0, NULL, buf, 1, on_done, &d), -EROFS);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, NULL, 0, on_done, &d), -EROFS);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, buf, NULL, 0, on_done, &d), -EINVAL);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, buf, NULL, NPOOL * 8 + 1, on_done, &d), -EINVAL);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, DISK_SECTORS, buf, NULL, 1, on_done, &d), -EINVAL);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, DISK_SECTORS - 1, buf, NULL, 2, on_done, &d), -EINVAL);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, ~0ull, buf, NULL, 1, on_done, &d), -EINVAL);
	ck_assert_uint_eq(q.sring->req_prod, 0);
	ck_assert_int_eq(d.calls, 0);
}
END_TEST

START_TEST(queue_full)
{
	static char bufs[BQ_SLOTS + 1][512];
	struct done d = { 0 }, big = { 0 };
	static char large[16 * 4096];

	/* the ring: 32 requests, the 33rd waits */
	setup_geom(0, 0, 0, NPOOL);
	for (unsigned i = 0; i < BQ_SLOTS; i++)
		ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, i, bufs[i], NULL, 1, on_done, &d), 0);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, bufs[BQ_SLOTS], NULL, 1, on_done, &d), -EAGAIN);
	serve();
	bq_reap(&q);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, bufs[BQ_SLOTS], NULL, 1, on_done, &d), 0);
	serve();
	bq_reap(&q);
	bq_deliver(&q);
	ck_assert_int_eq(d.calls, BQ_SLOTS + 1);
	ck_assert_uint_eq(q.st.eagain, 1);

	/* the bounce pages: 16 of them, two ops of 16 pages */
	setup_geom(256, 0, 0, 16);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, large, NULL, 128, on_done, &big), 0);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, large, NULL, 8, on_done, &big), -EAGAIN);
	serve();
	bq_reap(&q);
	bq_deliver(&q);
	ck_assert_int_eq(big.calls, 1);
	ck_assert(memcmp(large, disk, sizeof large) == 0);
	ck_assert_uint_eq(q.max_count, 128);
}
END_TEST

START_TEST(cancel_and_errors)
{
	char a[4096], b[4096];
	struct done da = { 0 }, db = { 0 };

	setup_geom(0, 0, 0, NPOOL);
	memset(a, 'x', sizeof a);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, a, NULL, 8, on_done, &da), 0);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 8, b, NULL, 8, on_done, &db), 0);
	bq_cancel(&q, on_done, &da);
	be.reverse = 1;
	serve();
	bq_reap(&q);
	bq_deliver(&q);
	ck_assert_int_eq(da.calls, 0);
	ck_assert_int_eq(a[0], 'x'); /* a cancelled read leaves the buffer alone */
	ck_assert_int_eq(db.calls, 1);
	ck_assert(memcmp(b, disk + 8 * 512, sizeof b) == 0);
	ck_assert_uint_eq(q.nfree, NPOOL);

	/* a request the backend fails fails its op, with the others of it */
	be.fail_next = 1;
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, a, NULL, 8, on_done, &da), 0);
	serve();
	bq_reap(&q);
	bq_deliver(&q);
	ck_assert_int_eq(da.calls, 1);
	ck_assert_int_eq(da.err, -EIO);

	/* a done op taken (read_sync's) is not called back */
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, a, NULL, 8, on_done, &db), 0);
	ck_assert_int_eq(bq_take(&q, on_done, &db, &db.err), 0);
	serve();
	bq_reap(&q);
	db.err = 1;
	ck_assert_int_eq(bq_take(&q, on_done, &db, &db.err), 1);
	ck_assert_int_eq(db.err, 0);
	bq_deliver(&q);
	ck_assert_int_eq(db.calls, 1);

	/* the backend went away: what is out fails, nothing more starts */
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, a, NULL, 8, on_done, &da), 0);
	bq_fail_all(&q, -EIO);
	bq_deliver(&q);
	ck_assert_int_eq(da.calls, 2);
	ck_assert_int_eq(da.err, -EIO);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 0, a, NULL, 8, on_done, &da), -EIO);
}
END_TEST

START_TEST(large_sectors)
{
	struct bq_geom g = { .sector_size = 4096, .sectors512 = DISK_SECTORS };
	struct mg_block_info info;
	char buf[2 * 4096];
	struct done d = { 0 };

	setup_geom(0, 0, 0, NPOOL);
	ck_assert_int_eq(bq_configure(&q, &g, pool, pool_refs, NPOOL, NULL, NULL), 0);
	bq_info(&q, &info);
	ck_assert_uint_eq(info.sectors, DISK_SECTORS / 8);
	ck_assert_uint_eq(info.max_count, NPOOL);
	ck_assert_int_eq(bq_submit(&q, BLKIF_OP_READ, 3, buf, NULL, 2, on_done, &d), 0);
	serve();
	bq_reap(&q);
	bq_deliver(&q);
	ck_assert(memcmp(buf, disk + 3 * 4096, sizeof buf) == 0);
	g.sector_size = 768;
	ck_assert_int_eq(bq_configure(&q, &g, pool, pool_refs, NPOOL, NULL, NULL), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	const TTest *tests[] = { direct_split, indirect_requests, write_and_flush, flush_without_cache,
				 refused, queue_full, cancel_and_errors, large_sectors };
	Suite *s = suite_create("block.xen queue");
	TCase *tc = tcase_create("queue");

	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite()) ? 1 : 0;
}
