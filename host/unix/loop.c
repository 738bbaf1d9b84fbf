/* loop.c - epoll and a binary min-heap of timers. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "runtime/loop.h"

struct mg_timer {
	struct mgh_loop *loop;
	uint64_t deadline;
	uint64_t seq; /* equal deadlines fire in start order */
	size_t idx;   /* position in the heap */
	mg_timer_cb cb;
	void *arg;
	const void *owner;
};

struct mg_watch {
	struct mgh_loop *loop;
	int fd;
	unsigned events;
	mg_watch_cb cb;
	void *arg;
	const void *owner;
	struct mg_watch *next; /* live list, then graveyard once unwatched */
};

struct mgh_loop {
	int epfd;
	struct mg_timer **heap;
	size_t ntimers, cap;
	uint64_t seq;
	struct mg_watch *watches;
	/* Unwatched during a dispatch round: epoll may still hand them back
	 * in the same batch, so they are freed after it. */
	struct mg_watch *graveyard;
	unsigned owned; /* device-owned timers and watches */
};

uint64_t mgh_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct mgh_loop *mgh_loop_new(void)
{
	struct mgh_loop *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

/* ---- timers ---- */

static int earlier(const struct mg_timer *a, const struct mg_timer *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_set(struct mgh_loop *l, size_t i, struct mg_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

static void sift_up(struct mgh_loop *l, size_t i)
{
	struct mg_timer *t = l->heap[i];

	while (i > 0 && earlier(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void sift_down(struct mgh_loop *l, size_t i)
{
	struct mg_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->ntimers)
			break;
		if (c + 1 < l->ntimers && earlier(l->heap[c + 1], l->heap[c]))
			c++;
		if (!earlier(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void heap_remove(struct mgh_loop *l, struct mg_timer *t)
{
	struct mg_timer *last = l->heap[--l->ntimers];

	if (last != t) {
		heap_set(l, t->idx, last);
		sift_up(l, last->idx);
		sift_down(l, last->idx);
	}
	l->owned -= t->owner != NULL;
}

int mgh_timer_start(struct mgh_loop *l, const void *owner, uint64_t delay_ns, mg_timer_cb cb,
		    void *arg, struct mg_timer **out)
{
	struct mg_timer *t;
	uint64_t now;

	if (l->ntimers == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct mg_timer **heap = realloc(l->heap, cap * sizeof *heap);

		if (!heap)
			return -ENOMEM;
		l->heap = heap;
		l->cap = cap;
	}
	t = malloc(sizeof *t);
	if (!t)
		return -ENOMEM;
	now = mgh_now_ns();
	*t = (struct mg_timer){ .loop = l,
				.deadline = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns,
				.seq = l->seq++, .cb = cb, .arg = arg, .owner = owner };
	l->heap[l->ntimers] = t;
	sift_up(l, l->ntimers++);
	l->owned += owner != NULL;
	if (out)
		*out = t;
	return 0;
}

void mgh_timer_cancel(struct mg_timer *t)
{
	heap_remove(t->loop, t);
	free(t);
}

const void *volatile mgh_loop_owner;
uint64_t mgh_loop_turns;

static void run_timers(struct mgh_loop *l)
{
	uint64_t now = mgh_now_ns(), barrier = l->seq;

	/* Only timers due now: one started by a callback waits a round, so
	 * a callback that re-arms with no delay cannot starve fds. */
	while (l->ntimers && l->heap[0]->deadline <= now) {
		struct mg_timer *t = l->heap[0];
		mg_timer_cb cb = t->cb;
		void *arg = t->arg;

		if (t->seq >= barrier)
			break;
		heap_remove(l, t);
		mgh_loop_owner = t->owner;
		free(t);
		mgh_loop_turns++;
		cb(arg);
		mgh_loop_owner = NULL;
	}
}

/* ---- fd readiness ---- */

static uint32_t to_epoll(unsigned events)
{
	return (events & MG_EV_READ ? EPOLLIN | EPOLLRDHUP : 0) | (events & MG_EV_WRITE ? EPOLLOUT : 0);
}

int mgh_fd_watch(struct mgh_loop *l, const void *owner, int fd, unsigned events, mg_watch_cb cb,
		 void *arg, struct mg_watch **out)
{
	struct mg_watch *w = malloc(sizeof *w);
	struct epoll_event ev = { .events = to_epoll(events) };

	if (!w)
		return -ENOMEM;
	*w = (struct mg_watch){ l, fd, events, cb, arg, owner, l->watches };
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		free(w);
		return rc;
	}
	l->watches = w;
	l->owned += owner != NULL;
	if (out)
		*out = w;
	return 0;
}

int mgh_fd_update(struct mg_watch *w, unsigned events)
{
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = w };

	if (epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

void mgh_fd_unwatch(struct mg_watch *w)
{
	struct mgh_loop *l = w->loop;
	struct mg_watch **p = &l->watches;

	while (*p != w)
		p = &(*p)->next;
	*p = w->next;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	l->owned -= w->owner != NULL;
	w->cb = NULL;
	w->next = l->graveyard;
	l->graveyard = w;
}

static void bury(struct mgh_loop *l)
{
	while (l->graveyard) {
		struct mg_watch *w = l->graveyard;

		l->graveyard = w->next;
		free(w);
	}
}

/* ---- running ---- */

int mgh_loop_run_once(struct mgh_loop *l)
{
	struct epoll_event evs[64];
	int timeout = -1, n;

	if (l->ntimers) {
		uint64_t now = mgh_now_ns(), due = l->heap[0]->deadline;

		/* round up: waking early would spin until the deadline */
		uint64_t ms = due <= now ? 0 : (due - now + 999999) / 1000000;

		timeout = ms > INT_MAX ? INT_MAX : (int)ms;
	}
	n = epoll_wait(l->epfd, evs, (int)MG_COUNTOF(evs), timeout);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct mg_watch *w = evs[i].data.ptr;
		unsigned events = (evs[i].events & (EPOLLIN | EPOLLRDHUP) ? MG_EV_READ : 0) |
				  (evs[i].events & EPOLLOUT ? MG_EV_WRITE : 0) |
				  (evs[i].events & (EPOLLERR | EPOLLHUP) ? MG_EV_ERROR : 0);

		if (w->cb) {
			mgh_loop_owner = w->owner;
			mgh_loop_turns++;
			w->cb(w->arg, events);
			mgh_loop_owner = NULL;
		}
	}
	bury(l);
	run_timers(l);
	return 0;
}

unsigned mgh_loop_drop_owner(struct mgh_loop *l, const void *owner)
{
	unsigned n = 0;

	for (size_t i = 0; i < l->ntimers;) {
		if (l->heap[i]->owner == owner) {
			mgh_timer_cancel(l->heap[i]);
			n++;
			i = 0; /* the heap moved: scan again */
		} else {
			i++;
		}
	}
	for (struct mg_watch *w = l->watches, *next; w; w = next) {
		next = w->next;
		if (w->owner == owner) {
			mgh_fd_unwatch(w);
			n++;
		}
	}
	/* no bury here: this may run inside a dispatch round whose batch
	 * still names those watches; the round buries them at its end */
	return n;
}

unsigned mgh_loop_pending(const struct mgh_loop *l)
{
	return l->owned;
}

void mgh_loop_free(struct mgh_loop *l)
{
	while (l->ntimers)
		mgh_timer_cancel(l->heap[0]);
	while (l->watches)
		mgh_fd_unwatch(l->watches);
	bury(l);
	close(l->epfd);
	free(l->heap);
	free(l);
}
