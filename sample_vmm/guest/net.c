/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default guest's virtio-net driver: reads its MAC, posts two receive
 * buffers, broadcasts an ARP request (who-has GUEST_NET_PEER tell
 * GUEST_NET_IP) and waits a few seconds for the peer's reply.  No reply is
 * no failure: only a test gives the tap a peer.
 */
#include "guest.h"

#define NET_F_MAC (1ULL << 5)
#define HDR_LEN 12 /* struct virtio_net_hdr_v1 */
#define ETH_HLEN 14
#define ARP_LEN 28
#define RX_LEN (HDR_LEN + 1514) /* what the spec asks without MRG_RXBUF */
#define NRX 2
#define REPLY_MS 3000

static uint8_t net_rx[NRX][RX_LEN];
static uint8_t net_tx[HDR_LEN + ETH_HLEN + ARP_LEN];
static uint8_t mac[6];

static void put_ip(uint8_t *p, uint32_t ip)
{
	p[0] = (uint8_t)(ip >> 24);
	p[1] = (uint8_t)(ip >> 16);
	p[2] = (uint8_t)(ip >> 8);
	p[3] = (uint8_t)ip;
}

/* "xx:xx:xx:xx:xx:xx" of m into s (18 bytes). */
static void mac_str(char *s, const uint8_t *m)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 6; i++) {
		s[3 * i] = hex[m[i] >> 4];
		s[3 * i + 1] = hex[m[i] & 15];
		s[3 * i + 2] = i < 5 ? ':' : 0;
	}
}

/* The ARP reply to our request: from the peer, to us. */
static int is_reply(const uint8_t *f, uint32_t len)
{
	uint8_t ip[4];

	if (len < HDR_LEN + ETH_HLEN + ARP_LEN)
		return 0;
	f += HDR_LEN;
	if (f[12] != 0x08 || f[13] != 0x06 || f[ETH_HLEN + 6] != 0 || f[ETH_HLEN + 7] != 2)
		return 0;
	put_ip(ip, GUEST_NET_PEER);
	if (memcmp(f + ETH_HLEN + 14, ip, 4) || memcmp(f + ETH_HLEN + 18, mac, 6))
		return 0;
	put_ip(ip, GUEST_NET_IP);
	return memcmp(f + ETH_HLEN + 24, ip, 4) == 0;
}

static void net_test(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	struct vq *rx = &d->q[0], *tx = &d->q[1];
	uint8_t *f = net_tx + HDR_LEN, *a = f + ETH_HLEN;
	uint32_t start, id, len, waited;
	char s[19];

	(void)bi;
	for (int i = 0; i < 6; i++)
		mac[i] = *(volatile uint8_t *)(d->base + VIRTIO_REG_CONFIG + (uint64_t)i);
	mac_str(s, mac);
	say("virtio-net: mac ", 0, 0, s);
	for (int i = 0; i < NRX; i++) {
		vq_set_desc(rx, i, net_rx[i], RX_LEN, VRING_DESC_F_WRITE);
		vq_post(rx, (uint16_t)i);
	}

	memset(net_tx, 0, sizeof(net_tx));
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08; /* ETH_P_ARP */
	f[13] = 0x06;
	a[1] = 1;    /* Ethernet */
	a[2] = 0x08; /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	a[7] = 1; /* request */
	memcpy(a + 8, mac, 6);
	put_ip(a + 14, GUEST_NET_IP);
	put_ip(a + 24, GUEST_NET_PEER);
	vq_set_desc(tx, 0, net_tx, sizeof(net_tx), 0);
	if (vq_submit(tx, FAIL_NET) != 0)
		fail(FAIL_NET, "virtio-net: the device wrote into a transmit buffer");
	say("virtio-net: sent ARP request", 0, 0, "");

	/* The peer's own frames (IPv6 neighbour discovery...) may come first:
	 * each is looked at and its buffer posted again. */
	start = guest_ticks();
	for (;;) {
		waited = (guest_ticks() - start) * GUEST_TICK_MS;
		if (waited >= REPLY_MS || !vq_wait_used(rx, REPLY_MS - waited, &id, &len)) {
			say("virtio-net: no reply", 0, 0, "");
			return;
		}
		if (id >= NRX || len > RX_LEN)
			fail(FAIL_NET, "virtio-net: bad used entry on the receive queue");
		if (is_reply(net_rx[id], len))
			break;
		vq_post(rx, (uint16_t)id);
	}
	mac_str(s, net_rx[id] + HDR_LEN + ETH_HLEN + 8);
	s[17] = ')';
	s[18] = 0;
	say("virtio-net: ARP reply from 10.0.2.1 (MAC ", 0, 0, s); /* GUEST_NET_PEER */
}

/* One chain at descriptor `head` of q: the device must give it back with
 * nothing written within a second, and go on. */
static void refused(struct vq *q, uint16_t head, const char *what)
{
	uint32_t id, len;

	vq_post(q, head);
	if (!vq_wait_used(q, 1000, &id, &len) || id != head || len != 0 ||
	    (rd32(q->base + VIRTIO_REG_STATUS) & ST_NEEDS_RESET))
		fail(FAIL_HOSTILE, what);
}

/* Chains a well-formed queue carries but no frame fits: each is given back
 * empty and the device goes on (the test runs again after them). */
static unsigned net_hostile(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	struct vq *rx = &d->q[0], *tx = &d->q[1];

	(void)bi;
	vq_set_desc(tx, 0, net_tx, 5, 0);
	refused(tx, 0, "hostile: virtio-net: transmit chain shorter than its header sent");
	vq_set_desc(tx, 0, net_tx, HDR_LEN, VRING_DESC_F_NEXT);
	vq_set_desc(tx, 1, net_rx[0], 64, VRING_DESC_F_WRITE);
	refused(tx, 0, "hostile: virtio-net: transmit chain with a writable buffer sent");
	vq_set_desc(rx, 2, net_rx[0], 4, VRING_DESC_F_WRITE);
	refused(rx, 2, "hostile: virtio-net: receive chain shorter than a header filled");
	vq_set_desc(rx, 3, net_rx[1], 64, 0);
	refused(rx, 3, "hostile: virtio-net: receive chain with no writable buffer filled");
	return 4;
}

const struct guest_driver net_driver = {
	.name = "virtio-net",
	.device_id = 1,
	.nqueues = 2,
	.features = NET_F_MAC,
	.serve_queue = 1, /* transmitq */
	.test = net_test,
	.hostile = net_hostile,
};
