/* frozen_main.c - main of a frozen Unix program: the plan is static data
 * from the generated wiring file, jobs are started by direct calls. */
#include <stdio.h>
#include <string.h>

#include "runtime/frozen.h"

int main(int argc, char **argv)
{
	struct mgh_opts opts = { .level = mg_frozen_log_level, .start = mg_frozen_start,
				 .target = "unix", .prog = mg_frozen_plan.name };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v") && opts.level < MG_LOG_DEBUG) {
			opts.level++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: %s [-v]...\nThe app \"%s\", wired at build time by mirage-freeze; -v logs more.\n",
			       argv[0], mg_frozen_plan.name);
			return 0;
		} else {
			fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", argv[0], argv[i]);
			return 2;
		}
	}
	return mgh_run(&mg_frozen_plan, &opts);
}
