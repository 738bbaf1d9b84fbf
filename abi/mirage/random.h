/* random.h - module type "random": cryptographically strong random bytes. */
#ifndef MIRAGE_RANDOM_H
#define MIRAGE_RANDOM_H

#include "mirage.h"

#define MG_RANDOM_NAME "random"
#define MG_RANDOM_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_RANDOM_TYPE _Pragma("GCC error \"MG_RANDOM_TYPE is gone: write MG_TYPE(RANDOM, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_random;

struct mg_random_ops {
	struct mg_ops_hdr hdr;
	/* Fills buf with len random bytes.  0, or -EIO when the generator is
	 * not seeded or failed (buf's content is then undefined). */
	int (*fill)(struct mg_random *r, void *buf, size_t len);

	/* ---- 1.1 ---- */
	/* What the bytes come from, for a log line ("RDSEED", "the kernel's
	 * getrandom, through OpenSSL's DRBG"); NULL when they come from no
	 * entropy source (a deterministic generator, for tests), so that a
	 * user of keys (TLS) can refuse it. */
	const char *(*source)(struct mg_random *r);
};
MG_OPS_PIN(struct mg_random_ops, fill, 1); /* 1.0 */
MG_OPS_PIN(struct mg_random_ops, source, 2); /* 1.1 */

struct mg_random {
	const struct mg_random_ops *ops;
};

#endif
