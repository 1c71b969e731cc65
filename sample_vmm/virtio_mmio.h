/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-mmio transport (virtio 1.x, "Virtio Over MMIO", register
 * layout version 2) with one split virtqueue per device.
 *
 * Threads: the vCPU threads call virtio_mmio_access() for the registers;
 * the device's own thread runs virtio_mmio_thread(), woken by the
 * ioeventfd on QueueNotify, and calls the device's request handler for
 * each descriptor chain.  Both hold dev->lock.
 *
 * Every address and length the guest gives is checked against guest
 * memory; a malformed queue marks the device DEVICE_NEEDS_RESET and it
 * does nothing more until the driver resets it.
 */
#ifndef SAMPLE_VMM_VIRTIO_MMIO_H
#define SAMPLE_VMM_VIRTIO_MMIO_H

#include "memory.h"
#include "vm.h"

#include <linux/virtio_ring.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_QUEUE_MAX 256
#define VIRTIO_CHAIN_MAX 16

struct virtio_buf {
	uint8_t *p; /* host address, checked */
	uint32_t len;
	bool writable; /* device-writable */
};

struct virtio_chain {
	uint16_t head;
	unsigned n;
	struct virtio_buf buf[VIRTIO_CHAIN_MAX];
};

struct virtio_queue {
	uint32_t num;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Host views of the rings, set when the driver makes the queue ready
	 * and only after they were checked to lie in guest memory. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;
	uint16_t used_idx;
};

struct virtio_mmio;

/* Handles one request; returns how many bytes it wrote into the chain's
 * device-writable buffers, or VIRTIO_REQUEST_ABANDON: the request is never
 * completed and the device stops (it is beyond help).  Called on the
 * device thread, lock held. */
#define VIRTIO_REQUEST_ABANDON UINT32_MAX
typedef uint32_t (*virtio_request_fn)(struct virtio_mmio *dev, const struct virtio_chain *c);

struct virtio_mmio {
	const char *name;
	uint64_t base;
	uint32_t gsi;
	uint32_t device_id;
	uint64_t device_features;
	uint64_t driver_features;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	uint32_t status, isr, config_gen;
	struct virtio_queue vq;
	uint8_t config[64];
	uint32_t config_len;
	int notify_fd; /* ioeventfd on QueueNotify */
	int irq_fd;    /* irqfd of gsi */
	int stop_fd;   /* the VMM asks the thread to end */
	pthread_mutex_t lock;
	const struct guest_mem *mem;
	virtio_request_fn request;
	void *priv;
};

/* Sets up the transport and its eventfds, and registers the ioeventfd and
 * the irqfd with the VM.  Features must include VIRTIO_F_VERSION_1.  0 or
 * -errno with a message in err; on error nothing is left open. */
int virtio_mmio_init(struct virtio_mmio *dev, struct vm *vm, const char *name, uint64_t base,
		     uint32_t gsi, uint32_t device_id, uint64_t features, virtio_request_fn request,
		     void *priv, char *err, size_t errlen);

/* Closes the eventfds (after the device thread was joined). */
void virtio_mmio_free(struct virtio_mmio *dev);

/* A guest access at base + offset; is the address ours?  (vCPU thread) */
bool virtio_mmio_owns(const struct virtio_mmio *dev, uint64_t addr);
void virtio_mmio_access(struct virtio_mmio *dev, uint64_t offset, uint8_t *data, uint32_t len,
			bool is_write);

/* The device thread's body (argument: the device). */
void *virtio_mmio_thread(void *dev);

/* Makes virtio_mmio_thread() return (any thread). */
void virtio_mmio_stop(struct virtio_mmio *dev);

#endif
