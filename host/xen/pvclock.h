/* pvclock.h - the arithmetic of Xen's PV clock (public/xen.h, struct
 * vcpu_time_info): pure, so the build machine tests it (tests/xen/
 * test_pvclock.c). */
#ifndef MGX_PVCLOCK_H
#define MGX_PVCLOCK_H

#include <stdint.h>

/* ns = (ticks shifted by shift) * mul / 2^32, as Xen defines its PV clock;
 * mul is 64-bit here so the TSC path needs no shift. */
static inline uint64_t mgx_pv_scale(uint64_t ticks, uint64_t mul, int shift)
{
	ticks = shift < 0 ? ticks >> -shift : ticks << shift;
	return (uint64_t)(((unsigned __int128)ticks * mul) >> 32);
}

/* The ns since Xen's stamp.  A TSC read a little behind the stamp (taken
 * on another CPU, or an emulated TSC's skew) is 0 ns: unsigned, it would
 * wrap to centuries ahead, and a clock that never goes back would keep that
 * time, so no timer would come due again. */
static inline uint64_t mgx_pv_elapsed(uint64_t tsc, uint64_t stamp, uint32_t mul, int8_t shift)
{
	return (int64_t)(tsc - stamp) > 0 ? mgx_pv_scale(tsc - stamp, mul, shift) : 0;
}

#endif
