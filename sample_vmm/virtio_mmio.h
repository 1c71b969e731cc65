/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-mmio transport (virtio 1.x, "Virtio Over MMIO", register
 * layout version 2) with up to VIRTIO_QUEUES_MAX split virtqueues per
 * device.
 *
 * Threads: the vCPU threads call virtio_mmio_access() for the registers;
 * the device's own thread runs virtio_mmio_thread(): it waits on the
 * ioeventfd of QueueNotify and on the host descriptors the device names
 * (ops->poll_fds), and after each wake-up lets the device work
 * (ops->run).  Both hold dev->lock.
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
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_QUEUE_MAX 256 /* QueueNumMax of every queue */
#define VIRTIO_QUEUES_MAX 4  /* virtqueues per device */
#define VIRTIO_CHAIN_MAX 16  /* buffers per descriptor chain */
#define VIRTIO_POLL_MAX 64   /* host descriptors a device thread waits on */
#define VIRTIO_CONFIG_MAX 64 /* bytes of device configuration space */

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

/* What a device does; the transport calls each with dev->lock held, on
 * the device thread unless said otherwise. */
struct virtio_ops {
	unsigned nqueues; /* 1 to VIRTIO_QUEUES_MAX */
	/* Before each wait: the host descriptors to wait on as well (at most
	 * max), with the events wanted; returns how many.  May be NULL. */
	unsigned (*poll_fds)(struct virtio_mmio *dev, struct pollfd *fds, unsigned max);
	/* After each wake-up (a queue notify, a host descriptor, or the first
	 * time round): process what can be.  fds are those poll_fds() filled,
	 * with their revents.  Does nothing useful while
	 * !virtio_mmio_running(). */
	void (*run)(struct virtio_mmio *dev, const struct pollfd *fds, unsigned nfds);
	/* The driver reset the device (vCPU thread): forget what the queues
	 * held.  May be NULL. */
	void (*reset)(struct virtio_mmio *dev);
	/* The driver wrote configuration space (vCPU thread; the bytes are in
	 * dev->config already).  May be NULL: configuration is read-only. */
	void (*config_write)(struct virtio_mmio *dev, uint32_t offset, uint32_t len);
};

/* Handles one request popped from a queue: returns how many bytes it wrote
 * into the chain's device-writable buffers, or VIRTIO_REQUEST_ABANDON: the
 * request is never completed and the device stops (it is beyond help). */
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
	struct virtio_queue vq[VIRTIO_QUEUES_MAX];
	uint8_t config[VIRTIO_CONFIG_MAX];
	uint32_t config_len;
	int notify_fd;	     /* ioeventfd on QueueNotify */
	int irq_fd;	     /* irqfd of gsi */
	int stop_fd;	     /* the VMM asks the thread to end */
	bool used;	     /* buffers were used since the last interrupt */
	bool abandoned;	     /* VIRTIO_REQUEST_ABANDON: the device does nothing more */
	uint32_t generation; /* moves on at each reset: see virtio_queue_complete() */
	pthread_mutex_t lock;
	const struct guest_mem *mem;
	const struct virtio_ops *ops;
	void *priv; /* the device's state */
	/* --demo-exploit: set by the VMM before the thread starts.  A chain
	 * whose first buffer starts with GUEST_DEMO_MAGIC makes the device
	 * thread call it, as if the guest had taken it over. */
	void (*compromised)(struct virtio_mmio *dev, void *arg);
	void *compromised_arg;
};

/* Sets up the transport and its eventfds, and registers the ioeventfd and
 * the irqfd with the VM (none for a VM without a descriptor, vm_fd < 0:
 * the fuzz targets drive a device without KVM).  Features must include
 * VIRTIO_F_VERSION_1 (added).  Borrows name, ops and priv.  0 or -errno with
 * a message in err; on error nothing is left open. */
int virtio_mmio_init(struct virtio_mmio *dev, struct vm *vm, const char *name, uint64_t base,
		     uint32_t gsi, uint32_t device_id, uint64_t features,
		     const struct virtio_ops *ops, void *priv, char *err, size_t errlen);

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

/* One wake-up of the device thread without waiting: ops->run over fds
 * (as poll returned them), then the interrupt if buffers were used.  What
 * virtio_mmio_thread() does after each poll; the fuzz targets call it. */
void virtio_mmio_wake(struct virtio_mmio *dev, const struct pollfd *fds, unsigned nfds);

/* ---- for the devices (lock held) ---- */

/* The driver set DRIVER_OK, the device is not broken and queue q is ready. */
bool virtio_queue_running(const struct virtio_mmio *dev, unsigned q);

/* Queue q has a chain the device has not taken. */
bool virtio_queue_has_chain(const struct virtio_mmio *dev, unsigned q);

/* Takes the next chain of queue q: 1 and *c, 0 when there is none or the
 * queue is not running, -1 when the driver broke the queue (the device then
 * needs a reset and does nothing more). */
int virtio_queue_pop(struct virtio_mmio *dev, unsigned q, struct virtio_chain *c);

/* Gives chain `head` back to the driver with `written` bytes in it; the
 * interrupt follows after ops->run. */
void virtio_queue_push(struct virtio_mmio *dev, unsigned q, uint16_t head, uint32_t written);

/* From any thread, lock NOT held: gives chain `head` of queue q back with
 * `written` bytes and raises the interrupt, unless the driver reset the
 * device since the chain was popped (dev->generation then differs from
 * `generation`, read when it was): that chain is gone. */
void virtio_queue_complete(struct virtio_mmio *dev, unsigned q, uint16_t head, uint32_t written,
			   uint32_t generation);

/* Pops and pushes every chain of queue q through fn (a device whose
 * requests are answered at once: blk, rng, a transmit queue).  Returns how
 * many it completed. */
unsigned virtio_queue_serve(struct virtio_mmio *dev, unsigned q, virtio_request_fn fn);

/* The driver broke the protocol in a way only the device can see: stop
 * using the queues until it resets (`why` goes to stderr). */
void virtio_mmio_broken(struct virtio_mmio *dev, const char *why);

/* Raises the configuration-change interrupt (config_gen moves on). */
void virtio_mmio_config_changed(struct virtio_mmio *dev);

/* A chain's driver-readable bytes from offset `off` (counted over those
 * buffers only) copied into dst, at most len: returns how many.  And src
 * copied into its device-writable bytes from offset `off` (counted over
 * those only): returns how many fitted. */
uint32_t virtio_chain_read(const struct virtio_chain *c, uint32_t off, void *dst, uint32_t len);
uint32_t virtio_chain_write(const struct virtio_chain *c, uint32_t off, const void *src,
			    uint32_t len);

/* Bytes of a chain's driver-readable (writable false) or device-writable
 * buffers. */
uint32_t virtio_chain_size(const struct virtio_chain *c, bool writable);

#endif
