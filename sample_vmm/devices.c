/* SPDX-License-Identifier: Apache-2.0 */
/* The device registry: one line of DEVICE_LIST per device.  The order is
 * the MMIO slot order (slot N at VIRTIO_MMIO_SLOT_BASE(N), GSI
 * VIRTIO_MMIO_SLOT_GSI(N)): append, so that existing devices keep their
 * addresses. */
#include "device.h"

#include "guest/abi.h"

#include <string.h>

#define DEVICE_LIST(X)    \
	X(virtio_blk)     \
	X(virtio_rng)     \
	X(virtio_net)     \
	X(virtio_console) \
	X(virtio_balloon) \
	X(virtio_vsock)

#define DECLARE(t) extern const struct device_type t##_type;
#define ENTRY(t) &t##_type,
DEVICE_LIST(DECLARE)
const struct device_type *const device_types[] = { DEVICE_LIST(ENTRY) NULL };

_Static_assert(sizeof(device_types) / sizeof(device_types[0]) - 1 <= VIRTIO_MMIO_SLOTS,
	       "more devices than MMIO slots");

const struct device_type *device_type_find(const char *name)
{
	for (unsigned i = 0; device_types[i]; i++)
		if (!strcmp(device_types[i]->name, name))
			return device_types[i];
	return NULL;
}

int device_mmio_init(struct device *d, struct vm *vm, uint64_t features,
		     const struct virtio_ops *ops, void *priv, char *err, size_t errlen)
{
	return virtio_mmio_init(d->mmio, vm, d->type->name, VIRTIO_MMIO_SLOT_BASE(d->slot),
				VIRTIO_MMIO_SLOT_GSI(d->slot), d->type->device_id, features, ops,
				priv, err, errlen);
}
