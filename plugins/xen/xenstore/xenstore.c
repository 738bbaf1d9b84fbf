/* xen.xenstore - the domain's own xenstore subtree (/local/domain/<domid>)
 * as a read-only kv_ro, over the xenstore ring (HVM params STORE_PFN and
 * STORE_EVTCHN).  Keys are paths below the domain's home: "name", "domid",
 * "device/vif/0/mac".  A node with children is a dictionary, one without a
 * value.  kv_ro is synchronous, so each op sends XS_READ or XS_DIRECTORY and
 * polls the ring for the reply (yielding the vCPU to xenstored), bounded by
 * REPLY_NS.  No watches, no transactions. */
#include <errno.h> /* before xs_wire.h: its error table needs the codes */
#include <stdint.h> /* before Xen's headers, which use its types */
#include <stdio.h>
#include <string.h>
#include <xen/event_channel.h>
#include <xen/hvm/params.h>
#include <xen/io/xs_wire.h>
#include <xen/sched.h>

#include "mirage/host.h"
#include "mirage/kv_ro.h"
#include "mgx.h"

#define REPLY_NS 5000000000ull
#define HOME_MAX 32

struct xstore {
	struct mg_kv_ro kv;
	const struct mg_env *env;
	struct xenstore_domain_interface *ring;
	evtchn_port_t port;
	uint32_t req_id;
	char home[HOME_MAX];                   /* "/local/domain/N" */
	char path[XENSTORE_ABS_PATH_MAX + 1];  /* the request's path */
	char reply[XENSTORE_PAYLOAD_MAX + 1];  /* the last reply, NUL-ended */
	uint32_t reply_len;
};

static void kick(struct xstore *x)
{
	struct evtchn_send send = { .port = x->port };

	mgx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (unsigned long)&send, 0, 0, 0);
}

/* Gives xenstored (in another domain) the CPU; -ETIMEDOUT past deadline. */
static int wait_peer(struct xstore *x, uint64_t deadline)
{
	kick(x);
	mgx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	return mgx_monotonic_ns() < deadline ? 0 : -ETIMEDOUT;
}

static int ring_put(struct xstore *x, const void *data, size_t len, uint64_t deadline)
{
	struct xenstore_domain_interface *r = x->ring;
	const char *p = data;

	while (len) {
		XENSTORE_RING_IDX cons = r->req_cons, prod = r->req_prod;
		size_t n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod);
		int rc;

		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (prod - cons > XENSTORE_RING_SIZE)
			return -EIO;
		if (n > XENSTORE_RING_SIZE - (prod - cons))
			n = XENSTORE_RING_SIZE - (prod - cons);
		if (n > len)
			n = len;
		if (n == 0) {
			if ((rc = wait_peer(x, deadline)) < 0)
				return rc;
			continue;
		}
		memcpy(r->req + MASK_XENSTORE_IDX(prod), p, n);
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* data before index */
		r->req_prod = prod + (XENSTORE_RING_IDX)n;
		p += n;
		len -= n;
	}
	kick(x);
	return 0;
}

static int ring_get(struct xstore *x, void *out, size_t len, uint64_t deadline)
{
	struct xenstore_domain_interface *r = x->ring;
	char *p = out;

	while (len) {
		XENSTORE_RING_IDX cons = r->rsp_cons, prod = r->rsp_prod;
		size_t n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons);
		int rc;

		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (prod - cons > XENSTORE_RING_SIZE)
			return -EIO;
		if (n > prod - cons)
			n = prod - cons;
		if (n > len)
			n = len;
		if (n == 0) {
			if ((rc = wait_peer(x, deadline)) < 0)
				return rc;
			continue;
		}
		memcpy(p, r->rsp + MASK_XENSTORE_IDX(cons), n);
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* data read before freeing */
		r->rsp_cons = cons + (XENSTORE_RING_IDX)n;
		p += n;
		len -= n;
	}
	kick(x);
	return 0;
}

/* xenstored answers errors as errno names ("ENOENT"). */
static int xs_error(const char *name)
{
	for (size_t i = 0; i < MG_COUNTOF(xsd_errors); i++)
		if (strcmp(xsd_errors[i].errstring, name) == 0)
			return -xsd_errors[i].errnum;
	return -EIO;
}

/* Sends one request about x->path; the reply lands in x->reply. */
static int request(struct xstore *x, uint32_t type)
{
	uint64_t deadline = mgx_monotonic_ns() + REPLY_NS;
	struct xsd_sockmsg msg = { .type = type, .req_id = ++x->req_id,
				   .len = (uint32_t)strlen(x->path) + 1 };
	int rc = ring_put(x, &msg, sizeof msg, deadline);

	if (rc == 0)
		rc = ring_put(x, x->path, msg.len, deadline);
	if (rc == 0)
		rc = ring_get(x, &msg, sizeof msg, deadline);
	if (rc == 0 && msg.len > XENSTORE_PAYLOAD_MAX)
		rc = -EIO;
	if (rc == 0)
		rc = ring_get(x, x->reply, msg.len, deadline);
	if (rc < 0) {
		mg_log(x->env, MG_LOG_ERROR, "xenstore ring: %s", strerror(-rc));
		return rc;
	}
	x->reply[msg.len] = '\0';
	x->reply_len = msg.len;
	return msg.type == XS_ERROR ? xs_error(x->reply) : 0;
}

/* Fills x->path with the key's absolute path. */
static int set_path(struct xstore *x, const char *key)
{
	int rc = mg_kv_key_check(key);
	int n;

	if (rc < 0)
		return rc;
	n = snprintf(x->path, sizeof x->path, "%s%s%s", x->home, *key ? "/" : "", key);
	return n < 0 || (size_t)n >= sizeof x->path ? -EINVAL : 0;
}

static int kind_of(struct xstore *x, const char *key, enum mg_kv_kind *kind)
{
	int rc = set_path(x, key);

	if (rc == 0)
		rc = request(x, XS_DIRECTORY);
	if (rc == 0)
		*kind = *key == '\0' || x->reply_len > 0 ? MG_KV_DICTIONARY : MG_KV_VALUE;
	return rc;
}

/* Reads a value into x->reply. */
static int read_value(struct xstore *x, const char *key)
{
	enum mg_kv_kind kind;
	int rc = kind_of(x, key, &kind);

	if (rc == 0 && kind == MG_KV_DICTIONARY)
		rc = -EISDIR;
	return rc == 0 ? request(x, XS_READ) : rc;
}

static struct xstore *xs_of(struct mg_kv_ro *kv)
{
	return mg_container_of(kv, struct xstore, kv);
}

static int xs_exists(struct mg_kv_ro *kv, const char *key, enum mg_kv_kind *kind)
{
	return kind_of(xs_of(kv), key, kind);
}

static int xs_get(struct mg_kv_ro *kv, const char *key, void *buf, size_t cap, size_t *len)
{
	struct xstore *x = xs_of(kv);
	int rc = read_value(x, key);

	if (rc < 0)
		return rc;
	*len = x->reply_len;
	if (x->reply_len > cap)
		return -ENOSPC;
	memcpy(buf, x->reply, x->reply_len);
	return 0;
}

static int xs_get_partial(struct mg_kv_ro *kv, const char *key, uint64_t offset, void *buf,
			  size_t len, size_t *got)
{
	struct xstore *x = xs_of(kv);
	int rc = read_value(x, key);

	if (rc < 0)
		return rc;
	*got = 0;
	if (offset < x->reply_len) {
		*got = x->reply_len - (size_t)offset < len ? x->reply_len - (size_t)offset : len;
		memcpy(buf, x->reply + offset, *got);
	}
	return 0;
}

static int xs_size(struct mg_kv_ro *kv, const char *key, uint64_t *size)
{
	struct xstore *x = xs_of(kv);
	int rc = read_value(x, key);

	if (rc == 0)
		*size = x->reply_len;
	return rc;
}

static int xs_last_modified(struct mg_kv_ro *kv, const char *key, int64_t *ns)
{
	enum mg_kv_kind kind;
	int rc = kind_of(xs_of(kv), key, &kind);

	if (rc == 0)
		*ns = 0; /* xenstore keeps no times */
	return rc;
}

/* FNV-1a of the value: changes whenever the value does. */
static int xs_digest(struct mg_kv_ro *kv, const char *key, char *buf, size_t cap)
{
	struct xstore *x = xs_of(kv);
	uint64_t h = 14695981039346656037ull;
	int rc = read_value(x, key), n;

	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < x->reply_len; i++)
		h = (h ^ (uint8_t)x->reply[i]) * 1099511628211ull;
	n = snprintf(buf, cap, "fnv1a64-%016llx", (unsigned long long)h);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts the names in byte order (insertion sort: directories are small). */
static void sort_names(const char **names, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && by_name(&names[j - 1], &names[j]) > 0; j--) {
			const char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
}

static int xs_list(struct mg_kv_ro *kv, const char *key, mg_kv_list_cb cb, void *arg)
{
	struct xstore *x = xs_of(kv);
	enum mg_kv_kind kind;
	char *copy, child[XENSTORE_ABS_PATH_MAX + 1];
	const char **names;
	size_t n = 0, len;
	int rc = kind_of(x, key, &kind);

	if (rc < 0)
		return rc;
	if (kind != MG_KV_DICTIONARY)
		return -ENOTDIR;
	/* The reply buffer is reused by each child's lookup: copy it. */
	len = x->reply_len;
	copy = mg_alloc(x->env, len + 1);
	names = mg_alloc(x->env, (len / 2 + 1) * sizeof *names);
	if (!copy || !names) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(copy, x->reply, len);
	copy[len] = '\0';
	for (size_t off = 0; off < len; off += strlen(copy + off) + 1)
		names[n++] = copy + off;
	sort_names(names, n);
	for (size_t i = 0; i < n && rc == 0; i++) {
		snprintf(child, sizeof child, "%s%s%s", key, *key ? "/" : "", names[i]);
		rc = kind_of(x, child, &kind);
		if (rc == 0)
			rc = cb(arg, names[i], kind);
	}
out:
	mg_free(x->env, names);
	mg_free(x->env, copy);
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
	uint64_t pfn, port;
	int rc;

	if (!mgx_on_xen()) {
		mg_log(env, MG_LOG_ERROR, "not running on Xen (no Xen CPUID leaves): "
		       "no xenstore on this PVH loader");
		return -ENODEV;
	}
	if ((rc = mgx_hvm_param(HVM_PARAM_STORE_PFN, &pfn)) < 0 ||
	    (rc = mgx_hvm_param(HVM_PARAM_STORE_EVTCHN, &port)) < 0 || !pfn) {
		mg_log(env, MG_LOG_ERROR, "no xenstore ring in HVM params 1/2 (error %d)", rc);
		return rc < 0 ? rc : -ENODEV;
	}
	x = mg_zalloc(env, sizeof *x);
	if (!x)
		return -ENOMEM;
	x->kv.ops = &xs_ops;
	x->env = env;
	x->ring = (struct xenstore_domain_interface *)(uintptr_t)(pfn << MGX_PAGE_SHIFT);
	x->port = (evtchn_port_t)port;
	/* A relative path is read below the domain's home. */
	snprintf(x->path, sizeof x->path, "domid");
	rc = request(x, XS_READ);
	if (rc == 0 && snprintf(x->home, sizeof x->home, "/local/domain/%s", x->reply) >=
			       HOME_MAX)
		rc = -EPROTO;
	if (rc < 0) {
		mg_log(env, MG_LOG_ERROR, "cannot read this domain's id from xenstore: %s",
		       strerror(-rc));
		mg_free(env, x);
		return rc;
	}
	*out = MG_DEVICE(&x->kv);
	return 0;
}

static void xs_disconnect(struct mg_device *dev)
{
	struct xstore *x = mg_container_of(dev, struct xstore, kv);

	mg_free(x->env, x);
}

MG_PLUGIN(.name = "xen.xenstore", .version = "1.0",
	  .summary = "the domain's xenstore keys (/local/domain/<domid>) as a read-only kv_ro",
	  .provides = MG_TYPE(KV_RO, 0), .targets = MG_TARGET_XEN,
	  .connect = xs_connect, .disconnect = xs_disconnect);
