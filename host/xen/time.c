/* time.c - monotonic and wall-clock time.  On Xen: the PV clock of vCPU 0
 * in shared info (system time, scaled TSC since the last update, wall clock
 * base).  Elsewhere: the TSC, whose rate comes from CPUID leaf 0x15 or a
 * 5 ms count of the PIT, with the CMOS clock read once for the wall time. */
#include <stdio.h>

#include "cpu.h"
#include "plat.h"
#include "pvclock.h"
#include "rtc.h"

#define NS_PER_S 1000000000ull
#define PIT_HZ 1193182u
#define PIT_TICKS (PIT_HZ / 200) /* 5 ms */
#define PIT_SPIN_MAX 100000000u  /* no PIT: give up and assume FALLBACK_HZ */
#define FALLBACK_HZ 1000000000ull

static uint64_t tsc_mul; /* without Xen: ns per 2^32 ticks */
static uint64_t tsc_base;
static int64_t wall_base_ns;
static uint64_t last_ns; /* monotonic never goes back, even across PV updates */
static char source[48];

static const volatile struct vcpu_time_info *pv_time(void)
{
	return &mgx_shared_info()->vcpu_info[0].time;
}

/* Reads a consistent PV snapshot: Xen makes version odd while updating. */
static uint64_t pv_now(void)
{
	const volatile struct vcpu_time_info *t = pv_time();
	uint32_t v;
	uint64_t ns;

	do {
		v = t->version;
		__asm__ volatile("lfence" ::: "memory");
		ns = t->system_time + mgx_pv_elapsed(rdtsc(), t->tsc_timestamp,
						     t->tsc_to_system_mul, t->tsc_shift);
		__asm__ volatile("lfence" ::: "memory");
	} while ((v & 1) || v != t->version);
	return ns;
}

uint64_t mgx_monotonic_ns(void)
{
	uint64_t ns = mgx_on_xen() ? pv_now() : mgx_pv_scale(rdtsc() - tsc_base, tsc_mul, 0);

	if (ns < last_ns)
		return last_ns;
	last_ns = ns;
	return ns;
}

static int64_t pv_wall_base(void)
{
	const volatile struct shared_info *s = mgx_shared_info();
	uint32_t v;
	int64_t ns;

	do {
		v = s->wc_version;
		__asm__ volatile("lfence" ::: "memory");
		ns = (int64_t)(((uint64_t)s->wc_sec_hi << 32 | s->wc_sec) * NS_PER_S + s->wc_nsec);
		__asm__ volatile("lfence" ::: "memory");
	} while ((v & 1) || v != s->wc_version);
	return ns;
}

int64_t mgx_wall_ns(void)
{
	/* Xen's wall clock is the time at system time 0; it moves when the
	 * host's clock is set, so it is read each time. */
	return (mgx_on_xen() ? pv_wall_base() : wall_base_ns) + (int64_t)mgx_monotonic_ns();
}

uint64_t mgx_tsc_to_ns(uint64_t ticks)
{
	if (mgx_on_xen())
		return mgx_pv_scale(ticks, pv_time()->tsc_to_system_mul, pv_time()->tsc_shift);
	return mgx_pv_scale(ticks, tsc_mul, 0);
}

uint64_t mgx_uptime_ns(void)
{
	return mgx_tsc_to_ns(rdtsc() - mgx_tsc_entry);
}

const char *mgx_time_source(void)
{
	return source;
}

/* Counts TSC ticks while PIT channel 2 counts PIT_TICKS down (gate via
 * port 0x61, output read back in its bit 5).  0 when the PIT never ends. */
static uint64_t pit_tsc_hz(void)
{
	uint64_t t0, t1;
	uint32_t spins = 0;

	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(0x43, 0xb0); /* channel 2, lo/hi byte, mode 0 */
	outb(0x42, PIT_TICKS & 0xff);
	outb(0x42, PIT_TICKS >> 8);
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		if (++spins == PIT_SPIN_MAX)
			return 0;
	t1 = rdtsc();
	return (t1 - t0) * PIT_HZ / PIT_TICKS;
}

/* The TSC rate and where it came from. */
static uint64_t tsc_hz(const char **how)
{
	uint32_t r[4];
	uint64_t hz;

	cpuid(0, r);
	if (r[0] >= 0x15) {
		cpuid(0x15, r); /* eax/ebx: TSC/crystal ratio, ecx: crystal Hz */
		if (r[0] && r[1] && r[2]) {
			*how = "cpuid";
			return (uint64_t)r[2] * r[1] / r[0];
		}
	}
	hz = pit_tsc_hz();
	*how = hz ? "pit" : "assumed";
	return hz ? hz : FALLBACK_HZ;
}

void mgx_time_init(void)
{
	const char *how;
	uint64_t hz;

	if (mgx_on_xen()) {
		snprintf(source, sizeof source, "xen pv clock");
		return;
	}
	hz = tsc_hz(&how);
	tsc_mul = (NS_PER_S << 32) / hz;
	tsc_base = mgx_tsc_entry;
	wall_base_ns = mgx_rtc_ns() - (int64_t)mgx_monotonic_ns();
	snprintf(source, sizeof source, "tsc %llu MHz (%s)", (unsigned long long)(hz / 1000000),
		 how);
}
