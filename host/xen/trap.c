/* trap.c - CPU exceptions and the pages that must fault.  Vectors 0-31 print
 * a report (vector name, error code, RIP, RSP, CR2 for #PF) on the console
 * and end the domain with SHUTDOWN_crash; without Xen, isa-debug-exit with
 * its crash code, else a triple fault.  They run on a fault stack of their
 * own (IST1 of the TSS), so an overflow of the boot stack into its guard
 * page, or a double fault, still reports.  That guard page and page 0 are
 * unmapped here, splitting boot.S's 2 MiB pages where they lie. */
#include <stdio.h>

#include <stdint.h> /* before Xen's headers, which use its types */
#include <xen/sched.h>

#include "cpu.h"
#include "image.h"
#include "plat.h"
#include "runtime/platform.h"

#define SEL_CODE64 0x08
#define SEL_TSS 0x18
#define GATE_INTERRUPT 0x8e /* present, ring 0, 64-bit interrupt gate */
#define IST_FAULT 1
#define NR_EXCEPTIONS 32
#define DEBUG_EXIT_PORT 0xf4 /* QEMU -device isa-debug-exit,iobase=0xf4 */
#define DEBUG_EXIT_CRASH 2   /* QEMU exits with (2 << 1) | 1 = 5 */
#define VEC_PF 14
#define PAGE_SIZE 4096u
#define PTE_PRESENT_RW 0x3ull
#define PDE_2M 0x80ull
#define PTE_ADDR 0x000ffffffffff000ull

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap;
} __attribute__((packed));

/* What vectors.S pushed, then what the CPU pushed. */
struct trap_frame {
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

extern void (*const mgx_trap_stubs[NR_EXCEPTIONS])(void); /* vectors.S */
extern char mgx_stack_guard[];                              /* boot.S */
__attribute__((noreturn)) void mgx_trap(const struct trap_frame *f);

/* Every vector has a slot: a stray one raises #NP, which reports. */
static struct idt_gate idt[256];
static struct tss tss;
/* boot.S's code and data descriptors, then the TSS's (two slots). */
static uint64_t gdt[5] = { 0, 0x00af9a000000ffffull, 0x00cf92000000ffffull };
static uint8_t fault_stack[8192] __attribute__((aligned(16)));
/* Page tables for the 2 MiB pages split into 4 KiB ones (page 0's, the
 * guard page's). */
static uint64_t split_pt[2][512] __attribute__((aligned(PAGE_SIZE)));
static unsigned nsplit;
static int in_trap; /* a fault inside the report ends the domain silently */

static const char *const names[NR_EXCEPTIONS] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range exceeded", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack-segment fault", "#GP general protection",
	"#PF page fault", "reserved vector 15", "#MF x87 floating-point error",
	"#AC alignment check", "#MC machine check", "#XM SIMD floating-point error",
	"#VE virtualization exception", "#CP control protection", "reserved vector 22",
	"reserved vector 23", "reserved vector 24", "reserved vector 25",
	"reserved vector 26", "reserved vector 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security exception", "reserved vector 31",
};

void mgx_trap_gate(unsigned vector, void (*entry)(void), unsigned ist)
{
	uintptr_t a = (uintptr_t)entry;

	idt[vector] = (struct idt_gate){
		.off_lo = (uint16_t)a, .sel = SEL_CODE64, .ist = (uint8_t)ist,
		.type = GATE_INTERRUPT, .off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32),
	};
}

__attribute__((noreturn)) void mgx_halt_domain(unsigned reason, uint32_t debug_code)
{
	struct sched_shutdown down = { .reason = reason };
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) no_idt = { 0, 0 };

	mgx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&down, 0, 0, 0);
	/* QEMU exits with (value << 1) | 1. */
	outl(DEBUG_EXIT_PORT, debug_code);
	/* No such device: a triple fault resets the machine, which QEMU's
	 * -no-reboot turns into an exit. */
	__asm__ volatile("lidt %0; int3" : : "m"(no_idt));
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* What a #PF's address suggests, for the report. */
static const char *pf_hint(uint64_t cr2)
{
	uintptr_t guard = (uintptr_t)mgx_stack_guard;

	if (cr2 < PAGE_SIZE)
		return " (NULL pointer)";
	if (cr2 >= guard && cr2 < guard + PAGE_SIZE)
		return " (stack overflow: the guard page below the stack)";
	return "";
}

void mgx_trap(const struct trap_frame *f)
{
	char line[256];
	unsigned vec = (unsigned)f->vector;
	int n;

	if (in_trap++)
		mgx_halt_domain(SHUTDOWN_crash, DEBUG_EXIT_CRASH);
	n = snprintf(line, sizeof line,
		     "%s: crash: CPU exception %s (vector %u), error code 0x%llx, rip 0x%llx, rsp 0x%llx",
		     mg_frozen_plan.name, names[vec % NR_EXCEPTIONS], vec,
		     (unsigned long long)f->error, (unsigned long long)f->rip,
		     (unsigned long long)f->rsp);
	if (vec == VEC_PF && n > 0 && (size_t)n < sizeof line) {
		uint64_t cr2;

		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		snprintf(line + n, sizeof line - (size_t)n, ", cr2 0x%llx%s",
			 (unsigned long long)cr2, pf_hint(cr2));
	}
	mgh_plat_log(line);
	mgx_cons_flush();
	mgx_halt_domain(SHUTDOWN_crash, DEBUG_EXIT_CRASH);
}

/* Makes the 4 KiB page at va not present (identity map: tables are reached
 * at their physical addresses). */
static void unmap_page(uintptr_t va)
{
	uint64_t cr3, *pdpt, *pd, *pde, *pt;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	pdpt = (uint64_t *)(uintptr_t)(((uint64_t *)(uintptr_t)(cr3 & PTE_ADDR))[0] & PTE_ADDR);
	pd = (uint64_t *)(uintptr_t)(pdpt[(va >> 30) & 511] & PTE_ADDR);
	pde = &pd[(va >> 21) & 511];
	if (*pde & PDE_2M) {
		uint64_t base = *pde & PTE_ADDR & ~0x1fffffull;

		if (nsplit == sizeof split_pt / sizeof split_pt[0])
			mgx_halt_domain(SHUTDOWN_crash, DEBUG_EXIT_CRASH); /* a bug here */
		pt = split_pt[nsplit++];
		for (unsigned i = 0; i < 512; i++)
			pt[i] = (base + (uint64_t)i * PAGE_SIZE) | PTE_PRESENT_RW;
		*pde = (uintptr_t)pt | PTE_PRESENT_RW;
	}
	pt = (uint64_t *)(uintptr_t)(*pde & PTE_ADDR);
	pt[(va >> 12) & 511] = 0;
	/* the whole TLB: the 2 MiB entry may be cached too */
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

static void load_tss(void)
{
	uint64_t base = (uintptr_t)&tss, limit = sizeof tss - 1;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof gdt - 1, (uintptr_t)gdt };

	tss.ist[IST_FAULT - 1] = (uintptr_t)(fault_stack + sizeof fault_stack);
	tss.iomap = sizeof tss; /* no I/O bitmap */
	gdt[SEL_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
			   (limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
	gdt[SEL_TSS / 8 + 1] = base >> 32;
	/* Same selectors as boot.S's table: the segment registers stay valid. */
	__asm__ volatile("lgdt %0; ltr %w1" : : "m"(gdtr), "r"(SEL_TSS) : "memory");
}

void mgx_trap_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof idt - 1, (uintptr_t)idt };

	load_tss();
	for (unsigned v = 0; v < NR_EXCEPTIONS; v++)
		mgx_trap_gate(v, mgx_trap_stubs[v], IST_FAULT);
	__asm__ volatile("lidt %0" : : "m"(idtr));
	unmap_page((uintptr_t)mgx_stack_guard);
}

void mgx_trap_unmap_null(void)
{
	unmap_page(0);
}
