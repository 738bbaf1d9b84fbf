/* describe.c - plan and descriptor printing for check, describe, inspect. */
#include <string.h>

#include "describe.h"
#include "defaults.h"
#include "types.h"

static const char *dep_name(const struct mg_plan *plan, int dep)
{
	return dep >= 0 ? plan->devices[dep].name : "(none)";
}

void mgr_describe_text(const struct mgr_resolved *r, FILE *out)
{
	const struct mg_plan *plan = &r->plan;

	fprintf(out, "%s (%s): %u devices, in connect order\n", plan->name, r->file, plan->ndevices);
	for (unsigned k = 0; k < plan->ndevices; k++) {
		const struct mg_plan_device *d = &plan->devices[k];
		const struct mg_plugin *p = d->plugin;

		fprintf(out, "  %-10s %-16s %s %u.%u", d->name, p->name, p->provides.name,
			p->provides.major, p->provides.minor);
		if (r->info[k].implicit)
			fprintf(out, "  (default)");
		fputc('\n', out);
		for (uint32_t s = 0; s < p->nslots; s++)
			fprintf(out, "      %s -> %s\n", p->slots[s].name, dep_name(plan, d->deps[s]));
		for (uint32_t i = 0; i < p->nparams; i++)
			fprintf(out, "      %s = %s\n", p->params[i].name, r->info[k].param_text[i]);
	}
	for (unsigned j = 0; j < plan->njobs; j++)
		fprintf(out, "  start %s\n", plan->devices[plan->jobs[j]].name);
}

/* Graphviz string literal content: quotes and backslashes escaped. */
static void dot_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

void mgr_describe_dot(const struct mgr_resolved *r, FILE *out)
{
	const struct mg_plan *plan = &r->plan;

	fprintf(out, "digraph \"");
	dot_str(out, plan->name);
	fprintf(out, "\" {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n");
	for (unsigned k = 0; k < plan->ndevices; k++) {
		const struct mg_plugin *p = plan->devices[k].plugin;

		fprintf(out, "  d%u [label=\"", k);
		dot_str(out, plan->devices[k].name);
		fprintf(out, "\\n");
		dot_str(out, p->name);
		fprintf(out, " : %s\"%s];\n", p->provides.name,
			!strcmp(p->provides.name, "job") ? ", style=bold" :
			r->info[k].implicit ? ", style=dashed" : "");
	}
	for (unsigned k = 0; k < plan->ndevices; k++) {
		const struct mg_plan_device *d = &plan->devices[k];

		for (uint32_t s = 0; s < d->plugin->nslots; s++)
			if (d->deps[s] >= 0)
				fprintf(out, "  d%u -> d%d [label=\"%s\"];\n", k, d->deps[s],
					d->plugin->slots[s].name);
	}
	fprintf(out, "}\n");
}

/* ", default X" for a slot: its own list, else each target's default. */
static void slot_default_text(const struct mg_slot *sl, FILE *out)
{
	const char *u = mgr_default_impl(sl->type.name, MG_TARGET_UNIX);
	const char *x = mgr_default_impl(sl->type.name, MG_TARGET_XEN);

	if (sl->def)
		fprintf(out, ", default %s", sl->def);
	else if (u && x && !strcmp(u, x))
		fprintf(out, ", default %s", u);
	else if (u || x)
		fprintf(out, ", default %s%s%s%s%s", u ? u : "", u ? " (unix)" : "",
			u && x ? ", " : "", x ? x : "", x ? " (xen)" : "");
}

/* "  (newer than this host's ...)" after a type inspect shows. */
static void type_note(const struct mg_type *t, FILE *out)
{
	char note[96];

	if (mgr_type_note(t, note, sizeof note))
		fprintf(out, " (%s)", note);
}

void mgr_describe_plugin(const struct mg_plugin *p, const char *path, FILE *out)
{
	char targets[32];

	fprintf(out, "%s %s: %s\n", p->name, p->version ? p->version : "",
		p->summary ? p->summary : "");
	if (path)
		fprintf(out, "  file:     %s\n", path);
	fprintf(out, "  type:     %s %u.%u", p->provides.name, p->provides.major, p->provides.minor);
	type_note(&p->provides, out);
	fputc('\n', out);
	fprintf(out, "  abi:      %u.%u (%s)\n", p->abi_major, p->abi_minor, p->signature);
	fprintf(out, "  targets:  %s\n", mgr_targets_text(p->targets, targets, sizeof targets));
	fprintf(out, "  slots:%s\n", p->nslots ? "" : "    none");
	for (uint32_t s = 0; s < p->nslots; s++) {
		const struct mg_slot *sl = &p->slots[s];

		fprintf(out, "    %-12s %s %u.%u", sl->name, sl->type.name, sl->type.major,
			sl->type.minor);
		type_note(&sl->type, out);
		fprintf(out, "%s", sl->optional ? ", optional" : "");
		slot_default_text(sl, out);
		fprintf(out, "%s%s\n", sl->doc ? "  " : "", sl->doc ? sl->doc : "");
	}
	fprintf(out, "  params:%s\n", p->nparams ? "" : "   none");
	for (uint32_t i = 0; i < p->nparams; i++) {
		const struct mg_param *pa = &p->params[i];

		fprintf(out, "    %-12s %s", pa->name, mgr_param_type_name(pa->type));
		if (pa->type == MG_PARAM_ENUM)
			fprintf(out, " (%s)", pa->choices);
		if (pa->type == MG_PARAM_INT && pa->min < pa->max)
			fprintf(out, " [%lld..%lld]", (long long)pa->min, (long long)pa->max);
		if (pa->def)
			fprintf(out, ", default \"%s\"", pa->def);
		else
			fprintf(out, ", required");
		fprintf(out, "%s%s\n", pa->doc ? "  " : "", pa->doc ? pa->doc : "");
	}
}
