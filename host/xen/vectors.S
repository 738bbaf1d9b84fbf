/* vectors.S - the entry stubs of the CPU exceptions 0-31.  Each pushes a zero
 * where the CPU pushes no error code, then its vector, so that mgx_trap
 * (trap.c) sees one frame layout: vector, error code, then the CPU's RIP,
 * CS, RFLAGS, RSP, SS.  The gates run them on the fault stack (IST1). */

	.text
	.macro stub v
	.p2align 4
trap_\v:
	/* the vectors for which the CPU pushes an error code */
	.if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	pushq $0
	.endif
	pushq $\v
	jmp trap_common
	.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub \v
	.endr

trap_common:
	movq %rsp, %rdi
	andq $-16, %rsp		/* the ABI's alignment at a call */
	call mgx_trap
	/* mgx_trap does not return */
1:	hlt
	jmp 1b

	.section .rodata
	.p2align 3
	.globl mgx_trap_stubs
mgx_trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad trap_\v
	.endr
