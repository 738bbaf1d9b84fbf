/* describe.h - people-readable views: a resolved plan (text or Graphviz)
 * and a plugin descriptor. */
#ifndef MIRAGE_DESCRIBE_H
#define MIRAGE_DESCRIBE_H

#include <stdio.h>

#include "resolve.h"

void mgr_describe_text(const struct mgr_resolved *r, FILE *out);
void mgr_describe_dot(const struct mgr_resolved *r, FILE *out);
/* path may be NULL */
void mgr_describe_plugin(const struct mg_plugin *p, const char *path, FILE *out);

#endif
