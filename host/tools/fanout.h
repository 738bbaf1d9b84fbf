/* fanout.h - mirage-host --control PATH with workers: PATH is the
 * supervisor's, each worker listens on PATH.workerI (ctl may ask one), and
 * a request to PATH goes to every worker; the reply is "ok" when every one
 * said ok, and carries each one's answer, a line at a time:
 *   worker 2 (pid 4242): swap fs to kvro.dir: applied in 45 us */
#ifndef MIRAGE_FANOUT_H
#define MIRAGE_FANOUT_H

#include "unix/workers.h"

struct mgt_fanout;

/* Listens on path for the workers w.  0 with *out, or a negative errno
 * after printing why. */
int mgt_fanout_start(const char *path, struct mgh_workers *w, struct mgt_fanout **out);
/* The listening socket, for the supervisor to watch. */
int mgt_fanout_fd(const struct mgt_fanout *f);
/* Answers one client (its socket is readable); blocks until every worker
 * has replied (a change waits on connects: at most 30 s). */
void mgt_fanout_serve(void *f);
void mgt_fanout_stop(struct mgt_fanout *f);
/* Worker i's own socket: path.workerI (malloc'ed). */
char *mgt_fanout_worker_path(const char *path, unsigned i);

#endif
