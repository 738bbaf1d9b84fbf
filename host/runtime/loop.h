/* loop.h - the event loop behind the host services: one-shot timers and fd
 * readiness, single threaded.  Unix implements it with epoll (loop.c); the
 * Xen image with event channels and the one-shot timer. */
#ifndef MIRAGE_LOOP_H
#define MIRAGE_LOOP_H

#include <mirage/host.h>

struct mgh_loop;

struct mgh_loop *mgh_loop_new(void);
void mgh_loop_free(struct mgh_loop *l);
uint64_t mgh_now_ns(void);

/* As the host services of the same names; `owner` (a device's env, or NULL
 * for the host itself) lets mgh_loop_drop_owner reclaim what a device left. */
int mgh_timer_start(struct mgh_loop *l, const void *owner, uint64_t delay_ns, mg_timer_cb cb,
		    void *arg, struct mg_timer **out);
void mgh_timer_cancel(struct mg_timer *t);
int mgh_fd_watch(struct mgh_loop *l, const void *owner, int fd, unsigned events, mg_watch_cb cb,
		 void *arg, struct mg_watch **out);
int mgh_fd_update(struct mg_watch *w, unsigned events);
void mgh_fd_unwatch(struct mg_watch *w);

/* Cancels every timer and watch of owner; returns how many there were. */
unsigned mgh_loop_drop_owner(struct mgh_loop *l, const void *owner);
/* Timers and watches that belong to devices (owner != NULL). */
unsigned mgh_loop_pending(const struct mgh_loop *l);
/* Waits for the next event or due timer and dispatches what is ready.
 * 0, or a negative errno from the wait. */
int mgh_loop_run_once(struct mgh_loop *l);

/* The owner of the callback running now (NULL between callbacks): who ran
 * when a fault comes, for the fatal-signal report. */
extern const void *volatile mgh_loop_owner;
/* Callbacks the loop has made (host->turn). */
extern uint64_t mgh_loop_turns;

#endif
