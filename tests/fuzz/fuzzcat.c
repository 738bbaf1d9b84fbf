/* fuzzcat.c - a fake plugin catalog for fuzz_config: static descriptors
 * named and shaped like the project's plugins (slots with defaults,
 * optional slots, every parameter type, targets, a job), so that the
 * configs in configs/ resolve and their mutations reach every check. */
#include <mirage/job.h>

#include "fuzzcat.h"

#define FAKE(var, ...)                                                         \
	static const struct mg_plugin var = { .magic = MG_PLUGIN_MAGIC,        \
					      .abi_major = MG_ABI_MAJOR,       \
					      .abi_minor = MG_ABI_MINOR,       \
					      .size = sizeof(struct mg_plugin), \
					      .signature = MG_SIGNATURE,       \
					      .connect = never, __VA_ARGS__ }

/* Never called: resolving does not connect. */
static int never(const struct mg_env *env, struct mg_device **out)
{
	(void)env, (void)out;
	return -ENOSYS;
}

static int start(void)
{
	return 0;
}

#define CONSOLE { "console", 1, 0 }
#define KV_RO { "kv_ro", 1, 0 }

static const struct mg_param con_params[] = {
	{ .name = "level", .type = MG_PARAM_ENUM, .def = "info", .choices = "error|warn|info|debug" },
	{ .name = "timestamps", .type = MG_PARAM_BOOL, .def = "true" },
};
FAKE(con_unix, .name = "console.unix", .provides = CONSOLE, .targets = MG_TARGET_UNIX,
     .params = con_params, .nparams = MG_COUNTOF(con_params));
FAKE(con_xen, .name = "console.xen", .provides = CONSOLE, .targets = MG_TARGET_XEN);
FAKE(time_unix, .name = "time.loop", .provides = { "time", 1, 0 }, .targets = MG_TARGET_ANY);
FAKE(clock_unix, .name = "clock.unix", .provides = { "clock", 1, 0 }, .targets = MG_TARGET_UNIX);
FAKE(random_ssl, .name = "random.openssl", .provides = { "random", 1, 0 },
     .targets = MG_TARGET_UNIX);

static const struct mg_param dir_params[] = { { .name = "root", .type = MG_PARAM_PATH } };
FAKE(kvro_dir, .name = "kvro.dir", .provides = KV_RO, .targets = MG_TARGET_UNIX,
     .params = dir_params, .nparams = 1);
FAKE(kvro_crunch, .name = "kvro.crunch", .provides = KV_RO, .targets = MG_TARGET_ANY);
FAKE(kvro_htdocs, .name = "kvro.crunch.htdocs", .provides = KV_RO, .targets = MG_TARGET_ANY);
FAKE(xenstore, .name = "xen.xenstore", .provides = KV_RO, .targets = MG_TARGET_XEN);

static const struct mg_param sock_params[] = {
	{ .name = "backlog", .type = MG_PARAM_INT, .def = "1024", .min = 1, .max = 65535 },
};
FAKE(net_socket, .name = "net.socket", .provides = { "stackv4", 1, 1 },
     .targets = MG_TARGET_UNIX, .params = sock_params, .nparams = 1);

static const struct mg_slot http_slots[] = {
	{ .name = "net", .type = { "stackv4", 1, 0 }, .def = "net.socket" },
	{ .name = "clock", .type = { "clock", 1, 0 }, .def = "clock.unix" },
};
static const struct mg_param http_params[] = {
	{ .name = "port", .type = MG_PARAM_INT, .def = "8080", .min = 0, .max = 65535 },
	{ .name = "address", .type = MG_PARAM_STRING, .def = "127.0.0.1" },
};
FAKE(http_server, .name = "http.server", .provides = { "http", 1, 0 },
     .targets = MG_TARGET_ANY, .slots = http_slots, .nslots = MG_COUNTOF(http_slots),
     .params = http_params, .nparams = MG_COUNTOF(http_params));

static const struct mg_slot hello_slots[] = {
	{ .name = "console", .type = CONSOLE, .def = "console.unix console.xen" },
	{ .name = "time", .type = { "time", 1, 0 } },
	{ .name = "random", .type = { "random", 1, 0 }, .optional = 1 },
};
static const struct mg_param hello_params[] = {
	{ .name = "count", .type = MG_PARAM_INT, .def = "3", .min = 0, .max = 1000000 },
	{ .name = "interval_ms", .type = MG_PARAM_INT, .def = "1000", .min = 0, .max = 3600000 },
	{ .name = "message", .type = MG_PARAM_STRING, .def = "Hello, World!" },
};
FAKE(hello, .name = "hello", .provides = MG_TYPE(JOB, 0), .targets = MG_TARGET_ANY,
     .slots = hello_slots, .nslots = MG_COUNTOF(hello_slots), .params = hello_params,
     .nparams = MG_COUNTOF(hello_params), .start = (mg_start_fn)start);

static const struct mg_slot kvcat_slots[] = {
	{ .name = "console", .type = CONSOLE, .def = "console.unix console.xen" },
	{ .name = "fs", .type = KV_RO },
};
FAKE(kvcat, .name = "kvcat", .provides = MG_TYPE(JOB, 0), .targets = MG_TARGET_ANY,
     .slots = kvcat_slots, .nslots = MG_COUNTOF(kvcat_slots), .start = (mg_start_fn)start);

static const struct mg_slot web_slots[] = {
	{ .name = "console", .type = CONSOLE },
	{ .name = "fs", .type = KV_RO },
	{ .name = "http", .type = { "http", 1, 0 }, .def = "http.server" },
};
static const struct mg_param web_params[] = {
	{ .name = "index", .type = MG_PARAM_STRING, .def = "index.html" },
	{ .name = "access_log", .type = MG_PARAM_BOOL, .def = "true" },
};
FAKE(website, .name = "website", .provides = MG_TYPE(JOB, 0), .targets = MG_TARGET_ANY,
     .slots = web_slots, .nslots = MG_COUNTOF(web_slots), .params = web_params,
     .nparams = MG_COUNTOF(web_params), .start = (mg_start_fn)start);

static const struct mg_plugin *const all[] = {
	&con_unix, &con_xen, &time_unix, &clock_unix, &random_ssl, &kvro_dir, &kvro_crunch,
	&kvro_htdocs, &xenstore, &net_socket, &http_server, &hello, &kvcat, &website,
};

void fuzzcat_init(struct arraycat *c)
{
	arraycat_init(c, all, MG_COUNTOF(all));
}
