/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-vsock (device ID 19) in Firecracker's "hybrid" model: the guest's
 * vsock streams end at host Unix sockets.  --vsock cid=N,uds=PATH.
 *
 *  - A guest connection to host port P connects to the Unix socket
 *    "PATH_P" (OP_RESPONSE if it answers, OP_RST if not).
 *  - A host program connects to PATH and sends "CONNECT P\n": the device
 *    asks the guest's port P (OP_REQUEST); on the guest's OP_RESPONSE it
 *    answers "OK <host port>\n" and the stream is open; on OP_RST it
 *    closes the host socket.
 *
 * Credit-based flow control (virtio 1.2, 5.10.6.3): the device never
 * sends the guest more than the guest's advertised credit (its buf_alloc
 * minus what is in flight), and does not even poll a host socket for
 * input while the guest has no credit or no receive buffer; the bytes the
 * guest sends that a host socket does not take at once wait in a
 * per-connection buffer of VSOCK_BUF_ALLOC bytes, which is the credit the
 * device advertises.
 *
 * Everything is allocated in create(): the connection table, its
 * buffers, the listening socket.  The device thread (role virtio_vsock)
 * only creates and connects Unix sockets, accepts, sends, receives and
 * closes: no allocation (glibc's malloc may need mmap or brk, which the
 * role does not have) and no path but PATH_* (connect).
 */
#include "device.h"
#include "seccomp.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_vsock.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define VSOCK_RX 0
#define VSOCK_TX 1
#define VSOCK_EVENT 2

#define VSOCK_CONNS 16
/* Our receive buffer per connection: the credit we give the guest. */
#define VSOCK_BUF_ALLOC 32768U
/* At most this much host data in one packet to the guest. */
#define VSOCK_PKT_MAX 16384U
/* Ports the device gives host-initiated connections (Firecracker starts
 * its local ports at 1 << 30 as well). */
#define VSOCK_LOCAL_PORT_BASE (1U << 30)
#define VSOCK_LINE_MAX 32 /* "CONNECT 4294967295\n" and some slack */
#define VSOCK_NOTICES 32  /* control packets of finished connections */
/* PATH + "_4294967295" must fit a Unix socket address. */
#define VSOCK_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1 - 11)

#define HDR_LEN ((uint32_t)sizeof(struct virtio_vsock_hdr))
_Static_assert(sizeof(struct virtio_vsock_hdr) == 44, "the virtio-vsock header is 44 bytes");

enum conn_state {
	CONN_FREE,
	CONN_LINE,    /* a host program connected to PATH: reading "CONNECT P\n" */
	CONN_REQUEST, /* OP_REQUEST owed to or sent to the guest, no answer yet */
	CONN_OPEN,
};

struct conn {
	enum conn_state state;
	int fd;
	uint32_t local_port; /* the host's end */
	uint32_t peer_port;  /* the guest's end */
	/* the guest's credit: what it can take is
	 * peer_buf_alloc - (tx_cnt - peer_fwd_cnt) */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* ours: bytes forwarded to the host socket, and the count the guest
	 * was last told */
	uint32_t fwd_cnt, fwd_cnt_told;
	/* control packets owed to the guest */
	bool send_request, send_response, send_credit;
	bool readable; /* the host socket had news at the last poll */
	bool host_eof; /* no more host data for the guest: the host ended, or the guest takes none */
	bool guest_shut_send; /* the guest sends no more: shut the host's side once flushed */
	uint8_t *out;	      /* host-bound bytes the socket did not take yet (a ring) */
	uint32_t out_head, out_len;
	char line[VSOCK_LINE_MAX];
	unsigned line_len;
};

/* A control packet outliving its connection (an RST, a SHUTDOWN). */
struct notice {
	uint16_t op;
	uint32_t flags, local_port, peer_port;
};

struct virtio_vsock {
	struct virtio_mmio dev;
	uint64_t cid;
	char path[VSOCK_PATH_MAX + 1];
	int listen_fd;
	struct conn conns[VSOCK_CONNS];
	unsigned next_conn; /* round robin over the connections' data */
	uint32_t next_local_port;
	struct notice notices[VSOCK_NOTICES];
	unsigned nnotices;
	/* a receive chain taken from the queue, not yet filled */
	struct virtio_chain rx;
	bool rx_held;
	bool reset_pending; /* the driver reset: close everything (device thread) */
	/* what poll_fds() filled: the connection of each, -1 the listener */
	int poll_conn[VSOCK_CONNS + 1];
	unsigned npoll;
	uint8_t scratch[VSOCK_PKT_MAX];
};

/* ---- the option ------------------------------------------------------------ */

/* "cid=N,uds=PATH" (either order): 0, or -EINVAL naming the bad part. */
static int parse_arg(const char *arg, uint64_t *cid, char *path, size_t pathlen, char *err,
		     size_t errlen)
{
	bool have_cid = false, have_uds = false;
	const char *p = arg;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > 4 && !strncmp(p, "cid=", 4)) {
			const char *v = p + 4;
			uint64_t c = 0;

			for (size_t i = 4; i < n; i++, v++) {
				if (*v < '0' || *v > '9' || c > UINT32_MAX) {
					c = UINT64_MAX;
					break;
				}
				c = c * 10 + (uint64_t)(*v - '0');
			}
			/* 0-2 are the hypervisor, the local loopback and the host;
			 * U32_MAX is VMADDR_CID_ANY.  Linux keeps CIDs in 32 bits. */
			if (c < 3 || c >= VMADDR_CID_ANY) {
				snprintf(err, errlen,
					 "--vsock %s: cid=%.*s: the guest CID must be a number "
					 "from 3 to %u",
					 arg, (int)(n - 4), p + 4, VMADDR_CID_ANY - 1);
				return -EINVAL;
			}
			*cid = c;
			have_cid = true;
		} else if (n > 4 && !strncmp(p, "uds=", 4)) {
			if (n - 4 > VSOCK_PATH_MAX || n - 4 >= pathlen) {
				snprintf(err, errlen,
					 "--vsock %s: uds=: path of %zu bytes (at most %zu: "
					 "PATH_<port> must fit a Unix socket address)",
					 arg, n - 4, VSOCK_PATH_MAX);
				return -EINVAL;
			}
			memcpy(path, p + 4, n - 4);
			path[n - 4] = 0;
			have_uds = true;
		} else {
			snprintf(err, errlen,
				 "--vsock %s: '%.*s': expected cid=N or uds=PATH (with a value)",
				 arg, (int)n, p);
			return -EINVAL;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (!have_cid || !have_uds) {
		snprintf(err, errlen, "--vsock %s: missing %s", arg,
			 !have_cid ? "cid=N (the guest's CID, 3 or more)"
				   : "uds=PATH (the host's Unix socket)");
		return -EINVAL;
	}
	return 0;
}

static int vsock_check(const struct device *d, char *err, size_t errlen)
{
	char path[VSOCK_PATH_MAX + 1];
	uint64_t cid;

	return parse_arg(d->args[0], &cid, path, sizeof(path), err, errlen);
}

/* create() binds PATH (and removes a stale one) on the main thread; the
 * device thread connects to PATH_* in the same directory (ABI 9 governs
 * that); destroy() unlinks PATH on the main thread, by then in role vmm. */
static int vsock_landlock(const struct device *d, struct vmm_seccomp *sc, struct sc_landlock *ll,
			  char *err, size_t errlen)
{
	char path[VSOCK_PATH_MAX + 1], dir[PATH_MAX], rule[PATH_MAX + 32];
	uint64_t cid;
	int rc;

	rc = parse_arg(d->args[0], &cid, path, sizeof(path), err, errlen);
	if (!rc) {
		char what[VSOCK_PATH_MAX + 64];

		snprintf(what, sizeof(what), "--vsock %s: uds=%s", d->args[0], path);
		rc = path_dir(path, dir, sizeof(dir), what, err, errlen);
	}
	if (rc)
		return rc;
	snprintf(rule, sizeof(rule), "%s:create+socket+connect", dir);
	rc = sc_add_path_rule(sc, ll, VMM_SECCOMP_ROLE_PROCESS, "--vsock", rule, err, errlen);
	snprintf(rule, sizeof(rule), "%s:connect", dir);
	if (!rc)
		rc = sc_add_path_rule(sc, ll, VMM_SECCOMP_ROLE_VIRTIO_VSOCK, "--vsock", rule, err,
				      errlen);
	snprintf(rule, sizeof(rule), "%s:create", dir);
	if (!rc)
		rc = sc_add_path_rule(sc, ll, VMM_SECCOMP_ROLE_VMM, "--vsock", rule, err, errlen);
	return rc;
}

/* ---- connections ------------------------------------------------------------- */

static uint32_t peer_credit(const struct conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

static struct conn *conn_find(struct virtio_vsock *vs, uint32_t local_port, uint32_t peer_port)
{
	for (unsigned i = 0; i < VSOCK_CONNS; i++) {
		struct conn *c = &vs->conns[i];

		if (c->state != CONN_FREE && c->state != CONN_LINE && c->local_port == local_port &&
		    c->peer_port == peer_port)
			return c;
	}
	return NULL;
}

static bool have_free_slot(const struct virtio_vsock *vs)
{
	for (unsigned i = 0; i < VSOCK_CONNS; i++)
		if (vs->conns[i].state == CONN_FREE)
			return true;
	return false;
}

/* A free slot, set up for fd (NULL: none free; callers check
 * have_free_slot() before they open anything). */
static struct conn *conn_new(struct virtio_vsock *vs, int fd, enum conn_state state)
{
	for (unsigned i = 0; i < VSOCK_CONNS; i++) {
		struct conn *c = &vs->conns[i];
		uint8_t *out = c->out;

		if (c->state != CONN_FREE)
			continue;
		memset(c, 0, sizeof(*c));
		c->out = out;
		c->fd = fd;
		c->state = state;
		return c;
	}
	return NULL;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = CONN_FREE;
}

/* Queues a control packet about a connection that no longer exists.
 * Those answering a packet that had no connection (`stray`) leave room
 * for the ones closing connections, which the guest waits for. */
static void notice(struct virtio_vsock *vs, uint16_t op, uint32_t flags, uint32_t local_port,
		   uint32_t peer_port, bool stray)
{
	if (vs->nnotices == VSOCK_NOTICES || (stray && vs->nnotices >= VSOCK_NOTICES / 2))
		return;
	vs->notices[vs->nnotices++] = (struct notice){ op, flags, local_port, peer_port };
}

/* Ends a connection with an RST to the guest. */
static void conn_reset(struct virtio_vsock *vs, struct conn *c)
{
	if (c->state == CONN_REQUEST || c->state == CONN_OPEN)
		notice(vs, VIRTIO_VSOCK_OP_RST, 0, c->local_port, c->peer_port, false);
	conn_close(c);
}

static void close_all(struct virtio_vsock *vs)
{
	for (unsigned i = 0; i < VSOCK_CONNS; i++)
		if (vs->conns[i].state != CONN_FREE)
			conn_close(&vs->conns[i]);
	vs->nnotices = 0;
	vs->rx_held = false;
}

/* Writes what the host socket takes of the pending bytes. */
static void conn_flush(struct virtio_vsock *vs, struct conn *c)
{
	while (c->out_len) {
		uint32_t n = c->out_len;
		ssize_t w;

		if (n > VSOCK_BUF_ALLOC - c->out_head)
			n = VSOCK_BUF_ALLOC - c->out_head;
		w = send(c->fd, c->out + c->out_head, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			conn_reset(vs, c);
			return;
		}
		c->out_head = (c->out_head + (uint32_t)w) % VSOCK_BUF_ALLOC;
		c->out_len -= (uint32_t)w;
		c->fwd_cnt += (uint32_t)w;
	}
	if (c->guest_shut_send)
		shutdown(c->fd, SHUT_WR);
	/* Tell the guest once it could otherwise stall on its credit. */
	if (c->fwd_cnt - c->fwd_cnt_told >= VSOCK_BUF_ALLOC / 2)
		c->send_credit = true;
}

/* The guest's bytes for the host socket: straight on when nothing waits
 * before them, else behind what waits.  More than our credit leaves room
 * for is the guest breaking the protocol: RST. */
static void conn_to_host(struct virtio_vsock *vs, struct conn *c, const struct virtio_chain *ch,
			 uint32_t len)
{
	uint32_t done = 0;

	if (len > VSOCK_BUF_ALLOC - c->out_len) {
		conn_reset(vs, c);
		return;
	}
	while (done < len) {
		uint32_t n = len - done < VSOCK_PKT_MAX ? len - done : VSOCK_PKT_MAX;
		uint32_t sent = 0;

		n = virtio_chain_read(ch, HDR_LEN + done, vs->scratch, n);
		if (!c->out_len) {
			ssize_t w = send(c->fd, vs->scratch, n, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				conn_reset(vs, c);
				return;
			}
			sent = w > 0 ? (uint32_t)w : 0;
			c->fwd_cnt += sent;
		}
		for (uint32_t i = sent; i < n; i++)
			c->out[(c->out_head + c->out_len++) % VSOCK_BUF_ALLOC] = vs->scratch[i];
		done += n;
	}
	if (c->fwd_cnt - c->fwd_cnt_told >= VSOCK_BUF_ALLOC / 2)
		c->send_credit = true;
}

/* Connects guest port src to host port dst: the Unix socket PATH_dst. */
static void guest_connect(struct virtio_vsock *vs, const struct virtio_vsock_hdr *h)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct conn *c;
	int fd;

	/* no slot: refused before the host service sees a connection */
	if (!have_free_slot(vs))
		goto refuse;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto refuse;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s_%u", vs->path, h->dst_port);
	/* A Unix stream connect completes at once or fails (EAGAIN: the
	 * listener's backlog is full): no connection in progress to track. */
	if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		goto refuse;
	}
	c = conn_new(vs, fd, CONN_OPEN);
	if (!c) {
		close(fd);
		goto refuse;
	}
	c->local_port = h->dst_port;
	c->peer_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->send_response = true;
	return;

refuse:
	notice(vs, VIRTIO_VSOCK_OP_RST, 0, h->dst_port, h->src_port, false);
}

/* The guest accepted a host-initiated connection. */
static void host_accepted(struct virtio_vsock *vs, struct conn *c)
{
	char ok[24];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->local_port);

	/* The socket is new and its buffer empty: a short line goes whole. */
	if (send(c->fd, ok, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n) {
		conn_reset(vs, c);
		return;
	}
	c->state = CONN_OPEN;
}

/* One packet the guest sent. */
static void tx_packet(struct virtio_vsock *vs, const struct virtio_chain *ch)
{
	struct virtio_vsock_hdr h;
	struct conn *c;

	if (virtio_chain_read(ch, 0, &h, HDR_LEN) < HDR_LEN)
		return; /* not even a header: nothing to answer */
	/* Not from the guest's CID, or not to the host: not ours to answer. */
	if (h.src_cid != vs->cid || h.dst_cid != VMADDR_CID_HOST)
		return;
	c = conn_find(vs, h.dst_port, h.src_port);
	if (h.type != VIRTIO_VSOCK_TYPE_STREAM || h.len > virtio_chain_size(ch, false) - HDR_LEN) {
		if (h.op != VIRTIO_VSOCK_OP_RST) {
			if (c)
				conn_reset(vs, c);
			else
				notice(vs, VIRTIO_VSOCK_OP_RST, 0, h.dst_port, h.src_port, true);
		}
		return;
	}
	if (c) {
		c->peer_buf_alloc = h.buf_alloc;
		c->peer_fwd_cnt = h.fwd_cnt;
	}
	switch (h.op) {
	case VIRTIO_VSOCK_OP_REQUEST:
		if (c)
			conn_reset(vs, c); /* a second request on an open connection */
		else
			guest_connect(vs, &h);
		return;
	case VIRTIO_VSOCK_OP_RST:
		if (c)
			conn_close(c);
		return;
	default:
		break;
	}
	if (!c) {
		notice(vs, VIRTIO_VSOCK_OP_RST, 0, h.dst_port, h.src_port, true);
		return;
	}
	switch (h.op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state == CONN_REQUEST && !c->send_request)
			host_accepted(vs, c);
		else
			conn_reset(vs, c);
		break;
	case VIRTIO_VSOCK_OP_RW:
		if (c->state == CONN_OPEN && !c->guest_shut_send)
			conn_to_host(vs, c, ch, h.len);
		else
			conn_reset(vs, c);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		if ((h.flags & VIRTIO_VSOCK_SHUTDOWN_SEND) &&
		    (h.flags & VIRTIO_VSOCK_SHUTDOWN_RCV)) {
			/* Done both ways: what the host socket takes now is
			 * the last it gets; the guest expects our RST. */
			if (c->out_len)
				conn_flush(vs, c);
			if (c->state != CONN_FREE)
				conn_reset(vs, c);
		} else if (h.flags & VIRTIO_VSOCK_SHUTDOWN_SEND) {
			c->guest_shut_send = true;
			if (!c->out_len)
				shutdown(c->fd, SHUT_WR);
		} else if (h.flags & VIRTIO_VSOCK_SHUTDOWN_RCV) {
			c->host_eof = true; /* it takes no more: stop reading for it */
		}
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		break; /* recorded above */
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->send_credit = true;
		break;
	default:
		conn_reset(vs, c);
		break;
	}
}

/* ---- host sockets ------------------------------------------------------------- */

/* Accepts while there is room: the others wait in the backlog. */
static void host_accept(struct virtio_vsock *vs)
{
	while (have_free_slot(vs)) {
		int fd = accept4(vs->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return; /* EAGAIN, or the peer left already */
		conn_new(vs, fd, CONN_LINE);
	}
}

/* A free host port for a host-initiated connection. */
static uint32_t local_port(struct virtio_vsock *vs)
{
	for (;;) {
		uint32_t p = vs->next_local_port++;
		bool used = false;

		if (vs->next_local_port < VSOCK_LOCAL_PORT_BASE)
			vs->next_local_port = VSOCK_LOCAL_PORT_BASE;
		for (unsigned i = 0; i < VSOCK_CONNS && !used; i++)
			used = vs->conns[i].state != CONN_FREE && vs->conns[i].local_port == p;
		if (!used)
			return p;
	}
}

/* "CONNECT P\n": P the guest port, decimal. */
static bool parse_connect(const char *line, unsigned len, uint32_t *port)
{
	uint64_t p = 0;
	unsigned i;

	if (len < 10 || memcmp(line, "CONNECT ", 8) != 0 || line[len - 1] != '\n')
		return false;
	for (i = 8; i < len - 1; i++) {
		if (line[i] < '0' || line[i] > '9' || p > UINT32_MAX)
			return false;
		p = p * 10 + (uint64_t)(line[i] - '0');
	}
	if (p > UINT32_MAX)
		return false;
	*port = (uint32_t)p;
	return true;
}

/* Reads the CONNECT line a byte at a time: what follows it is the
 * stream's, for after "OK". */
static void host_line(struct virtio_vsock *vs, struct conn *c)
{
	while (c->line_len < VSOCK_LINE_MAX) {
		ssize_t n = recv(c->fd, &c->line[c->line_len], 1, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		if (c->line[c->line_len++] != '\n')
			continue;
		if (!parse_connect(c->line, c->line_len, &c->peer_port))
			break;
		c->local_port = local_port(vs);
		c->state = CONN_REQUEST;
		c->send_request = true;
		return;
	}
	conn_close(c); /* closed, too long, or not a CONNECT line */
}

/* ---- to the guest ------------------------------------------------------------ */

/* The held receive chain, taking one if none is: NULL when the queue is
 * empty or broken. */
static struct virtio_chain *rx_chain(struct virtio_vsock *vs)
{
	if (vs->rx_held)
		return &vs->rx;
	if (virtio_queue_pop(&vs->dev, VSOCK_RX, &vs->rx) <= 0)
		return NULL;
	if (virtio_chain_size(&vs->rx, true) < HDR_LEN) {
		virtio_mmio_broken(&vs->dev, "vsock receive buffer shorter than a packet header");
		return NULL;
	}
	vs->rx_held = true;
	return &vs->rx;
}

static void rx_send(struct virtio_vsock *vs, uint16_t op, uint32_t flags, uint32_t local_port,
		    uint32_t peer_port, struct conn *c, uint32_t len)
{
	struct virtio_vsock_hdr h = {
		.src_cid = VMADDR_CID_HOST,
		.dst_cid = vs->cid,
		.src_port = local_port,
		.dst_port = peer_port,
		.len = len,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = op,
		.flags = flags,
		.buf_alloc = VSOCK_BUF_ALLOC,
		.fwd_cnt = c ? c->fwd_cnt : 0,
	};

	if (c)
		c->fwd_cnt_told = c->fwd_cnt;
	virtio_chain_write(&vs->rx, 0, &h, HDR_LEN);
	if (len)
		virtio_chain_write(&vs->rx, HDR_LEN, vs->scratch, len);
	virtio_queue_push(&vs->dev, VSOCK_RX, vs->rx.head, HDR_LEN + len);
	vs->rx_held = false;
}

/* One control packet a connection owes the guest: sent or not. */
static bool rx_control(struct virtio_vsock *vs, struct conn *c)
{
	uint16_t op;

	if (c->state == CONN_FREE || c->state == CONN_LINE)
		return false;
	if (c->send_request)
		op = VIRTIO_VSOCK_OP_REQUEST;
	else if (c->send_response)
		op = VIRTIO_VSOCK_OP_RESPONSE;
	else if (c->send_credit)
		op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
	else
		return false;
	if (!rx_chain(vs))
		return false;
	rx_send(vs, op, 0, c->local_port, c->peer_port, c, 0);
	if (op == VIRTIO_VSOCK_OP_REQUEST)
		c->send_request = false;
	else if (op == VIRTIO_VSOCK_OP_RESPONSE)
		c->send_response = false;
	/* every header carries our counts: an update is owed no more */
	c->send_credit = false;
	return true;
}

/* Host data for the guest, within its credit: sent or not. */
static bool rx_data(struct virtio_vsock *vs, struct conn *c)
{
	struct virtio_chain *ch;
	uint32_t room, n;
	ssize_t got;

	if (c->state != CONN_OPEN || !c->readable || c->host_eof || !peer_credit(c))
		return false;
	ch = rx_chain(vs);
	if (!ch)
		return false;
	room = virtio_chain_size(ch, true) - HDR_LEN;
	n = peer_credit(c);
	if (n > room)
		n = room;
	if (n > VSOCK_PKT_MAX)
		n = VSOCK_PKT_MAX;
	if (!n)
		return false;
	got = recv(c->fd, vs->scratch, n, MSG_DONTWAIT);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		c->readable = false;
		return false;
	}
	if (got < 0) {
		c->readable = false;
		conn_reset(vs, c);
		return true;
	}
	if (got == 0) {
		/* The host sends no more; the guest may still, until it closes. */
		c->readable = false;
		c->host_eof = true;
		rx_send(vs, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, c->local_port,
			c->peer_port, c, 0);
		return true;
	}
	c->tx_cnt += (uint32_t)got;
	rx_send(vs, VIRTIO_VSOCK_OP_RW, 0, c->local_port, c->peer_port, c, (uint32_t)got);
	return true;
}

/* Fills receive chains while there is something to send. */
static void rx_fill(struct virtio_vsock *vs)
{
	bool sent = true;

	while (vs->nnotices && rx_chain(vs)) {
		struct notice *nt = &vs->notices[0];

		rx_send(vs, nt->op, nt->flags, nt->local_port, nt->peer_port, NULL, 0);
		memmove(vs->notices, vs->notices + 1, --vs->nnotices * sizeof(*nt));
	}
	if (vs->nnotices)
		return;
	for (unsigned i = 0; i < VSOCK_CONNS; i++)
		while (rx_control(vs, &vs->conns[i]))
			;
	/* Data, one packet per connection in turn. */
	while (sent) {
		sent = false;
		for (unsigned i = 0; i < VSOCK_CONNS; i++) {
			struct conn *c = &vs->conns[(vs->next_conn + i) % VSOCK_CONNS];

			if (rx_data(vs, c)) {
				sent = true;
				/* an RST it caused goes first */
				while (vs->nnotices && rx_chain(vs)) {
					struct notice *nt = &vs->notices[0];

					rx_send(vs, nt->op, nt->flags, nt->local_port,
						nt->peer_port, NULL, 0);
					memmove(vs->notices, vs->notices + 1,
						--vs->nnotices * sizeof(*nt));
				}
			}
		}
		vs->next_conn = (vs->next_conn + 1) % VSOCK_CONNS;
	}
}

/* ---- the device thread ---------------------------------------------------------- */

static void apply_reset(struct virtio_vsock *vs)
{
	if (!vs->reset_pending)
		return;
	vs->reset_pending = false;
	close_all(vs);
	vs->npoll = 0;
}

static unsigned vsock_poll_fds(struct virtio_mmio *dev, struct pollfd *fds, unsigned max)
{
	struct virtio_vsock *vs = dev->priv;
	/* a held chain with room for a header only takes no data: polling
	 * for input then would wake the thread for nothing, again and again */
	bool rx_room = vs->rx_held ? virtio_chain_size(&vs->rx, true) > HDR_LEN
				   : virtio_queue_has_chain(dev, VSOCK_RX);
	bool free_slot = false;
	unsigned n = 0;

	apply_reset(vs);
	for (unsigned i = 0; i < VSOCK_CONNS && n < max; i++) {
		struct conn *c = &vs->conns[i];
		short ev = 0;

		if (c->state == CONN_FREE)
			free_slot = true;
		else if (c->state == CONN_LINE)
			ev = POLLIN;
		else if (c->state == CONN_OPEN) {
			/* Only what can go on: input the guest has room and
			 * credit for, output pending.  Neither: not polled at
			 * all (a hang-up would wake the thread for nothing). */
			if (!c->host_eof && rx_room && peer_credit(c))
				ev |= POLLIN;
			if (c->out_len)
				ev |= POLLOUT;
		}
		if (!ev)
			continue;
		fds[n] = (struct pollfd){ .fd = c->fd, .events = ev };
		vs->poll_conn[n++] = (int)i;
	}
	/* New host connections only for a guest that can be asked. */
	if (free_slot && n < max && virtio_queue_running(dev, VSOCK_RX)) {
		fds[n] = (struct pollfd){ .fd = vs->listen_fd, .events = POLLIN };
		vs->poll_conn[n++] = -1;
	}
	vs->npoll = n;
	return n;
}

static void vsock_run(struct virtio_mmio *dev, const struct pollfd *fds, unsigned nfds)
{
	struct virtio_vsock *vs = dev->priv;
	struct virtio_chain ch;
	int rc;

	if (vs->reset_pending) {
		apply_reset(vs);
		nfds = 0; /* the descriptors polled were the old connections' */
	}
	for (unsigned i = 0; i < nfds && i < vs->npoll; i++) {
		struct conn *c;

		if (!fds[i].revents)
			continue;
		if (vs->poll_conn[i] < 0) {
			host_accept(vs);
			continue;
		}
		c = &vs->conns[vs->poll_conn[i]];
		if (c->fd != fds[i].fd)
			continue;
		if (c->state == CONN_LINE)
			host_line(vs, c);
		else if (c->state == CONN_OPEN && (fds[i].revents & POLLOUT) && c->out_len)
			conn_flush(vs, c);
		if (c->state == CONN_OPEN && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			c->readable = true;
	}
	vs->npoll = 0;
	while ((rc = virtio_queue_pop(dev, VSOCK_TX, &ch)) > 0) {
		tx_packet(vs, &ch);
		virtio_queue_push(dev, VSOCK_TX, ch.head, 0);
	}
	if (rc < 0)
		return;
	rx_fill(vs);
}

/* vCPU thread: the sockets are closed by the device thread, which may be
 * polling them right now. */
static void vsock_reset(struct virtio_mmio *dev)
{
	struct virtio_vsock *vs = dev->priv;

	vs->reset_pending = true;
	vs->rx_held = false;
}

static const struct virtio_ops vsock_ops = {
	.nqueues = 3,
	.poll_fds = vsock_poll_fds,
	.run = vsock_run,
	.reset = vsock_reset,
};

/* ---- set-up -------------------------------------------------------------------- */

/* A socket left at PATH by a VMM that died is removed; a live one, or
 * anything else there, is an error. */
static int remove_stale(const char *arg, const struct sockaddr_un *addr, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(addr->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "--vsock %s: uds=%s exists and is not a socket", arg,
			 addr->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "--vsock %s: socket: %s", arg, strerror(errno));
		return rc;
	}
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
		close(fd);
		snprintf(err, errlen, "--vsock %s: uds=%s: another process listens there", arg,
			 addr->sun_path);
		return -EADDRINUSE;
	}
	close(fd);
	if (unlink(addr->sun_path) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--vsock %s: uds=%s: removing the stale socket: %s", arg,
			 addr->sun_path, strerror(errno));
		return rc;
	}
	return 0;
}

static int vsock_create(struct device *d, struct vm *vm, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *arg = d->args[0];
	struct virtio_vsock *vs;
	unsigned i;
	int rc;

	vs = calloc(1, sizeof(*vs));
	if (!vs) {
		snprintf(err, errlen, "--vsock %s: out of memory", arg);
		return -ENOMEM;
	}
	vs->listen_fd = -1;
	rc = parse_arg(arg, &vs->cid, vs->path, sizeof(vs->path), err, errlen);
	if (rc < 0)
		goto err_free;
	vs->next_local_port = VSOCK_LOCAL_PORT_BASE;
	for (i = 0; i < VSOCK_CONNS; i++) {
		vs->conns[i].fd = -1;
		vs->conns[i].out = malloc(VSOCK_BUF_ALLOC);
		if (!vs->conns[i].out) {
			snprintf(err, errlen, "--vsock %s: out of memory", arg);
			rc = -ENOMEM;
			goto err_free_bufs;
		}
	}
	memcpy(addr.sun_path, vs->path, strlen(vs->path) + 1);
	rc = remove_stale(arg, &addr, err, errlen);
	if (rc < 0)
		goto err_free_bufs;
	vs->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (vs->listen_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "--vsock %s: socket: %s", arg, strerror(errno));
		goto err_free_bufs;
	}
	if (bind(vs->listen_fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--vsock %s: uds=%s: bind: %s", arg, vs->path,
			 strerror(errno));
		goto err_close_listen;
	}
	if (listen(vs->listen_fd, VSOCK_CONNS) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--vsock %s: uds=%s: listen: %s", arg, vs->path,
			 strerror(errno));
		goto err_unlink;
	}
	d->mmio = &vs->dev;
	rc = device_mmio_init(d, vm, 0, &vsock_ops, vs, err, errlen);
	if (rc < 0)
		goto err_unlink;
	/* struct virtio_vsock_config: guest_cid, little-endian */
	memcpy(vs->dev.config, &vs->cid, sizeof(vs->cid));
	vs->dev.config_len = sizeof(vs->cid);
	d->state = vs;
	return 0;

err_unlink:
	unlink(vs->path);
err_close_listen:
	close(vs->listen_fd);
err_free_bufs:
	for (i = 0; i < VSOCK_CONNS; i++)
		free(vs->conns[i].out);
err_free:
	free(vs);
	d->mmio = NULL;
	return rc;
}

static void vsock_destroy(struct device *d)
{
	struct virtio_vsock *vs = d->state;

	close_all(vs);
	virtio_mmio_free(&vs->dev);
	close(vs->listen_fd);
	unlink(vs->path);
	for (unsigned i = 0; i < VSOCK_CONNS; i++)
		free(vs->conns[i].out);
	free(vs);
	d->state = NULL;
	d->mmio = NULL;
}

static int vsock_info(const struct device *d, char *buf, size_t len)
{
	const struct virtio_vsock *vs = d->state;
	int n = snprintf(buf, len, ",\"cid\":%llu,\"uds\":\"", (unsigned long long)vs->cid);
	size_t used;

	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	/* the path as a JSON string: quote and backslash escaped, control
	 * characters as \u00XX */
	for (const char *p = vs->path; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch < 0x20)
			n = snprintf(buf + used, len - used, "\\u%04x", ch);
		else if (ch == '"' || ch == '\\')
			n = snprintf(buf + used, len - used, "\\%c", ch);
		else
			n = snprintf(buf + used, len - used, "%c", ch);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	n = snprintf(buf + used, len - used, "\"");
	if (n < 0 || (size_t)n >= len - used)
		return -1;
	return (int)(used + (size_t)n);
}

const struct device_type virtio_vsock_type = {
	.name = "virtio-vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.role = VMM_SECCOMP_ROLE_VIRTIO_VSOCK,
	.options = {
		{ "vsock", true,
		  "cid=N,uds=PATH\tvirtio-vsock, Firecracker's hybrid model: guest CID N\n"
		  "(3 or more); a guest connection to host port P connects to the Unix\n"
		  "socket PATH_P; a host program connecting to PATH sends\n"
		  "\"CONNECT P\\n\" to reach the guest's port P and gets \"OK <port>\\n\"" },
	},
	.check = vsock_check,
	.landlock = vsock_landlock,
	.create = vsock_create,
	.destroy = vsock_destroy,
	.info = vsock_info,
};
