/* runtime.h - runs a wiring plan: connects devices in order, starts jobs,
 * runs the event loop until every job has finished or a stop request, then
 * disconnects in reverse order; and replaces parts of a running plan (hot
 * swap).  Shared by mirage-host and frozen programs, which differ only in
 * how a job's start is called. */
#ifndef MIRAGE_RUNTIME_H
#define MIRAGE_RUNTIME_H

#include "resolve/plan.h"

struct mgh_loop;
struct mgh_rt;

/* Calls dev's start with self and its deps (one per slot).  Returns what
 * start returned, or a negative errno when it could not be called. */
typedef int (*mgh_start_fn)(const struct mg_plan_device *dev, struct mg_device *self,
			    struct mg_device *const *deps);

struct mgh_opts {
	enum mg_log_level level; /* host log lines below it are dropped */
	mgh_start_fn start;
	const char *target;      /* "unix" or "xen" */
	const char *prog;        /* prefix of host log lines */
	int stay;                /* keep running when every job has finished */
	unsigned grace_ms;       /* how long a retiring device may finish its work */
	unsigned connect_ms;     /* how long a connect may take (0: 30 s) */
	unsigned workers;        /* processes serving the app (host->workers; 0: 1) */
};

struct mgh_rt *mgh_rt_new(const struct mgh_opts *opts);
/* Connects every device of plan in order and starts the jobs.  0, or a
 * negative errno after logging, with nothing left connected. */
int mgh_rt_start(struct mgh_rt *rt, const struct mg_plan *plan);
/* Runs the loop until every job finished (unless opts->stay) or a stop
 * request.  The exit status: 0, or 1 when a job failed. */
int mgh_rt_run(struct mgh_rt *rt);
/* Disconnects everything, in reverse order, and frees rt. */
void mgh_rt_free(struct mgh_rt *rt);
struct mgh_loop *mgh_rt_loop(struct mgh_rt *rt);
/* The plan running now. */
const struct mg_plan *mgh_rt_plan(const struct mgh_rt *rt);
/* Whether a device made from plan (current or retiring) still lives, so
 * the plan's memory must stay. */
int mgh_rt_uses_plan(const struct mgh_rt *rt, const struct mg_plan *plan);
/* Jobs started and not finished. */
unsigned mgh_rt_jobs_running(const struct mgh_rt *rt);

/* The outcome of mgh_rt_apply, as it returns it. */
typedef void (*mgh_apply_done)(void *arg, int rc);

/* Hot swap: makes `plan` the running plan.  Devices whose plugin,
 * parameters and dependencies are unchanged keep running untouched; the
 * others are connected anew, with their dependents, while the old ones
 * keep serving; only when all connected is the change committed (state
 * handed over, dependents told, old devices retired).  When a connect
 * fails nothing changes and a negative errno is returned after logging;
 * -ECANCELED means the change was made but a new job failed to start.
 * -EINPROGRESS: a connect takes time (host->connected); done(arg, rc)
 * (may be NULL) gives the outcome later, the old devices serving
 * meanwhile.  -EBUSY while another change is in progress. */
int mgh_rt_apply(struct mgh_rt *rt, const struct mg_plan *plan, mgh_apply_done done, void *arg);
/* Whether a change waits on a connect. */
int mgh_rt_changing(const struct mgh_rt *rt);
/* How many devices the last change that committed connected anew, told of
 * a replaced dependency or took out: 0 when it changed nothing. */
unsigned mgh_rt_changed(const struct mgh_rt *rt);

/* Every host and device log line (as logged, below the level too) also
 * goes to tap while one is set (NULL: none), e.g. so that a control client
 * hears why its swap failed. */
typedef void (*mgh_log_tap)(void *arg, enum mg_log_level level, const char *line);
void mgh_rt_tap_log(struct mgh_rt *rt, mgh_log_tap tap, void *arg);

/* new + start + run + free: the whole life of a plan. */
int mgh_run(const struct mg_plan *plan, const struct mgh_opts *opts);

#endif
