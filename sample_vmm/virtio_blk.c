/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_blk.h"

#include "guest/abi.h"
#include "vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECTOR 512ULL
#define BLK_ID "sample-vmm-disk"

/*
 * --demo-exploit: the bogus request "takes over" this thread, which then
 * does what an attacker would do next.  argv is an invalid pointer, so
 * that without seccomp the kernel fails the call with EFAULT instead of
 * running a shell; under enforcement the filter stops it before that.
 */
static uint32_t demo_compromised(struct virtio_blk *blk)
{
	/* volatile: the compiler must not reason about the bogus pointer. */
	char *const *volatile bad_argv = (char *const *)(uintptr_t)1;
	char *const envp[] = { NULL };
	int e;

	execve("/bin/sh", bad_argv, envp);
	e = errno;
	if (e == EFAULT) {
		vmm_request_exit(blk->vmm, EXIT_DEMO,
				 "execve reached the kernel (EFAULT): a compromised device thread "
				 "could have run a shell");
	} else {
		char why[160];

		snprintf(why, sizeof(why),
			 "execve failed with %s (seccomp errno mode refused it, or it never "
			 "reached the kernel)",
			 strerror(e));
		vmm_request_exit(blk->vmm, EXIT_DEMO, why);
	}
	return VIRTIO_REQUEST_ABANDON;
}

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
	case GUEST_DEMO_REQUEST:
		if (blk->vmm->demo_exploit)
			return demo_compromised(blk);
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	st->p[st->len - 1] = status;
	return written + 1;
}

int virtio_blk_init(struct virtio_blk *blk, struct vmm *vmm, const char *path, bool read_only,
		    char *err, size_t errlen)
{
	uint64_t features = 1ULL << VIRTIO_BLK_F_FLUSH;
	uint64_t bytes;
	struct stat st;
	int rc;

	blk->vmm = vmm;
	blk->read_only = read_only;
	blk->fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "--disk %s: %s", path, strerror(errno));
		return rc;
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
	rc = virtio_mmio_init(&blk->dev, &vmm->vm, "virtio-blk", VIRTIO_BLK_BASE, VIRTIO_BLK_GSI,
			      VIRTIO_ID_BLOCK, features, blk_request, blk, err, errlen);
	if (rc < 0)
		goto err_close_disk;
	/* struct virtio_blk_config: capacity in 512-byte sectors, little-endian. */
	memcpy(blk->dev.config, &blk->sectors, sizeof(blk->sectors));
	blk->dev.config_len = 8;
	return 0;

err_close_disk:
	close(blk->fd);
	blk->fd = -1;
	return rc;
}

void virtio_blk_free(struct virtio_blk *blk)
{
	virtio_mmio_free(&blk->dev);
	close(blk->fd);
	blk->fd = -1;
}
