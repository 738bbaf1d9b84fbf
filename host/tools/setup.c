/* setup.c - the steps shared by mirage-host's commands and mirage-freeze. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "setup.h"

static void push(char ***v, size_t *n, const char *s)
{
	*v = mgr_xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = mgr_strdup(s);
}

int mgt_args_take(struct mgt_args *a, int argc, char **argv, int *i, const char *prog,
		  const char *usage)
{
	const char *opt = argv[*i];
	const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
	int takes = !strcmp(opt, "--set") || !strcmp(opt, "--plugin-path") || !strcmp(opt, "--target") ||
		    !strcmp(opt, "--trust");

	if (!strcmp(opt, "-v") || !strcmp(opt, "--verbose")) {
		a->verbose++;
		return 1;
	}
	if (!strcmp(opt, "-vv")) {
		a->verbose += 2;
		return 1;
	}
	if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!takes && (opt[0] == '-' || a->config)) {
		fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", prog, opt);
		return -1;
	}
	if (!takes) {
		a->config = opt;
		return 1;
	}
	if (!val) {
		fprintf(stderr, "%s: %s needs a value (try --help)\n", prog, opt);
		return -1;
	}
	(*i)++;
	if (!strcmp(opt, "--set")) {
		if (!strchr(val, '=')) {
			fprintf(stderr, "%s: --set %s: expected PATH=VALUE, e.g. --set devices.fs.root=/srv\n",
				prog, val);
			return -1;
		}
		push(&a->sets, &a->nsets, val);
	} else if (!strcmp(opt, "--plugin-path")) {
		push(&a->dirs, &a->ndirs, val);
	} else if (!strcmp(opt, "--trust")) {
		push(&a->trust, &a->ntrust, val);
	} else if (!strcmp(val, "unix") || !strcmp(val, "xen")) {
		a->target = !strcmp(val, "xen") ? MG_TARGET_XEN : MG_TARGET_UNIX;
	} else {
		fprintf(stderr, "%s: --target %s: expected unix or xen\n", prog, val);
		return -1;
	}
	return 1;
}

void mgt_args_free(struct mgt_args *a)
{
	for (size_t i = 0; i < a->nsets; i++)
		free(a->sets[i]);
	for (size_t i = 0; i < a->ndirs; i++)
		free(a->dirs[i]);
	for (size_t i = 0; i < a->ntrust; i++)
		free(a->trust[i]);
	free(a->sets);
	free(a->dirs);
	free(a->trust);
}

/* build/bin/TOOL -> build/plugins: the tree's own plugins need no flag. */
static char *builtin_dir(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return mgr_strf("%s/../plugins", exe);
}

void mgt_catalog_dirs(struct mgl_catalog *cat, const struct mgt_args *a, char *const *extra,
		      size_t nextra)
{
	const char *env = getenv("MIRAGE_PLUGIN_PATH");
	char *builtin = builtin_dir();

	for (size_t i = 0; i < a->ndirs; i++)
		mgl_catalog_add_dir(cat, a->dirs[i]);
	while (env && *env) {
		size_t len = strcspn(env, ":");
		char *dir = mgr_strf("%.*s", (int)len, env);

		if (len)
			mgl_catalog_add_dir(cat, dir);
		free(dir);
		env += len + (env[len] == ':');
	}
	for (size_t i = 0; i < nextra; i++)
		mgl_catalog_add_dir(cat, extra[i]);
	if (builtin)
		mgl_catalog_add_dir(cat, builtin);
	free(builtin);
}

int mgt_catalog_trust(struct mgl_catalog *cat, const struct mgt_args *a,
		      const struct mgr_config *cfg, struct mgr_lines *diag)
{
	struct mgl_keyring ring = { 0 };
	char why[1024];
	int rc = 0;

	for (size_t i = 0; i < a->ntrust; i++)
		if (mgl_keyring_add(&ring, a->trust[i], why, sizeof why) < 0) {
			mgr_diag_add(diag, NULL, 0, "--trust %s", why);
			rc = -EINVAL;
		}
	for (size_t i = 0; cfg && i < cfg->ntrust; i++)
		if (mgl_keyring_add(&ring, cfg->trust[i].path, why, sizeof why) < 0) {
			mgr_diag_add(diag, cfg->file, cfg->trust[i].line, "trust: %s", why);
			rc = -EINVAL;
		}
	/* a key that cannot be read keeps the keys as they were: a config
	 * re-read with a typo must not end the checks */
	if (rc < 0) {
		mgl_keyring_free(&ring);
		return rc;
	}
	mgl_keyring_free(&cat->trust);
	cat->trust = ring;
	return 0;
}

const char *mgt_env_lookup(const char *name)
{
	return getenv(name);
}

int mgt_setup_load(struct mgt_setup *s, const struct mgt_args *a)
{
	memset(s, 0, sizeof *s);
	mgl_catalog_init(&s->cat);
	s->cat.target = a->target ? a->target : MG_TARGET_UNIX;
	if (mgr_config_load(&s->cfg, a->config, a->sets, a->nsets, mgt_env_lookup,
			    a->target ? a->target : MG_TARGET_UNIX, &s->diag) < 0)
		return -EINVAL;
	mgt_catalog_dirs(&s->cat, a, s->cfg.plugin_path, s->cfg.npath);
	if (mgt_catalog_trust(&s->cat, a, &s->cfg, &s->diag) < 0)
		return -EINVAL;
	return mgr_resolve(&s->cfg, &s->cat.base, a->target ? a->target : MG_TARGET_UNIX, &s->res,
			   &s->diag);
}

void mgt_setup_free(struct mgt_setup *s)
{
	mgr_resolved_free(&s->res);
	mgr_config_free(&s->cfg);
	mgl_catalog_free(&s->cat);
	mgr_lines_free(&s->diag);
}
