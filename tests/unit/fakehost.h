/* fakehost.h - a small stand-in for mirage-host in unit tests: a services
 * table that records what plugins do, and a loader that connects one plugin
 * .so with string parameters, as a config would give them. */
#ifndef MIRAGE_TESTS_FAKEHOST_H
#define MIRAGE_TESTS_FAKEHOST_H

#include "mirage/job.h"

struct fakehost {
	struct mg_host host;
	char log[1024];      /* the last line logged */
	int nlogs;
	long allocs;         /* blocks allocated and not yet freed */
	long alloc_calls;    /* alloc calls, all told */
	int ndone, status;   /* job_done calls and the last status */
	struct mg_timer *timers; /* pending, in start order */
	struct mg_watch *watches; /* fd watches, polled by fakehost_poll */
	int nconnected, connected; /* host->connected calls and the last status */
};

void fakehost_init(struct fakehost *h);
/* Fires pending timers, earliest deadline first (no real waiting), until
 * none is left or `max` have fired.  Returns the count fired. */
int fakehost_run(struct fakehost *h, int max);
/* Waits up to timeout_ms for a watched fd, calls the ready ones' callbacks
 * and then the timers that are due.  Returns the count of callbacks. */
int fakehost_poll(struct fakehost *h, int timeout_ms);
/* Writes "$MIRAGE_PLUGIN_DIR/NAME.so" (default dir: build/plugins) to buf. */
const char *fakehost_plugin_path(char *buf, size_t cap, const char *name);

#define FAKEDEV_MAX 16

/* One loaded and connected plugin. */
struct fakedev {
	void *dl;
	const struct mg_plugin *plugin;
	struct mg_env env;
	union mg_value params[FAKEDEV_MAX];
	struct mg_device *deps[FAKEDEV_MAX];
	struct mg_device *dev;
	struct mg_job plain; /* the handle of a job without connect */
};

/* Loads the plugin at `path` and connects it.  params[0..nparams) are the
 * parameters' values as text, in descriptor order; a NULL or missing one
 * takes the default.  deps[0..ndeps) fill the first slots.  0 or a negative
 * errno; why is in h->log.  A job without connect gets d->plain. */
int fakedev_connect(struct fakedev *d, struct fakehost *h, const char *path,
		    const char *const *params, size_t nparams,
		    struct mg_device *const *deps, size_t ndeps);
void fakedev_disconnect(struct fakedev *d);

#endif
