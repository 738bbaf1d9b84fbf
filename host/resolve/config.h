/* config.h - an app config as read from its file: devices, implementation
 * names, raw parameter values and wiring, each with its line.  Values are
 * not checked against plugins here (that is the resolver's job); `${VAR}`
 * and `${VAR:-default}` are already expanded and --set overrides applied. */
#ifndef MIRAGE_CONFIG_H
#define MIRAGE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum mgr_vkind { MGR_V_STRING, MGR_V_INT, MGR_V_BOOL, MGR_V_FLOAT, MGR_V_LIST };

struct mgr_value {
	char *key;
	enum mgr_vkind kind;
	char *text;   /* the value as text (STRING: expanded content) */
	int64_t i;    /* INT */
	int b;        /* BOOL */
	int line;
	int from_set; /* given by --set */
};

struct mgr_dep {
	char *slot;
	char *device;
	int line;
};

struct mgr_devcfg {
	char *name;
	char *impl;
	int line;      /* the device's group */
	int impl_line;
	struct mgr_value *params;
	size_t nparams;
	struct mgr_dep *deps;
	size_t ndeps;
};

/* A trusted key's file, as the config names it (read by the tools). */
struct mgr_keyref {
	char *path; /* absolute or relative to the current directory */
	int line;
};

struct mgr_config {
	char *file;   /* as given: prefixes every message */
	char *dir;    /* the file's folder, for relative paths */
	char *name;
	char **plugin_path; /* absolute or relative to the current directory */
	size_t npath;
	struct mgr_keyref *trust; /* trust = [ "keys/release.pub" ]: plugins must be signed */
	size_t ntrust;
	struct mgr_devcfg *devs;
	size_t ndevs;
	unsigned workers;   /* workers = N; (Unix: N processes serve the app), 1 by default */
};

#define MGR_WORKERS_MAX 64

/* Looks up an environment variable; getenv in the tools, a table in tests. */
typedef const char *(*mgr_getenv_fn)(const char *name);

/* Reads `file` for `target` (MG_TARGET_UNIX or _XEN: what when.target
 * matches), expands variables with getenv_fn and applies the --set
 * overrides ("devices.fs.root=/srv").  Returns 0, or -EINVAL after adding
 * every problem to diag. */
int mgr_config_load(struct mgr_config *cfg, const char *file,
		    char *const *sets, size_t nsets, mgr_getenv_fn getenv_fn,
		    uint32_t target, struct mgr_lines *diag);
void mgr_config_free(struct mgr_config *cfg);

const struct mgr_devcfg *mgr_config_device(const struct mgr_config *cfg,
					   const char *name);

#endif
