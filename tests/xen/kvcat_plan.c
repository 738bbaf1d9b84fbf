/* kvcat_plan.c - a hand-written wiring file for the Xen image: kvcat prints
 * every value of a kv_ro store on console.xen.  The store is the plugin
 * whose pre-linked descriptor KV_DESCRIPTOR names (-D at compile time):
 * mg_plugin_kvro_crunch (files compiled in) or mg_plugin_xen_xenstore (the domain's
 * xenstore keys, on Xen only). */
#include "mirage/console.h"
#include "mirage/job.h"
#include "mirage/kv_ro.h"

#include "image.h"

#ifndef KV_DESCRIPTOR
#error "compile with -DKV_DESCRIPTOR=mg_plugin_<kv_ro plugin>"
#endif

extern const struct mg_plugin mg_plugin_console_xen, KV_DESCRIPTOR, mg_plugin_kvcat;

static const union mg_value console_params[] = { { .s = "info" } };
static const int kvcat_deps[] = { 0, 1 }; /* console, fs */

static const struct mg_plan_device devices[] = {
	{ "console", &mg_plugin_console_xen, console_params, NULL },
	{ "fs", &KV_DESCRIPTOR, NULL, NULL },
	{ "main", &mg_plugin_kvcat, NULL, kvcat_deps },
};
static const unsigned jobs[] = { 2 };

const struct mg_plan mg_frozen_plan = {
	.name = "kvcat", .devices = devices, .ndevices = MG_COUNTOF(devices),
	.jobs = jobs, .njobs = MG_COUNTOF(jobs),
};

typedef int (*kvcat_start_fn)(struct mg_job *, struct mg_console *, struct mg_kv_ro *);

int mg_frozen_start(const struct mg_plan_device *dev, struct mg_device *self,
		    struct mg_device *const *deps)
{
	if (dev->plugin == &mg_plugin_kvcat)
		return ((kvcat_start_fn)dev->plugin->start)(
			(struct mg_job *)self, (struct mg_console *)deps[0],
			(struct mg_kv_ro *)deps[1]);
	return -ENOSYS;
}
