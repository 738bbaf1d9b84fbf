/* time.xen - timers on the image's event loop (Xen's one-shot timer behind
 * it, or the TSC on a PVH loader without Xen).  time.unix uses nothing but
 * host services, so this is its code under the name Xen configs use. */
#define MG_TIME_PLUGIN_NAME "time.xen"
#define MG_TIME_PLUGIN_TARGETS MG_TARGET_XEN
#include "../time/unix.c"
