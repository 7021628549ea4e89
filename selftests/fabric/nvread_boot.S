/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvread_boot.S - a boot sector that reads the tenant's NV tag inside the
 * VM (hypervisor/01b): SeaBIOS loads it at 0x7c00 after measuring the
 * boot; it sends the one TPM command the test placed at offset 0x180 of
 * the sector (TPM2_NV_Read, at most 126 bytes) to the TPM through the TIS
 * registers at 0xfed40000 (locality 0), and writes the response in hex
 * between two marker lines to QEMU's debug port 0x402 (the test's log),
 * then halts. Real mode with a 4 GiB fs limit ("unreal" mode) reaches the
 * TIS without a protected-mode switch of the whole program.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x7c00, %sp
	/* fs with a flat 4 GiB limit: load it in protected mode, come back */
	lgdtl	gdtr
	movl	%cr0, %eax
	orb	$1, %al
	movl	%eax, %cr0
	jmp	1f
1:	movw	$8, %bx
	movw	%bx, %fs
	andb	$0xfe, %al
	movl	%eax, %cr0
	jmp	2f
2:	xorw	%ax, %ax
	movw	%ax, %fs
	movl	$0xfed40000, %esi
	/* TPM_ACCESS: request locality 0, wait until it is active */
	movb	$0x02, %fs:(%esi)
3:	movb	%fs:(%esi), %al
	testb	$0x20, %al
	jz	3b
	/* TPM_STS: commandReady */
	movb	$0x40, %fs:0x18(%esi)
4:	movb	%fs:0x18(%esi), %al
	testb	$0x40, %al
	jz	4b
	/* the command into the FIFO, byte by byte (its size: byte 5) */
	movw	$cmd, %di
	movzbw	cmd + 5, %cx
5:	movb	(%di), %al
	movb	%al, %fs:0x24(%esi)
	incw	%di
	loop	5b
	/* tpmGo; wait for stsValid | dataAvail */
	movb	$0x20, %fs:0x18(%esi)
6:	movb	%fs:0x18(%esi), %al
	andb	$0x90, %al
	cmpb	$0x90, %al
	jne	6b
	movw	$begin, %di
	call	puts
	/* the response, while the TPM says there is more */
7:	movb	%fs:0x18(%esi), %al
	testb	$0x10, %al
	jz	8f
	movb	%fs:0x24(%esi), %al
	call	hex
	jmp	7b
8:	movw	$end, %di
	call	puts
	movb	$0x40, %fs:0x18(%esi)
9:	hlt
	jmp	9b

/* the NUL-terminated string at %di to the debug port */
puts:	movw	$0x402, %dx
1:	movb	(%di), %al
	testb	%al, %al
	jz	2f
	outb	%al, %dx
	incw	%di
	jmp	1b
2:	ret

/* %al as two hex digits to the debug port */
hex:	movw	$0x402, %dx
	pushw	%ax
	shrb	$4, %al
	call	1f
	popw	%ax
	andb	$0x0f, %al
1:	cmpb	$10, %al
	jb	2f
	addb	$'a' - 10 - '0', %al
2:	addb	$'0', %al
	outb	%al, %dx
	ret

begin:	.asciz	"\nvmshield-nvread-response: "
end:	.asciz	"\nvmshield-nvread-end\n"

	.p2align 3
gdt:	.quad	0
	.quad	0x00cf92000000ffff	/* data: base 0, limit 4 GiB */
gdtr:	.word	gdtr - gdt - 1
	.long	gdt

	/* the test writes the TPM command here */
	.org	0x180
cmd:	.fill	0x7e, 1, 0
	.org	0x1fe
	.word	0xaa55
