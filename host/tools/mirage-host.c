/* main.c - mirage-host: load plugins, type-check and wire them from a
 * config, and run the app on Unix. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "fanout.h"
#include "resolve/describe.h"
#include "fault.h"
#include "ffistart.h"
#include "resolve/types.h"
#include "watch.h"

static const char usage[] =
	"usage: mirage-host [run] APP.cfg [OPTION]...     run the app\n"
	"       mirage-host check APP.cfg [OPTION]...     resolve only: report every error\n"
	"       mirage-host describe APP.cfg [--dot] [OPTION]...\n"
	"                                                 print the wiring (Graphviz with --dot)\n"
	"       mirage-host inspect [PLUGIN|FILE.so] [--plugin-path DIR]... [--trust NAME.pub]...\n"
	"                                                 list plugins, or show one's descriptor\n"
	"                                                 and signature\n"
	"       mirage-host ctl SOCKET COMMAND...         control an app run with --control\n"
	"\n"
	"options:\n"
	"  --set PATH=VALUE     override a config value: devices.DEV.PARAM, devices.DEV.impl,\n"
	"                       devices.DEV.deps.SLOT, name (repeatable); devices.DEV=IMPL\n"
	"                       gives DEV another implementation without the old parameters\n"
	"  --plugin-path DIR    search DIR for NAME.so first (repeatable); MIRAGE_PLUGIN_PATH\n"
	"                       (colon-separated) comes next, then the config's plugin_path,\n"
	"                       then the plugins folder beside this program\n"
	"  --trust NAME.pub     load only plugins signed by this key (repeatable; mirage-sign\n"
	"                       signs them); the config's trust = [ \"NAME.pub\" ] adds keys\n"
	"  --target unix|xen    check or describe for a target (run is unix only)\n"
	"  -v, -vv              log more (info, debug) on stderr\n"
	"  --watch              run: re-read the config when it is saved, load a plugin again\n"
	"                       when it is rebuilt; only what changed is re-connected\n"
	"  --control SOCKET     run: take commands from mirage-host ctl SOCKET\n"
	"  --grace-ms N         run: how long a replaced device may finish its work (30000)\n"
	"  --set workers=N      run: N processes serve the app, each with its own loop (the\n"
	"                       config's workers = N;); --control and --watch reach them all\n"
	"  -h, --help           this text\n"
	"\n"
	"Config strings may use ${VAR} and ${VAR:-default} from the environment.\n"
	"Exit status: 0 on success, 1 when the config or the app failed, 2 on usage errors.\n";

enum cmd { CMD_RUN, CMD_CHECK, CMD_DESCRIBE, CMD_INSPECT };

/* Whether the bytes loaded were signed, and by whom. */
static const char *signed_text(const struct mgl_plugin *lp, char *buf, size_t cap)
{
	if (lp->sig.state == MGL_SIGNED)
		snprintf(buf, cap, "by key %s", lp->sig.signer);
	else
		snprintf(buf, cap, "%s%s%s", lp->sig.state == MGL_UNSIGNED ? "no (" : "no, bad signature: ",
			 lp->sig.why, lp->sig.state == MGL_UNSIGNED ? ")" : "");
	return buf;
}

static void list_one(void *arg, const char *name, const char *path)
{
	struct mgl_catalog *cat = arg;
	const struct mgl_plugin *lp;
	char err[1024], sig[700];

	if (mgl_load_file(cat, path, &lp, err, sizeof err) < 0 ||
	    mgr_plugin_check(lp->desc, err, sizeof err) < 0)
		printf("%-18s (unusable: %s)\n", name, err);
	else
		printf("%-18s %-8s %s [%s%s]\n", name, lp->desc->provides.name,
		       lp->desc->summary ? lp->desc->summary : "",
		       lp->sig.state == MGL_SIGNED ? "signed " : "",
		       lp->sig.state == MGL_SIGNED ? signed_text(lp, sig, sizeof sig) :
		       lp->sig.state == MGL_UNSIGNED ? "unsigned" : "bad signature");
}

static int cmd_inspect(const struct mgt_args *a, const char *what)
{
	struct mgl_catalog cat;
	const struct mgl_plugin *lp = NULL;
	const struct mg_plugin *p = NULL;
	char err[1024], sig[700];
	struct mgr_lines diag = { 0 };
	int rc = 0;

	mgl_catalog_init(&cat);
	cat.target = a->target ? a->target : MG_TARGET_UNIX;
	mgt_catalog_dirs(&cat, a, NULL, 0);
	if (mgt_catalog_trust(&cat, a, NULL, &diag) < 0) {
		mgr_lines_print(&diag, stderr);
		rc = -EINVAL;
	} else if (!what) {
		mgl_each_file(&cat, list_one, &cat);
	} else {
		if (strchr(what, '/'))
			rc = mgl_load_file(&cat, what, &lp, err, sizeof err);
		else if ((rc = cat.base.find(&cat.base, what, &p, err, sizeof err)) == -ENOENT)
			snprintf(err, sizeof err, "no plugin '%s' on the plugin path", what);
		if (rc == 0) {
			p = lp ? lp->desc : p;
			lp = mgl_lookup(&cat, p);
			rc = mgr_plugin_check(p, err, sizeof err);
		}
		if (rc == 0)
			mgr_describe_plugin(p, lp ? lp->path : NULL, stdout);
		if (rc == 0 && lp)
			printf("  signed:   %s\n", signed_text(lp, sig, sizeof sig));
		else if (rc < 0)
			fprintf(stderr, "mirage-host: inspect: %s\n", err);
	}
	mgr_lines_free(&diag);
	mgl_catalog_free(&cat);
	return rc < 0;
}

/* run: the app as a session, so that --watch and --control can change it. */
/* What only run takes. */
struct run_args {
	int watch;
	const char *control;
	unsigned grace_ms;

	unsigned workers;
};

/* One process serving the app; worker i of r->workers (0: the only one). */
static int run_one(const struct mgt_args *a, const struct run_args *r, unsigned i)
{
	char *prog = i ? mgr_strf("mirage-host (worker %u)", i) : NULL;
	struct mgh_opts opts = { .level = MG_LOG_WARN + (a->verbose > 2 ? 2 : a->verbose),
				 .start = mgt_ffi_start, .target = "unix",
				 .prog = prog ? prog : "mirage-host", .stay = r->watch || r->control,
				 .grace_ms = r->grace_ms, .workers = r->workers };
	struct mgt_watcher *watcher = NULL;
	struct mgt_control *ctl = NULL;
	char *control = r->control && i ? mgt_fanout_worker_path(r->control, i) : NULL;
	struct mgt_session s;
	int status = 1;

	fflush(stdout);
	mgt_fault_install();
	if (mgt_session_open(&s, a, &opts) == 0 &&
	    (!r->watch || mgt_watch_start(&s, &watcher) == 0) &&
	    (!r->control || mgt_control_start(&s, control ? control : r->control, &ctl) == 0))
		status = mgh_rt_run(s.rt);
	mgt_control_stop(ctl);
	mgt_watch_stop(watcher);
	mgt_session_close(&s);
	free(control);
	free(prog);
	return status;
}

struct worker_args {
	const struct mgt_args *a;
	const struct run_args *r;
};

static int run_worker(void *arg, unsigned i)
{
	const struct worker_args *wa = arg;

	return run_one(wa->a, wa->r, i);
}

/* The config's workers, with --set workers=N; 1 when the config does not
 * load (the run then says why). */
static unsigned workers_of(const struct mgt_args *a)
{
	struct mgr_lines diag = { 0 };
	struct mgr_config cfg;
	unsigned n = mgr_config_load(&cfg, a->config, a->sets, a->nsets, mgt_env_lookup, MG_TARGET_UNIX,
				     &diag) == 0 ? cfg.workers : 1;

	mgr_config_free(&cfg);
	mgr_lines_free(&diag);
	return n;
}

static int cmd_run(const struct mgt_args *a, struct run_args *r)
{
	struct worker_args wa = { a, r };
	struct mgt_fanout *fan = NULL;
	struct mgh_workers *w;
	int status;

	r->workers = workers_of(a);
	if (r->workers <= 1)
		return run_one(a, r, 0);
	w = mgh_workers_start(r->workers, "mirage-host", run_worker, &wa);
	if (!w)
		return 1;
	if (r->control && mgt_fanout_start(r->control, w, &fan) < 0)
		kill(getpid(), SIGTERM); /* the workers stop, as a run that cannot listen does */
	status = mgh_workers_wait(w, fan ? mgt_fanout_fd(fan) : -1, mgt_fanout_serve, fan);
	mgt_fanout_stop(fan);
	return status;
}

static int cmd_config(enum cmd cmd, const struct mgt_args *a, int dot)
{
	struct mgt_setup s;

	if (mgt_setup_load(&s, a) < 0) {
		mgr_lines_print(&s.diag, stderr);
		mgt_setup_free(&s);
		return 1;
	}
	if (cmd == CMD_CHECK)
		printf("%s: ok: %u devices, %u jobs\n", a->config, s.res.plan.ndevices,
		       s.res.plan.njobs);
	else if (dot)
		mgr_describe_dot(&s.res, stdout);
	else
		mgr_describe_text(&s.res, stdout);
	mgt_setup_free(&s);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "run", "check", "describe", "inspect" };
	struct mgt_args a = { 0 };
	enum cmd cmd = CMD_RUN;
	struct run_args run = { .grace_ms = 30000 };
	int first = 1, dot = 0, status;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return mgt_ctl_main(argc - 1, argv + 1);

	for (unsigned c = 0; argc > 1 && c < MG_COUNTOF(names); c++)
		if (!strcmp(argv[1], names[c])) {
			cmd = (enum cmd)c;
			first = 2;
		}
	for (int i = first; i < argc; i++) {
		int took;

		if (!strcmp(argv[i], "--dot") && cmd == CMD_DESCRIBE) {
			dot = 1;
			continue;
		}
		if (!strcmp(argv[i], "--watch") && cmd == CMD_RUN) {
			run.watch = 1;
			continue;
		}
		if (!strcmp(argv[i], "--control") && cmd == CMD_RUN && i + 1 < argc) {
			run.control = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--grace-ms") && cmd == CMD_RUN && i + 1 < argc) {
			char *end;
			unsigned long ms = strtoul(argv[++i], &end, 10);

			if (*end || !*argv[i] || ms > 3600000) {
				fprintf(stderr, "mirage-host: --grace-ms %s: expected milliseconds, 0 to 3600000\n",
					argv[i]);
				goto usage_error;
			}
			run.grace_ms = (unsigned)ms;
			continue;
		}
		took = mgt_args_take(&a, argc, argv, &i, "mirage-host", usage);
		if (took <= 0) {
			mgt_args_free(&a);
			return took ? 2 : 0;
		}
	}
	if (cmd == CMD_RUN && a.target == MG_TARGET_XEN) {
		fprintf(stderr, "mirage-host: run: target xen needs mirage-freeze --target xen\n");
		goto usage_error;
	}
	if (cmd == CMD_INSPECT) {
		status = cmd_inspect(&a, a.config); /* the positional names a plugin here */
	} else if (!a.config) {
		fprintf(stderr, "mirage-host: %s: missing APP.cfg (try --help)\n", names[cmd]);
		goto usage_error;
	} else if (cmd == CMD_RUN) {
		status = cmd_run(&a, &run);
	} else {
		status = cmd_config(cmd, &a, dot);
	}
	mgt_args_free(&a);
	return status;
usage_error:
	mgt_args_free(&a);
	return 2;
}
