/* plat.h - the Xen platform's internal parts, called from its entry
 * (main.c) and its event loop (loop.c).  Plugins see mgx.h only. */
#ifndef MGX_PLAT_H
#define MGX_PLAT_H

#include "mgx.h" /* first: Xen's headers need its stdint.h */

#include <xen/arch-x86/hvm/start_info.h>

struct mgh_loop;

/* TSC when boot.S started (set before anything else). */
extern uint64_t mgx_tsc_entry;

/* xen.c: finds Xen by CPUID; when present installs the hypercall page, maps
 * shared info and routes event upcalls to the interrupt vector. */
void mgx_xen_init(void);
/* mem.c: hands the RAM above the image to the heap. */
void mgx_mem_init(const struct hvm_start_info *si);
/* cons.c: the PV console ring, or the serial port. */
void mgx_cons_init(void);
/* Waits (briefly) until the console backend has read everything. */
void mgx_cons_flush(void);
/* time.c: PV time, or a calibrated TSC. */
void mgx_time_init(void);
/* A TSC interval in ns (for the boot-time figure). */
uint64_t mgx_tsc_to_ns(uint64_t ticks);
/* A one-line description of the time source, e.g. "tsc 2400 MHz (pit)". */
const char *mgx_time_source(void);

/* evtchn.c: 1 when a routed or platform port is pending. */
int mgx_evtchn_pending(void);
/* Dispatches every pending port; returns how many callbacks ran. */
unsigned mgx_evtchn_dispatch(void);
/* Ports routed to a callback (the loop's pending count includes them). */
unsigned mgx_evtchn_routed(void);
/* Halts until an event (or the deadline, 0: none) arrives. */
void mgx_evtchn_wait(uint64_t deadline_ns);
/* Binds VIRQ_TIMER so that the one-shot timer wakes the halt. */
void mgx_evtchn_init(void);
/* How the loop waits, for the boot line: halt or poll. */
const char *mgx_evtchn_idle(void);

/* xenstore.c: connects the client (mgx.h) to the ring and its events on
 * loop l: 0, or -ENODEV without Xen or without a ring.  mgx_xs_stop (of
 * the same loop) drops every request and watch. */
int mgx_xs_start(struct mgh_loop *l);
void mgx_xs_stop(struct mgh_loop *l);
/* Requests and watches of devices (owner != NULL) in flight. */
unsigned mgx_xs_waiting(void);
/* The event-channel routes the client holds (0 or 1): the platform's own. */
unsigned mgx_xs_routes(void);
/* gnttab.c: ends the grants mgx_gnt_release left for later, where the
 * backend let go (each round of the loop).  Weak: an image whose plugins
 * grant nothing does not link the grant table. */
__attribute__((weak)) void mgx_gnt_retry(void);
/* control.c: the SCHEDOP_shutdown reason the toolstack asked for through
 * control/shutdown (SHUTDOWN_poweroff when it asked nothing). */
unsigned mgx_shutdown_reason(void);
/* trap.c: the IDT (CPU exceptions report and crash the domain), the TSS
 * with their fault stack, the stack's guard page unmapped. */
void mgx_trap_init(void);
/* Unmaps page 0, so that NULL faults.  Only once the start info was read:
 * QEMU's PVH loader puts the memory map (and may put more) in page 0. */
void mgx_trap_unmap_null(void);
/* Points an IDT vector at entry (ist: 0, or the TSS's IST stack to use). */
void mgx_trap_gate(unsigned vector, void (*entry)(void), unsigned ist);
/* SCHEDOP_shutdown with reason; without Xen isa-debug-exit with debug_code,
 * else a triple fault. */
__attribute__((noreturn)) void mgx_halt_domain(unsigned reason, uint32_t debug_code);

/* main.c: the C entry, called by boot.S with the start info's address. */
__attribute__((noreturn)) void mgx_main(uint32_t start_info);
/* main.c: shuts the domain down (status != 0: crashed) or leaves QEMU. */
__attribute__((noreturn)) void mgx_exit(int status);

#endif
