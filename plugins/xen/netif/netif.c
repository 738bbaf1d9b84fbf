/* netif.xen - the network type over a Xen netfront: device/vif/N of this
 * domain, its backend (netback in dom0) found and met through xenstore.
 *
 * Connect is asynchronous (host->connected): read the backend's path and
 * id and our MAC; set up rings, grants and the event channel; say
 * Initialising (a backend left Closed by an earlier frontend then offers
 * itself again); when the backend is InitWait, write the ring refs, the
 * port and the features (rx copy, rx notify, no checksum offload: frames
 * from dom0's stack would otherwise come with partial checksums), then
 * Connected; ready once the backend is Connected too.  Disconnect says
 * Closing then Closed, closes the port and ends the grants. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xenbus.h>

#include "../common/xendev.h"
#include "netfront.h"

enum phase {
	P_READ,       /* backend path, backend id, mac */
	P_INITWAIT,   /* said Initialising: waiting for the backend's InitWait */
	P_PUBLISH,    /* writing our keys and Connected */
	P_CONNECTING, /* waiting for the backend's Connected */
	P_RUNNING,
	P_DONE,       /* failed, or the backend went away */
};

#define PATH_MAX_LEN 128

static void fail(struct netfront *nf, int rc, const char *fmt, const char *what)
{
	int connecting = nf->phase < P_RUNNING;

	mg_log(nf->env, MG_LOG_ERROR, fmt, what, strerror(-rc));
	nf->phase = P_DONE;
	mgx_xs_drop(nf->env);
	nf->watch = NULL;
	if (connecting)
		nf->env->host->connected(nf->env, rc);
}

static int write_key(struct netfront *nf, const char *key, const char *value,
		     mgx_xs_cb cb)
{
	char path[PATH_MAX_LEN];

	snprintf(path, sizeof path, "%s/%s", nf->front, key);
	return mgx_xs_write(cb ? nf->env : NULL, path, value, strlen(value), cb, nf, NULL);
}

static void check_ready(struct netfront *nf)
{
	if (nf->phase != P_CONNECTING || nf->writes || !nf->backend_up)
		return;
	nf->phase = P_RUNNING;
	nf->ran = 1;
	nf_rings_start(nf);
	mg_log(nf->env, MG_LOG_INFO,
	       "netfront vif %u connected: mac %02x:%02x:%02x:%02x:%02x:%02x, backend %s, %u rx and %u tx buffers",
	       nf->index, nf->mac[0], nf->mac[1], nf->mac[2], nf->mac[3], nf->mac[4], nf->mac[5],
	       nf->back, NF_RX_SLOTS, NF_TX_SLOTS);
	nf->env->host->connected(nf->env, 0);
}

static void on_written(void *arg, int status, const char *payload, size_t len)
{
	struct netfront *nf = arg;

	(void)payload, (void)len;
	nf->writes--;
	if (nf->phase == P_DONE)
		return;
	if (status < 0) {
		fail(nf, status, "cannot write %s keys in xenstore: %s", nf->front);
		return;
	}
	if (nf->writes == 0 && nf->phase == P_PUBLISH)
		nf->phase = P_CONNECTING;
	check_ready(nf);
}

/* The ring refs, the port and the features, then Connected (last: the
 * backend reads the rest when it sees it). */
static void publish(struct netfront *nf)
{
	char tx[16], rx[16], port[16], state[4];
	const char *keys[][2] = {
		{ "tx-ring-ref", tx }, { "rx-ring-ref", rx }, { "event-channel", port },
		{ "request-rx-copy", "1" }, { "feature-rx-notify", "1" },
		{ "feature-no-csum-offload", "1" }, { "state", state },
	};

	snprintf(tx, sizeof tx, "%u", nf_tx_ring_ref(nf));
	snprintf(rx, sizeof rx, "%u", nf_rx_ring_ref(nf));
	snprintf(port, sizeof port, "%u", nf->port);
	snprintf(state, sizeof state, "%d", XenbusStateConnected);
	nf->phase = P_PUBLISH;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		int rc = write_key(nf, keys[i][0], keys[i][1], on_written);

		if (rc < 0) {
			fail(nf, rc, "cannot write %s keys in xenstore: %s", nf->front);
			return;
		}
		nf->writes++;
	}
}

static void on_backend_state(void *arg, int status, const char *payload, size_t len)
{
	struct netfront *nf = arg;
	long state = status == 0 ? strtol(payload, NULL, 10) : -1;

	(void)len;
	if (nf->phase == P_DONE)
		return;
	if (status < 0) {
		fail(nf, status, "cannot read the state of backend %s: %s", nf->back);
		return;
	}
	if (state == XenbusStateInitWait && nf->phase == P_INITWAIT) {
		publish(nf);
	} else if (state == XenbusStateConnected && nf->phase >= P_PUBLISH) {
		nf->backend_up = 1;
		check_ready(nf);
	} else if ((state == XenbusStateClosing || state == XenbusStateClosed) &&
		   nf->phase >= P_PUBLISH) {
		/* it went away after it saw us: nothing flows any more */
		nf->running = 0;
		fail(nf, -ECONNRESET, "backend %s closed: %s", nf->back);
	}
}

/* Everything read: rings up, Initialising said, the backend watched. */
static void start_handshake(struct netfront *nf)
{
	char state[PATH_MAX_LEN], value[4];
	int rc;

	if ((rc = nf_rings_setup(nf)) < 0) {
		fail(nf, rc, "netfront vif %s: %s", nf->front);
		return;
	}
	nf->phase = P_INITWAIT;
	snprintf(value, sizeof value, "%d", XenbusStateInitialising);
	snprintf(state, sizeof state, "%s/state", nf->back);
	nf->said_state = 1;
	if ((rc = write_key(nf, "state", value, NULL)) < 0 ||
	    (rc = mgx_xs_watch_read(nf->env, state, on_backend_state, nf, &nf->watch)) < 0)
		fail(nf, rc, "cannot ask xenstore about %s: %s", state);
}

/* "00:16:3e:01:02:03": 0, or -EINVAL. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		char *end;
		unsigned long b = strtoul(s, &end, 16);

		if (end == s || end - s > 2 || b > 255 || *end != (i < 5 ? ':' : '\0'))
			return -EINVAL;
		mac[i] = (uint8_t)b;
		s = end + 1;
	}
	return 0;
}

/* The keys read first, one after the other (nf->reads: the next). */
enum { K_BACKEND, K_BACKEND_ID, K_MAC, NKEYS };
static const char *const keys[NKEYS] = { "backend", "backend-id", "mac" };

static void on_key(void *arg, int status, const char *payload, size_t len);

static int read_key(struct netfront *nf)
{
	char path[PATH_MAX_LEN];

	snprintf(path, sizeof path, "%s/%s", nf->front, keys[nf->reads]);
	return mgx_xs_read(nf->env, path, on_key, nf, NULL);
}

/* The value of keys[key]: 0, or a negative errno after a log line. */
static int take_key(struct netfront *nf, int key, const char *value, size_t len)
{
	char *end;
	long id;

	switch (key) {
	case K_BACKEND:
		if (!(nf->back = mg_alloc(nf->env, len + 1)))
			return -ENOMEM;
		memcpy(nf->back, value, len + 1);
		return 0;
	case K_BACKEND_ID:
		id = strtol(value, &end, 10);
		if (end == value || *end || id < 0 || id >= DOMID_FIRST_RESERVED)
			break;
		nf->backend_id = (uint16_t)id;
		return 0;
	default:
		if (parse_mac(value, nf->mac) == 0)
			return 0;
	}
	mg_log(nf->env, MG_LOG_ERROR, "%s/%s is \"%s\": expected %s", nf->front, keys[key], value,
	       key == K_MAC ? "six hex bytes such as 00:16:3e:01:02:03" : "a domain id");
	return -EPROTO;
}

static void on_key(void *arg, int status, const char *payload, size_t len)
{
	struct netfront *nf = arg;
	char path[PATH_MAX_LEN];
	int key = (int)nf->reads++;

	if (nf->phase == P_DONE)
		return;
	snprintf(path, sizeof path, "%s/%s", nf->front, keys[key]);
	if (status == 0)
		status = take_key(nf, key, payload, len);
	if (status == 0 && nf->reads < NKEYS)
		status = read_key(nf);
	if (status < 0)
		fail(nf, status, status == -ENOENT ? "no %s in xenstore (%s): has the domain's config a vif line?"
						   : "cannot read %s: %s", path);
	else if (nf->reads == NKEYS)
		start_handshake(nf);
}

static int nf_listen(struct mg_network *n, mg_frame_cb cb, void *arg)
{
	struct netfront *nf = mg_container_of(n, struct netfront, net);

	nf->cb = cb;
	nf->cb_arg = arg;
	return 0;
}

static void nf_mac(struct mg_network *n, uint8_t out[6])
{
	memcpy(out, mg_container_of(n, struct netfront, net)->mac, 6);
}

static unsigned nf_mtu(struct mg_network *n)
{
	(void)n;
	return NF_MTU;
}

static const struct mg_network_ops nf_ops = {
	.hdr = MG_OPS_HDR(struct mg_network_ops, 1, 0),
	.send = nf_send,
	.listen = nf_listen,
	.mac = nf_mac,
	.mtu = nf_mtu,
};

enum { S_EVTCHN };
enum { P_INDEX };

static int nf_connect(const struct mg_env *env, struct mg_device **out)
{
	struct netfront *nf;
	int rc;

	if ((rc = xendev_check(env, "netfront", 1)) < 0)
		return rc;
	if (!(nf = mg_zalloc(env, sizeof *nf)))
		return -ENOMEM;
	nf->net.ops = &nf_ops;
	nf->env = env;
	nf->evt = (struct mg_evtchn *)env->deps[S_EVTCHN];
	nf->index = (unsigned)env->params[P_INDEX].i;
	snprintf(nf->front, sizeof nf->front, "device/vif/%u", nf->index);
	if ((rc = read_key(nf)) < 0) {
		mg_log(env, MG_LOG_ERROR, "cannot read %s/backend from xenstore: %s", nf->front,
		       strerror(-rc));
		mg_free(env, nf);
		return rc;
	}
	*out = MG_DEVICE(&nf->net);
	return -EINPROGRESS;
}

static void nf_disconnect(struct mg_device *dev)
{
	struct netfront *nf = mg_container_of(dev, struct netfront, net);
	char value[4];

	mgx_xs_drop(nf->env);
	if (nf->said_state) {
		/* the backend unmaps the rings when it sees us close; the
		 * platform ends those grants once it has (mgx_gnt_release) */
		snprintf(value, sizeof value, "%d", XenbusStateClosing);
		write_key(nf, "state", value, NULL);
		snprintf(value, sizeof value, "%d", XenbusStateClosed);
		write_key(nf, "state", value, NULL);
	}
	nf_rings_free(nf);
	if (nf->ran)
		mg_log(nf->env, MG_LOG_INFO,
		       "netfront vif %u closed: rx %llu frames (%llu bytes, %llu dropped), tx %llu frames (%llu bytes, %llu errors)",
		       nf->index, (unsigned long long)nf->st.rx_frames,
		       (unsigned long long)nf->st.rx_bytes, (unsigned long long)nf->st.rx_dropped,
		       (unsigned long long)nf->st.tx_frames, (unsigned long long)nf->st.tx_bytes,
		       (unsigned long long)nf->st.tx_errors);
	mg_free(nf->env, nf->back);
	mg_free(nf->env, nf);
}

static const struct mg_slot nf_slots[] = {
	[S_EVTCHN] = { .name = "evtchn", .type = MG_TYPE(EVTCHN, 0),
		       .doc = "the event channel to the backend" },
};

static const struct mg_param nf_params[] = {
	[P_INDEX] = { .name = "index", .type = MG_PARAM_INT, .def = "0", .min = 0, .max = 255,
		      .doc = "which vif of the domain: xenstore device/vif/N (the .xl's vif list, in order)" },
};

MG_PLUGIN(.name = "netif.xen", .version = "1.0",
	  .summary = "network over a Xen netfront (device/vif/N; rx copy, no checksum offload)",
	  .provides = MG_TYPE(NETWORK, 0), .targets = MG_TARGET_XEN,
	  .slots = nf_slots, .nslots = MG_COUNTOF(nf_slots),
	  .params = nf_params, .nparams = MG_COUNTOF(nf_params),
	  .connect = nf_connect, .disconnect = nf_disconnect);
