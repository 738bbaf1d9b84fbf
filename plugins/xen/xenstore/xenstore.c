/* xen.xenstore - the domain's own xenstore subtree (/local/domain/<domid>)
 * as a read-only kv_ro.  Keys are paths below the domain's home: "name",
 * "domid", "device/vif/0/mac".  A node with children is a dictionary, one
 * without a value.  kv_ro is synchronous, so connect reads the whole
 * subtree through the platform's asynchronous client (mgx.h) into memory
 * and reports ready later (host->connected); the ops serve that snapshot:
 * what changes in xenstore afterwards is not seen. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mirage/host.h"
#include "mirage/kv_ro.h"
#include "../common/xendev.h"

#define MAX_NODES 4096 /* a domain's home holds a few dozen */
#define HOME_MAX 32

struct node {
	struct xstore *x;
	char *name;     /* last segment; "" for the home */
	char *path;     /* absolute, while loading */
	char *value;    /* NUL-ended */
	size_t len;
	struct node **kids; /* sorted by name once loaded */
	size_t nkids;
};

struct xstore {
	struct mg_kv_ro kv;
	const struct mg_env *env;
	struct node *root;
	unsigned nodes, waiting; /* made, requests out */
};

static char *dup_bytes(struct xstore *x, const char *s, size_t len)
{
	char *p = mg_alloc(x->env, len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static void free_node(struct xstore *x, struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		free_node(x, n->kids[i]);
	mg_free(x->env, n->kids);
	mg_free(x->env, n->name);
	mg_free(x->env, n->path);
	mg_free(x->env, n->value);
	mg_free(x->env, n);
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct node *const *)a)->name, (*(struct node *const *)b)->name);
}

/* Sorts every node's children and drops the paths the load needed. */
static void settle(struct xstore *x, struct node *n)
{
	qsort(n->kids, n->nkids, sizeof *n->kids, by_name);
	mg_free(x->env, n->path);
	n->path = NULL;
	for (size_t i = 0; i < n->nkids; i++)
		settle(x, n->kids[i]);
}

/* Ends the connect: the host disconnects the device, so the caller must
 * not touch x after this, nor after answered(). */
static void fail(struct xstore *x, int rc, const char *what, const char *path)
{
	mg_log(x->env, MG_LOG_ERROR, "%s %s: %s", what, path, strerror(-rc));
	mgx_xs_drop(x->env); /* the rest is not needed */
	x->env->host->connected(x->env, rc);
}

/* A reply came: when it was the last, connect is over. */
static void answered(struct xstore *x)
{
	if (--x->waiting > 0)
		return;
	settle(x, x->root);
	mg_log(x->env, MG_LOG_DEBUG, "%u xenstore nodes read", x->nodes);
	x->env->host->connected(x->env, 0);
}

static void on_read(void *arg, int status, const char *payload, size_t len)
{
	struct node *n = arg;
	struct xstore *x = n->x;

	/* a node removed since its parent was listed is just empty */
	if (status == 0 && !(n->value = dup_bytes(x, payload, len)))
		status = -ENOMEM;
	n->len = status == 0 ? len : 0;
	if (status < 0 && status != -ENOENT)
		fail(x, status, "cannot read", n->path);
	else
		answered(x);
}

static int add_kids(struct xstore *x, struct node *n, const char *names, size_t len)
{
	size_t count = 0;

	for (size_t off = 0; off < len; off += strlen(names + off) + 1)
		count++;
	if (x->nodes + count > MAX_NODES)
		return -EFBIG;
	if (count && !(n->kids = mg_zalloc(x->env, count * sizeof *n->kids)))
		return -ENOMEM;
	for (size_t off = 0; off < len; off += strlen(names + off) + 1) {
		const char *name = names + off;
		struct node *k = mg_zalloc(x->env, sizeof *k);
		size_t size;

		if (!k)
			return -ENOMEM;
		k->x = x;
		n->kids[n->nkids++] = k;
		x->nodes++;
		k->name = dup_bytes(x, name, strlen(name));
		size = strlen(n->path) + strlen(name) + 2;
		k->path = mg_alloc(x->env, size);
		if (!k->name || !k->path)
			return -ENOMEM;
		snprintf(k->path, size, "%s/%s", n->path, name);
	}
	return 0;
}

static void on_directory(void *arg, int status, const char *payload, size_t len);

/* Asks for n's value (not the home's) and children. */
static int load(struct xstore *x, struct node *n)
{
	int rc = 0;

	if (n != x->root && (rc = mgx_xs_read(x->env, n->path, on_read, n, NULL)) == 0)
		x->waiting++;
	if (rc == 0 && (rc = mgx_xs_directory(x->env, n->path, on_directory, n, NULL)) == 0)
		x->waiting++;
	return rc;
}

static void on_directory(void *arg, int status, const char *payload, size_t len)
{
	struct node *n = arg;
	struct xstore *x = n->x;

	if (status == 0)
		status = add_kids(x, n, payload, len);
	if (status < 0 && status != -ENOENT) {
		fail(x, status, "cannot list", n->path);
		return;
	}
	for (size_t i = 0; i < n->nkids; i++)
		if ((status = load(x, n->kids[i])) < 0) {
			fail(x, status, "cannot ask for", n->kids[i]->path);
			return;
		}
	answered(x);
}

/* The home's path comes from the domain's id. */
static void on_domid(void *arg, int status, const char *payload, size_t len)
{
	struct xstore *x = arg;
	char home[HOME_MAX];
	int n = snprintf(home, sizeof home, "/local/domain/%s", status == 0 ? payload : "");

	(void)len;
	if (status == 0 && (n < 0 || n >= HOME_MAX))
		status = -EPROTO;
	if (status == 0 && (!(x->root = mg_zalloc(x->env, sizeof *x->root)) ||
			    !(x->root->name = dup_bytes(x, "", 0)) ||
			    !(x->root->path = dup_bytes(x, home, (size_t)n))))
		status = -ENOMEM;
	if (status < 0) {
		fail(x, status, "cannot read this domain's id from xenstore", "(domid)");
		return;
	}
	x->root->x = x;
	x->nodes = 1;
	if ((status = load(x, x->root)) < 0)
		fail(x, status, "cannot ask for", x->root->path);
	else
		answered(x);
}

/* The node of key: 0, -ENOENT, -EINVAL. */
static int find(struct xstore *x, const char *key, struct node **out)
{
	struct node *n = x->root;
	int rc = mg_kv_key_check(key);

	if (rc < 0)
		return rc;
	while (*key) {
		const char *slash = strchr(key, '/');
		size_t len = slash ? (size_t)(slash - key) : strlen(key);
		struct node *next = NULL;

		for (size_t i = 0; i < n->nkids && !next; i++)
			if (strncmp(n->kids[i]->name, key, len) == 0 && n->kids[i]->name[len] == '\0')
				next = n->kids[i];
		if (!next)
			return -ENOENT;
		n = next;
		key += len + (slash != NULL);
	}
	*out = n;
	return 0;
}

static enum mg_kv_kind kind_of(const struct xstore *x, const struct node *n)
{
	return n == x->root || n->nkids ? MG_KV_DICTIONARY : MG_KV_VALUE;
}

static struct xstore *xs_of(struct mg_kv_ro *kv)
{
	return mg_container_of(kv, struct xstore, kv);
}

/* The value node of key: -EISDIR for a dictionary. */
static int find_value(struct xstore *x, const char *key, struct node **out)
{
	int rc = find(x, key, out);

	return rc == 0 && kind_of(x, *out) == MG_KV_DICTIONARY ? -EISDIR : rc;
}

static int xs_exists(struct mg_kv_ro *kv, const char *key, enum mg_kv_kind *kind)
{
	struct xstore *x = xs_of(kv);
	struct node *n;
	int rc = find(x, key, &n);

	if (rc == 0)
		*kind = kind_of(x, n);
	return rc;
}

static int xs_get(struct mg_kv_ro *kv, const char *key, void *buf, size_t cap, size_t *len)
{
	struct node *n;
	int rc = find_value(xs_of(kv), key, &n);

	if (rc < 0)
		return rc;
	*len = n->len;
	if (n->len > cap)
		return -ENOSPC;
	memcpy(buf, n->value, n->len);
	return 0;
}

static int xs_get_partial(struct mg_kv_ro *kv, const char *key, uint64_t offset, void *buf,
			  size_t len, size_t *got)
{
	struct node *n;
	int rc = find_value(xs_of(kv), key, &n);

	if (rc < 0)
		return rc;
	*got = 0;
	if (offset < n->len) {
		*got = n->len - (size_t)offset < len ? n->len - (size_t)offset : len;
		memcpy(buf, n->value + offset, *got);
	}
	return 0;
}

static int xs_size(struct mg_kv_ro *kv, const char *key, uint64_t *size)
{
	struct node *n;
	int rc = find_value(xs_of(kv), key, &n);

	if (rc == 0)
		*size = n->len;
	return rc;
}

static int xs_last_modified(struct mg_kv_ro *kv, const char *key, int64_t *ns)
{
	struct node *n;
	int rc = find(xs_of(kv), key, &n);

	if (rc == 0)
		*ns = 0; /* xenstore keeps no times */
	return rc;
}

/* FNV-1a of the value: changes whenever the value does. */
static int xs_digest(struct mg_kv_ro *kv, const char *key, char *buf, size_t cap)
{
	uint64_t h = 14695981039346656037ull;
	struct node *n;
	int rc = find_value(xs_of(kv), key, &n), len;

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n->len; i++)
		h = (h ^ (uint8_t)n->value[i]) * 1099511628211ull;
	len = snprintf(buf, cap, "fnv1a64-%016llx", (unsigned long long)h);
	return len < 0 || (size_t)len >= cap ? -ENOSPC : 0;
}

static int xs_list(struct mg_kv_ro *kv, const char *key, mg_kv_list_cb cb, void *arg)
{
	struct xstore *x = xs_of(kv);
	struct node *n;
	int rc = find(x, key, &n);

	if (rc == 0 && kind_of(x, n) != MG_KV_DICTIONARY)
		rc = -ENOTDIR;
	for (size_t i = 0; rc == 0 && i < n->nkids; i++)
		rc = cb(arg, n->kids[i]->name, kind_of(x, n->kids[i]));
	return rc;
}

static const struct mg_kv_ro_ops xs_ops = {
	.hdr = MG_OPS_HDR(struct mg_kv_ro_ops, 1, 0),
	.exists = xs_exists,
	.get = xs_get,
	.get_partial = xs_get_partial,
	.list = xs_list,
	.size = xs_size,
	.last_modified = xs_last_modified,
	.digest = xs_digest,
};

static int xs_connect(const struct mg_env *env, struct mg_device **out)
{
	struct xstore *x;
	int rc;

	if ((rc = xendev_check(env, "xenstore", 1)) < 0)
		return rc;
	if (!(x = mg_zalloc(env, sizeof *x)))
		return -ENOMEM;
	x->kv.ops = &xs_ops;
	x->env = env;
	/* A relative path is read below the domain's home. */
	rc = mgx_xs_read(env, "domid", on_domid, x, NULL);
	if (rc < 0) {
		mg_log(env, MG_LOG_ERROR, "no xenstore: %s", strerror(-rc));
		mg_free(env, x);
		return rc;
	}
	x->waiting = 1;
	*out = MG_DEVICE(&x->kv);
	return -EINPROGRESS;
}

static void xs_disconnect(struct mg_device *dev)
{
	struct xstore *x = mg_container_of(dev, struct xstore, kv);

	mgx_xs_drop(x->env);
	free_node(x, x->root);
	mg_free(x->env, x);
}

MG_PLUGIN(.name = "xen.xenstore", .version = "1.1",
	  .summary = "the domain's xenstore keys (/local/domain/<domid>), read at connect, as a kv_ro",
	  .provides = MG_TYPE(KV_RO, 0), .targets = MG_TARGET_XEN,
	  .connect = xs_connect, .disconnect = xs_disconnect);
