/* catalog.c - finding and loading plugin files.  The one place that knows
 * plugins are .so files. */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "elfread.h"

static const struct mgl_plugin *loaded_by_path(const struct mgl_catalog *c, const char *path)
{
	for (size_t i = c->nloaded; i-- > 0;)
		if (!c->loaded[i].stale && !strcmp(c->loaded[i].path, path))
			return &c->loaded[i];
	return NULL;
}

/* This program's own ELF header (the linker defines the symbol): a plugin
 * must be built for the same machine. */
extern const Elf64_Ehdr __ehdr_start;

/* Whether file may go to dlopen, which trusts it: a file cut short (a copy
 * still under way) or built for another machine makes it fault, and a
 * text file gets a generic message.  0, or a negative errno after saying
 * why in err. */
static int check_file(const char *path, const char *file, char *err, size_t cap)
{
	const struct mgl_elf_want want = { __ehdr_start.e_ident[EI_DATA], __ehdr_start.e_machine,
					   MG_PLUGIN_SYMBOL };
	char why[128];
	int rc = mgl_elf_check_dso(file, &want, why, sizeof why);

	if (rc == -ENOENT)
		snprintf(err, cap, "%s: not a plugin: it has no '%s' descriptor (declare one with MG_PLUGIN)",
			 path, MG_PLUGIN_SYMBOL);
	else if (rc < 0)
		snprintf(err, cap, "%s: not a plugin: %s", path, why);
	return rc < 0 ? -ENOEXEC : 0;
}

/* Opens `file` as the plugin at `path` (they differ for a fresh copy). */
static int open_plugin(struct mgl_catalog *c, const char *path, const char *file,
		       const struct mgl_plugin **out, char *err, size_t cap)
{
	struct mgl_plugin *lp;
	void *handle;
	const struct mg_plugin *desc;

	if (check_file(path, file, err, cap) < 0)
		return -ENOEXEC;
	handle = dlopen(file, (c->target == MG_TARGET_UNIX ? RTLD_NOW : RTLD_LAZY) | RTLD_LOCAL);
	if (!handle && c->target == MG_TARGET_UNIX &&
	    (handle = dlopen(file, RTLD_LAZY | RTLD_LOCAL))) {
		desc = dlsym(handle, MG_PLUGIN_SYMBOL);
		if (!desc || (desc->targets & MG_TARGET_UNIX)) {
			dlclose(handle);
			handle = dlopen(file, RTLD_NOW | RTLD_LOCAL); /* fails again: dlerror */
		}
	}
	if (!handle) {
		snprintf(err, cap, "%s: dlopen failed: %s", path, dlerror());
		return -ENOEXEC;
	}
	desc = dlsym(handle, MG_PLUGIN_SYMBOL);
	if (!desc) {
		snprintf(err, cap, "%s: not a plugin: it has no '%s' descriptor (declare one with MG_PLUGIN)",
			 path, MG_PLUGIN_SYMBOL);
		dlclose(handle);
		return -ENOEXEC;
	}
	c->loaded = mgr_xrealloc(c->loaded, (c->nloaded + 1) * sizeof *c->loaded);
	lp = &c->loaded[c->nloaded++];
	lp->path = mgr_strdup(path);
	lp->handle = handle;
	lp->desc = desc;
	lp->stale = 0;
	*out = lp;
	return 0;
}

/* Writes bytes to dst, a new file; 0 or a negative errno. */
static int write_file(const char *dst, const unsigned char *bytes, size_t len)
{
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700), rc = 0;

	if (out < 0)
		return -errno;
	for (size_t done = 0; rc == 0 && done < len;) {
		ssize_t n = write(out, bytes + done, len - done);

		if (n <= 0)
			rc = -EIO;
		else
			done += (size_t)n;
	}
	if (close(out) < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

/* The folder for fresh copies: made by mkdtemp, so that nobody else can
 * take a copy's name first (and block the reload) or plant a file there. */
static int copies_dir(struct mgl_catalog *c, char *err, size_t cap)
{
	const char *tmp = getenv("TMPDIR");
	char *dir;

	if (c->copies)
		return 0;
	dir = mgr_strf("%s/mirage-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		int rc = -errno;

		snprintf(err, cap, "cannot make a folder for plugin copies (%s): %s", dir, strerror(-rc));
		free(dir);
		return rc;
	}
	c->copies = dir;
	return 0;
}

/* Opens a private copy of the file at path as the plugin at path: code
 * mapped from the plugin folder would change under the host when a file
 * there is rewritten in place (cp truncates it first: SIGBUS), and glibc
 * hands back the mapping it has for a path already open.
 *
 * The file is read once: its signature is checked against those bytes, and
 * those bytes are what the copy holds and dlopen maps.  A file rewritten
 * after the check changes nothing loaded.  The copy lies in a folder only
 * this user may enter (mkdtemp), made new (O_EXCL): between the write and
 * the dlopen only this user could change it, who can change this process
 * anyway.  (A sealed memfd would do as well, but needs /proc and an exec
 * permission for memfds that hardened systems take away.) */
static int open_copy(struct mgl_catalog *c, const char *path, const struct mgl_plugin **out,
		     char *err, size_t cap)
{
	unsigned char *bytes = NULL;
	size_t len = 0;
	struct mgl_sig sig;
	char *copy, why[1024];
	int rc = copies_dir(c, err, cap);

	if (rc == 0 && (rc = mgl_read_file(path, &bytes, &len)) < 0)
		snprintf(err, cap, "%s: %s", path, strerror(-rc));
	if (rc < 0)
		return rc;
	mgl_sig_check(path, bytes, len, NULL, 0, &sig);
	if (c->trust.n && mgl_sig_trusted(&sig, &c->trust, why, sizeof why) < 0) {
		snprintf(err, cap, "%s: refused: %s", path, why);
		free(bytes);
		return -EPERM;
	}
	/* unique: loaded entries are never removed, so their count only grows */
	copy = mgr_strf("%s/%zu-%s", c->copies, c->nloaded,
			strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	rc = write_file(copy, bytes, len);
	free(bytes);
	if (rc < 0)
		snprintf(err, cap, "%s: %s", path, strerror(-rc));
	else if ((rc = open_plugin(c, path, copy, out, err, cap)) == 0)
		c->loaded[c->nloaded - 1].sig = sig;
	unlink(copy); /* the mapping stays */
	free(copy);
	return rc;
}

int mgl_load_file(struct mgl_catalog *c, const char *path, const struct mgl_plugin **out,
		  char *err, size_t cap)
{
	char why[1024];

	*out = loaded_by_path(c, path);
	/* loaded before the keys changed (a config re-read): asked again */
	if (*out && c->trust.n && mgl_sig_trusted(&(*out)->sig, &c->trust, why, sizeof why) < 0) {
		snprintf(err, cap, "%s: refused: %s", path, why);
		return -EPERM;
	}
	return *out ? 0 : open_copy(c, path, out, err, cap);
}

int mgl_reload_file(struct mgl_catalog *c, const char *path, char *err, size_t cap)
{
	const struct mgl_plugin *old = loaded_by_path(c, path), *fresh;
	size_t old_index = old ? (size_t)(old - c->loaded) : 0;
	int rc = open_copy(c, path, &fresh, err, cap);

	if (rc == 0 && old)
		c->loaded[old_index].stale = 1; /* open_copy may have moved the array */
	return rc;
}

void mgl_revert_file(struct mgl_catalog *c, const char *path)
{
	size_t i = c->nloaded;

	while (i-- > 0 && (c->loaded[i].stale || strcmp(c->loaded[i].path, path)))
		;
	if (i == (size_t)-1)
		return;
	c->loaded[i].stale = 1;
	while (i-- > 0 && strcmp(c->loaded[i].path, path))
		;
	if (i != (size_t)-1)
		c->loaded[i].stale = 0;
}

static int find(struct mgr_catalog *base, const char *name, const struct mg_plugin **out,
		char *err, size_t cap)
{
	struct mgl_catalog *c = (struct mgl_catalog *)base;
	const struct mgl_plugin *lp;

	if (strchr(name, '/'))
		return -ENOENT; /* names, not paths, so a config cannot reach outside the path */
	for (size_t i = 0; i < c->ndirs; i++) {
		char *path = mgr_strf("%s/%s.so", c->dirs[i], name);
		int rc = access(path, F_OK) == 0 ? mgl_load_file(c, path, &lp, err, cap) : -ENOENT;

		free(path);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		/* The name check needs the magic to mean anything. */
		if (lp->desc->magic == MG_PLUGIN_MAGIC && lp->desc->name &&
		    strcmp(lp->desc->name, name)) {
			snprintf(err, cap, "%s: its descriptor names '%s', expected '%s' (a plugin's file is NAME.so)",
				 lp->path, lp->desc->name, name);
			return -EPROTO;
		}
		*out = lp->desc;
		return 0;
	}
	return -ENOENT;
}

void mgl_each_file(struct mgl_catalog *c, void (*cb)(void *arg, const char *name, const char *path),
		   void *arg)
{
	struct mgr_lines seen = { 0 };

	for (size_t i = 0; i < c->ndirs; i++) {
		struct dirent **ents;
		int n = scandir(c->dirs[i], &ents, NULL, alphasort);

		for (int k = 0; k < n; k++) {
			size_t len = strlen(ents[k]->d_name);
			int dup = 0;

			if (len > 3 && !strcmp(ents[k]->d_name + len - 3, ".so")) {
				char *name = mgr_strf("%.*s", (int)len - 3, ents[k]->d_name);
				char *path = mgr_strf("%s/%s", c->dirs[i], ents[k]->d_name);

				for (size_t s = 0; s < seen.n && !dup; s++)
					dup = !strcmp(seen.lines[s], name);
				if (!dup) {
					mgr_lines_push(&seen, name);
					cb(arg, name, path);
				}
				free(name);
				free(path);
			}
			free(ents[k]);
		}
		if (n >= 0)
			free(ents);
	}
	mgr_lines_free(&seen);
}

struct name_cb {
	void (*cb)(void *arg, const char *name);
	void *arg;
};

static void name_only(void *arg, const char *name, const char *path)
{
	struct name_cb *nc = arg;

	(void)path;
	nc->cb(nc->arg, name);
}

static void each_name(struct mgr_catalog *base, void (*cb)(void *arg, const char *name), void *arg)
{
	struct name_cb nc = { cb, arg };

	mgl_each_file((struct mgl_catalog *)base, name_only, &nc);
}

const struct mgl_plugin *mgl_lookup(const struct mgl_catalog *c, const struct mg_plugin *p)
{
	for (size_t i = 0; i < c->nloaded; i++)
		if (c->loaded[i].desc == p)
			return &c->loaded[i];
	return NULL;
}

static const char *origin(struct mgr_catalog *base, const struct mg_plugin *p)
{
	const struct mgl_plugin *lp = mgl_lookup((struct mgl_catalog *)base, p);

	return lp ? lp->path : NULL;
}

void mgl_catalog_init(struct mgl_catalog *c)
{
	memset(c, 0, sizeof *c);
	c->base.find = find;
	c->base.each_name = each_name;
	c->base.origin = origin;
	c->target = MG_TARGET_UNIX;
}

void mgl_catalog_add_dir(struct mgl_catalog *c, const char *dir)
{
	c->dirs = mgr_xrealloc(c->dirs, (c->ndirs + 1) * sizeof *c->dirs);
	c->dirs[c->ndirs++] = mgr_strdup(dir);
}

void mgl_catalog_clear_dirs(struct mgl_catalog *c)
{
	for (size_t i = 0; i < c->ndirs; i++)
		free(c->dirs[i]);
	c->ndirs = 0;
}

void mgl_catalog_free(struct mgl_catalog *c)
{
	for (size_t i = 0; i < c->nloaded; i++) {
		dlclose(c->loaded[i].handle);
		free(c->loaded[i].path);
	}
	for (size_t i = 0; i < c->ndirs; i++)
		free(c->dirs[i]);
	mgl_keyring_free(&c->trust);
	if (c->copies)
		rmdir(c->copies); /* empty: each copy goes once it is mapped */
	free(c->copies);
	free(c->loaded);
	free(c->dirs);
	memset(c, 0, sizeof *c);
}
