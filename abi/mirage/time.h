/* time.h - module type "time": timers on the event loop (the seed's OS.Time,
 * `sleep` without blocking). */
#ifndef MIRAGE_TIME_H
#define MIRAGE_TIME_H

#include "mirage.h"

#define MG_TIME_NAME "time"
#define MG_TIME_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_TIME_TYPE _Pragma("GCC error \"MG_TIME_TYPE is gone: write MG_TYPE(TIME, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_time;
struct mg_time_timer; /* opaque, owned by the implementation */

struct mg_time_ops {
	struct mg_ops_hdr hdr;
	/* Calls cb(arg) once, after at least delay_ns.  *out (may be NULL) is
	 * valid until cb starts or cancel returns.  0 or -ENOMEM. */
	int (*after)(struct mg_time *t, uint64_t delay_ns, void (*cb)(void *arg),
		     void *arg, struct mg_time_timer **out);
	/* Cancels a timer that has not fired. */
	void (*cancel)(struct mg_time *t, struct mg_time_timer *timer);
};
MG_OPS_PIN(struct mg_time_ops, cancel, 2); /* 1.0 */

struct mg_time {
	const struct mg_time_ops *ops;
};

#endif
