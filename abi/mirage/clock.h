/* clock.h - module type "clock": monotonic and wall-clock time. */
#ifndef MIRAGE_CLOCK_H
#define MIRAGE_CLOCK_H

#include "mirage.h"

#define MG_CLOCK_NAME "clock"
#define MG_CLOCK_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_CLOCK_TYPE _Pragma("GCC error \"MG_CLOCK_TYPE is gone: write MG_TYPE(CLOCK, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_clock;

struct mg_clock_ops {
	struct mg_ops_hdr hdr;
	/* Nanoseconds from an arbitrary start; never goes back. */
	uint64_t (*monotonic_ns)(struct mg_clock *c);
	/* Nanoseconds since 1970-01-01T00:00:00Z (may jump when set). */
	int64_t (*wall_ns)(struct mg_clock *c);
};
MG_OPS_PIN(struct mg_clock_ops, wall_ns, 2); /* 1.0 */

struct mg_clock {
	const struct mg_clock_ops *ops;
};

#endif
