/* arraycat.h - a catalog over a static array of descriptors, for tests and
 * fuzzers that resolve configs without plugin files. */
#ifndef ARRAYCAT_H
#define ARRAYCAT_H

#include "resolve/resolve.h"

struct arraycat {
	struct mgr_catalog base; /* first: the resolver sees this */
	const struct mg_plugin *const *all;
	size_t n;
};

/* A catalog finding each of all[0..n) by its name. */
void arraycat_init(struct arraycat *c, const struct mg_plugin *const *all, size_t n);

#endif
