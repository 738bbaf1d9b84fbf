/* workers.c - forks the workers and supervises them: signals and ends
 * arrive through a signalfd, so nothing runs in a signal handler. */
#define _GNU_SOURCE /* strsignal */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workers.h"

struct mgh_workers {
	const char *prog;
	sigset_t old;    /* the mask before start */
	unsigned n, alive;
	int stopping;    /* the workers were told to stop */
	int status;
	pid_t pids[];    /* 0 once ended */
};

/* In the worker: SIGCHLD as it was; SIGTERM and SIGINT stay blocked, so
 * that one sent before its loop watches for them waits for it (the runtime
 * reads them from a signalfd) instead of killing it.  The end of the
 * supervisor ends it too. */
static void become_worker(struct mgh_workers *w, pid_t parent)
{
	sigset_t set = w->old;

	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_SETMASK, &set, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(1);
}

static void tell_all(struct mgh_workers *w, int sig)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->pids[i])
			kill(w->pids[i], sig);
}

struct mgh_workers *mgh_workers_start(unsigned n, const char *prog,
				      int (*run)(void *arg, unsigned i), void *arg)
{
	struct mgh_workers *w = calloc(1, sizeof *w + n * sizeof w->pids[0]);
	pid_t parent = getpid();
	sigset_t set;

	if (!w) {
		fprintf(stderr, "%s: workers: out of memory\n", prog);
		return NULL;
	}
	w->prog = prog;
	w->n = n;
	/* blocked before the first fork: no end or stop request is missed */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &w->old);
	fflush(NULL);
	for (unsigned i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			become_worker(w, parent);
			exit(run(arg, i + 1));
		}
		if (pid < 0) {
			fprintf(stderr, "%s: workers: cannot start worker %u of %u: %s\n", prog, i + 1,
				n, strerror(errno));
			tell_all(w, SIGTERM);
			while (w->alive-- > 0)
				wait(NULL);
			sigprocmask(SIG_SETMASK, &w->old, NULL);
			free(w);
			return NULL;
		}
		w->pids[i] = pid;
		w->alive++;
	}
	return w;
}

/* Worker i has ended with wait status st. */
static void ended(struct mgh_workers *w, unsigned i, int st)
{
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);

	if (status && !w->status) {
		if (WIFEXITED(st))
			fprintf(stderr, "%s: worker %u (pid %ld) exited with status %d%s\n", w->prog,
				i + 1, (long)w->pids[i], status,
				w->stopping ? "" : "; stopping the other workers");
		else
			fprintf(stderr, "%s: worker %u (pid %ld) was killed by signal %d (%s)%s\n",
				w->prog, i + 1, (long)w->pids[i], WTERMSIG(st), strsignal(WTERMSIG(st)),
				w->stopping ? "" : "; stopping the other workers");
		w->status = status;
	}
	w->pids[i] = 0;
	w->alive--;
	if (status && !w->stopping) {
		w->stopping = 1;
		tell_all(w, SIGTERM);
	}
}

/* The workers that have ended (flags 0: waits for every one). */
static void reap(struct mgh_workers *w, int flags)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, flags)) > 0)
		for (unsigned i = 0; i < w->n; i++)
			if (w->pids[i] == pid)
				ended(w, i, st);
}

int mgh_workers_wait(struct mgh_workers *w, int side, void (*on_side)(void *arg), void *side_arg)
{
	sigset_t set;
	int sfd, status;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) { /* no way to hear them: stop them rather than orphan them */
		fprintf(stderr, "%s: workers: signalfd: %s; stopping them\n", w->prog, strerror(errno));
		w->stopping = 1;
		tell_all(w, SIGTERM);
		reap(w, 0);
	}
	reap(w, WNOHANG);
	while (w->alive > 0) {
		struct pollfd fds[2] = { { .fd = sfd, .events = POLLIN }, { .fd = side, .events = POLLIN } };
		struct signalfd_siginfo si;

		if (poll(fds, side >= 0 ? 2 : 1, -1) < 0)
			continue;
		if ((fds[1].revents & POLLIN) && on_side)
			on_side(side_arg);
		if (!(fds[0].revents & POLLIN) || read(sfd, &si, sizeof si) != sizeof si)
			continue;
		if (si.ssi_signo == SIGCHLD) {
			reap(w, WNOHANG);
		} else {
			w->stopping = 1;
			tell_all(w, (int)si.ssi_signo);
		}
	}
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &w->old, NULL);
	status = w->status;
	free(w);
	return status;
}

unsigned mgh_workers_count(const struct mgh_workers *w)
{
	return w->n;
}

long mgh_workers_pid(const struct mgh_workers *w, unsigned i)
{
	return i >= 1 && i <= w->n ? (long)w->pids[i - 1] : 0;
}
