/* clock.unix - monotonic and wall-clock time from clock_gettime. */
#include <time.h>

#include "mirage/clock.h"
#include "mirage/host.h"

struct uclock {
	struct mg_clock clock;
	const struct mg_env *env;
};

static int64_t read_ns(clockid_t id)
{
	struct timespec ts;

	/* Cannot fail for these clocks on Linux. */
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t uclock_monotonic_ns(struct mg_clock *c)
{
	(void)c;
	return (uint64_t)read_ns(CLOCK_MONOTONIC);
}

static int64_t uclock_wall_ns(struct mg_clock *c)
{
	(void)c;
	return read_ns(CLOCK_REALTIME);
}

static const struct mg_clock_ops uclock_ops = {
	.hdr = MG_OPS_HDR(struct mg_clock_ops, 1, 0),
	.monotonic_ns = uclock_monotonic_ns,
	.wall_ns = uclock_wall_ns,
};

static int uclock_connect(const struct mg_env *env, struct mg_device **out)
{
	struct uclock *u = mg_zalloc(env, sizeof *u);

	if (!u)
		return -ENOMEM;
	u->clock.ops = &uclock_ops;
	u->env = env;
	*out = MG_DEVICE(&u->clock);
	return 0;
}

static void uclock_disconnect(struct mg_device *dev)
{
	struct uclock *u = mg_container_of(dev, struct uclock, clock);

	mg_free(u->env, u);
}

MG_PLUGIN(.name = "clock.unix", .version = "1.0",
	  .summary = "clock_gettime: CLOCK_MONOTONIC and CLOCK_REALTIME",
	  .provides = MG_TYPE(CLOCK, 0), .targets = MG_TARGET_UNIX,
	  .connect = uclock_connect, .disconnect = uclock_disconnect);
