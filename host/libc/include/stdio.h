/* stdio.h - formatting only: the image has no files.  Conversions: d i u x X
 * o c s p %, flags - 0 + space #, width and precision (also *), lengths hh h
 * l ll z t j.  No floating point. */
#ifndef MGX_STDIO_H
#define MGX_STDIO_H

#include <stdarg.h>
#include <stddef.h>

int snprintf(char *restrict buf, size_t cap, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t cap, const char *restrict fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
