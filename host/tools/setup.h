/* setup.h - from command line to resolved plan, as every tool does it: the
 * plugin path (--plugin-path, MIRAGE_PLUGIN_PATH, the config's plugin_path,
 * then the plugins folder beside the tool), config loading and resolving. */
#ifndef MIRAGE_SETUP_H
#define MIRAGE_SETUP_H

#include "load/catalog.h"

struct mgt_args {
	const char *config;
	char **sets;    /* PATH=VALUE */
	size_t nsets;
	char **dirs;    /* --plugin-path */
	size_t ndirs;
	char **trust;   /* --trust NAME.pub */
	size_t ntrust;
	uint32_t target;
	int verbose;
};

struct mgt_setup {
	struct mgr_config cfg;
	struct mgl_catalog cat;
	struct mgr_resolved res;
	struct mgr_lines diag;
};

/* Takes argv[*i] (advancing *i past a value): an option every tool shares
 * (--set, --plugin-path, --trust, --target, -v), or the one positional argument
 * (a->config).  1 when taken, 0 after printing usage for -h/--help, -1
 * after printing a usage error (an unknown option, a second positional
 * argument). */
int mgt_args_take(struct mgt_args *a, int argc, char **argv, int *i, const char *prog,
		  const char *usage);
void mgt_args_free(struct mgt_args *a);

/* Adds the command-line and environment folders, then `extra`, then the
 * built-in one to cat. */
void mgt_catalog_dirs(struct mgl_catalog *cat, const struct mgt_args *a, char *const *extra,
		      size_t nextra);

/* Makes --trust's keys, then cfg's trust list (cfg may be NULL), the keys
 * cat's plugins must be signed by.  0, or -EINVAL with the reasons in diag. */
int mgt_catalog_trust(struct mgl_catalog *cat, const struct mgt_args *a,
		      const struct mgr_config *cfg, struct mgr_lines *diag);

/* Loads, resolves; 0 or -EINVAL with s->diag filled. */
int mgt_setup_load(struct mgt_setup *s, const struct mgt_args *a);
/* getenv, as the config loader takes it. */
const char *mgt_env_lookup(const char *name);
void mgt_setup_free(struct mgt_setup *s);

#endif
