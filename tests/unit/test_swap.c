/* test_swap.c - the hot-swap engine (decide, stage, commit) through
 * mgh_rt_start and mgh_rt_apply, over fake descriptors and hand-built
 * plans, with the real runtime on the Unix platform.  Every fake instance
 * records what was called on it, numbered in one sequence so that order
 * can be asserted. */
#include <string.h>

#include <mirage/job.h>

#include "checkrun.h"
#include "runtime/loop.h"
#include "runtime/runtime.h"

/* One connected instance; kept after disconnect so a case can look at it. */
struct fake {
	struct mg_job h; /* first: the handle of every fake, job or not */
	const struct mg_env *env; /* valid until disconnect */
	const char *name;         /* the plan's: outlives the device */
	unsigned disconnected, exported, imported, retired_hook, retired_call, dep_replaced, started;
	unsigned seq_disconnect, seq_retire, seq_retired; /* when, in event order */
	const struct fake *adopted; /* whose handover it imported */
	struct mg_device *new_dep;  /* what dep_replaced passed */
};

static struct fake fakes[64];
static unsigned nfakes, seq, connect_failures;

static const struct mg_job_ops fake_ops = { .hdr = MG_OPS_HDR(struct mg_job_ops, 1, 0) };

static struct fake *of(struct mg_device *dev)
{
	return mg_container_of((struct mg_job *)(void *)dev, struct fake, h);
}

static int fake_connect(const struct mg_env *env, struct mg_device **out)
{
	struct fake *f;

	ck_assert_uint_lt(nfakes, MG_COUNTOF(fakes));
	f = &fakes[nfakes++];
	*f = (struct fake){ .h = { &fake_ops, env }, .env = env, .name = env->name };
	*out = MG_DEVICE(&f->h);
	return 0;
}

/* A connect that takes time: the case calls host->connected itself. */
static int slow_connect(const struct mg_env *env, struct mg_device **out)
{
	fake_connect(env, out);
	return -EINPROGRESS;
}

static int fail_connect(const struct mg_env *env, struct mg_device **out)
{
	(void)env;
	(void)out;
	connect_failures++;
	return -EIO;
}

static void fake_disconnect(struct mg_device *dev)
{
	of(dev)->disconnected++;
	of(dev)->seq_disconnect = ++seq;
}

static int fake_export(struct mg_device *self, struct mg_handover *out)
{
	of(self)->exported++;
	out->n = 1;
	out->items[0].tag = "fake.instance";
	out->items[0].ptr = of(self);
	return 0;
}

static void fake_import(struct mg_device *self, const struct mg_handover *h)
{
	of(self)->imported++;
	ck_assert_uint_eq(h->n, 1);
	ck_assert_str_eq(h->items[0].tag, "fake.instance");
	of(self)->adopted = h->items[0].ptr;
}

static void fake_dep_replaced(struct mg_device *self, uint32_t slot, struct mg_device *dep)
{
	ck_assert_uint_eq(slot, 0);
	of(self)->dep_replaced++;
	of(self)->new_dep = dep;
}

/* Param "answer": when a retiring fake says it is done. */
enum { NEVER, LATER, AT_ONCE };

static void say_retired(struct fake *f)
{
	f->retired_call++;
	f->seq_retired = ++seq;
	f->env->host->retired(f->env);
}

static void finish_work(void *arg)
{
	say_retired(arg);
}

static void fake_retire(struct mg_device *self)
{
	struct fake *f = of(self);

	f->retired_hook++;
	f->seq_retire = ++seq;
	if (f->env->params[1].i == AT_ONCE)
		say_retired(f);
	else if (f->env->params[1].i == LATER)
		ck_assert_int_eq(f->env->host->timer_start(f->env, 0, finish_work, f, NULL), 0);
}

static int fake_start(struct mg_job *self, struct mg_device *dep)
{
	ck_assert_ptr_nonnull(dep);
	of(MG_DEVICE(self))->started++;
	return 0;
}

static int fail_start(struct mg_job *self, struct mg_device *dep)
{
	(void)self;
	(void)dep;
	return -EIO;
}

/* The runtime's start hook, for the one arity the fake jobs have. */
static int start_job(const struct mg_plan_device *pd, struct mg_device *self,
		     struct mg_device *const *deps)
{
	ck_assert_uint_eq(pd->plugin->nslots, 1);
	return ((int (*)(struct mg_job *, struct mg_device *))pd->plugin->start)((struct mg_job *)self,
										 deps[0]);
}

/* Every fake has an int "v", changed to force a new instance. */
static const struct mg_param v_param[] = { { .name = "v", .type = MG_PARAM_INT, .def = "1" } };
static const struct mg_param retiring_params[] = {
	{ .name = "v", .type = MG_PARAM_INT, .def = "1" },
	{ .name = "answer", .type = MG_PARAM_INT, .def = "1" },
};
#define FAKE(var, connect_fn, params_, ...)                                  \
	static const struct mg_plugin var = { .magic = MG_PLUGIN_MAGIC,      \
					      .abi_major = MG_ABI_MAJOR,     \
					      .abi_minor = MG_ABI_MINOR,     \
					      .size = sizeof(struct mg_plugin), \
					      .signature = MG_SIGNATURE,     \
					      .targets = MG_TARGET_ANY,      \
					      .params = params_,             \
					      .nparams = MG_COUNTOF(params_), \
					      .connect = connect_fn,         \
					      .disconnect = fake_disconnect, __VA_ARGS__ }

static const struct mg_slot dep_slot[] = { { .name = "dep", .type = { "thing", 1, 0 } } };
#define THING .provides = { "thing", 1, 0 }
#define JOB .provides = { "job", 1, 0 }
#define ON_DEP .slots = dep_slot, .nslots = 1

FAKE(leaf, fake_connect, v_param, .name = "thing.leaf", THING);
/* goes on when its dependency is replaced */
FAKE(mid, fake_connect, v_param, .name = "thing.mid", THING, ON_DEP,
     .dep_replaced = fake_dep_replaced);
/* re-connected when its dependency is replaced; hands its state over */
FAKE(handing, fake_connect, v_param, .name = "thing.handing", THING, ON_DEP,
     .handover_export = fake_export, .handover_import = fake_import);
FAKE(broken, fail_connect, v_param, .name = "thing.broken", THING);
FAKE(slow, slow_connect, v_param, .name = "thing.slow", THING);
FAKE(retiring, fake_connect, retiring_params, .name = "thing.retiring", THING, ON_DEP,
     .retire = fake_retire);
FAKE(app, fake_connect, v_param, .name = "app.fake", JOB, ON_DEP, .start = (mg_start_fn)fake_start);
FAKE(app_nostart, fake_connect, v_param, .name = "app.nostart", JOB, ON_DEP,
     .start = (mg_start_fn)fail_start);

static const union mg_value v1[] = { { .i = 1 } }, v2[] = { { .i = 2 } };
static const int on0[] = { 0 }, on1[] = { 1 };
static const unsigned job3[] = { 3 };

/* The base plan: leaf L; M and H on L; job J on M. */
#define DEV_L(p) { "L", &leaf, p, NULL }
#define DEV_M { "M", &mid, v1, on0 }
#define DEV_H(p) { "H", &handing, p, on0 }
#define DEV_J(plugin, p) { "J", plugin, p, on1 }
#define PLAN(var, ...)                                                      \
	static const struct mg_plan_device var##_devs[] = { __VA_ARGS__ };  \
	static const struct mg_plan var = { #var, var##_devs, MG_COUNTOF(var##_devs), job3, 1, 1 }

PLAN(base, DEV_L(v1), DEV_M, DEV_H(v1), DEV_J(&app, v1));
PLAN(same, DEV_L(v1), DEV_M, DEV_H(v1), DEV_J(&app, v1));
PLAN(leaf_v2, DEV_L(v2), DEV_M, DEV_H(v1), DEV_J(&app, v1));
PLAN(leaf_v2_broken, DEV_L(v2), DEV_M, { "H", &broken, v1, on0 }, DEV_J(&app, v1));
PLAN(handing_v2, DEV_L(v1), DEV_M, DEV_H(v2), DEV_J(&app, v1));
PLAN(job_v2, DEV_L(v1), DEV_M, DEV_H(v1), DEV_J(&app, v2));
PLAN(job_nostart, DEV_L(v1), DEV_M, DEV_H(v1), DEV_J(&app_nostart, v1));
/* H gone, N new (J stays at index 3: its dependency M keeps index 1) */
PLAN(h_for_n, DEV_L(v1), DEV_M, { "N", &leaf, v1, NULL }, DEV_J(&app, v1));
PLAN(slow_leaf, { "L", &slow, v2, NULL }, DEV_M, DEV_H(v1), DEV_J(&app, v1));
/* L renamed K: M and H depend on another name now */
PLAN(renamed, { "K", &leaf, v1, NULL }, DEV_M, DEV_H(v1), DEV_J(&app, v1));

/* L, and R on L: no job */
#define DEV_R(v, answer) \
	{ "R", &retiring, (const union mg_value[]){ { .i = v }, { .i = answer } }, on0 }
#define JOBLESS(var, ...)                                                   \
	static const struct mg_plan_device var##_devs[] = { __VA_ARGS__ };  \
	static const struct mg_plan var = { #var, var##_devs, MG_COUNTOF(var##_devs), NULL, 0, 1 }
JOBLESS(later, DEV_L(v1), DEV_R(1, LATER));
JOBLESS(later_v2, DEV_L(v1), DEV_R(2, LATER));
JOBLESS(later_both_v2, DEV_L(v2), DEV_R(1, LATER));
JOBLESS(never, DEV_L(v1), DEV_R(1, NEVER));
JOBLESS(never_v2, DEV_L(v1), DEV_R(2, NEVER));
JOBLESS(at_once, DEV_L(v1), DEV_R(1, AT_ONCE));
JOBLESS(at_once_v2, DEV_L(v1), DEV_R(2, AT_ONCE));

static const struct mgh_opts opts = {
	.level = MG_LOG_ERROR, .start = start_job, .target = "unix", .prog = "test_swap",
	/* long enough that only a device's own retired call ends its work */
	.grace_ms = 600000,
};
static struct mgh_rt *rt;

static void setup(void)
{
	memset(fakes, 0, sizeof fakes);
	nfakes = seq = connect_failures = 0;
	rt = mgh_rt_new(&opts);
	ck_assert_ptr_nonnull(rt);
}

static void teardown(void)
{
	if (rt)
		mgh_rt_free(rt);
}

/* The n-th instance (0 first) ever connected for device `name`. */
static struct fake *inst(const char *name, unsigned n)
{
	for (unsigned i = 0; i < nfakes; i++)
		if (!strcmp(fakes[i].name, name) && n-- == 0)
			return &fakes[i];
	return NULL;
}

static unsigned instances(const char *name)
{
	unsigned n = 0;

	while (inst(name, n))
		n++;
	return n;
}

static void start_base(void)
{
	ck_assert_int_eq(mgh_rt_start(rt, &base), 0);
	ck_assert_uint_eq(nfakes, 4);
	ck_assert_uint_eq(inst("J", 0)->started, 1);
	ck_assert_uint_eq(mgh_rt_jobs_running(rt), 1);
}

/* Runs the loop until cond holds; at most 100 rounds. */
#define RUN_UNTIL(cond)                                                     \
	for (unsigned round_ = 0; !(cond); round_++) {                      \
		ck_assert_uint_lt(round_, 100);                             \
		ck_assert_int_eq(mgh_loop_run_once(mgh_rt_loop(rt)), 0);    \
	}

START_TEST(an_identical_plan_keeps_every_instance)
{
	start_base();
	ck_assert_int_eq(mgh_rt_apply(rt, &same, NULL, NULL), 0);
	ck_assert_ptr_eq(mgh_rt_plan(rt), &same);
	ck_assert_uint_eq(nfakes, 4);
	for (unsigned i = 0; i < nfakes; i++) {
		ck_assert_uint_eq(fakes[i].disconnected, 0);
		ck_assert_uint_eq(fakes[i].exported + fakes[i].dep_replaced, 0);
	}
	ck_assert_uint_eq(inst("J", 0)->started, 1);
	ck_assert_uint_eq(mgh_rt_jobs_running(rt), 1);
	/* the kept devices still point into the first plan's entries */
	ck_assert(mgh_rt_uses_plan(rt, &base));
}
END_TEST

START_TEST(a_changed_leaf_is_reconnected_and_its_dependents_told_or_reconnected)
{
	start_base();
	ck_assert_int_eq(mgh_rt_apply(rt, &leaf_v2, NULL, NULL), 0);
	ck_assert_ptr_eq(mgh_rt_plan(rt), &leaf_v2);
	ck_assert_uint_eq(instances("L"), 2);
	ck_assert_uint_eq(inst("L", 0)->disconnected, 1);
	ck_assert_uint_eq(inst("L", 1)->disconnected, 0);
	/* M has dep_replaced: the same instance, told of the new L */
	ck_assert_uint_eq(instances("M"), 1);
	ck_assert_uint_eq(inst("M", 0)->disconnected, 0);
	ck_assert_uint_eq(inst("M", 0)->dep_replaced, 1);
	ck_assert_ptr_eq(inst("M", 0)->new_dep, MG_DEVICE(&inst("L", 1)->h));
	/* H has not: a new instance, on the new L, with no handover (its
	 * dependency changed) */
	ck_assert_uint_eq(instances("H"), 2);
	ck_assert_uint_eq(inst("H", 0)->disconnected, 1);
	ck_assert_uint_eq(inst("H", 0)->exported, 0);
	ck_assert_uint_eq(inst("H", 1)->disconnected, 0);
	ck_assert_uint_eq(inst("H", 1)->imported, 0);
	/* the old H used the old L: it goes first */
	ck_assert_uint_lt(inst("H", 0)->seq_disconnect, inst("L", 0)->seq_disconnect);
	/* J's dependency M is the same instance: J runs on, not restarted */
	ck_assert_uint_eq(instances("J"), 1);
	ck_assert_uint_eq(inst("J", 0)->started, 1);
	ck_assert_uint_eq(mgh_rt_jobs_running(rt), 1);
}
END_TEST

START_TEST(a_failed_connect_rolls_everything_back)
{
	start_base();
	ck_assert_int_eq(mgh_rt_apply(rt, &leaf_v2_broken, NULL, NULL), -EIO);
	ck_assert_uint_eq(connect_failures, 1);
	ck_assert_ptr_eq(mgh_rt_plan(rt), &base);
	/* the new L, connected before H failed, is released */
	ck_assert_uint_eq(instances("L"), 2);
	ck_assert_uint_eq(inst("L", 1)->disconnected, 1);
	/* the old instances are untouched and still serve */
	ck_assert_uint_eq(inst("L", 0)->disconnected, 0);
	ck_assert_uint_eq(inst("M", 0)->disconnected + inst("M", 0)->dep_replaced, 0);
	ck_assert_uint_eq(inst("H", 0)->disconnected + inst("H", 0)->exported, 0);
	ck_assert_uint_eq(inst("J", 0)->disconnected, 0);
	ck_assert_uint_eq(mgh_rt_jobs_running(rt), 1);
	/* and the engine is whole: the next swap works from them */
	ck_assert_int_eq(mgh_rt_apply(rt, &leaf_v2, NULL, NULL), 0);
	ck_assert_uint_eq(inst("L", 0)->disconnected, 1);
	ck_assert_uint_eq(inst("L", 2)->disconnected, 0);
	ck_assert_ptr_eq(inst("M", 0)->new_dep, MG_DEVICE(&inst("L", 2)->h));
}
END_TEST

START_TEST(a_failed_first_start_leaves_nothing_connected)
{
	ck_assert_int_lt(mgh_rt_start(rt, &leaf_v2_broken), 0);
	ck_assert_ptr_null(mgh_rt_plan(rt));
	ck_assert_uint_eq(nfakes, 2);
	ck_assert_uint_eq(inst("L", 0)->disconnected, 1);
	ck_assert_uint_eq(inst("M", 0)->disconnected, 1);
	ck_assert_uint_lt(inst("M", 0)->seq_disconnect, inst("L", 0)->seq_disconnect);
}
END_TEST

START_TEST(a_replaced_device_on_the_same_instances_hands_over)
{
	start_base();
	ck_assert_int_eq(mgh_rt_apply(rt, &handing_v2, NULL, NULL), 0);
	ck_assert_uint_eq(instances("H"), 2);
	ck_assert_uint_eq(inst("H", 0)->exported, 1);
	ck_assert_uint_eq(inst("H", 1)->imported, 1);
	ck_assert_ptr_eq(inst("H", 1)->adopted, inst("H", 0));
	ck_assert_uint_eq(inst("H", 0)->disconnected, 1);
	ck_assert_uint_eq(instances("L") + instances("M") + instances("J"), 3);
	ck_assert_uint_eq(inst("L", 0)->disconnected + inst("M", 0)->dep_replaced, 0);
}
END_TEST

START_TEST(a_retiring_predecessor_is_disconnected_once_it_says_retired)
{
	ck_assert_int_eq(mgh_rt_start(rt, &later), 0);
	ck_assert_int_eq(mgh_rt_apply(rt, &later_v2, NULL, NULL), 0);
	ck_assert_uint_eq(instances("R"), 2);
	ck_assert_uint_eq(inst("R", 0)->retired_hook, 1);
	ck_assert_uint_eq(inst("R", 0)->disconnected, 0);
	ck_assert(mgh_rt_uses_plan(rt, &later));
	RUN_UNTIL(inst("R", 0)->disconnected);
	ck_assert_uint_eq(inst("R", 0)->retired_call, 1);
	ck_assert_uint_lt(inst("R", 0)->seq_retire, inst("R", 0)->seq_retired);
	ck_assert_uint_lt(inst("R", 0)->seq_retired, inst("R", 0)->seq_disconnect);
	ck_assert_uint_eq(inst("R", 1)->retired_hook + inst("R", 1)->disconnected, 0);
	ck_assert_uint_eq(inst("L", 0)->disconnected, 0);
}
END_TEST

START_TEST(a_predecessor_that_never_says_retired_is_disconnected_after_its_grace)
{
	static struct mgh_opts short_grace;

	/* this case's own runtime: 1 ms of grace */
	mgh_rt_free(rt);
	short_grace = opts;
	short_grace.grace_ms = 1;
	rt = mgh_rt_new(&short_grace);
	ck_assert_ptr_nonnull(rt);
	ck_assert_int_eq(mgh_rt_start(rt, &never), 0);
	ck_assert_int_eq(mgh_rt_apply(rt, &never_v2, NULL, NULL), 0);
	ck_assert_uint_eq(inst("R", 0)->retired_hook, 1);
	ck_assert_uint_eq(inst("R", 0)->disconnected, 0);
	RUN_UNTIL(inst("R", 0)->disconnected);
	ck_assert_uint_eq(inst("R", 0)->retired_call, 0);
	ck_assert_uint_eq(inst("R", 1)->disconnected, 0);
}
END_TEST

START_TEST(a_predecessor_that_says_retired_at_once_goes_at_commit)
{
	ck_assert_int_eq(mgh_rt_start(rt, &at_once), 0);
	ck_assert_int_eq(mgh_rt_apply(rt, &at_once_v2, NULL, NULL), 0);
	ck_assert_uint_eq(inst("R", 0)->retired_call, 1);
	ck_assert_uint_eq(inst("R", 0)->disconnected, 1);
	ck_assert_uint_lt(inst("R", 0)->seq_retired, inst("R", 0)->seq_disconnect);
	ck_assert_uint_eq(inst("R", 1)->disconnected, 0);
}
END_TEST

START_TEST(a_retiring_device_keeps_its_replaced_dependency_until_done)
{
	ck_assert_int_eq(mgh_rt_start(rt, &later), 0);
	ck_assert_int_eq(mgh_rt_apply(rt, &later_both_v2, NULL, NULL), 0);
	ck_assert_uint_eq(instances("L") + instances("R"), 4);
	/* the old L has no retire hook, but the old R still works on it */
	ck_assert_uint_eq(inst("L", 0)->disconnected, 0);
	ck_assert_uint_eq(inst("R", 0)->retired_hook, 1);
	RUN_UNTIL(inst("L", 0)->disconnected);
	ck_assert_uint_lt(inst("R", 0)->seq_retired, inst("R", 0)->seq_disconnect);
	ck_assert_uint_lt(inst("R", 0)->seq_disconnect, inst("L", 0)->seq_disconnect);
	ck_assert_uint_eq(inst("L", 1)->disconnected + inst("R", 1)->disconnected, 0);
}
END_TEST

START_TEST(freeing_the_runtime_ends_a_retirement)
{
	ck_assert_int_eq(mgh_rt_start(rt, &later), 0);
	ck_assert_int_eq(mgh_rt_apply(rt, &later_v2, NULL, NULL), 0);
	mgh_rt_free(rt);
	rt = NULL;
	ck_assert_uint_eq(inst("R", 0)->retired_call, 0);
	for (unsigned i = 0; i < nfakes; i++)
		ck_assert_uint_eq(fakes[i].disconnected, 1);
	/* the newer R used L: L goes last */
	ck_assert_uint_lt(inst("R", 1)->seq_disconnect, inst("L", 0)->seq_disconnect);
}
END_TEST

START_TEST(a_dependency_of_another_name_is_not_told_but_reconnected)
{
	start_base();
	ck_assert_int_eq(mgh_rt_apply(rt, &renamed, NULL, NULL), 0);
	ck_assert_uint_eq(instances("K"), 1);
	ck_assert_uint_eq(inst("L", 0)->disconnected, 1);
	ck_assert_uint_eq(instances("M"), 2);
	ck_assert_uint_eq(inst("M", 0)->dep_replaced, 0);
	ck_assert_uint_eq(inst("M", 0)->disconnected, 1);
	ck_assert_uint_eq(instances("H"), 2);
	/* J's M is a new instance and J has no dep_replaced: started again */
	ck_assert_uint_eq(instances("J"), 2);
	ck_assert_uint_eq(inst("J", 1)->started, 1);
	ck_assert_uint_eq(mgh_rt_jobs_running(rt), 1);
}
END_TEST

START_TEST(a_device_added_is_connected_and_one_removed_disconnected)
{
	start_base();
	ck_assert_int_eq(mgh_rt_apply(rt, &h_for_n, NULL, NULL), 0);
	ck_assert_ptr_eq(mgh_rt_plan(rt), &h_for_n);
	ck_assert_uint_eq(instances("N"), 1);
	ck_assert_uint_eq(inst("N", 0)->disconnected, 0);
	ck_assert_uint_eq(instances("H"), 1);
	ck_assert_uint_eq(inst("H", 0)->disconnected, 1);
	ck_assert_uint_eq(nfakes, 5);
	for (const char *const *n = (const char *const[]){ "L", "M", "J", NULL }; *n; n++)
		ck_assert_uint_eq(inst(*n, 0)->disconnected, 0);
	ck_assert_uint_eq(inst("J", 0)->started, 1);
}
END_TEST

START_TEST(a_replaced_job_is_started_again)
{
	start_base();
	ck_assert_int_eq(mgh_rt_apply(rt, &job_v2, NULL, NULL), 0);
	ck_assert_uint_eq(instances("J"), 2);
	ck_assert_uint_eq(inst("J", 0)->disconnected, 1);
	ck_assert_uint_eq(inst("J", 1)->started, 1);
	ck_assert_uint_eq(inst("J", 1)->disconnected, 0);
	ck_assert_uint_eq(mgh_rt_jobs_running(rt), 1);
	ck_assert_uint_eq(nfakes, 5);
}
END_TEST

START_TEST(a_new_job_that_fails_to_start_is_ecanceled_but_the_change_stays)
{
	start_base();
	ck_assert_int_eq(mgh_rt_apply(rt, &job_nostart, NULL, NULL), -ECANCELED);
	ck_assert_ptr_eq(mgh_rt_plan(rt), &job_nostart);
	ck_assert_uint_eq(instances("J"), 2);
	ck_assert_uint_eq(inst("J", 0)->disconnected, 1);
	ck_assert_uint_eq(inst("J", 1)->disconnected, 0);
	ck_assert_uint_eq(mgh_rt_jobs_running(rt), 0);
}
END_TEST

/* The outcome a change that waited on a connect reported. */
static int outcome, outcomes;

static void record(void *arg, int rc)
{
	(void)arg;
	outcome = rc;
	outcomes++;
}

/* Swaps L for the slow one; it is connecting, nothing else has moved. */
static struct fake *swap_to_slow(void)
{
	outcomes = 0;
	start_base();
	ck_assert_int_eq(mgh_rt_apply(rt, &slow_leaf, record, NULL), -EINPROGRESS);
	ck_assert(mgh_rt_changing(rt));
	ck_assert_ptr_eq(mgh_rt_plan(rt), &base);
	ck_assert_uint_eq(instances("L"), 2);
	ck_assert_uint_eq(instances("H"), 1); /* its dependency is not ready */
	ck_assert_uint_eq(inst("M", 0)->dep_replaced, 0);
	ck_assert_uint_eq(outcomes, 0);
	return inst("L", 1);
}

START_TEST(a_delayed_connect_commits_once_the_device_is_ready)
{
	struct fake *l = swap_to_slow();

	ck_assert_int_eq(mgh_rt_apply(rt, &same, NULL, NULL), -EBUSY);
	l->env->host->connected(l->env, 0);
	ck_assert_uint_eq(outcomes, 1);
	ck_assert_int_eq(outcome, 0);
	ck_assert(!mgh_rt_changing(rt));
	ck_assert_ptr_eq(mgh_rt_plan(rt), &slow_leaf);
	ck_assert_uint_eq(inst("L", 0)->disconnected, 1);
	ck_assert_uint_eq(inst("M", 0)->dep_replaced, 1);
	ck_assert_uint_eq(instances("H"), 2);
}
END_TEST

START_TEST(a_delayed_connect_that_fails_leaves_the_app_as_it_was)
{
	struct fake *l = swap_to_slow();

	l->env->host->connected(l->env, -EIO);
	ck_assert_uint_eq(outcomes, 1);
	ck_assert_int_eq(outcome, -EIO);
	ck_assert_ptr_eq(mgh_rt_plan(rt), &base);
	ck_assert_uint_eq(l->disconnected, 1);
	ck_assert_uint_eq(inst("L", 0)->disconnected, 0);
	ck_assert_uint_eq(mgh_rt_jobs_running(rt), 1);
}
END_TEST

START_TEST(a_delayed_connect_past_its_limit_fails_with_etimedout)
{
	struct mgh_opts quick = opts;

	mgh_rt_free(rt);
	quick.connect_ms = 1;
	rt = mgh_rt_new(&quick);
	ck_assert_ptr_nonnull(rt);
	swap_to_slow();
	RUN_UNTIL(outcomes);
	ck_assert_int_eq(outcome, -ETIMEDOUT);
	ck_assert_ptr_eq(mgh_rt_plan(rt), &base);
	ck_assert_uint_eq(inst("L", 1)->disconnected, 1);
}
END_TEST

START_TEST(freeing_the_runtime_abandons_a_change_in_progress)
{
	struct fake *l = swap_to_slow();

	mgh_rt_free(rt);
	rt = NULL;
	ck_assert_uint_eq(outcomes, 1);
	ck_assert_int_eq(outcome, -ECANCELED);
	ck_assert_uint_eq(l->disconnected, 1);
	for (unsigned i = 0; i < nfakes; i++)
		ck_assert_uint_eq(fakes[i].disconnected, 1);
}
END_TEST

static Suite *swap_suite(void)
{
	Suite *s = suite_create("swap");
	TCase *tc = tcase_create("apply");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, an_identical_plan_keeps_every_instance);
	tcase_add_test(tc, a_changed_leaf_is_reconnected_and_its_dependents_told_or_reconnected);
	tcase_add_test(tc, a_failed_connect_rolls_everything_back);
	tcase_add_test(tc, a_failed_first_start_leaves_nothing_connected);
	tcase_add_test(tc, a_replaced_device_on_the_same_instances_hands_over);
	tcase_add_test(tc, a_retiring_predecessor_is_disconnected_once_it_says_retired);
	tcase_add_test(tc, a_predecessor_that_never_says_retired_is_disconnected_after_its_grace);
	tcase_add_test(tc, a_predecessor_that_says_retired_at_once_goes_at_commit);
	tcase_add_test(tc, a_retiring_device_keeps_its_replaced_dependency_until_done);
	tcase_add_test(tc, freeing_the_runtime_ends_a_retirement);
	tcase_add_test(tc, a_dependency_of_another_name_is_not_told_but_reconnected);
	tcase_add_test(tc, a_device_added_is_connected_and_one_removed_disconnected);
	tcase_add_test(tc, a_replaced_job_is_started_again);
	tcase_add_test(tc, a_new_job_that_fails_to_start_is_ecanceled_but_the_change_stays);
	tcase_add_test(tc, a_delayed_connect_commits_once_the_device_is_ready);
	tcase_add_test(tc, a_delayed_connect_that_fails_leaves_the_app_as_it_was);
	tcase_add_test(tc, a_delayed_connect_past_its_limit_fails_with_etimedout);
	tcase_add_test(tc, freeing_the_runtime_abandons_a_change_in_progress);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(swap_suite());
}
