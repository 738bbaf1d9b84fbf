/* plan.h - a checked wiring plan as plain data: what the runtime connects
 * and starts.  The resolver builds one from a config; mirage-freeze emits
 * one as static C, so nothing here may point at resolver state. */
#ifndef MIRAGE_PLAN_H
#define MIRAGE_PLAN_H

#include <mirage/plugin.h>

#define MG_PLAN_NONE (-1) /* an empty optional slot */

struct mg_plan_device {
	const char *name;
	const struct mg_plugin *plugin;
	const union mg_value *params; /* plugin->nparams values */
	const int *deps;              /* plugin->nslots device indexes */
};

struct mg_plan {
	const char *name;
	const struct mg_plan_device *devices; /* in connect order */
	unsigned ndevices;
	const unsigned *jobs;                 /* device indexes, config order */
	unsigned njobs;
	unsigned workers;                     /* processes serving it (Unix; 0: 1) */
};

#endif
