/* sock.h - net.socket internals shared by the stack (socket.c), its flows
 * (sockflow.c) and its addresses (sockaddr.c). */
#ifndef MIRAGE_NET_SOCK_H
#define MIRAGE_NET_SOCK_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "mirage/host.h"
#include "mirage/stackv4.h"

/* Room for an address as text (no port), for messages and peers. */
#define SOCK_ADDRSTR INET6_ADDRSTRLEN

struct sock_stack {
	struct mg_stackv4 stack;
	const struct mg_env *env;
	int backlog;
	/* One read buffer for every flow and endpoint: data handed to a
	 * callback is only valid during the call, and there is one thread. */
	size_t rbuf_size;
	char *rbuf;
};

/* addr ("" for any, IPv4 or IPv6 text) and port as a sockaddr.  -EINVAL. */
int sock_addr_parse(const char *addr, uint16_t port, struct sockaddr_storage *ss,
		    socklen_t *len);
/* The address part of ss as text into buf (SOCK_ADDRSTR; NULL: not
 * wanted); returns the port. */
uint16_t sock_addr_text(const struct sockaddr_storage *ss, char *buf, size_t cap);

/* Wraps a connected non-blocking socket in a flow that owns it: peer is
 * its address (NULL: asked of the socket), nodelay says TCP_NODELAY is set
 * already.  NULL when out of memory (fd is then closed). */
struct mg_flow *sock_flow_new(struct sock_stack *st, int fd, const struct sockaddr_storage *peer,
			      int nodelay);
/* Hands a flow just accepted to cb.  A client that spoke first (an HTTP
 * client does) has its bytes read now rather than after a trip round the
 * loop, and a flow done with by then (a request answered and closed)
 * costs no epoll_ctl at all. */
void sock_flow_accepted(struct mg_flow *f, mg_accept_cb cb, void *arg);

#endif
