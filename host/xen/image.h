/* image.h - the contract between the Xen platform and the wiring file that
 * mirage-freeze generates (mirage-freeze --emit-c shows one).
 *
 * The wiring file defines what host/frozen.h declares (the same on Unix):
 *   const struct mg_plan mg_frozen_plan;   the checked plan, as static data
 *   int mg_frozen_start(...);               calls a job's start with its deps;
 *                                           -ENOSYS for a device not a job
 * and, for the image, may define:
 *   const int mg_frozen_log_level;          an enum mg_log_level; default
 *                                           MG_LOG_INFO when absent
 *
 * The platform's entry (main.c) brings up memory, console and time, then
 * runs mgh_run(&mg_frozen_plan, { target "xen", prog = plan name, start =
 * mg_frozen_start }) and shuts the domain down with its result: poweroff for
 * 0, crash otherwise (QEMU: isa-debug-exit, else a triple fault). */
#ifndef MGX_IMAGE_H
#define MGX_IMAGE_H

#include "runtime/frozen.h"

/* Weak: an image without it logs at MG_LOG_INFO. */
extern const int mg_frozen_log_level __attribute__((weak));

#endif
