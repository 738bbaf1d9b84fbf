/* types.c - module types known to this host (from abi/mirage/) and the
 * compatibility check of plugin descriptors. */
#include <stdio.h>
#include <string.h>

#include <mirage/block.h>
#include <mirage/clock.h>
#include <mirage/console.h>
#include <mirage/evtchn.h>
#include <mirage/flow.h>
#include <mirage/http.h>
#include <mirage/job.h>
#include <mirage/kv_ro.h>
#include <mirage/network.h>
#include <mirage/random.h>
#include <mirage/stackv4.h>
#include <mirage/time.h>

#include "types.h"

#define KNOWN(T, minor) &(const struct mg_type)MG_TYPE(T, minor)
/* The types of abi/mirage/ at the minor this host was built with.  The set
 * of types is open: a plugin may provide or need a type defined outside
 * the tree, which the resolver matches by name, major and minor like any
 * other.  This table only catches a known type's major mismatch early and
 * lets inspect say when a plugin is newer than the host. */
static const struct mg_type *const known_types[] = {
	KNOWN(CONSOLE, 0), KNOWN(CLOCK, 0),   KNOWN(TIME, 0),    KNOWN(RANDOM, 1),
	KNOWN(KV_RO, 2),   KNOWN(FLOW, 2),    KNOWN(NETWORK, 0), KNOWN(STACKV4, 3),
	KNOWN(HTTP, 3),    KNOWN(BLOCK, 3),   KNOWN(EVTCHN, 0),  KNOWN(JOB, 0),
	NULL,
};

/* The host's version of the type called `name`, or NULL. */
static const struct mg_type *type_find(const char *name)
{
	for (size_t i = 0; known_types[i]; i++)
		if (!strcmp(known_types[i]->name, name))
			return known_types[i];
	return NULL;
}

const char *mgr_type_note(const struct mg_type *t, char *buf, size_t cap)
{
	const struct mg_type *known = type_find(t->name);

	if (!known)
		snprintf(buf, cap, "a type this host was not built with");
	else if (t->minor > known->minor)
		snprintf(buf, cap, "newer than this host's %s %u.%u", known->name, known->major,
			 known->minor);
	else
		return NULL;
	return buf;
}

const char *mgr_target_name(uint32_t target)
{
	return target == MG_TARGET_XEN ? "xen" : "unix";
}

const char *mgr_targets_text(uint32_t targets, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s", targets & MG_TARGET_UNIX ? "unix" : "",
		 (targets & MG_TARGET_ANY) == MG_TARGET_ANY ? ", " : "",
		 targets & MG_TARGET_XEN ? "xen" : "");
	if (!(targets & MG_TARGET_ANY))
		snprintf(buf, cap, "none");
	return buf;
}

const char *mgr_param_type_name(enum mg_param_type t)
{
	switch (t) {
	case MG_PARAM_STRING: return "string";
	case MG_PARAM_INT: return "integer";
	case MG_PARAM_BOOL: return "boolean";
	case MG_PARAM_PATH: return "path";
	case MG_PARAM_ENUM: return "enum";
	}
	return NULL;
}

static int check_type(const struct mg_type *t, const char *what, char *err, size_t cap)
{
	const struct mg_type *known;

	if (!t->name || !*t->name) {
		snprintf(err, cap, "%s a module type without a name", what);
		return -EPROTO;
	}
	known = type_find(t->name);
	if (known && t->major != known->major) {
		snprintf(err, cap, "%s %s %u.%u, but this host speaks %s %u.x (major versions differ)",
			 what, t->name, t->major, t->minor, known->name, known->major);
		return -EPROTO;
	}
	return 0;
}

int mgr_plugin_check(const struct mg_plugin *p, char *err, size_t cap)
{
	char what[160];
	int rc, is_job;

	if (p->magic != MG_PLUGIN_MAGIC) {
		snprintf(err, cap, "descriptor has magic 0x%08x, expected 0x%08x: not a mirage plugin or corrupt",
			 p->magic, MG_PLUGIN_MAGIC);
		return -EPROTO;
	}
	if (p->abi_major != MG_ABI_MAJOR) {
		snprintf(err, cap, "built for plugin ABI %u.%u, but this host speaks %u.%u (major versions differ); rebuild the plugin",
			 p->abi_major, p->abi_minor, MG_ABI_MAJOR, MG_ABI_MINOR);
		return -EPROTO;
	}
	if (p->abi_minor > MG_ABI_MINOR) {
		snprintf(err, cap, "built for plugin ABI %u.%u, newer than this host's %u.%u; rebuild mirage-host",
			 p->abi_major, p->abi_minor, MG_ABI_MAJOR, MG_ABI_MINOR);
		return -EPROTO;
	}
	if (!p->signature || strcmp(p->signature, MG_SIGNATURE)) {
		snprintf(err, cap, "built with signature \"%s\", this host has \"%s\"",
			 p->signature ? p->signature : "(none)", MG_SIGNATURE);
		return -EPROTO;
	}
	if (p->size < MG_PLUGIN_SIZE_1_0 || !p->name || !*p->name) {
		snprintf(err, cap, "descriptor is truncated or has no name");
		return -EPROTO;
	}
	snprintf(what, sizeof what, "plugin '%s' provides", p->name);
	if ((rc = check_type(&p->provides, what, err, cap)) < 0)
		return rc;
	for (uint32_t i = 0; i < p->nslots; i++) {
		snprintf(what, sizeof what, "plugin '%s' slot '%s' wants", p->name,
			 p->slots[i].name);
		if ((rc = check_type(&p->slots[i].type, what, err, cap)) < 0)
			return rc;
	}
	for (uint32_t i = 0; i < p->nparams; i++) {
		if (!mgr_param_type_name(p->params[i].type)) {
			snprintf(err, cap, "plugin '%s' parameter '%s' has unknown type %d",
				 p->name, p->params[i].name, (int)p->params[i].type);
			return -EPROTO;
		}
	}
	is_job = !strcmp(p->provides.name, "job");
	if (is_job ? !p->start : !p->connect) {
		snprintf(err, cap, "plugin '%s' has no %s function", p->name,
			 is_job ? "start" : "connect");
		return -EPROTO;
	}
	return 0;
}
