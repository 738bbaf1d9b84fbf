/* block.h - module type "block": a disk of fixed-size sectors, with
 * asynchronous reads, writes and flushes (a Unix file or block device, a Xen
 * blkfront).
 *
 * Contract for every I/O op (read, write, flush):
 * - It either returns a negative errno, and then nothing was started and cb
 *   is never called, or returns 0 and calls cb exactly once, later, from the
 *   event loop: never from within the op itself, so a caller may issue I/O
 *   from its own callbacks without re-entering them.
 * - The buffer belongs to the caller, who keeps it valid and does not touch
 *   it until cb (or cancel) returns; the device never touches it afterwards.
 *   Any alignment is accepted (devices bounce through their own pages).
 * - -EAGAIN: the device's queue is full and nothing was started.  It is only
 *   returned while requests are in flight: the caller retries after one of
 *   its own completions or, with none of its own out (a disk shared by
 *   several dependents), from a timer.
 * - -EINVAL: count is 0 or above info.max_count, or the range passes the
 *   disk's end.  -EROFS: a write or flush on a read-only disk.
 * - The completion's err is 0 or a negative errno (-EIO); a read that
 *   failed leaves buf's contents undefined.
 * - Requests in flight complete in any order; a flush covers the writes
 *   whose cb came before it was issued.
 * read_sync (1.1) is the one exception: it blocks, for callers whose own
 * interface is synchronous (kv_ro 1.0's get over a disk).  read_nowait
 * (1.2) neither blocks nor calls back: it reads only what is at hand;
 * lend (1.3) neither, and copies nothing: it lends the device's own file. */
#ifndef MIRAGE_BLOCK_H
#define MIRAGE_BLOCK_H

#include "mirage.h"

#define MG_BLOCK_NAME "block"
#define MG_BLOCK_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_BLOCK_TYPE _Pragma("GCC error \"MG_BLOCK_TYPE is gone: write MG_TYPE(BLOCK, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_block;

struct mg_block_info {
	uint32_t sector_size; /* bytes, a power of two >= 512 */
	uint32_t max_count;   /* most sectors one request takes, >= 1 */
	uint64_t sectors;     /* the disk's size; fixed while connected */
	int writable;         /* 0: write and flush return -EROFS */
};

/* An I/O finished: 0 or a negative errno (-EIO). */
typedef void (*mg_block_cb)(void *arg, int err);

struct mg_block_ops {
	struct mg_ops_hdr hdr;
	void (*info)(struct mg_block *b, struct mg_block_info *out);
	/* Reads count sectors from `sector` into buf. */
	int (*read)(struct mg_block *b, uint64_t sector, void *buf,
		    uint32_t count, mg_block_cb cb, void *arg);
	/* Writes count sectors at `sector` from buf. */
	int (*write)(struct mg_block *b, uint64_t sector, const void *buf,
		     uint32_t count, mg_block_cb cb, void *arg);
	/* Calls cb once every write completed before it is durable; a disk
	 * without a write cache completes it at once (still from the loop). */
	int (*flush)(struct mg_block *b, mg_block_cb cb, void *arg);
	/* Drops every request in flight issued with this cb and arg: their
	 * callbacks are never called and their buffers are free when cancel
	 * returns.  A dependent calls it before it disconnects or frees a
	 * buffer it lent; requests of other callers go on. */
	void (*cancel)(struct mg_block *b, mg_block_cb cb, void *arg);

	/* ---- 1.1 ---- */
	/* Reads count sectors from `sector` into buf and returns when they
	 * are there (0) or failed (-EIO), blocking the loop meanwhile; the
	 * requests in flight go on and complete as usual.  -EINVAL as read.
	 * Only for a synchronous caller: prefer read. */
	int (*read_sync)(struct mg_block *b, uint64_t sector, void *buf, uint32_t count);

	/* ---- 1.2 ---- */
	/* Reads count sectors from `sector` into buf at once if no wait on the
	 * device is needed (a Unix file whose bytes are in the page cache):
	 * 0 when they are there; -EAGAIN when they are not all at hand (buf's
	 * contents then undefined: use read); -EINVAL as read; -EIO.  It
	 * never blocks, calls no callback and keeps no hold on buf.  Optional:
	 * a device that always waits leaves it NULL. */
	int (*read_nowait)(struct mg_block *b, uint64_t sector, void *buf, uint32_t count);

	/* ---- 1.3 ---- */
	/* Lends sectors [sector, sector + count) without copying them: *span
	 * is the device's open file from byte sector * sector_size (data
	 * NULL, fd, off; len count * sector_size) and *loan keeps that file
	 * open until release(loan), which stays callable after the device
	 * disconnected (a swap).  count is not bounded by max_count.  Only
	 * bytes at hand are lent, so that a sendfile of them does not wait on
	 * the disk: -EAGAIN when a cheap check finds them out of the page
	 * cache (the first and the last sector, read as read_nowait does; a
	 * page between them that is not may still make the sendfile wait, as
	 * a file a store lends would) or when reads at once are off; the
	 * caller then reads them.  -EINVAL: count 0 or past the disk's end;
	 * -EIO.  Optional: a device without such a file leaves it NULL. */
	int (*lend)(struct mg_block *b, uint64_t sector, uint32_t count, struct mg_span *span,
		    struct mg_loan **loan);
};
MG_OPS_PIN(struct mg_block_ops, cancel, 5); /* 1.0 */
MG_OPS_PIN(struct mg_block_ops, read_sync, 6); /* 1.1 */
MG_OPS_PIN(struct mg_block_ops, read_nowait, 7); /* 1.2 */
MG_OPS_PIN(struct mg_block_ops, lend, 8); /* 1.3 */

struct mg_block {
	const struct mg_block_ops *ops;
};

#endif
