/* clock.xen - monotonic and wall-clock time from the Xen platform: the PV
 * clock in shared info (system time, and Xen's wall clock base) on Xen; the
 * TSC and the CMOS clock on a PVH loader without Xen. */
#include "mirage/clock.h"
#include "mirage/host.h"
#include "mgx.h"

struct xclock {
	struct mg_clock clock;
	const struct mg_env *env;
};

static uint64_t xclock_monotonic_ns(struct mg_clock *c)
{
	(void)c;
	return mgx_monotonic_ns();
}

static int64_t xclock_wall_ns(struct mg_clock *c)
{
	(void)c;
	return mgx_wall_ns();
}

static const struct mg_clock_ops xclock_ops = {
	.hdr = MG_OPS_HDR(struct mg_clock_ops, 1, 0),
	.monotonic_ns = xclock_monotonic_ns,
	.wall_ns = xclock_wall_ns,
};

static int xclock_connect(const struct mg_env *env, struct mg_device **out)
{
	struct xclock *x = mg_zalloc(env, sizeof *x);

	if (!x)
		return -ENOMEM;
	x->clock.ops = &xclock_ops;
	x->env = env;
	*out = MG_DEVICE(&x->clock);
	return 0;
}

static void xclock_disconnect(struct mg_device *dev)
{
	struct xclock *x = mg_container_of(dev, struct xclock, clock);

	mg_free(x->env, x);
}

MG_PLUGIN(.name = "clock.xen", .version = "1.0",
	  .summary = "Xen PV clock: system time and wall clock from shared info",
	  .provides = MG_TYPE(CLOCK, 0), .targets = MG_TARGET_XEN,
	  .connect = xclock_connect, .disconnect = xclock_disconnect);
