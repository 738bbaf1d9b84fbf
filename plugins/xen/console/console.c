/* console.xen - the console type over the Xen platform's console: the PV
 * console ring (kicked through its event channel) on Xen.  On a PVH loader
 * without Xen (QEMU -kernel) the platform console is COM1 + port 0xe9, and
 * this plugin says so at connect and goes on there: the same image prints
 * wherever it boots.  The platform copies the whole text into the ring,
 * waiting for xenconsoled only when the 2 KiB ring is full. */
#include <stdio.h>
#include <string.h>

#include "mirage/console.h"
#include "mirage/host.h"
#include "mgx.h"

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const char *const level_words[] = { "ERROR ", "WARN ", "INFO ", "DEBUG " };

struct xcons {
	struct mg_console con;
	const struct mg_env *env;
	unsigned level; /* lines above it are dropped */
	int uptime;     /* lines begin with the time since boot */
};

static long xcons_write(struct mg_console *c, const void *buf, size_t len)
{
	(void)c;
	mgx_console_write(buf, len);
	return (long)len;
}

static int xcons_log(struct mg_console *c, enum mg_log_level level, const char *msg, size_t len)
{
	struct xcons *x = mg_container_of(c, struct xcons, con);

	if ((unsigned)level > x->level)
		return 0;
	if (x->uptime) {
		char at[32];
		uint64_t us = mgx_uptime_ns() / 1000;
		int n = snprintf(at, sizeof at, "[%llu.%06llu] ", (unsigned long long)(us / 1000000),
				 (unsigned long long)(us % 1000000));

		mgx_console_write(at, (size_t)n);
	}
	mgx_console_write(level_words[level], strlen(level_words[level]));
	mgx_console_write(msg, len);
	mgx_console_write("\n", 1);
	return 0;
}

static const struct mg_console_ops xcons_ops = {
	.hdr = MG_OPS_HDR(struct mg_console_ops, 1, 0),
	.write = xcons_write,
	.log = xcons_log,
};

static int xcons_connect(const struct mg_env *env, struct mg_device **out)
{
	struct xcons *x;
	unsigned level = 0;

	while (level < MG_COUNTOF(level_names) && strcmp(level_names[level], env->params[0].s))
		level++;
	if (level == MG_COUNTOF(level_names)) {
		mg_log(env, MG_LOG_ERROR, "bad level '%s': expected error, warn, info or debug",
		       env->params[0].s);
		return -EINVAL;
	}
	x = mg_zalloc(env, sizeof *x);
	if (!x)
		return -ENOMEM;
	x->con.ops = &xcons_ops;
	x->env = env;
	x->level = level;
	x->uptime = env->params[1].b;
	if (!mgx_on_xen())
		mg_log(env, MG_LOG_INFO, "not running on Xen: writing to the serial port 0x3f8 "
		       "and port 0xe9 instead of the PV console");
	*out = MG_DEVICE(&x->con);
	return 0;
}

static void xcons_disconnect(struct mg_device *dev)
{
	struct xcons *x = mg_container_of(dev, struct xcons, con);

	mg_free(x->env, x);
}

static const struct mg_param xcons_params[] = {
	{ .name = "level", .type = MG_PARAM_ENUM, .def = "info",
	  .choices = "error|warn|info|debug", .doc = "lowest level logged" },
	{ .name = "uptime", .type = MG_PARAM_BOOL, .def = "false",
	  .doc = "begin each line with the seconds since the image started, [s.us] (boot times)" },
};

MG_PLUGIN(.name = "console.xen", .version = "1.1",
	  .summary = "console on the Xen PV console ring (serial port without Xen)",
	  .provides = MG_TYPE(CONSOLE, 0), .targets = MG_TARGET_XEN,
	  .params = xcons_params, .nparams = MG_COUNTOF(xcons_params),
	  .connect = xcons_connect, .disconnect = xcons_disconnect);
