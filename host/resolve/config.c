/* config.c - libconfig file -> struct mgr_config.  Reports each problem
 * with the file and line it was found at, and keeps going so that one run
 * shows them all. */
#include <errno.h>
#include <libconfig.h>
#include <mirage/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

struct loader {
	struct mgr_config *cfg;
	struct mgr_lines *diag;
	mgr_getenv_fn getenv_fn;
	const char *target; /* "unix" or "xen": what when.target matches */
};

static const char *const top_keys[] = { "name", "plugin_path", "trust", "devices", "when", "workers" };

static int is_var_char(char c, int first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/* Expands ${VAR}, ${VAR:-default} and $$ in s.  NULL after a diag. */
static char *expand(struct loader *ld, const char *s, int line)
{
	size_t cap = strlen(s) + 1, n = 0;
	char *out = mgr_xalloc(cap);

	for (const char *p = s; *p;) {
		const char *piece = p;
		size_t len = 1;
		char *owned = NULL;

		if (p[0] == '$' && p[1] == '$') {
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *name = p + 2, *end = name, *close, *def = NULL;
			const char *val;

			while (is_var_char(*end, end == name))
				end++;
			close = strchr(end, '}');
			if (end == name || !close || (end != close && strncmp(end, ":-", 2))) {
				mgr_diag_add(ld->diag, ld->cfg->file, line,
					     "bad variable reference in \"%s\": expected ${NAME} or ${NAME:-default}",
					     s);
				free(out);
				return NULL;
			}
			if (end != close)
				def = end + 2;
			owned = mgr_strf("%.*s", (int)(end - name), name);
			val = ld->getenv_fn(owned);
			if (!val && !def) {
				mgr_diag_add(ld->diag, ld->cfg->file, line,
					     "environment variable %s is not set and \"%s\" gives no default (write ${%s:-default})",
					     owned, s, owned);
				free(owned);
				free(out);
				return NULL;
			}
			free(owned);
			owned = val ? mgr_strdup(val) : mgr_strf("%.*s", (int)(close - def), def);
			piece = owned;
			len = strlen(owned);
			p = close + 1;
		} else {
			p++;
		}
		if (n + len + 1 > cap) {
			cap = (n + len + 1) * 2;
			out = mgr_xrealloc(out, cap);
		}
		memcpy(out + n, piece, len);
		n += len;
		free(owned);
	}
	out[n] = '\0';
	return out;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a float";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	default: return "nothing";
	}
}

/* A scalar setting -> value.  -EINVAL after a diag (bad ${...}). */
static int read_value(struct loader *ld, const config_setting_t *s, struct mgr_value *v)
{
	v->key = mgr_strdup(config_setting_name(s));
	v->line = config_setting_source_line(s);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v->kind = MGR_V_INT;
		v->i = config_setting_get_int64(s);
		v->text = mgr_strf("%lld", (long long)v->i);
		return 0;
	case CONFIG_TYPE_FLOAT:
		v->kind = MGR_V_FLOAT;
		v->text = mgr_strf("%g", config_setting_get_float(s));
		return 0;
	case CONFIG_TYPE_BOOL:
		v->kind = MGR_V_BOOL;
		v->b = config_setting_get_bool(s);
		v->text = mgr_strdup(v->b ? "true" : "false");
		return 0;
	case CONFIG_TYPE_STRING:
		v->kind = MGR_V_STRING;
		v->text = expand(ld, config_setting_get_string(s), v->line);
		return v->text ? 0 : -EINVAL;
	default:
		v->kind = MGR_V_LIST;
		v->text = mgr_strf("%s", type_name(config_setting_type(s)));
		return 0;
	}
}

/* A setting that must be a string; expanded.  NULL after a diag. */
static char *read_string(struct loader *ld, const config_setting_t *s, const char *what)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		mgr_diag_add(ld->diag, ld->cfg->file, config_setting_source_line(s),
			     "%s: expected a string, found %s", what,
			     type_name(config_setting_type(s)));
		return NULL;
	}
	return expand(ld, config_setting_get_string(s), config_setting_source_line(s));
}

static char *join_dir(const char *dir, const char *path)
{
	if (path[0] == '/' || !strcmp(dir, "."))
		return mgr_strdup(path);
	return mgr_strf("%s/%s", dir, path);
}

static void add_path(struct mgr_config *cfg, char *path, int line)
{
	(void)line;
	cfg->plugin_path = mgr_xrealloc(cfg->plugin_path, (cfg->npath + 1) * sizeof(char *));
	cfg->plugin_path[cfg->npath++] = path;
}

static void add_key(struct mgr_config *cfg, char *path, int line)
{
	cfg->trust = mgr_xrealloc(cfg->trust, (cfg->ntrust + 1) * sizeof *cfg->trust);
	cfg->trust[cfg->ntrust++] = (struct mgr_keyref){ path, line };
}

/* A list of paths (or one), each taken from the config's folder:
 * plugin_path's folders, trust's keys. */
static void read_paths(struct loader *ld, const config_setting_t *s, const char *what,
		       void (*add)(struct mgr_config *cfg, char *path, int line))
{
	int scalar = config_setting_type(s) == CONFIG_TYPE_STRING;
	int n = scalar ? 1 : config_setting_length(s);
	char *entry = mgr_strf("%s entry", config_setting_name(s));

	if (!scalar && !config_setting_is_aggregate(s))
		mgr_diag_add(ld->diag, ld->cfg->file, config_setting_source_line(s),
			     "%s: expected a list of %s [ \"...\" ], found %s", config_setting_name(s),
			     what, type_name(config_setting_type(s)));
	for (int i = 0; i < n && (scalar || config_setting_is_aggregate(s)); i++) {
		const config_setting_t *e = scalar ? s : config_setting_get_elem(s, (unsigned)i);
		char *p = read_string(ld, e, entry);

		if (p) {
			add(ld->cfg, join_dir(ld->cfg->dir, p), config_setting_source_line(e));
			free(p);
		}
	}
	free(entry);
}

static struct mgr_dep *add_dep(struct mgr_devcfg *d)
{
	d->deps = mgr_xrealloc(d->deps, (d->ndeps + 1) * sizeof *d->deps);
	memset(&d->deps[d->ndeps], 0, sizeof *d->deps);
	return &d->deps[d->ndeps++];
}

static struct mgr_value *add_param(struct mgr_devcfg *d)
{
	d->params = mgr_xrealloc(d->params, (d->nparams + 1) * sizeof *d->params);
	memset(&d->params[d->nparams], 0, sizeof *d->params);
	return &d->params[d->nparams++];
}

static struct mgr_devcfg *add_device(struct mgr_config *cfg, const char *name, int line)
{
	struct mgr_devcfg *d;

	cfg->devs = mgr_xrealloc(cfg->devs, (cfg->ndevs + 1) * sizeof *cfg->devs);
	d = &cfg->devs[cfg->ndevs++];
	memset(d, 0, sizeof *d);
	d->name = mgr_strdup(name);
	d->line = line;
	return d;
}

static void read_deps(struct loader *ld, struct mgr_devcfg *d, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		mgr_diag_add(ld->diag, ld->cfg->file, config_setting_source_line(s),
			     "device '%s': deps: expected a group { slot = \"device\"; }, found %s",
			     d->name, type_name(config_setting_type(s)));
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		char *what = mgr_strf("device '%s': deps.%s", d->name, config_setting_name(e));
		char *target = read_string(ld, e, what);

		free(what);
		if (target) {
			struct mgr_dep *dep = NULL;

			for (size_t k = 0; k < d->ndeps && !dep; k++)
				if (!strcmp(d->deps[k].slot, config_setting_name(e)))
					dep = &d->deps[k];
			if (dep) {
				free(dep->device);
			} else {
				dep = add_dep(d);
				dep->slot = mgr_strdup(config_setting_name(e));
			}
			dep->device = target;
			dep->line = config_setting_source_line(e);
		}
	}
}

static void drop_params(struct mgr_devcfg *d)
{
	for (size_t j = 0; j < d->nparams; j++) {
		free(d->params[j].key);
		free(d->params[j].text);
	}
	d->nparams = 0;
}

/* A value for d, replacing one of the same key (a `when` group's). */
static void read_param(struct loader *ld, struct mgr_devcfg *d, const config_setting_t *e)
{
	struct mgr_value v = { 0 }; /* from_set and the kind's unused fields: 0 */

	if (read_value(ld, e, &v) < 0) {
		free(v.key);
		return;
	}
	for (size_t j = 0; j < d->nparams; j++)
		if (!strcmp(d->params[j].key, v.key)) {
			free(d->params[j].key);
			free(d->params[j].text);
			d->params[j] = v;
			return;
		}
	*add_param(d) = v;
}

static void read_device(struct loader *ld, const config_setting_t *s)
{
	const char *name = config_setting_name(s);
	struct mgr_devcfg *d;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		mgr_diag_add(ld->diag, ld->cfg->file, config_setting_source_line(s),
			     "device '%s': expected a group { impl = \"...\"; }, found %s",
			     name, type_name(config_setting_type(s)));
		return;
	}
	d = (struct mgr_devcfg *)mgr_config_device(ld->cfg, name);
	if (!d)
		d = add_device(ld->cfg, name, config_setting_source_line(s));
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *key = config_setting_name(e);

		if (!strcmp(key, "impl")) {
			char *what = mgr_strf("device '%s': impl", name);
			char *impl = read_string(ld, e, what);

			if (d->impl && impl && strcmp(d->impl, impl)) /* another plugin's */
				drop_params(d);
			free(d->impl);
			d->impl = impl;
			d->impl_line = config_setting_source_line(e);
			free(what);
		} else if (!strcmp(key, "deps")) {
			read_deps(ld, d, e);
		} else {
			read_param(ld, d, e);
		}
	}
}

/* when = { VAR = { VALUE = { DEVICE = { ... }; }; }; }: while environment
 * variable VAR is VALUE, each DEVICE group is laid over `devices` (its
 * settings replace those of the same key; a new device is added; another
 * impl drops the parameters of the one it replaces).  VAR unset or empty:
 * nothing.  Any other value is an error naming the choices.  `target` is
 * no variable: it is the target the config is read for, unix or xen (one
 * without a group gets nothing). */
static void read_when(struct loader *ld, const config_setting_t *w)
{
	if (!config_setting_is_group(w)) {
		mgr_diag_add(ld->diag, ld->cfg->file, config_setting_source_line(w),
			     "when: expected a group { VAR = { VALUE = { DEVICE = { ... }; }; }; }, found %s",
			     type_name(config_setting_type(w)));
		return;
	}
	for (int i = 0; i < config_setting_length(w); i++) {
		const config_setting_t *var = config_setting_get_elem(w, (unsigned)i);
		const char *name = config_setting_name(var);
		int is_target = !strcmp(name, "target");
		const char *val = is_target ? ld->target : ld->getenv_fn(name);
		const config_setting_t *pick = NULL;
		char choices[256] = "";

		if (!config_setting_is_group(var)) {
			mgr_diag_add(ld->diag, ld->cfg->file, config_setting_source_line(var),
				     "when.%s: expected a group { VALUE = { DEVICE = { ... }; }; }, found %s",
				     name, type_name(config_setting_type(var)));
			continue;
		}
		if (!val || !*val)
			continue;
		for (int j = 0; j < config_setting_length(var); j++) {
			const config_setting_t *c = config_setting_get_elem(var, (unsigned)j);
			size_t n = strlen(choices);

			if (!strcmp(config_setting_name(c), val))
				pick = c;
			snprintf(choices + n, sizeof choices - n, "%s%s", n ? ", " : "",
				 config_setting_name(c));
		}
		if (!pick && is_target) {
			continue; /* nothing for this target */
		} else if (!pick) {
			mgr_diag_add(ld->diag, ld->cfg->file, config_setting_source_line(var),
				     "environment variable %s is \"%s\": expected one of %s, or unset",
				     name, val, choices);
		} else if (!config_setting_is_group(pick)) {
			mgr_diag_add(ld->diag, ld->cfg->file, config_setting_source_line(pick),
				     "when.%s.%s: expected a group { DEVICE = { ... }; }, found %s",
				     name, val, type_name(config_setting_type(pick)));
		} else {
			for (int j = 0; j < config_setting_length(pick); j++)
				read_device(ld, config_setting_get_elem(pick, (unsigned)j));
		}
	}
}

/* workers = N: how many processes serve the app on Unix, each with its own
 * loop (host/unix/workers.h).  A Xen image is one loop; more images scale it. */
static void set_workers(struct loader *ld, int64_t n, const char *found, int line)
{
	if (n < 1 || n > MGR_WORKERS_MAX)
		mgr_diag_add(ld->diag, ld->cfg->file, line,
			     "workers: expected an integer from 1 to %d, found %s", MGR_WORKERS_MAX,
			     found);
	else if (n > 1 && !strcmp(ld->target, "xen"))
		mgr_diag_add(ld->diag, ld->cfg->file, line,
			     "workers: expected 1 for target xen (an image runs one loop; run more images), found %lld",
			     (long long)n);
	else
		ld->cfg->workers = (unsigned)n;
}

static void read_workers(struct loader *ld, const config_setting_t *e)
{
	char found[64];

	if (config_setting_type(e) == CONFIG_TYPE_INT || config_setting_type(e) == CONFIG_TYPE_INT64) {
		snprintf(found, sizeof found, "%lld", config_setting_get_int64(e));
		set_workers(ld, config_setting_get_int64(e), found, config_setting_source_line(e));
	} else {
		set_workers(ld, 0, type_name(config_setting_type(e)), config_setting_source_line(e));
	}
}

static void read_root(struct loader *ld, const config_setting_t *root)
{
	const config_setting_t *when = NULL;

	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *e = config_setting_get_elem(root, (unsigned)i);
		const char *key = config_setting_name(e);

		if (!strcmp(key, "name")) {
			free(ld->cfg->name);
			ld->cfg->name = read_string(ld, e, "name");
		} else if (!strcmp(key, "workers")) {
			read_workers(ld, e);
		} else if (!strcmp(key, "plugin_path")) {
			read_paths(ld, e, "folders", add_path);
		} else if (!strcmp(key, "trust")) {
			read_paths(ld, e, "public key files", add_key);
		} else if (!strcmp(key, "devices") && config_setting_type(e) == CONFIG_TYPE_GROUP) {
			for (int j = 0; j < config_setting_length(e); j++)
				read_device(ld, config_setting_get_elem(e, (unsigned)j));
		} else if (!strcmp(key, "when")) {
			when = e;
		} else if (!strcmp(key, "devices")) {
			mgr_diag_add(ld->diag, ld->cfg->file, config_setting_source_line(e),
				     "devices: expected a group { name = { impl = \"...\"; }; }, found %s",
				     type_name(config_setting_type(e)));
		} else {
			struct mgr_suggest sg;
			char hint[128];

			mgr_suggest_init(&sg, key);
			for (size_t k = 0; k < sizeof top_keys / sizeof top_keys[0]; k++)
				mgr_suggest_add(&sg, top_keys[k]);
			mgr_diag_add(ld->diag, ld->cfg->file, config_setting_source_line(e),
				     "unknown setting '%s': expected name, plugin_path, trust, devices, when or workers%s",
				     key, mgr_suggest_text(&sg, hint, sizeof hint));
		}
	}
	if (when) /* after devices, wherever the file has it */
		read_when(ld, when);
}

const struct mgr_devcfg *mgr_config_device(const struct mgr_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ndevs; i++)
		if (!strcmp(cfg->devs[i].name, name))
			return &cfg->devs[i];
	return NULL;
}

static void set_value(struct mgr_value *v, const char *key, const char *text, int line)
{
	free(v->key);
	free(v->text);
	memset(v, 0, sizeof *v);
	v->key = mgr_strdup(key);
	v->kind = MGR_V_STRING;
	v->text = mgr_strdup(text);
	v->line = line;
	v->from_set = 1;
}

/* devices.NAME=IMPL: the device gets another implementation and drops the
 * parameters of the old one; its wiring stays. */
static void replace_device(struct mgr_config *cfg, const char *name, const char *impl)
{
	struct mgr_devcfg *d = (struct mgr_devcfg *)mgr_config_device(cfg, name);

	if (!d)
		d = add_device(cfg, name, 0);
	drop_params(d);
	free(d->impl);
	d->impl = mgr_strdup(impl);
}

/* "impl", "PARAM" or "deps.SLOT" */
static int valid_device_key(const char *key)
{
	if (!strncmp(key, "deps.", 5))
		key += 5;
	return *key && !strchr(key, '.');
}

/* One --set PATH=VALUE.  The changed value keeps the line of what it
 * replaces (or its device's), so later errors still point into the file. */
static void apply_set(struct loader *ld, const char *set)
{
	struct mgr_config *cfg = ld->cfg;
	const char *eq = strchr(set, '=');
	char *path = eq ? mgr_strf("%.*s", (int)(eq - set), set) : NULL;
	char *dev = NULL, *rest = NULL;
	struct mgr_devcfg *d;
	size_t i;

	if (path && !strcmp(path, "name")) {
		free(cfg->name);
		cfg->name = mgr_strdup(eq + 1);
		goto out;
	}
	if (path && !strcmp(path, "plugin_path")) {
		add_path(cfg, mgr_strdup(eq + 1), 0);
		goto out;
	}
	if (path && !strcmp(path, "workers")) {
		char *end, *found = mgr_strf("'%s'", eq + 1);
		long long n = strtoll(eq + 1, &end, 10);

		set_workers(ld, *end || end == eq + 1 ? 0 : n, found, 0);
		free(found);
		goto out;
	}
	if (path && !strncmp(path, "devices.", 8) && path[8] && !strchr(path + 8, '.')) {
		replace_device(cfg, path + 8, eq + 1);
		goto out;
	}
	if (path && !strncmp(path, "devices.", 8) && (rest = strchr(path + 8, '.')) &&
	    rest > path + 8 && rest[1]) {
		dev = mgr_strf("%.*s", (int)(rest - path - 8), path + 8);
		rest++;
	}
	if (!dev || !valid_device_key(rest)) {
		mgr_diag_add(ld->diag, cfg->file, 0,
			     "--set %s: expected PATH=VALUE with PATH one of name, plugin_path, workers, devices.DEVICE (a new implementation, without the old parameters), devices.DEVICE.impl, devices.DEVICE.PARAM or devices.DEVICE.deps.SLOT",
			     set);
		goto out;
	}
	d = (struct mgr_devcfg *)mgr_config_device(cfg, dev);
	if (!d)
		d = add_device(cfg, dev, 0);
	if (!strcmp(rest, "impl")) {
		free(d->impl);
		d->impl = mgr_strdup(eq + 1);
	} else if (!strncmp(rest, "deps.", 5)) {
		for (i = 0; i < d->ndeps && strcmp(d->deps[i].slot, rest + 5); i++)
			;
		if (i == d->ndeps) {
			add_dep(d)->slot = mgr_strdup(rest + 5);
			d->deps[i].line = d->line;
		}
		free(d->deps[i].device);
		d->deps[i].device = mgr_strdup(eq + 1);
	} else {
		for (i = 0; i < d->nparams && strcmp(d->params[i].key, rest); i++)
			;
		if (i == d->nparams)
			add_param(d)->line = d->line;
		set_value(&d->params[i], rest, eq + 1, d->params[i].line);
	}
out:
	free(dev);
	free(path);
}

/* The file's folder, absolute: relative paths in the config are taken from
 * it, and a frozen program may run from anywhere. */
static char *dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');
	char cwd[4096];

	if (file[0] == '/')
		return slash == file ? mgr_strdup("/") : mgr_strf("%.*s", (int)(slash - file), file);
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, ".");
	return slash ? mgr_strf("%s/%.*s", cwd, (int)(slash - file), file) : mgr_strdup(cwd);
}

int mgr_config_load(struct mgr_config *cfg, const char *file, char *const *sets,
		    size_t nsets, mgr_getenv_fn getenv_fn, uint32_t target, struct mgr_lines *diag)
{
	struct loader ld = { cfg, diag, getenv_fn, target == MG_TARGET_XEN ? "xen" : "unix" };
	size_t before = diag->n;
	config_t lc;

	memset(cfg, 0, sizeof *cfg);
	cfg->file = mgr_strdup(file);
	cfg->dir = dir_of(file);
	cfg->workers = 1;
	config_init(&lc);
	if (!config_read_file(&lc, file)) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			mgr_diag_add(diag, file, 0, "cannot read the config: %s", strerror(errno));
		else
			mgr_diag_add(diag, file, config_error_line(&lc), "syntax error: %s",
				     config_error_text(&lc));
		config_destroy(&lc);
		return -EINVAL;
	}
	read_root(&ld, config_root_setting(&lc));
	config_destroy(&lc);
	for (size_t i = 0; i < nsets; i++)
		apply_set(&ld, sets[i]);
	if (!cfg->name)
		cfg->name = mgr_strdup("app");
	return diag->n > before ? -EINVAL : 0;
}

void mgr_config_free(struct mgr_config *cfg)
{
	for (size_t i = 0; i < cfg->ndevs; i++) {
		struct mgr_devcfg *d = &cfg->devs[i];

		for (size_t j = 0; j < d->nparams; j++) {
			free(d->params[j].key);
			free(d->params[j].text);
		}
		for (size_t j = 0; j < d->ndeps; j++) {
			free(d->deps[j].slot);
			free(d->deps[j].device);
		}
		free(d->params);
		free(d->deps);
		free(d->name);
		free(d->impl);
	}
	for (size_t i = 0; i < cfg->npath; i++)
		free(cfg->plugin_path[i]);
	free(cfg->plugin_path);
	for (size_t i = 0; i < cfg->ntrust; i++)
		free(cfg->trust[i].path);
	free(cfg->trust);
	free(cfg->devs);
	free(cfg->file);
	free(cfg->dir);
	free(cfg->name);
	memset(cfg, 0, sizeof *cfg);
}
