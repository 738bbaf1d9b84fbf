/* evtchn.c - event channels as the loop sees them: 2-level pending bits in
 * shared info, a small table routing ports to callbacks, the VIRQ_TIMER
 * port that the one-shot timer raises, and the halt that waits for either.
 * Interrupts stay off except inside `sti; hlt`, so the upcall (boot.S) only
 * ever interrupts the halt. */
#include <errno.h>

#include <stdint.h> /* before Xen's headers, which use its types */
#include <xen/event_channel.h>
#include <xen/vcpu.h>

#include "runtime/loop.h"
#include "cpu.h"
#include "plat.h"

#define MAX_ROUTES 16
#define NR_PORTS (sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8) /* 2-level: 4096 */

struct route {
	uint32_t port;
	void (*cb)(void *arg, uint32_t port); /* NULL: free slot */
	void *arg;
};

static struct route routes[MAX_ROUTES];
static int timer_bound; /* VIRQ_TIMER has a port: the halt wakes on time */

static struct route *find(uint32_t port)
{
	for (unsigned i = 0; i < MAX_ROUTES; i++)
		if (routes[i].cb && routes[i].port == port)
			return &routes[i];
	return NULL;
}

int mgx_evtchn_route(uint32_t port, void (*cb)(void *arg, uint32_t port), void *arg)
{
	struct route *r;

	if (!mgx_on_xen())
		return -ENOSYS;
	if (port >= NR_PORTS)
		return -EINVAL;
	r = find(port);
	if (!r && cb) {
		for (unsigned i = 0; i < MAX_ROUTES && !r; i++)
			if (!routes[i].cb)
				r = &routes[i];
		if (!r)
			return -ENOSPC;
	}
	if (r)
		*r = (struct route){ port, cb, arg };
	if (!cb) {
		/* Xen keeps a 2-level port's mask across EVTCHNOP_close and hands
		 * the number out again: a port masked at dispatch would stay
		 * deaf.  Unrouted, it starts clean. */
		struct shared_info *s = mgx_shared_info();
		xen_ulong_t bit = (xen_ulong_t)1 << (port % 64);

		__atomic_fetch_and(&s->evtchn_pending[port / 64], ~bit, __ATOMIC_SEQ_CST);
		__atomic_fetch_and(&s->evtchn_mask[port / 64], ~bit, __ATOMIC_SEQ_CST);
	}
	return 0;
}

unsigned mgx_evtchn_routed(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MAX_ROUTES; i++)
		n += routes[i].cb != NULL;
	return n;
}

int mgx_evtchn_pending(void)
{
	struct shared_info *s = mgx_shared_info();

	return s && __atomic_load_n(&s->vcpu_info[0].evtchn_pending_sel, __ATOMIC_SEQ_CST);
}

unsigned mgx_evtchn_dispatch(void)
{
	struct shared_info *s = mgx_shared_info();
	xen_ulong_t sel;
	unsigned ran = 0;

	if (!s)
		return 0;
	/* In Xen's order: the upcall flag, then the selector, then the bits. */
	s->vcpu_info[0].evtchn_upcall_pending = 0;
	sel = __atomic_exchange_n(&s->vcpu_info[0].evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	while (sel) {
		unsigned w = (unsigned)__builtin_ctzl(sel);
		xen_ulong_t bits = s->evtchn_pending[w] & ~s->evtchn_mask[w];

		sel &= sel - 1;
		while (bits) {
			unsigned b = (unsigned)__builtin_ctzl(bits);
			xen_ulong_t bit = (xen_ulong_t)1 << b;
			struct route *r = find(w * 64 + b);

			bits &= bits - 1;
			/* A routed port stays masked until its owner unmasks
			 * it (the evtchn type's contract); the timer's not. */
			if (r)
				__atomic_fetch_or(&s->evtchn_mask[w], bit, __ATOMIC_SEQ_CST);
			__atomic_fetch_and(&s->evtchn_pending[w], ~bit, __ATOMIC_SEQ_CST);
			if (r) {
				mgh_loop_turns++;
				r->cb(r->arg, r->port);
				ran++;
			}
		}
	}
	return ran;
}

/* Arms Xen's one-shot timer (system time = our monotonic time); its event
 * arrives on the VIRQ_TIMER port. */
static void arm_timer(uint64_t deadline_ns)
{
	struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline_ns };

	if (mgx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, (unsigned long)&t,
			  0, 0) < 0)
		mgx_hypercall(__HYPERVISOR_set_timer_op, deadline_ns, 0, 0, 0, 0);
}

void mgx_evtchn_wait(uint64_t deadline_ns)
{
	if (!timer_bound && deadline_ns) {
		/* No interrupt sources are set up on a bare PVH loader (nor
		 * when Xen refused the timer VIRQ): poll until the deadline. */
		while (mgx_monotonic_ns() < deadline_ns)
			cpu_relax();
		return;
	}
	if (!mgx_on_xen())
		return;
	if (deadline_ns)
		arm_timer(deadline_ns);
	/* An event after this test still wakes the halt: Xen sees the upcall
	 * pending when hlt (in sti's shadow) exits, and does not block. */
	if (!mgx_evtchn_pending())
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

const char *mgx_evtchn_idle(void)
{
	return timer_bound ? "halting until an event or VIRQ_TIMER" : "polling the clock";
}

void mgx_evtchn_init(void)
{
	struct evtchn_bind_virq bind = { .virq = VIRQ_TIMER, .vcpu = 0 };

	timer_bound = mgx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq,
				    (unsigned long)&bind, 0, 0, 0) == 0;
}
