/* SPDX-License-Identifier: Apache-2.0 */
/* The default guest's virtio-console driver: one line out on transmitq,
 * then one receive buffer for what the host side sends within a few
 * seconds (the default run sends nothing: that is no failure). */
#include "guest.h"

#define CONSOLE_F_SIZE (1ULL << 0)
#define CONSOLE_WAIT_MS 2000

static const char hello[] = "hello from the guest console\n";
static char tx_buf[sizeof(hello)];
static char rx_buf[64];

static void console_test(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	struct vq *rx = &d->q[0], *tx = &d->q[1];
	uint32_t len, size;

	(void)bi;
	/* a terminal's size, if the host side is one: set up again with the
	 * feature (offered only then) */
	wr32(d->base + 0x14, 0);
	if (rd32(d->base + 0x10) & CONSOLE_F_SIZE) {
		if (virtio_setup(d, 2, CONSOLE_F_SIZE) != 0)
			fail(FAIL_CONSOLE, "virtio-console: VIRTIO_CONSOLE_F_SIZE refused");
		size = rd32(d->base + VIRTIO_REG_CONFIG);
		say("virtio-console: terminal columns ", size & 0xffff, 1, "");
		say("virtio-console: terminal rows ", size >> 16, 1, "");
	}
	memcpy(tx_buf, hello, sizeof(hello) - 1);
	vq_set_desc(tx, 0, tx_buf, sizeof(hello) - 1, 0);
	vq_submit(tx, FAIL_CONSOLE);
	say("virtio-console: sent ", sizeof(hello) - 1, 1, " bytes");

	memset(rx_buf, 0, sizeof(rx_buf));
	vq_set_desc(rx, 0, rx_buf, sizeof(rx_buf) - 1, VRING_DESC_F_WRITE);
	vq_post(rx, 0);
	if (!vq_wait_used(rx, CONSOLE_WAIT_MS, 0, &len)) {
		say("virtio-console: no input", 0, 0, "");
		return;
	}
	if (len >= sizeof(rx_buf))
		fail(FAIL_CONSOLE, "virtio-console: the device overran the receive buffer");
	/* one line, printable */
	for (uint32_t i = 0; i < len; i++)
		if (rx_buf[i] == '\n' || rx_buf[i] == '\r')
			len = i;
		else if (rx_buf[i] < ' ' || rx_buf[i] > '~')
			rx_buf[i] = '.';
	rx_buf[len] = 0;
	say("virtio-console: received: ", 0, 0, rx_buf);
}

/* Requests a well-formed queue carries that the device must not honour. */
static unsigned console_hostile(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	static uint8_t mark[16];
	struct vq *tx = &d->q[1];
	uint32_t len, config;

	(void)bi;
	/* 1: a transmit buffer the device could write: it must not */
	memset(mark, 0x5a, sizeof(mark));
	vq_set_desc(tx, 0, mark, sizeof(mark), VRING_DESC_F_WRITE);
	len = vq_submit(tx, FAIL_HOSTILE);
	for (unsigned i = 0; i < sizeof(mark); i++)
		if (mark[i] != 0x5a || len != 0)
			fail(FAIL_HOSTILE, "hostile: virtio-console wrote into a transmit buffer");
	/* 2: the size in configuration space is the device's: a write changes
	 * nothing */
	config = rd32(d->base + VIRTIO_REG_CONFIG);
	wr32(d->base + VIRTIO_REG_CONFIG, ~config);
	if (rd32(d->base + VIRTIO_REG_CONFIG) != config)
		fail(FAIL_HOSTILE, "hostile: virtio-console took a configuration write");
	return 2;
}

const struct guest_driver console_driver = {
	.name = "virtio-console",
	.device_id = 3,
	.nqueues = 2,
	.serve_queue = 1,
	.test = console_test,
	.hostile = console_hostile,
};
