/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the default guest's parts share: output and failure, the
 * virtio-mmio driver core (virtio.c), and the device drivers' registration
 * (one `struct guest_driver` per device file, one line in guest.c's
 * table).  Freestanding: no libc.
 */
#ifndef SAMPLE_GUEST_GUEST_H
#define SAMPLE_GUEST_GUEST_H

#include "abi.h"

#include <stddef.h>
#include <stdint.h>

/* Exit codes (power-off port) of a failed check. */
enum failure {
	FAIL_BLK = 0x10,
	FAIL_RNG = 0x11,
	FAIL_IRQ = 0x12,
	FAIL_DEMO = 0x13,
	FAIL_EXCEPTION = 0x14,
	FAIL_HOSTILE = 0x15,
	FAIL_SERIAL = 0x16,
	FAIL_NET = 0x17,
	FAIL_CONSOLE = 0x18,
	FAIL_VSOCK = 0x19,
	FAIL_BALLOON = 0x1a,
};

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

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

/* One line "<a><n><b>\n", whole, even with several vCPUs printing
 * (n only if with_n). */
void say(const char *a, uint64_t n, int with_n, const char *b);
__attribute__((noreturn)) void fail(enum failure code, const char *why);
__attribute__((noreturn)) void power_off(uint8_t code);

/* LAPIC timer ticks since the interrupts were set up (GUEST_TICK_MS each). */
#define GUEST_TICK_MS 10
uint32_t guest_ticks(void);

/* ---- virtio-mmio driver core (virtio.c) ---- */

#define QSIZE 8
#define VDEV_QUEUES 4

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4

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
	uint64_t base; /* the device's registers */
	uint32_t index;
	struct vring_desc desc[QSIZE] __attribute__((aligned(16)));
	struct vring_avail avail __attribute__((aligned(4)));
	struct vring_used used __attribute__((aligned(4)));
	uint16_t next_avail;
	uint16_t seen_used; /* used entries vq_next_used() returned */
};

struct vdev {
	uint64_t base;
	unsigned slot;
	uint32_t device_id;
	unsigned nqueues;
	struct vq q[VDEV_QUEUES];
};

/* Register offsets (virtio-mmio v2). */
#define VIRTIO_REG_STATUS 0x70
#define VIRTIO_REG_CONFIG 0x100
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_NEEDS_RESET 0x40

/* Resets the device and sets it up with nqueues queues of QSIZE and the
 * feature bits `features` (VIRTIO_F_VERSION_1 added): 0, or -2 if it
 * refuses them or offers too small a queue. */
int virtio_setup(struct vdev *d, unsigned nqueues, uint64_t features);

/* Descriptor i of q: one buffer, chained to i + 1 if flags has NEXT. */
void vq_set_desc(struct vq *q, int i, void *addr, uint32_t len, uint16_t flags);

/* Makes the chain at descriptor `head` available and notifies. */
void vq_post(struct vq *q, uint16_t head);

/* The next used entry's id and length: 1, or 0 if the device has used
 * nothing more. */
int vq_next_used(struct vq *q, uint32_t *id, uint32_t *len);

/* Waits (hlt, woken by interrupts and the timer) until q has a used entry
 * not yet returned, at most `ms`: 1 and the entry, 0 on timeout. */
int vq_wait_used(struct vq *q, uint32_t ms, uint32_t *id, uint32_t *len);

/* Posts the chain at descriptor 0, waits for it (5 s) and returns the
 * length the device wrote; fails with `code` on timeout. */
uint32_t vq_submit(struct vq *q, enum failure code);

/* Sends the demo chain (GUEST_DEMO_MAGIC) on queue q; never returns: the
 * VMM ends the VM. */
__attribute__((noreturn)) void virtio_demo(struct vdev *d, unsigned q);

/* The malformed-queue attacks every device must refuse (on queue q, which
 * the device serves when notified): returns how many were refused; fails
 * with FAIL_HOSTILE if one is accepted.  The device is reset and set up
 * again afterwards (nqueues, features). */
unsigned virtio_attack(struct vdev *d, unsigned q, unsigned nqueues, uint64_t features);

/* ---- device drivers ---- */

struct guest_driver {
	const char *name;   /* "virtio-blk" */
	uint32_t device_id; /* virtio device ID */
	unsigned nqueues;
	uint64_t features;    /* what the driver asks for (VERSION_1 is added) */
	unsigned serve_queue; /* a queue the device serves when notified */
	/* Drives the set-up device and says what it saw; fails on a wrong
	 * answer.  Runs again after the attacks (--guest-hostile). */
	void (*test)(struct vdev *d, const volatile struct guest_boot_info *bi);
	/* Device-specific malformed requests (--guest-hostile; may be NULL):
	 * how many were refused. */
	unsigned (*hostile)(struct vdev *d, const volatile struct guest_boot_info *bi);
};

extern const struct guest_driver blk_driver, rng_driver;
extern const struct guest_driver net_driver;
extern const struct guest_driver console_driver;
extern const struct guest_driver balloon_driver;
extern const struct guest_driver vsock_driver;

#endif
