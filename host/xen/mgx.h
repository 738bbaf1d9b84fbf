/* mgx.h - what the Xen platform exports to Xen plugins (console.xen,
 * clock.xen, xen.evtchn, xen.xenstore).  Portable plugins never include it.
 * These names are listed in host/xen/platform.symbols: a Xen-only plugin
 * may leave them undefined, the image defines them.
 *
 * Memory below 4 GiB is identity mapped, so a guest frame number from Xen
 * (a ring's HVM param) is reached as (void *)(pfn << 12). */
#ifndef MGX_H
#define MGX_H

#include <stddef.h>
#include <stdint.h>

/* The Xen public headers, freestanding (uint*_t come from stdint.h). */
#include <xen/xen.h>

#define MGX_PAGE_SHIFT 12

/* 1 when running on Xen, 0 on another PVH loader (QEMU -kernel). */
int mgx_on_xen(void);

/* A hypercall through the hypercall page; unused arguments are 0.  Returns
 * Xen's result (0 or a negative Xen errno), -ENOSYS without Xen. */
long mgx_hypercall(unsigned op, unsigned long a1, unsigned long a2, unsigned long a3,
		   unsigned long a4, unsigned long a5);

/* The shared info page (event channel bits, PV time); NULL without Xen. */
struct shared_info *mgx_shared_info(void);

/* HVMOP_get_param for this domain.  0, or a negative errno. */
int mgx_hvm_param(uint32_t index, uint64_t *value);

/* Writes len bytes on the platform console: the PV console ring on Xen
 * (waiting while it is full), else the serial port 0x3f8 and port 0xe9. */
void mgx_console_write(const char *buf, size_t len);

/* Monotonic ns (Xen system time, else the TSC) and wall-clock ns since the
 * epoch (Xen's wall clock, else the CMOS clock read at boot). */
uint64_t mgx_monotonic_ns(void);
int64_t mgx_wall_ns(void);

/* Routes the events of a bound port to cb on the event loop; the port is
 * masked before cb runs (EVTCHNOP_unmask reopens it).  cb NULL: events are
 * dropped and the port's mask and pending bits cleared.  0, -EINVAL for a
 * port out of range, -ENOSYS without Xen. */
int mgx_evtchn_route(uint32_t port, void (*cb)(void *arg, uint32_t port), void *arg);

#endif
