/* xl.h - the xl config of a frozen Xen image (`xl create OUT.xl`). */
#ifndef MIRAGE_XL_H
#define MIRAGE_XL_H

#include <stdio.h>

#include "resolve/resolve.h"

/* Writes the config that boots kernel: the domain's fixed lines, then one
 * list per kind of device the toolstack gives the image (vif = [...] for
 * netif.xen devices, ...).  0, or -EINVAL after adding why to diag (the
 * devices' indexes do not make a list). */
int mgt_write_xl(const struct mgr_resolved *r, const char *kernel, FILE *out,
		 struct mgr_lines *diag);

#endif
