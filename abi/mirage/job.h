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

#define MG_JOB_NAME "job"
#define MG_JOB_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_JOB_TYPE _Pragma("GCC error \"MG_JOB_TYPE is gone: write MG_TYPE(JOB, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_job_ops {
	struct mg_ops_hdr hdr;
};
_Static_assert(sizeof(struct mg_job_ops) == sizeof(struct mg_ops_hdr), "a job's ops table is its header");

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
