/* defaults.c - target policy, kept out of the ABI: the implementation that
 * fills a slot when neither the config nor the slot names one, per module
 * type and target (as functoria's default_console, default_time), and the
 * names plugins had before they were merged. */
#include <string.h>

#include "defaults.h"

static const struct {
	const char *type;
	uint32_t targets;
	const char *impl;
} defaults[] = {
	{ "console", MG_TARGET_UNIX, "console.unix" },
	{ "console", MG_TARGET_XEN, "console.xen" },
	{ "clock", MG_TARGET_UNIX, "clock.unix" },
	{ "clock", MG_TARGET_XEN, "clock.xen" },
	{ "time", MG_TARGET_ANY, "time.loop" },
	{ "random", MG_TARGET_UNIX, "random.openssl" },
	{ "random", MG_TARGET_XEN, "random.rdrand" },
	{ "stackv4", MG_TARGET_UNIX, "net.socket" },
	{ "stackv4", MG_TARGET_XEN, "net.direct" },
	{ "network", MG_TARGET_UNIX, "netif.tap" },
	{ "network", MG_TARGET_XEN, "netif.xen" },
	{ "http", MG_TARGET_ANY, "http.server" },
	{ "evtchn", MG_TARGET_UNIX, "evtchn.unix" },
	{ "evtchn", MG_TARGET_XEN, "xen.evtchn" },
};

/* time.unix and time.xen were one source built twice (ABI 1.1). */
static const struct {
	const char *old, *now;
} renamed[] = {
	{ "time.unix", "time.loop" },
	{ "time.xen", "time.loop" },
};

const char *mgr_default_impl(const char *type, uint32_t target)
{
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (!strcmp(defaults[i].type, type) && (defaults[i].targets & target))
			return defaults[i].impl;
	return NULL;
}

const char *mgr_renamed(const char *name)
{
	for (size_t i = 0; i < sizeof renamed / sizeof renamed[0]; i++)
		if (!strcmp(renamed[i].old, name))
			return renamed[i].now;
	return NULL;
}
