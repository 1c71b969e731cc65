/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-rng (entropy, device ID 4): fills the guest's buffers with
 * getrandom(2). */
#ifndef SAMPLE_VMM_VIRTIO_RNG_H
#define SAMPLE_VMM_VIRTIO_RNG_H

#include "virtio_mmio.h"

struct virtio_rng {
	struct virtio_mmio dev;
};

/* At VIRTIO_RNG_BASE, GSI VIRTIO_RNG_GSI.  0 or -errno, message in err. */
int virtio_rng_init(struct virtio_rng *rng, struct vm *vm, char *err, size_t errlen);

void virtio_rng_free(struct virtio_rng *rng);

#endif
