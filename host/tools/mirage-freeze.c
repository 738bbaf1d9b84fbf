/* freeze.c - mirage-freeze: the config evaluated at build time.  Runs the
 * host's resolver, writes the wiring as C, and links it with each plugin's
 * pre-linked object and the runtime of the target into one program. */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load/elfread.h"
#include "setup.h"
#include "resolve/types.h"
#include "wiring.h"
#include "xl.h"

extern char **environ;

static const char usage[] =
	"usage: mirage-freeze APP.cfg [--target unix|xen] -o OUT [OPTION]...\n"
	"\n"
	"Resolves APP.cfg exactly as mirage-host does, then links the plugins it names\n"
	"statically into one program (unix) or one PVH image (xen) that boots on Xen\n"
	"(`xl create OUT.xl`, written beside it) and on any PVH loader, such as\n"
	"qemu-system-x86_64 -kernel OUT.\n"
	"\n"
	"options:\n"
	"  -o OUT               the program to write\n"
	"  --target unix|xen    what to build for (default unix)\n"
	"  --emit-c FILE        also write the generated wiring C to FILE\n"
	"  --set PATH=VALUE     override a config value, as mirage-host --set\n"
	"  --plugin-path DIR    search DIR for NAME.so first (repeatable)\n"
	"  --trust NAME.pub     link only plugins signed by this key, NAME.so and\n"
	"                       NAME.TARGET.o alike (repeatable); the config's\n"
	"                       trust = [ \"NAME.pub\" ] adds keys\n"
	"  -q, --quiet          no size report\n"
	"  -v, -vv              the program logs more (info, debug)\n"
	"  -h, --help           this text\n"
	"\n"
	"A plugin NAME.so is frozen from NAME.TARGET.o beside it: a relocatable object\n"
	"whose only global symbol is the descriptor (see abi/README.md).\n";

struct freeze {
	struct mgt_setup s;
	const char *target;  /* "unix" or "xen" */
	int verbose;         /* -v: the program logs more */
	char *root;          /* the folder holding bin/, include/, lib/ */
	char *tmp;           /* work folder, removed at the end */
	struct mgr_lines cmd; /* the link command, one word a line */
	struct mgr_lines objs;
};

static char *root_dir(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n <= 0)
		return mgr_strdup("..");
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	return mgr_strf("%s/..", exe);
}

/* Adds the whitespace-separated words of text[0, len). */
static void words_of(struct mgr_lines *v, const unsigned char *text, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = 0;
		char *w;

		while (i < len && strchr(" \t\r\n", text[i]) && text[i])
			i++;
		while (i + n < len && !strchr(" \t\r\n", text[i + n]))
			n++;
		if (!n)
			break;
		w = mgr_strf("%.*s", (int)n, (const char *)text + i);
		mgr_lines_push(v, w);
		free(w);
		i += n;
	}
}

/* Adds the whitespace-separated words of file (absent: nothing). */
static void words_from(struct mgr_lines *v, const char *file)
{
	unsigned char *text;
	size_t len;

	if (mgl_read_file(file, &text, &len) == 0)
		words_of(v, text, len);
	free(text);
}

/* Runs argv in dir; 0 when it exited 0. */
static int run(struct mgr_lines *argv, const char *dir)
{
	posix_spawn_file_actions_t fa;
	char **args = mgr_xalloc((argv->n + 1) * sizeof *args);
	pid_t pid;
	int status = -1, rc;

	memcpy(args, argv->lines, argv->n * sizeof *args);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	rc = posix_spawnp(&pid, args[0], &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(args);
	if (rc) {
		fprintf(stderr, "mirage-freeze: cannot run %s: %s\n", argv->lines[0], strerror(rc));
		return -rc;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno; /* SIGCHLD ignored: the child was reaped for us */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

struct globals {
	const char *path;
	int bad;
};

static void check_global(void *arg, const char *name)
{
	struct globals *g = arg;

	if (strcmp(name, MG_PLUGIN_SYMBOL) && strncmp(name, "__odr_asan", 10)) {
		if (!g->bad)
			fprintf(stderr, "mirage-freeze: %s: global symbol '%s' besides the descriptor: pre-link it with ld -r and objcopy --keep-global-symbol=%s\n",
				g->path, name, MG_PLUGIN_SYMBOL);
		g->bad = 1;
	}
}

/* Writes bytes to a new file at path; 0 or a negative errno. */
static int write_bytes(const char *path, const unsigned char *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (!f)
		return -errno;
	rc = fwrite(bytes, 1, len, f) == len ? 0 : -EIO;
	if (fclose(f) != 0)
		rc = -EIO;
	return rc;
}

/* The plugin object at obj, read once: its signature checked against the
 * bytes read (when keys are trusted), those bytes written to in (in the
 * work folder, where the tools take them from), its libraries added to
 * libwords.  0, or -EINVAL after a message. */
static int take_object(struct freeze *fz, unsigned k, const char *obj, const char *in,
		       struct mgr_lines *libwords)
{
	unsigned char *bytes = NULL, *libs = NULL;
	size_t len = 0, libs_len = 0;
	struct mgl_sig sig;
	char why[1024];
	int rc = mgl_read_file(obj, &bytes, &len);

	if (rc == 0)
		rc = mgl_read_libs(obj, &libs, &libs_len);
	if (rc < 0)
		snprintf(why, sizeof why, "%s", strerror(-rc));
	if (rc == 0 && fz->s.cat.trust.n) {
		mgl_sig_check(obj, bytes, len, libs, libs_len, &sig);
		if (mgl_sig_trusted(&sig, &fz->s.cat.trust, why, sizeof why) < 0)
			rc = -EPERM;
	}
	if (rc == 0 && (rc = write_bytes(in, bytes, len)) < 0)
		snprintf(why, sizeof why, "cannot copy it into the work folder: %s", strerror(-rc));
	if (rc < 0)
		mgr_diag_add(&fz->s.diag, fz->s.cfg.file, fz->s.res.info[k].line, "device '%s': %s: %s%s",
			     fz->s.res.plan.devices[k].name, obj, rc == -EPERM ? "refused: " : "", why);
	else
		words_of(libwords, libs, libs_len);
	free(libs);
	free(bytes);
	return rc < 0 ? -EINVAL : 0;
}

/* Copies device k's plugin object into tmp with its descriptor renamed, and
 * adds it and its libraries to the link.  0, or -EINVAL after a message. */
static int add_plugin(struct freeze *fz, unsigned k)
{
	const struct mg_plan_device *d = &fz->s.res.plan.devices[k];
	const struct mgl_plugin *lp = mgl_lookup(&fz->s.cat, d->plugin);
	char *dir = mgr_strf("%.*s", (int)(strrchr(lp->path, '/') - lp->path), lp->path);
	/* absolute: the tools run in the temporary folder */
	char *base = realpath(dir, NULL) ? : mgr_strdup(dir);
	char *obj = mgr_strf("%s/%s.%s.o", base, d->plugin->name, fz->target);
	char *in = mgr_strf("%s/%s.o.in", fz->tmp, d->plugin->name); /* no plugin's copy */
	char *copy = mgr_strf("%s.o", d->plugin->name);
	char sym[256], *redefine;
	struct globals g = { obj, 0 };
	struct mgr_lines oc = { 0 }, libwords = { 0 };
	int rc = 0;

	mgt_descriptor_symbol(d->plugin->name, sym, sizeof sym);
	redefine = mgr_strf("%s=%s", MG_PLUGIN_SYMBOL, sym);
	if (access(obj, R_OK) < 0) {
		mgr_diag_add(&fz->s.diag, fz->s.cfg.file, fz->s.res.info[k].line,
			     "device '%s': plugin '%s' has no object for target %s: expected %s (see abi/README.md, \"Freezing\")",
			     d->name, d->plugin->name, fz->target, obj);
		rc = -EINVAL;
	} else if ((rc = take_object(fz, k, obj, in, &libwords)) < 0) {
		/* said */
	} else if (mgl_elf_globals(in, check_global, &g) < 0 || g.bad) {
		rc = -EINVAL;
	} else {
		mgr_lines_push(&oc, "objcopy");
		mgr_lines_push(&oc, "--redefine-sym");
		mgr_lines_push(&oc, redefine);
		mgr_lines_push(&oc, in);
		mgr_lines_push(&oc, copy);
		rc = run(&oc, fz->tmp);
		mgr_lines_push(&fz->objs, copy);
		for (size_t i = 0; i < libwords.n; i++)
			mgr_lines_push(&fz->objs, libwords.lines[i]);
	}
	mgr_lines_free(&libwords);
	mgr_lines_free(&oc);
	free(redefine);
	free(copy);
	free(in);
	free(obj);
	free(base);
	free(dir);
	return rc;
}

static void size_line(const char *what, const struct mgl_sizes *sz)
{
	printf("  %-24s %9llu %9llu %9llu\n", what, (unsigned long long)sz->text,
	       (unsigned long long)sz->data, (unsigned long long)sz->bss);
}

/* What each plugin and the runtime weigh, then the whole output. */
static void size_report(struct freeze *fz, const char *out)
{
	const struct mg_plan *plan = &fz->s.res.plan;
	struct mgl_sizes one, all, plugins = { 0, 0, 0 };
	struct stat st;

	printf("%s: %s image of \"%s\"\n  %-24s %9s %9s %9s\n", out, fz->target, plan->name, "",
	       "text", "data", "bss");
	for (unsigned k = 0; k < plan->ndevices; k++) {
		const char *name = plan->devices[k].plugin->name;
		char *obj = mgr_strf("%s/%s.o", fz->tmp, name);

		if (mgr_plan_first_use(plan, k) && mgl_elf_sizes(obj, &one) == 0) {
			size_line(name, &one);
			plugins.text += one.text;
			plugins.data += one.data;
			plugins.bss += one.bss;
		}
		free(obj);
	}
	if (mgl_elf_sizes(out, &all) == 0) {
		one = (struct mgl_sizes){ all.text - plugins.text, all.data - plugins.data,
					  all.bss - plugins.bss };
		size_line("(runtime, wiring, libc)", &one);
		size_line("total", &all);
	}
	if (stat(out, &st) == 0)
		printf("  file size: %lld bytes\n", (long long)st.st_size);
}

static int write_wiring(struct freeze *fz, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "mirage-freeze: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	mgt_write_wiring(&fz->s.res, MG_LOG_WARN + (fz->verbose > 2 ? 2 : fz->verbose), f);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* cc [target cflags] -I include -o OUT wiring.c plugins... runtime [ldflags] */
static int link_output(struct freeze *fz, const char *out)
{
	char *lib = mgr_strf("%s/lib/%s", fz->root, fz->target);
	char *file = mgr_strf("%s/cflags", lib);
	char *inc = mgr_strf("-I%s/include", fz->root);
	char *rt = mgr_strf("%s/libmirage-rt.a", lib);
	const char *cc = getenv("CC");
	int rc;

	mgr_lines_push(&fz->cmd, cc && *cc ? cc : "cc");
	words_from(&fz->cmd, file);
	mgr_lines_push(&fz->cmd, inc);
	mgr_lines_push(&fz->cmd, "-o");
	mgr_lines_push(&fz->cmd, out);
	mgr_lines_push(&fz->cmd, "wiring.c");
	for (size_t i = 0; i < fz->objs.n; i++)
		mgr_lines_push(&fz->cmd, fz->objs.lines[i]);
	mgr_lines_push(&fz->cmd, rt);
	free(file);
	file = mgr_strf("%s/ldflags", lib);
	words_from(&fz->cmd, file);
	rc = access(rt, R_OK) == 0 ? run(&fz->cmd, fz->tmp) : -ENOENT;
	if (rc == -ENOENT)
		fprintf(stderr, "mirage-freeze: no runtime for target %s: expected %s (run make)\n",
			fz->target, rt);
	else if (rc < 0)
		fprintf(stderr, "mirage-freeze: linking %s failed (the compiler's messages are above)\n",
			out);
	free(file);
	free(inc);
	free(rt);
	free(lib);
	return rc;
}

static void remove_tmp(const char *dir)
{
	struct mgr_lines rm = { 0 };

	mgr_lines_push(&rm, "rm");
	mgr_lines_push(&rm, "-rf");
	mgr_lines_push(&rm, dir);
	run(&rm, "/");
	mgr_lines_free(&rm);
}

/* OUT made absolute: the link runs in the work folder. */
static char *absolute(const char *path)
{
	char cwd[4096];

	if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
		return mgr_strdup(path);
	return mgr_strf("%s/%s", cwd, path);
}

/* Two plugins whose names differ only in punctuation ("a.b", "a_b") would
 * get the same descriptor symbol. */
static int distinct_symbols(struct freeze *fz)
{
	const struct mg_plan *plan = &fz->s.res.plan;
	char a[256], b[256];

	for (unsigned k = 0; k < plan->ndevices; k++) {
		mgt_descriptor_symbol(plan->devices[k].plugin->name, a, sizeof a);
		for (unsigned j = 0; j < k; j++) {
			mgt_descriptor_symbol(plan->devices[j].plugin->name, b, sizeof b);
			if (plan->devices[j].plugin != plan->devices[k].plugin && !strcmp(a, b)) {
				fprintf(stderr, "mirage-freeze: plugins '%s' and '%s' would both be linked as %s: rename one\n",
					plan->devices[j].plugin->name, plan->devices[k].plugin->name, a);
				return -EEXIST;
			}
		}
	}
	return 0;
}

/* The xl config that starts the image: `xl create OUT.xl`. */
static int write_xl(struct freeze *fz, const char *out)
{
	char *path = mgr_strf("%s.xl", out);
	FILE *f = fopen(path, "w");
	int rc;

	if (!f) {
		fprintf(stderr, "mirage-freeze: %s: %s\n", path, strerror(errno));
		rc = -errno;
	} else {
		rc = mgt_write_xl(&fz->s.res, out, f, &fz->s.diag);
		if (fclose(f) != 0 && rc == 0)
			rc = -EIO;
		if (rc < 0)
			unlink(path);
	}
	free(path);
	return rc;
}

static int freeze(struct freeze *fz, const char *out_arg, const char *emit_c, int quiet)
{
	char tmpl[] = "/tmp/mirage-freeze-XXXXXX";
	char *out = absolute(out_arg), *wiring;
	int rc = 0;

	fz->tmp = mkdtemp(tmpl);
	if (!fz->tmp) {
		fprintf(stderr, "mirage-freeze: cannot make a work folder: %s\n", strerror(errno));
		free(out);
		return 1;
	}
	rc = distinct_symbols(fz);
	for (unsigned k = 0; k < fz->s.res.plan.ndevices && rc == 0; k++)
		if (mgr_plan_first_use(&fz->s.res.plan, k))
			rc = add_plugin(fz, k);
	wiring = mgr_strf("%s/wiring.c", fz->tmp);
	if (rc == 0)
		rc = write_wiring(fz, wiring);
	if (rc == 0 && emit_c)
		rc = write_wiring(fz, emit_c);
	if (rc == 0)
		rc = link_output(fz, out);
	if (rc == 0 && !strcmp(fz->target, "xen"))
		rc = write_xl(fz, out);
	if (rc == 0 && !quiet)
		size_report(fz, out);
	mgr_lines_print(&fz->s.diag, stderr);
	remove_tmp(fz->tmp);
	free(wiring);
	free(out);
	return rc < 0;
}

int main(int argc, char **argv)
{
	struct freeze fz = { .target = "unix" };
	struct mgt_args a = { 0 };
	const char *out = NULL, *emit_c = NULL;
	int quiet = 0, status;

	for (int i = 1; i < argc; i++) {
		int took;

		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--emit-c")) && i + 1 < argc) {
			*(argv[i][1] == 'o' ? &out : &emit_c) = argv[i + 1];
			i++;
			continue;
		}
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			quiet = 1;
			continue;
		}
		took = mgt_args_take(&a, argc, argv, &i, "mirage-freeze", usage);
		if (took <= 0) {
			mgt_args_free(&a);
			return took ? 2 : 0;
		}
	}
	if (!a.config || !out) {
		fprintf(stderr, "mirage-freeze: %s (try --help)\n",
			!a.config ? "missing APP.cfg" : "missing -o OUT");
		goto usage_error;
	}
	/* children are waited for: an inherited SIG_IGN would reap them first */
	signal(SIGCHLD, SIG_DFL);
	fz.target = mgr_target_name(a.target ? a.target : MG_TARGET_UNIX);
	if (mgt_setup_load(&fz.s, &a) < 0) {
		mgr_lines_print(&fz.s.diag, stderr);
		status = 1;
	} else {
		fz.root = root_dir();
		fz.verbose = a.verbose;
		status = freeze(&fz, out, emit_c, quiet);
	}
	mgt_setup_free(&fz.s);
	mgr_lines_free(&fz.cmd);
	mgr_lines_free(&fz.objs);
	free(fz.root);
	mgt_args_free(&a);
	return status;
usage_error:
	mgt_args_free(&a);
	return 2;
}
