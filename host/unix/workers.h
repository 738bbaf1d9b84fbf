/* workers.h - N processes serving one app on Unix (`workers = N;`): each
 * a fork of this process that runs the app with its own loop and devices
 * (a stack listens with SO_REUSEPORT, so the kernel spreads the
 * connections over them), and this process supervises them. */
#ifndef MIRAGE_WORKERS_H
#define MIRAGE_WORKERS_H

struct mgh_workers; /* opaque */

/* Forks n workers.  In worker i (1 to n) calls run(arg, i) and exits with
 * what it returns, never returning here; a worker whose supervisor dies
 * gets SIGTERM.  Here: the workers, or NULL after printing why (then none
 * runs). */
struct mgh_workers *mgh_workers_start(unsigned n, const char *prog,
				      int (*run)(void *arg, unsigned i), void *arg);
/* Supervises until every worker has ended.  SIGTERM and SIGINT are passed
 * on to each; a worker that ends other than with status 0 is reported and
 * the others are stopped with SIGTERM.  side (-1: none) is watched too:
 * on_side(side_arg) when it is readable.  Frees w and returns the exit
 * status: 0, else the first failed worker's (128+N for a signal N). */
int mgh_workers_wait(struct mgh_workers *w, int side, void (*on_side)(void *arg), void *side_arg);
unsigned mgh_workers_count(const struct mgh_workers *w);
/* Worker i's process id (i from 1), 0 once it has ended. */
long mgh_workers_pid(const struct mgh_workers *w, unsigned i);

#endif
