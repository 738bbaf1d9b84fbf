/* boot.h - a frozen program's command line: Unix's arguments, or the PVH
 * start info's command line of an image (xl's cmdline=/extra=, QEMU's
 * -append).  Implementations are frozen; parameters are not:
 *   --set devices.DEV.PARAM=VALUE   checked as the resolver checks it
 *   --set workers=N                 Unix: N processes serve the app
 *   -v                              log more (again: more still)
 *   -h, --help                      the devices and their frozen values */
#ifndef MIRAGE_BOOT_H
#define MIRAGE_BOOT_H

#include "runtime.h"

enum mgh_boot_result { MGH_BOOT_RUN, MGH_BOOT_HELP, MGH_BOOT_ERROR };

/* Reads the words of a command line against the frozen plan, giving its
 * devices the values set (the plan is the wiring file's; its devices are
 * writable for this); each -v raises opts->level, up to MG_LOG_DEBUG;
 * opts->workers is the plan's or the one set (opts->target "unix" only).
 * RUN; HELP after writing the help through line(0, text); ERROR after
 * writing why through line(1, text).  No line has a newline. */
enum mgh_boot_result mgh_boot_args(const struct mg_plan *frozen, const char *prog, int argc,
				   char *const *argv, void (*line)(int error, const char *text),
				   struct mgh_opts *opts);
/* Splits cmdline into words in place (spaces separate them; "..." quotes
 * one); stores at most max in argv.  The count. */
int mgh_boot_split(char *cmdline, char **argv, int max);

#endif
