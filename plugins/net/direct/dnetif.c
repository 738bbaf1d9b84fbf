/* dnetif.c - the network device as lwIP's one netif: frames in through
 * ethernet_input, out through linkoutput; the address static or leased. */
#include <string.h>

#include <lwip/dhcp.h>
#include <lwip/etharp.h>
#include <lwip/pbuf.h>
#include <netif/ethernet.h>

#include "direct.h"

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	struct direct *st = n->state;
	const void *frame = p->payload;
	int rc;

	if (p->next) { /* chained: flattened into one frame */
		if (p->tot_len > st->mtu + 18)
			return ERR_BUF;
		pbuf_copy_partial(p, st->frame, p->tot_len, 0);
		frame = st->frame;
	}
	rc = st->nif->ops->send(st->nif, frame, p->tot_len);
	/* A full ring drops the frame, as a busy wire would: TCP resends. */
	return rc == 0 || rc == -EAGAIN ? ERR_OK : ERR_IF;
}

static void on_frame(void *arg, const void *frame, size_t len)
{
	struct direct *st = arg;
	struct pbuf *p;

	if (len > 0xffff)
		return;
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
	if (!p)
		return; /* out of lwIP's memory: dropped */
	memcpy(p->payload, frame, len);
	st->in_lwip = 1;
	if (st->netif.input(p, &st->netif) != ERR_OK)
		pbuf_free(p);
	st->in_lwip = 0;
	direct_settle(st);
}

static void log_address(struct direct *st, const char *how)
{
	struct netif *n = &st->netif;
	char ip[16], gw[16];

	ip4addr_ntoa_r(netif_ip4_addr(n), ip, sizeof ip);
	ip4addr_ntoa_r(netif_ip4_gw(n), gw, sizeof gw);
	mg_log(st->env, MG_LOG_INFO, "%s: address %s/%d, gateway %s", how, ip,
	       daddr_prefix(netif_ip4_netmask(n)),
	       ip4_addr_isany(netif_ip4_gw(n)) ? "none" : gw);
}

/* A lease was bound (or renewed with another address): logged, and the
 * first one completes connect. */
static void on_status(struct netif *n)
{
	struct direct *st = n->state;

	if (!st->dhcp || ip4_addr_isany(netif_ip4_addr(n)) ||
	    ip4_addr_cmp(netif_ip4_addr(n), &st->logged_ip))
		return;
	ip4_addr_copy(st->logged_ip, *netif_ip4_addr(n));
	log_address(st, "DHCP lease");
	if (!st->ready) {
		st->ready = 1;
		st->env->host->connected(st->env, 0);
	}
}

static err_t netif_setup(struct netif *n)
{
	struct direct *st = n->state;

	n->name[0] = 'e';
	n->name[1] = 'n';
	n->output = etharp_output;
	n->linkoutput = linkoutput;
	n->mtu = (u16_t)st->mtu;
	n->hwaddr_len = ETH_HWADDR_LEN;
	st->nif->ops->mac(st->nif, n->hwaddr);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

int dnetif_start(struct direct *st, const char *ipv4, const char *gateway)
{
	ip4_addr_t ip, mask, gw;
	int rc;

	ip4_addr_set_any(&ip);
	ip4_addr_set_any(&mask);
	ip4_addr_set_any(&gw);
	st->dhcp = !strcmp(ipv4, "dhcp");
	if (!st->dhcp && daddr_cidr(ipv4, &ip, &mask) < 0) {
		mg_log(st->env, MG_LOG_ERROR,
		       "parameter 'ipv4': expected \"dhcp\" or an IPv4 address with its prefix length (\"10.0.0.2/24\"), found \"%s\"",
		       ipv4);
		return -EINVAL;
	}
	if (*gateway && daddr_parse(gateway, &gw) < 0) {
		mg_log(st->env, MG_LOG_ERROR,
		       "parameter 'gateway': expected an IPv4 address (\"10.0.0.1\") or \"\", found \"%s\"",
		       gateway);
		return -EINVAL;
	}
	if (!netif_add(&st->netif, &ip, &mask, &gw, st, netif_setup, ethernet_input)) {
		mg_log(st->env, MG_LOG_ERROR, "lwIP refused the network device");
		return -EIO;
	}
	st->added = 1;
	netif_set_default(&st->netif);
	netif_set_status_callback(&st->netif, on_status);
	rc = st->nif->ops->listen(st->nif, on_frame, st);
	if (rc < 0) {
		mg_log(st->env, MG_LOG_ERROR, "the network device refused to deliver frames: %s",
		       strerror(-rc));
		dnetif_stop(st);
		return rc;
	}
	netif_set_link_up(&st->netif);
	netif_set_up(&st->netif);
	if (!st->dhcp) {
		log_address(st, "static");
		return 0;
	}
	if (*gateway)
		mg_log(st->env, MG_LOG_WARN, "parameter 'gateway' is ignored with dhcp: the lease names the gateway");
	rc = daddr_errno(dhcp_start(&st->netif));
	if (rc < 0) {
		mg_log(st->env, MG_LOG_ERROR, "cannot start DHCP: %s", strerror(-rc));
		dnetif_stop(st);
	}
	return rc;
}

void dnetif_stop(struct direct *st)
{
	if (!st->added)
		return;
	st->added = 0;
	st->nif->ops->listen(st->nif, NULL, NULL);
	if (st->dhcp) {
		dhcp_stop(&st->netif);
		dhcp_cleanup(&st->netif);
	}
	netif_remove(&st->netif);
}
