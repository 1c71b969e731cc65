/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Linux loader: bzImage by the x86 boot protocol, or an ELF vmlinux,
 * entered at its 64-bit entry point with a zero page in RSI.
 *
 * Everything here works on buffers the caller owns; the image is untrusted
 * input, so every offset and size read from it is checked against the image
 * length before use, and every sum is checked for overflow before it is
 * compared.  Fields are read byte by byte (little endian, unaligned) rather
 * than through packed structs so that no cast can read past the buffer.
 *
 * References: Documentation/arch/x86/boot.rst ("THE REAL-MODE KERNEL
 * HEADER", "DETAILS OF HEADER FIELDS", "64-bit BOOT PROTOCOL") and
 * Documentation/arch/x86/zero-page.rst of the Linux tree.
 */
#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- the setup header, offsets in the image and in the zero page ----------
 * boot.rst, "THE REAL-MODE KERNEL HEADER": the header lives at 0x1f1 of the
 * image's first sector, and at the same offset of struct boot_params.  The
 * protocol version that introduced each field is noted beside it. */
#define HDR_START 0x1f1		   /* first byte of struct setup_header */
#define HDR_SETUP_SECTS 0x1f1	   /* u8, 0 means 4 */
#define HDR_SYSSIZE 0x1f4	   /* u32 (2.04+), payload in 16-byte units */
#define HDR_BOOT_FLAG 0x1fe	   /* u16, 0xaa55 */
#define HDR_JUMP 0x200		   /* u16, jump over the header; byte 0x201 sizes it */
#define HDR_HEADER 0x202	   /* u32, "HdrS" */
#define HDR_VERSION 0x206	   /* u16, boot protocol version */
#define HDR_TYPE_OF_LOADER 0x210   /* u8 */
#define HDR_LOADFLAGS 0x211	   /* u8 */
#define HDR_CODE32_START 0x214	   /* u32 */
#define HDR_RAMDISK_IMAGE 0x218	   /* u32 */
#define HDR_RAMDISK_SIZE 0x21c	   /* u32 */
#define HDR_HEAP_END_PTR 0x224	   /* u16 (2.01+) */
#define HDR_CMD_LINE_PTR 0x228	   /* u32 (2.02+) */
#define HDR_INITRD_ADDR_MAX 0x22c  /* u32 (2.03+), highest byte the initrd may use */
#define HDR_KERNEL_ALIGNMENT 0x230 /* u32 (2.05+) */
#define HDR_RELOCATABLE 0x234	   /* u8 (2.05+) */
#define HDR_XLOADFLAGS 0x236	   /* u16 (2.12+) */
#define HDR_CMDLINE_SIZE 0x238	   /* u32 (2.06+), without the NUL */
#define HDR_SETUP_DATA 0x250	   /* u64 (2.09+) */
#define HDR_PREF_ADDRESS 0x258	   /* u64 (2.10+) */
#define HDR_INIT_SIZE 0x260	   /* u32 (2.10+) */
/* The header is "0x0202 + byte value at offset 0x0201" long (boot.rst, "64-bit
 * BOOT PROTOCOL"); init_size is the last field we need, and boot_params
 * reserves the space up to edd_mbr_sig_buffer at 0x290 for it. */
#define HDR_NEEDED_END (HDR_INIT_SIZE + 4)
#define HDR_MAX_END 0x290

#define BOOT_FLAG_MAGIC 0xaa55
#define HDR_MAGIC 0x53726448 /* "HdrS" read little endian */
#define LOADED_HIGH 0x01     /* loadflags bit 0: protected-mode code at 0x100000 */
#define CAN_USE_HEAP 0x80U   /* loadflags bit 7: heap_end_ptr is valid */
#define XLF_KERNEL_64 0x0001 /* xloadflags bit 0: has the 64-bit entry at +0x200 */
#define ENTRY64_OFFSET 0x200 /* boot.rst, "64-bit BOOT PROTOCOL" */
#define SECTOR 512
#define DEFAULT_SETUP_SECTS 4	   /* boot.rst: "If this field is 0, the real value is 4." */
#define PROTOCOL_MIN 0x0206	   /* cmdline_size */
#define PROTOCOL_64 0x020c	   /* xloadflags */
#define LOADER_TYPE_UNDEFINED 0xff /* type_of_loader: no assigned id */

/* ---- the rest of struct boot_params (zero-page.rst) ---- */
#define ZP_SIZE 4096
#define ZP_EXT_RAMDISK_IMAGE 0x0c0 /* u32, high half of ramdisk_image */
#define ZP_EXT_RAMDISK_SIZE 0x0c4  /* u32 */
#define ZP_EXT_CMD_LINE_PTR 0x0c8  /* u32 */
#define ZP_E820_ENTRIES 0x1e8	   /* u8 */
#define ZP_E820_TABLE 0x2d0	   /* struct boot_e820_entry[128], 20 bytes each */
#define E820_ENTRY_SIZE 20	   /* { u64 addr; u64 size; u32 type; } packed */
#define E820_RAM 1
#define E820_RESERVED 2

/* The legacy hole: EBDA, VGA memory and the BIOS area, which a PC never
 * reports as RAM (and Linux would otherwise try to use). */
#define EBDA_START 0x9fc00ULL

/* An ELF vmlinux carries no header saying how long a command line it takes;
 * the x86 COMMAND_LINE_SIZE is 2048 with the NUL, and a longer line would be
 * cut silently by the kernel, so refuse it here instead. */
#define ELF_CMDLINE_MAX 2047
/* Nor a limit for the initrd: the 64-bit kernels' initrd_addr_max. */
#define ELF_INITRD_ADDR_MAX 0x7fffffffULL
#define ELF_PROTOCOL 0x020f
#define ELF_KERNEL_ALIGNMENT 0x1000000U

#define PAGE_SIZE_4K 0x1000ULL
#define FOUR_GIB 0x100000000ULL

static void report(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && errlen)
		/* va_start is above: the analyzer's valist warning is a false positive */
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reports and evaluates to rc; a macro so that the return value is plain
 * to the reader and to static analysis alike. */
#define fail(err, errlen, rc, ...) (report((err), (errlen), __VA_ARGS__), (rc))

/* Callers have checked that off + size is within the buffer. */
static uint64_t get_le(const uint8_t *p, size_t off, unsigned int size)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = size; i > 0; i--)
		v = (v << 8) | p[off + i - 1];
	return v;
}

static uint8_t get8(const uint8_t *p, size_t off)
{
	return p[off];
}

static uint16_t get16(const uint8_t *p, size_t off)
{
	return (uint16_t)get_le(p, off, 2);
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	return (uint32_t)get_le(p, off, 4);
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	return get_le(p, off, 8);
}

static void put_le(uint8_t *p, size_t off, uint64_t v, unsigned int size)
{
	unsigned int i;

	for (i = 0; i < size; i++, v >>= 8)
		p[off + i] = (uint8_t)v;
}

/* ---- bzImage ---- */

static int probe_bzimage(const uint8_t *img, size_t len, struct kernel_info *ki, char *err,
			 size_t errlen)
{
	unsigned int sects, hdr_end;
	uint16_t version, xlf;
	uint32_t align, init_size, syssize;
	uint64_t pref, start, end;
	bool relocatable;

	if (len < HDR_HEADER + 4)
		return fail(err, errlen, -ENOEXEC,
			    "image too short: %zu bytes, neither an ELF header (64 bytes) nor a "
			    "bzImage setup header (its \"HdrS\" magic ends at 0x%x)",
			    len, HDR_HEADER + 4);
	if (get16(img, HDR_BOOT_FLAG) != BOOT_FLAG_MAGIC)
		return fail(err, errlen, -ENOEXEC,
			    "not a kernel image: boot_flag at 0x%x is 0x%04x, not 0xaa55 (nor an "
			    "ELF magic at 0)",
			    HDR_BOOT_FLAG, get16(img, HDR_BOOT_FLAG));
	if (get32(img, HDR_HEADER) != HDR_MAGIC)
		return fail(err, errlen, -ENOEXEC,
			    "not a bzImage: header at 0x%x is 0x%08x, not \"HdrS\" (a pre-2.00 "
			    "boot protocol kernel?)",
			    HDR_HEADER, get32(img, HDR_HEADER));
	if (len < HDR_VERSION + 2)
		return fail(err, errlen, -ENOEXEC,
			    "bzImage truncated: %zu bytes, the version at 0x%x needs 0x%x", len,
			    HDR_VERSION, HDR_VERSION + 2);
	version = get16(img, HDR_VERSION);
	if (version < PROTOCOL_MIN)
		return fail(err, errlen, -ENOEXEC,
			    "unsupported boot protocol version %u.%02u at 0x%x: need 2.06 or later",
			    version >> 8, version & 0xff, HDR_VERSION);
	if (version < PROTOCOL_64)
		return fail(err, errlen, -ENOEXEC,
			    "not 64-bit capable: boot protocol %u.%02u at 0x%x has no xloadflags "
			    "(2.12+), so no 64-bit entry point",
			    version >> 8, version & 0xff, HDR_VERSION);
	if (len < HDR_NEEDED_END)
		return fail(err, errlen, -ENOEXEC,
			    "bzImage truncated: %zu bytes, the setup header fields up to init_size "
			    "at 0x%x need 0x%x",
			    len, HDR_INIT_SIZE, HDR_NEEDED_END);
	hdr_end = 0x202U + get8(img, HDR_JUMP + 1);
	if (hdr_end < HDR_NEEDED_END)
		return fail(err, errlen, -ENOEXEC,
			    "setup header ends at 0x%x (0x202 + byte 0x%02x at 0x201), before the "
			    "end of init_size at 0x%x that protocol %u.%02u has",
			    hdr_end, get8(img, HDR_JUMP + 1), HDR_NEEDED_END, version >> 8,
			    version & 0xff);
	xlf = get16(img, HDR_XLOADFLAGS);
	if (!(xlf & XLF_KERNEL_64))
		return fail(err, errlen, -ENOEXEC,
			    "not 64-bit capable: xloadflags at 0x%x is 0x%04x, XLF_KERNEL_64 "
			    "(bit 0) clear (a 32-bit kernel?)",
			    HDR_XLOADFLAGS, xlf);
	if (!(get8(img, HDR_LOADFLAGS) & LOADED_HIGH))
		return fail(err, errlen, -ENOEXEC,
			    "not a bzImage: loadflags at 0x%x is 0x%02x, LOADED_HIGH (bit 0) clear "
			    "(a zImage loads at 0x10000)",
			    HDR_LOADFLAGS, get8(img, HDR_LOADFLAGS));

	sects = get8(img, HDR_SETUP_SECTS);
	if (sects == 0)
		sects = DEFAULT_SETUP_SECTS;
	/* At most 256 sectors: no overflow. */
	if (len <= (size_t)(sects + 1) * SECTOR)
		return fail(err, errlen, -ENOEXEC,
			    "payload beyond the end: setup_sects at 0x%x says %u sectors, so the "
			    "kernel starts at 0x%x, but the image is only 0x%zx bytes (zero-size "
			    "payload)",
			    HDR_SETUP_SECTS, sects, (sects + 1) * SECTOR, len);
	/* syssize counts 16-byte paragraphs of the protected-mode code; the
	 * payload is the rest of the file, which must hold at least that. */
	syssize = get32(img, HDR_SYSSIZE);
	if (syssize == 0)
		return fail(err, errlen, -ENOEXEC, "zero-size payload: syssize at 0x%x is 0",
			    HDR_SYSSIZE);
	if ((uint64_t)syssize * 16 > len - (size_t)(sects + 1) * SECTOR)
		return fail(err, errlen, -ENOEXEC,
			    "payload beyond the end: syssize at 0x%x says 0x%llx bytes of kernel "
			    "from 0x%x, the image has 0x%zx",
			    HDR_SYSSIZE, (unsigned long long)syssize * 16, (sects + 1) * SECTOR,
			    len - (size_t)(sects + 1) * SECTOR);

	if (len - (size_t)(sects + 1) * SECTOR <= ENTRY64_OFFSET)
		return fail(err, errlen, -ENOEXEC,
			    "payload of 0x%zx bytes from 0x%x ends before the 64-bit entry point "
			    "at +0x%x",
			    len - (size_t)(sects + 1) * SECTOR, (sects + 1) * SECTOR,
			    ENTRY64_OFFSET);

	init_size = get32(img, HDR_INIT_SIZE);
	if (init_size == 0)
		return fail(err, errlen, -ENOEXEC, "init_size at 0x%x is 0", HDR_INIT_SIZE);

	/* Where the kernel will run, which may not be where it is loaded:
	 * boot.rst, init_size, gives the algorithm.  It needs init_size bytes
	 * from there, so from the load address up to that end is its. */
	relocatable = get8(img, HDR_RELOCATABLE) != 0;
	align = get32(img, HDR_KERNEL_ALIGNMENT);
	pref = get64(img, HDR_PREF_ADDRESS);
	if (relocatable) {
		if (align == 0 || (align & (align - 1)))
			return fail(err, errlen, -ENOEXEC,
				    "kernel_alignment at 0x%x is 0x%x, not a power of two",
				    HDR_KERNEL_ALIGNMENT, align);
		start = LOADER_KERNEL < pref ? pref : LOADER_KERNEL;
		if (start > UINT64_MAX - (align - 1))
			return fail(err, errlen, -ENOEXEC,
				    "pref_address at 0x%x is 0x%llx: aligned up to "
				    "kernel_alignment 0x%x it overflows",
				    HDR_PREF_ADDRESS, (unsigned long long)pref, align);
		start = (start + align - 1) & ~((uint64_t)align - 1);
	} else {
		start = pref ? pref : LOADER_KERNEL;
		if (start < LOADER_KERNEL)
			return fail(err, errlen, -ENOEXEC,
				    "non-relocatable kernel with pref_address 0x%llx at 0x%x: it "
				    "would run below 0x%llx, in the VMM's area",
				    (unsigned long long)pref, HDR_PREF_ADDRESS, LOADER_KERNEL);
	}
	if (start > UINT64_MAX - init_size)
		return fail(err, errlen, -ENOEXEC,
			    "pref_address 0x%llx at 0x%x + init_size 0x%x overflows",
			    (unsigned long long)pref, HDR_PREF_ADDRESS, init_size);
	end = start + init_size;

	memset(ki, 0, sizeof(*ki));
	ki->format = KERNEL_BZIMAGE;
	ki->protocol = version;
	ki->setup_size = (size_t)(sects + 1) * SECTOR;
	ki->payload_offset = ki->setup_size;
	ki->payload_size = len - ki->setup_size;
	ki->load_addr = LOADER_KERNEL;
	ki->entry64 = LOADER_KERNEL + ENTRY64_OFFSET;
	ki->mem_needed = end - LOADER_KERNEL;
	if (ki->mem_needed < ki->payload_size)
		ki->mem_needed = ki->payload_size;
	ki->cmdline_max = get32(img, HDR_CMDLINE_SIZE);
	if (ki->cmdline_max > LOADER_CMDLINE_MAX - 1)
		ki->cmdline_max = LOADER_CMDLINE_MAX - 1;
	ki->run_addr = start;
	ki->initrd_addr_max = get32(img, HDR_INITRD_ADDR_MAX);
	ki->header_end = hdr_end;
	return 0;
}

/* ---- ELF vmlinux ---- */

/* Program headers already checked to be within the image. */
static bool elf_entry_ok(const uint8_t *img, const Elf64_Ehdr *eh, uint64_t addr)
{
	Elf64_Phdr ph;
	unsigned int i;

	for (i = 0; i < eh->e_phnum; i++) {
		memcpy(&ph, img + (size_t)eh->e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && addr >= ph.p_paddr && addr - ph.p_paddr < ph.p_filesz)
			return true;
	}
	return false;
}

static int probe_elf(const uint8_t *img, size_t len, struct kernel_info *ki, char *err,
		     size_t errlen)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint64_t lo = UINT64_MAX, hi = 0, flo = UINT64_MAX, fhi = 0, entry, delta = 0;
	size_t off;
	unsigned int i, nload = 0;
	bool have_first = false, entry_ok;

	if (len < sizeof(eh))
		return fail(err, errlen, -ENOEXEC,
			    "ELF image truncated: %zu bytes, the ELF header needs %zu", len,
			    sizeof(eh));
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, -ENOEXEC,
			    "ELF class %u at offset %d is not ELFCLASS64 (a 32-bit vmlinux?)",
			    eh.e_ident[EI_CLASS], EI_CLASS);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, -ENOEXEC,
			    "ELF data encoding %u at offset %d is not little endian",
			    eh.e_ident[EI_DATA], EI_DATA);
	if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
		return fail(err, errlen, -ENOEXEC,
			    "ELF version %u at offset %d / %u at offset %zu is not 1",
			    eh.e_ident[EI_VERSION], EI_VERSION, eh.e_version,
			    offsetof(Elf64_Ehdr, e_version));
	if (eh.e_machine != EM_X86_64)
		return fail(err, errlen, -ENOEXEC,
			    "ELF e_machine %u at offset %zu is not EM_X86_64 (62)", eh.e_machine,
			    offsetof(Elf64_Ehdr, e_machine));
	if (eh.e_type != ET_EXEC)
		return fail(err, errlen, -ENOEXEC,
			    "ELF e_type %u at offset %zu is not ET_EXEC (a vmlinux is)", eh.e_type,
			    offsetof(Elf64_Ehdr, e_type));
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return fail(err, errlen, -ENOEXEC, "ELF e_phentsize %u at offset %zu is not %zu",
			    eh.e_phentsize, offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr));
	if (eh.e_phnum == 0 || eh.e_phnum == PN_XNUM)
		return fail(err, errlen, -ENOEXEC, "ELF e_phnum %u at offset %zu: %s", eh.e_phnum,
			    offsetof(Elf64_Ehdr, e_phnum),
			    eh.e_phnum ? "extended numbering is not supported"
				       : "no program headers");
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(ph) > len - eh.e_phoff)
		return fail(err, errlen, -ENOEXEC,
			    "ELF program headers (e_phoff 0x%llx at offset %zu, %u of %zu bytes) "
			    "extend beyond the end of the 0x%zx-byte file",
			    (unsigned long long)eh.e_phoff, offsetof(Elf64_Ehdr, e_phoff),
			    eh.e_phnum, sizeof(ph), len);

	for (i = 0; i < eh.e_phnum; i++) {
		off = (size_t)eh.e_phoff + (size_t)i * sizeof(ph);
		memcpy(&ph, img + off, sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return fail(err, errlen, -ENOEXEC,
				    "ELF program header %u (at 0x%zx): PT_LOAD p_offset 0x%llx + "
				    "p_filesz 0x%llx is beyond the end of the 0x%zx-byte file",
				    i, off, (unsigned long long)ph.p_offset,
				    (unsigned long long)ph.p_filesz, len);
		if (ph.p_filesz > ph.p_memsz)
			return fail(err, errlen, -ENOEXEC,
				    "ELF program header %u (at 0x%zx): p_filesz 0x%llx exceeds "
				    "p_memsz 0x%llx",
				    i, off, (unsigned long long)ph.p_filesz,
				    (unsigned long long)ph.p_memsz);
		if (ph.p_memsz == 0)
			continue;
		if (ph.p_paddr < LOADER_KERNEL)
			return fail(err, errlen, -ENOEXEC,
				    "ELF program header %u (at 0x%zx): p_paddr 0x%llx is below "
				    "0x%llx, in the VMM's low area",
				    i, off, (unsigned long long)ph.p_paddr, LOADER_KERNEL);
		if (ph.p_memsz > UINT64_MAX - ph.p_paddr)
			return fail(err, errlen, -ENOEXEC,
				    "ELF program header %u (at 0x%zx): p_paddr 0x%llx + p_memsz "
				    "0x%llx overflows",
				    i, off, (unsigned long long)ph.p_paddr,
				    (unsigned long long)ph.p_memsz);
		if (!have_first) {
			/* vaddr - paddr of the first segment: __START_KERNEL_map
			 * for a vmlinux, to convert a virtual e_entry. */
			delta = ph.p_vaddr - ph.p_paddr;
			have_first = true;
		}
		if (ph.p_paddr < lo)
			lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > hi)
			hi = ph.p_paddr + ph.p_memsz;
		if (ph.p_filesz && ph.p_offset < flo)
			flo = ph.p_offset;
		if (ph.p_filesz && ph.p_offset + ph.p_filesz > fhi)
			fhi = ph.p_offset + ph.p_filesz;
		nload++;
	}
	if (nload == 0)
		return fail(err, errlen, -ENOEXEC,
			    "zero-size payload: no PT_LOAD program header with p_memsz > 0 among "
			    "the %u at 0x%llx",
			    eh.e_phnum, (unsigned long long)eh.e_phoff);

	/* The entry must be in the file contents of a segment, by physical
	 * address, or by virtual address converted to physical. */
	entry = eh.e_entry;
	entry_ok = elf_entry_ok(img, &eh, entry);
	if (!entry_ok && delta) {
		entry = eh.e_entry - delta;
		entry_ok = elf_entry_ok(img, &eh, entry);
	}
	if (!entry_ok)
		return fail(err, errlen, -ENOEXEC,
			    "ELF e_entry 0x%llx at offset %zu is in no PT_LOAD segment's file "
			    "contents, as a physical address nor as a virtual one (- 0x%llx)",
			    (unsigned long long)eh.e_entry, offsetof(Elf64_Ehdr, e_entry),
			    (unsigned long long)delta);

	memset(ki, 0, sizeof(*ki));
	ki->format = KERNEL_ELF;
	ki->protocol = 0;
	ki->setup_size = 0;
	/* The span of the file the segments come from (they are copied one
	 * by one, not as a block). */
	ki->payload_offset = fhi ? (size_t)flo : 0;
	ki->payload_size = fhi ? (size_t)(fhi - flo) : 0;
	ki->load_addr = lo;
	ki->entry64 = entry;
	ki->mem_needed = hi - lo;
	ki->cmdline_max = ELF_CMDLINE_MAX;
	ki->run_addr = lo;
	ki->initrd_addr_max = ELF_INITRD_ADDR_MAX;
	ki->header_end = 0;
	return 0;
}

int loader_probe(const void *image, size_t len, struct kernel_info *ki, char *err, size_t errlen)
{
	static const uint8_t elf_magic[SELFMAG] = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3 };
	struct kernel_info tmp;
	int rc;

	if (!image || !ki)
		return fail(err, errlen, -EINVAL, "loader_probe: no image or no kernel_info");
	if (len >= SELFMAG && !memcmp(image, elf_magic, SELFMAG))
		rc = probe_elf(image, len, &tmp, err, errlen);
	else
		rc = probe_bzimage(image, len, &tmp, err, errlen);
	if (rc == 0)
		*ki = tmp;
	return rc;
}

/* ---- loading ---- */

static void copy_elf_segments(uint8_t *mem, const uint8_t *img)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i;

	memcpy(&eh, img, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, img + (size_t)eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		memcpy(mem + ph.p_paddr, img + ph.p_offset, ph.p_filesz);
		memset(mem + ph.p_paddr + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
}

static void put_e820(uint8_t *zp, unsigned int n, uint64_t addr, uint64_t size, uint32_t type)
{
	size_t off = ZP_E820_TABLE + (size_t)n * E820_ENTRY_SIZE;

	put_le(zp, off, addr, 8);
	put_le(zp, off + 8, size, 8);
	put_le(zp, off + 16, type, 4);
}

/* boot.rst, "64-bit BOOT PROTOCOL": zero the whole boot_params, copy the
 * image's setup header into it, then fill in what a boot loader owns.  An
 * ELF vmlinux has no header, so it gets a minimal one saying the same. */
static void build_zero_page(uint8_t *zp, const uint8_t *img, const struct kernel_info *ki,
			    uint64_t initrd_addr, uint64_t initrd_size, uint64_t mem_size)
{
	size_t hdr_end = ki->header_end;

	if (hdr_end > HDR_MAX_END)
		hdr_end = HDR_MAX_END;
	if (hdr_end < HDR_START)
		hdr_end = HDR_START;
	memset(zp, 0, ZP_SIZE);
	if (ki->format == KERNEL_BZIMAGE) {
		/* probe_bzimage() saw HDR_NEEDED_END <= header_end <= the image. */
		memcpy(zp + HDR_START, img + HDR_START, hdr_end - HDR_START);
		/* Loader-owned fields a (corrupt or odd) image might carry. */
		put_le(zp, HDR_SETUP_DATA, 0, 8);
		put_le(zp, HDR_CODE32_START, ki->load_addr, 4);
		/* The heap is for the real-mode setup code, which is not run. */
		zp[HDR_LOADFLAGS] = (uint8_t)((zp[HDR_LOADFLAGS] | LOADED_HIGH) & ~CAN_USE_HEAP);
		put_le(zp, HDR_HEAP_END_PTR, 0, 2);
	} else {
		put_le(zp, HDR_BOOT_FLAG, BOOT_FLAG_MAGIC, 2);
		put_le(zp, HDR_HEADER, HDR_MAGIC, 4);
		put_le(zp, HDR_VERSION, ELF_PROTOCOL, 2);
		zp[HDR_LOADFLAGS] = LOADED_HIGH;
		put_le(zp, HDR_KERNEL_ALIGNMENT, ELF_KERNEL_ALIGNMENT, 4);
		put_le(zp, HDR_CMDLINE_SIZE, ki->cmdline_max, 4);
		put_le(zp, HDR_INITRD_ADDR_MAX, ki->initrd_addr_max, 4);
	}
	zp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
	put_le(zp, HDR_CMD_LINE_PTR, LOADER_CMDLINE & 0xffffffffU, 4);
	put_le(zp, ZP_EXT_CMD_LINE_PTR, LOADER_CMDLINE >> 32, 4);
	put_le(zp, HDR_RAMDISK_IMAGE, initrd_addr & 0xffffffffU, 4);
	put_le(zp, ZP_EXT_RAMDISK_IMAGE, initrd_addr >> 32, 4);
	put_le(zp, HDR_RAMDISK_SIZE, initrd_size & 0xffffffffU, 4);
	put_le(zp, ZP_EXT_RAMDISK_SIZE, initrd_size >> 32, 4);

	put_e820(zp, 0, 0, EBDA_START, E820_RAM);
	put_e820(zp, 1, EBDA_START, LOADER_KERNEL - EBDA_START, E820_RESERVED);
	put_e820(zp, 2, LOADER_KERNEL, mem_size - LOADER_KERNEL, E820_RAM);
	zp[ZP_E820_ENTRIES] = 3;
}

int loader_load_linux(void *mem, size_t mem_size, const void *kernel, size_t klen,
		      const void *initrd, size_t ilen, const char *cmdline, struct linux_boot *out,
		      char *err, size_t errlen)
{
	struct kernel_info ki;
	uint8_t *m = mem;
	const uint8_t *img = kernel;
	uint64_t kend, top, iaddr = 0;
	size_t clen;
	int rc;

	if (!mem || !out)
		return fail(err, errlen, -EINVAL,
			    "loader_load_linux: no guest memory or no output");
	if (ilen && !initrd)
		return fail(err, errlen, -EINVAL, "loader_load_linux: initrd of %zu bytes is NULL",
			    ilen);
	rc = loader_probe(kernel, klen, &ki, err, errlen);
	if (rc)
		return rc;
	if (!cmdline)
		cmdline = "";

	/* The kernel: from load_addr, the image and what it needs to run. */
	if (ki.mem_needed > UINT64_MAX - ki.load_addr)
		return fail(err, errlen, -E2BIG, "kernel needs 0x%llx bytes from 0x%llx: overflow",
			    (unsigned long long)ki.mem_needed, (unsigned long long)ki.load_addr);
	kend = ki.load_addr + ki.mem_needed;
	if (kend > mem_size)
		return fail(err, errlen, -E2BIG,
			    "guest memory too small: %zu bytes (0x%zx), the kernel needs up to "
			    "0x%llx (%s 0x%llx)",
			    mem_size, mem_size, (unsigned long long)kend,
			    ki.format == KERNEL_BZIMAGE
				    ? "loaded at 0x100000, it runs with init_size from"
				    : "the end of its last PT_LOAD segment, the first at",
			    (unsigned long long)(ki.format == KERNEL_BZIMAGE ? ki.run_addr
									     : ki.load_addr));

	clen = strlen(cmdline);
	if (clen > ki.cmdline_max)
		return fail(err, errlen, -E2BIG,
			    "command line too long: %zu bytes, the kernel accepts at most %u (%s)",
			    clen, ki.cmdline_max,
			    ki.format == KERNEL_BZIMAGE
				    ? "cmdline_size at 0x238, at most 64 KiB - 1"
				    : "COMMAND_LINE_SIZE - 1 for an ELF vmlinux");

	/* The initrd: page aligned, as high as the kernel allows, above the
	 * kernel's whole init_size span (it decompresses into it). */
	if (ilen) {
		top = mem_size;
		if ((uint64_t)ki.initrd_addr_max + 1 < top)
			top = (uint64_t)ki.initrd_addr_max + 1;
		if (FOUR_GIB < top)
			top = FOUR_GIB;
		if (ilen > top || ((top - ilen) & ~(PAGE_SIZE_4K - 1)) < kend)
			return fail(err, errlen, -E2BIG,
				    "initrd too big: %zu bytes (0x%zx) do not fit page-aligned "
				    "between the kernel's end at 0x%llx and 0x%llx (min of memory "
				    "size, initrd_addr_max + 1 and 4 GiB)",
				    ilen, ilen, (unsigned long long)kend, (unsigned long long)top);
		iaddr = (top - ilen) & ~(PAGE_SIZE_4K - 1);
	}

	if (ki.format == KERNEL_BZIMAGE)
		memcpy(m + ki.load_addr, img + ki.payload_offset, ki.payload_size);
	else
		copy_elf_segments(m, img);
	if (ilen)
		memcpy(m + iaddr, initrd, ilen);
	memcpy(m + LOADER_CMDLINE, cmdline, clen + 1);
	build_zero_page(m + LOADER_ZERO_PAGE, img, &ki, iaddr, ilen, mem_size);

	out->entry = ki.entry64;
	out->boot_params = LOADER_ZERO_PAGE;
	return 0;
}
