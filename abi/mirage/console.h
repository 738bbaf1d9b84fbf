/* console.h - module type "console": a text output for people. */
#ifndef MIRAGE_CONSOLE_H
#define MIRAGE_CONSOLE_H

#include <stdarg.h>
#include <stdio.h>

#include "mirage.h"

#define MG_CONSOLE_NAME "console"
#define MG_CONSOLE_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_CONSOLE_TYPE _Pragma("GCC error \"MG_CONSOLE_TYPE is gone: write MG_TYPE(CONSOLE, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_console;

struct mg_console_ops {
	struct mg_ops_hdr hdr;
	/* Writes len bytes as they are.  Returns len, or -EIO.  The caller
	 * keeps the buffer; the console copies what it cannot write at once. */
	long (*write)(struct mg_console *c, const void *buf, size_t len);
	/* Writes one log line: the console adds what it is configured to
	 * (time stamp, level, colour) and the newline.  Lines below the
	 * console's level are dropped.  0 or -EIO. */
	int (*log)(struct mg_console *c, enum mg_log_level level,
		   const char *msg, size_t len);
};
MG_OPS_PIN(struct mg_console_ops, log, 2); /* 1.0 */

struct mg_console {
	const struct mg_console_ops *ops;
};

/* Formats into buf (cap > 0); longer output is cut.  Returns the length. */
static inline size_t mg_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, cap, fmt, ap);

	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

static inline __attribute__((format(printf, 2, 3))) long
mg_console_printf(struct mg_console *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = mg_vformat(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return c->ops->write(c, buf, n);
}

static inline __attribute__((format(printf, 3, 4))) int
mg_console_logf(struct mg_console *c, enum mg_log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = mg_vformat(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return c->ops->log(c, level, buf, n);
}

#endif
