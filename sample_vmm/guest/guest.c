/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sample VMM's default guest: freestanding, entered by every vCPU in
 * 64-bit long mode (RDI = vCPU index, RSI = vCPU count, RSP = its stack).
 * Every vCPU says it is online and checks in; vCPU 0 then routes GSI 5 and
 * 6 to itself, drives virtio-blk and virtio-rng over virtio-mmio with
 * interrupts, prints the results and powers off (port PORT_POWER_OFF) with
 * 0, or with a failure code from enum failure.
 *
 * Code at CPL0 is emulated here (a few million instructions a second):
 * everything is kept short, loops included.
 */
#include "abi.h"

#include <stddef.h>
#include <stdint.h>

enum failure {
	FAIL_BLK = 0x10,
	FAIL_RNG = 0x11,
	FAIL_IRQ = 0x12,
	FAIL_DEMO = 0x13,
	FAIL_EXCEPTION = 0x14,
	FAIL_HOSTILE = 0x15,
	FAIL_SERIAL = 0x16,
};

/* ---- freestanding basics ------------------------------------------------ */

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t rd32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void wr32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline void barrier(void)
{
	__asm__ volatile("mfence" : : : "memory");
}

static volatile int print_lock;

static void lock(volatile int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

static void unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static void put_str(const char *s)
{
	while (*s)
		outb(PORT_SERIAL, (uint8_t)*s++);
}

static void put_dec(uint64_t v)
{
	char buf[21];
	int i = 20;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(buf + i);
}

/* One line "<a><n><b>\n", whole, even with several vCPUs printing. */
static void say(const char *a, uint64_t n, int with_n, const char *b)
{
	lock(&print_lock);
	put_str(a);
	if (with_n)
		put_dec(n);
	put_str(b);
	put_str("\n");
	unlock(&print_lock);
}

static __attribute__((noreturn)) void power_off(uint8_t code)
{
	for (;;) {
		outb(PORT_POWER_OFF, code);
		__asm__ volatile("cli; hlt");
	}
}

static __attribute__((noreturn)) void fail(enum failure code, const char *why)
{
	say("sample-guest: FAILED: ", 0, 0, why);
	power_off((uint8_t)code);
}

/* ---- interrupts ----------------------------------------------------------- */

struct idt_gate {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off1;
	uint32_t off2;
	uint32_t zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
static volatile uint32_t irq_count;

struct interrupt_frame;

#define VEC_BLK 0x30
#define VEC_RNG 0x31
#define VEC_SPURIOUS 0xff

#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT0 0x350

static void set_gate(int vec, void *handler)
{
	uint64_t a = (uint64_t)handler;

	idt[vec].off0 = (uint16_t)a;
	idt[vec].sel = GUEST_CODE_SEL;
	idt[vec].ist = 0;
	idt[vec].type = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	idt[vec].off1 = (uint16_t)(a >> 16);
	idt[vec].off2 = (uint32_t)(a >> 32);
	idt[vec].zero = 0;
}

/* Every device interrupt: acknowledge the device's interrupt status, then
 * the LAPIC. */
static void device_irq(uint64_t base)
{
	uint32_t isr = rd32(base + 0x60);

	wr32(base + 0x64, isr);
	irq_count++;
	wr32(LAPIC_BASE + LAPIC_EOI, 0);
}

__attribute__((interrupt)) static void irq_blk(struct interrupt_frame *f)
{
	(void)f;
	device_irq(VIRTIO_BLK_BASE);
}

__attribute__((interrupt)) static void irq_rng(struct interrupt_frame *f)
{
	(void)f;
	device_irq(VIRTIO_RNG_BASE);
}

__attribute__((interrupt)) static void irq_spurious(struct interrupt_frame *f)
{
	(void)f;
}

static __attribute__((noreturn)) void exception(unsigned vec)
{
	say("sample-guest: exception ", vec, 1, "");
	power_off(FAIL_EXCEPTION);
}

#define EXC(n)                                                                     \
	__attribute__((interrupt)) static void exc##n(struct interrupt_frame *f)   \
	{                                                                          \
		(void)f;                                                           \
		exception(n);                                                      \
	}
#define EXC_ERR(n)                                                                 \
	__attribute__((interrupt)) static void exc##n(struct interrupt_frame *f,   \
						      uint64_t err)                \
	{                                                                          \
		(void)f;                                                           \
		(void)err;                                                         \
		exception(n);                                                      \
	}
EXC(0) EXC(1) EXC(2) EXC(3) EXC(4) EXC(5) EXC(6) EXC(7) EXC_ERR(8) EXC(9) EXC_ERR(10)
EXC_ERR(11) EXC_ERR(12) EXC_ERR(13) EXC_ERR(14) EXC(15) EXC(16) EXC_ERR(17) EXC(18) EXC(19)

static void setup_interrupts(void)
{
	static void *const exc[20] = {exc0,  exc1,  exc2,  exc3,  exc4,  exc5,  exc6,
				      exc7,  exc8,  exc9,  exc10, exc11, exc12, exc13,
				      exc14, exc15, exc16, exc17, exc18, exc19};
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint64_t)idt};
	int i;

	for (i = 0; i < 20; i++)
		set_gate(i, exc[i]);
	set_gate(VEC_BLK, (void *)irq_blk);
	set_gate(VEC_RNG, (void *)irq_rng);
	set_gate(VEC_SPURIOUS, (void *)irq_spurious);
	__asm__ volatile("lidt %0" : : "m"(idtr));

	/* The 8259s stay masked: every interrupt comes through the IOAPIC. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	wr32(LAPIC_BASE + LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	wr32(LAPIC_BASE + LAPIC_LVT0, 0x10000);
	wr32(LAPIC_BASE + LAPIC_TPR, 0);
	/* IOAPIC pins 5 and 6: edge, active high, physical, to APIC 0. */
	wr32(IOAPIC_BASE, 0x10 + 2 * VIRTIO_BLK_GSI + 1);
	wr32(IOAPIC_BASE + 0x10, 0);
	wr32(IOAPIC_BASE, 0x10 + 2 * VIRTIO_BLK_GSI);
	wr32(IOAPIC_BASE + 0x10, VEC_BLK);
	wr32(IOAPIC_BASE, 0x10 + 2 * VIRTIO_RNG_GSI + 1);
	wr32(IOAPIC_BASE + 0x10, 0);
	wr32(IOAPIC_BASE, 0x10 + 2 * VIRTIO_RNG_GSI);
	wr32(IOAPIC_BASE + 0x10, VEC_RNG);
	__asm__ volatile("sti");
}

/* ---- virtio-mmio driver --------------------------------------------------- */

#define QSIZE 8

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[QSIZE];
	uint16_t used_event;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct {
		uint32_t id;
		uint32_t len;
	} ring[QSIZE];
	uint16_t avail_event;
};

struct vq {
	uint64_t base;
	struct vring_desc desc[QSIZE] __attribute__((aligned(16)));
	struct vring_avail avail __attribute__((aligned(4)));
	struct vring_used used __attribute__((aligned(4)));
	uint16_t next_avail;
};

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2

#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8

/* 0 if the device at vq->base is a virtio-mmio v2 device `id` and is now
 * set up with one queue of QSIZE; -1 if absent, -2 if it misbehaves. */
static int virtio_init(struct vq *q, uint64_t base, uint32_t id)
{
	q->base = base;
	q->next_avail = 0;
	memset(q->desc, 0, sizeof(q->desc));
	memset(&q->avail, 0, sizeof(q->avail));
	memset(&q->used, 0, sizeof(q->used));
	if (rd32(base) != 0x74726976 || rd32(base + 0x04) != 2 || rd32(base + 0x08) != id)
		return -1;
	wr32(base + 0x70, 0);
	wr32(base + 0x70, ST_ACK | ST_DRIVER);
	wr32(base + 0x14, 1);
	if (!(rd32(base + 0x10) & 1)) /* VIRTIO_F_VERSION_1 */
		return -2;
	wr32(base + 0x24, 1);
	wr32(base + 0x20, 1);
	wr32(base + 0x24, 0);
	wr32(base + 0x20, 0);
	wr32(base + 0x70, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(rd32(base + 0x70) & ST_FEATURES_OK))
		return -2;
	wr32(base + 0x30, 0);
	if (rd32(base + 0x34) < QSIZE)
		return -2;
	wr32(base + 0x38, QSIZE);
	wr32(base + 0x80, (uint32_t)(uint64_t)q->desc);
	wr32(base + 0x84, 0);
	wr32(base + 0x90, (uint32_t)(uint64_t)&q->avail);
	wr32(base + 0x94, 0);
	wr32(base + 0xa0, (uint32_t)(uint64_t)&q->used);
	wr32(base + 0xa4, 0);
	wr32(base + 0x44, 1);
	wr32(base + 0x70, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	return 0;
}

/* Posts the chain starting at descriptor 0 and sleeps until the device has
 * used it; returns the length the device wrote. */
static uint32_t virtio_submit(struct vq *q)
{
	uint16_t slot = q->next_avail++;

	q->avail.ring[slot % QSIZE] = 0;
	barrier();
	q->avail.idx = q->next_avail;
	barrier();
	wr32(q->base + 0x50, 0);
	for (;;) {
		__asm__ volatile("cli" : : : "memory");
		if (*(volatile uint16_t *)&q->used.idx == q->next_avail)
			break;
		/* sti's shadow makes "sti; hlt" atomic: no wake-up is lost. */
		__asm__ volatile("sti; hlt" : : : "memory");
	}
	__asm__ volatile("sti" : : : "memory");
	barrier();
	return q->used.ring[slot % QSIZE].len;
}

static void set_desc(struct vq *q, int i, void *addr, uint32_t len, uint16_t flags)
{
	q->desc[i].addr = (uint64_t)addr;
	q->desc[i].len = len;
	q->desc[i].flags = flags;
	q->desc[i].next = (uint16_t)(i + 1);
}

/* ---- the tests ------------------------------------------------------------ */

struct blk_req {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct vq blk_q, rng_q;
static struct blk_req blk_hdr;
static uint8_t blk_status;
static uint8_t blk_out[GUEST_PATTERN_SECTORS * 512];
static uint8_t blk_in[GUEST_PATTERN_SECTORS * 512];
static char blk_id[21];
static uint8_t rng_buf[32];

/* type with a data buffer of len bytes (device-writable if in); returns the
 * status byte. */
static uint8_t blk_request_at(uint32_t type, uint64_t sector, void *data, uint32_t len, int in)
{
	int n = 0;

	blk_hdr.type = type;
	blk_hdr.reserved = 0;
	blk_hdr.sector = sector;
	blk_status = 0xff;
	set_desc(&blk_q, n++, &blk_hdr, sizeof(blk_hdr), VRING_DESC_F_NEXT);
	if (len)
		set_desc(&blk_q, n++, data, len, VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0));
	set_desc(&blk_q, n, &blk_status, 1, VRING_DESC_F_WRITE);
	virtio_submit(&blk_q);
	return blk_status;
}

static uint8_t blk_request(uint32_t type, void *data, uint32_t len, int in)
{
	return blk_request_at(type, 0, data, len, in);
}

static void test_blk(const volatile struct guest_boot_info *bi)
{
	unsigned s, i;
	int rc = virtio_init(&blk_q, VIRTIO_BLK_BASE, 2);

	if (rc == -1) {
		say("virtio-blk: no device", 0, 0, "");
		return;
	}
	if (rc < 0)
		fail(FAIL_BLK, "virtio-blk: set-up refused");
	if (rd32(VIRTIO_BLK_BASE + 0x100) < GUEST_PATTERN_SECTORS && !rd32(VIRTIO_BLK_BASE + 0x104))
		fail(FAIL_BLK, "virtio-blk: disk smaller than 4 sectors");
	if (bi->flags & GUEST_FLAG_DEMO_EXPLOIT) {
		say("demo: sending a virtio-blk request of type 0x7e57", 0, 0, "");
		blk_request(GUEST_DEMO_REQUEST, 0, 0, 0);
		fail(FAIL_DEMO, "demo: the VMM completed the bogus request");
	}
	for (s = 0; s < GUEST_PATTERN_SECTORS; s++)
		for (i = 0; i < 512; i++)
			blk_out[s * 512 + i] = GUEST_PATTERN(s, i);
	if (blk_request(1 /* OUT */, blk_out, sizeof(blk_out), 0) != 0)
		fail(FAIL_BLK, "virtio-blk: write failed");
	if (blk_request(4 /* FLUSH */, 0, 0, 0) != 0)
		fail(FAIL_BLK, "virtio-blk: flush failed");
	if (blk_request(0 /* IN */, blk_in, sizeof(blk_in), 1) != 0)
		fail(FAIL_BLK, "virtio-blk: read failed");
	for (i = 0; i < sizeof(blk_in); i++)
		if (blk_in[i] != blk_out[i])
			fail(FAIL_BLK, "virtio-blk: read back differs");
	if (blk_request(8 /* GET_ID */, blk_id, 20, 1) != 0)
		fail(FAIL_BLK, "virtio-blk: GET_ID failed");
	say("virtio-blk: id ", 0, 0, blk_id);
	say("virtio-blk: pattern ok", 0, 0, "");
}

static void test_rng(void)
{
	unsigned i, nonzero = 0;
	uint32_t got;
	int rc = virtio_init(&rng_q, VIRTIO_RNG_BASE, 4);

	if (rc == -1) {
		say("virtio-rng: no device", 0, 0, "");
		return;
	}
	if (rc < 0)
		fail(FAIL_RNG, "virtio-rng: set-up refused");
	set_desc(&rng_q, 0, rng_buf, sizeof(rng_buf), VRING_DESC_F_WRITE);
	got = virtio_submit(&rng_q);
	for (i = 0; i < sizeof(rng_buf); i++)
		nonzero |= rng_buf[i];
	if (got != sizeof(rng_buf) || !nonzero)
		fail(FAIL_RNG, "virtio-rng: no random bytes");
	say("virtio-rng: ", got, 1, " bytes");
}

/* ---- a hostile driver ------------------------------------------------------ */

#define ST_NEEDS_RESET 0x40

/* Posts descriptor 0 with avail.idx moved by `step`; 0 once the device has
 * declared itself broken (DEVICE_NEEDS_RESET), -1 if it never does. */
static int post_expect_reset(struct vq *q, uint16_t step)
{
	q->avail.ring[q->next_avail % QSIZE] = 0;
	q->next_avail = (uint16_t)(q->next_avail + step);
	barrier();
	q->avail.idx = q->next_avail;
	barrier();
	wr32(q->base + 0x50, 0);
	for (int i = 0; i < 100000; i++)
		if (rd32(q->base + 0x70) & ST_NEEDS_RESET)
			return 0;
	return -1;
}

static void hostile_reset(const char *what)
{
	if (virtio_init(&blk_q, VIRTIO_BLK_BASE, 2) != 0)
		fail(FAIL_HOSTILE, what);
}

/* Each attack must leave the VMM running and the device refusing the
 * queue, or failing the request; the device must work again after a reset. */
static void test_hostile(const volatile struct guest_boot_info *bi)
{
	uint64_t mem = bi->mem_size;
	unsigned n = 0;

	if (blk_q.base == 0)
		fail(FAIL_HOSTILE, "hostile: needs virtio-blk");
	/* 1: a buffer crossing the end of guest memory. */
	set_desc(&blk_q, 0, &blk_hdr, sizeof(blk_hdr), VRING_DESC_F_NEXT);
	blk_q.desc[0].addr = mem - 8;
	if (post_expect_reset(&blk_q, 1))
		fail(FAIL_HOSTILE, "hostile: buffer past the end of memory accepted");
	hostile_reset("hostile: reset 1");
	n++;
	/* 2: an address + length that wraps around 2^64. */
	set_desc(&blk_q, 0, (void *)0xfffffffffffff000ULL, 0x2000, VRING_DESC_F_NEXT);
	if (post_expect_reset(&blk_q, 1))
		fail(FAIL_HOSTILE, "hostile: wrapping buffer accepted");
	hostile_reset("hostile: reset 2");
	n++;
	/* 3: a descriptor chain that loops on itself. */
	set_desc(&blk_q, 0, &blk_hdr, sizeof(blk_hdr), VRING_DESC_F_NEXT);
	blk_q.desc[0].next = 0;
	if (post_expect_reset(&blk_q, 1))
		fail(FAIL_HOSTILE, "hostile: looping chain accepted");
	hostile_reset("hostile: reset 3");
	n++;
	/* 4: a next index beyond the queue. */
	set_desc(&blk_q, 0, &blk_hdr, sizeof(blk_hdr), VRING_DESC_F_NEXT);
	blk_q.desc[0].next = 200;
	if (post_expect_reset(&blk_q, 1))
		fail(FAIL_HOSTILE, "hostile: out-of-range next accepted");
	hostile_reset("hostile: reset 4");
	n++;
	/* 5: an indirect table, never negotiated. */
	set_desc(&blk_q, 0, &blk_hdr, 16, 4 /* VRING_DESC_F_INDIRECT */);
	if (post_expect_reset(&blk_q, 1))
		fail(FAIL_HOSTILE, "hostile: indirect descriptor accepted");
	hostile_reset("hostile: reset 5");
	n++;
	/* 6: the available index running far ahead of the ring. */
	set_desc(&blk_q, 0, &blk_hdr, sizeof(blk_hdr), 0);
	if (post_expect_reset(&blk_q, 1000))
		fail(FAIL_HOSTILE, "hostile: runaway available index accepted");
	hostile_reset("hostile: reset 6");
	n++;
	/* 7: a descriptor table outside guest memory. */
	wr32(VIRTIO_BLK_BASE + 0x70, 0);
	wr32(VIRTIO_BLK_BASE + 0x70, ST_ACK | ST_DRIVER);
	wr32(VIRTIO_BLK_BASE + 0x24, 1);
	wr32(VIRTIO_BLK_BASE + 0x20, 1);
	wr32(VIRTIO_BLK_BASE + 0x70, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	wr32(VIRTIO_BLK_BASE + 0x38, QSIZE);
	wr32(VIRTIO_BLK_BASE + 0x80, (uint32_t)mem);
	wr32(VIRTIO_BLK_BASE + 0x84, (uint32_t)(mem >> 32));
	wr32(VIRTIO_BLK_BASE + 0x44, 1);
	if (!(rd32(VIRTIO_BLK_BASE + 0x70) & ST_NEEDS_RESET) || rd32(VIRTIO_BLK_BASE + 0x44))
		fail(FAIL_HOSTILE, "hostile: queue outside memory accepted");
	hostile_reset("hostile: reset 7");
	n++;
	/* 8: reading past the end of the disk, and a partial sector: IOERR. */
	if (blk_request_at(0, ~0ULL >> 9, blk_in, 512, 1) != 1 /* VIRTIO_BLK_S_IOERR */)
		fail(FAIL_HOSTILE, "hostile: read past the disk accepted");
	if (blk_request(0, blk_in, 100, 1) != 1)
		fail(FAIL_HOSTILE, "hostile: partial sector accepted");
	n++;
	/* And the device still works. */
	if (blk_request(0, blk_in, sizeof(blk_in), 1) != 0 || blk_in[0] != GUEST_PATTERN(0, 0))
		fail(FAIL_HOSTILE, "hostile: device broken after the attacks");
	say("hostile: ", n, 1, " attacks refused, device still works");
}

static void bench(const volatile struct guest_boot_info *bi)
{
	uint32_t i, n = bi->bench_iterations;

	say("bench: start", 0, 0, "");
	for (i = 0; i < n; i++)
		outb(PORT_BENCH, 0);
	say("bench: done", 0, 0, "");
	power_off(0);
}

static volatile uint32_t online;

void guest_start(uint64_t cpu, uint64_t ncpus);

__attribute__((section(".text.entry"), noreturn)) void guest_start(uint64_t cpu, uint64_t ncpus)
{
	const volatile struct guest_boot_info *bi = (const void *)GUEST_BOOT_INFO;

	say("cpu ", cpu, 1, " online");
	__atomic_add_fetch(&online, 1, __ATOMIC_SEQ_CST);
	if (cpu != 0)
		for (;;)
			__asm__ volatile("cli; hlt");
	while (__atomic_load_n(&online, __ATOMIC_SEQ_CST) != ncpus)
		__asm__ volatile("pause");
	say("sample-guest: ", ncpus, 1, " vCPUs online");
	if (bi->magic != GUEST_BOOT_MAGIC)
		fail(FAIL_BLK, "no boot information at 0x6000");
	/* The UART as Linux's 8250 driver probes it: transmitter empty, and
	 * in loopback mode RTS|OUT2 come back as CTS|DCD. */
	outb(PORT_SERIAL + 4, 0x1a);
	if ((inb(PORT_SERIAL + 6) & 0xf0) != 0x90 || (inb(PORT_SERIAL + 5) & 0x60) != 0x60)
		fail(FAIL_SERIAL, "serial: loopback probe");
	outb(PORT_SERIAL + 4, 0x08);
	if (bi->flags & GUEST_FLAG_BENCH)
		bench(bi);
	setup_interrupts();
	test_blk(bi);
	test_rng();
	if (bi->flags & GUEST_FLAG_HOSTILE)
		test_hostile(bi);
	say("interrupts: ", irq_count, 1, "");
	if (irq_count == 0)
		fail(FAIL_IRQ, "no interrupt taken");
	say("sample-guest: all tests passed", 0, 0, "");
	if (bi->flags & GUEST_FLAG_STAY) {
		say("sample-guest: staying up", 0, 0, "");
		for (;;)
			__asm__ volatile("hlt");
	}
	power_off(0);
}
