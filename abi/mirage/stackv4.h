/* stackv4.h - module type "stackv4": TCP and UDP over IP (the seed's
 * STACKV4), as BSD sockets on Unix or a direct stack over a network device.
 * Addresses are text ("127.0.0.1", "::1", "" for any) so that IPv6 fits
 * without another type. */
#ifndef MIRAGE_STACKV4_H
#define MIRAGE_STACKV4_H

#include "flow.h"

#define MG_STACKV4_NAME "stackv4"
#define MG_STACKV4_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_STACKV4_TYPE _Pragma("GCC error \"MG_STACKV4_TYPE is gone: write MG_TYPE(STACKV4, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_stackv4;
struct mg_tcp_listener; /* opaque */
struct mg_udp;          /* opaque */

/* A connection arrived (or, for connect, was made): the callee owns flow
 * and must close it.  For connect, err < 0 and flow NULL on failure. */
typedef void (*mg_accept_cb)(void *arg, struct mg_flow *flow, int err);
/* A datagram from addr:port, valid during the call. */
typedef void (*mg_udp_cb)(void *arg, const char *addr, uint16_t port,
			  const void *data, size_t len);

struct mg_stackv4_ops {
	struct mg_ops_hdr hdr;
	/* Listens on addr:port and calls cb per connection.  port 0 picks a
	 * free port (see tcp_port).  -EADDRINUSE, -EACCES, -EINVAL. */
	int (*tcp_listen)(struct mg_stackv4 *s, const char *addr, uint16_t port,
			  mg_accept_cb cb, void *arg, struct mg_tcp_listener **out);
	uint16_t (*tcp_port)(struct mg_tcp_listener *l);
	void (*tcp_unlisten)(struct mg_tcp_listener *l);
	/* Connects; cb runs once, later, with the flow or the error. */
	int (*tcp_connect)(struct mg_stackv4 *s, const char *addr, uint16_t port,
			   mg_accept_cb cb, void *arg);
	/* Binds a UDP endpoint and delivers its datagrams to cb. */
	int (*udp_bind)(struct mg_stackv4 *s, const char *addr, uint16_t port,
			mg_udp_cb cb, void *arg, struct mg_udp **out);
	/* Sends one datagram.  0, -EAGAIN, -EMSGSIZE. */
	int (*udp_send)(struct mg_udp *u, const char *addr, uint16_t port,
			const void *data, size_t len);
	void (*udp_close)(struct mg_udp *u);

	/* ---- 1.1 ---- */
	/* From now on, connections to l go to cb(arg): a device that adopts
	 * a listener from its predecessor (hot swap) takes it over without
	 * closing the socket, so no connection is refused meanwhile. */
	void (*tcp_listener_retarget)(struct mg_tcp_listener *l, mg_accept_cb cb, void *arg);

	/* ---- 1.2 ---- */
	/* hold 1: no more connections are delivered (not even from the batch
	 * being accepted); they wait in the listen backlog.  hold 0: they are
	 * delivered again.  A server at its connection limit waits this way
	 * instead of refusing clients. */
	void (*tcp_listener_hold)(struct mg_tcp_listener *l, int hold);

	/* ---- 1.3 ---- */
	/* The protocol's client speaks first (HTTP, a TLS ClientHello): a
	 * connection may be delivered only once its first bytes are in, or
	 * about wait_s seconds after it was made if none come.  A hint: a
	 * stack may deliver at once.  Unix: TCP_DEFER_ACCEPT, so a client
	 * that connects and sends nothing costs the server nothing meanwhile,
	 * and one just delivered has its request to read. */
	void (*tcp_listener_client_first)(struct mg_tcp_listener *l, unsigned wait_s);
};
MG_OPS_PIN(struct mg_stackv4_ops, udp_close, 7); /* 1.0 */
MG_OPS_PIN(struct mg_stackv4_ops, tcp_listener_retarget, 8); /* 1.1 */
MG_OPS_PIN(struct mg_stackv4_ops, tcp_listener_hold, 9); /* 1.2 */
MG_OPS_PIN(struct mg_stackv4_ops, tcp_listener_client_first, 10); /* 1.3 */

struct mg_stackv4 {
	const struct mg_stackv4_ops *ops;
};

#endif
