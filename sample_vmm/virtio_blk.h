/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk (device ID 2) on a disk image opened before the threads start:
 * IN, OUT, FLUSH, GET_ID; read-only images report VIRTIO_BLK_F_RO. */
#ifndef SAMPLE_VMM_VIRTIO_BLK_H
#define SAMPLE_VMM_VIRTIO_BLK_H

#include "virtio_mmio.h"

#include <stdbool.h>
#include <stdint.h>

struct vmm;

struct virtio_blk {
	struct virtio_mmio dev;
	struct vmm *vmm;
	int fd;
	bool read_only;
	uint64_t sectors;
};

/* Opens `path` (read-only if read_only) and sets the device up at
 * VIRTIO_BLK_BASE, GSI VIRTIO_BLK_GSI.  0 or -errno with a message naming
 * the file in err. */
int virtio_blk_init(struct virtio_blk *blk, struct vmm *vmm, const char *path, bool read_only,
		    char *err, size_t errlen);

void virtio_blk_free(struct virtio_blk *blk);

#endif
