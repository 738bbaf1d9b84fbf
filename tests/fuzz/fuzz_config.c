/* fuzz_config.c - the config loader and the resolver (host/resolve/config.c,
 * resolve.c, types.c, diag.c) over arbitrary bytes read as a config file,
 * resolved for both targets against a fake catalog; the messages are
 * formatted too, as the tools print them. */
#include <string.h>

#include "fuzz.h"
#include "fuzzcat.h"
#include "memfile.h"

static const char *fake_env(const char *name)
{
	return !strcmp(name, "ROOT") ? "/from/env" : !strcmp(name, "EMPTY") ? "" : NULL;
}

static void resolve(const struct mgr_config *cfg, uint32_t target, struct mgr_lines *diag)
{
	struct mgr_resolved res;
	struct arraycat cat;

	fuzzcat_init(&cat);
	memset(&res, 0, sizeof res);
	if (mgr_resolve(cfg, &cat.base, target, &res, diag) == 0) {
		for (unsigned k = 0; k < res.plan.ndevices; k++)
			FUZZ_ASSERT(mgr_plan_find(&res.plan, res.plan.devices[k].name) == (int)k);
	}
	mgr_resolved_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct mgr_config cfg;
	struct mgr_lines diag;

	if (!sink)
		sink = fopen("/dev/null", "w");
	FUZZ_ASSERT(sink);
	memset(&cfg, 0, sizeof cfg);
	memset(&diag, 0, sizeof diag);
	if (mgr_config_load(&cfg, memfile_put(data, size), NULL, 0, fake_env, MG_TARGET_UNIX, &diag) == 0) {
		resolve(&cfg, MG_TARGET_UNIX, &diag);
		resolve(&cfg, MG_TARGET_XEN, &diag);
	}
	mgr_lines_print(&diag, sink);
	mgr_lines_free(&diag);
	mgr_config_free(&cfg);
	return 0;
}
