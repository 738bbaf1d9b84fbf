/* wiring.h - a resolved plan as C source for a frozen program: the plan as
 * static data (host/frozen.h) and typed start calls.  Pure: the output only
 * depends on the plan, so freezing twice gives the same bytes. */
#ifndef MIRAGE_WIRING_H
#define MIRAGE_WIRING_H

#include <stdio.h>

#include "resolve/resolve.h"

/* The C identifier a plugin's descriptor is renamed to when frozen:
 * "kvro.dir" -> "mg_plugin_kvro_dir".  buf must hold strlen(name) + 11. */
void mgt_descriptor_symbol(const char *name, char *buf, size_t cap);

/* level: mg_frozen_log_level, the host log level of the frozen program. */
void mgt_write_wiring(const struct mgr_resolved *r, int level, FILE *out);

#endif
