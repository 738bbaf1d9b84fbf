/* netif.tap - the network type over a Linux tap device: raw Ethernet
 * frames through /dev/net/tun (IFF_TAP | IFF_NO_PI), non-blocking on the
 * host loop.  Attaching to an existing tap needs no privilege when the
 * device's owner allows it; creating one needs CAP_NET_ADMIN. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mirage/host.h"
#include "mirage/network.h"

enum { P_DEV, P_MAC };

/* Ethernet's header, and room for a VLAN tag. */
#define ETH_HDR 18
/* A bounded batch per readiness: the tap must not starve other fds. */
#define READ_BATCH 64

struct tap {
	struct mg_network net;
	const struct mg_env *env;
	int fd;
	unsigned mtu;
	uint8_t mac[6];
	struct mg_watch *watch;
	mg_frame_cb cb;
	void *arg;
	uint8_t *buf; /* one received frame */
	size_t cap;
};

static struct tap *tap_of(struct mg_network *n)
{
	return mg_container_of(n, struct tap, net);
}

static int tap_send(struct mg_network *n, const void *frame, size_t len)
{
	struct tap *t = tap_of(n);

	if (len > t->mtu + ETH_HDR)
		return -EMSGSIZE;
	if (write(t->fd, frame, len) >= 0)
		return 0;
	return errno == EAGAIN || errno == ENOBUFS ? -EAGAIN : -EIO;
}

static void on_readable(void *arg, unsigned events)
{
	struct tap *t = arg;

	(void)events;
	for (int i = 0; i < READ_BATCH && t->cb; i++) {
		ssize_t n = read(t->fd, t->buf, t->cap);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				mg_log(t->env, MG_LOG_WARN, "read: %s", strerror(errno));
			return;
		}
		t->cb(t->arg, t->buf, (size_t)n);
	}
}

static int tap_listen(struct mg_network *n, mg_frame_cb cb, void *arg)
{
	struct tap *t = tap_of(n);

	t->cb = cb;
	t->arg = arg;
	if (cb && !t->watch)
		return t->env->host->fd_watch(t->env, t->fd, MG_EV_READ, on_readable, t, &t->watch);
	if (!cb && t->watch) {
		t->env->host->fd_unwatch(t->watch);
		t->watch = NULL;
	}
	return 0;
}

static void tap_mac(struct mg_network *n, uint8_t out[6])
{
	memcpy(out, tap_of(n)->mac, 6);
}

static unsigned tap_mtu(struct mg_network *n)
{
	return tap_of(n)->mtu;
}

static const struct mg_network_ops tap_ops = {
	.hdr = MG_OPS_HDR(struct mg_network_ops, 1, 0),
	.send = tap_send,
	.listen = tap_listen,
	.mac = tap_mac,
	.mtu = tap_mtu,
};

/* "02:00:00:00:00:01", or "" for a random locally administered one. */
static int parse_mac(const struct mg_env *env, const char *text, uint8_t mac[6])
{
	unsigned b[6];
	char end;

	if (!*text) {
		if (getrandom(mac, 6, 0) != 6)
			return -EIO;
		mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, local */
		return 0;
	}
	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 || (b[0] & 1)) {
		mg_log(env, MG_LOG_ERROR,
		       "parameter 'mac': expected a unicast MAC address (\"02:00:00:00:00:01\") or \"\", found \"%s\"",
		       text);
		return -EINVAL;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* The device's MTU, 1500 when the kernel does not say. */
static unsigned dev_mtu(const char *dev)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned mtu = 1500;

	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", dev);
	if (s >= 0 && ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 576)
		mtu = (unsigned)ifr.ifr_mtu;
	if (s >= 0)
		close(s);
	return mtu;
}

/* What to do when the kernel says no for want of privilege. */
#define NEED_ADMIN "creating a tap device needs CAP_NET_ADMIN; as root, make one this user may attach to: ip tuntap add dev %s mode tap user $USER"

static int open_tap(const struct mg_env *env, const char *dev)
{
	struct ifreq ifr = { 0 };
	int fd, err;

	if (strlen(dev) >= IFNAMSIZ) {
		mg_log(env, MG_LOG_ERROR, "parameter 'dev': a name of at most %d characters, found \"%s\"",
		       IFNAMSIZ - 1, dev);
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == EACCES || err == EPERM)
			mg_log(env, MG_LOG_ERROR, "cannot open /dev/net/tun: %s; " NEED_ADMIN,
			       strerror(err), dev);
		else
			mg_log(env, MG_LOG_ERROR, "cannot open /dev/net/tun: %s%s", strerror(err),
			       err == ENOENT ? " (no tun/tap support: modprobe tun)" : "");
		return -err;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", dev);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		close(fd);
		if (err == EPERM)
			mg_log(env, MG_LOG_ERROR,
			       "cannot attach to tap device %s: it does not exist or is another user's, and " NEED_ADMIN,
			       dev, dev);
		else
			mg_log(env, MG_LOG_ERROR, "cannot attach to tap device %s: %s%s", dev,
			       strerror(err), err == EBUSY ? " (another program holds it)" : "");
		return -err;
	}
	return fd;
}

static int tap_connect(const struct mg_env *env, struct mg_device **out)
{
	const char *dev = env->params[P_DEV].s;
	struct tap *t = mg_zalloc(env, sizeof *t);
	int rc;

	if (!t)
		return -ENOMEM;
	t->net.ops = &tap_ops;
	t->env = env;
	rc = parse_mac(env, env->params[P_MAC].s, t->mac);
	if (rc == 0)
		rc = t->fd = open_tap(env, dev);
	if (rc < 0) {
		mg_free(env, t);
		return rc;
	}
	t->mtu = dev_mtu(dev);
	t->cap = t->mtu + ETH_HDR;
	t->buf = mg_alloc(env, t->cap);
	if (!t->buf) {
		close(t->fd);
		mg_free(env, t);
		return -ENOMEM;
	}
	mg_log(env, MG_LOG_INFO, "tap %s, MTU %u, MAC %02x:%02x:%02x:%02x:%02x:%02x", dev, t->mtu,
	       t->mac[0], t->mac[1], t->mac[2], t->mac[3], t->mac[4], t->mac[5]);
	*out = MG_DEVICE(&t->net);
	return 0;
}

static void tap_disconnect(struct mg_device *dev)
{
	struct tap *t = tap_of((struct mg_network *)dev);

	if (t->watch)
		t->env->host->fd_unwatch(t->watch);
	close(t->fd);
	mg_free(t->env, t->buf);
	mg_free(t->env, t);
}

static const struct mg_param tap_params[] = {
	[P_DEV] = { .name = "dev", .type = MG_PARAM_STRING, .def = "tap0",
		    .doc = "the tap device, attached to or created (ip tuntap add dev tap0 mode tap)" },
	[P_MAC] = { .name = "mac", .type = MG_PARAM_STRING, .def = "",
		    .doc = "the stack's own MAC address (\"\": a random locally administered one)" },
};

MG_PLUGIN(.name = "netif.tap", .version = "1.0",
	  .summary = "network over a Linux tap device (Ethernet frames through /dev/net/tun)",
	  .provides = MG_TYPE(NETWORK, 0), .targets = MG_TARGET_UNIX,
	  .params = tap_params, .nparams = MG_COUNTOF(tap_params),
	  .connect = tap_connect, .disconnect = tap_disconnect);
