/* defaults.h - per-target defaults of module types, and renamed plugins. */
#ifndef MIRAGE_DEFAULTS_H
#define MIRAGE_DEFAULTS_H

#include <mirage/plugin.h>

/* The implementation a slot of `type` gets on `target` when nothing else
 * names one, or NULL. */
const char *mgr_default_impl(const char *type, uint32_t target);
/* The current name of a plugin that was renamed, or NULL. */
const char *mgr_renamed(const char *name);

#endif
