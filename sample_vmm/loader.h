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
	uint16_t protocol;        /* boot protocol version (bzImage), e.g. 0x020f */
	size_t setup_size;        /* bytes of real-mode setup (bzImage) */
	size_t payload_offset;    /* where the protected-mode kernel starts in the file */
	size_t payload_size;
	uint64_t load_addr;       /* guest-physical load address */
	uint64_t entry64;         /* guest-physical 64-bit entry point */
	uint64_t mem_needed;      /* bytes from load_addr the kernel needs (init_size) */
	uint32_t cmdline_max;     /* longest command line it accepts */
};

/* Checks and describes an image.  0, or -EINVAL/-ENOEXEC/-E2BIG with a
 * message in err naming what is wrong and where (offset). */
int loader_probe(const void *image, size_t len, struct kernel_info *ki, char *err, size_t errlen);

struct linux_boot {
	uint64_t entry;       /* RIP */
	uint64_t boot_params; /* RSI */
};

/* Copies the kernel, the initrd (may be NULL) and the command line into
 * guest memory `mem` of `mem_size` bytes, and writes the zero page with an
 * e820 map (RAM from 0 to mem_size, less the first page and the legacy
 * hole 0x9fc00-0xfffff).  0 or -errno with a message in err; on error the
 * guest memory may be partly written but nothing else changed. */
int loader_load_linux(void *mem, size_t mem_size, const void *kernel, size_t klen,
		      const void *initrd, size_t ilen, const char *cmdline,
		      struct linux_boot *out, char *err, size_t errlen);

#endif
