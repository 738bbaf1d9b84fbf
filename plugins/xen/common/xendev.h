/* xendev.h - the check every Xen device plugin makes first in connect
 * (xen.evtchn, xen.xenstore, the drivers): without Xen there is nothing to
 * drive, and a driver that connects later (xenstore's answers) needs a
 * host with `connected` (ABI 1.2). */
#ifndef XENDEV_H
#define XENDEV_H

#include <errno.h>

#include "mirage/host.h"
#include "mgx.h"

/* 0, or -ENODEV (logged: what has no device on this loader) or -ENOSYS. */
static inline int xendev_check(const struct mg_env *env, const char *what, int later)
{
	if (!mgx_on_xen()) {
		mg_log(env, MG_LOG_ERROR, "not running on Xen (no Xen CPUID leaves): no %s on this PVH loader",
		       what);
		return -ENODEV;
	}
	if (later && !MG_OPS_HAS(env->host, connected))
		return -ENOSYS;
	return 0;
}

#endif
