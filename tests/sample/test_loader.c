/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Linux loader (sample_vmm/loader.c) on synthetic images built here: a
 * minimal bzImage (setup sectors with the header fields, then a payload with
 * a recognisable pattern) and a minimal ELF vmlinux.  Probing, a full load
 * into malloc'ed guest memory read back at the documented offsets, every
 * error, and random mutations and truncations that must end in a result or
 * a message, never a crash or an out-of-bounds read.  Every image is handed
 * over in a buffer of exactly its length, so memcheck and ASan see any read
 * past the end.
 *
 * Offsets are from Documentation/arch/x86/boot.rst and zero-page.rst,
 * written out here independently of loader.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB 0x100000ULL
#define GUEST_SIZE (8 * MIB)
#define UNTOUCHED 0xcc
#define SETUP_LEN ((size_t)5 * 512) /* the default setup_sects 4, plus the boot sector */

/* ---- little-endian access ---- */

static uint64_t rd(const uint8_t *p, size_t off, unsigned int size)
{
	uint64_t v = 0;

	while (size--)
		v = (v << 8) | p[off + size];
	return v;
}

static void wr(uint8_t *p, size_t off, uint64_t v, unsigned int size)
{
	unsigned int i;

	for (i = 0; i < size; i++, v >>= 8)
		p[off + i] = (uint8_t)v;
}

/* An exact-size copy, so reading one byte past len is caught. */
static uint8_t *dup_exact(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, src, len);
	return p;
}

/* ---- synthetic bzImage ---- */

struct bz_opts {
	uint8_t setup_sects;
	uint8_t jump_len; /* byte at 0x201: the header ends at 0x202 + it */
	uint16_t version;
	uint8_t loadflags;
	uint16_t xloadflags;
	uint8_t relocatable;
	uint32_t align;
	uint64_t pref;
	uint32_t init_size;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	uint32_t syssize; /* 0: payload / 16 */
	size_t payload;
};

static struct bz_opts bz_default(void)
{
	struct bz_opts o = {
		.setup_sects = 4,
		.jump_len = 0x6a, /* 0x26c: the 2.15 header */
		.version = 0x020f,
		.loadflags = 0x01,
		.xloadflags = 0x0003, /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
		.relocatable = 1,
		.align = 0x200000,
		.pref = 0x400000,
		.init_size = 0x180000,
		.cmdline_size = 2047,
		.initrd_addr_max = 0x7fffffff,
		.syssize = 0,
		.payload = 0x10000,
	};
	return o;
}

static uint8_t payload_byte(size_t i)
{
	return (uint8_t)(i * 13 + (i >> 8) + 1);
}

static size_t setup_bytes(const struct bz_opts *o)
{
	return ((size_t)(o->setup_sects ? o->setup_sects : 4) + 1) * 512;
}

static uint8_t *make_bz(const struct bz_opts *o, size_t *len)
{
	size_t setup = setup_bytes(o), i;
	uint8_t *p;

	*len = setup + o->payload;
	p = calloc(1, *len);
	assert_non_null(p);
	p[0x1ef] = 0xff; /* the sentinel the kernel's build puts there */
	p[0x1f1] = o->setup_sects;
	wr(p, 0x1f4, o->syssize ? o->syssize : (o->payload + 15) / 16, 4);
	wr(p, 0x1fa, 0xffff, 2); /* vid_mode: normal */
	wr(p, 0x1fe, 0xaa55, 2);
	p[0x200] = 0xeb;
	p[0x201] = o->jump_len;
	wr(p, 0x202, 0x53726448, 4); /* "HdrS" */
	wr(p, 0x206, o->version, 2);
	p[0x211] = o->loadflags;
	wr(p, 0x214, 0x100000, 4);
	wr(p, 0x22c, o->initrd_addr_max, 4);
	wr(p, 0x230, o->align, 4);
	p[0x234] = o->relocatable;
	p[0x235] = 21;
	wr(p, 0x236, o->xloadflags, 2);
	wr(p, 0x238, o->cmdline_size, 4);
	wr(p, 0x258, o->pref, 8);
	wr(p, 0x260, o->init_size, 4);
	for (i = 0; i < o->payload; i++)
		p[setup + i] = payload_byte(i);
	return p;
}

/* ---- synthetic ELF vmlinux ---- */

#define ELF_LEN 0x5000
#define START_KERNEL_MAP 0xffffffff80000000ULL
#define SEG0_PADDR 0x100000ULL
#define SEG0_FILESZ 0x3000ULL
#define SEG0_MEMSZ 0x5000ULL
#define SEG1_PADDR 0x200000ULL
#define SEG1_SIZE 0x1000ULL
#define ELF_ENTRY (SEG0_PADDR + 0x10)

static Elf64_Ehdr ehdr_get(const uint8_t *p)
{
	Elf64_Ehdr eh;

	memcpy(&eh, p, sizeof(eh));
	return eh;
}

static void ehdr_put(uint8_t *p, const Elf64_Ehdr *eh)
{
	memcpy(p, eh, sizeof(*eh));
}

static Elf64_Phdr phdr_get(const uint8_t *p, unsigned int i)
{
	Elf64_Phdr ph;

	memcpy(&ph, p + sizeof(Elf64_Ehdr) + i * sizeof(ph), sizeof(ph));
	return ph;
}

static void phdr_put(uint8_t *p, unsigned int i, const Elf64_Phdr *ph)
{
	memcpy(p + sizeof(Elf64_Ehdr) + i * sizeof(*ph), ph, sizeof(*ph));
}

/* Two PT_LOADs (the first with bss) and a PT_NOTE between them, linked at
 * __START_KERNEL_map like a vmlinux, entry physical. */
static uint8_t *make_elf(void)
{
	uint8_t *p = calloc(1, ELF_LEN);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	size_t i;

	assert_non_null(p);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = ELF_ENTRY;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	ehdr_put(p, &eh);

	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R | PF_X;
	ph.p_offset = 0x1000;
	ph.p_paddr = SEG0_PADDR;
	ph.p_vaddr = SEG0_PADDR + START_KERNEL_MAP;
	ph.p_filesz = SEG0_FILESZ;
	ph.p_memsz = SEG0_MEMSZ;
	ph.p_align = 0x1000;
	phdr_put(p, 0, &ph);
	ph.p_type = PT_NOTE;
	ph.p_offset = 0x1100;
	ph.p_paddr = 0x1000; /* not loaded: its address does not matter */
	ph.p_filesz = ph.p_memsz = 0x20;
	phdr_put(p, 1, &ph);
	ph.p_type = PT_LOAD;
	ph.p_offset = 0x4000;
	ph.p_paddr = SEG1_PADDR;
	ph.p_vaddr = SEG1_PADDR + START_KERNEL_MAP;
	ph.p_filesz = ph.p_memsz = SEG1_SIZE;
	phdr_put(p, 2, &ph);
	for (i = 0x1000; i < ELF_LEN; i++)
		p[i] = payload_byte(i);
	return p;
}

/* ---- helpers for outcomes ---- */

static void probe_ok(const uint8_t *img, size_t len, struct kernel_info *ki)
{
	char err[512] = "";
	uint8_t *copy = dup_exact(img, len);
	int rc = loader_probe(copy, len, ki, err, sizeof(err));

	free(copy);
	if (rc)
		fail_msg("probe: rc %d: %s", rc, err);
}

/* Fails with -ENOEXEC and a message containing want; leaves ki alone. */
static void probe_fails(const uint8_t *img, size_t len, const char *want)
{
	char err[512] = "";
	struct kernel_info ki, before;
	uint8_t *copy = dup_exact(img, len);
	int rc;

	memset(&ki, 0xab, sizeof(ki));
	before = ki;
	rc = loader_probe(copy, len, &ki, err, sizeof(err));
	free(copy);
	if (rc != -ENOEXEC)
		fail_msg("len 0x%zx: rc %d, want -ENOEXEC for \"%s\" (err \"%s\")", len, rc, want,
			 err);
	if (!strstr(err, want))
		fail_msg("len 0x%zx: message \"%s\" lacks \"%s\"", len, err, want);
	assert_memory_equal(&ki, &before, sizeof(ki));
}

static uint8_t *new_guest(size_t size)
{
	uint8_t *g = malloc(size);

	assert_non_null(g);
	memset(g, UNTOUCHED, size);
	return g;
}

static int load(uint8_t *guest, size_t gsize, const uint8_t *img, size_t len, const uint8_t *initrd,
		size_t ilen, const char *cmdline, struct linux_boot *out, char *err, size_t errlen)
{
	uint8_t *copy = dup_exact(img, len);
	int rc =
		loader_load_linux(guest, gsize, copy, len, initrd, ilen, cmdline, out, err, errlen);

	free(copy);
	return rc;
}

static int all_untouched(const uint8_t *g, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (g[i] != UNTOUCHED)
			return 0;
	return 1;
}

/* ---- bzImage probing ---- */

static void test_probe_bzimage(void **state)
{
	struct bz_opts o = bz_default();
	struct kernel_info ki;
	size_t len;
	uint8_t *img = make_bz(&o, &len);

	(void)state;
	probe_ok(img, len, &ki);
	assert_int_equal(ki.format, KERNEL_BZIMAGE);
	assert_int_equal(ki.protocol, 0x020f);
	assert_int_equal(ki.setup_size, SETUP_LEN);
	assert_int_equal(ki.payload_offset, SETUP_LEN);
	assert_int_equal(ki.payload_size, 0x10000);
	assert_int_equal(ki.load_addr, 0x100000);
	assert_int_equal(ki.entry64, 0x100200);
	/* Relocatable: runs at pref_address aligned, needs init_size there. */
	assert_int_equal(ki.run_addr, 0x400000);
	assert_int_equal(ki.mem_needed, 0x400000 + 0x180000 - 0x100000);
	assert_int_equal(ki.cmdline_max, 2047);
	assert_int_equal(ki.initrd_addr_max, 0x7fffffff);
	assert_int_equal(ki.header_end, 0x26c);
	free(img);
}

static void test_probe_bzimage_variants(void **state)
{
	struct bz_opts o;
	struct kernel_info ki;
	size_t len;
	uint8_t *img;

	(void)state;
	/* setup_sects 0 means 4. */
	o = bz_default();
	o.setup_sects = 0;
	img = make_bz(&o, &len);
	probe_ok(img, len, &ki);
	assert_int_equal(ki.setup_size, SETUP_LEN);
	assert_int_equal(ki.payload_size, len - SETUP_LEN);
	free(img);

	/* A bigger setup moves the payload. */
	o = bz_default();
	o.setup_sects = 30;
	img = make_bz(&o, &len);
	probe_ok(img, len, &ki);
	assert_int_equal(ki.payload_offset, 31 * 512);
	assert_int_equal(img[ki.payload_offset], payload_byte(0));
	free(img);

	/* pref_address below the load address: runs at the load address
	 * aligned up to kernel_alignment. */
	o = bz_default();
	o.pref = 0;
	img = make_bz(&o, &len);
	probe_ok(img, len, &ki);
	assert_int_equal(ki.run_addr, 0x200000);
	assert_int_equal(ki.mem_needed, 0x200000 + 0x180000 - 0x100000);
	free(img);

	/* Not relocatable: runs at pref_address, whatever the alignment. */
	o = bz_default();
	o.relocatable = 0;
	o.pref = 0x1000000;
	o.align = 3;
	img = make_bz(&o, &len);
	probe_ok(img, len, &ki);
	assert_int_equal(ki.run_addr, 0x1000000);
	assert_int_equal(ki.mem_needed, 0x1000000 + 0x180000 - 0x100000);
	free(img);

	/* init_size smaller than the payload: the payload still counts. */
	o = bz_default();
	o.pref = 0x100000;
	o.align = 0x1000;
	o.init_size = 0x100;
	img = make_bz(&o, &len);
	probe_ok(img, len, &ki);
	assert_int_equal(ki.mem_needed, 0x10000);
	free(img);

	/* Protocol 2.12 is the oldest with the 64-bit entry; a huge
	 * cmdline_size is capped by the loader's area. */
	o = bz_default();
	o.version = 0x020c;
	o.cmdline_size = 0xffffffff;
	img = make_bz(&o, &len);
	probe_ok(img, len, &ki);
	assert_int_equal(ki.protocol, 0x020c);
	assert_int_equal(ki.cmdline_max, LOADER_CMDLINE_MAX - 1);
	free(img);
}

static void test_probe_bzimage_truncated(void **state)
{
	static const struct {
		size_t len;
		const char *want;
	} cuts[] = {
		{ 0, "image too short: 0 bytes" },
		{ 1, "image too short" },
		{ 4, "image too short" },
		{ 0x1f1, "image too short" },
		{ 0x1ff, "image too short" },
		{ 0x200, "image too short" },
		{ 0x205, "image too short" },
		{ 0x206, "the version at 0x206" },
		{ 0x207, "the version at 0x206" },
		{ 0x208, "up to init_size at 0x260" },
		{ 0x236, "up to init_size at 0x260" },
		{ 0x263, "up to init_size at 0x260" },
		{ 0x264, "payload beyond the end" },
		{ 0x400, "payload beyond the end" },
		{ SETUP_LEN, "zero-size payload" },
		{ SETUP_LEN + 1, "syssize at 0x1f4" },
		{ SETUP_LEN + 0x201, "syssize at 0x1f4" },
		{ SETUP_LEN + 0xffff, "syssize at 0x1f4" },
	};
	struct bz_opts o = bz_default();
	size_t len, i;
	uint8_t *img = make_bz(&o, &len);

	(void)state;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		probe_fails(img, cuts[i].len, cuts[i].want);
	free(img);
}

static void test_probe_bzimage_bad_header(void **state)
{
	struct bz_opts o;
	size_t len;
	uint8_t *img;

	(void)state;
	o = bz_default();
	img = make_bz(&o, &len);
	img[0x1ff] = 0x55; /* boot_flag 0x5555 */
	probe_fails(img, len, "boot_flag at 0x1fe is 0x5555");
	free(img);

	img = make_bz(&o, &len);
	img[0x205] = 'T';
	probe_fails(img, len, "header at 0x202 is 0x54726448");
	free(img);

	img = make_bz(&o, &len);
	img[0x201] = 0x30; /* header would end at 0x232, before init_size */
	probe_fails(img, len, "setup header ends at 0x232");
	free(img);

	o = bz_default();
	o.version = 0x0205;
	img = make_bz(&o, &len);
	probe_fails(img, len, "unsupported boot protocol version 2.05 at 0x206");
	free(img);

	o = bz_default();
	o.version = 0x0100;
	img = make_bz(&o, &len);
	probe_fails(img, len, "unsupported boot protocol version 1.00");
	free(img);

	o = bz_default();
	o.version = 0x020b;
	img = make_bz(&o, &len);
	probe_fails(img, len, "not 64-bit capable: boot protocol 2.11 at 0x206");
	free(img);

	o = bz_default();
	o.xloadflags = 0x0002;
	img = make_bz(&o, &len);
	probe_fails(img, len, "xloadflags at 0x236 is 0x0002, XLF_KERNEL_64");
	free(img);

	o = bz_default();
	o.loadflags = 0x80;
	img = make_bz(&o, &len);
	probe_fails(img, len, "loadflags at 0x211 is 0x80, LOADED_HIGH");
	free(img);

	/* setup_sects 255 claims 128 KiB of setup in a 67 KiB file. */
	o = bz_default();
	img = make_bz(&o, &len);
	img[0x1f1] = 255;
	probe_fails(img, len,
		    "setup_sects at 0x1f1 says 255 sectors, so the kernel starts at "
		    "0x20000");
	free(img);

	o = bz_default();
	o.syssize = 0x10000 / 16 + 1;
	img = make_bz(&o, &len);
	probe_fails(img, len, "syssize at 0x1f4 says 0x10010 bytes");
	free(img);

	o = bz_default();
	img = make_bz(&o, &len);
	wr(img, 0x1f4, 0, 4);
	probe_fails(img, len, "zero-size payload: syssize at 0x1f4 is 0");
	free(img);

	/* A payload too short to hold the 64-bit entry point. */
	o = bz_default();
	o.payload = 0x200;
	img = make_bz(&o, &len);
	probe_fails(img, len,
		    "payload of 0x200 bytes from 0xa00 ends before the 64-bit entry "
		    "point at +0x200");
	free(img);

	o = bz_default();
	o.init_size = 0;
	img = make_bz(&o, &len);
	probe_fails(img, len, "init_size at 0x260 is 0");
	free(img);

	o = bz_default();
	o.align = 0x300000;
	img = make_bz(&o, &len);
	probe_fails(img, len, "kernel_alignment at 0x230 is 0x300000, not a power of two");
	free(img);

	o = bz_default();
	o.align = 0;
	img = make_bz(&o, &len);
	probe_fails(img, len, "kernel_alignment at 0x230 is 0x0");
	free(img);

	/* pref_address near the top: aligning it, or adding init_size, overflows. */
	o = bz_default();
	o.pref = 0xffffffffffff0000ULL;
	img = make_bz(&o, &len);
	probe_fails(img, len, "aligned up to kernel_alignment 0x200000 it overflows");
	free(img);

	o = bz_default();
	o.relocatable = 0;
	o.pref = 0xfffffffffff00000ULL;
	img = make_bz(&o, &len);
	probe_fails(img, len, "+ init_size 0x180000 overflows");
	free(img);

	o = bz_default();
	o.relocatable = 0;
	o.pref = 0x10000;
	img = make_bz(&o, &len);
	probe_fails(img, len, "pref_address 0x10000 at 0x258: it would run below 0x100000");
	free(img);
}

static void test_probe_bad_args(void **state)
{
	struct bz_opts o = bz_default();
	struct kernel_info ki;
	char err[256] = "";
	size_t len;
	uint8_t *img = make_bz(&o, &len);

	(void)state;
	assert_int_equal(loader_probe(NULL, len, &ki, err, sizeof(err)), -EINVAL);
	assert_true(err[0] != '\0');
	assert_int_equal(loader_probe(img, len, NULL, err, sizeof(err)), -EINVAL);
	/* No room for a message is not an error in itself. */
	assert_int_equal(loader_probe(img, 10, &ki, NULL, 0), -ENOEXEC);
	assert_int_equal(loader_probe(img, len, &ki, NULL, 0), 0);
	free(img);
}

/* ---- bzImage loading ---- */

static void check_e820(const uint8_t *zp, uint64_t mem_size)
{
	static const uint64_t want[3][3] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x100000 - 0x9fc00, 2 },
		{ 0x100000, 0, 1 },
	};
	unsigned int i;

	assert_int_equal(zp[0x1e8], 3);
	for (i = 0; i < 3; i++) {
		size_t off = 0x2d0 + (size_t)i * 20;

		assert_int_equal(rd(zp, off, 8), want[i][0]);
		assert_int_equal(rd(zp, off + 8, 8), i == 2 ? mem_size - 0x100000 : want[i][1]);
		assert_int_equal(rd(zp, off + 16, 4), want[i][2]);
	}
	/* Nothing after the third entry. */
	for (i = 0; i < 20; i++)
		assert_int_equal(zp[0x2d0 + 3 * 20 + i], 0);
}

static void test_load_bzimage(void **state)
{
	static const char cmdline[] = "console=ttyS0 reboot=k panic=1 root=/dev/vda";
	struct bz_opts o = bz_default();
	struct linux_boot boot;
	char err[512] = "";
	size_t len, ilen = 10000, i;
	uint8_t *img = make_bz(&o, &len), *guest = new_guest(GUEST_SIZE), *initrd, *zp;
	uint64_t iaddr, kend = 0x400000 + 0x180000;
	int rc;

	(void)state;
	initrd = malloc(ilen);
	assert_non_null(initrd);
	for (i = 0; i < ilen; i++)
		initrd[i] = (uint8_t)(0x5a ^ i);
	rc = load(guest, GUEST_SIZE, img, len, initrd, ilen, cmdline, &boot, err, sizeof(err));
	if (rc)
		fail_msg("load: rc %d: %s", rc, err);
	assert_int_equal(boot.entry, 0x100200);
	assert_int_equal(boot.boot_params, 0x7000);

	/* The protected-mode kernel at 1 MiB, and nothing more. */
	assert_memory_equal(guest + 0x100000, img + SETUP_LEN, 0x10000);
	assert_int_equal(guest[0x100000 + 0x10000], UNTOUCHED);
	assert_int_equal(guest[0xfffff], UNTOUCHED);

	/* The command line, NUL-terminated, nothing more. */
	assert_string_equal((const char *)guest + 0x20000, cmdline);
	assert_int_equal(guest[0x20000 + sizeof(cmdline)], UNTOUCHED);

	/* The initrd: page aligned, as high as fits in memory, above the
	 * kernel's init_size span. */
	zp = guest + 0x7000;
	iaddr = rd(zp, 0x218, 4) | rd(zp, 0xc0, 4) << 32;
	assert_int_equal(rd(zp, 0x21c, 4) | rd(zp, 0xc4, 4) << 32, ilen);
	assert_int_equal(iaddr % 4096, 0);
	assert_true(iaddr >= kend);
	assert_true(iaddr + ilen <= GUEST_SIZE);
	assert_true(iaddr + 4096 + ilen > GUEST_SIZE);
	assert_int_equal(iaddr, (GUEST_SIZE - ilen) & ~0xfffULL);
	assert_memory_equal(guest + iaddr, initrd, ilen);

	/* The zero page: the image's setup header at 0x1f1, then what the
	 * loader owns. */
	assert_int_equal(zp[0x1ef], 0); /* the sentinel is not copied */
	assert_int_equal(zp[0x1f1], 4);
	assert_int_equal(rd(zp, 0x1fe, 2), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(rd(zp, 0x206, 2), 0x020f);
	assert_int_equal(rd(zp, 0x1fa, 2), 0xffff);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(zp[0x211] & 0x01, 0x01);
	assert_int_equal(rd(zp, 0x214, 4), 0x100000);
	assert_int_equal(rd(zp, 0x228, 4), 0x20000);
	assert_int_equal(rd(zp, 0xc8, 4), 0);
	assert_int_equal(rd(zp, 0x230, 4), 0x200000);
	assert_int_equal(rd(zp, 0x236, 2), 0x0003);
	assert_int_equal(rd(zp, 0x238, 4), 2047);
	assert_int_equal(rd(zp, 0x250, 8), 0);
	assert_int_equal(rd(zp, 0x258, 8), 0x400000);
	assert_int_equal(rd(zp, 0x260, 4), 0x180000);
	/* Before the header and after it, zero but for the e820 table. */
	for (i = 0; i < 0x1e8; i++)
		if (i < 0xc0 || i >= 0xcc)
			assert_int_equal(zp[i], 0);
	for (i = 0x26c; i < 0x2d0; i++)
		assert_int_equal(zp[i], 0);
	for (i = 0x2d0 + 3 * 20; i < 4096; i++)
		assert_int_equal(zp[i], 0);
	check_e820(zp, GUEST_SIZE);
	assert_int_equal(guest[0x7000 + 4096], UNTOUCHED);
	assert_int_equal(guest[0x6fff], UNTOUCHED);

	free(initrd);
	free(guest);
	free(img);
}

static void test_load_bzimage_no_initrd(void **state)
{
	struct bz_opts o = bz_default();
	struct linux_boot boot;
	char err[512] = "";
	size_t len;
	uint8_t *img = make_bz(&o, &len), *guest = new_guest(GUEST_SIZE), *zp = guest + 0x7000;
	int rc;

	(void)state;
	/* NULL command line: empty. */
	rc = load(guest, GUEST_SIZE, img, len, NULL, 0, NULL, &boot, err, sizeof(err));
	if (rc)
		fail_msg("load: rc %d: %s", rc, err);
	assert_int_equal(guest[0x20000], 0);
	assert_int_equal(guest[0x20001], UNTOUCHED);
	assert_int_equal(rd(zp, 0x218, 4), 0);
	assert_int_equal(rd(zp, 0x21c, 4), 0);
	assert_int_equal(rd(zp, 0xc0, 8), 0);
	assert_int_equal(guest[GUEST_SIZE - 1], UNTOUCHED);
	check_e820(zp, GUEST_SIZE);
	free(guest);
	free(img);
}

static void test_load_initrd_placement(void **state)
{
	struct bz_opts o = bz_default();
	struct linux_boot boot;
	char err[512] = "";
	size_t len, ilen = 0x2000;
	uint8_t *img, *guest = new_guest(GUEST_SIZE), *initrd = calloc(1, 0x2000);
	uint64_t iaddr;
	int rc;

	(void)state;
	assert_non_null(initrd);
	/* initrd_addr_max below the top of memory: the initrd ends at or
	 * below it (it is the highest byte address allowed). */
	o.initrd_addr_max = 0x6fffff;
	img = make_bz(&o, &len);
	rc = load(guest, GUEST_SIZE, img, len, initrd, ilen, "", &boot, err, sizeof(err));
	if (rc)
		fail_msg("load: rc %d: %s", rc, err);
	iaddr = rd(guest + 0x7000, 0x218, 4);
	assert_int_equal(iaddr, 0x700000 - 0x2000);
	/* An odd size: aligned down, the end at most the limit. */
	rc = load(guest, GUEST_SIZE, img, len, initrd, ilen - 1, "", &boot, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(rd(guest + 0x7000, 0x218, 4), 0x700000 - 0x2000);
	assert_int_equal(rd(guest + 0x7000, 0x21c, 4), ilen - 1);
	/* Memory smaller than initrd_addr_max: memory is the limit; an
	 * initrd that exactly fills the space above the kernel fits. */
	rc = load(guest, 0x582000, img, len, initrd, ilen, "", &boot, err, sizeof(err));
	if (rc)
		fail_msg("load: rc %d: %s", rc, err);
	assert_int_equal(rd(guest + 0x7000, 0x218, 4), 0x580000);
	check_e820(guest + 0x7000, 0x582000);
	free(img);
	free(initrd);
	free(guest);
}

static void test_load_errors(void **state)
{
	struct bz_opts o = bz_default();
	struct linux_boot boot;
	char err[512], longline[3000];
	size_t len;
	uint8_t *img, *guest = new_guest(GUEST_SIZE), *initrd = calloc(1, GUEST_SIZE);
	int rc;

	(void)state;
	assert_non_null(initrd);
	o.cmdline_size = 100;
	img = make_bz(&o, &len);

	/* Command line: 100 characters fit, 101 do not. */
	memset(longline, 'x', sizeof(longline));
	longline[101] = '\0';
	rc = load(guest, GUEST_SIZE, img, len, NULL, 0, longline, &boot, err, sizeof(err));
	assert_int_equal(rc, -E2BIG);
	assert_non_null(strstr(err, "command line too long: 101 bytes, the kernel accepts at "
				    "most 100 (cmdline_size at 0x238"));
	assert_true(all_untouched(guest, GUEST_SIZE));
	longline[100] = '\0';
	assert_int_equal(
		load(guest, GUEST_SIZE, img, len, NULL, 0, longline, &boot, err, sizeof(err)), 0);
	assert_int_equal(strlen((const char *)guest + 0x20000), 100);
	memset(guest, UNTOUCHED, GUEST_SIZE);

	/* Memory too small for the kernel's init_size span (to 0x580000). */
	err[0] = '\0';
	rc = load(guest, 0x57ffff, img, len, NULL, 0, "", &boot, err, sizeof(err));
	assert_int_equal(rc, -E2BIG);
	assert_non_null(strstr(err, "guest memory too small"));
	assert_non_null(strstr(err, "up to 0x580000"));
	assert_true(all_untouched(guest, GUEST_SIZE));
	rc = load(guest, 0x80000, img, len, NULL, 0, "", &boot, err, sizeof(err));
	assert_int_equal(rc, -E2BIG);
	assert_int_equal(load(guest, 0x580000, img, len, NULL, 0, "", &boot, err, sizeof(err)), 0);
	memset(guest, UNTOUCHED, GUEST_SIZE);

	/* Initrd too big: one page more than the room above the kernel, then
	 * bigger than memory. */
	err[0] = '\0';
	rc = load(guest, GUEST_SIZE, img, len, initrd, GUEST_SIZE - 0x580000 + 1, "", &boot, err,
		  sizeof(err));
	assert_int_equal(rc, -E2BIG);
	assert_non_null(strstr(err, "initrd too big"));
	assert_non_null(strstr(err, "kernel's end at 0x580000 and 0x800000"));
	assert_true(all_untouched(guest, GUEST_SIZE));
	rc = load(guest, GUEST_SIZE, img, len, initrd, GUEST_SIZE, "", &boot, err, sizeof(err));
	assert_int_equal(rc, -E2BIG);
	rc = load(guest, GUEST_SIZE, img, len, initrd, GUEST_SIZE - 0x580000, "", &boot, err,
		  sizeof(err));
	assert_int_equal(rc, 0);
	memset(guest, UNTOUCHED, GUEST_SIZE);

	/* Bad arguments, and a bad image: the probe's error. */
	assert_int_equal(load(guest, GUEST_SIZE, img, len, NULL, 1, "", &boot, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "initrd"));
	assert_int_equal(
		loader_load_linux(NULL, GUEST_SIZE, img, len, NULL, 0, "", &boot, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(
		loader_load_linux(guest, GUEST_SIZE, img, len, NULL, 0, "", NULL, err, sizeof(err)),
		-EINVAL);
	rc = load(guest, GUEST_SIZE, img, 0x300, NULL, 0, "", &boot, err, sizeof(err));
	assert_int_equal(rc, -ENOEXEC);
	assert_non_null(strstr(err, "payload beyond the end"));
	assert_true(all_untouched(guest, GUEST_SIZE));

	free(img);
	free(initrd);
	free(guest);
}

/* ---- ELF ---- */

static void test_probe_elf(void **state)
{
	struct kernel_info ki;
	uint8_t *img = make_elf();
	Elf64_Ehdr eh;

	(void)state;
	probe_ok(img, ELF_LEN, &ki);
	assert_int_equal(ki.format, KERNEL_ELF);
	assert_int_equal(ki.load_addr, SEG0_PADDR);
	assert_int_equal(ki.entry64, ELF_ENTRY);
	assert_int_equal(ki.mem_needed, SEG1_PADDR + SEG1_SIZE - SEG0_PADDR);
	assert_int_equal(ki.payload_offset, 0x1000);
	assert_int_equal(ki.payload_size, 0x5000 - 0x1000);
	assert_int_equal(ki.cmdline_max, 2047);

	/* A virtual entry (in __START_KERNEL_map) is converted. */
	eh = ehdr_get(img);
	eh.e_entry = ELF_ENTRY + START_KERNEL_MAP;
	ehdr_put(img, &eh);
	probe_ok(img, ELF_LEN, &ki);
	assert_int_equal(ki.entry64, ELF_ENTRY);
	eh.e_entry = SEG1_PADDR + START_KERNEL_MAP + 0x20;
	ehdr_put(img, &eh);
	probe_ok(img, ELF_LEN, &ki);
	assert_int_equal(ki.entry64, SEG1_PADDR + 0x20);
	free(img);
}

static void test_load_elf(void **state)
{
	struct linux_boot boot;
	char err[512] = "";
	uint8_t *img = make_elf(), *guest = new_guest(GUEST_SIZE), *zp = guest + 0x7000;
	uint8_t initrd[100];
	uint64_t iaddr;
	size_t i;
	int rc;

	(void)state;
	memset(initrd, 0x77, sizeof(initrd));
	rc = load(guest, GUEST_SIZE, img, ELF_LEN, initrd, sizeof(initrd), "console=hvc0", &boot,
		  err, sizeof(err));
	if (rc)
		fail_msg("load: rc %d: %s", rc, err);
	assert_int_equal(boot.entry, ELF_ENTRY);
	assert_int_equal(boot.boot_params, 0x7000);
	assert_memory_equal(guest + SEG0_PADDR, img + 0x1000, SEG0_FILESZ);
	for (i = SEG0_FILESZ; i < SEG0_MEMSZ; i++) /* bss zeroed */
		assert_int_equal(guest[SEG0_PADDR + i], 0);
	assert_int_equal(guest[SEG0_PADDR + SEG0_MEMSZ], UNTOUCHED);
	assert_memory_equal(guest + SEG1_PADDR, img + 0x4000, SEG1_SIZE);
	assert_int_equal(guest[SEG1_PADDR + SEG1_SIZE], UNTOUCHED);
	assert_int_equal(guest[0x1000], UNTOUCHED); /* the PT_NOTE is not loaded */
	assert_string_equal((const char *)guest + 0x20000, "console=hvc0");

	/* The minimal setup header. */
	assert_int_equal(rd(zp, 0x1fe, 2), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(rd(zp, 0x206, 2), 0x020f);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(zp[0x211], 0x01);
	assert_int_equal(rd(zp, 0x228, 4), 0x20000);
	assert_int_equal(rd(zp, 0x238, 4), 2047);
	assert_int_equal(rd(zp, 0x230, 4), 0x1000000);
	iaddr = rd(zp, 0x218, 4);
	assert_int_equal(rd(zp, 0x21c, 4), sizeof(initrd));
	assert_int_equal(iaddr, (GUEST_SIZE - sizeof(initrd)) & ~0xfffULL);
	assert_memory_equal(guest + iaddr, initrd, sizeof(initrd));
	check_e820(zp, GUEST_SIZE);

	/* Memory must reach the end of the last segment. */
	memset(guest, UNTOUCHED, GUEST_SIZE);
	rc = load(guest, SEG1_PADDR + SEG1_SIZE - 1, img, ELF_LEN, NULL, 0, "", &boot, err,
		  sizeof(err));
	assert_int_equal(rc, -E2BIG);
	assert_non_null(strstr(err, "guest memory too small"));
	assert_true(all_untouched(guest, GUEST_SIZE));
	free(img);
	free(guest);
}

static void test_probe_elf_errors(void **state)
{
	uint8_t *img;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	(void)state;
	img = make_elf();
	probe_fails(img, 4, "ELF image truncated: 4 bytes, the ELF header needs 64");
	probe_fails(img, 63, "ELF image truncated");
	/* Program headers cut off, then a segment's contents cut off. */
	probe_fails(img, 64 + 2 * 56, "ELF program headers");
	probe_fails(img, 0x4fff,
		    "program header 2 (at 0xb0): PT_LOAD p_offset 0x4000 + "
		    "p_filesz 0x1000 is beyond the end of the 0x4fff-byte file");

	img[EI_CLASS] = ELFCLASS32;
	probe_fails(img, ELF_LEN, "ELF class 1 at offset 4 is not ELFCLASS64");
	free(img);

	img = make_elf();
	img[EI_DATA] = ELFDATA2MSB;
	probe_fails(img, ELF_LEN, "data encoding 2 at offset 5");
	free(img);

	img = make_elf();
	eh = ehdr_get(img);
	eh.e_machine = EM_386;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "e_machine 3 at offset 18 is not EM_X86_64");
	eh = ehdr_get(img);
	eh.e_machine = EM_AARCH64;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "e_machine 183");
	free(img);

	img = make_elf();
	eh = ehdr_get(img);
	eh.e_type = ET_DYN;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "e_type 3 at offset 16 is not ET_EXEC");
	eh.e_type = ET_EXEC;
	eh.e_version = 2;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "ELF version");
	eh.e_version = EV_CURRENT;
	eh.e_phentsize = 32;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "e_phentsize 32 at offset 54");
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 0;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "no program headers");
	eh.e_phnum = PN_XNUM;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "extended numbering");
	eh.e_phnum = 3;
	eh.e_phoff = UINT64_MAX - 8;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "e_phoff 0xfffffffffffffff7 at offset 32");
	eh.e_phoff = ELF_LEN - 100;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "extend beyond the end of the 0x5000-byte file");
	free(img);

	/* Segment beyond the file; offset + filesz overflowing; offset alone
	 * beyond the file. */
	img = make_elf();
	ph = phdr_get(img, 0);
	ph.p_filesz = ELF_LEN;
	ph.p_memsz = ELF_LEN;
	phdr_put(img, 0, &ph);
	probe_fails(img, ELF_LEN,
		    "program header 0 (at 0x40): PT_LOAD p_offset 0x1000 + "
		    "p_filesz 0x5000 is beyond the end");
	ph.p_offset = UINT64_MAX - 0x10;
	ph.p_filesz = 0x100;
	phdr_put(img, 0, &ph);
	probe_fails(img, ELF_LEN, "p_offset 0xffffffffffffffef + p_filesz 0x100 is beyond");
	ph.p_offset = 0x1000;
	ph.p_filesz = UINT64_MAX - 0x800;
	ph.p_memsz = UINT64_MAX;
	phdr_put(img, 0, &ph);
	probe_fails(img, ELF_LEN, "is beyond the end");
	ph.p_offset = ELF_LEN + 1;
	ph.p_filesz = 0;
	phdr_put(img, 0, &ph);
	probe_fails(img, ELF_LEN, "p_offset 0x5001 + p_filesz 0x0");
	free(img);

	img = make_elf();
	ph = phdr_get(img, 0);
	ph.p_memsz = ph.p_filesz - 1;
	phdr_put(img, 0, &ph);
	probe_fails(img, ELF_LEN, "p_filesz 0x3000 exceeds p_memsz 0x2fff");
	free(img);

	/* Below 1 MiB: in the VMM's area. */
	img = make_elf();
	ph = phdr_get(img, 2);
	ph.p_paddr = 0xff000;
	phdr_put(img, 2, &ph);
	probe_fails(img, ELF_LEN, "program header 2 (at 0xb0): p_paddr 0xff000 is below 0x100000");
	ph.p_paddr = UINT64_MAX - 0x100;
	phdr_put(img, 2, &ph);
	probe_fails(img, ELF_LEN, "p_paddr 0xfffffffffffffeff + p_memsz 0x1000 overflows");
	free(img);

	/* No loadable contents. */
	img = make_elf();
	ph = phdr_get(img, 0);
	ph.p_type = PT_NULL;
	phdr_put(img, 0, &ph);
	ph = phdr_get(img, 2);
	ph.p_filesz = ph.p_memsz = 0;
	phdr_put(img, 2, &ph);
	probe_fails(img, ELF_LEN, "zero-size payload: no PT_LOAD");
	free(img);

	/* Entry nowhere, or in the bss. */
	img = make_elf();
	eh = ehdr_get(img);
	eh.e_entry = 0x300000;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "e_entry 0x300000 at offset 24 is in no PT_LOAD");
	eh.e_entry = SEG0_PADDR + SEG0_FILESZ;
	ehdr_put(img, &eh);
	probe_fails(img, ELF_LEN, "e_entry 0x103000");
	free(img);
}

/* ---- random mutations ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* xorshift64: fixed seed, the same run every time. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_fuzz(void **state)
{
	static const uint8_t interesting[] = { 0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff };
	struct bz_opts o = bz_default();
	struct kernel_info ki;
	struct linux_boot boot;
	char err[512];
	size_t bzlen, len, n, pos;
	uint8_t *bz, *elf, *img, *guest = new_guest(GUEST_SIZE), initrd[64] = { 1 };
	unsigned int iter, m, ok = 0, loaded = 0, failed = 0;
	int rc;

	(void)state;
	o.payload = 0x800;
	bz = make_bz(&o, &bzlen);
	elf = make_elf();
	for (iter = 0; iter < 4000; iter++) {
		int is_elf = (iter & 1) != 0;
		const uint8_t *base = is_elf ? elf : bz;
		size_t blen = is_elf ? ELF_LEN : bzlen;
		/* Where the header fields are: mutate there most of the time. */
		size_t hot_lo = is_elf ? 0 : 0x1f0, hot_len = is_elf ? 64 + 3 * 56 : 0x80;

		len = blen;
		if (rng() % 4 == 0)
			len = rng() % (blen + 1);
		img = dup_exact(base, len);
		n = 1 + rng() % 8;
		for (m = 0; m < n && len; m++) {
			pos = rng() % 4 ? hot_lo + rng() % hot_len : rng() % len;
			if (pos >= len)
				continue;
			switch (rng() % 3) {
			case 0:
				img[pos] = (uint8_t)rng();
				break;
			case 1:
				img[pos] = interesting[rng() % sizeof(interesting)];
				break;
			default:
				img[pos] ^= (uint8_t)(1U << (rng() % 8));
				break;
			}
		}

		err[0] = '\0';
		rc = loader_probe(img, len, &ki, err, sizeof(err));
		if (rc) {
			if (rc != -ENOEXEC || err[0] == '\0')
				fail_msg("iteration %u: probe rc %d, message \"%s\"", iter, rc,
					 err);
			failed++;
		} else {
			ok++;
			assert_true(ki.entry64 >= ki.load_addr);
			assert_true(ki.payload_size <= len);
			assert_true(ki.payload_offset <= len - ki.payload_size);
			err[0] = '\0';
			rc = loader_load_linux(guest, GUEST_SIZE, img, len, initrd, sizeof(initrd),
					       "console=ttyS0", &boot, err, sizeof(err));
			if (rc == 0) {
				loaded++;
				assert_int_equal(boot.entry, ki.entry64);
				assert_true(boot.entry < GUEST_SIZE);
			} else if (err[0] == '\0') {
				fail_msg("iteration %u: load rc %d without a message", iter, rc);
			}
		}
		free(img);
	}
	printf("fuzz: 4000 images, %u probed fine (%u loaded), %u refused with a message\n", ok,
	       loaded, failed);
	/* The mutations must exercise both outcomes. */
	assert_true(ok > 100);
	assert_true(failed > 100);
	free(bz);
	free(elf);
	free(guest);
}

/* ---- a real kernel, when there is one ---- */

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long sz;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)sz);
		if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)sz;
	}
	fclose(f);
	return buf;
}

/* The first readable /boot/vmlinuz-*, or NULL; *path points into g. */
static uint8_t *read_boot_kernel(glob_t *g, const char **path, size_t *len)
{
	uint8_t *img;
	size_t i;

	if (glob("/boot/vmlinuz-*", 0, NULL, g) != 0)
		return NULL;
	for (i = 0; i < g->gl_pathc; i++) {
		img = read_file(g->gl_pathv[i], len);
		if (img) {
			*path = g->gl_pathv[i];
			return img;
		}
	}
	return NULL;
}

static void test_real_kernel(void **state)
{
	const char *path = getenv("SAMPLE_VMM_LINUX_KERNEL");
	struct kernel_info ki;
	struct linux_boot boot;
	char err[512] = "";
	glob_t g = { 0 };
	size_t len = 0, gsize;
	uint8_t *img, *guest, initrd[4096];
	int rc;

	(void)state;
	if (path && *path) {
		/* Named: it must be there. */
		img = read_file(path, &len);
		if (!img)
			fail_msg("SAMPLE_VMM_LINUX_KERNEL=%s cannot be read", path);
	} else {
		img = read_boot_kernel(&g, &path, &len);
		if (!img) {
			globfree(&g);
			printf("SKIP real kernel image: none found (SAMPLE_VMM_LINUX_KERNEL unset, "
			       "no readable /boot/vmlinuz-*)\n");
			return;
		}
	}
	rc = loader_probe(img, len, &ki, err, sizeof(err));
	if (rc)
		fail_msg("%s: rc %d: %s", path, rc, err);
	assert_int_equal(ki.format, KERNEL_BZIMAGE);
	assert_true(ki.protocol >= 0x020c);
	assert_int_equal(ki.entry64, LOADER_KERNEL + 0x200);
	assert_true(ki.payload_size > 0x10000);
	assert_true(ki.mem_needed >= ki.payload_size);
	printf("real kernel %s: protocol %u.%02u, payload 0x%zx, runs at 0x%llx, needs 0x%llx\n",
	       path, (unsigned int)ki.protocol >> 8, (unsigned int)ki.protocol & 0xff,
	       ki.payload_size, (unsigned long long)ki.run_addr, (unsigned long long)ki.mem_needed);

	/* And loads, with an initrd above it. */
	gsize = (size_t)(ki.load_addr + ki.mem_needed) + 2 * MIB;
	guest = new_guest(gsize);
	memset(initrd, 0x42, sizeof(initrd));
	rc = loader_load_linux(guest, gsize, img, len, initrd, sizeof(initrd), "console=ttyS0",
			       &boot, err, sizeof(err));
	if (rc)
		fail_msg("%s: load: rc %d: %s", path, rc, err);
	assert_int_equal(boot.entry, 0x100200);
	assert_memory_equal(guest + 0x100000, img + ki.payload_offset, ki.payload_size);
	assert_int_equal(rd(guest + 0x7000, 0x206, 2), ki.protocol);
	assert_int_equal(rd(guest + 0x7000, 0x260, 4), rd(img, 0x260, 4));
	assert_true(rd(guest + 0x7000, 0x218, 4) >= ki.load_addr + ki.mem_needed);
	free(guest);
	free(img);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_bzimage),
		cmocka_unit_test(test_probe_bzimage_variants),
		cmocka_unit_test(test_probe_bzimage_truncated),
		cmocka_unit_test(test_probe_bzimage_bad_header),
		cmocka_unit_test(test_probe_bad_args),
		cmocka_unit_test(test_load_bzimage),
		cmocka_unit_test(test_load_bzimage_no_initrd),
		cmocka_unit_test(test_load_initrd_placement),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_probe_elf),
		cmocka_unit_test(test_load_elf),
		cmocka_unit_test(test_probe_elf_errors),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_real_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
