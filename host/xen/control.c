/* control.c - the image's stop source (runtime/platform.h): the toolstack's
 * control/shutdown key.  The image advertises control/feature-poweroff and
 * feature-reboot, watches control/shutdown, and on "poweroff" (or "halt")
 * and "reboot" clears the key, as Linux does, keeps the reason for
 * SCHEDOP_shutdown (main.c) and asks the runtime to stop. */
#include <errno.h>
#include <stdint.h> /* before Xen's headers, which use its types */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/sched.h>

#include "runtime/platform.h"
#include "plat.h"

#define KEY "control/shutdown"

struct mgh_stop_watch {
	void (*cb)(void *arg, const char *why);
	void *arg;
	struct mgx_xs_watch *watch;
	struct mgx_xs_req *read;
	int asked; /* the runtime was told once */
};

static unsigned reason = SHUTDOWN_poweroff;

unsigned mgx_shutdown_reason(void)
{
	return reason;
}

static void on_value(void *arg, int status, const char *value, size_t len)
{
	static const struct {
		const char *value;
		unsigned reason;
	} known[] = { { "poweroff", SHUTDOWN_poweroff }, { "halt", SHUTDOWN_poweroff },
		      { "reboot", SHUTDOWN_reboot } };
	struct mgh_stop_watch *w = arg;
	char why[64];

	w->read = NULL;
	if (status < 0 || len == 0 || w->asked)
		return; /* no key, or the key we cleared */
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(value, known[i].value) == 0) {
			mgx_xs_write(NULL, KEY, "", 0, NULL, NULL, NULL);
			reason = known[i].reason;
			w->asked = 1;
			snprintf(why, sizeof why, "xenstore %s = %s", KEY, value);
			w->cb(w->arg, why);
			return;
		}
	snprintf(why, sizeof why, "xen: warning: %s = %.24s: not supported, ignored", KEY, value);
	mgh_plat_log(why);
}

static void on_change(void *arg, int status, const char *path)
{
	struct mgh_stop_watch *w = arg;

	(void)path;
	if (status < 0) {
		mgh_plat_log("xen: warning: cannot watch " KEY ": xl shutdown will not be obeyed");
		return;
	}
	if (w->read)
		mgx_xs_cancel(w->read); /* the newer value is what counts */
	mgx_xs_read(NULL, KEY, on_value, w, &w->read);
}

int mgh_plat_watch_stop(struct mgh_loop *l, void (*cb)(void *arg, const char *why), void *arg,
			struct mgh_stop_watch **out)
{
	struct mgh_stop_watch *w = calloc(1, sizeof *w);
	int rc;

	(void)l; /* the xenstore client runs on the image's one loop */
	*out = NULL;
	if (!w)
		return -ENOMEM;
	*w = (struct mgh_stop_watch){ .cb = cb, .arg = arg };
	rc = mgx_xs_watch(NULL, KEY, on_change, w, &w->watch);
	if (rc < 0) {
		free(w);
		return rc == -ENODEV ? 0 : rc; /* no xenstore, no stop source */
	}
	mgx_xs_write(NULL, "control/feature-poweroff", "1", 1, NULL, NULL, NULL);
	mgx_xs_write(NULL, "control/feature-reboot", "1", 1, NULL, NULL, NULL);
	*out = w;
	return 0;
}

void mgh_plat_unwatch_stop(struct mgh_stop_watch *w)
{
	if (!w)
		return;
	if (w->read)
		mgx_xs_cancel(w->read);
	mgx_xs_unwatch(w->watch);
	free(w);
}
