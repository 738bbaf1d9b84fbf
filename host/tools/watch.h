/* watch.h - mirage-host --watch: inotify on the config and on the plugin
 * files in use; a saved config is re-read, a rebuilt plugin loaded again. */
#ifndef MIRAGE_WATCH_H
#define MIRAGE_WATCH_H

#include "session.h"

struct mgh_watcher;

/* 0 with *out, or a negative errno. */
int mgh_watch_start(struct mgh_session *s, struct mgh_watcher **out);
void mgh_watch_stop(struct mgh_watcher *w);

#endif
