/* types.h - the module types this host was built with, and the checks a
 * descriptor must pass before anything else looks at it. */
#ifndef MIRAGE_TYPES_H
#define MIRAGE_TYPES_H

#include <stddef.h>

#include <mirage/plugin.h>

const char *mgr_target_name(uint32_t target); /* "unix", "xen" */
/* "unix, xen" into buf */
const char *mgr_targets_text(uint32_t targets, char *buf, size_t cap);
const char *mgr_param_type_name(enum mg_param_type t);

/* What inspect says of a type a plugin names: "newer than this host's ..."
 * or "a type this host was not built with" into buf, or NULL when nothing. */
const char *mgr_type_note(const struct mg_type *t, char *buf, size_t cap);

/* Checks a descriptor against this host: magic, signature, ABI version,
 * layout size, that every type it names has a name and, when the host
 * knows the type, the same major.  0, or a negative errno with the
 * reason in err. */
int mgr_plugin_check(const struct mg_plugin *p, char *err, size_t cap);

#endif
