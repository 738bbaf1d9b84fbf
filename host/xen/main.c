/* main.c - the C entry of the image (called by boot.S) and its exit. */
#include <stdio.h>
#include <stdlib.h>

#include <stdint.h> /* before Xen's headers, which use its types */
#include <xen/sched.h>

#include "cpu.h"
#include "image.h"
#include "plat.h"
#include "runtime/boot.h"
#include "runtime/platform.h"
#include "runtime/runtime.h"

static __attribute__((format(printf, 1, 2))) void plat_logf(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	mgh_plat_log(line);
}

void mgx_exit(int status)
{
	mgx_cons_flush();
	/* a clean end: what the toolstack asked for (poweroff by default);
	 * QEMU's isa-debug-exit: 1 for success, 3 for failure (5: a crash) */
	mgx_halt_domain(status ? SHUTDOWN_crash : mgx_shutdown_reason(), status ? 1 : 0);
}

void abort(void)
{
	mgh_plat_log("abort");
	mgx_exit(1);
}

static int log_level(void)
{
	return &mg_frozen_log_level ? mg_frozen_log_level : MG_LOG_INFO;
}

/* The start info's command line, copied before the heap may take its page. */
static char cmdline[1024];

static void keep_cmdline(const struct hvm_start_info *si)
{
	const char *from = (const char *)(uintptr_t)si->cmdline_paddr;
	size_t n = 0;

	while (si->cmdline_paddr && from[n] && n + 1 < sizeof cmdline) {
		cmdline[n] = from[n];
		n++;
	}
	cmdline[n] = '\0';
}

static void boot_line(int error, const char *line)
{
	(void)error; /* one console */
	mgh_plat_log(line);
}

void mgx_main(uint32_t start_info)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info;
	const char *prog = mg_frozen_plan.name;
	struct mgh_opts opts = { .level = (enum mg_log_level)log_level(),
				 .start = mg_frozen_start, .target = "xen", .prog = prog };
	uint64_t first_line;
	char *argv[64];
	int argc;

	keep_cmdline(si);
	mgx_trap_init();
	mgx_xen_init();
	mgx_mem_init(si);
	mgx_trap_unmap_null();
	mgx_cons_init();
	first_line = rdtsc();
	/* with -v: the first console line, the end of booting */
	if (opts.level >= MG_LOG_INFO)
		plat_logf("%s: info: platform: booting %s", prog,
			  mgx_on_xen() ? "on Xen" : "on a PVH loader without Xen");
	mgx_time_init();
	mgx_evtchn_init();
	if (opts.level >= MG_LOG_DEBUG)
		plat_logf("%s: debug: platform: %llu us from entry to the first console line; "
			  "time from %s; idle by %s", prog,
			  (unsigned long long)(mgx_tsc_to_ns(first_line - mgx_tsc_entry) / 1000),
			  mgx_time_source(), mgx_evtchn_idle());
	argc = mgh_boot_split(cmdline, argv, (int)MG_COUNTOF(argv));
	switch (mgh_boot_args(&mg_frozen_plan, prog, argc, argv, boot_line, &opts)) {
	case MGH_BOOT_HELP:
		mgx_exit(0);
	case MGH_BOOT_ERROR:
		mgx_exit(2);
	case MGH_BOOT_RUN:
		break;
	}
	mgx_exit(mgh_run(&mg_frozen_plan, &opts));
}
