/* frozen_main.c - main of a frozen Unix program: the plan is static data
 * from the generated wiring file, jobs are started by direct calls; its
 * arguments may set parameters (runtime/boot.h), workers=N among them. */
#include <signal.h>
#include <stdio.h>

#include "runtime/boot.h"
#include "runtime/frozen.h"
#include "runtime/lastwords.h"
#include "workers.h"

/* A fault: the devices' last words (a console's buffered lines), then on
 * as if unhandled (SA_RESETHAND): the default action when the instruction
 * runs again, or abort's own second raise. */
static void on_fault(int sig)
{
	(void)sig;
	mgh_last_words();
}

static void catch_faults(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	static char altstack[64 * 1024]; /* a stack overflow too */
	struct sigaction sa = { .sa_handler = on_fault, .sa_flags = SA_ONSTACK | SA_RESETHAND };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };

	sigaltstack(&ss, NULL);
	for (size_t i = 0; i < MG_COUNTOF(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void say(int error, const char *line)
{
	fprintf(error ? stderr : stdout, "%s\n", line);
}

static int run(void *arg, unsigned i)
{
	(void)i;
	catch_faults();
	return mgh_run(&mg_frozen_plan, arg);
}

int main(int argc, char **argv)
{
	struct mgh_opts opts = { .level = mg_frozen_log_level, .start = mg_frozen_start,
				 .target = "unix", .prog = mg_frozen_plan.name };
	struct mgh_workers *w;

	switch (mgh_boot_args(&mg_frozen_plan, argv[0], argc - 1, argv + 1, say, &opts)) {
	case MGH_BOOT_HELP:
		return 0;
	case MGH_BOOT_ERROR:
		return 2;
	case MGH_BOOT_RUN:
		break;
	}
	if (opts.workers <= 1)
		return run(&opts, 0);
	w = mgh_workers_start(opts.workers, opts.prog, run, &opts);
	return w ? mgh_workers_wait(w, -1, NULL, NULL) : 1;
}
