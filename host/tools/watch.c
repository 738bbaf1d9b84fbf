/* watch.c - file changes become session changes.  Folders are watched, not
 * files: editors and linkers often replace a file rather than rewrite it. */
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "runtime/loop.h"
#include "watch.h"

/* Changes arrive in bursts (a linker's writes, an editor's rename): act
 * once the burst is over. */
#define SETTLE_NS (50 * 1000000ull)

struct mgt_watcher {
	struct mgt_session *s;
	int fd;
	struct mg_watch *watch;
	struct mg_timer *settle;
	struct mgr_lines dirs;    /* by watch descriptor - 1 */
	struct mgr_lines changed; /* paths seen changing since the last act */
	char *config;             /* the config's path as watched: DIR/NAME */
};

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? mgr_strf("%.*s", (int)(slash - path), path) : mgr_strdup(".");
}

static void watch_dir(struct mgt_watcher *w, const char *dir)
{
	int wd = inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO);

	if (wd < 0) {
		fprintf(stderr, "mirage-host: --watch: cannot watch %s: %s\n", dir, strerror(errno));
		return;
	}
	while (w->dirs.n < (size_t)wd)
		mgr_lines_push(&w->dirs, "");
	free(w->dirs.lines[wd - 1]);
	w->dirs.lines[wd - 1] = mgr_strdup(dir);
}

/* The folders of the config and of every plugin loaded so far. */
static void watch_all(struct mgt_watcher *w)
{
	char *dir = dir_of(w->config);

	watch_dir(w, dir);
	free(dir);
	for (size_t i = 0; i < w->s->cat.nloaded; i++) {
		dir = dir_of(w->s->cat.loaded[i].path);
		watch_dir(w, dir);
		free(dir);
	}
}

static void act(void *arg)
{
	struct mgt_watcher *w = arg;
	struct mgr_lines msgs = { 0 };

	w->settle = NULL;
	for (size_t i = 0; i < w->changed.n; i++) {
		if (!strcmp(w->changed.lines[i], w->config))
			mgt_session_reload(w->s, &msgs, NULL, NULL);
		else
			mgt_session_plugin_changed(w->s, w->changed.lines[i], &msgs);
	}
	mgr_lines_free(&w->changed);
	mgr_lines_free(&msgs);
	watch_all(w); /* a new config may use plugins from new folders */
}

/* A changed NAME.so.sig is a change of NAME.so: signing after the build
 * (which the trusted keys refused) loads it then. */
static void note(struct mgt_watcher *w, const char *path)
{
	size_t len = strlen(path), sig = strlen(".so" MGL_SIG_SUFFIX);
	char *file;
	size_t i = 0;

	if (len > sig && !strcmp(path + len - sig, ".so" MGL_SIG_SUFFIX))
		len -= strlen(MGL_SIG_SUFFIX);
	else if (strcmp(path, w->config) && (len < 3 || strcmp(path + len - 3, ".so")))
		return;
	file = mgr_strf("%.*s", (int)len, path);
	while (i < w->changed.n && strcmp(w->changed.lines[i], file))
		i++;
	if (i == w->changed.n)
		mgr_lines_push(&w->changed, file);
	free(file);
}

static void on_events(void *arg, unsigned events)
{
	struct mgt_watcher *w = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)events;
	while ((n = read(w->fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->len && ev->wd > 0 && (size_t)ev->wd <= w->dirs.n) {
				char *path = mgr_strf("%s/%s", w->dirs.lines[ev->wd - 1], ev->name);

				note(w, path);
				free(path);
			}
			p += sizeof *ev + ev->len;
		}
	}
	if (w->changed.n) {
		if (w->settle)
			mgh_timer_cancel(w->settle);
		if (mgh_timer_start(mgh_rt_loop(w->s->rt), NULL, SETTLE_NS, act, w, &w->settle) < 0)
			w->settle = NULL; /* out of memory: the next change tries again */
	}
}

int mgt_watch_start(struct mgt_session *s, struct mgt_watcher **out)
{
	struct mgt_watcher *w = mgr_xalloc(sizeof *w);
	char *dir = dir_of(s->args->config);
	const char *base = strrchr(s->args->config, '/');
	int rc;

	w->s = s;
	w->config = mgr_strf("%s/%s", dir, base ? base + 1 : s->args->config);
	free(dir);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	rc = w->fd < 0 ? -errno :
			 mgh_fd_watch(mgh_rt_loop(s->rt), NULL, w->fd, MG_EV_READ, on_events, w, &w->watch);
	if (rc < 0) {
		fprintf(stderr, "mirage-host: --watch: cannot watch for changes: %s%s\n", strerror(-rc),
			rc == -EMFILE ? " (the open-file limit, or fs.inotify.max_user_instances)" : "");
		if (w->fd >= 0)
			close(w->fd);
		free(w->config);
		free(w);
		return rc;
	}
	watch_all(w);
	*out = w;
	return 0;
}

void mgt_watch_stop(struct mgt_watcher *w)
{
	if (!w)
		return;
	if (w->settle)
		mgh_timer_cancel(w->settle);
	mgh_fd_unwatch(w->watch);
	close(w->fd);
	mgr_lines_free(&w->dirs);
	mgr_lines_free(&w->changed);
	free(w->config);
	free(w);
}
