/* fault.c - reports a fatal signal, async-signal-safely: write(2) and
 * backtrace_symbols_fd only, from tables filled before any fault. */
#define _GNU_SOURCE /* dlinfo, dl_iterate_phdr, REG_RIP */
#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "fault.h"
#include "runtime/lastwords.h"
#include "runtime/loop.h"
#include "runtime/device.h"

/* The executable segments of the plugins loaded so far. */
static struct code {
	uintptr_t lo, hi;
	char name[64];
} codes[256];
static volatile sig_atomic_t ncodes;
static char folder[4096];

struct note {
	const struct link_map *lm;
	const char *name;
};

static int note_segments(struct dl_phdr_info *info, size_t size, void *arg)
{
	const struct note *n = arg;

	(void)size;
	if (info->dlpi_addr != n->lm->l_addr || strcmp(info->dlpi_name, n->lm->l_name))
		return 0;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + p->p_vaddr;
		int known = 0;

		if (p->p_type != PT_LOAD || !(p->p_flags & PF_X))
			continue;
		for (sig_atomic_t k = 0; k < ncodes && !known; k++)
			known = codes[k].lo == lo;
		if (known || ncodes == (sig_atomic_t)(sizeof codes / sizeof codes[0]))
			continue;
		codes[ncodes].lo = lo;
		codes[ncodes].hi = lo + p->p_memsz;
		strncpy(codes[ncodes].name, n->name, sizeof codes[ncodes].name - 1);
		ncodes++;
	}
	return 1;
}

void mgt_fault_note_plugin(void *handle, const char *name)
{
	struct note n = { NULL, name ? name : "?" };
	struct link_map *lm;

	if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) == 0) {
		n.lm = lm;
		dl_iterate_phdr(note_segments, &n);
	}
}

void mgt_fault_note_folder(const char *path)
{
	if (path && strlen(path) < sizeof folder)
		memcpy(folder, path, strlen(path) + 1);
}

static void put(const char *s)
{
	ssize_t rc = write(2, s, strlen(s));

	(void)rc; /* nothing is left to tell a failure to */
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	default: return "SIGABRT";
	}
}

static uintptr_t fault_pc(const void *uc_)
{
	const ucontext_t *uc = uc_;

#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.pc;
#else
	(void)uc;
	return 0;
#endif
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	uintptr_t pc = fault_pc(uc);
	const struct mgh_dev *d = mgh_loop_owner; /* an owner is a device's env, its first member */
	void *frames[64];
	const char *plugin = NULL;

	(void)si;
	mgh_last_words(); /* buffered output first: it happened before */
	for (sig_atomic_t k = 0; k < ncodes && !plugin; k++)
		if (pc >= codes[k].lo && pc < codes[k].hi)
			plugin = codes[k].name;
	put("mirage-host: fatal signal ");
	put(sig_name(sig));
	put(plugin ? " in the code of plugin " : " outside any plugin's code");
	put(plugin ? plugin : "");
	if (d) {
		put(", in a callback of device '");
		put(d->pd->name);
		put("' (");
		put(d->pd->plugin->name);
		put(")");
	}
	put("; backtrace:\n");
	backtrace_symbols_fd(frames, backtrace(frames, 64), 2);
	if (folder[0])
		rmdir(folder);
	_exit(MGT_EXIT_FAULT);
}

void mgt_fault_install(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	static char altstack[64 * 1024]; /* a stack overflow is reported too */
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
	void *frame;

	backtrace(&frame, 1); /* loads libgcc now: not from the handler */
	sigaltstack(&ss, NULL);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}
