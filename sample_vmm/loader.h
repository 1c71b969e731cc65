/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a Linux kernel (bzImage or ELF vmlinux) by the x86 64-bit boot
 * protocol (Documentation/arch/x86/boot.rst).  Pure: works on buffers.
 *
 * Guest-physical layout it uses (the rest of the VMM keeps clear of it):
 *   0x7000             struct boot_params ("zero page")
 *   0x20000            kernel command line (up to 64 KiB)
 *   0x100000           the protected-mode kernel (bzImage) / ELF segments
 *   top of RAM, down   initrd (below 4 GiB, page aligned)
 * The VMM owns 0x0-0x6fff (its page tables, GDT, ...).
 *
 * A bzImage is loaded at 0x100000 (its protected-mode part) and entered at
 * 0x100200.  A relocatable one moves itself to its run address (run_addr
 * below, usually pref_address, 16 MiB) before decompressing there, which is
 * why it needs memory up to run_addr + init_size.  The 64-bit boot protocol
 * wants the kernel's span (load_addr .. load_addr + mem_needed), the zero
 * page and the command line identity-mapped at entry, in long mode, with
 * RSI = boot_params and interrupts off; that is the VMM's part.
 */
#ifndef SAMPLE_VMM_LOADER_H
#define SAMPLE_VMM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define LOADER_ZERO_PAGE 0x7000ULL
#define LOADER_CMDLINE 0x20000ULL
#define LOADER_CMDLINE_MAX 0x10000ULL
#define LOADER_KERNEL 0x100000ULL

enum kernel_format { KERNEL_BZIMAGE, KERNEL_ELF };

struct kernel_info {
	enum kernel_format format;
	uint16_t protocol;	  /* boot protocol version (bzImage), e.g. 0x020f */
	size_t setup_size;	  /* bytes of real-mode setup (bzImage) */
	size_t payload_offset;	  /* where the protected-mode kernel starts in the file
				   * (ELF: the first byte any PT_LOAD segment copies) */
	size_t payload_size;	  /* bzImage: the rest of the file; ELF: the span of the
				   * file the PT_LOAD segments copy */
	uint64_t load_addr;	  /* guest-physical load address */
	uint64_t entry64;	  /* guest-physical 64-bit entry point */
	uint64_t mem_needed;	  /* bytes from load_addr the kernel needs: bzImage up to
				   * run_addr + init_size (at least payload_size); ELF up to
				   * the end of its highest PT_LOAD segment */
	uint32_t cmdline_max;	  /* longest command line it accepts, without the NUL */
	uint64_t run_addr;	  /* where it runs (boot.rst, init_size); ELF: load_addr */
	uint32_t initrd_addr_max; /* highest byte address the initrd may occupy */
	unsigned int header_end;  /* bzImage: end of the setup header (0x202 + [0x201]) */
};

/* Checks and describes an image (borrows it; fills *ki only on success).
 * 0, or -EINVAL (NULL image or ki) / -ENOEXEC (not a loadable 64-bit kernel,
 * truncated or inconsistent) with a message in err naming what is wrong and
 * where (offset).  err may be NULL. */
int loader_probe(const void *image, size_t len, struct kernel_info *ki, char *err, size_t errlen);

struct linux_boot {
	uint64_t entry;	      /* RIP */
	uint64_t boot_params; /* RSI */
};

/* Copies the kernel, the initrd (may be NULL) and the command line into
 * guest memory `mem` of `mem_size` bytes, and writes the zero page with an
 * e820 map: RAM 0-0x9fbff, reserved 0x9fc00-0xfffff (EBDA, VGA, BIOS), RAM
 * 0x100000 up to mem_size (Linux itself keeps off the first page).  A NULL
 * cmdline is an empty one.  Borrows every buffer.  0, or -EINVAL (NULL mem
 * or out, NULL initrd with ilen > 0), the errors of loader_probe(), -E2BIG
 * (command line too long, kernel or initrd does not fit), with a message in
 * err; on error nothing has been written to guest memory: every check is
 * done before the first copy. */
int loader_load_linux(void *mem, size_t mem_size, const void *kernel, size_t klen,
		      const void *initrd, size_t ilen, const char *cmdline, struct linux_boot *out,
		      char *err, size_t errlen);

#endif
