/* hello_plan.c - a hand-written wiring file for the Xen image, what
 * mirage-freeze --target xen would emit for configs/hello.cfg: console.xen
 * (the PV console on Xen, the serial port elsewhere), time.xen, and hello
 * with count = 3, interval_ms = 100.  Each descriptor is reached under the
 * name mirage-freeze gives it (mirage_plugin -> mg_plugin_<name, '.' as '_'>). */
#include "mirage/console.h"
#include "mirage/job.h"
#include "mirage/time.h"

#include "image.h"

extern const struct mg_plugin mg_plugin_console_xen, mg_plugin_time_xen, mg_plugin_hello;

static const union mg_value console_params[] = { { .s = "info" } };
static const union mg_value hello_params[] = { { .i = 3 }, { .i = 100 },
					       { .s = "Hello, World!" } };
static const int hello_deps[] = { 0, 1 }; /* console, time */

static const struct mg_plan_device devices[] = {
	{ "console", &mg_plugin_console_xen, console_params, NULL },
	{ "time", &mg_plugin_time_xen, NULL, NULL },
	{ "main", &mg_plugin_hello, hello_params, hello_deps },
};
static const unsigned jobs[] = { 2 };

const struct mg_plan mg_frozen_plan = {
	.name = "hello", .devices = devices, .ndevices = MG_COUNTOF(devices),
	.jobs = jobs, .njobs = MG_COUNTOF(jobs),
};

/* Debug: the platform then prints its boot-time line. */
const int mg_frozen_log_level = MG_LOG_DEBUG;

typedef int (*hello_start_fn)(struct mg_job *, struct mg_console *, struct mg_time *);

int mg_frozen_start(const struct mg_plan_device *dev, struct mg_device *self,
		    struct mg_device *const *deps)
{
	if (dev->plugin == &mg_plugin_hello)
		return ((hello_start_fn)dev->plugin->start)(
			(struct mg_job *)self, (struct mg_console *)deps[0],
			(struct mg_time *)deps[1]);
	return -ENOSYS;
}
