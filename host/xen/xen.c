/* xen.c - finding Xen and talking to it: the hypercall page, shared info
 * and the event upcall.  Without Xen every entry point says so (-ENOSYS,
 * NULL) and the platform uses the PC devices instead. */
#include <errno.h>
#include <string.h>

#include <stdint.h> /* before Xen's headers, which use its types */
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>

#include "cpu.h"
#include "plat.h"

#define PAGE_SIZE 4096
#define UPCALL_VECTOR 32 /* the first vector after the CPU exceptions */

/* Xen writes the hypercall stubs here (32 bytes per hypercall) when the
 * page's address is written to its MSR.  BSS: executable (no NX in use). */
static uint8_t hypercall_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* The frame Xen replaces with the shared info page. */
static union {
	struct shared_info si;
	uint8_t page[PAGE_SIZE];
} shared __attribute__((aligned(PAGE_SIZE)));
static int on_xen;

/* Read by mgx_upcall_entry in boot.S: vCPU 0's evtchn_upcall_pending. */
uint8_t *mgx_upcall_pending;
void mgx_upcall_entry(void);

int mgx_on_xen(void)
{
	return on_xen;
}

long mgx_hypercall(unsigned op, unsigned long a1, unsigned long a2, unsigned long a3,
		   unsigned long a4, unsigned long a5)
{
	register unsigned long r10 __asm__("r10") = a4;
	register unsigned long r8 __asm__("r8") = a5;
	long ret;

	if (!on_xen)
		return -ENOSYS;
	__asm__ volatile("call *%[entry]"
			 : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
			 : [entry] "r"(hypercall_page + op * 32)
			 : "memory", "rcx", "r11");
	return ret;
}

struct shared_info *mgx_shared_info(void)
{
	return on_xen ? &shared.si : NULL;
}

static int hvm_param(unsigned cmd, uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index, .value = *value };
	long rc = mgx_hypercall(__HYPERVISOR_hvm_op, cmd, (unsigned long)&p, 0, 0, 0);

	*value = p.value;
	return (int)rc;
}

int mgx_hvm_param(uint32_t index, uint64_t *value)
{
	*value = 0;
	return hvm_param(HVMOP_get_param, index, value);
}

/* The CPUID leaf base where Xen answers "XenVMMXenVMM", or 0. */
static uint32_t xen_cpuid_base(void)
{
	for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
		uint32_t r[4];

		cpuid(base, r);
		if (memcmp(&r[1], "XenVMMXenVMM", 12) == 0 && r[0] - base >= 2)
			return base;
	}
	return 0;
}

static void route_upcall(void)
{
	uint64_t via = (uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56 | UPCALL_VECTOR;

	mgx_trap_gate(UPCALL_VECTOR, mgx_upcall_entry, 0); /* interrupts the halt: its stack */
	mgx_upcall_pending = &shared.si.vcpu_info[0].evtchn_upcall_pending;
	hvm_param(HVMOP_set_param, HVM_PARAM_CALLBACK_IRQ, &via);
}

void mgx_xen_init(void)
{
	uint32_t base = xen_cpuid_base(), r[4];
	struct xen_add_to_physmap map = {
		.domid = DOMID_SELF, .space = XENMAPSPACE_shared_info,
		.idx = 0, .gpfn = (uintptr_t)&shared >> MGX_PAGE_SHIFT,
	};

	if (!base)
		return;
	cpuid(base + 2, r);
	wrmsr(r[1], (uintptr_t)hypercall_page);
	on_xen = 1;
	if (mgx_hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&map,
			  0, 0, 0) < 0) {
		/* Without shared info there is no time and no events: a Xen
		 * this old cannot run the image. */
		mgx_exit(1);
	}
	route_upcall();
}
