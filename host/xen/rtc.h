/* rtc.h - the PC's CMOS clock, for the wall time without Xen. */
#ifndef MGX_RTC_H
#define MGX_RTC_H

#include <stdint.h>

/* Now, in ns since the epoch (whole seconds), read from the CMOS clock. */
int64_t mgx_rtc_ns(void);

#endif
