/* platform.c - host/platform.h for the Xen image: host log lines go to the
 * platform console; crashes are not caught (a CPU exception ends the
 * domain).  The stop source is control.c's. */
#include <string.h>

#include "runtime/platform.h"
#include "plat.h"

void mgh_plat_log(const char *line)
{
	mgx_console_write(line, strlen(line));
	mgx_console_write("\n", 1);
}

int mgh_plat_guard(int (*fn)(void *arg), void *arg, const char **crash)
{
	(void)crash; /* no exception handlers: nothing to report */
	return fn(arg);
}
