/* mirage.h - what every module type shares: type tags, versioned ops headers,
 * device handles, log levels and error conventions.
 *
 * Errors: every function that can fail returns 0 (or a byte count) on success
 * and a negative errno value (-ENOENT, -EINVAL, ...) on failure.  Each op's
 * comment lists the errors that carry a specific meaning for it. */
#ifndef MIRAGE_H
#define MIRAGE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* A module type's identity.  Major changes break callers; minor changes only
 * append members to the ops table. */
struct mg_type {
	const char *name;
	uint16_t major;
	uint16_t minor;
};

/* A type's header defines its name and major (MG_KV_RO_NAME, MG_KV_RO_MAJOR);
 * the minor is the plugin's to state, once for what it provides and once per
 * slot for what it needs, so that rebuilding against a newer header changes
 * neither claim:
 *   .provides = MG_TYPE(KV_RO, 0)          implements kv_ro 1.0
 *   .type = MG_TYPE(STACKV4, 1)            needs stackv4 1.1 or newer
 * The ops table states the same minor (MG_OPS_HDR); connect fails when the
 * table's minor is below the descriptor's claim. */
#define MG_TYPE(T, minor_) { MG_##T##_NAME, MG_##T##_MAJOR, (minor_) }

/* The first member of every ops table.  `size` is sizeof the table as the
 * implementation was compiled, so a caller built against a newer minor can
 * tell whether a member exists (see MG_OPS_HAS). */
struct mg_ops_hdr {
	uint32_t size;
	uint16_t major;
	uint16_t minor;
};
_Static_assert(sizeof(struct mg_ops_hdr) == 8, "the ops header is 8 bytes on every target");

#define MG_OPS_HDR(ops_struct, major_, minor_) \
	{ .size = sizeof(ops_struct), .major = (major_), .minor = (minor_) }

/* Pins an ops table's layout at a minor: `last` is that minor's last member
 * and n_ops the count of members up to it.  Members are only appended, so
 * every pin a header states stays true. */
#define MG_OPS_PIN(ops_struct, last, n_ops)                                      \
	_Static_assert(offsetof(ops_struct, last) + sizeof(void (*)(void)) ==      \
			       sizeof(struct mg_ops_hdr) + (n_ops) * sizeof(void (*)(void)), \
		       #ops_struct ": members before " #last " changed; only append")

/* True when a table of `size` bytes, at p, has the member `m` set. */
#define MG_OPS_HAS_SIZE(size, type, p, m) \
	((size) >= offsetof(type, m) + sizeof((p)->m) && (p)->m != NULL)
/* True when the table `ops` has the member `m` and it is set. */
#define MG_OPS_HAS(ops, m) MG_OPS_HAS_SIZE((ops)->hdr.size, __typeof__(*(ops)), ops, m)

/* Every device handle starts with a pointer to its ops table; a plugin embeds
 * the typed handle (struct mg_console, struct mg_kv_ro, ...) in its instance
 * and gets back to the instance with mg_container_of. */
struct mg_device {
	const struct mg_ops_hdr *ops;
};

#define MG_DEVICE(handle) ((struct mg_device *)(void *)(handle))
#define mg_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define MG_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* Bytes one device lends another without copying them (kv_ro's borrow,
 * http's body_lent, flow's writev): len bytes in memory at data, or, on
 * Unix, len bytes of a file opened before the loan, from off (data NULL,
 * fd >= 0: a store's view that a socket may sendfile). */
struct mg_span {
	const void *data;
	size_t len;
	int fd;
	uint64_t off;
};

/* A loan's end: the lender keeps a span's bytes (or its file) until its
 * borrower calls release(loan), once.  A value replaced meanwhile (a hot
 * swap, a file renamed over) leaves the lent bytes as they were, and
 * release stays callable after the lender's device disconnected. */
struct mg_loan {
	void (*release)(struct mg_loan *loan);
};

enum mg_log_level {
	MG_LOG_ERROR = 0,
	MG_LOG_WARN = 1,
	MG_LOG_INFO = 2,
	MG_LOG_DEBUG = 3,
};

#endif
