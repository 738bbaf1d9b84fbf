/* platform.h - what the runtime asks of the platform it runs on, besides
 * the event loop (loop.h): where host log lines go and what asks the app to
 * stop.  Unix: stderr and SIGINT/SIGTERM (unix.c); a Xen image: its console
 * and the toolstack's shutdown request. */
#ifndef MIRAGE_PLATFORM_H
#define MIRAGE_PLATFORM_H

#include "loop.h"

/* Writes one complete host log line (no newline in it). */
void mgh_plat_log(const char *line);

struct mgh_stop_watch; /* opaque */

/* Calls cb(arg, why) on the loop when something outside asks the app to
 * stop.  0 with *out (NULL when the platform has no such source), or a
 * negative errno. */
int mgh_plat_watch_stop(struct mgh_loop *l, void (*cb)(void *arg, const char *why), void *arg,
			struct mgh_stop_watch **out);
void mgh_plat_unwatch_stop(struct mgh_stop_watch *w);

/* Calls fn(arg) and returns what it returns; when it crashes (a bad
 * memory access, an illegal instruction) returns -EFAULT with *crash naming
 * the signal instead of ending the process.  Where the platform cannot
 * catch crashes it just calls fn. */
int mgh_plat_guard(int (*fn)(void *arg), void *arg, const char **crash);

#endif
