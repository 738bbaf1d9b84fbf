/* boot.c - --set at boot: the frozen plan's devices get new values, before
 * anything connects. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "resolve/value.h"

#define LINE_MAX_ 512
#define WORKERS_MAX 64 /* as the resolver's MGR_WORKERS_MAX */

typedef void (*line_fn)(int error, const char *text);

static __attribute__((format(printf, 3, 4))) void say(line_fn line, int error, const char *fmt, ...)
{
	char buf[LINE_MAX_];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	line(error, buf);
}

static int device_index(const struct mg_plan *plan, const char *name, size_t len)
{
	for (unsigned k = 0; k < plan->ndevices; k++)
		if (strlen(plan->devices[k].name) == len && !strncmp(plan->devices[k].name, name, len))
			return (int)k;
	return -1;
}

/* Gives device k its own copy of its values, once.  The wiring file
 * leaves its devices writable for this (host/tools/wiring.c); the values
 * stay for the program's life. */
static union mg_value *own_values(const struct mg_plan *plan, unsigned k, unsigned char *owned)
{
	struct mg_plan_device *d = (struct mg_plan_device *)&plan->devices[k];
	uint32_t n = d->plugin->nparams;
	union mg_value *v;

	if (owned[k])
		return (union mg_value *)d->params;
	if (!(v = malloc((n ? n : 1) * sizeof *v)))
		return NULL;
	memcpy(v, d->params, n * sizeof *v);
	d->params = v;
	owned[k] = 1;
	return v;
}

/* --set workers=N.  0, or -EINVAL after saying why. */
static int set_workers(struct mgh_opts *opts, const char *prog, const char *arg, line_fn line)
{
	char *end;
	long n = strtol(arg + 8, &end, 10);

	if (strcmp(opts->target, "unix")) {
		say(line, 1, "%s: --set %s: the %s target runs one loop (workers are Unix processes)",
		    prog, arg, opts->target);
		return -EINVAL;
	}
	if (*end || end == arg + 8 || n < 1 || n > WORKERS_MAX) {
		say(line, 1, "%s: --set %s: workers: expected an integer from 1 to %d, found '%s'", prog,
		    arg, WORKERS_MAX, arg + 8);
		return -EINVAL;
	}
	opts->workers = (unsigned)n;
	return 0;
}

/* One --set: devices.DEV.PARAM=VALUE.  0, or -EINVAL after saying why. */
static int set_one(const struct mg_plan *p, unsigned char *owned, const char *prog, char *arg,
		   line_fn line)
{
	char *eq = strchr(arg, '='), *dev = arg + 8, *dot, err[256];
	const struct mg_plugin *pl;
	union mg_value *values;
	uint32_t i;
	int k;

	if (strncmp(arg, "devices.", 8) || !eq) {
		say(line, 1, "%s: --set %s: expected devices.DEV.PARAM=VALUE or workers=N", prog, arg);
		return -EINVAL;
	}
	dot = memchr(dev, '.', (size_t)(eq - dev));
	k = device_index(p, dev, (size_t)((dot ? dot : eq) - dev));
	if (k < 0) {
		say(line, 1, "%s: --set %s: the app has no device '%.*s'", prog, arg,
		    (int)((dot ? dot : eq) - dev), dev);
		return -EINVAL;
	}
	pl = p->devices[k].plugin;
	if (!dot) {
		say(line, 1, "%s: --set %s: implementations cannot change in a frozen program (%s is %s); "
		    "freeze the config again to change it", prog, arg, p->devices[k].name, pl->name);
		return -EINVAL;
	}
	*eq = '\0';
	for (i = 0; i < pl->nparams && strcmp(pl->params[i].name, dot + 1); i++)
		;
	if (i == pl->nparams) {
		say(line, 1, "%s: --set %s=%s: device '%s': unknown parameter '%s' for %s", prog, arg,
		    eq + 1, p->devices[k].name, dot + 1, pl->name);
		return -EINVAL;
	}
	if (!(values = own_values(p, (unsigned)k, owned))) {
		say(line, 1, "%s: out of memory", prog);
		return -ENOMEM;
	}
	if (mgr_value_from_text(&pl->params[i], eq + 1, &values[i], err, sizeof err) < 0) {
		say(line, 1, "%s: --set %s=%s: device '%s': parameter '%s': %s", prog, arg, eq + 1,
		    p->devices[k].name, dot + 1, err);
		return -EINVAL;
	}
	return 0;
}

static void help(const struct mg_plan *plan, const char *prog, line_fn line)
{
	char value[256];

	say(line, 0, "usage: %s [-v]... [--set devices.DEV.PARAM=VALUE]... [--set workers=N]", prog);
	say(line, 0, "The app \"%s\", wired at build time by mirage-freeze; -v logs more.", plan->name);
	say(line, 0, "workers = %u (processes serving it, each with its own loop; Unix only)",
	    plan->workers ? plan->workers : 1);
	say(line, 0, "Parameters may be set at boot; implementations are frozen. Devices, their");
	say(line, 0, "parameters and frozen values:");
	for (unsigned k = 0; k < plan->ndevices; k++) {
		const struct mg_plan_device *d = &plan->devices[k];

		say(line, 0, "  %s (%s)%s", d->name, d->plugin->name, d->plugin->nparams ? "" : ": none");
		for (uint32_t i = 0; i < d->plugin->nparams; i++)
			say(line, 0, "    %s = %s", d->plugin->params[i].name,
			    mgr_value_text(&d->plugin->params[i], &d->params[i], value, sizeof value));
	}
}

enum mgh_boot_result mgh_boot_args(const struct mg_plan *frozen, const char *prog, int argc,
				   char *const *argv, line_fn line, struct mgh_opts *opts)
{
	unsigned char *owned = calloc(frozen->ndevices ? frozen->ndevices : 1, 1);
	int want_help = 0, bad = !owned;

	opts->workers = frozen->workers;

	if (!owned)
		say(line, 1, "%s: out of memory", prog);
	for (int i = 0; owned && i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			opts->level = opts->level < MG_LOG_DEBUG ? opts->level + 1 : MG_LOG_DEBUG;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			want_help = 1;
		else if (!strcmp(argv[i], "--set") && i + 1 < argc && !strncmp(argv[i + 1], "workers=", 8))
			bad |= set_workers(opts, prog, argv[++i], line) < 0;
		else if (!strcmp(argv[i], "--set") && i + 1 < argc)
			bad |= set_one(frozen, owned, prog, argv[++i], line) < 0;
		else {
			say(line, 1, "%s: unexpected argument '%s' (try --help)", prog, argv[i]);
			bad = 1;
		}
	}
	free(owned);
	if (bad)
		return MGH_BOOT_ERROR;
	if (want_help) {
		help(frozen, prog, line);
		return MGH_BOOT_HELP;
	}
	return MGH_BOOT_RUN;
}

int mgh_boot_split(char *cmdline, char **argv, int max)
{
	int n = 0;
	char *p = cmdline;

	while (*p && n < max) {
		char *w;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == '"') {
			w = ++p;
			while (*p && *p != '"')
				p++;
		} else {
			w = p;
			while (*p && *p != ' ')
				p++;
		}
		if (*p)
			*p++ = '\0';
		argv[n++] = w;
	}
	return n;
}
