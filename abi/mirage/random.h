/* random.h - module type "random": cryptographically strong random bytes. */
#ifndef MIRAGE_RANDOM_H
#define MIRAGE_RANDOM_H

#include "mirage.h"

#define MG_RANDOM_TYPE { "random", 1, 0 }

struct mg_random;

struct mg_random_ops {
	struct mg_ops_hdr hdr;
	/* Fills buf with len random bytes.  0, or -EIO when the generator is
	 * not seeded or failed (buf's content is then undefined). */
	int (*fill)(struct mg_random *r, void *buf, size_t len);
};

struct mg_random {
	const struct mg_random_ops *ops;
};

#endif
