/* SPDX-License-Identifier: Apache-2.0 */
/* The default guest's virtio-balloon driver: fills a few pages with a
 * pattern, inflates them, and checks they read back as zeros (the host
 * really discarded them), then deflates them. */
#include "guest.h"

#define BALLOON_PAGES 4
#define PAGE 4096
#define WORDS (PAGE / 4)

static uint32_t pages[BALLOON_PAGES][WORDS] __attribute__((aligned(PAGE)));
static uint32_t pfns[BALLOON_PAGES];

static void balloon_test(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	struct vq *inflate = &d->q[0], *deflate = &d->q[1];
	const volatile uint32_t *w = &pages[0][0];

	(void)bi;
	say("virtio-balloon: target ", rd32(d->base + VIRTIO_REG_CONFIG), 1, " pages");
	for (unsigned p = 0; p < BALLOON_PAGES; p++) {
		for (unsigned i = 0; i < WORDS; i++)
			pages[p][i] = 0x5a5a0000u | (p << 12) | i;
		pfns[p] = (uint32_t)((uint64_t)pages[p] / PAGE);
	}
	vq_set_desc(inflate, 0, pfns, sizeof(pfns), 0);
	vq_submit(inflate, FAIL_BALLOON);
	wr32(d->base + VIRTIO_REG_CONFIG + 4, BALLOON_PAGES); /* actual */
	for (unsigned i = 0; i < BALLOON_PAGES * WORDS; i++)
		if (w[i])
			fail(FAIL_BALLOON, "virtio-balloon: an inflated page kept its data");
	vq_set_desc(deflate, 0, pfns, sizeof(pfns), 0);
	vq_submit(deflate, FAIL_BALLOON);
	wr32(d->base + VIRTIO_REG_CONFIG + 4, 0);
	say("virtio-balloon: inflated ", BALLOON_PAGES, 1, " pages, read back as zero");
}

/* Requests a well-formed queue carries that the device must not honour. */
static unsigned balloon_hostile(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	static uint32_t bad[2];
	struct vq *inflate = &d->q[0];
	uint32_t target = rd32(d->base + VIRTIO_REG_CONFIG);

	/* 1: pages beyond guest memory: skipped, the device goes on */
	bad[0] = (uint32_t)(bi->mem_size / PAGE);
	bad[1] = 0xffffffffu;
	vq_set_desc(inflate, 0, bad, sizeof(bad), 0);
	vq_submit(inflate, FAIL_HOSTILE);
	if (rd32(d->base + VIRTIO_REG_STATUS) & ST_NEEDS_RESET)
		fail(FAIL_HOSTILE, "hostile: virtio-balloon broke on a bad PFN");
	/* 2: num_pages is the device's: a write changes nothing */
	wr32(d->base + VIRTIO_REG_CONFIG, ~target);
	if (rd32(d->base + VIRTIO_REG_CONFIG) != target)
		fail(FAIL_HOSTILE, "hostile: virtio-balloon took a write to num_pages");
	return 2;
}

const struct guest_driver balloon_driver = {
	.name = "virtio-balloon",
	.device_id = 5,
	.nqueues = 2,
	.serve_queue = 0,
	.test = balloon_test,
	.hostile = balloon_hostile,
};
