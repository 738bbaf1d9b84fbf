/* runtime.h - runs a wiring plan: connects devices in order, starts jobs,
 * runs the event loop until every job has finished or a stop signal, then
 * disconnects in reverse order.  Shared by mirage-host and frozen programs,
 * which differ only in how a job's start is called. */
#ifndef MIRAGE_RUNTIME_H
#define MIRAGE_RUNTIME_H

#include "plan.h"

/* Calls dev's start with self and its deps (one per slot).  Returns what
 * start returned, or a negative errno when it could not be called. */
typedef int (*mgh_start_fn)(const struct mg_plan_device *dev, struct mg_device *self,
			    struct mg_device *const *deps);

struct mgh_opts {
	enum mg_log_level level; /* host log lines below it are dropped */
	mgh_start_fn start;
	const char *target;      /* "unix" or "xen" */
	const char *prog;        /* prefix of host log lines */
};

/* The exit status: 0 when every job finished with 0 (or a stop signal came
 * after a clean start), 1 otherwise; every failure is logged. */
int mgh_run(const struct mg_plan *plan, const struct mgh_opts *opts);

#endif
