/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_rng.h"

#include "guest/abi.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <sys/random.h>

static uint32_t rng_request(struct virtio_mmio *dev, const struct virtio_chain *c)
{
	uint32_t written = 0;

	(void)dev;
	for (unsigned i = 0; i < c->n; i++) {
		uint32_t off = 0;

		if (!c->buf[i].writable)
			continue;
		while (off < c->buf[i].len) {
			ssize_t n = getrandom(c->buf[i].p + off, c->buf[i].len - off, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return written;
			off += (uint32_t)n;
			written += (uint32_t)n;
		}
	}
	return written;
}

int virtio_rng_init(struct virtio_rng *rng, struct vm *vm, char *err, size_t errlen)
{
	return virtio_mmio_init(&rng->dev, vm, "virtio-rng", VIRTIO_RNG_BASE, VIRTIO_RNG_GSI,
				VIRTIO_ID_RNG, 0, rng_request, rng, err, errlen);
}

void virtio_rng_free(struct virtio_rng *rng)
{
	virtio_mmio_free(&rng->dev);
}
