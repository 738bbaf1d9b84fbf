/* runtime.c - a running plan: started, run until its jobs finish or a stop
 * request, freed; its devices' life cycles are device.c's, a change of
 * plan is swap.c's. */
#include <stdlib.h>
#include <string.h>

#include "device.h"

static void on_stop_request(void *arg, const char *why)
{
	struct mgh_rt *rt = arg;

	mgh_rt_log(rt, rt->plan ? rt->plan->name : "host", MG_LOG_INFO, "%s: stopping", why);
	rt->stopping = 1;
}

struct mgh_rt *mgh_rt_new(const struct mgh_opts *opts)
{
	struct mgh_rt *rt = calloc(1, sizeof *rt);
	int rc;

	if (!rt || !(rt->loop = mgh_loop_new())) {
		mgh_plat_log("out of memory");
		free(rt);
		return NULL;
	}
	mgh_services_init(&rt->services, opts->target);
	rt->opts = opts;
	rc = mgh_plat_watch_stop(rt->loop, on_stop_request, rt, &rt->stop_watch);
	if (rc < 0)
		mgh_rt_log(rt, "host", MG_LOG_WARN, "cannot watch for stop requests: %s", strerror(-rc));
	return rt;
}

/* The first plan came up late, or not at all. */
static void started(void *arg, int rc)
{
	struct mgh_rt *rt = arg;

	if (rc < 0) {
		rt->status = 1;
		rt->stopping = 1;
	}
}

int mgh_rt_start(struct mgh_rt *rt, const struct mg_plan *plan)
{
	int rc = mgh_rt_apply(rt, plan, started, rt);

	if (rc == -EINPROGRESS)
		return 0; /* mgh_rt_run waits for it */
	if (rc < 0)
		rt->status = 1;
	return rc;
}

int mgh_rt_run(struct mgh_rt *rt)
{
	while (!rt->stopping && (rt->jobs_running || rt->change || rt->opts->stay)) {
		int rc;

		if (!rt->opts->stay && !mgh_loop_pending(rt->loop)) {
			mgh_rt_log(rt, rt->plan->name, MG_LOG_ERROR,
				   "%u job(s) still running, but none has a timer or fd to wait for",
				   rt->jobs_running);
			rt->status = 1;
			break;
		}
		rc = mgh_loop_run_once(rt->loop);
		if (rc < 0) {
			mgh_rt_log(rt, rt->plan->name, MG_LOG_ERROR, "event loop: %s", strerror(-rc));
			rt->status = 1;
			break;
		}
	}
	return rt->status;
}

void mgh_rt_free(struct mgh_rt *rt)
{
	unsigned n = rt->plan ? rt->plan->ndevices : 0;

	mgh_change_abandon(rt);
	/* retiring devices use current ones, never the other way round */
	for (struct mgh_dev *d = rt->retiring; d; d = d->next_retiring)
		d->drained = 1;
	mgh_rt_reap(rt);
	while (n-- > 0)
		mgh_dev_release(rt->devs[n]);
	free(rt->devs);
	mgh_plat_unwatch_stop(rt->stop_watch);
	mgh_loop_free(rt->loop);
	free(rt);
}

struct mgh_loop *mgh_rt_loop(struct mgh_rt *rt)
{
	return rt->loop;
}

const struct mg_plan *mgh_rt_plan(const struct mgh_rt *rt)
{
	return rt->plan;
}

int mgh_rt_uses_plan(const struct mgh_rt *rt, const struct mg_plan *plan)
{
	const struct mg_plan_device *first = plan->devices, *end = first + plan->ndevices;

	/* a device kept across swaps still points into the plan it came from */
	for (unsigned i = 0; rt->plan && i < rt->plan->ndevices; i++)
		if (rt->devs[i]->pd >= first && rt->devs[i]->pd < end)
			return 1;
	for (const struct mgh_dev *d = rt->retiring; d; d = d->next_retiring)
		if (d->pd >= first && d->pd < end)
			return 1;
	return rt->plan == plan;
}

unsigned mgh_rt_jobs_running(const struct mgh_rt *rt)
{
	return rt->jobs_running;
}

int mgh_run(const struct mg_plan *plan, const struct mgh_opts *opts)
{
	struct mgh_rt *rt = mgh_rt_new(opts);
	int status;

	if (!rt)
		return 1;
	if (mgh_rt_start(rt, plan) == 0)
		mgh_rt_run(rt);
	status = rt->status;
	mgh_rt_free(rt);
	return status;
}

unsigned mgh_rt_changed(const struct mgh_rt *rt)
{
	return rt->changed;
}

void mgh_rt_tap_log(struct mgh_rt *rt, mgh_log_tap tap, void *arg)
{
	rt->tap = tap;
	rt->tap_arg = arg;
}
