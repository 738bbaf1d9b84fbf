/* catalog.h - plugins found on disk: NAME.so files in the plugin path,
 * loaded with dlopen(RTLD_LOCAL) and identified by their descriptor.  The resolver sees it through struct mgr_catalog. */
#ifndef MIRAGE_CATALOG_H
#define MIRAGE_CATALOG_H

#include "resolve/resolve.h"
#include "trust.h"

struct mgl_plugin {
	char *path;
	void *handle;
	const struct mg_plugin *desc;
	int stale; /* a newer copy of the file was loaded: kept for its users */
	struct mgl_sig sig; /* what its PATH.sig said of the bytes loaded */
};

struct mgl_catalog {
	struct mgr_catalog base;
	char **dirs;
	size_t ndirs;
	struct mgl_plugin *loaded;
	size_t nloaded;
	char *copies; /* private folder for reloads' fresh copies, made when needed */
	/* The target plugins are loaded for (mgl_catalog_init: unix).  For
	 * unix, a plugin claiming it binds every symbol at load (RTLD_NOW), so
	 * a missing one is an error now, not a crash later; any other plugin
	 * (a Xen one calling its platform), or any plugin when the target is
	 * another, is only read: symbols unbound, descriptor used, never run. */
	uint32_t target;
	/* Keys a plugin file must be signed by (trust.h) before it is loaded;
	 * none: any file loads, signed or not. */
	struct mgl_keyring trust;
};

void mgl_catalog_init(struct mgl_catalog *c);
void mgl_catalog_add_dir(struct mgl_catalog *c, const char *dir);
/* Forgets the path (a config's new plugin_path follows); what was loaded
 * stays loaded. */
void mgl_catalog_clear_dirs(struct mgl_catalog *c);
/* Loads the plugin file at path (no name check).  0 with *out, or a
 * negative errno with the reason in err (-EPERM: refused, its signature is
 * missing, bad or by a key not trusted). */
int mgl_load_file(struct mgl_catalog *c, const char *path, const struct mgl_plugin **out,
		  char *err, size_t cap);
/* Loads the file at path again, from a fresh copy (glibc would hand back
 * the mapping it has for a path already open), and makes it the one find
 * returns.  The older copy stays loaded for the devices still using it.
 * 0, or a negative errno with the reason in err. */
int mgl_reload_file(struct mgl_catalog *c, const char *path, char *err, size_t cap);
/* Undoes the last mgl_reload_file of path: the copy loaded before is the
 * one find returns again. */
void mgl_revert_file(struct mgl_catalog *c, const char *path);
/* Every NAME.so on the path, first folder first, each name once. */
void mgl_each_file(struct mgl_catalog *c, void (*cb)(void *arg, const char *name,
						    const char *path), void *arg);
/* The loaded plugin whose descriptor is p, or NULL. */
const struct mgl_plugin *mgl_lookup(const struct mgl_catalog *c, const struct mg_plugin *p);
void mgl_catalog_free(struct mgl_catalog *c);

#endif
