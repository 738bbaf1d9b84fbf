/* clock.h - module type "clock": monotonic and wall-clock time. */
#ifndef MIRAGE_CLOCK_H
#define MIRAGE_CLOCK_H

#include "mirage.h"

#define MG_CLOCK_TYPE { "clock", 1, 0 }

struct mg_clock;

struct mg_clock_ops {
	struct mg_ops_hdr hdr;
	/* Nanoseconds from an arbitrary start; never goes back. */
	uint64_t (*monotonic_ns)(struct mg_clock *c);
	/* Nanoseconds since 1970-01-01T00:00:00Z (may jump when set). */
	int64_t (*wall_ns)(struct mg_clock *c);
};

struct mg_clock {
	const struct mg_clock_ops *ops;
};

#endif
