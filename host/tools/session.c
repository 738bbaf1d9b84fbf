/* session.c - changes to a running app, each resolved then applied. */
#include <stdlib.h>
#include <string.h>

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
	/* the plan keeps nothing of cfg but the file name, which args holds */
	r->file = s->args->config;
	mgr_config_free(&cfg);
	if (rc < 0) {
		free(r);
		return NULL;
	}
	return r;
}

/* Resolves and applies; logs the outcome. */
static int change(struct mgh_session *s, const char *what, struct mgr_lines *msgs)
{
	size_t before = msgs->n;
	struct mgr_resolved *r = resolve(s, msgs);
	uint64_t t0 = mgh_now_ns();
	int rc = r ? mgh_rt_apply(s->rt, &r->plan) : -EINVAL;

	if (r && (rc == 0 || rc == -ECANCELED)) { /* the plan runs, even degraded */
		s->last_pause_ns = mgh_now_ns() - t0;
		s->plans = mgr_xrealloc(s->plans, (s->nplans + 1) * sizeof *s->plans);
		s->plans[s->nplans++] = r;
		s->changes++;
		forget_unused(s);
		mgr_diag_add(msgs, NULL, 0, "%s: applied in %llu us%s", what,
			     (unsigned long long)(s->last_pause_ns / 1000),
			     rc ? ", but a job failed to start (logged above)" : "");
	} else {
		if (r) {
			mgr_resolved_free(r);
			free(r);
		}
		mgr_diag_add(msgs, NULL, 0, "%s: not applied (%s); the app runs on unchanged", what,
			     strerror(-rc));
	}
	for (size_t i = before; i < msgs->n; i++)
		fprintf(stderr, "mirage-host: %s\n", msgs->lines[i]);
	return rc;
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

int mgh_session_reload(struct mgh_session *s, struct mgr_lines *msgs)
{
	return change(s, "config reloaded", msgs);
}

int mgh_session_swap(struct mgh_session *s, const char *dev, const char *impl,
		     char *const *params, size_t nparams, struct mgr_lines *msgs)
{
	size_t before = s->sets.n;
	char *what = mgr_strf("swap %s to %s", dev, impl);
	char *set = mgr_strf("devices.%s=%s", dev, impl);
	int rc;

	mgr_lines_push(&s->sets, set);
	for (size_t i = 0; i < nparams; i++) {
		free(set);
		set = mgr_strf("devices.%s.%s", dev, params[i]);
		mgr_lines_push(&s->sets, set);
	}
	if (mgr_plan_find(&running(s)->plan, dev) < 0) {
		mgr_diag_add(msgs, NULL, 0, "%s: the running app has no device '%s'", what, dev);
		rc = -ENOENT;
	} else {
		rc = change(s, what, msgs);
	}
	/* a swap not applied leaves no override behind; one applied with a
	 * job that failed to start is in, and its override with it */
	if (rc < 0 && rc != -ECANCELED)
		while (s->sets.n > before)
			free(s->sets.lines[--s->sets.n]);
	free(set);
	free(what);
	return rc;
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
	char err[1024], *what;
	int rc;

	if (!uses_file(s, path))
		return 0;
	rc = mgl_reload_file(&s->cat, path, err, sizeof err);
	what = mgr_strf("%s rebuilt", path);
	if (rc < 0) {
		mgr_diag_add(msgs, NULL, 0, "%s: not loaded: %s; the app runs on unchanged", what, err);
		fprintf(stderr, "mirage-host: %s\n", msgs->lines[msgs->n - 1]);
	} else if ((rc = change(s, what, msgs)) < 0) {
		mgl_revert_file(&s->cat, path); /* later changes resolve to the old copy */
	}
	free(what);
	return rc;
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
