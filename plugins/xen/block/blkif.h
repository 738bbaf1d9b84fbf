/* blkif.h - the wire format of Xen's block protocol (public io/blkif.h and
 * io/ring.h), written out for this driver: the shared ring page, the
 * requests it carries (direct with up to 11 segments, indirect with the
 * segments in pages of their own) and the responses.  Layouts are x86_64's
 * ("x86_64-abi"), pinned below.  Sector numbers are in 512-byte units: the
 * frontend does not ask for feature-large-sector-size. */
#ifndef BLKIF_H
#define BLKIF_H

#include <stddef.h>
#include <stdint.h>

#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
#define BLKIF_OP_FLUSH_DISKCACHE 3
#define BLKIF_OP_INDIRECT 6

#define BLKIF_RSP_OKAY 0

#define BLKIF_SEGS_DIRECT 11     /* segments in a direct request */
#define BLKIF_INDIRECT_PAGES 8   /* indirect pages one request may name */
#define BLKIF_PAGE 4096u
#define BLKIF_SECTOR 512u
#define BLKIF_VDISK_READONLY 4u  /* the backend's `info` bit */

/* One page (or part of it) of a request's data. */
struct blkif_seg {
	uint32_t gref;
	uint8_t first_sect, last_sect; /* 512-byte sectors in the page, inclusive */
	uint16_t pad;
};

struct blkif_req {
	uint8_t op;
	uint8_t nr_segs;
	uint16_t handle;  /* the vbd's number */
	uint32_t pad;
	uint64_t id;      /* echoed in the response */
	uint64_t sector;
	struct blkif_seg seg[BLKIF_SEGS_DIRECT];
};

struct blkif_req_indirect {
	uint8_t op;       /* BLKIF_OP_INDIRECT */
	uint8_t indirect_op;
	uint16_t nr_segs;
	uint32_t pad;
	uint64_t id;
	uint64_t sector;
	uint16_t handle;
	uint16_t pad2;
	uint32_t grefs[BLKIF_INDIRECT_PAGES]; /* pages of struct blkif_seg */
	uint32_t pad3;
};

struct blkif_rsp {
	uint64_t id;
	uint8_t op;
	uint8_t pad;
	int16_t status;
};

union blkif_entry {
	struct blkif_req req;
	struct blkif_req_indirect ind;
	struct blkif_rsp rsp;
};

/* The shared page: producer and event indexes, then the entries. */
struct blkif_sring {
	uint32_t req_prod, req_event;
	uint32_t rsp_prod, rsp_event;
	uint8_t pad[48];
	union blkif_entry ring[];
};

/* io/ring.h's size: the largest power of two of entries that fit. */
#define BLKIF_RING_SIZE 32u

_Static_assert(sizeof(struct blkif_seg) == 8, "blkif segment");
_Static_assert(offsetof(struct blkif_req, id) == 8 && offsetof(struct blkif_req, sector) == 16 &&
		       offsetof(struct blkif_req, seg) == 24 && sizeof(struct blkif_req) == 112,
	       "blkif request");
_Static_assert(offsetof(struct blkif_req_indirect, nr_segs) == 2 &&
		       offsetof(struct blkif_req_indirect, handle) == 24 &&
		       offsetof(struct blkif_req_indirect, grefs) == 28 &&
		       sizeof(struct blkif_req_indirect) == 64,
	       "blkif indirect request");
_Static_assert(offsetof(struct blkif_rsp, op) == 8 && offsetof(struct blkif_rsp, status) == 10 &&
		       sizeof(struct blkif_rsp) == 16,
	       "blkif response");
_Static_assert(offsetof(struct blkif_sring, ring) == 64 && sizeof(union blkif_entry) == 112,
	       "blkif shared ring");
_Static_assert(64 + BLKIF_RING_SIZE * sizeof(union blkif_entry) <= BLKIF_PAGE &&
		       64 + 2 * BLKIF_RING_SIZE * sizeof(union blkif_entry) > BLKIF_PAGE,
	       "blkif ring size: the largest power of two that fits a page");

#define BLKIF_SEGS_PER_PAGE (BLKIF_PAGE / sizeof(struct blkif_seg)) /* 512 */

#endif
