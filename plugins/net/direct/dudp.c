/* dudp.c - net.direct's UDP endpoints over lwIP's udp pcbs. */
#include <string.h>

#include <lwip/udp.h>

#include "direct.h"

/* The largest IPv4 UDP payload. */
#define UDP_MAX 65507u

struct dudp {
	struct direct *st;
	struct udp_pcb *pcb;
	mg_udp_cb cb;
	void *arg;
};

static void on_datagram(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
			u16_t port)
{
	struct dudp *u = arg;
	char text[16];
	const void *data = p->payload;
	void *flat = NULL;

	(void)pcb;
	if (p->next) { /* reassembled or chained: one buffer for the callback */
		flat = mg_alloc(u->st->env, p->tot_len);
		if (!flat) {
			pbuf_free(p);
			return;
		}
		pbuf_copy_partial(p, flat, p->tot_len, 0);
		data = flat;
	}
	ip4addr_ntoa_r(ip_2_ip4(addr), text, sizeof text);
	u->cb(u->arg, text, port, data, p->tot_len);
	mg_free(u->st->env, flat);
	pbuf_free(p);
}

int dudp_bind(struct mg_stackv4 *s, const char *addr, uint16_t port, mg_udp_cb cb, void *arg,
	      struct mg_udp **out)
{
	struct direct *st = direct_of(s);
	struct dudp *u;
	ip4_addr_t ip;
	int rc = daddr_parse(addr, &ip);

	if (rc < 0) {
		mg_log(st->env, MG_LOG_ERROR, "cannot bind UDP on %s:%u: %s", addr, port,
		       rc == -EAFNOSUPPORT ? "net.direct speaks IPv4 only"
					   : "not a numeric IPv4 address");
		return rc;
	}
	u = mg_zalloc(st->env, sizeof *u);
	if (!u || !(u->pcb = udp_new())) {
		mg_free(st->env, u);
		return -ENOMEM;
	}
	rc = daddr_errno(udp_bind(u->pcb, &ip, port));
	if (rc < 0) {
		mg_log(st->env, MG_LOG_ERROR, "cannot bind UDP on %s:%u: %s", *addr ? addr : "*",
		       port, strerror(-rc));
		udp_remove(u->pcb);
		mg_free(st->env, u);
		return rc;
	}
	u->st = st;
	u->cb = cb;
	u->arg = arg;
	udp_recv(u->pcb, on_datagram, u);
	*out = (struct mg_udp *)u;
	return 0;
}

int dudp_send(struct mg_udp *mu, const char *addr, uint16_t port, const void *data, size_t len)
{
	struct dudp *u = (struct dudp *)mu;
	ip4_addr_t ip;
	struct pbuf *p;
	err_t e;
	int rc = daddr_parse(addr, &ip);

	if (rc < 0 || ip4_addr_isany(&ip))
		return rc < 0 ? rc : -EINVAL;
	if (len > UDP_MAX)
		return -EMSGSIZE;
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p)
		return -EAGAIN; /* lwIP's memory is spent for now */
	memcpy(p->payload, data, len);
	e = udp_sendto(u->pcb, p, &ip, port);
	pbuf_free(p);
	/* ERR_MEM: no room to queue it behind ARP, say; the caller may retry. */
	return e == ERR_MEM ? -EAGAIN : daddr_errno(e);
}

void dudp_close(struct mg_udp *mu)
{
	struct dudp *u = (struct dudp *)mu;

	udp_remove(u->pcb);
	mg_free(u->st->env, u);
}
