/* job.h - module type "job": an application, the seed's `foreign "Main"`.
 *
 * A job plugin's descriptor sets `.start` to
 *     int start(struct mg_job *self, T1 *slot1, T2 *slot2, ...);
 * with one argument per slot, in slot order.  The host calls it once, after
 * every device is connected.  start returns 0 when the job runs (it then
 * calls mg_job_done, perhaps from a later callback, perhaps never for a
 * server) or a negative errno when it could not start. */
#ifndef MIRAGE_JOB_H
#define MIRAGE_JOB_H

#include "host.h"

#define MG_JOB_TYPE { "job", 1, 0 }

struct mg_job_ops {
	struct mg_ops_hdr hdr;
};

/* A job's handle.  A job plugin without connect gets exactly this; one with
 * connect embeds it in its instance and sets `env`. */
struct mg_job {
	const struct mg_job_ops *ops;
	const struct mg_env *env;
};

static inline void mg_job_done(struct mg_job *job, int status)
{
	job->env->host->job_done(job->env, status);
}

#endif
