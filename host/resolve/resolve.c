/* resolve.c - the type checker and linker of configs: finds each device's
 * plugin, checks and converts its parameters, fills its slots (named deps,
 * the only device of the type, or the slot's default), and orders devices so
 * that each comes after its dependencies.  Every problem is reported with
 * the config line it belongs to; nothing here does I/O. */
#include <stdlib.h>
#include <string.h>

#include "resolve.h"
#include "defaults.h"
#include "value.h"
#include "types.h"

#define UNRESOLVED (-2)

struct node {
	char *name;
	const struct mgr_devcfg *cfg; /* NULL when implicit */
	const struct mg_plugin *plugin; /* NULL when it could not be loaded */
	int line;
	union mg_value *params;
	char **ptext;
	int *deps;     /* per slot: node index, MG_PLAN_NONE or UNRESOLVED */
	int *dep_line; /* per slot: where to point errors about it */
	int mark;      /* depth-first search: 0 new, 1 on the path, 2 done */
};

struct rs {
	const struct mgr_config *cfg;
	struct mgr_catalog *cat;
	uint32_t target;
	struct mgr_lines *diag;
	struct node *nodes;
	size_t n;
	int load_failed; /* a device's type is unknown: skip guesses about types */
	int *order;      /* node indexes, dependencies first */
	size_t norder;
};

#define ERR(rs, line, ...) mgr_diag_add((rs)->diag, (rs)->cfg->file, (line), __VA_ARGS__)

static int add_node(struct rs *rs, const char *name, const struct mgr_devcfg *cfg, int line)
{
	struct node *nd;

	rs->nodes = mgr_xrealloc(rs->nodes, (rs->n + 1) * sizeof *rs->nodes);
	nd = &rs->nodes[rs->n];
	memset(nd, 0, sizeof *nd);
	nd->name = mgr_strdup(name);
	nd->cfg = cfg;
	nd->line = line;
	return (int)rs->n++;
}

static void suggest_name_cb(void *arg, const char *name)
{
	mgr_suggest_add(arg, name);
}

/* The descriptor of impl, checked for this host and target; NULL after a
 * diag (or silently, when quiet, for trying slot defaults). */
static const struct mg_plugin *find_plugin(struct rs *rs, const char *dev, const char *impl,
					   int line, int quiet)
{
	const struct mg_plugin *p = NULL;
	char err[512], hint[160], targets[32];
	const char *where;
	int rc = rs->cat->find(rs->cat, impl, &p, err, sizeof err);

	if (rc == -ENOENT && mgr_renamed(impl))
		rc = rs->cat->find(rs->cat, mgr_renamed(impl), &p, err, sizeof err);
	if (rc == -ENOENT) {
		struct mgr_suggest sg;

		if (quiet)
			return NULL;
		mgr_suggest_init(&sg, impl);
		rs->cat->each_name(rs->cat, suggest_name_cb, &sg);
		ERR(rs, line, "device '%s': unknown implementation '%s': no plugin of that name on the plugin path%s",
		    dev, impl, mgr_suggest_text(&sg, hint, sizeof hint));
		return NULL;
	}
	if (rc == 0)
		rc = mgr_plugin_check(p, err, sizeof err);
	if (rc < 0) {
		where = p && rs->cat->origin ? rs->cat->origin(rs->cat, p) : NULL;
		ERR(rs, line, "device '%s': implementation '%s'%s%s%s: %s", dev, impl,
		    where ? " (" : "", where ? where : "", where ? ")" : "", err);
		return NULL;
	}
	if (!(p->targets & rs->target)) {
		if (!quiet)
			ERR(rs, line, "device '%s': implementation '%s' does not support target %s (it supports: %s)",
			    dev, impl, mgr_target_name(rs->target),
			    mgr_targets_text(p->targets, targets, sizeof targets));
		return NULL;
	}
	return p;
}

static const char *found_text(const struct mgr_value *v, char *buf, size_t cap)
{
	static const char *const kinds[] = { "string", "integer", "boolean", "float", "" };

	if (v->kind == MGR_V_LIST)
		return v->text;
	snprintf(buf, cap, v->kind == MGR_V_STRING ? "%s \"%s\"" : "%s %s", kinds[v->kind], v->text);
	return buf;
}

/* Converts v to param p's type.  0, or -EINVAL with the reason in err. */
static int coerce(const struct mg_param *p, const struct mgr_value *v, const char *dir,
		  union mg_value *out, char **text, char *err, size_t cap)
{
	char found[256];

	switch (p->type) {
	case MG_PARAM_INT:
		if (v->kind == MGR_V_INT) {
			out->i = v->i;
		} else if (v->kind != MGR_V_STRING || mgr_parse_int(v->text, &out->i) < 0) {
			snprintf(err, cap, "expected an integer, found %s",
				 found_text(v, found, sizeof found));
			return -EINVAL;
		}
		if (mgr_check_int(p, out->i, err, cap) < 0)
			return -EINVAL;
		*text = mgr_strf("%lld", (long long)out->i);
		return 0;
	case MG_PARAM_BOOL:
		if (v->kind == MGR_V_BOOL)
			out->b = v->b;
		else if (v->kind != MGR_V_STRING || mgr_parse_bool(v->text, &out->b) < 0) {
			snprintf(err, cap, "expected a boolean (true or false), found %s",
				 found_text(v, found, sizeof found));
			return -EINVAL;
		}
		*text = mgr_strdup(out->b ? "true" : "false");
		return 0;
	case MG_PARAM_STRING:
	case MG_PARAM_PATH:
	case MG_PARAM_ENUM:
		if (v->kind != MGR_V_STRING) {
			snprintf(err, cap, "expected a %s, found %s",
				 p->type == MG_PARAM_PATH ? "path (a string)" : "string",
				 found_text(v, found, sizeof found));
			return -EINVAL;
		}
		if (p->type == MG_PARAM_ENUM && mgr_check_enum(p, v->text, err, cap) < 0)
			return -EINVAL;
		if (p->type == MG_PARAM_PATH && v->text[0] && v->text[0] != '/' && strcmp(dir, "."))
			*text = mgr_strf("%s/%s", dir, v->text);
		else
			*text = mgr_strdup(v->text);
		out->s = *text;
		return 0;
	}
	snprintf(err, cap, "parameter has unknown type %d", (int)p->type);
	return -EINVAL;
}

static void param_names_text(const struct mg_plugin *p, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < p->nparams && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", p->params[i].name);
	if (!p->nparams)
		snprintf(buf, cap, "none");
}

static const struct mgr_value *config_param(const struct mgr_devcfg *cfg, const char *name)
{
	for (size_t i = 0; cfg && i < cfg->nparams; i++)
		if (!strcmp(cfg->params[i].key, name))
			return &cfg->params[i];
	return NULL;
}

static void resolve_params(struct rs *rs, struct node *nd)
{
	const struct mg_plugin *p = nd->plugin;
	char err[512], hint[160];

	nd->params = mgr_xalloc(p->nparams * sizeof *nd->params);
	nd->ptext = mgr_xalloc(p->nparams * sizeof *nd->ptext);
	for (size_t i = 0; nd->cfg && i < nd->cfg->nparams; i++) {
		const struct mgr_value *v = &nd->cfg->params[i];
		struct mgr_suggest sg;
		uint32_t k;

		mgr_suggest_init(&sg, v->key);
		for (k = 0; k < p->nparams && strcmp(p->params[k].name, v->key); k++)
			mgr_suggest_add(&sg, p->params[k].name);
		if (k < p->nparams)
			continue;
		param_names_text(p, err, sizeof err);
		ERR(rs, v->line, "device '%s': unknown parameter '%s' for %s%s; it takes: %s",
		    nd->name, v->key, p->name, mgr_suggest_text(&sg, hint, sizeof hint), err);
	}
	for (uint32_t k = 0; k < p->nparams; k++) {
		const struct mg_param *pd = &p->params[k];
		const struct mgr_value *v = config_param(nd->cfg, pd->name);
		struct mgr_value def = { .kind = MGR_V_STRING, .text = (char *)pd->def };

		if (!v && !pd->def) {
			ERR(rs, nd->line, "device '%s': missing required parameter '%s' (%s%s%s) for %s",
			    nd->name, pd->name, mgr_param_type_name(pd->type),
			    pd->doc ? ": " : "", pd->doc ? pd->doc : "", p->name);
			continue;
		}
		if (coerce(pd, v ? v : &def, rs->cfg->dir, &nd->params[k], &nd->ptext[k], err,
			   sizeof err) < 0) {
			if (v)
				ERR(rs, v->line, "device '%s': parameter '%s'%s: %s", nd->name,
				    pd->name, v->from_set ? " (from --set)" : "", err);
			else
				ERR(rs, nd->line, "device '%s': plugin %s has a bad default for '%s': %s",
				    nd->name, p->name, pd->name, err);
		}
	}
}

static int node_by_name(const struct rs *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->nodes[i].name, name))
			return (int)i;
	return -1;
}

static int provides(const struct node *nd, const struct mg_type *t)
{
	return nd->plugin && !strcmp(nd->plugin->provides.name, t->name);
}

/* Device `to` fills slot s of self if it provides at least the slot's
 * minor.  `to`, or UNRESOLVED after a diag. */
static int recent_enough(struct rs *rs, int self, const struct mg_slot *s, int to, int line)
{
	const struct mg_plugin *have = rs->nodes[to].plugin;

	if (have->provides.minor >= s->type.minor)
		return to;
	ERR(rs, line, "device '%s': slot '%s' of %s expects %s >= %u.%u, but device '%s' (%s) provides %s %u.%u",
	    rs->nodes[self].name, s->name, rs->nodes[self].plugin->name, s->type.name, s->type.major,
	    s->type.minor, rs->nodes[to].name, have->name, have->provides.name,
	    have->provides.major, have->provides.minor);
	return UNRESOLVED;
}

/* A device named in deps: exists, has the slot's type and a recent enough
 * minor.  The node index, or UNRESOLVED after a diag. */
static int explicit_dep(struct rs *rs, int self, const struct mg_slot *s, const struct mgr_dep *dep)
{
	const struct node *nd = &rs->nodes[self];
	int j = node_by_name(rs, dep->device);
	const struct node *to;
	char hint[160];

	if (j < 0) {
		struct mgr_suggest sg;

		mgr_suggest_init(&sg, dep->device);
		for (size_t k = 0; k < rs->n; k++)
			mgr_suggest_add(&sg, rs->nodes[k].name);
		ERR(rs, dep->line, "device '%s': deps.%s names unknown device '%s'%s", nd->name,
		    dep->slot, dep->device, mgr_suggest_text(&sg, hint, sizeof hint));
		return UNRESOLVED;
	}
	to = &rs->nodes[j];
	if (!to->plugin)
		return UNRESOLVED; /* its own error was reported */
	if (!provides(to, &s->type)) {
		ERR(rs, dep->line, "device '%s': slot '%s' of %s expects a %s, but device '%s' (%s) is a %s",
		    nd->name, s->name, nd->plugin->name, s->type.name, to->name, to->plugin->name,
		    to->plugin->provides.name);
		return UNRESOLVED;
	}
	return recent_enough(rs, self, s, j, dep->line);
}

/* Implementations a slot defaults to: its own list, else the target's
 * default for its type. */
static const char *slot_default(const struct rs *rs, const struct mg_slot *s)
{
	return s->def ? s->def : mgr_default_impl(s->type.name, rs->target);
}

/* The slot's default: an implicit device of the first listed
 * implementation that exists and supports the target, shared by every slot
 * that defaults to it.  The node index or -1. */
static int default_dep(struct rs *rs, const struct mg_slot *s)
{
	const char *d = slot_default(rs, s);

	while (d && *d) {
		size_t len = strcspn(d, " ");
		char *impl = mgr_strf("%.*s", (int)len, d);
		const struct mg_plugin *p;
		int j = -1;

		for (size_t k = 0; k < rs->n && j < 0; k++)
			if (!rs->nodes[k].cfg && rs->nodes[k].plugin &&
			    !strcmp(rs->nodes[k].plugin->name, impl) &&
			    rs->nodes[k].plugin->provides.minor >= s->type.minor)
				j = (int)k;
		if (j < 0 && (p = find_plugin(rs, impl, impl, 0, 1)) &&
		    provides(&(struct node){ .plugin = p }, &s->type) &&
		    p->provides.minor >= s->type.minor) {
			j = add_node(rs, node_by_name(rs, s->name) < 0 ? s->name : impl, NULL, 0);
			rs->nodes[j].plugin = p;
		}
		free(impl);
		if (j >= 0)
			return j;
		d += len;
		d += strspn(d, " ");
	}
	return -1;
}

/* A slot not named in deps: the only device of its type, else the slot's
 * default, else empty when optional. */
static int implicit_dep(struct rs *rs, int self, const struct mg_slot *s)
{
	int found = -1, second = -1, j;
	const char *def;

	for (size_t k = 0; k < rs->n; k++) {
		if ((int)k == self || !provides(&rs->nodes[k], &s->type))
			continue;
		if (found < 0)
			found = (int)k;
		else if (second < 0)
			second = (int)k;
	}
	if (second >= 0) {
		ERR(rs, rs->nodes[self].line, "device '%s': slot '%s' of %s is ambiguous: devices '%s' and '%s' both provide %s; name one with deps = { %s = \"...\"; }",
		    rs->nodes[self].name, s->name, rs->nodes[self].plugin->name,
		    rs->nodes[found].name, rs->nodes[second].name, s->type.name, s->name);
		return UNRESOLVED;
	}
	if (found >= 0)
		return recent_enough(rs, self, s, found, rs->nodes[self].line);
	if (rs->load_failed)
		return UNRESOLVED; /* the device that failed may have been the one */
	if ((j = default_dep(rs, s)) >= 0)
		return j;
	if (s->optional)
		return MG_PLAN_NONE;
	def = slot_default(rs, s);
	ERR(rs, rs->nodes[self].line, "device '%s': missing dependency: slot '%s' of %s needs a %s device; none is configured%s%s%s",
	    rs->nodes[self].name, s->name, rs->nodes[self].plugin->name, s->type.name,
	    def ? " and its default '" : " and the type has no default for this target",
	    def ? def : "", def ? "' is not usable here" : "");
	return UNRESOLVED;
}

static void resolve_slots(struct rs *rs, int self)
{
	const struct mg_plugin *p = rs->nodes[self].plugin;
	const struct mgr_devcfg *cfg = rs->nodes[self].cfg;
	int *deps = mgr_xalloc(p->nslots * sizeof *deps);
	int *lines = mgr_xalloc(p->nslots * sizeof *lines);
	char hint[160];

	for (size_t i = 0; cfg && i < cfg->ndeps; i++) {
		struct mgr_suggest sg;
		uint32_t k;

		mgr_suggest_init(&sg, cfg->deps[i].slot);
		for (k = 0; k < p->nslots && strcmp(p->slots[k].name, cfg->deps[i].slot); k++)
			mgr_suggest_add(&sg, p->slots[k].name);
		if (k == p->nslots)
			ERR(rs, cfg->deps[i].line, "device '%s': deps.%s: %s has no slot '%s'%s",
			    cfg->name, cfg->deps[i].slot, p->name, cfg->deps[i].slot,
			    mgr_suggest_text(&sg, hint, sizeof hint));
	}
	for (uint32_t k = 0; k < p->nslots; k++) {
		const struct mgr_dep *dep = NULL;

		for (size_t i = 0; cfg && i < cfg->ndeps && !dep; i++)
			if (!strcmp(cfg->deps[i].slot, p->slots[k].name))
				dep = &cfg->deps[i];
		lines[k] = dep ? dep->line : rs->nodes[self].line;
		/* implicit_dep may grow rs->nodes: no node pointer is kept */
		deps[k] = dep ? explicit_dep(rs, self, &p->slots[k], dep)
			      : implicit_dep(rs, self, &p->slots[k]);
	}
	rs->nodes[self].deps = deps;
	rs->nodes[self].dep_line = lines;
}

/* Depth-first, dependencies first; `path` holds the nodes being visited so
 * that a cycle can be named.  -ELOOP after a diag. */
static int visit(struct rs *rs, int i, int *path, size_t depth)
{
	struct node *nd = &rs->nodes[i];

	if (nd->mark == 2)
		return 0;
	if (nd->mark == 1) {
		char *text = mgr_strdup(nd->name);
		size_t from = depth - 1;
		int next, line = nd->line;

		while (path[from] != i)
			from--;
		for (size_t k = from + 1; k <= depth; k++) {
			char *longer = mgr_strf("%s -> %s", text,
						rs->nodes[k < depth ? path[k] : i].name);

			free(text);
			text = longer;
		}
		/* point at the dep that leaves the cycle's first device */
		next = from + 1 < depth ? path[from + 1] : i;
		for (uint32_t s = 0; s < nd->plugin->nslots; s++)
			if (nd->deps[s] == next)
				line = nd->dep_line[s];
		ERR(rs, line, "dependency cycle: %s", text);
		free(text);
		return -ELOOP;
	}
	nd->mark = 1;
	path[depth] = i;
	for (uint32_t s = 0; nd->plugin && s < nd->plugin->nslots; s++)
		if (nd->deps[s] >= 0 && visit(rs, nd->deps[s], path, depth + 1) < 0)
			return -ELOOP;
	rs->nodes[i].mark = 2;
	rs->order[rs->norder++] = i;
	return 0;
}

static void free_nodes(struct rs *rs, int keep_values)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct node *nd = &rs->nodes[i];

		if (!keep_values) {
			for (uint32_t k = 0; nd->ptext && k < nd->plugin->nparams; k++)
				free(nd->ptext[k]);
			free(nd->ptext);
			free(nd->params);
			free(nd->name);
		}
		free(nd->deps);
		free(nd->dep_line);
	}
	free(rs->nodes);
	free(rs->order);
}

/* Moves the sorted nodes into the plan; names and values change owner. */
static void build_plan(struct rs *rs, struct mgr_resolved *out)
{
	struct mg_plan_device *devs = mgr_xalloc(rs->norder * sizeof *devs);
	int *plan_index = mgr_xalloc(rs->n * sizeof *plan_index);
	unsigned *jobs = mgr_xalloc(rs->n * sizeof *jobs);
	unsigned njobs = 0;

	out->info = mgr_xalloc(rs->norder * sizeof *out->info);
	for (size_t k = 0; k < rs->norder; k++)
		plan_index[rs->order[k]] = (int)k;
	for (size_t k = 0; k < rs->norder; k++) {
		struct node *nd = &rs->nodes[rs->order[k]];
		int *deps = mgr_xalloc(nd->plugin->nslots * sizeof *deps);

		for (uint32_t s = 0; s < nd->plugin->nslots; s++)
			deps[s] = nd->deps[s] >= 0 ? plan_index[nd->deps[s]] : MG_PLAN_NONE;
		devs[k] = (struct mg_plan_device){ nd->name, nd->plugin, nd->params, deps };
		out->info[k] = (struct mgr_devinfo){ nd->line, !nd->cfg, nd->ptext };
	}
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->nodes[i].plugin->provides.name, "job"))
			jobs[njobs++] = (unsigned)plan_index[i];
	out->plan = (struct mg_plan){ mgr_strdup(rs->cfg->name), devs, (unsigned)rs->norder, jobs, njobs,
				     rs->cfg->workers };
	free(plan_index);
}

int mgr_resolve(const struct mgr_config *cfg, struct mgr_catalog *cat, uint32_t target,
		struct mgr_resolved *out, struct mgr_lines *diag)
{
	struct rs rs = { .cfg = cfg, .cat = cat, .target = target, .diag = diag };
	size_t before = diag->n;

	memset(out, 0, sizeof *out);
	out->file = cfg->file;
	for (size_t i = 0; i < cfg->ndevs; i++) {
		const struct mgr_devcfg *d = &cfg->devs[i];
		int j = add_node(&rs, d->name, d, d->line);

		if (!d->impl)
			ERR(&rs, d->line, "device '%s' has no implementation: expected impl = \"NAME\";",
			    d->name);
		else
			rs.nodes[j].plugin = find_plugin(&rs, d->name, d->impl,
							 d->impl_line ? d->impl_line : d->line, 0);
		rs.load_failed |= !rs.nodes[j].plugin;
	}
	/* implicit devices are appended while this runs, and resolved too */
	for (size_t i = 0; i < rs.n; i++) {
		if (!rs.nodes[i].plugin)
			continue;
		resolve_params(&rs, &rs.nodes[i]);
		resolve_slots(&rs, (int)i);
	}
	if (diag->n == before) {
		int *path = mgr_xalloc(rs.n * sizeof *path);

		rs.order = mgr_xalloc(rs.n * sizeof *rs.order);
		for (size_t i = 0; i < rs.n; i++)
			if (visit(&rs, (int)i, path, 0) < 0)
				break;
		free(path);
	}
	if (diag->n > before) {
		free_nodes(&rs, 0);
		return -EINVAL;
	}
	build_plan(&rs, out);
	free_nodes(&rs, 1);
	return 0;
}

void mgr_resolved_free(struct mgr_resolved *r)
{
	for (unsigned k = 0; k < r->plan.ndevices; k++) {
		const struct mg_plan_device *d = &r->plan.devices[k];

		for (uint32_t p = 0; p < d->plugin->nparams; p++)
			free(r->info[k].param_text[p]);
		free(r->info[k].param_text);
		free((void *)d->params);
		free((void *)d->deps);
		free((void *)d->name);
	}
	free((void *)r->plan.devices);
	free((void *)r->plan.jobs);
	free((void *)r->plan.name);
	free(r->info);
	memset(r, 0, sizeof *r);
}

int mgr_plan_find(const struct mg_plan *plan, const char *name)
{
	for (unsigned k = 0; k < plan->ndevices; k++)
		if (!strcmp(plan->devices[k].name, name))
			return (int)k;
	return -1;
}

int mgr_plan_first_use(const struct mg_plan *plan, unsigned k)
{
	for (unsigned j = 0; j < k; j++)
		if (plan->devices[j].plugin == plan->devices[k].plugin)
			return 0;
	return 1;
}
