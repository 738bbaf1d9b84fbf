/* frozen_main.c - main of a frozen Unix program: the plan is static data
 * from the generated wiring file, jobs are started by direct calls; its
 * arguments may set parameters (runtime/boot.h). */
#include <stdio.h>

#include "runtime/boot.h"
#include "runtime/frozen.h"

static void say(int error, const char *line)
{
	fprintf(error ? stderr : stdout, "%s\n", line);
}

int main(int argc, char **argv)
{
	struct mgh_opts opts = { .level = mg_frozen_log_level, .start = mg_frozen_start,
				 .target = "unix", .prog = mg_frozen_plan.name };
	switch (mgh_boot_args(&mg_frozen_plan, argv[0], argc - 1, argv + 1, say, &opts.level)) {
	case MGH_BOOT_HELP:
		return 0;
	case MGH_BOOT_ERROR:
		return 2;
	case MGH_BOOT_RUN:
		break;
	}
	return mgh_run(&mg_frozen_plan, &opts);
}
