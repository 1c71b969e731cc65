/* SPDX-License-Identifier: Apache-2.0 */
/* The default guest's virtio-blk driver: writes a pattern, flushes, reads
 * it back, asks for the device's ID. */
#include "guest.h"

struct blk_req {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_T_GET_ID 8
#define BLK_S_IOERR 1

static struct blk_req blk_hdr;
static uint8_t blk_status;
static uint8_t blk_out[GUEST_PATTERN_SECTORS * 512];
static uint8_t blk_in[GUEST_PATTERN_SECTORS * 512];
static char blk_id[21];

/* type with a data buffer of len bytes (device-writable if in); returns the
 * status byte. */
static uint8_t request_at(struct vq *q, uint32_t type, uint64_t sector, void *data, uint32_t len,
			  int in)
{
	int n = 0;

	blk_hdr.type = type;
	blk_hdr.reserved = 0;
	blk_hdr.sector = sector;
	blk_status = 0xff;
	vq_set_desc(q, n++, &blk_hdr, sizeof(blk_hdr), VRING_DESC_F_NEXT);
	if (len)
		vq_set_desc(q, n++, data, len, VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0));
	vq_set_desc(q, n, &blk_status, 1, VRING_DESC_F_WRITE);
	vq_submit(q, FAIL_BLK);
	return blk_status;
}

static uint8_t request(struct vq *q, uint32_t type, void *data, uint32_t len, int in)
{
	return request_at(q, type, 0, data, len, in);
}

static void blk_test(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	struct vq *q = &d->q[0];
	unsigned s, i;

	(void)bi;
	if (rd32(d->base + VIRTIO_REG_CONFIG) < GUEST_PATTERN_SECTORS &&
	    !rd32(d->base + VIRTIO_REG_CONFIG + 4))
		fail(FAIL_BLK, "virtio-blk: disk smaller than 4 sectors");
	for (s = 0; s < GUEST_PATTERN_SECTORS; s++)
		for (i = 0; i < 512; i++)
			blk_out[s * 512 + i] = GUEST_PATTERN(s, i);
	if (request(q, BLK_T_OUT, blk_out, sizeof(blk_out), 0) != 0)
		fail(FAIL_BLK, "virtio-blk: write failed");
	if (request(q, BLK_T_FLUSH, 0, 0, 0) != 0)
		fail(FAIL_BLK, "virtio-blk: flush failed");
	if (request(q, BLK_T_IN, blk_in, sizeof(blk_in), 1) != 0)
		fail(FAIL_BLK, "virtio-blk: read failed");
	for (i = 0; i < sizeof(blk_in); i++)
		if (blk_in[i] != blk_out[i])
			fail(FAIL_BLK, "virtio-blk: read back differs");
	if (request(q, BLK_T_GET_ID, blk_id, 20, 1) != 0)
		fail(FAIL_BLK, "virtio-blk: GET_ID failed");
	say("virtio-blk: id ", 0, 0, blk_id);
	say("virtio-blk: pattern ok", 0, 0, "");
}

/* Requests a well-formed queue carries but the disk cannot serve. */
static unsigned blk_hostile(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	struct vq *q = &d->q[0];

	(void)bi;
	/* reading past the end of the disk, and a partial sector: IOERR */
	if (request_at(q, BLK_T_IN, ~0ULL >> 9, blk_in, 512, 1) != BLK_S_IOERR)
		fail(FAIL_HOSTILE, "hostile: read past the disk accepted");
	if (request(q, BLK_T_IN, blk_in, 100, 1) != BLK_S_IOERR)
		fail(FAIL_HOSTILE, "hostile: partial sector accepted");
	return 1;
}

const struct guest_driver blk_driver = {
	.name = "virtio-blk",
	.device_id = 2,
	.nqueues = 1,
	.serve_queue = 0,
	.test = blk_test,
	.hostile = blk_hostile,
};
