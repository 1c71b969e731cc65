/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net (device ID 1) on a tap device: receiveq 0 and transmitq 1, a
 * MAC in configuration space (VIRTIO_NET_F_MAC), no offloads, no mergeable
 * receive buffers, no control queue.
 *
 *   --net tap=NAME   attach to tap NAME, created if it does not exist
 *   --net tap        a new tap, its name chosen by the kernel (printed)
 *   --net fd=N       a tap descriptor the embedder opened (crosvm's
 *                    --tap-fd); or a datagram / seqpacket socket carrying
 *                    one Ethernet frame per message (the fuzz harness)
 *   --net-mac MAC    the guest's MAC (else 52:54:00:12:34:56)
 *
 * The tap is opened and configured by create() on the main thread; the
 * device thread only moves frames with readv/writev (role virtio_net).
 *
 * Taps the VMM opens carry bare frames (no IFF_VNET_HDR): with no offload
 * negotiated the 12-byte virtio_net_hdr has nothing to say, so the device
 * writes it itself on receive and drops the guest's on transmit.  The
 * guest's header never reaches the host kernel's virtio_net_hdr_to_skb()
 * (GSO and checksum offsets chosen by the guest), and the kernel never
 * hands over a frame with a partial checksum.  A tap handed over with
 * IFF_VNET_HDR gets a zeroed header of its own on transmit and its header
 * is skipped on receive, offloads switched off.
 */
#include "device.h"
#include "http.h"
#include "seccomp.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define RXQ 0
#define TXQ 1
#define HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr_v1)) /* 12: VERSION_1 */
#define TUN_PATH "/dev/net/tun"
#define DEFAULT_MAC "52:54:00:12:34:56"

_Static_assert(sizeof(struct virtio_net_hdr_v1) == 12, "virtio_net_hdr_v1 is 12 bytes");

enum net_kind { NET_TAP_AUTO, NET_TAP_NAMED, NET_FD };

struct net_spec {
	enum net_kind kind;
	char name[IFNAMSIZ];
	int fd;
};

struct virtio_net {
	struct virtio_mmio dev;
	int fd;
	uint32_t vnet_hdr;     /* bytes of header the descriptor itself carries: 0 or 12 */
	char ifname[IFNAMSIZ]; /* "" for a socket */
	uint8_t mac[ETH_ALEN];
	/* A receive chain popped and waiting for a frame (the tap had none). */
	bool rx_pending;
	struct virtio_chain rx;
	bool dead; /* the descriptor failed: no more waiting on it */
	uint64_t rx_dropped, tx_dropped;
};

/* ---- options -------------------------------------------------------------- */

/* What the kernel's dev_valid_name() accepts. */
static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == ' ' || (*s >= '\t' && *s <= '\r'))
			return false;
	return true;
}

static int parse_net(const char *v, struct net_spec *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (!strcmp(v, "tap")) {
		s->kind = NET_TAP_AUTO;
		return 0;
	}
	if (!strncmp(v, "tap=", 4)) {
		if (!valid_ifname(v + 4)) {
			snprintf(err, errlen,
				 "--net '%s': not an interface name (1 to %d bytes, no '/', ':' "
				 "or white space)",
				 v, IFNAMSIZ - 1);
			return -EINVAL;
		}
		s->kind = NET_TAP_NAMED;
		snprintf(s->name, sizeof(s->name), "%s", v + 4); /* length checked above */
		return 0;
	}
	if (!strncmp(v, "fd=", 3) && v[3] >= '0' && v[3] <= '9') {
		char *end;
		long fd;

		errno = 0;
		fd = strtol(v + 3, &end, 10);
		if (*end || errno || fd > INT_MAX)
			goto bad;
		s->kind = NET_FD;
		s->fd = (int)fd;
		return 0;
	}
bad:
	snprintf(err, errlen, "--net '%s': expected tap, tap=NAME or fd=N", v);
	return -EINVAL;
}

static int parse_mac(const char *v, uint8_t mac[ETH_ALEN], char *err, size_t errlen)
{
	if (strlen(v) != 3 * ETH_ALEN - 1)
		goto bad;
	for (unsigned i = 0; i < ETH_ALEN; i++) {
		const char *x = v + (size_t)3 * i;
		int hi = hex_digit(x[0]), lo = hex_digit(x[1]);

		if (hi < 0 || lo < 0 || (i + 1 < ETH_ALEN && x[2] != ':'))
			goto bad;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1) {
		snprintf(err, errlen, "--net-mac '%s': a multicast address (the first byte is odd)",
			 v);
		return -EINVAL;
	}
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
		snprintf(err, errlen, "--net-mac '%s': the all-zero address", v);
		return -EINVAL;
	}
	return 0;

bad:
	snprintf(err, errlen, "--net-mac '%s': expected XX:XX:XX:XX:XX:XX (hex)", v);
	return -EINVAL;
}

static int net_check(const struct device *d, char *err, size_t errlen)
{
	uint8_t mac[ETH_ALEN];
	struct net_spec s;
	int rc;

	rc = parse_net(d->args[0], &s, err, errlen);
	if (rc < 0)
		return rc;
	if (s.kind == NET_FD && fcntl(s.fd, F_GETFD) < 0) {
		snprintf(err, errlen, "--net '%s': descriptor %d is not open", d->args[0], s.fd);
		return -EINVAL;
	}
	return parse_mac(d->args[1] ? d->args[1] : DEFAULT_MAC, mac, err, errlen);
}

/* ---- the queues (device thread, lock held) -------------------------------- */

/* iov[] over c's buffers of one direction from byte `off` of those; adds
 * their length to *len.  Returns how many entries it filled. */
static unsigned chain_iov(const struct virtio_chain *c, bool writable, uint64_t off,
			  struct iovec *iov, uint64_t *len)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n; i++) {
		const struct virtio_buf *b = &c->buf[i];

		if (b->writable != writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		iov[n].iov_base = b->p + off;
		iov[n].iov_len = b->len - off;
		*len += b->len - off;
		n++;
		off = 0;
	}
	return n;
}

static uint64_t chain_bytes(const struct virtio_chain *c, bool writable)
{
	struct iovec iov[VIRTIO_CHAIN_MAX];
	uint64_t len = 0;

	chain_iov(c, writable, 0, iov, &len);
	return len;
}

/* Frames dropped; GET /vm reads the counters from the API thread. */
static void count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

/* The descriptor failed for good (the tap's interface was deleted, the
 * socket's peer left): say so once and stop waiting on it. */
static void net_dead(struct virtio_net *net, const char *what, int e)
{
	net->dead = true;
	fprintf(stderr, "sample-vmm: %s: %s: %s; no more frames\n", net->dev.name, what,
		e ? strerror(e) : "end of file");
}

static uint32_t net_tx(struct virtio_mmio *dev, const struct virtio_chain *c)
{
	static const struct virtio_net_hdr_v1 zero_hdr;
	struct virtio_net *net = dev->priv;
	struct iovec iov[VIRTIO_CHAIN_MAX + 1];
	uint64_t len = 0;
	unsigned n = 0;

	/* Transmit buffers are all driver-readable, header first: anything
	 * else is dropped, the chain given back (a queue that works). */
	if (chain_bytes(c, true) != 0 || chain_bytes(c, false) < HDR_LEN + ETH_HLEN) {
		count(&net->tx_dropped);
		return 0;
	}
	if (net->vnet_hdr)
		iov[n++] = (struct iovec){ (void *)&zero_hdr, net->vnet_hdr };
	n += chain_iov(c, false, HDR_LEN, iov + n, &len);
	if (net->dead || len > ETH_FRAME_LEN + 4 /* a VLAN tag */) {
		count(&net->tx_dropped);
		return 0;
	}
	for (;;) {
		ssize_t w = writev(net->fd, iov, (int)n);

		if (w < 0 && errno == EINTR)
			continue;
		/* EAGAIN (the tap's queue is full), EIO (its interface is down):
		 * dropped, as a NIC drops what the wire does not take */
		if (w < 0)
			count(&net->tx_dropped);
		return 0;
	}
}

static void net_rx(struct virtio_net *net)
{
	struct virtio_mmio *dev = &net->dev;
	struct virtio_net_hdr_v1 hdr = { .num_buffers = 1 }, skip;

	while (!net->dead && virtio_queue_running(dev, RXQ)) {
		struct iovec iov[VIRTIO_CHAIN_MAX + 2];
		uint64_t room = 0;
		unsigned n = 0;
		uint8_t spill;
		ssize_t got;

		if (!net->rx_pending) {
			if (virtio_queue_pop(dev, RXQ, &net->rx) <= 0)
				return;
			/* Receive buffers are device-writable and hold at least a
			 * header and an Ethernet header: a chain that cannot is given
			 * back empty. */
			if (chain_bytes(&net->rx, true) < HDR_LEN + ETH_HLEN) {
				count(&net->rx_dropped);
				virtio_queue_push(dev, RXQ, net->rx.head, 0);
				continue;
			}
			net->rx_pending = true;
		}
		if (net->vnet_hdr)
			iov[n++] = (struct iovec){ &skip, net->vnet_hdr };
		n += chain_iov(&net->rx, true, HDR_LEN, iov + n, &room);
		/* A byte past the chain: a socket cuts a frame short silently,
		 * so a frame that reaches it did not fit.  (A tap returns the
		 * whole frame's length anyway.) */
		iov[n++] = (struct iovec){ &spill, 1 };
		got = readv(net->fd, iov, (int)n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			return; /* the chain waits for the next frame */
		if (got <= 0) {
			net_dead(net, "read", got < 0 ? errno : 0);
			return;
		}
		/* Bigger than the chain: dropped, and the chain kept. */
		if ((uint64_t)got < net->vnet_hdr + ETH_HLEN ||
		    (uint64_t)got - net->vnet_hdr > room) {
			count(&net->rx_dropped);
			continue;
		}
		virtio_chain_write(&net->rx, 0, &hdr, HDR_LEN);
		virtio_queue_push(dev, RXQ, net->rx.head,
				  HDR_LEN + (uint32_t)((uint64_t)got - net->vnet_hdr));
		net->rx_pending = false;
	}
}

static unsigned net_poll_fds(struct virtio_mmio *dev, struct pollfd *fds, unsigned max)
{
	struct virtio_net *net = dev->priv;

	/* Only while the guest has given buffers: a frame it has no room for
	 * stays in the tap, and waiting for it would spin. */
	if (max < 1 || net->dead || !virtio_queue_running(dev, RXQ) ||
	    (!net->rx_pending && !virtio_queue_has_chain(dev, RXQ)))
		return 0;
	fds[0] = (struct pollfd){ .fd = net->fd, .events = POLLIN };
	return 1;
}

static void net_run(struct virtio_mmio *dev, const struct pollfd *fds, unsigned nfds)
{
	(void)fds;
	(void)nfds;
	virtio_queue_serve(dev, TXQ, net_tx);
	net_rx(dev->priv);
}

static void net_reset(struct virtio_mmio *dev)
{
	struct virtio_net *net = dev->priv;

	net->rx_pending = false;
}

static const struct virtio_ops net_ops = {
	.nqueues = 2,
	.poll_fds = net_poll_fds,
	.run = net_run,
	.reset = net_reset,
};

/* ---- set-up (main thread) ------------------------------------------------- */

static int net_landlock(const struct device *d, struct vmm_seccomp *sc, struct sc_landlock *ll,
			char *err, size_t errlen)
{
	if (!strncmp(d->args[0], "fd=", 3))
		return 0; /* opened by the embedder */
	return sc_add_file_rule(sc, ll, VMM_SECCOMP_ROLE_PROCESS, "--net", TUN_PATH, "read+write",
				err, errlen);
}

static int open_tap(struct virtio_net *net, const char *opt, const struct net_spec *s, char *err,
		    size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int rc;

	net->fd = open(TUN_PATH, O_RDWR | O_CLOEXEC);
	if (net->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "--net '%s': %s: %s", opt, TUN_PATH, strerror(errno));
		return rc;
	}
	if (s->kind == NET_TAP_NAMED)
		memcpy(ifr.ifr_name, s->name, sizeof(ifr.ifr_name));
	if (ioctl(net->fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--net '%s': TUNSETIFF: %s%s", opt, strerror(errno),
			 errno == EPERM	   ? " (creating a tap needs CAP_NET_ADMIN)"
			 : errno == EBUSY  ? " (another process has it open)"
			 : errno == EINVAL ? " (an interface of that name that is not a tap?)"
					   : "");
		close(net->fd);
		net->fd = -1;
		return rc;
	}
	memcpy(net->ifname, ifr.ifr_name, sizeof(net->ifname));
	net->ifname[IFNAMSIZ - 1] = 0;
	return 0;
}

/* A descriptor the embedder opened: a tap, bare or with IFF_VNET_HDR, or
 * a socket that keeps message boundaries. */
static int adopt_fd(struct virtio_net *net, const char *opt, int fd, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	struct stat st;
	int type = 0, hdr = HDR_LEN, off = 0;
	socklen_t tlen = sizeof(type);

	net->fd = fd;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "--net '%s': %s", opt, strerror(errno));
		return -errno;
	}
	if (S_ISSOCK(st.st_mode)) {
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0) {
			snprintf(err, errlen, "--net '%s': SO_TYPE: %s", opt, strerror(errno));
			return -errno;
		}
		if (type != SOCK_DGRAM && type != SOCK_SEQPACKET) {
			snprintf(err, errlen,
				 "--net '%s': a stream socket (one frame per message needs a "
				 "datagram or seqpacket socket)",
				 opt);
			return -EINVAL;
		}
		return 0;
	}
	if (!S_ISCHR(st.st_mode) || ioctl(fd, TUNGETIFF, &ifr) < 0) {
		snprintf(err, errlen, "--net '%s': not a tap descriptor (nor a datagram socket)",
			 opt);
		return -EINVAL;
	}
	if ((ifr.ifr_flags & (IFF_TUN | IFF_TAP)) != IFF_TAP) {
		snprintf(err, errlen, "--net '%s': %s is a tun (IP) device, not a tap", opt,
			 ifr.ifr_name);
		return -EINVAL;
	}
	if (!(ifr.ifr_flags & IFF_NO_PI)) {
		snprintf(err, errlen, "--net '%s': tap %s adds packet information (no IFF_NO_PI)",
			 opt, ifr.ifr_name);
		return -EINVAL;
	}
	if (ifr.ifr_flags & IFF_VNET_HDR) {
		/* our header's size, and no offload: whole frames, whole
		 * checksums */
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNSETOFFLOAD, off) < 0) {
			snprintf(err, errlen, "--net '%s': setting up the vnet header: %s", opt,
				 strerror(errno));
			return -errno;
		}
		net->vnet_hdr = HDR_LEN;
	}
	memcpy(net->ifname, ifr.ifr_name, sizeof(net->ifname));
	net->ifname[IFNAMSIZ - 1] = 0;
	return 0;
}

static int net_create(struct device *d, struct vm *vm, char *err, size_t errlen)
{
	const char *opt = d->args[0];
	struct virtio_net *net;
	struct net_spec s;
	int rc, fl;

	net = calloc(1, sizeof(*net));
	if (!net) {
		snprintf(err, errlen, "--net '%s': out of memory", opt);
		return -ENOMEM;
	}
	net->fd = -1;
	rc = parse_net(opt, &s, err, errlen);
	if (rc == 0)
		rc = parse_mac(d->args[1] ? d->args[1] : DEFAULT_MAC, net->mac, err, errlen);
	if (rc < 0)
		goto err_free;
	rc = s.kind == NET_FD ? adopt_fd(net, opt, s.fd, err, errlen)
			      : open_tap(net, opt, &s, err, errlen);
	if (rc < 0)
		goto err_free;
	/* The device thread never blocks on it: it waits in poll with the
	 * notify and stop eventfds. */
	fl = fcntl(net->fd, F_GETFL);
	if (fl < 0 || fcntl(net->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--net '%s': O_NONBLOCK: %s", opt, strerror(errno));
		goto err_close_tap;
	}
	d->mmio = &net->dev;
	rc = device_mmio_init(d, vm, 1ULL << VIRTIO_NET_F_MAC, &net_ops, net, err, errlen);
	if (rc < 0)
		goto err_close_tap;
	/* struct virtio_net_config: the MAC only (no VIRTIO_NET_F_STATUS) */
	memcpy(net->dev.config, net->mac, ETH_ALEN);
	net->dev.config_len = ETH_ALEN;
	d->state = net;
	if (s.kind == NET_TAP_AUTO)
		fprintf(stderr, "sample-vmm: %s: tap %s\n", d->type->name, net->ifname);
	return 0;

err_close_tap:
	/* a descriptor handed over stays the embedder's until we start */
	if (s.kind != NET_FD)
		close(net->fd);
err_free:
	free(net);
	d->mmio = NULL;
	return rc;
}

static void net_destroy(struct device *d)
{
	struct virtio_net *net = d->state;

	virtio_mmio_free(&net->dev);
	close(net->fd);
	free(net);
	d->state = NULL;
	d->mmio = NULL;
}

static int net_info(const struct device *d, char *buf, size_t len)
{
	const struct virtio_net *net = d->state;
	char name[6 * IFNAMSIZ + 1]; /* \u00XX each at worst */
	int n;

	http_json_escape(name, sizeof(name), net->ifname);
	/* the counters are the device thread's: a snapshot */
	n = snprintf(buf, len,
		     ",\"tap\":%s%s%s,\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\","
		     "\"rx_dropped\":%llu,\"tx_dropped\":%llu",
		     net->ifname[0] ? "\"" : "", net->ifname[0] ? name : "null",
		     net->ifname[0] ? "\"" : "", net->mac[0], net->mac[1], net->mac[2], net->mac[3],
		     net->mac[4], net->mac[5],
		     (unsigned long long)__atomic_load_n(&net->rx_dropped, __ATOMIC_RELAXED),
		     (unsigned long long)__atomic_load_n(&net->tx_dropped, __ATOMIC_RELAXED));
	return n < 0 || (size_t)n >= len ? -1 : n;
}

const struct device_type virtio_net_type = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.role = VMM_SECCOMP_ROLE_VIRTIO_NET,
	.options = {
		{ "net", true,
		  "SPEC\tvirtio-net on tap=NAME (tap NAME, created if it does not\n"
		  "exist), tap (a new tap, its name printed) or fd=N (a tap or a\n"
		  "datagram socket the embedder opened)" },
		{ "net-mac", true,
		  "MAC\tthe guest's MAC address (default " DEFAULT_MAC ")" },
	},
	.check = net_check,
	.landlock = net_landlock,
	.create = net_create,
	.destroy = net_destroy,
	.info = net_info,
};
