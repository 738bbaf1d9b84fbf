/* mgx.h - what the Xen platform exports to Xen plugins (console.xen,
 * clock.xen, xen.evtchn, xen.xenstore, the drivers: netif.xen, block.xen).  Portable plugins never include it.
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
/* ns since the image's first instruction (the TSC then), for boot times. */
uint64_t mgx_uptime_ns(void);

/* Routes the events of a bound port to cb on the event loop; the port is
 * masked before cb runs (EVTCHNOP_unmask reopens it).  cb NULL: events are
 * dropped and the port's mask and pending bits cleared.  0, -EINVAL for a
 * port out of range, -ENOSYS without Xen. */
int mgx_evtchn_route(uint32_t port, void (*cb)(void *arg, uint32_t port), void *arg);

/* ---- pages (page.c) ----
 * n contiguous zeroed pages from the heap, page aligned (frame number:
 * address >> MGX_PAGE_SHIFT), for rings and the buffers drivers grant.
 * NULL when the heap has no room.  mgx_page_free(NULL) does nothing. */
void *mgx_page_alloc(size_t n);
void mgx_page_free(void *pages);

/* ---- grant table (gnttab.c) ----
 * Grants domain domid access to the guest frame `frame` (readonly: the
 * backend may only read it, as for transmit buffers); *ref is what the
 * backend maps.  Frames of the table are mapped as needed.  0, -ENOSPC
 * (Xen's table limit), -ENOMEM, -EINVAL (frame above 32 bits), -ENODEV
 * without Xen. */
int mgx_gnt_grant(uint16_t domid, uint64_t frame, int readonly, uint32_t *ref);
/* Ends a grant; ref is free for the next mgx_gnt_grant.  -EBUSY while the
 * backend still maps the page (the grant stays: the page must not be
 * reused, try again after the backend closed), -EINVAL for a ref that is
 * not granted. */
int mgx_gnt_end(uint32_t ref);
/* A driver letting go: ends the n grants of refs (0s are skipped), then
 * frees pages (mgx_page_alloc's; NULL: none).  What the backend still maps
 * (it unmaps a ring only after it saw the frontend close) is ended, and the
 * pages freed, later: the platform retries at every round of its loop.
 * Returns how many grants are left for later. */
unsigned mgx_gnt_release(const uint32_t *refs, unsigned n, void *pages);
/* Grants made and not ended (a driver's disconnect brings it back). */
unsigned mgx_gnt_granted(void);

/* ---- xenstore (xenstore.c) ----
 * An asynchronous client of the domain's xenstore ring (HVM params
 * STORE_PFN/STORE_EVTCHN), driven by its event channel on the event loop.
 * Every callback runs on the loop, never inside the call that asked.
 * Paths are absolute ("/local/domain/0/backend/vif/3/0/state") or relative
 * to the domain's home ("device/vif/0/backend").  Each request carries its
 * own req_id: a reply is given only to the request it answers, and one
 * that comes after its request timed out or was cancelled is dropped.
 *
 * owner: the calling device's env (as for its timers: what it leaves is
 * dropped when it is released, and it counts as something the loop waits
 * for), or NULL for the platform itself.
 * Without Xen (or without a ring) every call returns -ENODEV. */
#define MGX_XS_TIMEOUT_NS 5000000000ull /* a request unanswered this long: -ETIMEDOUT */

struct mgx_xs_req;   /* a request in flight; its handle dies when its callback runs */
struct mgx_xs_watch; /* a registered watch */

/* A reply: status 0 with the payload (value of a read, for a directory the
 * child names one after the other, each NUL-ended; always followed by a
 * NUL, len not counting it), or a negative errno: xenstored's error
 * (-ENOENT, -EACCES, -EINVAL...), -ETIMEDOUT, -EIO when the ring broke. */
typedef void (*mgx_xs_cb)(void *arg, int status, const char *payload, size_t len);
/* A watch event: status 0 with the path that changed (the watched one or
 * one below it; relative when the watch was).  xenstored sends one event
 * right after the watch is set, so cb first reads the current state.  A
 * negative status (path NULL): the watch could not be set; no events follow,
 * the handle still needs mgx_xs_unwatch. */
typedef void (*mgx_xs_watch_cb)(void *arg, int status, const char *path);

/* XS_READ, XS_WRITE (value of len bytes, no NUL needed), XS_DIRECTORY.
 * cb NULL: no reply is wanted (a write at disconnect).  *out (may be NULL)
 * is the handle for mgx_xs_cancel.  0, -ENODEV, -ENOMEM, -E2BIG (over
 * XENSTORE_PAYLOAD_MAX).  A request the ring cannot take yet is queued. */
int mgx_xs_read(const void *owner, const char *path, mgx_xs_cb cb, void *arg,
		struct mgx_xs_req **out);
int mgx_xs_write(const void *owner, const char *path, const void *value, size_t len,
		 mgx_xs_cb cb, void *arg, struct mgx_xs_req **out);
int mgx_xs_directory(const void *owner, const char *path, mgx_xs_cb cb, void *arg,
		     struct mgx_xs_req **out);
/* cb will not run; the request may still reach xenstored. */
void mgx_xs_cancel(struct mgx_xs_req *r);

/* XS_WATCH of path (and everything below it).  0, -ENODEV, -ENOMEM, -E2BIG. */
int mgx_xs_watch(const void *owner, const char *path, mgx_xs_watch_cb cb, void *arg,
		 struct mgx_xs_watch **out);
/* A watch of path whose every event reads path: cb gets its value as a
 * read's reply (first the current one), or a negative status: the read
 * failed, or the watch could not be set (then no reads follow;
 * mgx_xs_unwatch is still needed).  0, -ENODEV, -ENOMEM, -E2BIG. */
int mgx_xs_watch_read(const void *owner, const char *path, mgx_xs_cb cb, void *arg,
		      struct mgx_xs_watch **out);
/* XS_UNWATCH; cb runs no more. */
void mgx_xs_unwatch(struct mgx_xs_watch *w);
/* Cancels every request and removes every watch of owner (non-NULL), e.g.
 * in a disconnect; returns how many there were. */
unsigned mgx_xs_drop(const void *owner);

#endif
