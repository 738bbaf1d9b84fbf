/* resolve.h - config + plugin catalog -> checked wiring plan.  No I/O: the
 * catalog is given as callbacks, so mirage-host, mirage-freeze and the tests
 * share every check and the connect order. */
#ifndef MIRAGE_RESOLVE_H
#define MIRAGE_RESOLVE_H

#include "config.h"
#include "plan.h"

/* Where descriptors come from (plugin files for the tools, static tables in
 * tests). */
struct mgr_catalog {
	/* Finds implementation `name`: 0 with *out set, -ENOENT when no
	 * plugin has that name, another negative errno with the reason in
	 * err when one was found but cannot be used. */
	int (*find)(struct mgr_catalog *cat, const char *name,
		    const struct mg_plugin **out, char *err, size_t cap);
	/* Calls cb with every implementation name it could find. */
	void (*each_name)(struct mgr_catalog *cat,
			  void (*cb)(void *arg, const char *name), void *arg);
	/* Where a descriptor came from ("/path/x.so"), for messages; may be
	 * NULL, and may return NULL. */
	const char *(*origin)(struct mgr_catalog *cat, const struct mg_plugin *p);
};

/* What the plan does not need but people do: where each device came from. */
struct mgr_devinfo {
	int line;       /* the device's line in the config; 0 if implicit */
	int implicit;   /* created for a slot default */
	char **param_text; /* each parameter's value as text */
};

struct mgr_resolved {
	struct mg_plan plan;
	struct mgr_devinfo *info; /* parallel to plan.devices */
	const char *file;         /* the config's path, for messages */
};

/* Resolves cfg for `target` (MG_TARGET_UNIX or MG_TARGET_XEN).  0, or
 * -EINVAL after adding every problem to diag; out is then empty. */
int mgr_resolve(const struct mgr_config *cfg, struct mgr_catalog *cat,
		uint32_t target, struct mgr_resolved *out, struct mgr_lines *diag);
void mgr_resolved_free(struct mgr_resolved *r);

/* True when device k is the first in the plan with its plugin. */
int mgr_plan_first_use(const struct mg_plan *plan, unsigned k);

/* Index of the plan device called name, or -1. */
int mgr_plan_find(const struct mg_plan *plan, const char *name);

#endif
