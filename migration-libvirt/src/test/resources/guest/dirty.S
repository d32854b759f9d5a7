/*
 * A tiny guest for migration tests: a multiboot kernel that QEMU loads directly with <kernel>
 * (an ELF32 file; QEMU's multiboot loader starts it in 32-bit protected mode, paging off).
 *
 * It writes one word into every 4 KiB page from 4 MiB to 4 MiB + 64 MiB, so every page of that
 * working set holds data (not zero pages, which a migration sends almost for free).
 *   - Built with -DFILL_ONCE it does that once, then halts with interrupts off: an idle guest
 *     whose 64 MiB must still all be sent.
 *   - Otherwise it rewrites the working set forever, a new value per round: a guest that dirties
 *     memory as fast as the CPU lets it (tens of MiB/s under TCG), faster than a throttled
 *     migration can send it.
 */
#define MULTIBOOT_MAGIC 0x1BADB002
#define MULTIBOOT_FLAGS 0x0
#define WORKING_SET_START 0x00400000
#define WORKING_SET_END   0x04400000
#define PAGE_SIZE 4096

        .text
        .globl _start
        .align 4
multiboot_header:
        .long MULTIBOOT_MAGIC
        .long MULTIBOOT_FLAGS
        .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

_start:
        cli
        movl $1, %eax                   /* the value written in this round; never zero */
round:
        movl $WORKING_SET_START, %edi
page:
        movl %eax, (%edi)
        addl $PAGE_SIZE, %edi
        cmpl $WORKING_SET_END, %edi
        jb page
#ifdef FILL_ONCE
halt:
        hlt
        jmp halt
#else
        incl %eax
        jnz round
        movl $1, %eax
        jmp round
#endif
