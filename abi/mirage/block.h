/* block.h - module type "block": a disk of fixed-size sectors, with
 * asynchronous reads and writes. */
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
	uint64_t sectors;
	int writable;
};

/* An I/O finished: 0 or a negative errno (-EIO). */
typedef void (*mg_block_cb)(void *arg, int err);

struct mg_block_ops {
	struct mg_ops_hdr hdr;
	void (*info)(struct mg_block *b, struct mg_block_info *out);
	/* Reads count sectors from `sector` into buf, which must stay valid
	 * until cb.  -EINVAL out of range, -EAGAIN when the queue is full. */
	int (*read)(struct mg_block *b, uint64_t sector, void *buf,
		    uint32_t count, mg_block_cb cb, void *arg);
	/* Writes; buf stays the caller's and must stay valid until cb.
	 * -EROFS on a read-only disk. */
	int (*write)(struct mg_block *b, uint64_t sector, const void *buf,
		     uint32_t count, mg_block_cb cb, void *arg);
	/* Calls cb once every write issued before it is durable. */
	int (*flush)(struct mg_block *b, mg_block_cb cb, void *arg);
};
MG_OPS_PIN(struct mg_block_ops, flush, 4); /* 1.0 */

struct mg_block {
	const struct mg_block_ops *ops;
};

#endif
