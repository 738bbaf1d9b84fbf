/* host.h - the services a host gives every plugin: logging, allocation, the
 * event loop (one-shot timers and, on Unix, fd readiness), job completion and
 * stopping.  The same table exists on every target; a member a target cannot
 * provide returns -ENOSYS (fd_watch on Xen).
 *
 * Threading: there is one thread.  Every callback runs on the event loop and
 * must not block. */
#ifndef MIRAGE_HOST_H
#define MIRAGE_HOST_H

#include <stdarg.h>

#include "plugin.h"

struct mg_timer; /* opaque, owned by the host */
struct mg_watch; /* opaque, owned by the host */

/* fd readiness events for fd_watch (bit set). */
#define MG_EV_READ 0x1u
#define MG_EV_WRITE 0x2u
#define MG_EV_ERROR 0x4u /* error or hang-up; always reported */

typedef void (*mg_timer_cb)(void *arg);
typedef void (*mg_watch_cb)(void *arg, unsigned events);

struct mg_host {
	struct mg_ops_hdr hdr;
	const char *target; /* "unix" or "xen" */

	/* Logs one line attributed to env's device.  Lines below the host's
	 * level are dropped; the text needs no trailing newline. */
	void (*vlog)(const struct mg_env *env, enum mg_log_level level,
		     const char *fmt, va_list ap);

	/* Memory, accounted to env's device.  alloc returns NULL when out of
	 * memory; free(NULL) does nothing. */
	void *(*alloc)(const struct mg_env *env, size_t size);
	void (*free)(const struct mg_env *env, void *p);

	/* Monotonic nanoseconds of the event loop: the time timers count in. */
	uint64_t (*now_ns)(void);

	/* Calls cb(arg) once, delay_ns from now.  The handle in *out (may be
	 * NULL when not wanted) is valid until cb starts or timer_cancel
	 * returns.  -ENOMEM. */
	int (*timer_start)(const struct mg_env *env, uint64_t delay_ns,
			   mg_timer_cb cb, void *arg, struct mg_timer **out);
	void (*timer_cancel)(struct mg_timer *t);

	/* Calls cb(arg, events) while fd is ready for any of `events`
	 * (level-triggered).  The plugin keeps owning fd and must fd_unwatch
	 * before closing it.  -EEXIST (fd already watched), -EBADF, -ENOSYS
	 * (target without fds). */
	int (*fd_watch)(const struct mg_env *env, int fd, unsigned events,
			mg_watch_cb cb, void *arg, struct mg_watch **out);
	int (*fd_update)(struct mg_watch *w, unsigned events);
	void (*fd_unwatch)(struct mg_watch *w);

	/* A job reports it has finished; status 0 is success.  The host
	 * stops when every job has finished. */
	void (*job_done)(const struct mg_env *env, int status);
	/* Ends the event loop after the current callback; status != 0 makes
	 * the host exit with failure. */
	void (*stop)(const struct mg_env *env, int status);

	/* ---- ABI 1.1 ---- */
	/* A retiring device (see mg_plugin.retire) has finished its work. */
	void (*retired)(const struct mg_env *env);

	/* ---- ABI 1.2 ---- */
	/* A connect that takes time (a handshake, a DHCP lease, an index read
	 * from a disk) stores its handle in *out and returns -EINPROGRESS;
	 * the device calls connected() once, later, from a callback: status 0
	 * when it is ready, a negative errno when it failed (the host then
	 * disconnects it).  Until then no device that depends on it connects,
	 * no job starts and a swap does not commit: the device it replaces
	 * serves on.  The device may use its slots, timers and fds meanwhile,
	 * and must take a disconnect at any time.  A connect still in
	 * progress after the host's limit (30 s) fails with -ETIMEDOUT. */
	void (*connected)(const struct mg_env *env, int status);

	/* ---- ABI 1.3 ---- */
	/* How many processes serve this app, each with its own loop and its
	 * own devices (the Unix target's `workers`; 1 elsewhere).  A stack
	 * shares a port it listens on among them (Unix: SO_REUSEPORT). */
	unsigned (*workers)(const struct mg_env *env);
	/* Calls cb(arg) when the process dies of a fault, before the host's
	 * report: a device that buffers output writes it out there.  cb runs
	 * in a signal handler: write(2) and plain memory reads only.  One
	 * per device; cb NULL removes it (disconnect must).  -ENOSPC. */
	int (*at_fault)(const struct mg_env *env, void (*cb)(void *arg), void *arg);

	/* ---- ABI 1.4 ---- */
	/* A count that changes at every callback the loop makes (an fd
	 * ready, a timer due, an event) and nowhere else.  A cache that
	 * revalidates by a syscall does it once per callback: whatever that
	 * callback read (a request) came after every change it saw. */
	uint64_t (*turn)(void);
};

/* What connect receives for one device; valid until disconnect returns. */
struct mg_env {
	const struct mg_host *host;
	const char *name;                /* device name in the config */
	const struct mg_plugin *plugin;  /* this device's descriptor */
	struct mg_device *const *deps;   /* one per slot, in slot order; NULL
					    for an empty optional slot */
	const union mg_value *params;    /* one per parameter, in order */
};

static inline __attribute__((format(printf, 3, 4))) void
mg_log(const struct mg_env *env, enum mg_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	env->host->vlog(env, level, fmt, ap);
	va_end(ap);
}

static inline void *mg_alloc(const struct mg_env *env, size_t size)
{
	return env->host->alloc(env, size);
}

static inline void *mg_zalloc(const struct mg_env *env, size_t size)
{
	void *p = env->host->alloc(env, size);

	if (p)
		__builtin_memset(p, 0, size);
	return p;
}

static inline void mg_free(const struct mg_env *env, void *p)
{
	env->host->free(env, p);
}

#endif
