/* session.c - changes to a running app, each resolved then applied. */
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "runtime/loop.h"
#include "session.h"

static const struct mgr_resolved *running(const struct mgt_session *s)
{
	return s->nplans ? s->plans[s->nplans - 1] : NULL;
}

/* Frees the plans no device uses any more (the running one always stays). */
static void forget_unused(struct mgt_session *s)
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
static struct mgr_resolved *resolve(struct mgt_session *s, struct mgr_lines *msgs)
{
	struct mgr_resolved *r = mgr_xalloc(sizeof *r);
	struct mgr_config cfg;
	int rc;

	rc = mgr_config_load(&cfg, s->args->config, s->sets.lines, s->sets.n, mgt_env_lookup,
			     MG_TARGET_UNIX, msgs);
	if (rc == 0) { /* the path as the config says it now */
		mgl_catalog_clear_dirs(&s->cat);
		mgt_catalog_dirs(&s->cat, s->args, cfg.plugin_path, cfg.npath);
		rc = mgt_catalog_trust(&s->cat, s->args, &cfg, msgs);
	}
	if (rc == 0)
		rc = mgr_resolve(&cfg, &s->cat.base, MG_TARGET_UNIX, r, msgs);
	for (size_t i = 0; rc == 0 && i < s->cat.nloaded; i++) /* checked by the resolve */
		mgt_fault_note_plugin(s->cat.loaded[i].handle, s->cat.loaded[i].desc->name);
	mgt_fault_note_folder(s->cat.copies);
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
static int same_types(const struct mgt_session *s, const struct mg_plan *plan,
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
struct mgt_change_wait {
	struct mgt_session *s;
	struct mgr_resolved *r;
	char *what;
	uint64_t t0;
	size_t sets_before; /* overrides beyond this go when it fails */
	struct mgr_lines restore; /* overrides put back when it fails (unpin) */
	char *reloaded;     /* a plugin file loaded again, reverted when it fails */
	int reload;         /* the config re-read: say what pins mask */
	struct mgr_lines log; /* warnings and errors logged while it was applied */
	mgt_session_done done;
	void *arg;
};

/* The device an override names: "devices.DEV=..." or "devices.DEV.P=...". */
static size_t override_device(const char *set, const char **dev)
{
	*dev = set + 8;
	return strncmp(set, "devices.", 8) ? 0 : strcspn(*dev, ".=");
}

/* Whether override i came from a swap, not the command line, and names dev. */
static int pins(const struct mgt_session *s, size_t i, const char *dev)
{
	const char *d;
	size_t len = override_device(s->sets.lines[i], &d);

	return i >= s->args->nsets && len && (!dev || (strlen(dev) == len && !strncmp(d, dev, len)));
}

void mgt_session_pins(const struct mgt_session *s, struct mgr_lines *out)
{
	for (size_t i = 0; i < s->sets.n; i++) {
		const char *d;
		size_t len = override_device(s->sets.lines[i], &d);
		char *name;
		int seen = 0;

		if (!pins(s, i, NULL))
			continue;
		for (size_t j = 0; j < out->n && !seen; j++)
			seen = strlen(out->lines[j]) == len && !strncmp(out->lines[j], d, len);
		name = mgr_strf("%.*s", (int)len, d);
		if (!seen)
			mgr_lines_push(out, name);
		free(name);
	}
}

/* The log lines that tell why a change failed, for whoever asked for it. */
static void tap(void *arg, enum mg_log_level level, const char *line)
{
	struct mgt_change_wait *w = arg;

	if (level <= MG_LOG_WARN)
		mgr_lines_push(&w->log, line);
}

/* On stderr, with the host's prefix (a worker's says which). */
static void print_from(const struct mgt_session *s, const struct mgr_lines *msgs, size_t from)
{
	for (size_t i = from; i < msgs->n; i++)
		fprintf(stderr, "%s: %s\n", s->opts.prog, msgs->lines[i]);
}

/* r runs now: kept while devices use it. */
static void keep_plan(struct mgt_session *s, struct mgr_resolved *r)
{
	s->plans = mgr_xrealloc(s->plans, (s->nplans + 1) * sizeof *s->plans);
	s->plans[s->nplans++] = r;
	forget_unused(s);
}

/* The change's outcome: the plan kept or dropped, the message, the undo. */
static void settle(struct mgt_change_wait *w, int rc, struct mgr_lines *msgs)
{
	struct mgt_session *s = w->s;
	size_t before = msgs->n;
	int runs = w->r && (rc == 0 || rc == -ECANCELED); /* the plan runs, even degraded */

	mgh_rt_tap_log(s->rt, NULL, NULL);
	if (runs)
		keep_plan(s, w->r);
	if (runs && w->reload && !mgh_rt_changed(s->rt)) {
		/* no "applied" for what a pin masked */
		mgr_diag_add(msgs, NULL, 0, "%s: nothing changed", w->what);
	} else if (runs) {
		s->last_pause_ns = mgh_now_ns() - w->t0;
		s->changes++;
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
		for (size_t i = 0; i < w->restore.n; i++)
			mgr_lines_push(&s->sets, w->restore.lines[i]);
		if (w->reloaded) /* later changes resolve to the old copy */
			mgl_revert_file(&s->cat, w->reloaded);
		mgr_diag_add(msgs, NULL, 0, "%s: not applied (%s); the app runs on unchanged", w->what,
			     strerror(-rc));
		for (size_t i = 0; i < w->log.n; i++) /* why, as the devices said it */
			mgr_diag_add(msgs, NULL, 0, "  %s", w->log.lines[i]);
	}
	if (w->reload) {
		struct mgr_lines pinned = { 0 };

		mgt_session_pins(s, &pinned);
		for (size_t i = 0; i < pinned.n; i++)
			mgr_diag_add(msgs, NULL, 0, "device '%s' is pinned by ctl swap: the config's entry for it is not applied (ctl unpin %s takes it)",
				     pinned.lines[i], pinned.lines[i]);
		mgr_lines_free(&pinned);
	}
	print_from(s, msgs, before);
	mgr_lines_free(&w->restore);
	mgr_lines_free(&w->log);
	free(w->what);
	free(w->reloaded);
	free(w);
}

/* A connect the change waited on has ended. */
static void applied_later(void *arg, int rc)
{
	struct mgt_change_wait *w = arg;
	mgt_session_done done = w->done;
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
static int change(struct mgt_session *s, struct mgt_change_wait *w, struct mgr_lines *msgs)
{
	size_t before = msgs->n;
	int rc;

	w->r = resolve(s, msgs);
	rc = !w->r ? -EINVAL : same_types(s, &w->r->plan, msgs);
	print_from(s, msgs, before);
	w->t0 = mgh_now_ns();
	if (rc == 0) {
		mgh_rt_tap_log(s->rt, tap, w);
		rc = mgh_rt_apply(s->rt, &w->r->plan, applied_later, w);
	}
	if (rc == -EINPROGRESS) {
		s->waiting = w;
		mgr_diag_add(msgs, NULL, 0, "%s: a connect is in progress; the app serves unchanged until it ends",
			     w->what);
		print_from(s, msgs, msgs->n - 1);
		return rc;
	}
	settle(w, rc, msgs);
	return rc;
}

/* A change of the session's, before it is resolved. */
static struct mgt_change_wait *change_new(struct mgt_session *s, char *what,
					   mgt_session_done done, void *arg)
{
	struct mgt_change_wait *w = mgr_xalloc(sizeof *w);

	*w = (struct mgt_change_wait){ .s = s, .what = what, .sets_before = s->sets.n,
				       .done = done, .arg = arg };
	return w;
}

int mgt_session_open(struct mgt_session *s, const struct mgt_args *args,
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

int mgt_session_reload(struct mgt_session *s, struct mgr_lines *msgs, mgt_session_done done,
			void *arg)
{
	struct mgt_change_wait *w = change_new(s, mgr_strdup("config reloaded"), done, arg);

	w->reload = 1;
	return change(s, w, msgs);
}

int mgt_session_unpin(struct mgt_session *s, const char *dev, struct mgr_lines *msgs,
		      mgt_session_done done, void *arg)
{
	struct mgt_change_wait *w = change_new(s, mgr_strf("unpin %s", dev), done, arg);
	size_t kept = 0;

	for (size_t i = 0; i < s->sets.n; i++) {
		if (pins(s, i, dev)) {
			mgr_lines_push(&w->restore, s->sets.lines[i]);
			free(s->sets.lines[i]);
		} else {
			s->sets.lines[kept++] = s->sets.lines[i];
		}
	}
	s->sets.n = kept;
	w->sets_before = kept;
	if (!w->restore.n) {
		mgr_diag_add(msgs, NULL, 0, "unpin %s: no ctl swap pins it", dev);
		settle(w, -ENOENT, msgs);
		return -ENOENT;
	}
	w->reload = 1;
	return change(s, w, msgs);
}

/* KEY=VALUE with VALUE a relative path of impl's parameter KEY: made
 * absolute from dir, where the asking ctl runs (the config's folder is
 * another place). */
static char *param_from(struct mgt_session *s, const char *impl, const char *kv, const char *dir)
{
	const struct mg_plugin *p = NULL;
	const char *eq = strchr(kv, '=');
	char err[256];

	if (!dir || !eq || eq[1] == '/' || !eq[1] ||
	    s->cat.base.find(&s->cat.base, impl, &p, err, sizeof err) < 0)
		return mgr_strdup(kv);
	for (uint32_t i = 0; i < p->nparams; i++)
		if (p->params[i].type == MG_PARAM_PATH && strlen(p->params[i].name) == (size_t)(eq - kv) &&
		    !strncmp(p->params[i].name, kv, (size_t)(eq - kv)))
			return mgr_strf("%.*s=%s/%s", (int)(eq - kv), kv, dir, eq + 1);
	return mgr_strdup(kv);
}

int mgt_session_swap(struct mgt_session *s, const char *dev, const char *impl,
		     char *const *params, size_t nparams, const char *cwd, struct mgr_lines *msgs,
		     mgt_session_done done, void *arg)
{
	struct mgt_change_wait *w = change_new(s, mgr_strf("swap %s to %s", dev, impl), done, arg);
	char *set = mgr_strf("devices.%s=%s", dev, impl);

	mgr_lines_push(&s->sets, set);
	for (size_t i = 0; i < nparams; i++) {
		char *kv = param_from(s, impl, params[i], cwd);

		free(set);
		set = mgr_strf("devices.%s.%s", dev, kv);
		mgr_lines_push(&s->sets, set);
		free(kv);
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
static int uses_file(const struct mgt_session *s, const char *path)
{
	const struct mg_plan *plan = &running(s)->plan;

	for (unsigned k = 0; k < plan->ndevices; k++) {
		const struct mgl_plugin *lp = mgl_lookup(&s->cat, plan->devices[k].plugin);

		if (lp && !strcmp(lp->path, path))
			return 1;
	}
	return 0;
}

int mgt_session_plugin_changed(struct mgt_session *s, const char *path, struct mgr_lines *msgs)
{
	struct mgt_change_wait *w;
	char err[1024];
	int rc;

	if (!uses_file(s, path))
		return 0;
	rc = mgl_reload_file(&s->cat, path, err, sizeof err);
	if (rc < 0) {
		mgr_diag_add(msgs, NULL, 0, "%s rebuilt: not loaded: %s; the app runs on unchanged", path,
			     err);
		print_from(s, msgs, msgs->n - 1);
		return rc;
	}
	w = change_new(s, mgr_strf("%s rebuilt", path), NULL, NULL);
	w->reloaded = mgr_strdup(path);
	return change(s, w, msgs);
}

void mgt_session_forget_done(struct mgt_session *s)
{
	if (s->waiting)
		s->waiting->done = NULL;
}

void mgt_session_close(struct mgt_session *s)
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
