/* platform.c - host/platform.h for the Xen image: host log lines go to the
 * platform console; nothing asks the image to stop yet (the toolstack's
 * control/shutdown xenstore watch is not wired), so there is no stop source;
 * crashes are not caught (a CPU exception ends the domain). */
#include <string.h>

#include "runtime/platform.h"
#include "plat.h"

void mgh_plat_log(const char *line)
{
	mgx_console_write(line, strlen(line));
	mgx_console_write("\n", 1);
}

int mgh_plat_watch_stop(struct mgh_loop *l, void (*cb)(void *arg, const char *why), void *arg,
			struct mgh_stop_watch **out)
{
	(void)l, (void)cb, (void)arg;
	*out = NULL;
	return 0;
}

void mgh_plat_unwatch_stop(struct mgh_stop_watch *w)
{
	(void)w; /* never made */
}

int mgh_plat_guard(int (*fn)(void *arg), void *arg, const char **crash)
{
	(void)crash; /* no exception handlers: nothing to report */
	return fn(arg);
}
