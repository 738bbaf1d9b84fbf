/* date.c - the IMF-fixdate of RFC 9110 5.6.7 from Unix seconds, without
 * time.h (the plugin runs where there is none). */
#include <stdio.h>
#include <string.h>

#include "date.h"

static const char days[] = "SunMonTueWedThuFriSat";
static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

void http_format_date(int64_t secs, char buf[HTTP_DATE_LEN + 1])
{
	int64_t d = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t s = secs - d * 86400;
	/* civil_from_days (H. Hinnant): the proleptic Gregorian date of day d. */
	int64_t z = d + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t mday = doy - (153 * mp + 2) / 5 + 1, mon = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (mon <= 2);
	int wday = (int)(((d % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	char tmp[64];                         /* room for any year at all */

	snprintf(tmp, sizeof tmp, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT",
		 days + 3 * wday, (int)mday, months + 3 * (mon - 1), (int)year,
		 (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
	memcpy(buf, tmp, HTTP_DATE_LEN);
	buf[HTTP_DATE_LEN] = '\0';
}
