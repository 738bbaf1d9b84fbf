/* arraycat.c - see arraycat.h. */
#include <string.h>

#include "arraycat.h"

static int find(struct mgr_catalog *cat, const char *name, const struct mg_plugin **out,
		char *err, size_t cap)
{
	const struct arraycat *c = (const struct arraycat *)cat;

	(void)err, (void)cap;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->all[i]->name, name)) {
			*out = c->all[i];
			return 0;
		}
	return -ENOENT;
}

static void each_name(struct mgr_catalog *cat, void (*cb)(void *, const char *), void *arg)
{
	const struct arraycat *c = (const struct arraycat *)cat;

	for (size_t i = 0; i < c->n; i++)
		cb(arg, c->all[i]->name);
}

void arraycat_init(struct arraycat *c, const struct mg_plugin *const *all, size_t n)
{
	*c = (struct arraycat){ { find, each_name, NULL }, all, n };
}
