/* unix.c - the platform under mirage-host and frozen Unix programs: log
 * lines to stderr, SIGINT and SIGTERM as stop requests, crashes caught
 * around a plugin's connect during a swap. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "runtime/platform.h"

void mgh_plat_log(const char *line)
{
	fprintf(stderr, "%s\n", line);
}

struct mgh_stop_watch {
	int fd;
	sigset_t old;
	struct mg_watch *watch;
	void (*cb)(void *arg, const char *why);
	void *arg;
};

static void on_signal(void *arg, unsigned events)
{
	struct mgh_stop_watch *w = arg;
	struct signalfd_siginfo si;

	(void)events;
	if (read(w->fd, &si, sizeof si) == sizeof si)
		w->cb(w->arg, strsignal((int)si.ssi_signo));
}

/* The signals arrive as loop events, so a stop never interrupts a callback
 * half-way. */
int mgh_plat_watch_stop(struct mgh_loop *l, void (*cb)(void *arg, const char *why), void *arg,
			struct mgh_stop_watch **out)
{
	struct mgh_stop_watch *w = calloc(1, sizeof *w);
	sigset_t set;
	int rc;

	if (!w)
		return -ENOMEM;
	/* a peer that goes away must cost a write EPIPE, not the process */
	signal(SIGPIPE, SIG_IGN);
	w->cb = cb;
	w->arg = arg;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &w->old);
	w->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	rc = w->fd < 0 ? -errno : mgh_fd_watch(l, NULL, w->fd, MG_EV_READ, on_signal, w, &w->watch);
	if (rc < 0) {
		if (w->fd >= 0)
			close(w->fd);
		sigprocmask(SIG_SETMASK, &w->old, NULL);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void mgh_plat_unwatch_stop(struct mgh_stop_watch *w)
{
	if (!w)
		return;
	mgh_fd_unwatch(w->watch);
	close(w->fd);
	sigprocmask(SIG_SETMASK, &w->old, NULL);
	free(w);
}

/* The guard in force; guards do not nest (connects do not call connects). */
static sigjmp_buf *guard_jump;
static volatile sig_atomic_t guard_signal;

static void on_crash(int sig)
{
	guard_signal = sig;
	siglongjmp(*guard_jump, 1);
}

int mgh_plat_guard(int (*fn)(void *arg), void *arg, const char **crash)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	static char altstack[64 * 1024]; /* a stack overflow must still be caught */
	struct sigaction sa = { .sa_handler = on_crash, .sa_flags = SA_ONSTACK | SA_NODEFER };
	struct sigaction old[MG_COUNTOF(sigs)];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack }, old_ss;
	sigjmp_buf jump;
	volatile int rc = -EFAULT;

	*crash = NULL;
	sigaltstack(&ss, &old_ss);
	for (size_t i = 0; i < MG_COUNTOF(sigs); i++)
		sigaction(sigs[i], &sa, &old[i]);
	guard_jump = &jump;
	if (sigsetjmp(jump, 1) == 0)
		rc = fn(arg);
	else
		*crash = strsignal(guard_signal);
	guard_jump = NULL;
	for (size_t i = 0; i < MG_COUNTOF(sigs); i++)
		sigaction(sigs[i], &old[i], NULL);
	sigaltstack(&old_ss, NULL);
	return rc;
}
