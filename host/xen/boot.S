/* boot.S - the PVH entry: 32-bit protected mode, paging off, %ebx = struct
 * hvm_start_info.  Builds identity page tables for the low 4 GiB (Xen puts
 * the console and xenstore rings just below 4 GiB), enters long mode, zeroes
 * the BSS and calls mgx_main(start_info).  No multiboot header: QEMU would
 * then refuse an ELF64. */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define CR0_PE 0x00000001
#define CR0_MP 0x00000002
#define CR0_EM 0x00000004
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define CR4_OSFXSR 0x00000200
#define CR4_OSXMMEXCPT 0x00000400
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define PTE_PRESENT_RW 0x3
#define PDE_2M (PTE_PRESENT_RW | 0x80)
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define STACK_SIZE 0x10000

/* The note Xen and QEMU look for in a PT_NOTE segment.  QEMU reads the
 * descriptor as a 64-bit value, so it is a .quad. */
	.section .note.Xen, "a", @note
	.p2align 2
	.long 2f - 1f		/* namesz */
	.long 4f - 3f		/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz "Xen"
2:	.p2align 2
3:	.quad mgx_start32
4:

	.section .text.boot, "ax", @progbits
	.code32
	.globl mgx_start32
mgx_start32:
	cld
	/* The TSC first: the boot time is measured from here. */
	movl %ebx, %esi
	rdtsc
	movl %eax, mgx_tsc_entry
	movl %edx, mgx_tsc_entry + 4
	movl %esi, mgx_start_info

	/* Zero the BSS (page tables and stack live there). */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	/* PML4[0] -> PDPT; PDPT[0..3] -> 4 page directories of 2 MiB pages. */
	movl $mgx_pdpt + PTE_PRESENT_RW, mgx_pml4
	movl $mgx_pd + PTE_PRESENT_RW, %eax
	xorl %ecx, %ecx
1:	movl %eax, mgx_pdpt(, %ecx, 8)
	addl $0x1000, %eax
	incl %ecx
	cmpl $4, %ecx
	jne 1b
	movl $PDE_2M, %eax
	xorl %ecx, %ecx
2:	movl %eax, mgx_pd(, %ecx, 8)
	addl $0x200000, %eax
	incl %ecx
	cmpl $2048, %ecx
	jne 2b

	lgdt gdt_desc
	movl %cr4, %eax
	orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	movl %eax, %cr4
	movl $mgx_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	/* SSE on (the compiler may use it), x87 emulation off, paging on. */
	movl %cr0, %eax
	andl $~CR0_EM, %eax
	orl $(CR0_PG | CR0_PE | CR0_MP), %eax
	movl %eax, %cr0
	ljmp $SEL_CODE64, $start64

	.code64
start64:
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movq $boot_stack + STACK_SIZE, %rsp
	movl mgx_start_info(%rip), %edi
	call mgx_main
	/* mgx_main does not return; stop here if it ever does. */
3:	cli
	hlt
	jmp 3b

/* The Xen event upcall (HVM callback vector): clear the vCPU's pending flag
 * so that the interrupt is not raised again at once; the loop scans the
 * ports itself after the halt this interrupt ended. */
	.text
	.globl mgx_upcall_entry
mgx_upcall_entry:
	pushq %rax
	movq mgx_upcall_pending(%rip), %rax
	movb $0, (%rax)
	popq %rax
	iretq

	.section .rodata
	.p2align 3
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.data
	.p2align 3
	.globl mgx_tsc_entry, mgx_start_info
mgx_tsc_entry:
	.quad 0
mgx_start_info:
	.long 0

	.bss
	.p2align 12
mgx_pml4:
	.skip 0x1000
mgx_pdpt:
	.skip 0x1000
mgx_pd:
	.skip 0x4000
	/* Unmapped by trap.c: an overflow faults (and reports) here. */
	.p2align 12
	.globl mgx_stack_guard
mgx_stack_guard:
	.skip 0x1000
boot_stack:
	.skip STACK_SIZE
