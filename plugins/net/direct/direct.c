/* net.direct - the stackv4 type over lwIP 2.1 on a network device (a tap
 * on Unix, netfront on Xen): lwIP's raw API on the host's event loop, with
 * NO_SYS, so received frames and one loop timer drive everything.
 *
 * lwIP keeps its state in globals (pcb lists, the netif list, the timeout
 * list) and calls sys_now, LWIP_RAND and its allocator without an argument,
 * so this plugin has one global: the instance those reach, `the`.  Hence one
 * net.direct per process (per loaded copy of the plugin); a second connect
 * is refused with -EBUSY. */
#include <stdlib.h>
#include <string.h>

#include <lwip/init.h>
#include <lwip/memp.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/sys.h>
#include <lwip/timeouts.h>
#include <lwip/udp.h>

#include "direct.h"

enum { S_NETIF, S_TIME, S_RANDOM };
enum { P_IPV4, P_GATEWAY, P_MEMORY };

static struct direct *the;

/* ---- what lwIP calls without an argument ---- */

u32_t sys_now(void)
{
	return (u32_t)(the->env->host->now_ns() / 1000000u);
}

uint32_t direct_rand(void)
{
	uint32_t r = 0;

	/* A failed generator leaves lwIP with the clock's low bits: ports and
	 * xids still vary, and the failure is logged. */
	if (the->rnd->ops->fill(the->rnd, &r, sizeof r) < 0) {
		mg_log(the->env, MG_LOG_WARN, "random: the generator failed; using the clock");
		r = (uint32_t)the->env->host->now_ns();
	}
	return r;
}

uint32_t direct_tcp_isn(void)
{
	return direct_rand();
}

/* Blocks carry their size in front, so the budget can be given back. */
#define MEM_HDR 16

void *direct_mem_malloc(size_t size)
{
	size_t *h;

	if (size > the->mem_max - the->mem_used)
		return NULL;
	h = mg_alloc(the->env, MEM_HDR + size);
	if (!h)
		return NULL;
	*h = size;
	the->mem_used += size;
	return (char *)h + MEM_HDR;
}

void *direct_mem_calloc(size_t n, size_t size)
{
	void *p = size && n > (SIZE_MAX - MEM_HDR) / size ? NULL : direct_mem_malloc(n * size);

	if (p)
		memset(p, 0, n * size);
	return p;
}

void direct_mem_free(void *p)
{
	size_t *h;

	if (!p)
		return;
	h = (size_t *)(void *)((char *)p - MEM_HDR);
	the->mem_used -= *h;
	mg_free(the->env, h);
}

void direct_lwip_assert(const char *msg, const char *file, int line)
{
	if (the)
		mg_log(the->env, MG_LOG_ERROR, "lwIP assertion failed: %s (%s:%d)", msg, file, line);
	abort();
}

/* ---- the loop timer ---- */

static void on_tick(void *arg)
{
	struct direct *st = arg;

	st->tick = NULL;
	st->in_lwip = 1;
	sys_check_timeouts();
	st->in_lwip = 0;
	direct_settle(st);
}

void direct_settle(struct direct *st)
{
	u32_t sleep, due;

	st->aborted = NULL; /* lwIP has returned: nobody is told of it any more */
	dtcp_flush(st);
	sleep = sys_timeouts_sleeptime();
	if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		return;
	due = sys_now() + sleep;
	if (st->tick && (int32_t)(due - st->tick_at) >= 0)
		return; /* armed early enough */
	if (st->tick)
		st->time->ops->cancel(st->time, st->tick);
	st->tick = NULL;
	st->tick_at = due;
	if (st->time->ops->after(st->time, (uint64_t)sleep * 1000000u, on_tick, st, &st->tick) < 0)
		mg_log(st->env, MG_LOG_ERROR, "cannot arm lwIP's timer: out of memory");
}

static void on_kick(void *arg)
{
	struct direct *st = arg;

	st->kick = NULL;
	dtcp_kick(st);
	direct_settle(st);
}

void direct_kick(struct direct *st)
{
	if (!st->kick && st->time->ops->after(st->time, 0, on_kick, st, &st->kick) < 0)
		mg_log(st->env, MG_LOG_ERROR, "cannot schedule a delivery: out of memory");
}

/* ---- the device ---- */

static const struct mg_stackv4_ops direct_ops = {
	.hdr = MG_OPS_HDR(struct mg_stackv4_ops, 1, 2),
	.tcp_listen = dtcp_listen,
	.tcp_port = dtcp_port,
	.tcp_unlisten = dtcp_unlisten,
	.tcp_connect = dtcp_connect,
	.udp_bind = dudp_bind,
	.udp_send = dudp_send,
	.udp_close = dudp_close,
	.tcp_listener_retarget = dtcp_retarget,
	.tcp_listener_hold = dtcp_hold,
};

/* lwIP's pcbs outlive the flows that closed them (TIME_WAIT, FIN_WAIT):
 * every one goes, without callbacks. */
static void drop_pcbs(void)
{
	struct tcp_pcb_listen *lp;

	while (tcp_active_pcbs) {
		tcp_arg(tcp_active_pcbs, NULL);
		tcp_err(tcp_active_pcbs, NULL);
		tcp_abort(tcp_active_pcbs);
	}
	while (tcp_tw_pcbs)
		tcp_abort(tcp_tw_pcbs);
	while (tcp_bound_pcbs)
		tcp_close(tcp_bound_pcbs);
	while ((lp = tcp_listen_pcbs.listen_pcbs))
		tcp_close((struct tcp_pcb *)lp);
	while (udp_pcbs)
		udp_remove(udp_pcbs);
}

/* lwIP's timeout list is global and outlives lwip_init: empty it, so a
 * later instance starts afresh.  The TCP timer is not cyclic: run with no
 * pcbs left, it notes that it stopped. */
static void drop_timeouts(void)
{
	struct sys_timeo **head = sys_timeouts_get_next_timeout();

	for (int i = 0; *head && i < 64; i++) {
		struct sys_timeo *t = *head;
		sys_timeout_handler h = t->h;
		void *arg = t->arg;

		*head = t->next;
		memp_free(MEMP_SYS_TIMEOUT, t);
		if (h != lwip_cyclic_timer)
			h(arg);
	}
}

static void teardown(struct direct *st)
{
	dnetif_stop(st); /* first: DHCP's udp pcb is one of those drop_pcbs would free */
	drop_pcbs();
	drop_timeouts();
	if (st->tick)
		st->time->ops->cancel(st->time, st->tick);
	if (st->kick)
		st->time->ops->cancel(st->time, st->kick);
	if (st->mem_used)
		mg_log(st->env, MG_LOG_WARN, "lwIP left %zu bytes allocated", st->mem_used);
	mg_free(st->env, st->frame);
	mg_free(st->env, st);
	the = NULL;
}

static int direct_connect(const struct mg_env *env, struct mg_device **out)
{
	struct direct *st;
	int rc;

	if (the) {
		mg_log(env, MG_LOG_ERROR,
		       "device '%s' already runs lwIP in this program; lwIP keeps its state in globals, so there is one net.direct per program",
		       the->env->name);
		return -EBUSY;
	}
	st = mg_zalloc(env, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->stack.ops = &direct_ops;
	st->env = env;
	st->nif = (struct mg_network *)env->deps[S_NETIF];
	st->time = (struct mg_time *)env->deps[S_TIME];
	st->rnd = (struct mg_random *)env->deps[S_RANDOM];
	st->mem_max = (size_t)env->params[P_MEMORY].i;
	st->mtu = st->nif->ops->mtu(st->nif);
	st->frame = mg_alloc(env, st->mtu + 18); /* Ethernet header and a VLAN tag */
	if (!st->frame) {
		mg_free(env, st);
		return -ENOMEM;
	}
	the = st;
	lwip_init();
	rc = dnetif_start(st, env->params[P_IPV4].s, env->params[P_GATEWAY].s);
	if (rc < 0) {
		teardown(st);
		return rc;
	}
	direct_settle(st);
	*out = MG_DEVICE(&st->stack);
	/* A lease comes later: dnetif reports connected() then. */
	return st->dhcp ? -EINPROGRESS : 0;
}

static void direct_disconnect(struct mg_device *dev)
{
	teardown(direct_of((struct mg_stackv4 *)dev));
}

static const struct mg_slot direct_slots[] = {
	[S_NETIF] = { .name = "netif", .type = MG_TYPE(NETWORK, 0),
		      .doc = "the network device carrying Ethernet frames (a tap, a netfront)" },
	[S_TIME] = { .name = "time", .type = MG_TYPE(TIME, 0), .doc = "lwIP's timers" },
	[S_RANDOM] = { .name = "random", .type = MG_TYPE(RANDOM, 0),
		       .doc = "TCP initial sequence numbers, DHCP transaction ids, ports" },
};

static const struct mg_param direct_params[] = {
	[P_IPV4] = { .name = "ipv4", .type = MG_PARAM_STRING, .def = "dhcp",
		     .doc = "\"dhcp\", or the address with its prefix length (\"10.0.0.2/24\")" },
	[P_GATEWAY] = { .name = "gateway", .type = MG_PARAM_STRING, .def = "",
			.doc = "the default route's next hop (\"\": none; with dhcp, the lease's)" },
	[P_MEMORY] = { .name = "memory", .type = MG_PARAM_INT, .def = "67108864",
		       .min = 1048576, .max = 4294967296,
		       .doc = "bytes lwIP may allocate at most: pcbs, segments, packet buffers" },
};

MG_PLUGIN(.name = "net.direct", .version = "1.0",
	  .summary = "stackv4 over lwIP 2.1.3 on a network device (TCP, UDP, ICMP echo, ARP, DHCP; IPv4)",
	  .provides = MG_TYPE(STACKV4, 2), .targets = MG_TARGET_ANY,
	  .slots = direct_slots, .nslots = MG_COUNTOF(direct_slots),
	  .params = direct_params, .nparams = MG_COUNTOF(direct_params),
	  .connect = direct_connect, .disconnect = direct_disconnect);
