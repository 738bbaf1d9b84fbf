/* session.c - changes to a running app, each resolved then applied. */
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "runtime/loop.h"
#include "session.h"

static const char *env_lookup(const char *name)
{
	return getenv(name);
}

static const struct mgr_resolved *running(const struct mgh_session *s)
{
	return s->nplans ? s->plans[s->nplans - 1] : NULL;
}

/* Frees the plans no device uses any more (the running one always stays). */
static void forget_unused(struct mgh_session *s)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->nplans; i++) {
		if (i + 1 == s->nplans || mgh_rt_uses_plan(s->rt, &s->plans[i]->plan)) {
			s->plans[kept++] = s->plans[i];
		} else {
			mgr_resolved_free(s->plans[i]);
			free(s->plans[i]);
		}
	}
	s->nplans = kept;
}

/* Reads the config with the session's overrides and resolves it: a new
 * plan, or NULL with the reasons in msgs. */
static struct mgr_resolved *resolve(struct mgh_session *s, struct mgr_lines *msgs)
{
	struct mgr_resolved *r = mgr_xalloc(sizeof *r);
	struct mgr_config cfg;
	int rc;

	rc = mgr_config_load(&cfg, s->args->config, s->sets.lines, s->sets.n, env_lookup, msgs);
	if (rc == 0 && !s->cat.ndirs)
		mgh_catalog_dirs(&s->cat, s->args, cfg.plugin_path, cfg.npath);
	if (rc == 0)
		rc = mgr_resolve(&cfg, &s->cat.base, MG_TARGET_UNIX, r, msgs);
	for (size_t i = 0; rc == 0 && i < s->cat.nloaded; i++) /* checked by the resolve */
		mgh_fault_note_plugin(s->cat.loaded[i].handle, s->cat.loaded[i].desc->name);
	mgh_fault_note_folder(s->cat.copies);
	/* the plan keeps nothing of cfg but the file name, which args holds */
	r->file = s->args->config;
	mgr_config_free(&cfg);
	if (rc < 0) {
		free(r);
		return NULL;
	}
	return r;
}

/* A change keeps every running device's type (name and major): its
 * dependents were wired to that type, and a job turned into a kv_ro, say,
 * is no swap but another app.  0, or -EINVAL with the devices in msgs. */
static int same_types(const struct mgh_session *s, const struct mg_plan *plan,
		      struct mgr_lines *msgs)
{
	const struct mg_plan *now = &running(s)->plan;
	int rc = 0;

	for (unsigned k = 0; k < plan->ndevices; k++) {
		const struct mg_plan_device *d = &plan->devices[k];
		int j = mgr_plan_find(now, d->name);
		const struct mg_type *was, *to = &d->plugin->provides;

		if (j < 0)
			continue;
		was = &now->devices[j].plugin->provides;
		if (strcmp(was->name, to->name) || was->major != to->major) {
			mgr_diag_add(msgs, NULL, 0,
				     "device '%s' is a %s %u.x (%s); %s provides %s %u.%u: a change keeps a device's type",
				     d->name, was->name, was->major, now->devices[j].plugin->name,
				     d->plugin->name, to->name, to->major, to->minor);
			rc = -EINVAL;
		}
	}
	return rc;
}

/* A change being applied, and how to undo what led to it if it fails. */
struct mgh_change_wait {
	struct mgh_session *s;
	struct mgr_resolved *r;
	char *what;
	uint64_t t0;
	size_t sets_before; /* overrides beyond this go when it fails */
	char *reloaded;     /* a plugin file loaded again, reverted when it fails */
	mgh_session_done done;
	void *arg;
};

static void print_from(const struct mgr_lines *msgs, size_t from)
{
	for (size_t i = from; i < msgs->n; i++)
		fprintf(stderr, "mirage-host: %s\n", msgs->lines[i]);
}

/* The change's outcome: the plan kept or dropped, the message, the undo. */
static void settle(struct mgh_change_wait *w, int rc, struct mgr_lines *msgs)
{
	struct mgh_session *s = w->s;
	size_t before = msgs->n;

	if (w->r && (rc == 0 || rc == -ECANCELED)) { /* the plan runs, even degraded */
		s->last_pause_ns = mgh_now_ns() - w->t0;
		s->plans = mgr_xrealloc(s->plans, (s->nplans + 1) * sizeof *s->plans);
		s->plans[s->nplans++] = w->r;
		s->changes++;
		forget_unused(s);
		mgr_diag_add(msgs, NULL, 0, "%s: applied in %llu us%s", w->what,
			     (unsigned long long)(s->last_pause_ns / 1000),
			     rc ? ", but a job failed to start (logged above)" : "");
	} else {
		if (w->r) {
			mgr_resolved_free(w->r);
			free(w->r);
		}
		while (s->sets.n > w->sets_before) /* a failed swap leaves no override behind */
			free(s->sets.lines[--s->sets.n]);
		if (w->reloaded) /* later changes resolve to the old copy */
			mgl_revert_file(&s->cat, w->reloaded);
		mgr_diag_add(msgs, NULL, 0, "%s: not applied (%s); the app runs on unchanged", w->what,
			     strerror(-rc));
	}
	print_from(msgs, before);
	free(w->what);
	free(w->reloaded);
	free(w);
}

/* A connect the change waited on has ended. */
static void applied_later(void *arg, int rc)
{
	struct mgh_change_wait *w = arg;
	mgh_session_done done = w->done;
	void *done_arg = w->arg;
	struct mgr_lines msgs = { 0 };

	w->s->waiting = NULL;
	settle(w, rc, &msgs);
	if (done)
		done(done_arg, rc, &msgs);
	mgr_lines_free(&msgs);
}

/* Resolves and applies; logs the outcome, now or (-EINPROGRESS) once a
 * connect in progress has ended, when done hears it too. */
static int change(struct mgh_session *s, struct mgh_change_wait *w, struct mgr_lines *msgs)
{
	size_t before = msgs->n;
	int rc;

	w->s = s;
	w->r = resolve(s, msgs);
	rc = !w->r ? -EINVAL : same_types(s, &w->r->plan, msgs);
	print_from(msgs, before);
	w->t0 = mgh_now_ns();
	if (rc == 0)
		rc = mgh_rt_apply(s->rt, &w->r->plan, applied_later, w);
	if (rc == -EINPROGRESS) {
		s->waiting = w;
		mgr_diag_add(msgs, NULL, 0, "%s: a connect is in progress; the app serves unchanged until it ends",
			     w->what);
		print_from(msgs, msgs->n - 1);
		return rc;
	}
	settle(w, rc, msgs);
	return rc;
}

/* A change of the session's, before it is resolved. */
static struct mgh_change_wait *change_new(struct mgh_session *s, char *what,
					   mgh_session_done done, void *arg)
{
	struct mgh_change_wait *w = mgr_xalloc(sizeof *w);

	*w = (struct mgh_change_wait){ .s = s, .what = what, .sets_before = s->sets.n,
				       .done = done, .arg = arg };
	return w;
}

int mgh_session_open(struct mgh_session *s, const struct mgh_args *args,
		     const struct mgh_opts *opts)
{
	struct mgr_lines msgs = { 0 };
	struct mgr_resolved *r;

	memset(s, 0, sizeof *s);
	s->args = args;
	s->opts = *opts;
	mgl_catalog_init(&s->cat);
	for (size_t i = 0; i < args->nsets; i++)
		mgr_lines_push(&s->sets, args->sets[i]);
	r = resolve(s, &msgs);
	mgr_lines_print(&msgs, stderr);
	mgr_lines_free(&msgs);
	if (!r)
		return -EINVAL;
	s->plans = mgr_xalloc(sizeof *s->plans);
	s->plans[s->nplans++] = r;
	s->rt = mgh_rt_new(&s->opts);
	if (!s->rt)
		return -ENOMEM;
	return mgh_rt_start(s->rt, &r->plan);
}

int mgh_session_reload(struct mgh_session *s, struct mgr_lines *msgs, mgh_session_done done,
			void *arg)
{
	return change(s, change_new(s, mgr_strdup("config reloaded"), done, arg), msgs);
}

int mgh_session_swap(struct mgh_session *s, const char *dev, const char *impl,
		     char *const *params, size_t nparams, struct mgr_lines *msgs,
		     mgh_session_done done, void *arg)
{
	struct mgh_change_wait *w = change_new(s, mgr_strf("swap %s to %s", dev, impl), done, arg);
	char *set = mgr_strf("devices.%s=%s", dev, impl);

	mgr_lines_push(&s->sets, set);
	for (size_t i = 0; i < nparams; i++) {
		free(set);
		set = mgr_strf("devices.%s.%s", dev, params[i]);
		mgr_lines_push(&s->sets, set);
	}
	free(set);
	if (mgr_plan_find(&running(s)->plan, dev) < 0) {
		mgr_diag_add(msgs, NULL, 0, "%s: the running app has no device '%s'", w->what, dev);
		w->r = NULL;
		settle(w, -ENOENT, msgs);
		return -ENOENT;
	}
	return change(s, w, msgs);
}

/* Whether a device of the running app uses the plugin file at path. */
static int uses_file(const struct mgh_session *s, const char *path)
{
	const struct mg_plan *plan = &running(s)->plan;

	for (unsigned k = 0; k < plan->ndevices; k++) {
		const struct mgl_plugin *lp = mgl_lookup(&s->cat, plan->devices[k].plugin);

		if (lp && !strcmp(lp->path, path))
			return 1;
	}
	return 0;
}

int mgh_session_plugin_changed(struct mgh_session *s, const char *path, struct mgr_lines *msgs)
{
	struct mgh_change_wait *w;
	char err[1024];
	int rc;

	if (!uses_file(s, path))
		return 0;
	rc = mgl_reload_file(&s->cat, path, err, sizeof err);
	if (rc < 0) {
		mgr_diag_add(msgs, NULL, 0, "%s rebuilt: not loaded: %s; the app runs on unchanged", path,
			     err);
		print_from(msgs, msgs->n - 1);
		return rc;
	}
	w = change_new(s, mgr_strf("%s rebuilt", path), NULL, NULL);
	w->reloaded = mgr_strdup(path);
	return change(s, w, msgs);
}

void mgh_session_forget_done(struct mgh_session *s)
{
	if (s->waiting)
		s->waiting->done = NULL;
}

void mgh_session_close(struct mgh_session *s)
{
	if (s->rt)
		mgh_rt_free(s->rt);
	for (size_t i = 0; i < s->nplans; i++) {
		mgr_resolved_free(s->plans[i]);
		free(s->plans[i]);
	}
	free(s->plans);
	mgr_lines_free(&s->sets);
	mgl_catalog_free(&s->cat);
}
