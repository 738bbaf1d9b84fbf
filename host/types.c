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

#define KNOWN(tag) &(const struct mg_type)tag
/* Every type this host was built with. */
static const struct mg_type *const known_types[] = {
	KNOWN(MG_CONSOLE_TYPE), KNOWN(MG_CLOCK_TYPE),   KNOWN(MG_TIME_TYPE),
	KNOWN(MG_RANDOM_TYPE),  KNOWN(MG_KV_RO_TYPE),   KNOWN(MG_FLOW_TYPE),
	KNOWN(MG_NETWORK_TYPE), KNOWN(MG_STACKV4_TYPE), KNOWN(MG_HTTP_TYPE),
	KNOWN(MG_BLOCK_TYPE),   KNOWN(MG_EVTCHN_TYPE),  KNOWN(MG_JOB_TYPE),
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
	const struct mg_type *known = t->name ? type_find(t->name) : NULL;

	if (!known) {
		snprintf(err, cap, "%s unknown module type '%s'", what,
			 t->name ? t->name : "(null)");
		return -EPROTO;
	}
	if (t->major != known->major) {
		snprintf(err, cap, "%s %s %u.%u, but this host speaks %s %u.x (major versions differ)",
			 what, t->name, t->major, t->minor, known->name, known->major);
		return -EPROTO;
	}
	if (t->minor > known->minor) {
		snprintf(err, cap, "%s %s %u.%u, newer than this host's %s %u.%u; rebuild mirage-host",
			 what, t->name, t->major, t->minor, known->name, known->major,
			 known->minor);
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
