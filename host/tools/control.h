/* control.h - mirage-host --control PATH: a Unix socket through which
 * `mirage-host ctl PATH ...` asks a running app for its status and graph,
 * swaps a device or re-reads the config. */
#ifndef MIRAGE_CONTROL_H
#define MIRAGE_CONTROL_H

#include <sys/un.h>

#include "session.h"

struct mgt_control;

/* Listens on path (replacing a stale socket).  0 with *out, or a negative
 * errno after printing why. */
int mgt_control_start(struct mgt_session *s, const char *path, struct mgt_control **out);
void mgt_control_stop(struct mgt_control *c);
/* The socket address of path; -ENAMETOOLONG. */
int mgt_control_address(const char *path, struct sockaddr_un *sa);
/* A non-blocking listening socket at path (replacing a stale socket) in
 * *fd.  0, or a negative errno after printing why. */
int mgt_control_listen(const char *path, int *fd);

/* The client: mirage-host ctl PATH COMMAND [ARG]...; returns the exit status. */
int mgt_ctl_main(int argc, char **argv);

#endif
