/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk (device ID 2) on a disk image opened before the threads start:
 * IN, OUT, FLUSH, GET_ID; read-only images report VIRTIO_BLK_F_RO.
 * --disk PATH adds it, --disk-ro makes it read-only, --disk-workers N moves
 * its I/O to N threads in role io_worker. */
#include "device.h"
#include "seccomp.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECTOR 512ULL
#define BLK_ID "sample-vmm-disk"

#define BLK_WORKERS_MAX 4 /* <= DEVICE_WORKERS_MAX, and one digit in the names */

_Static_assert(BLK_WORKERS_MAX <= DEVICE_WORKERS_MAX, "more workers than a device has");

/* A request the queue thread handed to the workers. */
struct blk_job {
	struct virtio_chain c;
	uint32_t generation; /* the transport's when it was popped */
};

struct virtio_blk {
	struct virtio_mmio dev;
	int fd;
	bool read_only;
	uint64_t sectors;
	/* --disk-workers N: the I/O runs on N threads in role io_worker; the
	 * queue thread only moves chains.  A ring of jobs: the queue has at
	 * most VIRTIO_QUEUE_MAX chains out. */
	unsigned nworkers;
	pthread_mutex_t jobs_lock;
	pthread_cond_t jobs_cond;
	struct blk_job jobs[VIRTIO_QUEUE_MAX];
	unsigned first, count;
	bool stopping;
};

/* Reads or writes the data buffers c->buf[1..n-2] at `sector`. */
static uint8_t do_rw(struct virtio_blk *blk, const struct virtio_chain *c, uint64_t sector, bool in,
		     uint32_t *written)
{
	uint64_t off;

	if (sector > blk->sectors)
		return VIRTIO_BLK_S_IOERR;
	off = sector * SECTOR;
	for (unsigned i = 1; i + 1 < c->n; i++) {
		const struct virtio_buf *b = &c->buf[i];
		uint32_t done = 0;

		if (b->writable != in || b->len % SECTOR ||
		    b->len / SECTOR > blk->sectors - off / SECTOR)
			return VIRTIO_BLK_S_IOERR;
		while (done < b->len) {
			ssize_t n =
				in ? pread(blk->fd, b->p + done, b->len - done, (off_t)(off + done))
				   : pwrite(blk->fd, b->p + done, b->len - done,
					    (off_t)(off + done));

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return VIRTIO_BLK_S_IOERR;
			if (n == 0) {
				if (!in)
					return VIRTIO_BLK_S_IOERR;
				/* The image shrank under us: the rest reads as zeros. */
				memset(b->p + done, 0, b->len - done);
				n = (ssize_t)(b->len - done);
			}
			done += (uint32_t)n;
		}
		if (in)
			*written += b->len;
		off += b->len;
	}
	return VIRTIO_BLK_S_OK;
}

static uint32_t blk_request(struct virtio_mmio *dev, const struct virtio_chain *c)
{
	struct virtio_blk *blk = dev->priv;
	const struct virtio_buf *st = &c->buf[c->n - 1];
	struct virtio_blk_outhdr hdr;
	uint32_t written = 0;
	uint8_t status;

	/* Header first (driver-readable), status byte last (device-writable). */
	if (!st->writable || st->len < 1)
		return 0;
	if (c->n < 2 || c->buf[0].writable || c->buf[0].len < sizeof(hdr)) {
		st->p[st->len - 1] = VIRTIO_BLK_S_IOERR;
		return 1;
	}
	memcpy(&hdr, c->buf[0].p, sizeof(hdr));
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		status = do_rw(blk, c, hdr.sector, true, &written);
		break;
	case VIRTIO_BLK_T_OUT:
		status = blk->read_only ? VIRTIO_BLK_S_IOERR
					: do_rw(blk, c, hdr.sector, false, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = fdatasync(blk->fd) == 0 || blk->read_only ? VIRTIO_BLK_S_OK
								   : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		status = VIRTIO_BLK_S_IOERR;
		if (c->n >= 3 && c->buf[1].writable) {
			uint32_t n = c->buf[1].len < VIRTIO_BLK_ID_BYTES ? c->buf[1].len
									 : VIRTIO_BLK_ID_BYTES;

			memset(c->buf[1].p, 0, n);
			memcpy(c->buf[1].p, BLK_ID,
			       n < sizeof(BLK_ID) - 1 ? n : sizeof(BLK_ID) - 1);
			written = n;
			status = VIRTIO_BLK_S_OK;
		}
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	st->p[st->len - 1] = status;
	return written + 1;
}

static void blk_run(struct virtio_mmio *dev, const struct pollfd *fds, unsigned nfds)
{
	struct virtio_blk *blk = dev->priv;
	struct virtio_chain c;

	(void)fds;
	(void)nfds;
	if (!blk->nworkers) {
		virtio_queue_serve(dev, 0, blk_request);
		return;
	}
	pthread_mutex_lock(&blk->jobs_lock);
	while (blk->count < VIRTIO_QUEUE_MAX && virtio_queue_pop(dev, 0, &c) > 0) {
		struct blk_job *j = &blk->jobs[(blk->first + blk->count++) % VIRTIO_QUEUE_MAX];

		j->c = c;
		j->generation = dev->generation;
		pthread_cond_signal(&blk->jobs_cond);
	}
	pthread_mutex_unlock(&blk->jobs_lock);
}

/* A worker (role io_worker): takes jobs, does their I/O and completes them
 * without the queue thread. */
static void *blk_worker(void *arg)
{
	struct virtio_blk *blk = arg;

	for (;;) {
		struct blk_job j;
		uint32_t written;

		pthread_mutex_lock(&blk->jobs_lock);
		while (!blk->count && !blk->stopping)
			pthread_cond_wait(&blk->jobs_cond, &blk->jobs_lock);
		if (blk->stopping) {
			pthread_mutex_unlock(&blk->jobs_lock);
			return NULL;
		}
		j = blk->jobs[blk->first];
		blk->first = (blk->first + 1) % VIRTIO_QUEUE_MAX;
		blk->count--;
		pthread_mutex_unlock(&blk->jobs_lock);
		/* the chain's buffers are guest memory, mapped for the VM's life */
		written = blk_request(&blk->dev, &j.c);
		if (written != VIRTIO_REQUEST_ABANDON)
			virtio_queue_complete(&blk->dev, 0, j.c.head, written, j.generation);
	}
}

static void blk_stop_workers(struct device *d)
{
	struct virtio_blk *blk = d->state;

	pthread_mutex_lock(&blk->jobs_lock);
	blk->stopping = true;
	pthread_cond_broadcast(&blk->jobs_cond);
	pthread_mutex_unlock(&blk->jobs_lock);
}

static int blk_check(const struct device *d, char *err, size_t errlen)
{
	const char *s = d->args[2];
	char *end;
	unsigned long n;

	if (!s)
		return 0;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || n > BLK_WORKERS_MAX) {
		snprintf(err, errlen, "--disk-workers '%s': expected a number from 0 to %d", s,
			 BLK_WORKERS_MAX);
		return -EINVAL;
	}
	return 0;
}

static const struct virtio_ops blk_ops = { .nqueues = 1, .run = blk_run };

static int blk_landlock(const struct device *d, struct vmm_seccomp *sc, struct sc_landlock *ll,
			char *err, size_t errlen)
{
	return sc_add_file_rule(sc, ll, VMM_SECCOMP_ROLE_PROCESS, "--disk", d->args[0],
				d->args[1] ? "read" : "read+write", err, errlen);
}

static int blk_create(struct device *d, struct vm *vm, char *err, size_t errlen)
{
	const char *path = d->args[0];
	bool read_only = d->args[1] != NULL;
	uint64_t features = 1ULL << VIRTIO_BLK_F_FLUSH;
	struct virtio_blk *blk;
	uint64_t bytes;
	struct stat st;
	int rc;

	blk = calloc(1, sizeof(*blk));
	if (!blk) {
		snprintf(err, errlen, "--disk %s: out of memory", path);
		return -ENOMEM;
	}
	blk->read_only = read_only;
	blk->nworkers = d->args[2] ? (unsigned)strtoul(d->args[2], NULL, 10) : 0;
	blk->fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "--disk %s: %s", path, strerror(errno));
		goto err_free;
	}
	/* One writer per image, as QEMU and Cloud Hypervisor do: an open file
	 * description lock, released when the descriptor closes. */
	struct flock lk = { .l_type = read_only ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(blk->fd, F_OFD_SETLK, &lk) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--disk %s: %s", path,
			 errno == EAGAIN || errno == EACCES ? "in use by another process (locked)"
							    : strerror(errno));
		goto err_close_disk;
	}
	if (fstat(blk->fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--disk %s: %s", path, strerror(errno));
		goto err_close_disk;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(blk->fd, BLKGETSIZE64, &bytes) < 0) {
			rc = -errno;
			snprintf(err, errlen, "--disk %s: BLKGETSIZE64: %s", path, strerror(errno));
			goto err_close_disk;
		}
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		snprintf(err, errlen, "--disk %s: not a regular file or block device", path);
		rc = -EINVAL;
		goto err_close_disk;
	}
	blk->sectors = bytes / SECTOR;
	if (read_only)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	d->mmio = &blk->dev;
	rc = device_mmio_init(d, vm, features, &blk_ops, blk, err, errlen);
	if (rc < 0)
		goto err_close_disk;
	/* struct virtio_blk_config: capacity in 512-byte sectors, little-endian. */
	memcpy(blk->dev.config, &blk->sectors, sizeof(blk->sectors));
	blk->dev.config_len = 8;
	pthread_mutex_init(&blk->jobs_lock, NULL);
	pthread_cond_init(&blk->jobs_cond, NULL);
	for (unsigned i = 0; i < blk->nworkers; i++) {
		struct device_worker *w = &d->workers[i];

		snprintf(w->name, sizeof(w->name), "io-worker%u", i % 10);
		w->role = VMM_SECCOMP_ROLE_IO_WORKER;
		w->fn = blk_worker;
		w->arg = blk;
	}
	d->nworkers = blk->nworkers;
	d->state = blk;
	return 0;

err_close_disk:
	close(blk->fd);
err_free:
	free(blk);
	d->mmio = NULL;
	return rc;
}

static void blk_destroy(struct device *d)
{
	struct virtio_blk *blk = d->state;

	virtio_mmio_free(&blk->dev);
	close(blk->fd);
	pthread_mutex_destroy(&blk->jobs_lock);
	pthread_cond_destroy(&blk->jobs_cond);
	free(blk);
	d->nworkers = 0;
	d->state = NULL;
	d->mmio = NULL;
}

static int blk_info(const struct device *d, char *buf, size_t len)
{
	const struct virtio_blk *blk = d->state;
	int n = snprintf(buf, len, ",\"read_only\":%s", blk->read_only ? "true" : "false");

	return n < 0 || (size_t)n >= len ? -1 : n;
}

const struct device_type virtio_blk_type = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.role = VMM_SECCOMP_ROLE_VIRTIO_BLOCK,
	.options = {
		{ "disk", true,
		  "PATH\tdisk image for virtio-blk (no virtio-blk without it); locked\n"
		  "against other writers while the VM runs" },
		{ "disk-ro", false,
		  "\topen the disk read-only: the device reports VIRTIO_BLK_F_RO\n"
		  "and fails writes with VIRTIO_BLK_S_IOERR" },
		{ "disk-workers", true,
		  "N\tthe disk's reads, writes and flushes on N threads (0-4, default 0:\n"
		  "on the queue thread) in role io_worker" },
	},
	.check = blk_check,
	.landlock = blk_landlock,
	.create = blk_create,
	.destroy = blk_destroy,
	.stop_workers = blk_stop_workers,
	.info = blk_info,
};
