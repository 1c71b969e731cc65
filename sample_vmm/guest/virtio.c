/* SPDX-License-Identifier: Apache-2.0 */
/* The default guest's virtio-mmio driver core: set-up, split virtqueues
 * of QSIZE, the demo chain and the attacks every device must refuse. */
#include "guest.h"

#define VERSION_1 (1ULL << 32)

static void select_queue(struct vdev *d, unsigned i)
{
	wr32(d->base + 0x30, i);
}

int virtio_setup(struct vdev *d, unsigned nqueues, uint64_t features)
{
	uint64_t base = d->base;

	features |= VERSION_1;
	wr32(base + VIRTIO_REG_STATUS, 0);
	wr32(base + VIRTIO_REG_STATUS, ST_ACK | ST_DRIVER);
	wr32(base + 0x14, 1);
	if (!(rd32(base + 0x10) & 1)) /* VIRTIO_F_VERSION_1 */
		return -2;
	wr32(base + 0x24, 1);
	wr32(base + 0x20, (uint32_t)(features >> 32));
	wr32(base + 0x24, 0);
	wr32(base + 0x20, (uint32_t)features);
	wr32(base + VIRTIO_REG_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(rd32(base + VIRTIO_REG_STATUS) & ST_FEATURES_OK))
		return -2;
	d->nqueues = nqueues;
	for (unsigned i = 0; i < nqueues; i++) {
		struct vq *q = &d->q[i];

		q->base = base;
		q->index = i;
		q->next_avail = 0;
		q->seen_used = 0;
		memset(q->desc, 0, sizeof(q->desc));
		memset(&q->avail, 0, sizeof(q->avail));
		memset(&q->used, 0, sizeof(q->used));
		select_queue(d, i);
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
	}
	wr32(base + VIRTIO_REG_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	return 0;
}

void vq_set_desc(struct vq *q, int i, void *addr, uint32_t len, uint16_t flags)
{
	q->desc[i].addr = (uint64_t)addr;
	q->desc[i].len = len;
	q->desc[i].flags = flags;
	q->desc[i].next = (uint16_t)(i + 1);
}

void vq_post(struct vq *q, uint16_t head)
{
	q->avail.ring[q->next_avail % QSIZE] = head;
	q->next_avail++;
	barrier();
	q->avail.idx = q->next_avail;
	barrier();
	wr32(q->base + 0x50, q->index);
}

int vq_next_used(struct vq *q, uint32_t *id, uint32_t *len)
{
	if (*(volatile uint16_t *)&q->used.idx == q->seen_used)
		return 0;
	barrier();
	if (id)
		*id = q->used.ring[q->seen_used % QSIZE].id;
	if (len)
		*len = q->used.ring[q->seen_used % QSIZE].len;
	q->seen_used++;
	return 1;
}

int vq_wait_used(struct vq *q, uint32_t ms, uint32_t *id, uint32_t *len)
{
	uint32_t start = guest_ticks();

	for (;;) {
		__asm__ volatile("cli" : : : "memory");
		if (*(volatile uint16_t *)&q->used.idx != q->seen_used)
			break;
		if ((guest_ticks() - start) * GUEST_TICK_MS > ms) {
			__asm__ volatile("sti" : : : "memory");
			return 0;
		}
		/* sti's shadow makes "sti; hlt" atomic: no wake-up is lost. */
		__asm__ volatile("sti; hlt" : : : "memory");
	}
	__asm__ volatile("sti" : : : "memory");
	return vq_next_used(q, id, len);
}

uint32_t vq_submit(struct vq *q, enum failure code)
{
	uint32_t len;

	vq_post(q, 0);
	if (!vq_wait_used(q, 5000, 0, &len))
		fail(code, "a request was not completed within 5 s");
	return len;
}

void virtio_demo(struct vdev *d, unsigned qi)
{
	static char magic[] = GUEST_DEMO_MAGIC;
	struct vq *q = &d->q[qi];

	vq_set_desc(q, 0, magic, sizeof(magic) - 1, 0);
	vq_post(q, 0);
	/* the VMM ends the VM; if it completes the chain instead, that fails */
	if (vq_wait_used(q, 10000, 0, 0))
		fail(FAIL_DEMO, "demo: the VMM completed the demo chain");
	fail(FAIL_DEMO, "demo: the VMM did not end the VM");
}

/* Posts descriptor 0 with avail.idx moved by `step`; 0 once the device has
 * declared itself broken (DEVICE_NEEDS_RESET), -1 if it does not within a
 * second. */
static int post_expect_reset(struct vq *q, uint16_t step)
{
	uint32_t start = guest_ticks();

	q->avail.ring[q->next_avail % QSIZE] = 0;
	q->next_avail = (uint16_t)(q->next_avail + step);
	barrier();
	q->avail.idx = q->next_avail;
	barrier();
	wr32(q->base + 0x50, q->index);
	while ((guest_ticks() - start) * GUEST_TICK_MS < 1000)
		if (rd32(q->base + VIRTIO_REG_STATUS) & ST_NEEDS_RESET)
			return 0;
	return -1;
}

static void again(struct vdev *d, unsigned nqueues, uint64_t features, const char *what)
{
	if (virtio_setup(d, nqueues, features) != 0)
		fail(FAIL_HOSTILE, what);
}

unsigned virtio_attack(struct vdev *d, unsigned qi, unsigned nqueues, uint64_t features)
{
	const volatile struct guest_boot_info *bi = (const void *)GUEST_BOOT_INFO;
	static uint8_t buf[16];
	struct vq *q = &d->q[qi];
	uint64_t mem = bi->mem_size;
	unsigned n = 0;

	/* 1: a buffer crossing the end of guest memory. */
	vq_set_desc(q, 0, buf, sizeof(buf), 0);
	q->desc[0].addr = mem - 8;
	if (post_expect_reset(q, 1))
		fail(FAIL_HOSTILE, "hostile: buffer past the end of memory accepted");
	again(d, nqueues, features, "hostile: reset 1");
	n++;
	/* 2: an address + length that wraps around 2^64. */
	vq_set_desc(q, 0, (void *)0xfffffffffffff000ULL, 0x2000, 0);
	if (post_expect_reset(q, 1))
		fail(FAIL_HOSTILE, "hostile: wrapping buffer accepted");
	again(d, nqueues, features, "hostile: reset 2");
	n++;
	/* 3: a descriptor chain that loops on itself. */
	vq_set_desc(q, 0, buf, sizeof(buf), VRING_DESC_F_NEXT);
	q->desc[0].next = 0;
	if (post_expect_reset(q, 1))
		fail(FAIL_HOSTILE, "hostile: looping chain accepted");
	again(d, nqueues, features, "hostile: reset 3");
	n++;
	/* 4: a next index beyond the queue. */
	vq_set_desc(q, 0, buf, sizeof(buf), VRING_DESC_F_NEXT);
	q->desc[0].next = 200;
	if (post_expect_reset(q, 1))
		fail(FAIL_HOSTILE, "hostile: out-of-range next accepted");
	again(d, nqueues, features, "hostile: reset 4");
	n++;
	/* 5: an indirect table, never negotiated. */
	vq_set_desc(q, 0, buf, 16, VRING_DESC_F_INDIRECT);
	if (post_expect_reset(q, 1))
		fail(FAIL_HOSTILE, "hostile: indirect descriptor accepted");
	again(d, nqueues, features, "hostile: reset 5");
	n++;
	/* 6: the available index running far ahead of the ring. */
	vq_set_desc(q, 0, buf, sizeof(buf), 0);
	if (post_expect_reset(q, 1000))
		fail(FAIL_HOSTILE, "hostile: runaway available index accepted");
	again(d, nqueues, features, "hostile: reset 6");
	n++;
	/* 7: a descriptor table outside guest memory. */
	wr32(d->base + VIRTIO_REG_STATUS, 0);
	wr32(d->base + VIRTIO_REG_STATUS, ST_ACK | ST_DRIVER);
	wr32(d->base + 0x24, 1);
	wr32(d->base + 0x20, 1);
	wr32(d->base + VIRTIO_REG_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	select_queue(d, qi);
	wr32(d->base + 0x38, QSIZE);
	wr32(d->base + 0x80, (uint32_t)mem);
	wr32(d->base + 0x84, (uint32_t)(mem >> 32));
	wr32(d->base + 0x44, 1);
	if (!(rd32(d->base + VIRTIO_REG_STATUS) & ST_NEEDS_RESET) || rd32(d->base + 0x44))
		fail(FAIL_HOSTILE, "hostile: queue outside memory accepted");
	again(d, nqueues, features, "hostile: reset 7");
	n++;
	return n;
}
