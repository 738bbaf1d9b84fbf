/* time.loop - timers on the host's event loop.  Only host services are
 * used, so this one portable plugin serves every target. */
#include "mirage/host.h"
#include "mirage/time.h"

struct htime {
	struct mg_time time;
	const struct mg_env *env;
};

static int htime_after(struct mg_time *t, uint64_t delay_ns, void (*cb)(void *arg),
		       void *arg, struct mg_time_timer **out)
{
	struct htime *h = mg_container_of(t, struct htime, time);
	struct mg_timer *timer;
	int rc;

	rc = h->env->host->timer_start(h->env, delay_ns, cb, arg, out ? &timer : NULL);
	/* The host's handle is ours: the time type's handle is opaque. */
	if (rc == 0 && out)
		*out = (struct mg_time_timer *)timer;
	return rc;
}

static void htime_cancel(struct mg_time *t, struct mg_time_timer *timer)
{
	struct htime *h = mg_container_of(t, struct htime, time);

	h->env->host->timer_cancel((struct mg_timer *)timer);
}

static const struct mg_time_ops htime_ops = {
	.hdr = MG_OPS_HDR(struct mg_time_ops, 1, 0),
	.after = htime_after,
	.cancel = htime_cancel,
};

static int htime_connect(const struct mg_env *env, struct mg_device **out)
{
	struct htime *h = mg_zalloc(env, sizeof *h);

	if (!h)
		return -ENOMEM;
	h->time.ops = &htime_ops;
	h->env = env;
	*out = MG_DEVICE(&h->time);
	return 0;
}

static void htime_disconnect(struct mg_device *dev)
{
	struct htime *h = mg_container_of(dev, struct htime, time);

	mg_free(h->env, h);
}

MG_PLUGIN(.name = "time.loop", .version = "1.0",
	  .summary = "timers on the host event loop",
	  .provides = MG_TYPE(TIME, 0), .targets = MG_TARGET_ANY,
	  .connect = htime_connect, .disconnect = htime_disconnect);
