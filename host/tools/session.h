/* session.h - a running app under mirage-host that can change while it
 * runs: the config re-read, a device swapped for another implementation, a
 * rebuilt plugin loaded again.  Each change is resolved like a fresh start
 * and applied to the running devices (mgh_rt_apply): only what changed is
 * re-connected, and a change that fails leaves the app as it was. */
#ifndef MIRAGE_SESSION_H
#define MIRAGE_SESSION_H

#include "runtime/runtime.h"
#include "setup.h"

struct mgt_session {
	const struct mgt_args *args;
	struct mgr_lines sets;       /* --set from the command line, then swaps */
	struct mgl_catalog cat;      /* loaded plugins, kept across changes */
	struct mgr_resolved **plans; /* still in use; the last one runs */
	size_t nplans;
	struct mgh_opts opts;
	struct mgh_rt *rt;
	unsigned changes;            /* applied since the start */
	struct mgt_change_wait *waiting; /* a change waiting on a connect */
	uint64_t last_pause_ns;      /* how long the last change took to apply */
};

/* A change's outcome, for one that waited on a connect (-EINPROGRESS):
 * rc as the call would have returned it, msgs what it would have said. */
typedef void (*mgt_session_done)(void *arg, int rc, const struct mgr_lines *msgs);

/* Resolves and starts the app.  0, or -EINVAL after printing why. */
int mgt_session_open(struct mgt_session *s, const struct mgt_args *args,
		     const struct mgh_opts *opts);
/* Re-reads the config.  0, or a negative errno with the reasons in msgs
 * (and logged); the app then runs on unchanged.  -EINPROGRESS: a connect
 * takes time, and done(arg, ...) (may be NULL) tells the outcome. */
int mgt_session_reload(struct mgt_session *s, struct mgr_lines *msgs, mgt_session_done done,
		       void *arg);
/* Gives device `dev` implementation impl with the given KEY=VALUE params
 * (a relative path value taken from cwd, when given); returns as reload
 * does.  The device stays so, pinned, through later reloads. */
int mgt_session_swap(struct mgt_session *s, const char *dev, const char *impl,
		     char *const *params, size_t nparams, const char *cwd, struct mgr_lines *msgs,
		     mgt_session_done done, void *arg);
/* Drops the pins of dev's swaps and applies what the config says of it;
 * returns as reload does (-ENOENT: nothing pins it). */
int mgt_session_unpin(struct mgt_session *s, const char *dev, struct mgr_lines *msgs,
		      mgt_session_done done, void *arg);
/* The names of the devices swaps pin, into out. */
void mgt_session_pins(const struct mgt_session *s, struct mgr_lines *out);
/* The plugin file at path was rebuilt: load it again and re-connect the
 * devices that use it.  0 (also when no device uses it) or negative errno. */
int mgt_session_plugin_changed(struct mgt_session *s, const char *path, struct mgr_lines *msgs);
/* The change waiting on a connect tells nobody its outcome (it is logged). */
void mgt_session_forget_done(struct mgt_session *s);
void mgt_session_close(struct mgt_session *s);

#endif
