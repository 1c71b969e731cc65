/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sample VMM's default guest: freestanding, entered by every vCPU in
 * 64-bit long mode (RDI = vCPU index, RSI = vCPU count, RSP = its stack).
 * Every vCPU says it is online and checks in; vCPU 0 then routes the
 * virtio-mmio slots' GSIs to itself, finds the devices by their IDs, drives
 * each with its driver (one file each: blk.c, rng.c, ...), prints the
 * results and powers off (port PORT_POWER_OFF) with 0, or with a failure
 * code from enum failure.
 *
 * Code at CPL0 is emulated here (a few million instructions a second):
 * everything is kept short, loops included.
 */
#include "guest.h"

/* The drivers, in the order they run; one line per device. */
static const struct guest_driver *const drivers[] = {
	&blk_driver,
	&rng_driver,
	&net_driver,
	&console_driver,
	&balloon_driver,
	&vsock_driver,
};

#define NDRIVERS (sizeof(drivers) / sizeof(drivers[0]))

/* ---- freestanding basics ------------------------------------------------ */

/* gcc may emit calls to these even in freestanding code. */
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

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
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

void say(const char *a, uint64_t n, int with_n, const char *b)
{
	lock(&print_lock);
	put_str(a);
	if (with_n)
		put_dec(n);
	put_str(b);
	put_str("\n");
	unlock(&print_lock);
}

void power_off(uint8_t code)
{
	for (;;) {
		outb(PORT_POWER_OFF, code);
		__asm__ volatile("cli; hlt");
	}
}

void fail(enum failure code, const char *why)
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

#define VEC_SLOT0 0x30 /* + slot */
#define VEC_TIMER 0x40
#define VEC_SPURIOUS 0xff

#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT0 0x350
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIV 0x3e0
/* KVM's LAPIC timer counts at 1 GHz (its bus cycle is 1 ns): divided by
 * 16, GUEST_TICK_MS ms */
#define TIMER_COUNT (GUEST_TICK_MS * 1000000 / 16)

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

static volatile uint32_t ticks;

uint32_t guest_ticks(void)
{
	return __atomic_load_n(&ticks, __ATOMIC_RELAXED);
}

/* Every device interrupt: acknowledge the device's interrupt status, then
 * the LAPIC. */
static void device_irq(unsigned slot)
{
	uint64_t base = VIRTIO_MMIO_SLOT_BASE(slot);
	uint32_t isr = rd32(base + 0x60);

	wr32(base + 0x64, isr);
	irq_count++;
	wr32(LAPIC_BASE + LAPIC_EOI, 0);
}

#define IRQ_SLOT(n)                                                               \
	__attribute__((interrupt)) static void irq_slot##n(struct interrupt_frame *f) \
	{                                                                         \
		(void)f;                                                          \
		device_irq(n);                                                    \
	}
IRQ_SLOT(0) IRQ_SLOT(1) IRQ_SLOT(2) IRQ_SLOT(3) IRQ_SLOT(4) IRQ_SLOT(5) IRQ_SLOT(6) IRQ_SLOT(7)
_Static_assert(VIRTIO_MMIO_SLOTS == 8, "one IRQ_SLOT per slot");

__attribute__((interrupt)) static void irq_timer(struct interrupt_frame *f)
{
	(void)f;
	ticks++;
	wr32(LAPIC_BASE + LAPIC_EOI, 0);
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
	static void *const slot[VIRTIO_MMIO_SLOTS] = { irq_slot0, irq_slot1, irq_slot2,
							 irq_slot3, irq_slot4, irq_slot5,
							 irq_slot6, irq_slot7 };
	int i;

	for (i = 0; i < 20; i++)
		set_gate(i, exc[i]);
	for (i = 0; i < VIRTIO_MMIO_SLOTS; i++)
		set_gate(VEC_SLOT0 + i, slot[i]);
	set_gate(VEC_TIMER, (void *)irq_timer);
	set_gate(VEC_SPURIOUS, (void *)irq_spurious);
	__asm__ volatile("lidt %0" : : "m"(idtr));

	/* The 8259s stay masked: every interrupt comes through the IOAPIC. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	wr32(LAPIC_BASE + LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	wr32(LAPIC_BASE + LAPIC_LVT0, 0x10000);
	wr32(LAPIC_BASE + LAPIC_TPR, 0);
	/* IOAPIC pin of each slot: edge, active high, physical, to APIC 0. */
	for (i = 0; i < VIRTIO_MMIO_SLOTS; i++) {
		wr32(IOAPIC_BASE, 0x10 + 2 * VIRTIO_MMIO_SLOT_GSI(i) + 1);
		wr32(IOAPIC_BASE + 0x10, 0);
		wr32(IOAPIC_BASE, 0x10 + 2 * VIRTIO_MMIO_SLOT_GSI(i));
		wr32(IOAPIC_BASE + 0x10, VEC_SLOT0 + (uint32_t)i);
	}
	/* The timer, periodic: the drivers' time-outs. */
	wr32(LAPIC_BASE + LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
	wr32(LAPIC_BASE + LAPIC_LVT_TIMER, (1U << 17) | VEC_TIMER);
	wr32(LAPIC_BASE + LAPIC_TIMER_INIT, TIMER_COUNT);
	__asm__ volatile("sti");
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

static struct vdev devs[VIRTIO_MMIO_SLOTS];

/* The driver of the device in `slot`, and its vdev; NULL if none. */
static const struct guest_driver *probe(unsigned slot, struct vdev *d)
{
	uint64_t base = VIRTIO_MMIO_SLOT_BASE(slot);
	uint32_t id;

	if (rd32(base) != 0x74726976 || rd32(base + 0x04) != 2)
		return 0;
	id = rd32(base + 0x08);
	for (unsigned i = 0; i < NDRIVERS; i++)
		if (drivers[i]->device_id == id) {
			d->base = base;
			d->slot = slot;
			d->device_id = id;
			return drivers[i];
		}
	return 0;
}

static void setup_or_fail(const struct guest_driver *drv, struct vdev *d)
{
	if (virtio_setup(d, drv->nqueues, drv->features) != 0) {
		say(drv->name, 0, 0, ": set-up refused");
		fail(FAIL_HOSTILE, "virtio: a device refused its driver");
	}
}

/* Each device found, in driver order: its test; then, with
 * --guest-hostile, the attacks and the test again; the demo instead if it
 * is the device --demo-exploit names. */
static void run_drivers(const volatile struct guest_boot_info *bi)
{
	for (unsigned i = 0; i < NDRIVERS; i++) {
		const struct guest_driver *drv = drivers[i];
		int found = 0;

		for (unsigned s = 0; s < VIRTIO_MMIO_SLOTS; s++) {
			struct vdev *d = &devs[s];
			unsigned n;

			if (probe(s, d) != drv)
				continue;
			found = 1;
			setup_or_fail(drv, d);
			if ((bi->flags & GUEST_FLAG_DEMO_EXPLOIT) && bi->demo_device == drv->device_id) {
				say("demo: sending ", 0, 0, drv->name);
				virtio_demo(d, drv->serve_queue);
			}
			drv->test(d, bi);
			if (!(bi->flags & GUEST_FLAG_HOSTILE))
				continue;
			n = virtio_attack(d, drv->serve_queue, drv->nqueues, drv->features);
			if (drv->hostile)
				n += drv->hostile(d, bi);
			drv->test(d, bi);
			lock(&print_lock);
			put_str("hostile: ");
			put_str(drv->name);
			put_str(": ");
			put_dec(n);
			put_str(" attacks refused, device still works\n");
			unlock(&print_lock);
		}
		if (!found)
			say(drv->name, 0, 0, ": no device");
	}
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
	run_drivers(bi);
	/* The timer wakes the drivers' waits too: a driver may have seen its
	 * used ring move before the device's interrupt (an irqfd write after
	 * the ring update) was injected.  Half a second for it. */
	for (uint32_t t = guest_ticks(); !irq_count && guest_ticks() - t < 500 / GUEST_TICK_MS;)
		__asm__ volatile("hlt");
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
