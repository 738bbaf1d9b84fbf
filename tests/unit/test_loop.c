/* test_loop.c - the Unix event loop: timer order, cancelling, fd readiness,
 * and watches dropped in the middle of a dispatch round. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkrun.h"
#include "runtime/loop.h"

static struct mgh_loop *loop;
static char order[16];
static size_t norder;

static void setup(void)
{
	loop = mgh_loop_new();
	ck_assert_ptr_nonnull(loop);
	norder = 0;
}

static void teardown(void)
{
	mgh_loop_free(loop);
}

static void mark(void *arg)
{
	order[norder++] = *(const char *)arg;
}

START_TEST(timers_fire_by_deadline_then_start_order)
{
	static const char a = 'a', b = 'b', c = 'c', d = 'd';

	ck_assert_int_eq(mgh_timer_start(loop, NULL, 2000000, mark, (void *)&c, NULL), 0);
	ck_assert_int_eq(mgh_timer_start(loop, NULL, 0, mark, (void *)&a, NULL), 0);
	ck_assert_int_eq(mgh_timer_start(loop, NULL, 0, mark, (void *)&b, NULL), 0);
	ck_assert_int_eq(mgh_timer_start(loop, NULL, 1000000, mark, (void *)&d, NULL), 0);
	while (norder < 4)
		ck_assert_int_eq(mgh_loop_run_once(loop), 0);
	ck_assert_int_eq(memcmp(order, "abdc", 4), 0);
}
END_TEST

START_TEST(a_cancelled_timer_never_fires)
{
	static const char a = 'a', b = 'b';
	struct mg_timer *t;

	ck_assert_int_eq(mgh_timer_start(loop, NULL, 0, mark, (void *)&a, &t), 0);
	ck_assert_int_eq(mgh_timer_start(loop, NULL, 1000, mark, (void *)&b, NULL), 0);
	mgh_timer_cancel(t);
	while (norder < 1)
		ck_assert_int_eq(mgh_loop_run_once(loop), 0);
	ck_assert_int_eq(order[0], 'b');
	ck_assert_uint_eq(mgh_loop_pending(loop), 0);
}
END_TEST

/* A callback that re-arms at once does not starve the others. */
static void rearm(void *arg)
{
	int *left = arg;

	if (--*left > 0)
		mgh_timer_start(loop, NULL, 0, rearm, arg, NULL);
}

START_TEST(a_timer_started_by_a_callback_waits_a_round)
{
	static const char x = 'x';
	int left = 3;

	mgh_timer_start(loop, NULL, 0, rearm, &left, NULL);
	mgh_timer_start(loop, NULL, 0, mark, (void *)&x, NULL);
	ck_assert_int_eq(mgh_loop_run_once(loop), 0);
	ck_assert_int_eq(left, 2);
	ck_assert_uint_eq(norder, 1);
}
END_TEST

struct pipe_watch {
	int fds[2];
	struct mg_watch *w;
	int calls;
};

static struct pipe_watch pw[2];
static const char owner_b = 'B';

/* The first ready watch drops every watch of B's owner: B's event, in the
 * same batch, must not reach freed memory (ASan checks this). */
static void first(void *arg, unsigned events)
{
	struct pipe_watch *p = arg;
	char c;

	(void)events;
	p->calls++;
	ck_assert_int_eq(read(p->fds[0], &c, 1), 1);
	ck_assert_uint_eq(mgh_loop_drop_owner(loop, &owner_b), 1);
}

static void second(void *arg, unsigned events)
{
	struct pipe_watch *p = arg;

	(void)events;
	p->calls++;
}

START_TEST(watches_dropped_during_a_round_are_not_called)
{
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pipe(pw[i].fds), 0);
		pw[i].calls = 0;
		ck_assert_int_eq(write(pw[i].fds[1], "x", 1), 1);
	}
	ck_assert_int_eq(mgh_fd_watch(loop, "A", pw[0].fds[0], MG_EV_READ, first, &pw[0], &pw[0].w), 0);
	ck_assert_int_eq(mgh_fd_watch(loop, &owner_b, pw[1].fds[0], MG_EV_READ, second, &pw[1],
				      &pw[1].w), 0);
	ck_assert_int_eq(mgh_loop_run_once(loop), 0);
	/* epoll may report B first; then A drops nothing it has not run */
	ck_assert_int_eq(pw[0].calls, 1);
	ck_assert_int_le(pw[1].calls, 1);
	for (int i = 0; i < 2; i++) {
		close(pw[i].fds[0]);
		close(pw[i].fds[1]);
	}
}
END_TEST

/* host->turn: every callback has a turn of its own (two fds ready in one
 * round, and a timer), and it stays the same within a callback. */
static uint64_t turns[3];
static size_t nturns;

static void note_turn(void *arg, unsigned events)
{
	uint64_t t = mgh_loop_turns;

	(void)arg, (void)events;
	ck_assert_uint_eq(mgh_loop_turns, t);
	turns[nturns++] = t;
}

static void note_timer_turn(void *arg)
{
	note_turn(arg, 0);
}

START_TEST(each_callback_has_its_own_turn)
{
	nturns = 0;
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pipe(pw[i].fds), 0);
		ck_assert_int_eq(write(pw[i].fds[1], "x", 1), 1);
		ck_assert_int_eq(mgh_fd_watch(loop, NULL, pw[i].fds[0], MG_EV_READ, note_turn, NULL,
					      &pw[i].w), 0);
	}
	ck_assert_int_eq(mgh_timer_start(loop, NULL, 0, note_timer_turn, NULL, NULL), 0);
	ck_assert_int_eq(mgh_loop_run_once(loop), 0);
	ck_assert_uint_eq(nturns, 3);
	ck_assert(turns[0] != turns[1] && turns[1] != turns[2] && turns[0] != turns[2]);
	for (int i = 0; i < 2; i++) {
		mgh_fd_unwatch(pw[i].w);
		close(pw[i].fds[0]);
		close(pw[i].fds[1]);
	}
}
END_TEST

/* Unwatching unlinks in place, wherever the watch is in the loop's list:
 * the middle one, then the oldest; the one left still fires and is still
 * found by its owner. */
START_TEST(unwatching_any_watch_keeps_the_others)
{
	struct pipe_watch p[3];
	static const char owners[3] = { 'a', 'b', 'c' };

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(pipe(p[i].fds), 0);
		p[i].calls = 0;
		ck_assert_int_eq(mgh_fd_watch(loop, &owners[i], p[i].fds[0], MG_EV_READ, second, &p[i],
					      &p[i].w), 0);
	}
	mgh_fd_unwatch(p[1].w);
	mgh_fd_unwatch(p[0].w);
	ck_assert_uint_eq(mgh_loop_pending(loop), 1);
	ck_assert_int_eq(write(p[2].fds[1], "x", 1), 1);
	ck_assert_int_eq(mgh_loop_run_once(loop), 0);
	ck_assert_int_eq(p[2].calls, 1);
	ck_assert_uint_eq(mgh_loop_drop_owner(loop, &owners[2]), 1);
	ck_assert_uint_eq(mgh_loop_drop_owner(loop, &owners[0]), 0);
	ck_assert_uint_eq(mgh_loop_pending(loop), 0);
	for (int i = 0; i < 3; i++) {
		close(p[i].fds[0]);
		close(p[i].fds[1]);
	}
}
END_TEST

static Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("unix");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, timers_fire_by_deadline_then_start_order);
	tcase_add_test(tc, a_cancelled_timer_never_fires);
	tcase_add_test(tc, a_timer_started_by_a_callback_waits_a_round);
	tcase_add_test(tc, watches_dropped_during_a_round_are_not_called);
	tcase_add_test(tc, each_callback_has_its_own_turn);
	tcase_add_test(tc, unwatching_any_watch_keeps_the_others);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(loop_suite());
}
