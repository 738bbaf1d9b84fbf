/* xl.c - the xl config of a frozen Xen image.  Besides the fixed lines,
 * the toolstack must give the domain the devices its drivers attach to:
 * each row of the table below names a driver plugin, the xl list its
 * devices go in (vif, disk) and how one device's entry is written.  A
 * device's place in its list is its `index` parameter when it has one (xl
 * numbers device/vif/N by list order), else its order in the plan. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xl.h"

/* The entry of plan device k at place `place` of its list, on the heap;
 * NULL after adding why to diag. */
typedef char *(*xl_entry_fn)(const struct mgr_resolved *r, unsigned k, unsigned place,
			     struct mgr_lines *diag);

/* A parameter of device k by name, as text; NULL without it. */
static const char *param_text(const struct mgr_resolved *r, unsigned k, const char *name)
{
	const struct mg_plugin *p = r->plan.devices[k].plugin;

	for (uint32_t i = 0; i < p->nparams; i++)
		if (!strcmp(p->params[i].name, name))
			return r->info[k].param_text[i];
	return NULL;
}

/* A vif: dom0's hotplug script vif-route (stock Xen: the vif gets dom0's
 * address, the guest's is routed; the testbed's version sets up
 * 10.0.0.0/24), and the address of the stack over it when that one has a
 * fixed ipv4 ("10.0.0.2/24"); without one the guest asks by DHCP. */
static char *vif_entry(const struct mgr_resolved *r, unsigned k, unsigned place,
		       struct mgr_lines *diag)
{
	(void)place, (void)diag;
	for (unsigned j = 0; j < r->plan.ndevices; j++) {
		const struct mg_plan_device *d = &r->plan.devices[j];
		const char *ip = param_text(r, j, "ipv4");

		for (uint32_t s = 0; ip && strcmp(ip, "dhcp") && s < d->plugin->nslots; s++)
			if (d->deps[s] == (int)k)
				return mgr_strf("ip=%.*s,script=vif-route", (int)strcspn(ip, "/"), ip);
	}
	return mgr_strdup("script=vif-route");
}

/* A disk: the image named by the device's `path` (absolute: xl runs
 * elsewhere), attached in dom0 by the hotplug script block-loop (a loop
 * device handed to blkback; tests/xen/block-loop.sh), read-only unless
 * read_only is false.  xvda, xvdb... by place: the guest's device/vbd
 * numbers then sort in the list's order, which block.xen's index follows.
 * target= comes last: xl takes the rest of the entry as the path. */
static char *disk_entry(const struct mgr_resolved *r, unsigned k, unsigned place,
			struct mgr_lines *diag)
{
	const char *path = param_text(r, k, "path"), *ro = param_text(r, k, "read_only");
	char *abs = NULL, *entry;

	if (path && path[0] != '/')
		abs = realpath(path, NULL);
	if (path && path[0] != '/' && !abs) {
		char cwd[4096];

		abs = getcwd(cwd, sizeof cwd) ? mgr_strf("%s/%s", cwd, path) : NULL;
	}
	if (!path || !path[0] || strchr(path, '\'') || place >= 26) {
		mgr_diag_add(diag, r->file, r->info[k].line,
			     "device '%s': %s", r->plan.devices[k].name,
			     place >= 26 ? "an image takes 26 disks at most (xvda to xvdz)"
					 : "path: expected the disk image's path in dom0 for the .xl's disk target, without a ' in it");
		free(abs);
		return NULL;
	}
	entry = mgr_strf("format=raw, vdev=xvd%c, access=%s, script=block-loop, target=%s",
			 'a' + place, ro && !strcmp(ro, "false") ? "rw" : "ro", abs ? abs : path);
	free(abs);
	return entry;
}

static const struct xl_device {
	const char *impl;  /* the driver */
	const char *list;  /* the xl list its devices go in */
	xl_entry_fn entry;
} xl_devices[] = {
	{ "netif.xen", "vif", vif_entry },
	{ "block.xen", "disk", disk_entry },
};
#define NROWS (sizeof xl_devices / sizeof xl_devices[0])

static const struct xl_device *row_of(const struct mg_plugin *p)
{
	for (size_t i = 0; i < NROWS; i++)
		if (!strcmp(xl_devices[i].impl, p->name))
			return &xl_devices[i];
	return NULL;
}

/* Writes `list = [ ... ]` of the devices the list holds, in place order. */
static int write_list(const struct mgr_resolved *r, const char *list, FILE *out,
		      struct mgr_lines *diag)
{
	unsigned n = 0, *at = mgr_xalloc(r->plan.ndevices * sizeof *at);
	char **entries = mgr_xalloc(r->plan.ndevices * sizeof *entries);
	int rc = 0;

	for (unsigned k = 0; k < r->plan.ndevices; k++) {
		const struct xl_device *row = row_of(r->plan.devices[k].plugin);

		if (row && !strcmp(row->list, list))
			at[n++] = k;
	}
	for (unsigned i = 0; i < n && rc == 0; i++) {
		const char *index = param_text(r, at[i], "index");
		unsigned place = index ? (unsigned)strtoul(index, NULL, 10) : i;

		if (place >= n || entries[place]) {
			mgr_diag_add(diag, r->file, r->info[at[i]].line,
				     "device '%s': index %u %s: the %u %s device(s) of the image take indexes 0 to %u, one each (xl numbers them by their place in its %s list)",
				     r->plan.devices[at[i]].name, place,
				     place >= n ? "is out of range" : "is taken twice", n, list, n - 1, list);
			rc = -EINVAL;
			break;
		}
		entries[place] = row_of(r->plan.devices[at[i]].plugin)->entry(r, at[i], place, diag);
		if (!entries[place])
			rc = -EINVAL;
	}
	if (rc == 0 && n) {
		fprintf(out, "%s = [", list);
		for (unsigned i = 0; i < n; i++)
			fprintf(out, "%s '%s'", i ? "," : "", entries[i]);
		fprintf(out, " ]\n");
	}
	for (unsigned i = 0; i < n; i++)
		free(entries[i]);
	free(entries);
	free(at);
	return rc;
}

int mgt_write_xl(const struct mgr_resolved *r, const char *kernel, FILE *out,
		 struct mgr_lines *diag)
{
	int rc = 0;

	fprintf(out, "# xl config of the unikernel \"%s\", written by mirage-freeze\n"
		     "name = \"%s\"\nkernel = \"%s\"\ntype = \"pvh\"\nmemory = 32\nvcpus = 1\n"
		     "on_poweroff = \"destroy\"\non_crash = \"destroy\"\n"
		     /* Xen turns a triple fault into a reboot: never a restart loop */
		     "on_reboot = \"destroy\"\n",
		r->plan.name, r->plan.name, kernel);
	/* each list once, in the table's order */
	for (size_t i = 0; i < NROWS && rc == 0; i++) {
		size_t first = 0;

		while (strcmp(xl_devices[first].list, xl_devices[i].list))
			first++;
		if (first == i)
			rc = write_list(r, xl_devices[i].list, out, diag);
	}
	return rc;
}
