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

/* The first member of every ops table.  `size` is sizeof the table as the
 * implementation was compiled, so a caller built against a newer minor can
 * tell whether a member exists (see MG_OPS_HAS). */
struct mg_ops_hdr {
	uint32_t size;
	uint16_t major;
	uint16_t minor;
};

#define MG_OPS_HDR(ops_struct, major_, minor_) \
	{ .size = sizeof(ops_struct), .major = (major_), .minor = (minor_) }

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

enum mg_log_level {
	MG_LOG_ERROR = 0,
	MG_LOG_WARN = 1,
	MG_LOG_INFO = 2,
	MG_LOG_DEBUG = 3,
};

#endif
