/*
 * probe: the smallest PVH guest that proves the Xen testbed's console path.
 * Entered by Xen (or any PVH loader) in 32-bit protected mode, paging off,
 * through the XEN_ELFNOTE_PHYS32_ENTRY note.  On Xen it finds the CPUID
 * leaves, installs the hypercall page, asks HVMOP_get_param for the PV
 * console ring (HVM params 17/18), writes the greeting into the ring's out
 * buffer, kicks the event channel, waits (bounded) until xenconsoled has
 * consumed it, then SCHEDOP_shutdown(poweroff).  Progress and errors also go
 * to port 0xe9, which Xen logs as "(dN)" lines with guest_loglvl=all.
 * Hypercalls may clobber argument registers: nothing is kept in them.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HYPERVISOR_sched_op 29
#define HYPERVISOR_event_channel_op 32
#define HYPERVISOR_hvm_op 34
#define HVMOP_get_param 1
#define HVM_PARAM_CONSOLE_PFN 17
#define HVM_PARAM_CONSOLE_EVTCHN 18
#define EVTCHNOP_send 4
#define SCHEDOP_yield 0
#define SCHEDOP_shutdown 2
#define SHUTDOWN_poweroff 0
#define DOMID_SELF 0x7ff0
/* struct xencons_interface: in[1024], out[2048], then the ring indexes */
#define CONS_OUT 1024
#define CONS_OUT_SIZE 2048
#define CONS_OUT_CONS 3080
#define CONS_OUT_PROD 3084

#define HYPERCALL(nr) call hypercall_page + (nr) * 32

	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long _start

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	movl $stack_top, %esp
	movl $msg_started, %esi
	call e9_puts

	/* Xen's CPUID leaves: "XenVMMXenVMM" at some base 0x40000000 + k*0x100. */
	movl $0x40000000, %edi
1:	movl %edi, %eax
	cpuid
	cmpl $0x566e6558, %ebx		/* "XenV" */
	jne 2f
	cmpl $0x65584d4d, %ecx		/* "MMXe" */
	jne 2f
	cmpl $0x4d4d566e, %edx		/* "nVMM" */
	je found_xen
2:	addl $0x100, %edi
	cmpl $0x40010000, %edi
	jb 1b
	movl $msg_no_xen, %esi
	jmp fail

found_xen:
	leal 2(%edi), %eax		/* leaf base+2: %ebx = hypercall page MSR */
	cpuid
	movl %ebx, %ecx
	movl $hypercall_page, %eax
	xorl %edx, %edx
	wrmsr

	movl $HVM_PARAM_CONSOLE_PFN, %eax
	call get_param
	shll $12, %eax
	movl %eax, cons_ring
	movl $HVM_PARAM_CONSOLE_EVTCHN, %eax
	call get_param
	movl %eax, cons_port

	movl $msg_hello, %esi
	call cons_puts

	/* Bounded wait until the backend has read everything we wrote. */
	movl $100000, wait_left
3:	movl cons_ring, %edi
	movl CONS_OUT_CONS(%edi), %eax
	cmpl CONS_OUT_PROD(%edi), %eax
	je 4f
	movl $SCHEDOP_yield, %ebx
	xorl %ecx, %ecx
	HYPERCALL(HYPERVISOR_sched_op)
	decl wait_left
	jnz 3b
	movl $msg_not_drained, %esi
	call e9_puts
4:	movl $msg_bye, %esi
	call e9_puts
	movl $SHUTDOWN_poweroff, shutdown_reason
	movl $SCHEDOP_shutdown, %ebx
	movl $shutdown_reason, %ecx
	HYPERCALL(HYPERVISOR_sched_op)
	movl $msg_shutdown_failed, %esi
fail:	call e9_puts
5:	hlt
	jmp 5b

/* get_param: %eax = HVM param index -> %eax = value (low 32 bits); fails loudly. */
get_param:
	movw $DOMID_SELF, hvm_param
	movl %eax, hvm_param + 4
	movl $0, hvm_param + 8
	movl $0, hvm_param + 12
	movl $HVMOP_get_param, %ebx
	movl $hvm_param, %ecx
	HYPERCALL(HYPERVISOR_hvm_op)
	testl %eax, %eax
	jnz 1f
	movl hvm_param + 8, %eax
	ret
1:	movl $msg_get_param_failed, %esi
	jmp fail

/* cons_puts: %esi = NUL-terminated string -> console ring, then notify. */
cons_puts:
1:	movzbl (%esi), %eax
	testl %eax, %eax
	jz 3f
	movl cons_ring, %edi
2:	movl CONS_OUT_PROD(%edi), %edx
	movl %edx, %ecx
	subl CONS_OUT_CONS(%edi), %ecx
	cmpl $CONS_OUT_SIZE, %ecx
	jae 2b				/* ring full: our few bytes never fill it */
	movl %edx, %ecx
	andl $(CONS_OUT_SIZE - 1), %ecx
	movb %al, CONS_OUT(%edi,%ecx)
	incl %edx
	movl %edx, CONS_OUT_PROD(%edi)	/* x86 keeps stores in order */
	incl %esi
	jmp 1b
3:	movl cons_port, %eax
	movl %eax, evtchn_send
	movl $EVTCHNOP_send, %ebx
	movl $evtchn_send, %ecx
	HYPERCALL(HYPERVISOR_event_channel_op)
	ret

/* e9_puts: %esi = NUL-terminated string -> debug port 0xe9. */
e9_puts:
	movw $0xe9, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	ret

	.section .rodata
msg_started:		.asciz "probe: started (0xe9)\n"
msg_no_xen:		.asciz "probe: no Xen CPUID leaves\n"
msg_get_param_failed:	.asciz "probe: HVMOP_get_param failed\n"
msg_not_drained:	.asciz "probe: console ring not drained\n"
msg_bye:		.asciz "probe: powering off (0xe9)\n"
msg_shutdown_failed:	.asciz "probe: SCHEDOP_shutdown returned\n"
msg_hello:		.asciz "probe: hello from a PVH guest\n"

	.bss
	.balign 4096
hypercall_page:		.skip 4096
stack:			.skip 4096
stack_top:
hvm_param:		.skip 16	/* struct xen_hvm_param */
cons_ring:		.skip 4
cons_port:		.skip 4
evtchn_send:		.skip 4		/* struct evtchn_send */
shutdown_reason:	.skip 4		/* struct sched_shutdown */
wait_left:		.skip 4

	.section .note.GNU-stack, "", @progbits
