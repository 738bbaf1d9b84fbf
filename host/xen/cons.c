/* cons.c - the platform console.  On Xen: the PV console ring (HVM params
 * CONSOLE_PFN and CONSOLE_EVTCHN), kicked through its event channel.
 * Elsewhere: COM1 (0x3f8, 115200 8N1) and the debug port 0xe9 (QEMU's
 * -debugcon), written by polling. */
#include <stdint.h> /* before Xen's headers, which use its types */
#include <xen/event_channel.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>
#include <xen/sched.h>

#include "cpu.h"
#include "plat.h"

#define COM1 0x3f8
#define DEBUG_PORT 0xe9
#define LSR_THRE 0x20
#define FLUSH_NS 200000000u /* at exit, wait at most this for the backend */

static struct xencons_interface *ring;
static evtchn_port_t ring_port;

static void ring_kick(void)
{
	struct evtchn_send send = { .port = ring_port };

	mgx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (unsigned long)&send, 0, 0,
		      0);
}

static void ring_yield(void)
{
	mgx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

/* Copies everything, waiting for the backend while the ring is full. */
static void ring_write(const char *buf, size_t len)
{
	while (len) {
		XENCONS_RING_IDX cons = ring->out_cons, prod = ring->out_prod;
		size_t space;

		mb();
		space = sizeof ring->out - (prod - cons);
		if (space == 0) {
			ring_kick();
			ring_yield();
			continue;
		}
		for (; space && len; space--, len--)
			ring->out[MASK_XENCONS_IDX(prod++, ring->out)] = *buf++;
		mb(); /* the bytes before the index that publishes them */
		ring->out_prod = prod;
		ring_kick();
	}
}

static void serial_putc(char c)
{
	while (!(inb(COM1 + 5) & LSR_THRE))
		cpu_relax();
	outb(COM1, (uint8_t)c);
	outb(DEBUG_PORT, (uint8_t)c);
}

void mgx_console_write(const char *buf, size_t len)
{
	if (ring) {
		ring_write(buf, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			serial_putc('\r'); /* terminals want CR LF */
		serial_putc(buf[i]);
	}
}

void mgx_cons_flush(void)
{
	uint64_t until = mgx_monotonic_ns() + FLUSH_NS;

	while (ring && ring->out_cons != ring->out_prod && mgx_monotonic_ns() < until) {
		ring_kick();
		ring_yield();
	}
}

void mgx_cons_init(void)
{
	uint64_t pfn, port;

	if (mgx_on_xen() && mgx_hvm_param(HVM_PARAM_CONSOLE_PFN, &pfn) == 0 && pfn &&
	    mgx_hvm_param(HVM_PARAM_CONSOLE_EVTCHN, &port) == 0) {
		ring = (struct xencons_interface *)(uintptr_t)(pfn << MGX_PAGE_SHIFT);
		ring_port = (evtchn_port_t)port;
		return;
	}
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* divisor latch */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
}
