/* SPDX-License-Identifier: Apache-2.0 */
/* The default guest's virtio-rng driver: asks for 32 random bytes. */
#include "guest.h"

static uint8_t rng_buf[32];

static void rng_test(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	struct vq *q = &d->q[0];
	unsigned i, nonzero = 0;
	uint32_t got;

	(void)bi;
	memset(rng_buf, 0, sizeof(rng_buf));
	vq_set_desc(q, 0, rng_buf, sizeof(rng_buf), VRING_DESC_F_WRITE);
	got = vq_submit(q, FAIL_RNG);
	for (i = 0; i < sizeof(rng_buf); i++)
		nonzero |= rng_buf[i];
	if (got != sizeof(rng_buf) || !nonzero)
		fail(FAIL_RNG, "virtio-rng: no random bytes");
	say("virtio-rng: ", got, 1, " bytes");
}

const struct guest_driver rng_driver = {
	.name = "virtio-rng",
	.device_id = 4,
	.nqueues = 1,
	.serve_queue = 0,
	.test = rng_test,
};
