/* test_blockfile.c - block.file through the block ops: what block.h
 * promises of reads, writes, flushes, cancel, a full queue, bad ranges,
 * read_nowait (1.2) with and without cached_reads, and lend (1.3), whose
 * loan keeps the file open after the disk disconnected.
 * Run from the repository root; plugins come from $MIRAGE_PLUGIN_DIR
 * (default build/plugins). */
#define _GNU_SOURCE
#include "checkrun.h"
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakehost.h"
#include "mirage/block.h"
#include "blockdone.h"

#define SECTORS 64u
#define TMP_TEMPLATE "/tmp/mirage-blockfile-XXXXXX"

static struct fakehost host;
static struct fakedev dev;
static struct mg_block *blk;
static char image[] = TMP_TEMPLATE;
static unsigned char want[SECTORS * 512];

/* Runs the loop until d was called back (or 5 s passed). */
static void await(struct done *d)
{
	for (int i = 0; i < 500 && !d->calls; i++)
		fakehost_poll(&host, 10);
	ck_assert_int_eq(d->calls, 1);
}

/* block.file over the image: read_only, queue, cached_reads as text (NULL: default). */
static void open_disk(const char *read_only, const char *queue, const char *cached)
{
	char path[PATH_MAX];
	const char *params[] = { image, read_only, queue, cached };

	ck_assert_int_eq(fakedev_connect(&dev, &host, fakehost_plugin_path(path, sizeof path, "block.file"),
					 params, 4, NULL, 0), 0);
	blk = (struct mg_block *)dev.dev;
}

static void setup(void)
{
	int fd;

	for (size_t i = 0; i < sizeof want; i++)
		want[i] = (unsigned char)(i * 7 + i / 512);
	memcpy(image, TMP_TEMPLATE, sizeof image);
	fd = mkstemp(image);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, want, sizeof want), (ssize_t)sizeof want);
	ck_assert_int_eq(write(fd, "tail", 4), 4); /* less than a sector: not on the disk */
	close(fd);
	fakehost_init(&host);
}

static void teardown(void)
{
	fakedev_disconnect(&dev);
	unlink(image);
	ck_assert_int_eq(host.allocs, 0);
}

START_TEST(info_and_reads)
{
	static unsigned char buf[sizeof want];
	struct mg_block_info info;
	struct done d = { 0 };

	open_disk(NULL, NULL, NULL);
	ck_assert_int_eq(blk->ops->hdr.minor, 3);
	blk->ops->info(blk, &info);
	ck_assert_uint_eq(info.sector_size, 512);
	ck_assert_uint_eq(info.sectors, SECTORS);
	ck_assert_int_eq(info.writable, 0);
	ck_assert_int_eq(blk->ops->read(blk, 3, buf, 5, on_done, &d), 0);
	ck_assert_int_eq(d.calls, 0); /* never from inside the op */
	await(&d);
	ck_assert_int_eq(d.err, 0);
	ck_assert(memcmp(buf, want + 3 * 512, 5 * 512) == 0);
	memset(buf, 0, sizeof buf);
	ck_assert_int_eq(blk->ops->read_sync(blk, 0, buf, SECTORS), 0);
	ck_assert(memcmp(buf, want, sizeof want) == 0);
	/* the file was just read: its pages are in the cache */
	memset(buf, 0, sizeof buf);
	ck_assert(MG_OPS_HAS(blk->ops, read_nowait));
	ck_assert_int_eq(blk->ops->read_nowait(blk, 1, buf, SECTORS - 1), 0);
	ck_assert(memcmp(buf, want + 512, sizeof want - 512) == 0);
}
END_TEST

START_TEST(bad_ranges)
{
	unsigned char buf[1024];
	struct done d = { 0 };

	open_disk(NULL, NULL, NULL);
	ck_assert_int_eq(blk->ops->read(blk, 0, buf, 0, on_done, &d), -EINVAL);
	ck_assert_int_eq(blk->ops->read(blk, SECTORS - 1, buf, 2, on_done, &d), -EINVAL);
	ck_assert_int_eq(blk->ops->read(blk, SECTORS, buf, 1, on_done, &d), -EINVAL);
	ck_assert_int_eq(blk->ops->read_sync(blk, SECTORS - 1, buf, 2), -EINVAL);
	ck_assert_int_eq(blk->ops->read_nowait(blk, SECTORS - 1, buf, 2), -EINVAL);
	ck_assert_int_eq(blk->ops->read_nowait(blk, 0, buf, 0), -EINVAL);
	ck_assert_int_eq(blk->ops->lend(blk, SECTORS - 1, 2, &(struct mg_span){ 0 }, &(struct mg_loan *){ 0 }),
			 -EINVAL);
	ck_assert_int_eq(blk->ops->lend(blk, 0, 0, &(struct mg_span){ 0 }, &(struct mg_loan *){ 0 }), -EINVAL);
	ck_assert_int_eq(blk->ops->write(blk, 0, buf, 1, on_done, &d), -EROFS);
	ck_assert_int_eq(blk->ops->flush(blk, on_done, &d), -EROFS);
	for (int i = 0; i < 5; i++)
		fakehost_poll(&host, 1);
	ck_assert_int_eq(d.calls, 0); /* nothing started, nothing called */
}
END_TEST

START_TEST(nowait_off)
{
	unsigned char buf[512];

	open_disk(NULL, NULL, "false");
	ck_assert_int_eq(blk->ops->read_nowait(blk, 0, buf, 1), -EAGAIN);
	ck_assert_int_eq(blk->ops->read_sync(blk, 0, buf, 1), 0);
	ck_assert_int_eq(blk->ops->read_nowait(blk, 0, buf, 1), -EAGAIN);
	ck_assert_int_eq(blk->ops->lend(blk, 0, 1, &(struct mg_span){ 0 }, &(struct mg_loan *){ 0 }), -EAGAIN);
}
END_TEST

/* Sectors are lent as the file's own descriptor and offset,
 * which the loan keeps open after the disk is gone; release closes it. */
START_TEST(lend_outlives_disk)
{
	static unsigned char buf[sizeof want];
	struct mg_span span;
	struct mg_loan *loan;

	open_disk(NULL, NULL, NULL);
	ck_assert_int_eq(blk->ops->read_sync(blk, 0, buf, SECTORS), 0); /* into the page cache */
	ck_assert(MG_OPS_HAS(blk->ops, lend));
	ck_assert_int_eq(blk->ops->lend(blk, 2, SECTORS - 2, &span, &loan), 0);
	ck_assert_ptr_null(span.data);
	ck_assert_uint_eq(span.off, 2 * 512);
	ck_assert_uint_eq(span.len, sizeof want - 2 * 512);
	dev.plugin->disconnect(dev.dev);
	memset(buf, 0, sizeof buf);
	ck_assert_int_eq(pread(span.fd, buf, span.len, (off_t)span.off), (ssize_t)span.len);
	ck_assert(memcmp(buf, want + 2 * 512, span.len) == 0);
	loan->release(loan);
	ck_assert_int_eq(fcntl(span.fd, F_GETFD), -1);
	open_disk(NULL, NULL, NULL); /* for teardown */
}
END_TEST

START_TEST(write_flush_read_back)
{
	unsigned char out[1024], in[1024];
	struct done w = { 0 }, f = { 0 }, r = { 0 };
	struct mg_block_info info;

	open_disk("false", NULL, NULL);
	blk->ops->info(blk, &info);
	ck_assert_int_eq(info.writable, 1);
	memset(out, 0xa5, sizeof out);
	ck_assert_int_eq(blk->ops->write(blk, 10, out, 2, on_done, &w), 0);
	await(&w);
	ck_assert_int_eq(w.err, 0);
	ck_assert_int_eq(blk->ops->flush(blk, on_done, &f), 0);
	await(&f);
	ck_assert_int_eq(f.err, 0);
	ck_assert_int_eq(blk->ops->read(blk, 10, in, 2, on_done, &r), 0);
	await(&r);
	ck_assert(memcmp(in, out, sizeof out) == 0);
	ck_assert_int_eq(blk->ops->read_nowait(blk, 9, in, 1), 0);
	ck_assert(memcmp(in, want + 9 * 512, 512) == 0);
}
END_TEST

/* A full queue says -EAGAIN and starts nothing; a cancelled read never
 * calls back, and its buffer is free at once (the bounce waits for the
 * kernel); the others complete. */
START_TEST(queue_and_cancel)
{
	unsigned char *a = malloc(4096), b[4096], c[512];
	struct done da = { 0 }, db = { 0 }, dc = { 0 };

	open_disk(NULL, "2", NULL);
	ck_assert_int_eq(blk->ops->read(blk, 0, a, 8, on_done, &da), 0);
	ck_assert_int_eq(blk->ops->read(blk, 8, b, 8, on_done, &db), 0);
	ck_assert_int_eq(blk->ops->read(blk, 16, c, 1, on_done, &dc), -EAGAIN);
	blk->ops->cancel(blk, on_done, &da);
	free(a);
	await(&db);
	ck_assert_int_eq(db.err, 0);
	ck_assert(memcmp(b, want + 8 * 512, sizeof b) == 0);
	for (int i = 0; i < 10; i++)
		fakehost_poll(&host, 5);
	ck_assert_int_eq(da.calls, 0);
	ck_assert_int_eq(blk->ops->read(blk, 16, c, 1, on_done, &dc), 0);
	await(&dc);
	ck_assert(memcmp(c, want + 16 * 512, sizeof c) == 0);
}
END_TEST

static Suite *blockfile_suite(void)
{
	Suite *s = suite_create("blockfile");
	TCase *tc = tcase_create("ops");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, info_and_reads);
	tcase_add_test(tc, bad_ranges);
	tcase_add_test(tc, nowait_off);
	tcase_add_test(tc, lend_outlives_disk);
	tcase_add_test(tc, write_flush_read_back);
	tcase_add_test(tc, queue_and_cancel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(blockfile_suite());
}
