/* runtime.c - the host side of struct mg_host and the life cycle of a
 * wiring plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mirage/job.h>

#include "platform.h"
#include "runtime.h"

enum job_state { JOB_NONE, JOB_RUNNING, JOB_DONE };

struct mgh_dev {
	struct mg_env env;       /* first: services get it back from env */
	struct mgh_rt *rt;
	const struct mg_plan_device *pd;
	struct mg_device *dev;   /* NULL until connected */
	struct mg_device **deps;
	struct mg_job plain_job; /* the handle of a job without connect */
	enum job_state job;
	size_t live_bytes;
};

struct mgh_rt {
	struct mg_host services;
	const struct mg_plan *plan;
	const struct mgh_opts *opts;
	struct mgh_loop *loop;
	struct mgh_dev *devs;
	unsigned jobs_running;
	int stopping;
	int status;
};

static struct mgh_dev *dev_of(const struct mg_env *env)
{
	return mg_container_of(env, struct mgh_dev, env);
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void host_log(const struct mgh_rt *rt, const char *who, enum mg_log_level level,
		     const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	if (level > rt->opts->level)
		return;
	n = snprintf(line, sizeof line, "%s: %s: %s: ", rt->opts->prog, level_names[level], who);
	if (n > 0 && (size_t)n < sizeof line)
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	mgh_plat_log(line);
}

static __attribute__((format(printf, 4, 5))) void
rt_log(const struct mgh_rt *rt, const char *who, enum mg_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_log(rt, who, level, fmt, ap);
	va_end(ap);
}

static void svc_vlog(const struct mg_env *env, enum mg_log_level level, const char *fmt, va_list ap)
{
	host_log(dev_of(env)->rt, env->name, level, fmt, ap);
}

/* Each block carries its size so a device's live bytes can be counted and
 * reported when it leaves without freeing them. */
union alloc_hdr {
	size_t size;
	max_align_t align;
};

static void *svc_alloc(const struct mg_env *env, size_t size)
{
	union alloc_hdr *h;

	if (size > SIZE_MAX - sizeof *h || !(h = malloc(sizeof *h + size)))
		return NULL;
	h->size = size;
	dev_of(env)->live_bytes += size;
	return h + 1;
}

static void svc_free(const struct mg_env *env, void *p)
{
	union alloc_hdr *h = p;

	if (!p)
		return;
	h--;
	dev_of(env)->live_bytes -= h->size;
	free(h);
}

static int svc_timer_start(const struct mg_env *env, uint64_t delay_ns, mg_timer_cb cb, void *arg,
			   struct mg_timer **out)
{
	return mgh_timer_start(dev_of(env)->rt->loop, env, delay_ns, cb, arg, out);
}

static int svc_fd_watch(const struct mg_env *env, int fd, unsigned events, mg_watch_cb cb,
			void *arg, struct mg_watch **out)
{
	return mgh_fd_watch(dev_of(env)->rt->loop, env, fd, events, cb, arg, out);
}

static void svc_stop(const struct mg_env *env, int status)
{
	struct mgh_rt *rt = dev_of(env)->rt;

	rt_log(rt, env->name, MG_LOG_INFO, "asked the host to stop (status %d)", status);
	rt->stopping = 1;
	if (status)
		rt->status = 1;
}

static void svc_job_done(const struct mg_env *env, int status)
{
	struct mgh_dev *d = dev_of(env);

	if (d->job != JOB_RUNNING) {
		rt_log(d->rt, env->name, MG_LOG_WARN, "job_done called %s; ignored",
		       d->job == JOB_DONE ? "twice" : "by a device that is not a running job");
		return;
	}
	d->job = JOB_DONE;
	d->rt->jobs_running--;
	if (status) {
		rt_log(d->rt, env->name, MG_LOG_ERROR, "job failed: %s (%d)",
		       strerror(status < 0 ? -status : status), status);
		d->rt->status = 1;
	} else {
		rt_log(d->rt, env->name, MG_LOG_INFO, "job finished");
	}
}

/* Copied per run so that `target` names the platform. */
static const struct mg_host host_services_template = {
	.hdr = MG_OPS_HDR(struct mg_host, MG_ABI_MAJOR, MG_ABI_MINOR),
	.vlog = svc_vlog,
	.alloc = svc_alloc,
	.free = svc_free,
	.now_ns = mgh_now_ns,
	.timer_start = svc_timer_start,
	.timer_cancel = mgh_timer_cancel,
	.fd_watch = svc_fd_watch,
	.fd_update = mgh_fd_update,
	.fd_unwatch = mgh_fd_unwatch,
	.job_done = svc_job_done,
	.stop = svc_stop,
};

static const struct mg_job_ops plain_job_ops = {
	.hdr = MG_OPS_HDR(struct mg_job_ops, 1, 0),
};

/* ---- life cycle ---- */

static int connect_dev(struct mgh_rt *rt, struct mgh_dev *d)
{
	const struct mg_plugin *p = d->pd->plugin;
	int rc;

	for (uint32_t s = 0; s < p->nslots; s++)
		d->deps[s] = d->pd->deps[s] >= 0 ? rt->devs[d->pd->deps[s]].dev : NULL;
	if (!p->connect) {
		d->plain_job = (struct mg_job){ &plain_job_ops, &d->env };
		d->dev = MG_DEVICE(&d->plain_job);
		return 0;
	}
	rc = p->connect(&d->env, &d->dev);
	if (rc < 0) {
		rt_log(rt, d->env.name, MG_LOG_ERROR, "%s: connect failed: %s", p->name, strerror(-rc));
		d->dev = NULL;
		mgh_loop_drop_owner(rt->loop, &d->env);
		return rc;
	}
	if (!d->dev || !d->dev->ops || d->dev->ops->major != p->provides.major) {
		rt_log(rt, d->env.name, MG_LOG_ERROR, "%s: connect returned %s, expected a %s %u.x handle",
		       p->name, !d->dev || !d->dev->ops ? "no handle" : "ops of another major",
		       p->provides.name, p->provides.major);
		if (d->dev && p->disconnect)
			p->disconnect(d->dev);
		d->dev = NULL;
		return -EPROTO;
	}
	rt_log(rt, d->env.name, MG_LOG_DEBUG, "connected (%s)", p->name);
	return 0;
}

static void disconnect_dev(struct mgh_rt *rt, struct mgh_dev *d)
{
	unsigned left;

	if (!d->dev)
		return;
	if (d->pd->plugin->connect && d->pd->plugin->disconnect)
		d->pd->plugin->disconnect(d->dev);
	d->dev = NULL;
	left = mgh_loop_drop_owner(rt->loop, &d->env);
	if (left)
		rt_log(rt, d->env.name, MG_LOG_WARN, "left %u timers or fd watches behind", left);
	if (d->live_bytes)
		rt_log(rt, d->env.name, MG_LOG_WARN, "left %zu bytes allocated", d->live_bytes);
}

static void on_stop_request(void *arg, const char *why)
{
	struct mgh_rt *rt = arg;

	rt_log(rt, rt->plan->name, MG_LOG_INFO, "%s: stopping", why);
	rt->stopping = 1;
}

static int start_jobs(struct mgh_rt *rt)
{
	for (unsigned j = 0; j < rt->plan->njobs && !rt->stopping; j++) {
		struct mgh_dev *d = &rt->devs[rt->plan->jobs[j]];
		int rc;

		d->job = JOB_RUNNING;
		rt->jobs_running++;
		rc = rt->opts->start(d->pd, d->dev, d->deps);
		if (rc < 0) {
			rt_log(rt, d->env.name, MG_LOG_ERROR, "%s: start failed: %s",
			       d->pd->plugin->name, strerror(-rc));
			if (d->job == JOB_RUNNING) {
				d->job = JOB_DONE;
				rt->jobs_running--;
			}
			return rc;
		}
	}
	return 0;
}

static void run_loop(struct mgh_rt *rt)
{
	while (!rt->stopping && rt->jobs_running) {
		int rc;

		if (!mgh_loop_pending(rt->loop)) {
			rt_log(rt, rt->plan->name, MG_LOG_ERROR,
			       "%u job(s) still running, but none has a timer or fd to wait for",
			       rt->jobs_running);
			rt->status = 1;
			return;
		}
		rc = mgh_loop_run_once(rt->loop);
		if (rc < 0) {
			rt_log(rt, rt->plan->name, MG_LOG_ERROR, "event loop: %s", strerror(-rc));
			rt->status = 1;
			return;
		}
	}
}

int mgh_run(const struct mg_plan *plan, const struct mgh_opts *opts)
{
	struct mgh_rt rt = { .services = host_services_template, .plan = plan, .opts = opts };
	struct mgh_stop_watch *stop_watch = NULL;
	unsigned connected = 0;
	int rc;

	rt.services.target = opts->target;
	rt.loop = mgh_loop_new();
	rt.devs = calloc(plan->ndevices, sizeof *rt.devs);
	if (!rt.loop || !rt.devs) {
		mgh_plat_log("out of memory");
		free(rt.devs);
		if (rt.loop)
			mgh_loop_free(rt.loop);
		return 1;
	}
	rc = mgh_plat_watch_stop(rt.loop, on_stop_request, &rt, &stop_watch);
	if (rc < 0)
		rt_log(&rt, plan->name, MG_LOG_ERROR, "cannot watch for stop requests: %s",
		       strerror(-rc));
	for (; rc == 0 && connected < plan->ndevices; connected++) {
		struct mgh_dev *d = &rt.devs[connected];
		const struct mg_plan_device *pd = &plan->devices[connected];

		d->rt = &rt;
		d->pd = pd;
		d->deps = calloc(pd->plugin->nslots ? pd->plugin->nslots : 1, sizeof *d->deps);
		d->env = (struct mg_env){ &rt.services, pd->name, pd->plugin, d->deps, pd->params };
		rc = d->deps ? connect_dev(&rt, d) : -ENOMEM;
		if (rc < 0)
			break;
	}
	if (rc == 0)
		rc = start_jobs(&rt);
	if (rc == 0)
		run_loop(&rt);
	else
		rt.status = 1;
	while (connected-- > 0)
		disconnect_dev(&rt, &rt.devs[connected]);
	for (unsigned i = 0; i < plan->ndevices; i++)
		free(rt.devs[i].deps);
	mgh_plat_unwatch_stop(stop_watch);
	mgh_loop_free(rt.loop);
	free(rt.devs);
	return rt.status;
}
