/* fakehost.c - see fakehost.h. */
#include <dlfcn.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fakehost.h"

/* The host owns this type; plugins only hold pointers to it. */
struct mg_timer {
	struct fakehost *host;
	uint64_t at;
	mg_timer_cb cb;
	void *arg;
	struct mg_timer *next;
};

static struct fakehost *host_of(const struct mg_env *env)
{
	return mg_container_of(env->host, struct fakehost, host);
}

static __attribute__((format(printf, 2, 3))) void note(struct fakehost *h,
						       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->log, sizeof h->log, fmt, ap);
	va_end(ap);
	h->nlogs++;
}

static void fake_vlog(const struct mg_env *env, enum mg_log_level level,
		      const char *fmt, va_list ap)
{
	struct fakehost *h = host_of(env);

	(void)level;
	vsnprintf(h->log, sizeof h->log, fmt, ap);
	h->nlogs++;
}

static void *fake_alloc(const struct mg_env *env, size_t size)
{
	void *p = malloc(size ? size : 1);

	host_of(env)->alloc_calls++;
	if (p)
		host_of(env)->allocs++;
	return p;
}

static void fake_free(const struct mg_env *env, void *p)
{
	if (p)
		host_of(env)->allocs--;
	free(p);
}

static uint64_t fake_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fake_timer_start(const struct mg_env *env, uint64_t delay_ns,
			    mg_timer_cb cb, void *arg, struct mg_timer **out)
{
	struct fakehost *h = host_of(env);
	struct mg_timer *t = malloc(sizeof *t), **tail = &h->timers;

	if (!t)
		return -ENOMEM;
	*t = (struct mg_timer){ .host = h, .at = fake_now_ns() + delay_ns,
				.cb = cb, .arg = arg };
	while (*tail)
		tail = &(*tail)->next;
	*tail = t;
	if (out)
		*out = t;
	return 0;
}

/* Unlinks t from its host's list. */
static void unlink_timer(struct mg_timer *t)
{
	struct mg_timer **p = &t->host->timers;

	while (*p != t)
		p = &(*p)->next;
	*p = t->next;
}

static void fake_timer_cancel(struct mg_timer *t)
{
	unlink_timer(t);
	free(t);
}

int fakehost_run(struct fakehost *h, int max)
{
	int n = 0;

	for (; n < max && h->timers; n++) {
		struct mg_timer *t = h->timers, cur;

		for (struct mg_timer *i = h->timers; i; i = i->next)
			if (i->at < t->at)
				t = i;
		unlink_timer(t);
		cur = *t;
		free(t);
		cur.cb(cur.arg);
	}
	return n;
}

struct mg_watch {
	struct fakehost *host;
	int fd;
	unsigned events;
	mg_watch_cb cb;
	void *arg;
	struct mg_watch *next;
};

static int fake_fd_watch(const struct mg_env *env, int fd, unsigned events,
			 mg_watch_cb cb, void *arg, struct mg_watch **out)
{
	struct fakehost *h = host_of(env);
	struct mg_watch *w = malloc(sizeof *w);

	if (!w)
		return -ENOMEM;
	*w = (struct mg_watch){ .host = h, .fd = fd, .events = events, .cb = cb, .arg = arg,
				.next = h->watches };
	h->watches = w;
	if (out)
		*out = w;
	return 0;
}

static int fake_fd_update(struct mg_watch *w, unsigned events)
{
	w->events = events;
	return 0;
}

static void fake_fd_unwatch(struct mg_watch *w)
{
	struct mg_watch **p = &w->host->watches;

	while (*p != w)
		p = &(*p)->next;
	*p = w->next;
	free(w);
}

static int watched(struct fakehost *h, const struct mg_watch *w)
{
	for (const struct mg_watch *i = h->watches; i; i = i->next)
		if (i == w)
			return 1;
	return 0;
}

int fakehost_poll(struct fakehost *h, int timeout_ms)
{
	struct pollfd fds[16];
	struct mg_watch *ws[16];
	uint64_t now = fake_now_ns();
	nfds_t n = 0;
	int calls = 0;

	for (struct mg_watch *w = h->watches; w && n < 16; w = w->next, n++) {
		fds[n] = (struct pollfd){ .fd = w->fd,
					  .events = (short)((w->events & MG_EV_READ ? POLLIN : 0) |
							    (w->events & MG_EV_WRITE ? POLLOUT : 0)) };
		ws[n] = w;
	}
	for (struct mg_timer *t = h->timers; t; t = t->next)
		if (t->at <= now)
			timeout_ms = 0;
	if (poll(fds, n, timeout_ms) > 0)
		for (nfds_t i = 0; i < n; i++)
			if (fds[i].revents && watched(h, ws[i])) {
				ws[i]->cb(ws[i]->arg, (fds[i].revents & POLLIN ? MG_EV_READ : 0) |
							      (fds[i].revents & POLLOUT ? MG_EV_WRITE : 0) |
							      (fds[i].revents & (POLLERR | POLLHUP) ? MG_EV_ERROR : 0));
				calls++;
			}
	/* the timers due now, not the later ones */
	now = fake_now_ns();
	for (;;) {
		struct mg_timer *t = h->timers, cur;

		for (struct mg_timer *i = h->timers; i; i = i->next)
			if (i->at < t->at)
				t = i;
		if (!t || t->at > now)
			break;
		unlink_timer(t);
		cur = *t;
		free(t);
		cur.cb(cur.arg);
		calls++;
	}
	return calls;
}

static void fake_job_done(const struct mg_env *env, int status)
{
	struct fakehost *h = host_of(env);

	h->ndone++;
	h->status = status;
}

static void fake_stop(const struct mg_env *env, int status)
{
	note(host_of(env), "stop(%d)", status);
}

static void fake_connected(const struct mg_env *env, int status)
{
	struct fakehost *h = host_of(env);

	h->nconnected++;
	h->connected = status;
}

/* Each call a callback of its own: a cache revalidates at every call. */
static uint64_t fake_turn(void)
{
	static uint64_t turns;

	return ++turns;
}

void fakehost_init(struct fakehost *h)
{
	*h = (struct fakehost){
		.host = {
			.hdr = MG_OPS_HDR(struct mg_host, MG_ABI_MAJOR, MG_ABI_MINOR),
			.target = "unix",
			.vlog = fake_vlog,
			.alloc = fake_alloc,
			.free = fake_free,
			.now_ns = fake_now_ns,
			.timer_start = fake_timer_start,
			.timer_cancel = fake_timer_cancel,
			.fd_watch = fake_fd_watch,
			.fd_update = fake_fd_update,
			.fd_unwatch = fake_fd_unwatch,
			.job_done = fake_job_done,
			.stop = fake_stop,
			.connected = fake_connected,
			.turn = fake_turn,
		},
	};
}

const char *fakehost_plugin_path(char *buf, size_t cap, const char *name)
{
	const char *dir = getenv("MIRAGE_PLUGIN_DIR");

	snprintf(buf, cap, "%s/%s.so", dir && *dir ? dir : "build/plugins", name);
	return buf;
}

/* Turns params[i] (or the default) into the value connect receives. */
static int set_params(struct fakedev *d, struct fakehost *h,
		      const char *const *params, size_t nparams)
{
	const struct mg_plugin *pl = d->plugin;

	if (pl->nparams > FAKEDEV_MAX)
		return -E2BIG;
	for (uint32_t i = 0; i < pl->nparams; i++) {
		const struct mg_param *p = &pl->params[i];
		const char *s = i < nparams && params[i] ? params[i] : p->def;

		if (!s) {
			note(h, "%s: parameter %s is required", pl->name, p->name);
			return -EINVAL;
		}
		if (p->type == MG_PARAM_INT)
			d->params[i].i = strtoll(s, NULL, 0);
		else if (p->type == MG_PARAM_BOOL)
			d->params[i].b = strcmp(s, "true") == 0;
		else
			d->params[i].s = s;
	}
	return 0;
}

int fakedev_connect(struct fakedev *d, struct fakehost *h, const char *path,
		    const char *const *params, size_t nparams,
		    struct mg_device *const *deps, size_t ndeps)
{
	static const struct mg_job_ops plain_ops = {
		.hdr = MG_OPS_HDR(struct mg_job_ops, 1, 0),
	};
	int rc;

	*d = (struct fakedev){ 0 };
	d->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!d->dl) {
		note(h, "%s", dlerror());
		return -ENOENT;
	}
	d->plugin = dlsym(d->dl, MG_PLUGIN_SYMBOL);
	if (!d->plugin || d->plugin->magic != MG_PLUGIN_MAGIC ||
	    d->plugin->nslots > FAKEDEV_MAX || ndeps > d->plugin->nslots) {
		note(h, "%s: not a plugin, or too many slots", path);
		rc = -EINVAL;
		goto fail;
	}
	rc = set_params(d, h, params, nparams);
	if (rc < 0)
		goto fail;
	if (ndeps)
		memcpy(d->deps, deps, ndeps * sizeof *deps);
	d->env = (struct mg_env){ .host = &h->host, .name = d->plugin->name,
				  .plugin = d->plugin, .deps = d->deps,
				  .params = d->params };
	if (d->plugin->connect) {
		rc = d->plugin->connect(&d->env, &d->dev);
		if (rc < 0 && rc != -EINPROGRESS)
			goto fail;
		if (rc == -EINPROGRESS)
			return rc; /* the caller polls until h->connected */
	} else {
		d->plain = (struct mg_job){ .ops = &plain_ops, .env = &d->env };
		d->dev = MG_DEVICE(&d->plain);
	}
	return 0;
fail:
	dlclose(d->dl);
	d->dl = NULL;
	return rc;
}

void fakedev_disconnect(struct fakedev *d)
{
	if (d->plugin->disconnect)
		d->plugin->disconnect(d->dev);
	dlclose(d->dl);
	d->dl = NULL;
}
