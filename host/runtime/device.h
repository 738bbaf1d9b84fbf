/* device.h - the runtime's inside: a running device and the state of a
 * run, shared by device.c (a device's life cycle), swap.c (a plan applied
 * to running devices) and runtime.c (a run). */
#ifndef MIRAGE_DEVICE_H
#define MIRAGE_DEVICE_H

#include <mirage/job.h>

#include "loop.h"
#include "platform.h"
#include "runtime.h"

enum job_state { JOB_NONE, JOB_RUNNING, JOB_DONE };

/* One connected instance.  Devices are referenced by pointer, not by plan
 * index, since a swap puts them into another plan. */
struct mgh_dev {
	struct mg_env env;            /* first: services get it back from env */
	struct mgh_rt *rt;
	const struct mg_plan_device *pd; /* its plan entry (name, plugin, params) */
	struct mgh_dev **dep_devs;    /* per slot, NULL for an empty one */
	struct mg_device **deps;      /* per slot handles: env.deps */
	struct mg_device *dev;        /* NULL until connected */
	struct mg_job plain_job;      /* the handle of a job without connect */
	enum job_state job;
	size_t live_bytes;
	unsigned users;               /* devices, current or retiring, that use it */
	int retiring, drained;
	int connecting;               /* connect returned -EINPROGRESS */
	struct mg_timer *grace;
	struct mgh_dev *next_retiring;
};

struct mgh_rt {
	struct mg_host services;
	const struct mgh_opts *opts;
	struct mgh_loop *loop;
	const struct mg_plan *plan;   /* the current plan; NULL before start */
	struct mgh_dev **devs;        /* its devices, in connect order */
	struct mgh_dev *retiring;     /* replaced, finishing their work */
	struct mgh_stop_watch *stop_watch;
	struct mgh_change *change;    /* a plan being applied, waiting on a connect */
	unsigned changed;             /* devices the last change connected, told or retired */
	mgh_log_tap tap;              /* also gets every log line, when set */
	void *tap_arg;
	unsigned jobs_running;
	int stopping;
	int status;
};

/* Runs `call`, a call into d's plugin, as d: a fault report then names d
 * (the loop does the same for the callbacks it runs). */
#define MGH_AS_DEV(d, call)                                  \
	do {                                                 \
		const void *was_ = mgh_loop_owner;           \
		mgh_loop_owner = &(d)->env;                  \
		call;                                        \
		mgh_loop_owner = was_;                       \
	} while (0)

__attribute__((format(printf, 4, 5))) void
mgh_rt_log(const struct mgh_rt *rt, const char *who, enum mg_log_level level, const char *fmt, ...);

/* The host services every device gets, for a platform named target. */
void mgh_services_init(struct mg_host *out, const char *target);
/* A device for plan entry pd; its dependencies are taken from devs, the
 * devices of pd's plan by index.  NULL when out of memory. */
struct mgh_dev *mgh_dev_new(struct mgh_rt *rt, const struct mg_plan_device *pd,
			    struct mgh_dev *const *devs);
/* Connects d (guarded against crashes); 0, -EINPROGRESS (d->connecting:
 * host->connected will say), or a negative errno, logged. */
int mgh_dev_connect(struct mgh_dev *d);
/* host->connected arrived for d, which was connecting (swap.c). */
void mgh_change_connected(struct mgh_dev *d, int status);
/* Drops a change still waiting on a connect: what it connected is released. */
void mgh_change_abandon(struct mgh_rt *rt);
/* Disconnects (if connected) and frees d; its dependencies lose a user. */
void mgh_dev_release(struct mgh_dev *d);
/* Starts a job; 0 or a negative errno, logged. */
int mgh_dev_start(struct mgh_dev *d);
/* Takes d out of service: stops counting it as a running job, lets it
 * finish its work (its plugin's retire hook), frees it once done and
 * unused. */
void mgh_dev_retire(struct mgh_dev *d);
/* Frees every retiring device that is done and has no users. */
void mgh_rt_reap(struct mgh_rt *rt);

#endif
