/* device.c - the host side of struct mg_host, and the life cycle of one
 * device: made, connected, started, retired, released. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "lastwords.h"

static struct mgh_dev *dev_of(const struct mg_env *env)
{
	return mg_container_of(env, struct mgh_dev, env);
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void host_log(const struct mgh_rt *rt, const char *who, enum mg_log_level level,
		     const char *fmt, va_list ap)
{
	char line[1024];
	size_t pre, n;

	if (level > rt->opts->level && !rt->tap)
		return;
	/* "PROG: LEVEL: WHO: message"; a tap gets it from WHO on */
	pre = (size_t)snprintf(line, sizeof line, "%s: %s: ", rt->opts->prog, level_names[level]);
	pre = pre < sizeof line ? pre : sizeof line - 1;
	n = pre + (size_t)snprintf(line + pre, sizeof line - pre, "%s: ", who);
	if (n < sizeof line)
		vsnprintf(line + n, sizeof line - n, fmt, ap);
	if (rt->tap)
		rt->tap(rt->tap_arg, level, line + pre);
	if (level <= rt->opts->level)
		mgh_plat_log(line);
}

void mgh_rt_log(const struct mgh_rt *rt, const char *who, enum mg_log_level level, const char *fmt,
		...)
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

	mgh_rt_log(rt, env->name, MG_LOG_INFO, "asked the host to stop (status %d)", status);
	rt->stopping = 1;
	if (status)
		rt->status = 1;
}

static void svc_retired(const struct mg_env *env)
{
	struct mgh_dev *d = dev_of(env);

	d->drained = 1;
	mgh_rt_reap(d->rt);
}

static void svc_connected(const struct mg_env *env, int status)
{
	struct mgh_dev *d = dev_of(env);

	if (!d->connecting) {
		mgh_rt_log(d->rt, env->name, MG_LOG_WARN,
			   "connected called by a device whose connect is not in progress; ignored");
		return;
	}
	d->connecting = 0;
	mgh_change_connected(d, status);
}

static void svc_job_done(const struct mg_env *env, int status)
{
	struct mgh_dev *d = dev_of(env);

	if (d->job != JOB_RUNNING) {
		mgh_rt_log(d->rt, env->name, MG_LOG_WARN, "job_done called %s; ignored",
		       d->job == JOB_DONE ? "twice" : "by a device that is not a running job");
		return;
	}
	d->job = JOB_DONE;
	d->rt->jobs_running--;
	if (status) {
		mgh_rt_log(d->rt, env->name, MG_LOG_ERROR, "job failed: %s (%d)",
		       strerror(status < 0 ? -status : status), status);
		d->rt->status = 1;
	} else {
		mgh_rt_log(d->rt, env->name, MG_LOG_INFO, "job finished");
	}
}

static unsigned svc_workers(const struct mg_env *env)
{
	unsigned n = dev_of(env)->rt->opts->workers;

	return n ? n : 1;
}

static int svc_at_fault(const struct mg_env *env, void (*cb)(void *arg), void *arg)
{
	return mgh_last_words_set(env, cb, arg);
}

static uint64_t svc_turn(void)
{
	return mgh_loop_turns;
}

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
	.retired = svc_retired,
	.connected = svc_connected,
	.workers = svc_workers,
	.at_fault = svc_at_fault,
	.turn = svc_turn,
};

void mgh_services_init(struct mg_host *out, const char *target)
{
	*out = host_services_template;
	out->target = target;
}

static const struct mg_job_ops plain_job_ops = {
	.hdr = MG_OPS_HDR(struct mg_job_ops, 1, 0),
};

struct mgh_dev *mgh_dev_new(struct mgh_rt *rt, const struct mg_plan_device *pd,
			    struct mgh_dev *const *devs)
{
	uint32_t nslots = pd->plugin->nslots;
	struct mgh_dev *d = calloc(1, sizeof *d);

	if (!d)
		return NULL;
	d->dep_devs = calloc(nslots ? nslots : 1, sizeof *d->dep_devs);
	d->deps = calloc(nslots ? nslots : 1, sizeof *d->deps);
	if (!d->dep_devs || !d->deps) {
		free(d->dep_devs);
		free(d->deps);
		free(d);
		return NULL;
	}
	d->rt = rt;
	d->pd = pd;
	for (uint32_t s = 0; s < nslots; s++) {
		struct mgh_dev *dep = pd->deps[s] >= 0 ? devs[pd->deps[s]] : NULL;

		d->dep_devs[s] = dep;
		d->deps[s] = dep ? dep->dev : NULL;
		if (dep)
			dep->users++;
	}
	d->env = (struct mg_env){ &rt->services, pd->name, pd->plugin, d->deps, pd->params };
	return d;
}

static int connect_guarded(void *arg)
{
	struct mgh_dev *d = arg;

	return d->pd->plugin->connect(&d->env, &d->dev);
}

int mgh_dev_connect(struct mgh_dev *d)
{
	const struct mg_plugin *p = d->pd->plugin;
	const char *crash = NULL;
	int rc;

	if (!p->connect) {
		d->plain_job = (struct mg_job){ &plain_job_ops, &d->env };
		d->dev = MG_DEVICE(&d->plain_job);
		return 0;
	}
	rc = mgh_plat_guard(connect_guarded, d, &crash);
	if (crash) {
		/* its state is unknown: leave it be rather than call into it */
		mgh_rt_log(d->rt, d->env.name, MG_LOG_ERROR, "%s: connect crashed (%s)", p->name, crash);
		d->dev = NULL;
		return rc;
	}
	if (rc < 0 && rc != -EINPROGRESS) {
		mgh_rt_log(d->rt, d->env.name, MG_LOG_ERROR, "%s: connect failed: %s", p->name,
			   strerror(-rc));
		d->dev = NULL;
		mgh_loop_drop_owner(d->rt->loop, &d->env);
		return rc;
	}
	if (!d->dev || !d->dev->ops || d->dev->ops->major != p->provides.major ||
	    d->dev->ops->minor < p->provides.minor) {
		const struct mg_ops_hdr *h = d->dev && d->dev->ops ? d->dev->ops : NULL;

		/* a consumer may rely on every member the descriptor claims */
		if (h)
			mgh_rt_log(d->rt, d->env.name, MG_LOG_ERROR,
				   "%s: connect returned ops of %s %u.%u, but its descriptor claims %u.%u",
				   p->name, p->provides.name, h->major, h->minor, p->provides.major,
				   p->provides.minor);
		else
			mgh_rt_log(d->rt, d->env.name, MG_LOG_ERROR,
				   "%s: connect returned no handle", p->name);
		if (d->dev && p->disconnect)
			p->disconnect(d->dev);
		d->dev = NULL;
		return -EPROTO;
	}
	if (rc == -EINPROGRESS) {
		d->connecting = 1;
		mgh_rt_log(d->rt, d->env.name, MG_LOG_DEBUG, "connecting (%s)", p->name);
		return rc;
	}
	mgh_rt_log(d->rt, d->env.name, MG_LOG_DEBUG, "connected (%s)", p->name);
	return 0;
}

void mgh_dev_release(struct mgh_dev *d)
{
	const struct mg_plugin *p = d->pd->plugin;
	unsigned left;

	if (d->grace)
		mgh_timer_cancel(d->grace);
	if (d->dev && p->connect && p->disconnect)
		MGH_AS_DEV(d, p->disconnect(d->dev));
	mgh_last_words_set(&d->env, NULL, NULL); /* its memory goes now */
	if (d->job == JOB_RUNNING)
		d->rt->jobs_running--;
	left = mgh_loop_drop_owner(d->rt->loop, &d->env);
	if (left)
		mgh_rt_log(d->rt, d->env.name, MG_LOG_WARN, "left %u timers or fd watches behind", left);
	if (d->live_bytes)
		mgh_rt_log(d->rt, d->env.name, MG_LOG_WARN, "left %zu bytes allocated", d->live_bytes);
	for (uint32_t s = 0; s < p->nslots; s++)
		if (d->dep_devs[s])
			d->dep_devs[s]->users--;
	free(d->dep_devs);
	free(d->deps);
	free(d);
}

int mgh_dev_start(struct mgh_dev *d)
{
	struct mgh_rt *rt = d->rt;
	int rc;

	d->job = JOB_RUNNING;
	rt->jobs_running++;
	MGH_AS_DEV(d, rc = rt->opts->start(d->pd, d->dev, d->deps));
	if (rc < 0) {
		mgh_rt_log(rt, d->env.name, MG_LOG_ERROR, "%s: start failed: %s", d->pd->plugin->name,
			   strerror(-rc));
		if (d->job == JOB_RUNNING) {
			d->job = JOB_DONE;
			rt->jobs_running--;
		}
	}
	return rc;
}

static void grace_over(void *arg)
{
	struct mgh_dev *d = arg;

	d->grace = NULL;
	mgh_rt_log(d->rt, d->env.name, MG_LOG_WARN, "still busy after %u ms of retirement; disconnecting",
		   d->rt->opts->grace_ms);
	d->drained = 1;
	mgh_rt_reap(d->rt);
}

void mgh_dev_retire(struct mgh_dev *d)
{
	struct mgh_rt *rt = d->rt;
	const struct mg_plugin *p = d->pd->plugin;

	if (d->job == JOB_RUNNING) {
		d->job = JOB_DONE; /* replaced, not finished: no status */
		rt->jobs_running--;
	}
	d->retiring = 1;
	d->next_retiring = rt->retiring;
	rt->retiring = d;
	if (d->dev && MG_PLUGIN_HAS(p, retire) &&
	    mgh_timer_start(rt->loop, NULL, (uint64_t)rt->opts->grace_ms * 1000000u, grace_over, d,
			    &d->grace) == 0)
		MGH_AS_DEV(d, p->retire(d->dev));
	else
		d->drained = 1;
}

void mgh_rt_reap(struct mgh_rt *rt)
{
	int freed;

	/* freeing one may leave its dependencies unused: go round again */
	do {
		freed = 0;
		for (struct mgh_dev **pp = &rt->retiring; *pp;) {
			struct mgh_dev *d = *pp;

			if (d->drained && !d->users) {
				*pp = d->next_retiring;
				mgh_dev_release(d);
				freed = 1;
			} else {
				pp = &d->next_retiring;
			}
		}
	} while (freed);
}
