/* block.xen - the block type over a Xen blkfront: a disk of this domain
 * (device/vbd/N, the index-th by number), its backend (blkback in dom0)
 * met through xenstore.
 *
 * Connect is asynchronous (host->connected): list device/vbd and pick the
 * disk; read its backend's path and id; ring, bounce pages, grants and the
 * event channel; say Initialising; when the backend is InitWait, write
 * ring-ref, event-channel, protocol, then Initialised; when it is
 * Connected, read the disk's size, sector size, `info` (bit 2: read-only)
 * and features (flush, indirect segments), then say Connected and be
 * ready.  Disconnect says Closing then Closed, closes the port and ends the
 * grants. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h> /* before Xen's headers, which use its types */
#include <xen/io/xenbus.h>

#include "blkfront.h"
#include "../common/xendev.h"

enum phase {
	P_LIST,       /* device/vbd */
	P_READ,       /* backend path and id */
	P_INITWAIT,   /* said Initialising: waiting for the backend's InitWait */
	P_PUBLISH,    /* ring-ref, event-channel, protocol, Initialised written */
	P_FEATURES,   /* the backend is Connected: reading what it says of the disk */
	P_CONNECTING, /* our Connected being written */
	P_RUNNING,
	P_DONE,       /* failed, or the backend went away */
};

enum { S_EVTCHN };
enum { P_INDEX, P_PATH, P_READ_ONLY, P_PAGES };

#define KEY_LEN 128

static void fail(struct blkfront *bf, int rc, const char *fmt, const char *what)
{
	int connecting = bf->phase < P_RUNNING;

	if (fmt) /* NULL: the caller said why */
		mg_log(bf->env, MG_LOG_ERROR, fmt, what, strerror(-rc));
	bf->phase = P_DONE;
	mgx_xs_drop(bf->env);
	bf->watch = NULL;
	if (connecting)
		bf->env->host->connected(bf->env, rc);
}

static int write_front(struct blkfront *bf, const char *key, const char *value, mgx_xs_cb cb)
{
	char path[KEY_LEN];

	snprintf(path, sizeof path, "%s/%s", bf->front, key);
	return mgx_xs_write(cb ? bf->env : NULL, path, value, strlen(value), cb, bf, NULL);
}

static int write_state(struct blkfront *bf, int state, mgx_xs_cb cb)
{
	char value[4];

	snprintf(value, sizeof value, "%d", state);
	bf->said_state = 1;
	return write_front(bf, "state", value, cb);
}

/* ---- keys read one after the other: bf->reads is the next ---- */

struct key {
	const char *name;
	int front;          /* in our own directory, else the backend's */
	const char *def;    /* NULL: required */
	int (*take)(struct blkfront *bf, const char *value, size_t len);
};

static int take_uint(const char *value, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v = strtoull(value, &end, 10);

	if (end == value || *end || v > max)
		return -EPROTO;
	*out = v;
	return 0;
}

#define TAKE(name, max, stmt)                                                   \
	static int name(struct blkfront *bf, const char *value, size_t len)    \
	{                                                                       \
		unsigned long long v;                                           \
		(void)len;                                                      \
		if (take_uint(value, max, &v) < 0)                              \
			return -EPROTO;                                         \
		stmt;                                                           \
		return 0;                                                       \
	}
TAKE(take_backend_id, DOMID_FIRST_RESERVED - 1, bf->backend_id = (uint16_t)v)
TAKE(take_sectors, ~0ull, bf->geom.sectors512 = v)
TAKE(take_sector_size, 1u << 20, bf->geom.sector_size = (uint32_t)v)
TAKE(take_info, ~0u, bf->info = (unsigned)v)
TAKE(take_flush, ~0u, bf->geom.flush = v != 0)
TAKE(take_indirect, ~0u, bf->geom.indirect_segs = (unsigned)v)

static int take_backend(struct blkfront *bf, const char *value, size_t len)
{
	if (!(bf->back = mg_alloc(bf->env, len + 1)))
		return -ENOMEM;
	memcpy(bf->back, value, len + 1);
	return 0;
}

/* Before the handshake: who the backend is. */
static const struct key read_keys[] = {
	{ "backend", 1, NULL, take_backend },
	{ "backend-id", 1, NULL, take_backend_id },
};
/* Once the backend is Connected: the disk. */
static const struct key disk_keys[] = {
	{ "sectors", 0, NULL, take_sectors },
	{ "info", 0, NULL, take_info },
	{ "sector-size", 0, "512", take_sector_size },
	{ "feature-flush-cache", 0, "0", take_flush },
	{ "feature-max-indirect-segments", 0, "0", take_indirect },
};

static const struct key *keys_of(const struct blkfront *bf, unsigned *n)
{
	int disk = bf->phase == P_FEATURES;

	*n = disk ? MG_COUNTOF(disk_keys) : MG_COUNTOF(read_keys);
	return disk ? disk_keys : read_keys;
}

static void key_path(const struct blkfront *bf, const struct key *k, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", k->front ? bf->front : bf->back, k->name);
}

static void on_key(void *arg, int status, const char *payload, size_t len);

static int read_next(struct blkfront *bf)
{
	unsigned n;
	const struct key *k = &keys_of(bf, &n)[bf->reads];
	char path[KEY_LEN];

	key_path(bf, k, path, sizeof path);
	return mgx_xs_read(bf->env, path, on_key, bf, NULL);
}

static void start_handshake(struct blkfront *bf);
static void on_connected_written(void *arg, int status, const char *payload, size_t len);

/* Every key of the phase was read. */
static void keys_done(struct blkfront *bf)
{
	int rc;

	if (bf->phase == P_READ) {
		start_handshake(bf);
		return;
	}
	bf->geom.writable = !(bf->info & BLKIF_VDISK_READONLY) && !bf->env->params[P_READ_ONLY].b;
	if ((rc = bf_io_start(bf)) < 0) {
		fail(bf, rc, "%s: %s", bf->front);
		return;
	}
	bf->phase = P_CONNECTING;
	if ((rc = write_state(bf, XenbusStateConnected, on_connected_written)) < 0)
		fail(bf, rc, "cannot write %s/state: %s", bf->front);
}

static void on_key(void *arg, int status, const char *payload, size_t len)
{
	struct blkfront *bf = arg;
	unsigned n;
	const struct key *k;
	char path[KEY_LEN];

	if (bf->phase == P_DONE)
		return;
	k = &keys_of(bf, &n)[bf->reads++];
	key_path(bf, k, path, sizeof path);
	if (status == -ENOENT && k->def)
		status = 0, payload = k->def, len = strlen(k->def);
	if (status == 0 && (status = k->take(bf, payload, len)) == -EPROTO) {
		mg_log(bf->env, MG_LOG_ERROR, "%s is \"%s\": expected a number", path, payload);
		fail(bf, status, NULL, NULL);
		return;
	}
	if (status == 0 && bf->reads < n)
		status = read_next(bf);
	if (status < 0)
		fail(bf, status, status == -ENOENT ? "no %s in xenstore: %s" : "cannot read %s: %s", path);
	else if (bf->reads == n)
		keys_done(bf);
}

static void start_keys(struct blkfront *bf, int phase)
{
	int rc;

	bf->phase = phase;
	bf->reads = 0;
	if ((rc = read_next(bf)) < 0)
		fail(bf, rc, "cannot read the keys of %s: %s", bf->front);
}

/* ---- the backend's state ---- */

static void on_connected_written(void *arg, int status, const char *payload, size_t len)
{
	struct blkfront *bf = arg;
	struct mg_block_info info;

	(void)payload, (void)len;
	if (bf->phase != P_CONNECTING)
		return;
	if (status < 0) {
		fail(bf, status, "cannot write %s/state: %s", bf->front);
		return;
	}
	bf->phase = P_RUNNING;
	bq_info(bf->q, &info);
	mg_log(bf->env, MG_LOG_INFO,
	       "blkfront vbd %u connected: %llu sectors of %u bytes, %s, %s requests of %u segments, %s, %u bounce pages (%u sectors a request at most), backend %s",
	       bf->vdev, (unsigned long long)info.sectors, info.sector_size,
	       info.writable ? "read-write" : "read-only", bf->q->ind ? "indirect" : "direct",
	       bf->q->seg_max, bf->geom.flush ? "flush" : "no flush", bf->npool, info.max_count,
	       bf->back);
	bf->env->host->connected(bf->env, 0);
}

static void on_published(void *arg, int status, const char *payload, size_t len)
{
	struct blkfront *bf = arg;

	(void)payload, (void)len;
	if (bf->phase != P_DONE && status < 0)
		fail(bf, status, "cannot write %s keys in xenstore: %s", bf->front);
}

/* The ring's ref, the port and the ABI, then Initialised (last: the
 * backend reads the rest when it sees it). */
static void publish(struct blkfront *bf)
{
	char ref[16], port[16];
	const char *keys[][2] = {
		{ "ring-ref", ref }, { "event-channel", port }, { "protocol", "x86_64-abi" },
	};
	int rc = 0;

	snprintf(ref, sizeof ref, "%u", bf->ring_ref);
	snprintf(port, sizeof port, "%u", bf->port);
	bf->phase = P_PUBLISH;
	for (size_t i = 0; i < MG_COUNTOF(keys) && rc == 0; i++)
		rc = write_front(bf, keys[i][0], keys[i][1], on_published);
	if (rc == 0)
		rc = write_state(bf, XenbusStateInitialised, on_published);
	if (rc < 0)
		fail(bf, rc, "cannot write %s keys in xenstore: %s", bf->front);
}

static void on_backend_state(void *arg, int status, const char *payload, size_t len)
{
	struct blkfront *bf = arg;
	long state = status == 0 ? strtol(payload, NULL, 10) : -1;

	(void)len;
	if (bf->phase == P_DONE)
		return;
	if (status < 0) {
		fail(bf, status, "cannot read the state of backend %s: %s", bf->back);
	} else if (state == XenbusStateInitWait && bf->phase == P_INITWAIT) {
		publish(bf);
	} else if (state == XenbusStateConnected && bf->phase == P_PUBLISH) {
		start_keys(bf, P_FEATURES);
	} else if ((state == XenbusStateClosing || state == XenbusStateClosed) &&
		   bf->phase >= P_PUBLISH) {
		/* it went away after it saw us: what is out fails */
		bf_io_lost(bf);
		fail(bf, -ECONNRESET, "backend %s closed: %s", bf->back);
	}
}

/* Backend known: rings up, Initialising said, the backend watched. */
static void start_handshake(struct blkfront *bf)
{
	char state[KEY_LEN];
	int rc;

	if ((rc = bf_io_setup(bf)) < 0) {
		fail(bf, rc, "blkfront %s: %s", bf->front);
		return;
	}
	bf->phase = P_INITWAIT;
	snprintf(state, sizeof state, "%s/state", bf->back);
	if ((rc = write_state(bf, XenbusStateInitialising, NULL)) < 0 ||
	    (rc = mgx_xs_watch_read(bf->env, state, on_backend_state, bf, &bf->watch)) < 0)
		fail(bf, rc, "cannot ask xenstore about %s: %s", state);
}

/* ---- which disk ---- */

static int by_number(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* device/vbd's entries (vbd numbers: xvda is 51712, xvdb 51728...), in
 * order; the index-th is ours. */
static void on_vbds(void *arg, int status, const char *payload, size_t len)
{
	struct blkfront *bf = arg;
	unsigned vbd[64], n = 0;

	if (bf->phase == P_DONE)
		return;
	if (status < 0) {
		fail(bf, status, status == -ENOENT ? "no %s in xenstore (%s): has the domain's config a disk line?"
						   : "cannot list %s: %s", "device/vbd");
		return;
	}
	for (const char *p = payload; p < payload + len && n < MG_COUNTOF(vbd); p += strlen(p) + 1) {
		unsigned long long v;

		if (take_uint(p, ~0u, &v) == 0)
			vbd[n++] = (unsigned)v;
	}
	qsort(vbd, n, sizeof vbd[0], by_number);
	if (bf->index >= n) {
		mg_log(bf->env, MG_LOG_ERROR, "device/vbd has %u disk(s): none at index %u (the .xl's disk list, in order)",
		       n, bf->index);
		fail(bf, -ENODEV, NULL, NULL);
		return;
	}
	bf->vdev = vbd[bf->index];
	snprintf(bf->front, sizeof bf->front, "device/vbd/%u", bf->vdev);
	start_keys(bf, P_READ);
}

static int bf_connect(const struct mg_env *env, struct mg_device **out)
{
	struct blkfront *bf;
	int rc;

	if ((rc = xendev_check(env, "blkfront", 1)) < 0)
		return rc;
	if (!(bf = mg_zalloc(env, sizeof *bf)))
		return -ENOMEM;
	bf->blk.ops = &bf_ops;
	bf->env = env;
	bf->evt = (struct mg_evtchn *)env->deps[S_EVTCHN];
	bf->index = (unsigned)env->params[P_INDEX].i;
	bf->npool = (unsigned)env->params[P_PAGES].i;
	if ((rc = mgx_xs_directory(env, "device/vbd", on_vbds, bf, NULL)) < 0) {
		mg_log(env, MG_LOG_ERROR, "cannot list device/vbd in xenstore: %s", strerror(-rc));
		mg_free(env, bf);
		return rc;
	}
	*out = MG_DEVICE(&bf->blk);
	return -EINPROGRESS;
}

static void bf_disconnect(struct mg_device *dev)
{
	struct blkfront *bf = mg_container_of(dev, struct blkfront, blk);
	struct bq_stats st = bf->q ? bf->q->st : (struct bq_stats){ 0 };
	unsigned granted = mgx_gnt_granted(), left;

	mgx_xs_drop(bf->env);
	if (bf->said_state) {
		/* the backend unmaps the ring when it sees us close; the
		 * platform ends those grants once it has (mgx_gnt_release) */
		write_state(bf, XenbusStateClosing, NULL);
		write_state(bf, XenbusStateClosed, NULL);
	}
	left = bf_io_free(bf);
	if (bf->phase >= P_RUNNING)
		mg_log(bf->env, MG_LOG_INFO,
		       "blkfront vbd %u closed: %llu reads (%llu bytes), %llu writes (%llu bytes), %llu flushes, %llu ring requests (%llu indirect), %llu errors, %llu queue full, %llu sync waits; %u grants ended, %u left until the backend unmaps them",
		       bf->vdev, (unsigned long long)st.reads, (unsigned long long)st.bytes_read,
		       (unsigned long long)st.writes, (unsigned long long)st.bytes_written,
		       (unsigned long long)st.flushes, (unsigned long long)st.requests,
		       (unsigned long long)st.indirect, (unsigned long long)st.errors,
		       (unsigned long long)st.eagain, (unsigned long long)bf->sync_waits,
		       granted - mgx_gnt_granted(), left);
	mg_free(bf->env, bf->back);
	mg_free(bf->env, bf);
}

static const struct mg_slot bf_slots[] = {
	[S_EVTCHN] = { .name = "evtchn", .type = MG_TYPE(EVTCHN, 0),
		       .doc = "the event channel to the backend" },
};

static const struct mg_param bf_params[] = {
	[P_INDEX] = { .name = "index", .type = MG_PARAM_INT, .def = "0", .min = 0, .max = 25,
		      .doc = "which disk of the domain: the index-th of device/vbd by number (the .xl's disk list, in order)" },
	[P_PATH] = { .name = "path", .type = MG_PARAM_PATH, .def = NULL,
		     .doc = "the disk image in dom0: mirage-freeze writes it as the .xl disk's target (the guest reads the disk its backend serves)" },
	[P_READ_ONLY] = { .name = "read_only", .type = MG_PARAM_BOOL, .def = "true",
			  .doc = "the .xl disk's access=ro; the guest also refuses writes (-EROFS), as for a disk whose backend says read-only" },
	[P_PAGES] = { .name = "pages", .type = MG_PARAM_INT, .def = "256", .min = 1, .max = BQ_MAX_POOL,
		      .doc = "bounce pages granted to the backend once (4 KiB each): what is in flight at most" },
};

MG_PLUGIN(.name = "block.xen", .version = "1.0",
	  .summary = "a block device over a Xen blkfront (device/vbd; indirect requests, flush)",
	  .provides = MG_TYPE(BLOCK, 1), .targets = MG_TARGET_XEN,
	  .slots = bf_slots, .nslots = MG_COUNTOF(bf_slots),
	  .params = bf_params, .nparams = MG_COUNTOF(bf_params),
	  .connect = bf_connect, .disconnect = bf_disconnect);
