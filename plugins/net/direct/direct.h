/* direct.h - net.direct internals shared by the stack (direct.c), its
 * network device glue (dnetif.c), TCP (dtcp.c), UDP (dudp.c) and
 * addresses (daddr.c). */
#ifndef MIRAGE_NET_DIRECT_H
#define MIRAGE_NET_DIRECT_H

#include <lwip/err.h>
#include <lwip/ip4_addr.h>
#include <lwip/netif.h>
#include <lwip/tcp.h>

#include "mirage/host.h"
#include "mirage/network.h"
#include "mirage/random.h"
#include "mirage/stackv4.h"
#include "mirage/time.h"

struct dflow;
struct dlistener;

struct direct {
	struct mg_stackv4 stack;
	const struct mg_env *env;
	struct mg_network *nif;
	struct mg_time *time;
	struct mg_random *rnd;
	struct netif netif;
	int added;                 /* netif is lwIP's */
	int dhcp;                  /* the address comes from a lease */
	int ready;                 /* connected() reported */
	ip4_addr_t logged_ip;      /* the lease last logged */
	struct mg_time_timer *tick; /* lwIP's timeouts, at tick_at (ms) */
	uint32_t tick_at;
	struct mg_time_timer *kick; /* deferred deliveries (read_start, hold 0) */
	struct dflow *ready_flows;  /* flows with data to deliver on the kick */
	struct dlistener *listeners;
	struct dflow *dirty;       /* written while lwIP ran: output after */
	int in_lwip;               /* inside lwIP (input, timers): callbacks may run */
	struct tcp_pcb *aborted;   /* aborted in a callback: return ERR_ABRT */
	size_t mem_used, mem_max;
	unsigned mtu;
	uint8_t *frame;            /* a chained pbuf flattened for send */
};

/* ---- direct.c ---- */
/* Re-arms the loop timer at lwIP's next timeout, and sends what writes
 * queued; after every event that ran lwIP code. */
void direct_settle(struct direct *st);
/* Runs the kick soon (deliveries that must not happen inside an op). */
void direct_kick(struct direct *st);

/* ---- dnetif.c ---- */
/* Adds the network device as lwIP's netif, with the address of `ipv4`
 * (CIDR) and `gateway`, or DHCP.  -EINVAL after a log. */
int dnetif_start(struct direct *st, const char *ipv4, const char *gateway);
void dnetif_stop(struct direct *st);

/* ---- dtcp.c ---- */
void dtcp_kick(struct direct *st);
void dtcp_flush(struct direct *st);
int dtcp_listen(struct mg_stackv4 *s, const char *addr, uint16_t port, mg_accept_cb cb,
		void *arg, struct mg_tcp_listener **out);
uint16_t dtcp_port(struct mg_tcp_listener *l);
void dtcp_unlisten(struct mg_tcp_listener *l);
int dtcp_connect(struct mg_stackv4 *s, const char *addr, uint16_t port, mg_accept_cb cb,
		 void *arg);
void dtcp_retarget(struct mg_tcp_listener *l, mg_accept_cb cb, void *arg);
void dtcp_hold(struct mg_tcp_listener *l, int hold);

/* ---- dudp.c ---- */
int dudp_bind(struct mg_stackv4 *s, const char *addr, uint16_t port, mg_udp_cb cb, void *arg,
	      struct mg_udp **out);
int dudp_send(struct mg_udp *u, const char *addr, uint16_t port, const void *data, size_t len);
void dudp_close(struct mg_udp *u);

/* ---- daddr.c ---- */
/* "" (any) or dotted IPv4 text.  -EINVAL (-EAFNOSUPPORT for IPv6 text). */
int daddr_parse(const char *text, ip4_addr_t *out);
/* "10.0.0.2/24" into address and netmask.  -EINVAL. */
int daddr_cidr(const char *text, ip4_addr_t *ip, ip4_addr_t *mask);
/* A prefix length of a netmask (24 for 255.255.255.0). */
int daddr_prefix(const ip4_addr_t *mask);
/* lwIP's err_t as a negative errno. */
int daddr_errno(err_t err);

static inline struct direct *direct_of(struct mg_stackv4 *s)
{
	return mg_container_of(s, struct direct, stack);
}

#endif
