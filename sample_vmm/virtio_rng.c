/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-rng (entropy, device ID 4): fills the guest's buffers with
 * getrandom(2).  Always present. */
#include "device.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
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

static void rng_run(struct virtio_mmio *dev, const struct pollfd *fds, unsigned nfds)
{
	(void)fds;
	(void)nfds;
	virtio_queue_serve(dev, 0, rng_request);
}

static const struct virtio_ops rng_ops = { .nqueues = 1, .run = rng_run };

static int rng_create(struct device *d, struct vm *vm, char *err, size_t errlen)
{
	int rc;

	d->mmio = calloc(1, sizeof(*d->mmio));
	if (!d->mmio) {
		snprintf(err, errlen, "virtio-rng: out of memory");
		return -ENOMEM;
	}
	rc = device_mmio_init(d, vm, 0, &rng_ops, NULL, err, errlen);
	if (rc < 0) {
		free(d->mmio);
		d->mmio = NULL;
	}
	return rc;
}

static void rng_destroy(struct device *d)
{
	virtio_mmio_free(d->mmio);
	free(d->mmio);
	d->mmio = NULL;
}

const struct device_type virtio_rng_type = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.role = VMM_SECCOMP_ROLE_VIRTIO_RNG,
	.always = true,
	.create = rng_create,
	.destroy = rng_destroy,
};
