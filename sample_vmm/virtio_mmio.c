/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_mmio.h"

#include "guest/abi.h"

#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define VIRTIO_MMIO_MAGIC 0x74726976
#define VIRTIO_MMIO_VENDOR 0x4d4d5653 /* "SVMM" */
#define VIRTIO_MMIO_CONFIG 0x100

static int fail(char *err, size_t errlen, const char *name, const char *what)
{
	int e = errno;

	snprintf(err, errlen, "%s: %s: %s", name, what, strerror(e));
	return -e;
}

int virtio_mmio_init(struct virtio_mmio *dev, struct vm *vm, const char *name, uint64_t base,
		     uint32_t gsi, uint32_t device_id, uint64_t features,
		     const struct virtio_ops *ops, void *priv, char *err, size_t errlen)
{
	int rc;

	memset(dev, 0, sizeof(*dev));
	dev->name = name;
	dev->base = base;
	dev->gsi = gsi;
	dev->device_id = device_id;
	dev->device_features = features | (1ULL << VIRTIO_F_VERSION_1);
	dev->mem = &vm->mem;
	dev->ops = ops;
	dev->priv = priv;
	pthread_mutex_init(&dev->lock, NULL);
	dev->notify_fd = eventfd(0, EFD_CLOEXEC);
	if (dev->notify_fd < 0)
		return fail(err, errlen, name, "eventfd");
	dev->irq_fd = eventfd(0, EFD_CLOEXEC);
	if (dev->irq_fd < 0) {
		rc = fail(err, errlen, name, "eventfd");
		goto err_close_notify;
	}
	dev->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (dev->stop_fd < 0) {
		rc = fail(err, errlen, name, "eventfd");
		goto err_close_irq;
	}
	if (vm->vm_fd < 0)
		return 0;
	rc = vm_add_ioeventfd(vm, base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, dev->notify_fd, err, errlen);
	if (rc < 0)
		goto err_close_stop;
	rc = vm_add_irqfd(vm, gsi, dev->irq_fd, err, errlen);
	if (rc < 0)
		goto err_close_stop;
	return 0;

err_close_stop:
	close(dev->stop_fd);
err_close_irq:
	close(dev->irq_fd);
err_close_notify:
	close(dev->notify_fd);
	dev->notify_fd = dev->irq_fd = dev->stop_fd = -1;
	return rc;
}

void virtio_mmio_free(struct virtio_mmio *dev)
{
	close(dev->notify_fd);
	close(dev->irq_fd);
	close(dev->stop_fd);
	dev->notify_fd = dev->irq_fd = dev->stop_fd = -1;
	pthread_mutex_destroy(&dev->lock);
}

bool virtio_mmio_owns(const struct virtio_mmio *dev, uint64_t addr)
{
	return dev->name && addr >= dev->base && addr - dev->base < 0x1000;
}

static void reset(struct virtio_mmio *dev)
{
	dev->status = 0;
	dev->isr = 0;
	dev->driver_features = 0;
	dev->dev_feat_sel = dev->drv_feat_sel = dev->queue_sel = 0;
	dev->used = false;
	dev->generation++;
	memset(dev->vq, 0, sizeof(dev->vq));
	if (dev->ops->reset)
		dev->ops->reset(dev);
}

static void raise_irq(struct virtio_mmio *dev, uint32_t why)
{
	uint64_t one = 1;

	dev->isr |= why;
	if (write(dev->irq_fd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "sample-vmm: %s: irqfd: %s\n", dev->name, strerror(errno));
}

/* The driver broke the protocol: stop using the queue until it resets. */
void virtio_mmio_broken(struct virtio_mmio *dev, const char *why)
{
	if (dev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	fprintf(stderr, "sample-vmm: %s: %s; device needs reset\n", dev->name, why);
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	raise_irq(dev, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_mmio_config_changed(struct virtio_mmio *dev)
{
	dev->config_gen++;
	raise_irq(dev, VIRTIO_MMIO_INT_CONFIG);
}

/* The queue QueueSel names, NULL if the device has no such queue. */
static struct virtio_queue *selected(struct virtio_mmio *dev)
{
	return dev->queue_sel < dev->ops->nqueues ? &dev->vq[dev->queue_sel] : NULL;
}

static void queue_ready(struct virtio_mmio *dev, struct virtio_queue *q)
{
	uint64_t n = q->num;

	if (n == 0) {
		virtio_mmio_broken(dev, "queue made ready with QueueNum 0");
		return;
	}
	q->desc = guest_ptr(dev->mem, q->desc_gpa, 16 * n);
	q->avail = guest_ptr(dev->mem, q->avail_gpa, 6 + 2 * n);
	q->used = guest_ptr(dev->mem, q->used_gpa, 6 + 8 * n);
	if (!q->desc || !q->avail || !q->used || (q->desc_gpa & 15) || (q->avail_gpa & 1) ||
	    (q->used_gpa & 3)) {
		q->desc = NULL;
		q->avail = NULL;
		q->used = NULL;
		virtio_mmio_broken(dev, "virtqueue outside guest memory or misaligned");
		return;
	}
	q->ready = true;
	q->last_avail = 0;
	q->used_idx = 0;
}

static void set_status(struct virtio_mmio *dev, uint32_t v)
{
	if (v == 0) {
		reset(dev);
		return;
	}
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(dev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* Refusing FEATURES_OK: the driver reads it back and gives up. */
		if ((dev->driver_features & ~dev->device_features) ||
		    !(dev->driver_features & (1ULL << VIRTIO_F_VERSION_1)))
			v &= ~(uint32_t)VIRTIO_CONFIG_S_FEATURES_OK;
	}
	dev->status = v | (dev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void set_addr(uint64_t *a, uint32_t v, bool high)
{
	if (high)
		*a = (*a & 0xffffffffULL) | ((uint64_t)v << 32);
	else
		*a = (*a & ~0xffffffffULL) | v;
}

static uint32_t reg_read(struct virtio_mmio *dev, uint64_t off)
{
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return dev->dev_feat_sel > 1
			       ? 0
			       : (uint32_t)(dev->device_features >> (32 * dev->dev_feat_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return selected(dev) ? VIRTIO_QUEUE_MAX : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return selected(dev) && selected(dev)->ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return dev->isr;
	case VIRTIO_MMIO_STATUS:
		return dev->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_gen;
	default:
		return 0;
	}
}

static void reg_write(struct virtio_mmio *dev, uint64_t off, uint32_t v)
{
	struct virtio_queue *q = selected(dev);
	bool has_q = q != NULL;
	uint64_t one = 1;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		dev->dev_feat_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (dev->drv_feat_sel <= 1 && !(dev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
			unsigned shift = 32 * dev->drv_feat_sel;

			dev->driver_features &= ~(0xffffffffULL << shift);
			dev->driver_features |= (uint64_t)v << shift;
		}
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		dev->drv_feat_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (has_q && !q->ready && v <= VIRTIO_QUEUE_MAX)
			q->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!has_q)
			break;
		if (v && !q->ready)
			queue_ready(dev, q);
		else if (!v)
			q->ready = false;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Only a notify the ioeventfd did not catch (another width). */
		if (write(dev->notify_fd, &one, sizeof(one)) != sizeof(one))
			fprintf(stderr, "sample-vmm: %s: notify: %s\n", dev->name, strerror(errno));
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		dev->isr &= ~v;
		break;
	case VIRTIO_MMIO_STATUS:
		set_status(dev, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (has_q && !q->ready)
			set_addr(&q->desc_gpa, v, off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (has_q && !q->ready)
			set_addr(&q->avail_gpa, v, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (has_q && !q->ready)
			set_addr(&q->used_gpa, v, off == VIRTIO_MMIO_QUEUE_USED_HIGH);
		break;
	default:
		break;
	}
}

void virtio_mmio_access(struct virtio_mmio *dev, uint64_t offset, uint8_t *data, uint32_t len,
			bool is_write)
{
	pthread_mutex_lock(&dev->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		/* Configuration space, any width; writable where the device
		 * takes writes, within its length. */
		uint64_t c = offset - VIRTIO_MMIO_CONFIG;

		if (!is_write) {
			for (uint32_t i = 0; i < len; i++)
				data[i] = c + i < dev->config_len ? dev->config[c + i] : 0;
		} else if (dev->ops->config_write && len <= dev->config_len &&
			   c <= dev->config_len - len) {
			memcpy(dev->config + c, data, len);
			dev->ops->config_write(dev, (uint32_t)c, len);
		}
	} else if (len == 4 && !(offset & 3)) {
		uint32_t v;

		if (is_write) {
			memcpy(&v, data, 4);
			reg_write(dev, offset, v);
		} else {
			v = reg_read(dev, offset);
			memcpy(data, &v, 4);
		}
	} else if (!is_write) {
		/* Registers are 32-bit wide; other accesses read as 0. */
		memset(data, 0, len);
	}
	pthread_mutex_unlock(&dev->lock);
}

bool virtio_queue_running(const struct virtio_mmio *dev, unsigned q)
{
	return q < dev->ops->nqueues && (dev->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(dev->status & VIRTIO_CONFIG_S_NEEDS_RESET) && !dev->abandoned && dev->vq[q].ready;
}

bool virtio_queue_has_chain(const struct virtio_mmio *dev, unsigned q)
{
	return virtio_queue_running(dev, q) &&
	       __atomic_load_n(&dev->vq[q].avail->idx, __ATOMIC_ACQUIRE) != dev->vq[q].last_avail;
}

static bool is_demo(const struct virtio_mmio *dev, const struct virtio_chain *c)
{
	static const char magic[] = GUEST_DEMO_MAGIC;

	return dev->compromised && c->n >= 1 && c->buf[0].len >= sizeof(magic) - 1 &&
	       memcmp(c->buf[0].p, magic, sizeof(magic) - 1) == 0;
}

int virtio_queue_pop(struct virtio_mmio *dev, unsigned qi, struct virtio_chain *c)
{
	struct virtio_queue *q = &dev->vq[qi];
	uint16_t avail_idx, idx;

	if (!virtio_queue_running(dev, qi))
		return 0;
	avail_idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == q->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
		virtio_mmio_broken(dev, "available index ran ahead of the queue size");
		return -1;
	}
	idx = __atomic_load_n(&q->avail->ring[q->last_avail % q->num], __ATOMIC_RELAXED);
	c->head = idx;
	c->n = 0;
	for (;;) {
		struct vring_desc d;

		if (idx >= q->num) {
			virtio_mmio_broken(dev, "descriptor index out of range");
			return -1;
		}
		if (c->n == VIRTIO_CHAIN_MAX || c->n == q->num) {
			virtio_mmio_broken(dev, "descriptor chain too long or looping");
			return -1;
		}
		/* One copy: the guest may change the table while we look. */
		memcpy(&d, &q->desc[idx], sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			virtio_mmio_broken(dev, "indirect descriptor (not negotiated)");
			return -1;
		}
		c->buf[c->n].p = guest_ptr(dev->mem, d.addr, d.len);
		if (!c->buf[c->n].p) {
			virtio_mmio_broken(dev, "buffer outside guest memory");
			return -1;
		}
		c->buf[c->n].len = d.len;
		c->buf[c->n].writable = d.flags & VRING_DESC_F_WRITE;
		c->n++;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		idx = d.next;
	}
	q->last_avail++;
	if (is_demo(dev, c)) {
		/* never completed: the guest neither fails nor goes on */
		dev->compromised(dev, dev->compromised_arg);
		dev->abandoned = true;
		return -1;
	}
	return 1;
}

void virtio_queue_push(struct virtio_mmio *dev, unsigned qi, uint16_t head, uint32_t written)
{
	struct virtio_queue *q = &dev->vq[qi];
	struct vring_used_elem *e = &q->used->ring[q->used_idx % q->num];

	e->id = head;
	e->len = written;
	q->used_idx++;
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
	dev->used = true;
}

void virtio_queue_complete(struct virtio_mmio *dev, unsigned q, uint16_t head, uint32_t written,
			   uint32_t generation)
{
	pthread_mutex_lock(&dev->lock);
	if (dev->generation == generation && virtio_queue_running(dev, q)) {
		virtio_queue_push(dev, q, head, written);
		dev->used = false;
		raise_irq(dev, VIRTIO_MMIO_INT_VRING);
	}
	pthread_mutex_unlock(&dev->lock);
}

unsigned virtio_queue_serve(struct virtio_mmio *dev, unsigned q, virtio_request_fn fn)
{
	struct virtio_chain c;
	unsigned done = 0;

	while (virtio_queue_pop(dev, q, &c) > 0) {
		uint32_t written = fn(dev, &c);

		if (written == VIRTIO_REQUEST_ABANDON) {
			dev->abandoned = true;
			break;
		}
		virtio_queue_push(dev, q, c.head, written);
		done++;
	}
	return done;
}

uint32_t virtio_chain_size(const struct virtio_chain *c, bool writable)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < c->n; i++)
		if (c->buf[i].writable == writable)
			n += c->buf[i].len;
	return n;
}

/* Copies between buf and the chain's buffers of one direction, from
 * offset off over those. */
static uint32_t chain_copy(const struct virtio_chain *c, bool writable, uint32_t off, uint8_t *buf,
			   uint32_t len)
{
	uint32_t done = 0;

	for (unsigned i = 0; i < c->n && done < len; i++) {
		const struct virtio_buf *b = &c->buf[i];
		uint32_t n;

		if (b->writable != writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = b->len - off < len - done ? b->len - off : len - done;
		if (writable)
			memcpy(b->p + off, buf + done, n);
		else
			memcpy(buf + done, b->p + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint32_t virtio_chain_read(const struct virtio_chain *c, uint32_t off, void *dst, uint32_t len)
{
	return chain_copy(c, false, off, dst, len);
}

uint32_t virtio_chain_write(const struct virtio_chain *c, uint32_t off, const void *src,
			    uint32_t len)
{
	/* chain_copy() only reads buf in this direction */
	return chain_copy(c, true, off, (uint8_t *)(uintptr_t)src, len);
}

void virtio_mmio_wake(struct virtio_mmio *dev, const struct pollfd *fds, unsigned nfds)
{
	pthread_mutex_lock(&dev->lock);
	dev->ops->run(dev, fds, nfds);
	if (dev->used) {
		dev->used = false;
		raise_irq(dev, VIRTIO_MMIO_INT_VRING);
	}
	pthread_mutex_unlock(&dev->lock);
}

void *virtio_mmio_thread(void *arg)
{
	struct virtio_mmio *dev = arg;
	struct pollfd pfd[2 + VIRTIO_POLL_MAX];
	uint64_t count;
	unsigned n = 0;

	for (;;) {
		virtio_mmio_wake(dev, pfd + 2, n);
		pfd[0] = (struct pollfd){ .fd = dev->notify_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = dev->stop_fd, .events = POLLIN };
		n = 0;
		if (dev->ops->poll_fds) {
			pthread_mutex_lock(&dev->lock);
			n = dev->ops->poll_fds(dev, pfd + 2, VIRTIO_POLL_MAX);
			pthread_mutex_unlock(&dev->lock);
		}
		if (poll(pfd, 2 + n, -1) < 0) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			fprintf(stderr, "sample-vmm: %s: poll: %s\n", dev->name, strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents &&
		    read(dev->notify_fd, &count, sizeof(count)) != sizeof(count) && errno != EAGAIN)
			break;
	}
	return NULL;
}

void virtio_mmio_stop(struct virtio_mmio *dev)
{
	uint64_t one = 1;

	if (write(dev->stop_fd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "sample-vmm: %s: stop: %s\n", dev->name, strerror(errno));
}
