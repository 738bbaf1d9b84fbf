/* date.h - HTTP dates ("Sun, 06 Nov 1994 08:49:37 GMT"), pure. */
#ifndef MIRAGE_HTTP_DATE_H
#define MIRAGE_HTTP_DATE_H

#include <stdint.h>

#define HTTP_DATE_LEN 29

/* Formats secs since the epoch (UTC) into buf, NUL-terminated. */
void http_format_date(int64_t secs, char buf[HTTP_DATE_LEN + 1]);

#endif
