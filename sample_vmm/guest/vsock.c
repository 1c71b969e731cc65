/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default guest's virtio-vsock driver, one stream at a time:
 *  1. connects to host port 52, says "hello host\n" and prints the answer
 *     (a refusal is no failure: nothing listens there in a plain run);
 *  2. listens on port 1234 for a while and echoes what a host program
 *     connected to it sends, granting only GUEST_BUF_ALLOC bytes of credit
 *     and checking that the device never sends more than that.
 * Queues: 0 receive, 1 transmit, 2 events (never used by the device).
 */
#include "guest.h"

#define RX 0
#define TX 1

#define HOST_CID 2
#define TYPE_STREAM 1
#define OP_REQUEST 1
#define OP_RESPONSE 2
#define OP_RST 3
#define OP_SHUTDOWN 4
#define OP_RW 5
#define OP_CREDIT_UPDATE 6
#define OP_CREDIT_REQUEST 7
#define SHUTDOWN_BOTH 3

#define HOST_PORT 52
#define GUEST_PORT 1024 /* our end of the connection to port 52 */
#define LISTEN_PORT 1234
#define LISTEN_MS 2000
/* Our credit: small, so that a host sending more must wait for it. */
#define GUEST_BUF_ALLOC 256
#define RX_DATA 128 /* payload room of each receive buffer */
#define RX_BUFS 4

struct hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

_Static_assert(sizeof(struct hdr) == 44, "the virtio-vsock header is 44 bytes");

struct rx_buf {
	struct hdr h;
	uint8_t data[RX_DATA];
} __attribute__((packed));

static struct rx_buf rx_bufs[RX_BUFS];
static struct hdr tx_hdr;
static uint8_t pending[GUEST_BUF_ALLOC]; /* received, not yet echoed */
static char text[RX_DATA + 1];

/* One connection's counts. */
struct stream {
	uint32_t local_port, peer_port; /* ours, the host's */
	uint32_t fwd_cnt, fwd_told;	/* bytes consumed; what the host was told */
	uint32_t rx_cnt;		/* bytes received */
	uint32_t tx_cnt, peer_buf_alloc, peer_fwd_cnt;
};

static uint64_t cid;

static void post_rx(struct vq *q, unsigned i)
{
	vq_set_desc(q, (int)i, &rx_bufs[i], sizeof(rx_bufs[i]), VRING_DESC_F_WRITE);
	vq_post(q, (uint16_t)i);
}

static void start(struct vdev *d)
{
	if (virtio_setup(d, 3, 0) != 0)
		fail(FAIL_VSOCK, "virtio-vsock: set-up refused");
	for (unsigned i = 0; i < RX_BUFS; i++)
		post_rx(&d->q[RX], i);
}

static void vs_send(struct vdev *d, struct stream *s, uint16_t op, uint32_t flags, const void *data,
		    uint32_t len)
{
	struct vq *q = &d->q[TX];

	tx_hdr = (struct hdr){ .src_cid = cid,
			       .dst_cid = HOST_CID,
			       .src_port = s->local_port,
			       .dst_port = s->peer_port,
			       .len = len,
			       .type = TYPE_STREAM,
			       .op = op,
			       .flags = flags,
			       .buf_alloc = GUEST_BUF_ALLOC,
			       .fwd_cnt = s->fwd_cnt };
	s->fwd_told = s->fwd_cnt;
	s->tx_cnt += len;
	vq_set_desc(q, 0, &tx_hdr, sizeof(tx_hdr), len ? VRING_DESC_F_NEXT : 0);
	if (len)
		vq_set_desc(q, 1, (void *)data, len, 0);
	vq_submit(q, FAIL_VSOCK);
}

/* The next packet for us within ms: its header in *h and its payload
 * (at most RX_DATA bytes) in `data`; 0 on timeout.  Its buffer goes back
 * to the device at once. */
static int receive(struct vdev *d, uint32_t ms, struct hdr *h, uint8_t *data)
{
	struct vq *q = &d->q[RX];
	uint32_t id, len;

	if (!vq_wait_used(q, ms, &id, &len))
		return 0;
	if (id >= RX_BUFS || len < sizeof(*h))
		fail(FAIL_VSOCK, "virtio-vsock: bad receive completion");
	*h = rx_bufs[id].h;
	if (h->len > RX_DATA || h->len != len - sizeof(*h))
		fail(FAIL_VSOCK, "virtio-vsock: packet longer than its buffer");
	if (h->dst_cid != cid || h->src_cid != HOST_CID || h->type != TYPE_STREAM)
		fail(FAIL_VSOCK, "virtio-vsock: packet with wrong addresses");
	memcpy(data, rx_bufs[id].data, h->len);
	post_rx(q, id);
	return 1;
}

/* A packet of stream s, its credit recorded; 0 on timeout. */
static int receive_on(struct vdev *d, struct stream *s, uint32_t ms, struct hdr *h, uint8_t *data)
{
	uint32_t start = guest_ticks();

	for (;;) {
		uint32_t spent = (guest_ticks() - start) * GUEST_TICK_MS;

		if (spent > ms || !receive(d, ms - spent, h, data))
			return 0;
		if (h->dst_port != s->local_port || h->src_port != s->peer_port)
			continue;
		s->peer_buf_alloc = h->buf_alloc;
		s->peer_fwd_cnt = h->fwd_cnt;
		if (h->op == OP_CREDIT_REQUEST) {
			vs_send(d, s, OP_CREDIT_UPDATE, 0, 0, 0);
			continue;
		}
		if (h->op == OP_CREDIT_UPDATE)
			continue;
		return 1;
	}
}

/* RW data: counted, and checked against the credit we gave. */
static void got_data(struct stream *s, const struct hdr *h)
{
	s->rx_cnt += h->len;
	if (s->rx_cnt - s->fwd_told > GUEST_BUF_ALLOC)
		fail(FAIL_VSOCK, "virtio-vsock: the device sent more than our credit");
}

static void connect_host(struct vdev *d)
{
	static const char hello[] = "hello host\n";
	struct stream s = { .local_port = GUEST_PORT, .peer_port = HOST_PORT };
	uint8_t data[RX_DATA];
	unsigned n = 0;
	struct hdr h;

	vs_send(d, &s, OP_REQUEST, 0, 0, 0);
	if (!receive_on(d, &s, 2000, &h, data))
		fail(FAIL_VSOCK, "virtio-vsock: no answer to a connection request");
	if (h.op == OP_RST) {
		say("virtio-vsock: port 52 refused", 0, 0, "");
		return;
	}
	if (h.op != OP_RESPONSE)
		fail(FAIL_VSOCK, "virtio-vsock: a connection request not answered by RESPONSE");
	vs_send(d, &s, OP_RW, 0, hello, sizeof(hello) - 1);
	/* the answer, up to its newline */
	while (n < RX_DATA && (n == 0 || text[n - 1] != '\n')) {
		if (!receive_on(d, &s, 2000, &h, data))
			fail(FAIL_VSOCK, "virtio-vsock: the host did not answer");
		if (h.op != OP_RW)
			break;
		got_data(&s, &h);
		for (uint32_t i = 0; i < h.len && n < RX_DATA; i++)
			text[n++] = (char)data[i];
		s.fwd_cnt = s.rx_cnt;
	}
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	text[n] = 0;
	say("virtio-vsock: host said: ", 0, 0, text);
	/* the host may have shut its side already: skip that */
	vs_send(d, &s, OP_SHUTDOWN, SHUTDOWN_BOTH, 0, 0);
	do
		if (!receive_on(d, &s, 1000, &h, data))
			fail(FAIL_VSOCK, "virtio-vsock: no RST after our shutdown");
	while (h.op != OP_RST);
}

/* Echoes a host-initiated stream until the host ends it.  Received bytes
 * are consumed (and credit given back) only when echoed, after a pause
 * in which a device ignoring the credit would overrun it. */
static void echo(struct vdev *d, struct stream *s)
{
	uint32_t held = 0, peak = 0, echoed = 0;
	uint8_t data[RX_DATA];
	struct hdr h;

	for (;;) {
		int got = receive_on(d, s, held ? 100 : 3000, &h, data);

		if (got && h.op == OP_RW) {
			got_data(s, &h);
			memcpy(pending + held, data, h.len);
			held += h.len;
			if (held > peak)
				peak = held;
			continue;
		}
		if (held) {
			if (s->peer_buf_alloc - (s->tx_cnt - s->peer_fwd_cnt) < held)
				fail(FAIL_VSOCK, "virtio-vsock: the host's credit ran out");
			s->fwd_cnt += held;
			vs_send(d, s, OP_RW, 0, pending, held);
			echoed += held;
			held = 0;
			if (!got)
				continue; /* the pause ended: wait for more */
		} else if (!got) {
			say("virtio-vsock: the host went quiet", 0, 0, "");
			break;
		}
		if (h.op == OP_SHUTDOWN || h.op == OP_RST) {
			if (h.op == OP_SHUTDOWN)
				vs_send(d, s, OP_RST, 0, 0, 0);
			break;
		}
	}
	say("virtio-vsock: echoed ", echoed, 1, " bytes");
	say("virtio-vsock: credit kept: at most ", peak, 1, " of 256 bytes in flight");
}

static void vs_listen(struct vdev *d)
{
	struct stream s = { .local_port = LISTEN_PORT };
	uint32_t start = guest_ticks();
	uint8_t data[RX_DATA];
	struct hdr h;

	say("virtio-vsock: listening on port 1234", 0, 0, "");
	for (;;) {
		uint32_t spent = (guest_ticks() - start) * GUEST_TICK_MS;

		if (spent > LISTEN_MS || !receive(d, LISTEN_MS - spent, &h, data)) {
			say("virtio-vsock: no host connection", 0, 0, "");
			return;
		}
		if (h.op == OP_REQUEST && h.dst_port == LISTEN_PORT)
			break;
		if (h.op != OP_RST) {
			/* nobody here: refused */
			struct stream other = { .local_port = h.dst_port, .peer_port = h.src_port };

			vs_send(d, &other, OP_RST, 0, 0, 0);
		}
	}
	s.peer_port = h.src_port;
	s.peer_buf_alloc = h.buf_alloc;
	s.peer_fwd_cnt = h.fwd_cnt;
	vs_send(d, &s, OP_RESPONSE, 0, 0, 0);
	say("virtio-vsock: accepted from host port ", h.src_port, 1, "");
	echo(d, &s);
}

static void vsock_test(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	(void)bi;
	cid = rd32(d->base + VIRTIO_REG_CONFIG) | (uint64_t)rd32(d->base + VIRTIO_REG_CONFIG + 4)
							  << 32;
	say("virtio-vsock: guest cid ", cid, 1, "");
	start(d);
	connect_host(d);
	vs_listen(d);
}

/* Sends a header of hlen bytes (payload len) and waits up to 300 ms for
 * the device's answer: 1 if it is an RST, 0 if nothing came, fails on
 * anything else. */
static int provoke(struct vdev *d, struct hdr *h, uint32_t hlen)
{
	struct vq *q = &d->q[TX];
	uint8_t data[RX_DATA];
	struct hdr r;

	tx_hdr = *h;
	vq_set_desc(q, 0, &tx_hdr, hlen, 0);
	vq_submit(q, FAIL_HOSTILE);
	if (!receive(d, 300, &r, data))
		return 0;
	if (r.op != OP_RST || r.src_port != h->dst_port || r.dst_port != h->src_port)
		fail(FAIL_HOSTILE, "hostile: virtio-vsock answered a malformed packet");
	return 1;
}

static unsigned vsock_hostile(struct vdev *d, const volatile struct guest_boot_info *bi)
{
	struct hdr h = { .src_cid = cid,
			 .dst_cid = HOST_CID,
			 .src_port = 5000,
			 .dst_port = 52,
			 .type = TYPE_STREAM,
			 .op = OP_REQUEST,
			 .buf_alloc = GUEST_BUF_ALLOC };
	struct vq *q;
	uint32_t t;
	unsigned n = 0;

	(void)bi;
	start(d);
	/* dropped without an answer: a short header, a wrong source CID, a
	 * packet for another host */
	if (provoke(d, &h, 20))
		fail(FAIL_HOSTILE, "hostile: virtio-vsock took a short header");
	n++;
	h.src_cid = cid + 1;
	if (provoke(d, &h, sizeof(h)))
		fail(FAIL_HOSTILE, "hostile: virtio-vsock took a packet from another CID");
	n++;
	h.src_cid = cid;
	h.dst_cid = 7;
	if (provoke(d, &h, sizeof(h)))
		fail(FAIL_HOSTILE, "hostile: virtio-vsock took a packet for another CID");
	n++;
	h.dst_cid = HOST_CID;
	/* answered by RST: a datagram type, a payload beyond the chain, data
	 * on no connection, an unknown operation */
	h.type = 2;
	if (!provoke(d, &h, sizeof(h)))
		fail(FAIL_HOSTILE, "hostile: virtio-vsock took a SEQPACKET request");
	n++;
	h.type = TYPE_STREAM;
	h.op = OP_RW;
	h.len = 4096;
	if (!provoke(d, &h, sizeof(h)))
		fail(FAIL_HOSTILE, "hostile: virtio-vsock took a length beyond the chain");
	n++;
	h.len = 0;
	if (!provoke(d, &h, sizeof(h)))
		fail(FAIL_HOSTILE, "hostile: virtio-vsock took data on no connection");
	n++;
	h.op = 99;
	if (!provoke(d, &h, sizeof(h)))
		fail(FAIL_HOSTILE, "hostile: virtio-vsock took an unknown operation");
	n++;
	/* a receive buffer too short for a header: the device must declare
	 * itself broken rather than write past it */
	if (virtio_setup(d, 3, 0) != 0)
		fail(FAIL_HOSTILE, "hostile: virtio-vsock: set-up refused");
	q = &d->q[RX];
	vq_set_desc(q, 0, &rx_bufs[0], 16, VRING_DESC_F_WRITE);
	vq_post(q, 0);
	h.op = OP_RW;
	tx_hdr = h;
	vq_set_desc(&d->q[TX], 0, &tx_hdr, sizeof(tx_hdr), 0);
	vq_post(&d->q[TX], 0);
	t = guest_ticks();
	while (!(rd32(d->base + VIRTIO_REG_STATUS) & ST_NEEDS_RESET))
		if ((guest_ticks() - t) * GUEST_TICK_MS > 1000)
			fail(FAIL_HOSTILE, "hostile: virtio-vsock wrote into a short buffer");
	n++;
	start(d);
	return n;
}

const struct guest_driver vsock_driver = {
	.name = "virtio-vsock",
	.device_id = 19,
	.nqueues = 3,
	.serve_queue = TX,
	.test = vsock_test,
	.hostile = vsock_hostile,
};
