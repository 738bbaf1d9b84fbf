/* hello - prints a message `count` times, `interval_ms` apart, then is done.
 * The seed's first unikernel: a console and a timer, nothing else. */
#include "mirage/console.h"
#include "mirage/job.h"
#include "mirage/time.h"

struct hello {
	struct mg_job job;
	struct mg_console *console;
	struct mg_time *time;
	struct mg_time_timer *timer; /* the pending line, NULL when none */
	int64_t sent;
};

static const struct mg_job_ops hello_ops = {
	.hdr = MG_OPS_HDR(struct mg_job_ops, 1, 0),
};

static void hello_tick(void *arg);

/* Writes the next line, then waits for the one after or finishes. */
static int hello_next(struct hello *h)
{
	const union mg_value *p = h->job.env->params;

	h->sent++;
	if (mg_console_printf(h->console, "%s (%lld/%lld)\n", p[2].s,
			      (long long)h->sent, (long long)p[0].i) < 0)
		return -EIO;
	if (h->sent == p[0].i) {
		mg_job_done(&h->job, 0);
		return 0;
	}
	return h->time->ops->after(h->time, (uint64_t)p[1].i * 1000000, hello_tick,
				   h, &h->timer);
}

static void hello_tick(void *arg)
{
	struct hello *h = arg;
	int rc;

	h->timer = NULL;
	rc = hello_next(h);
	if (rc < 0) {
		mg_log(h->job.env, MG_LOG_ERROR, "cannot go on after line %lld: error %d",
		       (long long)h->sent, rc);
		mg_job_done(&h->job, rc);
	}
}

static int hello_start(struct mg_job *self, struct mg_console *c, struct mg_time *t)
{
	struct hello *h = mg_container_of(self, struct hello, job);

	h->console = c;
	h->time = t;
	if (self->env->params[0].i == 0) {
		mg_job_done(self, 0);
		return 0;
	}
	return hello_next(h);
}

static int hello_connect(const struct mg_env *env, struct mg_device **out)
{
	struct hello *h = mg_zalloc(env, sizeof *h);

	if (!h)
		return -ENOMEM;
	h->job.ops = &hello_ops;
	h->job.env = env;
	*out = MG_DEVICE(&h->job);
	return 0;
}

static void hello_disconnect(struct mg_device *dev)
{
	struct hello *h = mg_container_of(dev, struct hello, job);

	if (h->timer)
		h->time->ops->cancel(h->time, h->timer);
	mg_free(h->job.env, h);
}

static const struct mg_slot hello_slots[] = {
	{ .name = "console", .type = MG_TYPE(CONSOLE, 0), .doc = "where the lines go" },
	{ .name = "time", .type = MG_TYPE(TIME, 0), .doc = "waits between lines" },
};

static const struct mg_param hello_params[] = {
	{ .name = "count", .type = MG_PARAM_INT, .def = "3", .min = 0, .max = 1000000,
	  .doc = "lines to print" },
	{ .name = "interval_ms", .type = MG_PARAM_INT, .def = "1000", .min = 0,
	  .max = 3600000, .doc = "pause between lines" },
	{ .name = "message", .type = MG_PARAM_STRING, .def = "Hello, World!",
	  .doc = "text of each line" },
};

MG_PLUGIN(.name = "hello", .version = "1.0",
	  .summary = "prints a message a few times on a timer",
	  .provides = MG_TYPE(JOB, 0), .targets = MG_TARGET_ANY,
	  .slots = hello_slots, .nslots = MG_COUNTOF(hello_slots),
	  .params = hello_params, .nparams = MG_COUNTOF(hello_params),
	  .connect = hello_connect, .disconnect = hello_disconnect,
	  .start = (mg_start_fn)hello_start);
