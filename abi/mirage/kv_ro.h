/* kv_ro.h - module type "kv_ro": a read-only store of named byte strings,
 * organised as a tree (the seed's KV_RO).
 *
 * Keys are relative paths: segments separated by '/', no empty, "." or ".."
 * segment, no NUL, no leading '/'.  "" is the root dictionary.  Every op
 * refuses a malformed key with -EINVAL, and a key whose lookup would leave
 * the store (a symlink out of a served folder, say) with -EACCES.
 *
 * The 1.0 ops are synchronous: implementations serve from memory or local
 * storage and must not wait on the network; a store over a block device
 * may block the loop in get and get_partial while the disk reads.  1.1
 * adds `read`, which never does, and `stat`, one lookup for what a server
 * asks of every request.  1.2 adds `borrow`, a view of a value without a
 * copy.  A caller checks MG_OPS_HAS before using them.
 * Buffers belong to the caller, except a read's until it completes. */
#ifndef MIRAGE_KV_RO_H
#define MIRAGE_KV_RO_H

#include "mirage.h"

#define MG_KV_RO_NAME "kv_ro"
#define MG_KV_RO_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_KV_RO_TYPE _Pragma("GCC error \"MG_KV_RO_TYPE is gone: write MG_TYPE(KV_RO, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

enum mg_kv_kind {
	MG_KV_VALUE = 1,
	MG_KV_DICTIONARY = 2,
};

/* Longest digest, NUL included. */
#define MG_KV_DIGEST_MAX 72

struct mg_kv_ro;

/* Called once per entry by list; `name` is the entry's last segment, valid
 * during the call.  Return 0 to go on, anything else stops list, which then
 * returns that value. */
typedef int (*mg_kv_list_cb)(void *arg, const char *name, enum mg_kv_kind kind);

/* What stat tells of a key (1.1). */
struct mg_kv_stat {
	enum mg_kv_kind kind;
	uint32_t reserved;        /* 0 */
	uint64_t size;            /* a value's length; 0 for a dictionary */
	int64_t mtime_ns;         /* as last_modified */
	char digest[MG_KV_DIGEST_MAX]; /* as digest; "" for a dictionary */
};

/* A read (1.1) finished: err is 0 or a negative errno (-EIO); got bytes
 * are in the buffer, fewer than asked only at the value's end. */
typedef void (*mg_kv_read_cb)(void *arg, int err, size_t got);

struct mg_kv_ro_ops {
	struct mg_ops_hdr hdr;
	/* Stores the key's kind in *kind.  -ENOENT when absent. */
	int (*exists)(struct mg_kv_ro *kv, const char *key, enum mg_kv_kind *kind);
	/* Copies the whole value into buf (cap bytes) and stores its length in
	 * *len.  -ENOSPC when cap is too small (*len then holds the size
	 * needed), -ENOENT, -EISDIR for a dictionary, -EIO. */
	int (*get)(struct mg_kv_ro *kv, const char *key, void *buf, size_t cap,
		   size_t *len);
	/* Copies at most len bytes from offset into buf; *got is the count
	 * copied, less than len only at the end of the value (0 at or past
	 * it).  -ENOENT, -EISDIR, -EIO. */
	int (*get_partial)(struct mg_kv_ro *kv, const char *key, uint64_t offset,
			   void *buf, size_t len, size_t *got);
	/* Calls cb for every entry of dictionary `key`, in byte order of the
	 * names.  -ENOENT, -ENOTDIR for a value. */
	int (*list)(struct mg_kv_ro *kv, const char *key, mg_kv_list_cb cb,
		    void *arg);
	/* The value's length in bytes.  -ENOENT, -EISDIR. */
	int (*size)(struct mg_kv_ro *kv, const char *key, uint64_t *size);
	/* When the value last changed, in ns since the epoch (0 if unknown). */
	int (*last_modified)(struct mg_kv_ro *kv, const char *key, int64_t *ns);
	/* A printable token (no quotes, no spaces) that changes whenever the
	 * value changes, NUL-terminated in buf; cap >= MG_KV_DIGEST_MAX is
	 * always enough.  -ENOSPC, -ENOENT, -EISDIR. */
	int (*digest)(struct mg_kv_ro *kv, const char *key, char *buf, size_t cap);

	/* ---- 1.1 ---- */
	/* exists, size, last_modified and digest in one lookup.  -ENOENT. */
	int (*stat)(struct mg_kv_ro *kv, const char *key, struct mg_kv_stat *st);
	/* get_partial that never waits on a device:
	 * - 1: done at once (a store in memory or on a local file system);
	 *   *got is set and cb is not called.
	 * - 0: started; cb(arg, err, got) follows exactly once, later, from
	 *   the event loop, never from inside read.  Until then (or until
	 *   read_cancel returns) buf is the store's: the caller keeps it
	 *   valid and does not touch it.  *got is not set.
	 * - a negative errno, and nothing started: -ENOENT, -EISDIR, -EINVAL,
	 *   -EACCES as get_partial; -EAGAIN when too many reads are in flight
	 *   (retry after one of the caller's completions, or from a timer).
	 * With cb NULL the read only finishes at once: a store that would
	 * have to wait returns -EINPROGRESS and starts nothing, so a caller
	 * may offer a buffer it cannot lend (the server's own). */
	int (*read)(struct mg_kv_ro *kv, const char *key, uint64_t offset, void *buf,
		    size_t len, size_t *got, mg_kv_read_cb cb, void *arg);
	/* Drops every read in flight issued with this cb and arg: their
	 * callbacks are never called and their buffers are free when it
	 * returns.  A caller calls it before it frees a buffer it lent or
	 * lets go of the store (a swapped store is disconnected after its
	 * dependents heard of its successor). */
	void (*read_cancel)(struct mg_kv_ro *kv, mg_kv_read_cb cb, void *arg);

	/* ---- 1.2 ---- */
	/* Lends bytes [offset, offset + len) of the value without copying
	 * them: *span holds them (span->len < len only at the value's end) and
	 * *loan ends the loan (see struct mg_loan), which the caller must
	 * release even after the store is gone.  A store in memory lends its
	 * memory; one over files may lend an open file (span->fd), whose bytes
	 * are the value's as it was when the loan began if it is replaced by
	 * a rename, and which comes short if it is truncated meanwhile (a
	 * reader then sees fewer bytes, never others).  -ENOENT, -EISDIR,
	 * -EINVAL, -EACCES; -EOPNOTSUPP when the store cannot lend this value
	 * (the caller reads it instead). */
	int (*borrow)(struct mg_kv_ro *kv, const char *key, uint64_t offset, size_t len,
		      struct mg_span *span, struct mg_loan **loan);
};
MG_OPS_PIN(struct mg_kv_ro_ops, digest, 7); /* 1.0 */
MG_OPS_PIN(struct mg_kv_ro_ops, read_cancel, 10); /* 1.1 */
MG_OPS_PIN(struct mg_kv_ro_ops, borrow, 11); /* 1.2 */
_Static_assert(sizeof(struct mg_kv_stat) == 24 + MG_KV_DIGEST_MAX, "struct mg_kv_stat changed");

struct mg_kv_ro {
	const struct mg_kv_ro_ops *ops;
};

/* 0 when key is well formed (see above), else -EINVAL.  For implementations. */
static inline int mg_kv_key_check(const char *key)
{
	const char *seg = key;

	if (*key == '\0')
		return 0;
	for (;;) {
		const char *end = seg;

		while (*end != '\0' && *end != '/')
			end++;
		if (end == seg || (end - seg == 1 && seg[0] == '.') ||
		    (end - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return -EINVAL;
		if (*end == '\0')
			return 0;
		seg = end + 1;
	}
}

#endif
