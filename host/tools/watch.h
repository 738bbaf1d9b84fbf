/* watch.h - mirage-host --watch: inotify on the config and on the plugin
 * files in use; a saved config is re-read, a rebuilt plugin loaded again. */
#ifndef MIRAGE_WATCH_H
#define MIRAGE_WATCH_H

#include "session.h"

struct mgt_watcher;

/* 0 with *out, or a negative errno. */
int mgt_watch_start(struct mgt_session *s, struct mgt_watcher **out);
void mgt_watch_stop(struct mgt_watcher *w);

#endif
