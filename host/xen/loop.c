/* loop.c - host/loop.h for the Xen image: timers in a list sorted by
 * deadline (then start order), event channels from evtchn.c, no fds.
 * Same semantics as the Unix loop: one-shot timers, equal deadlines fire in
 * start order, a timer started by a callback waits for the next round. */
#include <stdlib.h>

#include "runtime/loop.h"
#include "plat.h"

/* Kept for the shared runtime (host/loop.h); nothing reports faults here. */
const void *volatile mgh_loop_owner;
uint64_t mgh_loop_turns;

struct mg_timer {
	struct mgh_loop *loop;
	struct mg_timer *prev, *next;
	uint64_t deadline;
	uint64_t seq;
	mg_timer_cb cb;
	void *arg;
	const void *owner;
};

struct mgh_loop {
	struct mg_timer *head, *tail; /* earliest first */
	uint64_t seq;
	unsigned owned; /* device-owned timers */
};

uint64_t mgh_now_ns(void)
{
	return mgx_monotonic_ns();
}

/* The image's one loop also carries the xenstore client; without Xen it
 * has none, as it has no event channels. */
struct mgh_loop *mgh_loop_new(void)
{
	struct mgh_loop *l = calloc(1, sizeof(struct mgh_loop));

	if (l)
		mgx_xs_start(l);
	return l;
}

/* Links t after every timer due no later: from the tail, since a new timer
 * is usually the latest. */
static void insert(struct mgh_loop *l, struct mg_timer *t)
{
	struct mg_timer *after = l->tail;

	while (after && after->deadline > t->deadline)
		after = after->prev;
	t->prev = after;
	t->next = after ? after->next : l->head;
	if (t->next)
		t->next->prev = t;
	else
		l->tail = t;
	if (after)
		after->next = t;
	else
		l->head = t;
}

static void unlink_timer(struct mgh_loop *l, struct mg_timer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		l->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		l->tail = t->prev;
	l->owned -= t->owner != NULL;
}

int mgh_timer_start(struct mgh_loop *l, const void *owner, uint64_t delay_ns, mg_timer_cb cb,
		    void *arg, struct mg_timer **out)
{
	struct mg_timer *t = malloc(sizeof *t);

	if (!t)
		return -ENOMEM;
	*t = (struct mg_timer){ .loop = l, .deadline = mgh_now_ns() + delay_ns, .seq = l->seq++,
				.cb = cb, .arg = arg, .owner = owner };
	insert(l, t);
	l->owned += owner != NULL;
	if (out)
		*out = t;
	return 0;
}

void mgh_timer_cancel(struct mg_timer *t)
{
	unlink_timer(t->loop, t);
	free(t);
}

/* No file descriptors in the image. */
int mgh_fd_watch(struct mgh_loop *l, const void *owner, int fd, unsigned events, mg_watch_cb cb,
		 void *arg, struct mg_watch **out)
{
	(void)l, (void)owner, (void)fd, (void)events, (void)cb, (void)arg, (void)out;
	return -ENOSYS;
}

int mgh_fd_update(struct mg_watch *w, unsigned events)
{
	(void)w, (void)events;
	return -ENOSYS;
}

void mgh_fd_unwatch(struct mg_watch *w)
{
	(void)w; /* fd_watch never made one */
}

unsigned mgh_loop_drop_owner(struct mgh_loop *l, const void *owner)
{
	unsigned n = 0;

	for (struct mg_timer *t = l->head, *next; t; t = next) {
		next = t->next;
		if (t->owner == owner) {
			mgh_timer_cancel(t);
			n++;
		}
	}
	return n + mgx_xs_drop(owner);
}

/* Routed event channels count: a device waiting for a ring is pending; so
 * do its xenstore requests and watches, but not the xenstore ring itself. */
unsigned mgh_loop_pending(const struct mgh_loop *l)
{
	return l->owned + mgx_evtchn_routed() - mgx_xs_routes() + mgx_xs_waiting();
}

static void run_timers(struct mgh_loop *l)
{
	uint64_t now = mgh_now_ns(), barrier = l->seq;

	/* Only timers due now: one started by a callback waits a round.  The
	 * head is read again each time: a callback may cancel anything. */
	for (;;) {
		struct mg_timer *t = l->head;
		mg_timer_cb cb;
		void *arg;

		if (!t || t->deadline > now || t->seq >= barrier)
			break;
		cb = t->cb;
		arg = t->arg;
		mgh_timer_cancel(t);
		mgh_loop_turns++;
		cb(arg);
	}
}

int mgh_loop_run_once(struct mgh_loop *l)
{
	if (!mgx_evtchn_pending() && (!l->head || l->head->deadline > mgh_now_ns()))
		mgx_evtchn_wait(l->head ? l->head->deadline : 0);
	mgx_evtchn_dispatch();
	if (mgx_gnt_retry) /* linked only with a driver that grants */
		mgx_gnt_retry();
	run_timers(l);
	return 0;
}

void mgh_loop_free(struct mgh_loop *l)
{
	mgx_xs_stop(l);
	while (l->head)
		mgh_timer_cancel(l->head);
	free(l);
}
