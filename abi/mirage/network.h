/* network.h - module type "network": raw Ethernet frames (a tap device, a
 * Xen netfront), the layer a TCP/IP stack runs on. */
#ifndef MIRAGE_NETWORK_H
#define MIRAGE_NETWORK_H

#include "mirage.h"

#define MG_NETWORK_NAME "network"
#define MG_NETWORK_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_NETWORK_TYPE _Pragma("GCC error \"MG_NETWORK_TYPE is gone: write MG_TYPE(NETWORK, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_network;

/* A frame arrived; it is valid during the call only. */
typedef void (*mg_frame_cb)(void *arg, const void *frame, size_t len);

struct mg_network_ops {
	struct mg_ops_hdr hdr;
	/* Sends one frame (copied before return).  0, -EMSGSIZE above the
	 * MTU plus header, -EAGAIN when the transmit ring is full, -EIO. */
	int (*send)(struct mg_network *n, const void *frame, size_t len);
	/* Delivers every received frame to cb (NULL stops delivery). */
	int (*listen)(struct mg_network *n, mg_frame_cb cb, void *arg);
	void (*mac)(struct mg_network *n, uint8_t out[6]);
	/* Largest payload of a frame, header excluded (1500 for Ethernet). */
	unsigned (*mtu)(struct mg_network *n);
};
MG_OPS_PIN(struct mg_network_ops, mtu, 4); /* 1.0 */

struct mg_network {
	const struct mg_network_ops *ops;
};

#endif
