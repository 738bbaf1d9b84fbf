/* rtc.c - reads the CMOS real-time clock (ports 0x70/0x71) as UTC, the way
 * QEMU keeps it by default. */
#include "cpu.h"
#include "rtc.h"

enum { SEC = 0, MIN = 2, HOUR = 4, DAY = 7, MON = 8, YEAR = 9, STATUS_A = 10, STATUS_B = 11 };
#define UPDATING 0x80 /* status A: the clock is changing, values torn */
#define BINARY 0x04   /* status B: not BCD */
#define HOUR_24 0x02  /* status B: 24-hour mode */
#define PM 0x80       /* hour bit in 12-hour mode */
#define SPIN_MAX 10000000u /* no CMOS (reads 0xff): do not wait for ever */

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static unsigned decode(uint8_t v, int binary)
{
	return binary ? v : (v >> 4) * 10u + (v & 0x0f);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Hinnant's method). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t mgx_rtc_ns(void)
{
	uint8_t b, hour;
	int bin;
	unsigned h;
	int64_t days;
	unsigned spins = 0;

	while ((cmos(STATUS_A) & UPDATING) && ++spins < SPIN_MAX)
		cpu_relax();
	b = cmos(STATUS_B);
	bin = b & BINARY;
	hour = cmos(HOUR);
	h = decode(hour & 0x7f, bin);
	if (!(b & HOUR_24))
		h = h % 12 + (hour & PM ? 12 : 0);
	days = days_from_civil(2000 + decode(cmos(YEAR), bin), decode(cmos(MON), bin),
			       decode(cmos(DAY), bin));
	return ((days * 24 + h) * 3600 + decode(cmos(MIN), bin) * 60 + decode(cmos(SEC), bin)) *
	       1000000000ll;
}
