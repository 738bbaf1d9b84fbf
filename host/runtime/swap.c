/* swap.c - applying a plan to running devices: the start of a run (from
 * nothing) and every hot swap go through here.  New instances are
 * connected beside the old ones, which keep serving; only when every one
 * is connected is the change committed.  */
#include <stdlib.h>
#include <string.h>

#include "device.h"

enum fate {
	KEEP,    /* the same instance goes on */
	NOTIFY,  /* goes on, told that a dependency was replaced */
	CONNECT, /* a new instance (new device, or replacing the old one) */
};

struct mgh_change {
	struct mgh_rt *rt;
	const struct mg_plan *plan;
	struct mgh_dev **next; /* the new plan's devices, in its order */
	struct mgh_dev **old;  /* the current device of the same name, or NULL */
	enum fate *fate;
	unsigned k;            /* the device staged next, or waited on */
	mgh_apply_done done;
	void *arg;
	struct mg_timer *timeout; /* on the connect waited on */
};

static struct mgh_dev *current(struct mgh_rt *rt, const char *name)
{
	for (unsigned i = 0; rt->plan && i < rt->plan->ndevices; i++)
		if (!strcmp(rt->devs[i]->pd->name, name))
			return rt->devs[i];
	return NULL;
}

static int same_params(const struct mg_plan_device *a, const struct mg_plan_device *b)
{
	const struct mg_plugin *p = a->plugin;

	for (uint32_t i = 0; i < p->nparams; i++) {
		int same = p->params[i].type == MG_PARAM_INT ? a->params[i].i == b->params[i].i :
			   p->params[i].type == MG_PARAM_BOOL ? a->params[i].b == b->params[i].b :
								 !strcmp(a->params[i].s, b->params[i].s);

		if (!same)
			return 0;
	}
	return 1;
}

/* What becomes of device k: kept when nothing about it changed; notified
 * when only dependencies were replaced (same names) and it can take that;
 * else connected anew.  Devices before k are decided already. */
static enum fate decide(const struct mgh_change *c, unsigned k)
{
	const struct mg_plan_device *pd = &c->plan->devices[k];
	const struct mgh_dev *old = c->old[k];
	int same_deps = 1, renamed = 0;

	if (!old || old->pd->plugin != pd->plugin || !same_params(old->pd, pd))
		return CONNECT;
	for (uint32_t s = 0; s < pd->plugin->nslots; s++) {
		const struct mgh_dev *now = pd->deps[s] >= 0 ? c->next[pd->deps[s]] : NULL;
		const struct mgh_dev *was = old->dep_devs[s];

		if (now == was)
			continue;
		same_deps = 0;
		renamed |= !now || !was || strcmp(now->pd->name, was->pd->name);
	}
	if (same_deps)
		return KEEP;
	return !renamed && MG_PLUGIN_HAS(pd->plugin, dep_replaced) ? NOTIFY : CONNECT;
}

/* Releases the new instances of devices 0..k (k included when it has
 * one), so that nothing of the change is left. */
static void unstage(struct mgh_change *c, unsigned k)
{
	if (k < c->plan->ndevices && c->fate[k] == CONNECT && c->next[k])
		mgh_dev_release(c->next[k]);
	while (k-- > 0)
		if (c->fate[k] == CONNECT)
			mgh_dev_release(c->next[k]);
}

static void connect_timed_out(void *arg);

/* How long a connect may stay in progress. */
static unsigned connect_limit_ms(const struct mgh_rt *rt)
{
	return rt->opts->connect_ms ? rt->opts->connect_ms : 30000;
}

/* Connects the new instances in dependency order, from c->k on.  0 when
 * all are, -EINPROGRESS when c->next[c->k] is still connecting, or a
 * negative errno after releasing what it connected. */
static int stage(struct mgh_change *c)
{
	const struct mg_plan *plan = c->plan;
	uint64_t limit_ns = (uint64_t)connect_limit_ms(c->rt) * 1000000u;

	for (; c->k < plan->ndevices; c->k++) {
		unsigned k = c->k;
		int rc;

		c->fate[k] = decide(c, k);
		if (c->fate[k] != CONNECT) {
			c->next[k] = c->old[k];
			continue;
		}
		c->next[k] = mgh_dev_new(c->rt, &plan->devices[k], c->next);
		rc = c->next[k] ? mgh_dev_connect(c->next[k]) : -ENOMEM;
		if (rc == -EINPROGRESS &&
		    mgh_timer_start(c->rt->loop, NULL, limit_ns, connect_timed_out, c, &c->timeout) == 0)
			return rc;
		if (rc < 0) { /* -EINPROGRESS here: no timer for its limit */
			unstage(c, k);
			return rc != -EINPROGRESS ? rc : -ENOMEM;
		}
	}
	return 0;
}

/* The new instance adopts what the old one hands over, when both can and
 * the old one's dependencies are the very instances the new one has. */
static void hand_over(struct mgh_dev *old, struct mgh_dev *d)
{
	const struct mg_plugin *from = old->pd->plugin, *to = d->pd->plugin;
	struct mg_handover h = { 0 };

	if (!old->dev || !MG_PLUGIN_HAS(from, handover_export) || !MG_PLUGIN_HAS(to, handover_import) ||
	    from->nslots != to->nslots)
		return;
	for (uint32_t s = 0; s < to->nslots; s++)
		if (old->dep_devs[s] != d->dep_devs[s])
			return;
	if (from->handover_export(old->dev, &h) == 0)
		to->handover_import(d->dev, &h);
}

/* d goes on under the new plan entry pd, whose dependency indexes (not
 * d's old entry's) point into next. */
static void notify(struct mgh_dev *d, const struct mg_plan_device *pd, struct mgh_dev *const *next)
{
	for (uint32_t s = 0; s < pd->plugin->nslots; s++) {
		struct mgh_dev *now = pd->deps[s] >= 0 ? next[pd->deps[s]] : NULL;

		/* decide() notifies only when every changed slot is filled on both
		 * sides, by devices of the same name */
		if (now == d->dep_devs[s])
			continue;
		now->users++;
		d->dep_devs[s]->users--;
		d->dep_devs[s] = now;
		d->deps[s] = now->dev;
		MGH_AS_DEV(d, pd->plugin->dep_replaced(d->dev, s, now->dev));
	}
}

/* Whether the new plan has a device in d's place (of its name). */
static int replaced(const struct mgh_change *c, const struct mgh_dev *d)
{
	for (unsigned k = 0; k < c->plan->ndevices; k++)
		if (c->old[k] == d)
			return 1;
	return 0;
}

/* Hands over, tells dependents, starts the new jobs, and only then retires
 * the old devices: a new app takes over (an http handler, say) before its
 * predecessor stops, so no request finds nobody to answer it.  0, or
 * -ECANCELED when a new job failed to start (the change stays in: a
 * started job cannot be taken back). */
static int commit(struct mgh_change *c)
{
	struct mgh_rt *rt = c->rt;
	const struct mg_plan *plan = c->plan;
	struct mgh_dev **old = rt->devs;
	unsigned n = rt->plan ? rt->plan->ndevices : 0;
	int failed = 0;

	rt->changed = 0;
	for (unsigned k = 0; k < plan->ndevices; k++) {
		rt->changed += c->fate[k] != KEEP;
		if (c->fate[k] == CONNECT && c->old[k])
			hand_over(c->old[k], c->next[k]);
		else if (c->fate[k] == NOTIFY)
			notify(c->next[k], &plan->devices[k], c->next);
	}
	rt->devs = c->next;
	rt->plan = plan;
	for (unsigned j = 0; j < plan->njobs && !rt->stopping; j++)
		if (c->fate[plan->jobs[j]] == CONNECT && mgh_dev_start(rt->devs[plan->jobs[j]]) < 0)
			failed = -ECANCELED;
	/* old devices that the new plan does not keep, dependents first */
	while (n-- > 0) {
		int kept = 0;

		for (unsigned k = 0; k < plan->ndevices && !kept; k++)
			kept = c->next[k] == old[n];
		if (!kept) {
			rt->changed += !replaced(c, old[n]); /* a replaced one counted above */
			mgh_dev_retire(old[n]);
		}
	}
	free(old);
	mgh_rt_reap(rt);
	return failed;
}

static void change_free(struct mgh_change *c)
{
	free(c->next);
	free(c->old);
	free(c->fate);
	free(c);
}

/* Stages what is left and commits when all is connected: the result of
 * the change, or -EINPROGRESS while it waits on a connect. */
static int proceed(struct mgh_change *c)
{
	int rc = stage(c);

	if (rc == -EINPROGRESS)
		return rc;
	if (rc == 0) {
		/* a job that could not start is logged: the change is in, but
		 * the caller hears that the app did not come up whole */
		rc = commit(c);
		c->next = NULL; /* the running plan's now */
	}
	return rc;
}

/* The change waited on a connect and has its outcome now. */
static void finish(struct mgh_change *c, int rc)
{
	mgh_apply_done done = c->done;
	void *arg = c->arg;

	c->rt->change = NULL;
	change_free(c);
	if (done)
		done(arg, rc);
}

void mgh_change_connected(struct mgh_dev *d, int status)
{
	struct mgh_change *c = d->rt->change;
	int rc;

	if (!c || c->next[c->k] != d)
		return; /* its change was abandoned */
	if (c->timeout)
		mgh_timer_cancel(c->timeout);
	c->timeout = NULL;
	if (status < 0) {
		mgh_rt_log(d->rt, d->env.name, MG_LOG_ERROR, "%s: connect failed: %s",
			   d->pd->plugin->name, strerror(-status));
		unstage(c, c->k);
		finish(c, status);
		return;
	}
	mgh_rt_log(d->rt, d->env.name, MG_LOG_DEBUG, "connected (%s)", d->pd->plugin->name);
	c->k++;
	rc = proceed(c);
	if (rc != -EINPROGRESS)
		finish(c, rc);
}

static void connect_timed_out(void *arg)
{
	struct mgh_change *c = arg;
	struct mgh_dev *d = c->next[c->k];

	c->timeout = NULL;
	d->connecting = 0;
	mgh_rt_log(c->rt, d->env.name, MG_LOG_ERROR, "%s: connect still in progress after %u ms",
		   d->pd->plugin->name, connect_limit_ms(c->rt));
	mgh_change_connected(d, -ETIMEDOUT);
}

void mgh_change_abandon(struct mgh_rt *rt)
{
	struct mgh_change *c = rt->change;

	if (!c)
		return;
	if (c->timeout)
		mgh_timer_cancel(c->timeout);
	unstage(c, c->k);
	finish(c, -ECANCELED);
}

int mgh_rt_apply(struct mgh_rt *rt, const struct mg_plan *plan, mgh_apply_done done, void *arg)
{
	unsigned n = plan->ndevices ? plan->ndevices : 1;
	struct mgh_change *c;
	int rc;

	if (rt->change)
		return -EBUSY;
	c = malloc(sizeof *c);
	if (!c)
		return -ENOMEM;
	*c = (struct mgh_change){ rt, plan, calloc(n, sizeof *c->next), calloc(n, sizeof *c->old),
				  calloc(n, sizeof *c->fate), 0, done, arg, NULL };
	rc = c->next && c->old && c->fate ? 0 : -ENOMEM;
	for (unsigned k = 0; rc == 0 && k < plan->ndevices; k++)
		c->old[k] = current(rt, plan->devices[k].name);
	if (rc == 0)
		rc = proceed(c);
	if (rc == -EINPROGRESS)
		rt->change = c;
	else
		change_free(c);
	return rc;
}

int mgh_rt_changing(const struct mgh_rt *rt)
{
	return rt->change != NULL;
}
