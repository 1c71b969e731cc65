/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for one virtio device's queues and requests, compiled once
 * per device (-DFUZZ_DEVICE="virtio-blk": fuzz_virtio_blk, ...).  The
 * device is the registered type (device_type_find()), created by its own
 * create() on a VM without KVM (vm_fd -1: the transport registers no
 * ioeventfd or irqfd), with 1 MiB of guest memory from guest_mem_init().
 * The input plays both the driver and the device thread's wake-ups:
 *
 *   byte 0          which of the device's lines in `lines` below (its
 *                   option sets and host sides: virtio-blk read-write or
 *                   --disk-ro, virtio-net on a seqpacket or a datagram
 *                   socket, ...)
 *   then ops, each an opcode byte (modulo OP_COUNT) and its operands
 *   (little-endian); the input ends at the first op short of operands:
 *
 *   OP_WRITE32  reg val32      register write at reg * 4 (config space from 0x100)
 *   OP_READ32   reg            register read
 *   OP_ACCESS   off16 w data8  any width: len 1 + (w & 7), a write if w & 0x80
 *   OP_MEM      gpa32 n bytes  guest memory at gpa (modulo its size)
 *   OP_SETUP    num feat       the whole driver start: reset, features (those
 *                              offered, changed by feat), FEATURES_OK, every
 *                              queue at its fixed place with QueueNum num
 *                              (0: 256), DRIVER_OK
 *   OP_QUEUE    q num skew     queue q alone, made ready: at its fixed place
 *                              for skew 0, else with its rings misaligned
 *                              (skew's low bits) or the used ring running
 *                              past the end of memory (skew & 0x80)
 *   OP_DESC     q idx off16 len16 flags next
 *                              one descriptor of queue q's table; its buffer
 *                              at SLOT_AREA + off * 16 (past the end of
 *                              memory for off >= 0xe000)
 *   OP_AVAIL    q head         head into queue q's available ring
 *   OP_CHAIN    q head n {len16 flags}...
 *                              n (1 + n % 20) descriptors from head on, each
 *                              with its slot's buffer, chained, posted and
 *                              notified: the short way to a request
 *   OP_BUF      idx off8 n bytes  bytes into descriptor idx's slot (a
 *                              request's header, data)
 *   OP_NOTIFY   q              QueueNotify, then a wake-up
 *   OP_WAKE                    a wake-up: what the device thread does after
 *                              poll() returns (virtio_mmio_wake(), over the
 *                              host descriptors the device polls)
 *   OP_HOST     n bytes        the host side: a disk image's new size
 *                              (bytes[0..1]), a socket's peer sends bytes
 *                              (one message: a frame on a datagram or
 *                              seqpacket socket), a terminal's user types,
 *                              vsock's current host connection sends
 *   OP_DRAIN                   a socket's peer, a terminal's slave, every
 *                              vsock host connection reads what is there
 *                              (a device waiting for POLLOUT can go on)
 *   OP_RESET                   Status 0
 *   OP_HOSTCTL  ctl arg16      the host side changes: a socket's peer shuts
 *                              down its sending (ctl % 3 == 0: the device
 *                              reads an end of file) or receiving (1: its
 *                              writes fail) or closes (2); a terminal is
 *                              resized to arg's columns and rows (ctl even)
 *                              or its slave closed (odd: a hang-up); vsock:
 *                              a host program connects to the device's
 *                              PATH (ctl % 4 == 0, then the current one),
 *                              host connection arg becomes the current one
 *                              (1), the current one shuts down its sending
 *                              (2) or closes (3)
 *
 * The rings of queue q are at QUEUE_AREA + q * QUEUE_STRIDE, sized for 256
 * entries; descriptor i's buffer (OP_CHAIN, OP_BUF) at SLOT_AREA + i *
 * SLOT_SIZE.  Raw OP_MEM and register writes reach everything else,
 * addresses outside memory and misaligned rings included.
 *
 * Each input gets a new device (destroyed after it: ASan's leak check sees
 * what a device forgets), zeroed memory and a fresh host side.  A socket's
 * device end has the smallest send buffer the kernel allows, so that a
 * full socket (a write that returns EAGAIN, a device waiting for POLLOUT)
 * is a write or two away rather than hundreds of KiB.  SIGPIPE is ignored,
 * as in the VMM (main.c): a write to a peer that left fails with EPIPE.
 * virtio-vsock's host side is a directory made once per process (removed
 * at exit): the device listens on DIR/v, and the harness on DIR/v_52 (host
 * port VSOCK_HOST_PORT: a guest's OP_REQUEST to it succeeds) and accepts
 * what the device connects there after each wake-up, up to PEERS_MAX
 * host connections an input (the others are closed at once: a refusing
 * host program).  Guest
 * memory has an inaccessible page on either side: a device that reads or
 * writes past its ends faults (ASan reports the SEGV), which is what
 * guest_ptr() is there to prevent.  Mapped memory rather than a malloc'd
 * buffer: it is what the VMM gives its devices, and a guard page catches
 * an overrun of any length up to 4 KiB where ASan's redzone would catch
 * only the first bytes of a large buffer's.
 *
 * Built for libFuzzer by tools/fuzz.sh; tests/fuzz/replay.c runs
 * the same entry over tests/fuzz/seeds/<target>/ and
 * tests/fuzz/regressions-<target>/ in the test suite.
 */
#include "device.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#ifndef FUZZ_DEVICE
#error "FUZZ_DEVICE names the device type to fuzz: -DFUZZ_DEVICE=\"virtio-blk\""
#endif

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define MEM_SIZE (1ULL << 20)
#define QUEUE_AREA 0x10000ULL
#define QUEUE_STRIDE 0x2000ULL
#define DESC_OFF 0x0	 /* 256 * 16 bytes */
#define AVAIL_OFF 0x1000 /* 6 + 256 * 2 */
#define USED_OFF 0x1400	 /* 6 + 256 * 8 */
#define RING_MAX 256
#define SLOT_AREA 0x20000ULL
#define SLOT_SIZE 0x800ULL /* 256 slots: up to 0xa0000 */
#define DISK_SIZE (64 * 512)

_Static_assert(QUEUE_AREA + VIRTIO_QUEUES_MAX * QUEUE_STRIDE <= SLOT_AREA, "rings overlap slots");
_Static_assert(SLOT_AREA + RING_MAX * SLOT_SIZE <= MEM_SIZE, "slots past memory");
_Static_assert(USED_OFF + 6 + 8 * RING_MAX <= QUEUE_STRIDE, "rings overlap");

/* What the device is given as its host side. */
enum fuzz_host {
	HOST_NONE,
	HOST_DISK,   /* an image of DISK_SIZE bytes: "%s" is its path */
	HOST_SOCKET, /* a connected AF_UNIX pair of `sock` type: "%s" is the device's end's number */
	HOST_PTY,    /* a pseudo-terminal, raw: "%s" is the master's number, the harness holds
			the slave */
	HOST_VSOCK,  /* "%s" is the path the device listens on: vsock_dir/v */
};

#define VSOCK_HOST_PORT 52 /* the built-in guest's (guest/vsock.c) */
#define PEERS_MAX 8

/* at_once for every queue */
#define QUEUES_ALL ((1U << VIRTIO_QUEUES_MAX) - 1)

/* A device to fuzz: one line.  Its options' values, each "%s" replaced by
 * the host side (NULL: the option is not given, "": given without a
 * value).  A device with several lines is fuzzed with each (byte 0). */
struct fuzz_line {
	const char *name;
	enum fuzz_host host;
	int sock; /* HOST_SOCKET: SOCK_STREAM, SOCK_SEQPACKET, ... */
	/* The queues (a bit each) on which the device completes a chain in
	 * the wake-up that took it (virtio_queue_serve()): each of their used
	 * entries is then checked against the chain as it was popped (its
	 * length within the chain's writable bytes, the virtio spec's "MUST
	 * NOT").  Not a queue whose chains wait for the host side (virtio-net's
	 * and virtio-vsock's receiveq, virtio-console's transmitq): the driver
	 * may have rewritten a waiting chain's descriptors since the device
	 * took it. */
	unsigned at_once;
	const char *args[DEVICE_OPTIONS_MAX];
};

static const struct fuzz_line lines[] = {
	{ "virtio-blk", HOST_DISK, 0, QUEUES_ALL, { "%s", NULL } },
	{ "virtio-blk", HOST_DISK, 0, QUEUES_ALL, { "%s", "" } }, /* --disk-ro */
	{ "virtio-rng", HOST_NONE, 0, QUEUES_ALL, { NULL, NULL } },
	/* frames as messages (a tap is out of reach: it needs CAP_NET_ADMIN
	 * and an interface per input); transmitq (1) at once */
	{ "virtio-net", HOST_SOCKET, SOCK_SEQPACKET, 1U << 1, { "fd=%s", NULL } },
	{ "virtio-net", HOST_SOCKET, SOCK_DGRAM, 1U << 1, { "fd=%s", "02:00:00:00:00:01" } },
	/* receiveq (0) at once; a terminal offers VIRTIO_CONSOLE_F_SIZE */
	{ "virtio-console", HOST_SOCKET, SOCK_STREAM, 1U << 0, { "fd=%s" } },
	{ "virtio-console", HOST_PTY, 0, 1U << 0, { "fd=%s" } },
	/* TX (1) at once; RX chains wait for host data, the event queue is
	 * never used */
	{ "virtio-vsock", HOST_VSOCK, 0, 1U << 1, { "cid=3,uds=%s" } },
	/* --balloon, with the default target, none, and the largest */
	{ "virtio-balloon", HOST_NONE, 0, QUEUES_ALL, { "", NULL } },
	{ "virtio-balloon", HOST_NONE, 0, QUEUES_ALL, { "", "0" } },
	{ "virtio-balloon", HOST_NONE, 0, QUEUES_ALL, { "", "1048576" } },
};

enum {
	OP_WRITE32,
	OP_READ32,
	OP_ACCESS,
	OP_MEM,
	OP_SETUP,
	OP_QUEUE,
	OP_DESC,
	OP_AVAIL,
	OP_CHAIN,
	OP_BUF,
	OP_NOTIFY,
	OP_WAKE,
	OP_HOST,
	OP_DRAIN,
	OP_RESET,
	OP_HOSTCTL,
	OP_COUNT
};

struct prog {
	const uint8_t *p;
	size_t n;
};

struct fuzz {
	struct device d;
	struct virtio_mmio *dev;
	const struct fuzz_line *line;
	/* the harness's end: the image, the socket's peer, the terminal's
	 * slave, vsock's current host connection; -1 once closed (OP_HOSTCTL) */
	int host_fd;
	int device_fd; /* the device's end of a socket or terminal, -1 */
	/* HOST_VSOCK: the host connections (host_fd the current one) */
	int peers[PEERS_MAX];
	unsigned npeers;
	uint32_t num[VIRTIO_QUEUES_MAX]; /* QueueNum OP_SETUP/OP_QUEUE gave */
};

/* The process's guest memory (with its guard pages) and disk image. */
static struct vm vm = { .kvm_fd = -1, .vm_fd = -1 };
static struct guest_mem mapping;
static int disk_fd = -1;
/* HOST_VSOCK's directory, and the harness's listener in it */
static char vsock_dir[32];
static char vsock_path[40], vsock_port_path[64];
static int vsock_listen_fd = -1;

static __attribute__((noreturn)) void die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_device: %s: %s: %s\n", FUZZ_DEVICE, what, why);
	abort();
}

static bool take(struct prog *pr, void *dst, size_t len)
{
	if (pr->n < len)
		return false;
	memcpy(dst, pr->p, len);
	pr->p += len;
	pr->n -= len;
	return true;
}

static void setup_process(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char err[256];

	if (guest_mem_init(&mapping, MEM_SIZE + 2 * (uint64_t)page, err, sizeof(err)) < 0)
		die("guest memory", err);
	if (mprotect(mapping.host, (size_t)page, PROT_NONE) < 0 ||
	    mprotect(mapping.host + page + MEM_SIZE, (size_t)page, PROT_NONE) < 0)
		die("guard pages", strerror(errno));
	vm.mem.host = mapping.host + page;
	vm.mem.size = MEM_SIZE;
	/* An image in memory: fdatasync() costs nothing, and no file is left
	 * behind.  The device opens it by path, as --disk PATH. */
	disk_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	if (disk_fd < 0)
		die("memfd_create", strerror(errno));
	/* as the VMM: a peer that left is an EPIPE, not the end of the process */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die("SIGPIPE", strerror(errno));
}

/* --demo-exploit's hook: the transport's path for a GUEST_DEMO_MAGIC chain
 * (the device abandons its queues) without the execve. */
static void compromised(struct virtio_mmio *dev, void *arg)
{
	(void)dev;
	(void)arg;
}

/* "%s" in fmt replaced by val, into buf. */
static const char *expand(char *buf, size_t len, const char *fmt, const char *val)
{
	const char *s = strstr(fmt, "%s");

	if (!s)
		return fmt;
	snprintf(buf, len, "%.*s%s%s", (int)(s - fmt), fmt, val, s + 2);
	return buf;
}

/* A raw pseudo-terminal: the master is the device's (fd=N), the slave the
 * harness's, non-blocking.  Raw, as a terminal program would set it for
 * a guest's console: no echo of what is typed back to the device, input
 * readable without a newline. */
static void pty_open(struct fuzz *f)
{
	struct termios t;

	f->device_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (f->device_fd < 0 || grantpt(f->device_fd) < 0 || unlockpt(f->device_fd) < 0)
		die("pseudo-terminal", strerror(errno));
	f->host_fd = open(ptsname(f->device_fd), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (f->host_fd < 0 || tcgetattr(f->host_fd, &t) < 0)
		die("pseudo-terminal's slave", strerror(errno));
	cfmakeraw(&t);
	if (tcsetattr(f->host_fd, TCSANOW, &t) < 0)
		die("raw mode", strerror(errno));
}

static void vsock_cleanup(void)
{
	close(vsock_listen_fd);
	unlink(vsock_port_path);
	unlink(vsock_path); /* a device destroy() did not reach (a crash) */
	rmdir(vsock_dir);
}

/* Once a process: a directory of its own, the host service on port
 * VSOCK_HOST_PORT listening in it. */
static void vsock_setup(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(vsock_dir, sizeof(vsock_dir), "/tmp/fuzz-vsock-XXXXXX");
	if (!mkdtemp(vsock_dir))
		die("mkdtemp", strerror(errno));
	snprintf(vsock_path, sizeof(vsock_path), "%s/v", vsock_dir);
	snprintf(vsock_port_path, sizeof(vsock_port_path), "%s_%u", vsock_path, VSOCK_HOST_PORT);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", vsock_port_path);
	vsock_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (vsock_listen_fd < 0 || bind(vsock_listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(vsock_listen_fd, 64) < 0)
		die("the host service's socket", strerror(errno));
	if (atexit(vsock_cleanup) != 0)
		die("atexit", "failed");
}

static void peer_add(struct fuzz *f, int fd)
{
	if (f->npeers == PEERS_MAX) {
		close(fd);
		return;
	}
	f->peers[f->npeers++] = fd;
	f->host_fd = fd;
}

static void peer_close_current(struct fuzz *f)
{
	for (unsigned i = 0; i < f->npeers; i++) {
		if (f->peers[i] != f->host_fd)
			continue;
		close(f->host_fd);
		f->peers[i] = f->peers[--f->npeers];
		break;
	}
	f->host_fd = f->npeers ? f->peers[f->npeers - 1] : -1;
}

/* The connections the device made to the host service (it connects in
 * run(): after a wake-up), or closes them when `close_all` (the input's
 * end). */
static void vsock_accept(struct fuzz *f, bool close_all)
{
	int fd;

	while ((fd = accept4(vsock_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		if (close_all)
			close(fd);
		else
			peer_add(f, fd);
}

/* A host program connecting to the device's socket (the device accepts
 * when it polls). */
static void vsock_connect(struct fuzz *f)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket", strerror(errno));
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", vsock_path);
	/* EAGAIN: the device's backlog is full */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (errno != EAGAIN)
			die("connect", strerror(errno));
		close(fd);
		return;
	}
	peer_add(f, fd);
}

static void host_open(struct fuzz *f, char *val, size_t len)
{
	int sv[2], small = 1;

	f->host_fd = f->device_fd = -1;
	val[0] = '\0';
	switch (f->line->host) {
	case HOST_NONE:
		break;
	case HOST_DISK:
		/* zeros again: what one input wrote is not the next one's */
		if (ftruncate(disk_fd, 0) < 0 || ftruncate(disk_fd, DISK_SIZE) < 0)
			die("disk image", strerror(errno));
		f->host_fd = disk_fd;
		snprintf(val, len, "/proc/self/fd/%d", disk_fd);
		break;
	case HOST_SOCKET:
		if (socketpair(AF_UNIX, f->line->sock | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
			die("socketpair", strerror(errno));
		/* the kernel's minimum (about 4 KiB) */
		if (setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) < 0)
			die("SO_SNDBUF", strerror(errno));
		f->host_fd = sv[0];
		f->device_fd = sv[1];
		snprintf(val, len, "%d", sv[1]);
		break;
	case HOST_PTY:
		pty_open(f);
		snprintf(val, len, "%d", f->device_fd);
		break;
	case HOST_VSOCK:
		if (vsock_listen_fd < 0)
			vsock_setup();
		f->npeers = 0;
		snprintf(val, len, "%s", vsock_path);
		break;
	}
}

static void host_close(struct fuzz *f)
{
	if (f->line->host == HOST_VSOCK) {
		while (f->npeers)
			peer_close_current(f);
		vsock_accept(f, true);
		return;
	}
	if (f->line->host != HOST_SOCKET && f->line->host != HOST_PTY)
		return;
	if (f->host_fd >= 0)
		close(f->host_fd);
	/* The device may have closed its end in destroy(), or only borrowed it. */
	if (fcntl(f->device_fd, F_GETFD) >= 0)
		close(f->device_fd);
}

static void reg_write(struct fuzz *f, uint32_t off, uint32_t v)
{
	uint8_t b[4];

	memcpy(b, &v, 4);
	virtio_mmio_access(f->dev, off, b, 4, true);
}

static uint32_t reg_read(struct fuzz *f, uint32_t off)
{
	uint8_t b[4];
	uint32_t v;

	virtio_mmio_access(f->dev, off, b, 4, false);
	memcpy(&v, b, 4);
	return v;
}

static uint8_t *gmem(uint64_t gpa)
{
	return vm.mem.host + gpa;
}

static uint64_t ring(unsigned q, uint64_t off)
{
	return QUEUE_AREA + q * QUEUE_STRIDE + off;
}

static uint32_t qnum(const struct fuzz *f, unsigned q)
{
	return f->num[q] ? f->num[q] : RING_MAX;
}

static void queue_setup(struct fuzz *f, unsigned q, uint8_t num, uint8_t skew)
{
	uint64_t used = skew & 0x80 ? MEM_SIZE - 64 : ring(q, USED_OFF) + ((skew >> 5) & 3);

	f->num[q] = num ? num : RING_MAX;
	/* a driver starting over lays its rings out anew */
	memset(gmem(ring(q, 0)), 0, QUEUE_STRIDE);
	reg_write(f, VIRTIO_MMIO_QUEUE_SEL, q);
	reg_write(f, VIRTIO_MMIO_QUEUE_NUM, f->num[q]);
	reg_write(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)ring(q, DESC_OFF) + (skew & 15));
	reg_write(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	reg_write(f, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)ring(q, AVAIL_OFF) + ((skew >> 4) & 1));
	reg_write(f, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	reg_write(f, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	reg_write(f, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	reg_write(f, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* A driver's start, as Linux's virtio_mmio and the built-in guest do it. */
static void driver_setup(struct fuzz *f, uint8_t num, uint8_t feat)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	uint64_t features = 0;

	reg_write(f, VIRTIO_MMIO_STATUS, 0);
	reg_write(f, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	reg_write(f, VIRTIO_MMIO_STATUS, s);
	for (uint32_t sel = 0; sel < 2; sel++) {
		reg_write(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
		features |= (uint64_t)reg_read(f, VIRTIO_MMIO_DEVICE_FEATURES) << (32 * sel);
	}
	/* feat 0 takes what is offered; otherwise one bit asked for (which
	 * FEATURES_OK refuses if not offered) or dropped */
	if (feat & 0x80)
		features |= 1ULL << (feat & 63);
	else if (feat & 0x40)
		features &= ~(1ULL << (feat & 63));
	for (uint32_t sel = 0; sel < 2; sel++) {
		reg_write(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
		reg_write(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * sel)));
	}
	s |= VIRTIO_CONFIG_S_FEATURES_OK;
	reg_write(f, VIRTIO_MMIO_STATUS, s);
	for (unsigned q = 0; q < f->dev->ops->nqueues; q++)
		queue_setup(f, q, num, 0);
	reg_write(f, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void avail_post(struct fuzz *f, unsigned q, uint16_t head)
{
	struct vring_avail *a = (struct vring_avail *)gmem(ring(q, AVAIL_OFF));

	a->ring[a->idx % qnum(f, q)] = head;
	a->idx++;
}

/* The used entries [from, to) of queue q, pushed in the wake-up that just
 * ended, against the chains their ids name, which the driver has not
 * changed since the device took them (the same wake-up). */
static void check_used(struct fuzz *f, unsigned q, uint16_t from, uint16_t to)
{
	const struct virtio_queue *vq = &f->dev->vq[q];

	for (uint16_t i = from; i != to; i++) {
		const struct vring_used_elem *e = &vq->used->ring[i % vq->num];
		uint64_t writable = 0;
		uint32_t idx = e->id;

		for (unsigned n = 0;; n++) {
			const struct vring_desc *d;

			if (idx >= vq->num || n == VIRTIO_CHAIN_MAX)
				die("used ring", "an id that is no chain the device could take");
			d = &vq->desc[idx];
			if (d->flags & VRING_DESC_F_WRITE)
				writable += d->len;
			if (!(d->flags & VRING_DESC_F_NEXT))
				break;
			idx = d->next;
		}
		if (e->len > writable)
			die("used ring", "a length beyond the chain's device-writable bytes");
	}
}

static void wake(struct fuzz *f)
{
	struct pollfd fds[VIRTIO_POLL_MAX];
	uint16_t used[VIRTIO_QUEUES_MAX];
	unsigned n = 0;

	for (unsigned q = 0; q < VIRTIO_QUEUES_MAX; q++)
		used[q] = f->dev->vq[q].used_idx;

	/* as virtio_mmio_thread(): the descriptors the device names, polled */
	if (f->dev->ops->poll_fds) {
		pthread_mutex_lock(&f->dev->lock);
		n = f->dev->ops->poll_fds(f->dev, fds, VIRTIO_POLL_MAX);
		pthread_mutex_unlock(&f->dev->lock);
		if (n > VIRTIO_POLL_MAX)
			die("poll_fds", "more descriptors than it was given room for");
		if (n && poll(fds, n, 0) < 0)
			die("poll", strerror(errno));
	}
	virtio_mmio_wake(f->dev, fds, n);
	if (f->line->host == HOST_VSOCK)
		vsock_accept(f, false);
	for (unsigned q = 0; q < VIRTIO_QUEUES_MAX; q++)
		if ((f->line->at_once & 1U << q) && f->dev->vq[q].used &&
		    f->dev->vq[q].used_idx != used[q])
			check_used(f, q, used[q], f->dev->vq[q].used_idx);
}

static void host_send(struct fuzz *f, const uint8_t *b, size_t n)
{
	uint16_t size;

	switch (f->line->host) {
	case HOST_NONE:
		break;
	case HOST_DISK:
		/* the image shrinks or grows under the device */
		if (n >= 2) {
			memcpy(&size, b, 2);
			if (ftruncate(f->host_fd, size) < 0)
				die("disk image", strerror(errno));
		}
		break;
	case HOST_SOCKET:
	case HOST_VSOCK:
		/* a full socket is one more thing the device meets; so is one
		 * whose device end was shut or closed (OP_HOSTCTL) */
		if (f->host_fd >= 0 && send(f->host_fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN && errno != EPIPE && errno != ECONNREFUSED &&
		    errno != ECONNRESET)
			die("send", strerror(errno));
		break;
	case HOST_PTY:
		/* a full input queue, a master that went away: the same */
		if (f->host_fd >= 0 && write(f->host_fd, b, n) < 0 && errno != EAGAIN &&
		    errno != EIO)
			die("write to the terminal", strerror(errno));
		break;
	}
}

static void host_drain(struct fuzz *f)
{
	uint8_t buf[4096];

	if (f->line->host == HOST_VSOCK) {
		for (unsigned i = 0; i < f->npeers; i++)
			while (read(f->peers[i], buf, sizeof(buf)) > 0)
				continue;
		return;
	}
	if ((f->line->host != HOST_SOCKET && f->line->host != HOST_PTY) || f->host_fd < 0)
		return;
	while (read(f->host_fd, buf, sizeof(buf)) > 0)
		continue;
}

static void host_ctl(struct fuzz *f, uint8_t ctl, uint16_t arg)
{
	struct winsize ws = { .ws_col = arg & 0xff, .ws_row = arg >> 8 };

	if (f->line->host == HOST_VSOCK) {
		if (ctl % 4 == 0)
			vsock_connect(f);
		else if (ctl % 4 == 1 && f->npeers)
			f->host_fd = f->peers[arg % f->npeers];
		else if (ctl % 4 == 2 && f->host_fd >= 0)
			(void)shutdown(f->host_fd, SHUT_WR);
		else if (ctl % 4 == 3 && f->host_fd >= 0)
			peer_close_current(f);
		return;
	}
	if (f->host_fd < 0)
		return;
	switch (f->line->host) {
	case HOST_NONE:
	case HOST_DISK:
	case HOST_VSOCK:
		break;
	case HOST_SOCKET:
		if (ctl % 3 < 2) {
			/* ENOTCONN: a datagram pair's peer, already shut */
			if (shutdown(f->host_fd, ctl % 3 ? SHUT_RD : SHUT_WR) < 0 &&
			    errno != ENOTCONN)
				die("shutdown", strerror(errno));
			break;
		}
		close(f->host_fd);
		f->host_fd = -1;
		break;
	case HOST_PTY:
		if (ctl & 1) {
			close(f->host_fd);
			f->host_fd = -1;
		} else if (ioctl(f->host_fd, TIOCSWINSZ, &ws) < 0) {
			die("TIOCSWINSZ", strerror(errno));
		}
		break;
	}
}

static void op_chain(struct fuzz *f, struct prog *pr, unsigned q, uint8_t head, uint8_t count)
{
	uint32_t n = qnum(f, q);
	unsigned len = 1 + count % 20;
	uint16_t idx = head % n;

	for (unsigned i = 0; i < len; i++) {
		struct vring_desc d;
		uint16_t blen;
		uint8_t flags;

		if (!take(pr, &blen, 2) || !take(pr, &flags, 1))
			break;
		d.addr = SLOT_AREA + idx * SLOT_SIZE;
		d.len = blen;
		d.flags = flags & (VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT);
		d.next = (uint16_t)((idx + 1) % n);
		if (i + 1 < len)
			d.flags |= VRING_DESC_F_NEXT;
		memcpy(gmem(ring(q, DESC_OFF) + idx * 16ULL), &d, sizeof(d));
		idx = d.next;
	}
	avail_post(f, q, head % n);
	reg_write(f, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	wake(f);
}

static void run(struct fuzz *f, struct prog *pr)
{
	uint8_t op, a, b, buf[256];
	uint16_t off, len;
	uint32_t v;

	while (take(pr, &op, 1)) {
		switch (op % OP_COUNT) {
		case OP_WRITE32:
			if (!take(pr, &a, 1) || !take(pr, &v, 4))
				return;
			reg_write(f, a * 4U, v);
			break;
		case OP_READ32:
			if (!take(pr, &a, 1))
				return;
			(void)reg_read(f, a * 4U);
			break;
		case OP_ACCESS:
			if (!take(pr, &off, 2) || !take(pr, &a, 1) || !take(pr, buf, 8))
				return;
			virtio_mmio_access(f->dev, off & 0xfff, buf, 1 + (a & 7), a & 0x80);
			break;
		case OP_MEM:
			if (!take(pr, &v, 4) || !take(pr, &a, 1) || !take(pr, buf, a))
				return;
			v %= MEM_SIZE;
			memcpy(gmem(v), buf, a < MEM_SIZE - v ? a : MEM_SIZE - v);
			break;
		case OP_SETUP:
			if (!take(pr, &a, 1) || !take(pr, &b, 1))
				return;
			driver_setup(f, a, b);
			break;
		case OP_QUEUE: {
			uint8_t skew;

			if (!take(pr, &a, 1) || !take(pr, &b, 1) || !take(pr, &skew, 1))
				return;
			queue_setup(f, a % VIRTIO_QUEUES_MAX, b, skew);
			break;
		}
		case OP_DESC: {
			struct vring_desc d;
			uint8_t q, idx, next;

			if (!take(pr, &q, 1) || !take(pr, &idx, 1) || !take(pr, &off, 2) ||
			    !take(pr, &len, 2) || !take(pr, &a, 1) || !take(pr, &next, 1))
				return;
			q %= VIRTIO_QUEUES_MAX;
			d.addr = SLOT_AREA + off * 16ULL;
			d.len = len;
			d.flags = a;
			d.next = next;
			memcpy(gmem(ring(q, DESC_OFF) + idx * 16ULL), &d, sizeof(d));
			break;
		}
		case OP_AVAIL:
			if (!take(pr, &a, 1) || !take(pr, &b, 1))
				return;
			avail_post(f, a % VIRTIO_QUEUES_MAX, b);
			break;
		case OP_CHAIN: {
			uint8_t q, count;

			if (!take(pr, &q, 1) || !take(pr, &a, 1) || !take(pr, &count, 1))
				return;
			op_chain(f, pr, q % VIRTIO_QUEUES_MAX, a, count);
			break;
		}
		case OP_BUF: {
			uint8_t idx;

			if (!take(pr, &idx, 1) || !take(pr, &a, 1) || !take(pr, &b, 1) ||
			    !take(pr, buf, b))
				return;
			memcpy(gmem(SLOT_AREA + idx * SLOT_SIZE + a), buf, b);
			break;
		}
		case OP_NOTIFY:
			if (!take(pr, &a, 1))
				return;
			reg_write(f, VIRTIO_MMIO_QUEUE_NOTIFY, a);
			wake(f);
			break;
		case OP_WAKE:
			wake(f);
			break;
		case OP_HOST:
			if (!take(pr, &a, 1) || !take(pr, buf, a))
				return;
			host_send(f, buf, a);
			break;
		case OP_DRAIN:
			host_drain(f);
			break;
		case OP_RESET:
			reg_write(f, VIRTIO_MMIO_STATUS, 0);
			break;
		case OP_HOSTCTL:
			if (!take(pr, &a, 1) || !take(pr, &len, 2))
				return;
			host_ctl(f, a, len);
			break;
		default:
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const struct fuzz_line *pick[sizeof(lines) / sizeof(lines[0])];
	struct prog pr = { data, size };
	char host[64], args[DEVICE_OPTIONS_MAX][128], err[256];
	struct fuzz f = { 0 };
	unsigned npick = 0;
	uint8_t sel = 0;

	if (!vm.mem.host)
		setup_process();
	for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (!strcmp(lines[i].name, FUZZ_DEVICE))
			pick[npick++] = &lines[i];
	f.d.type = device_type_find(FUZZ_DEVICE);
	if (!npick || !f.d.type)
		die("not fuzzed", "no line in fuzz_device.c's table or no such device type");
	(void)take(&pr, &sel, 1);
	f.line = pick[sel % npick];
	for (unsigned i = 0; device_types[i]; i++)
		if (device_types[i] == f.d.type)
			f.d.slot = i;

	/* zeros again (the pages the last input touched are dropped) */
	if (madvise(vm.mem.host, MEM_SIZE, MADV_DONTNEED) < 0)
		memset(vm.mem.host, 0, MEM_SIZE);
	host_open(&f, host, sizeof(host));
	for (unsigned i = 0; i < DEVICE_OPTIONS_MAX; i++)
		if (f.line->args[i])
			f.d.args[i] = expand(args[i], sizeof(args[i]), f.line->args[i], host);
	if (f.d.type->check && f.d.type->check(&f.d, err, sizeof(err)) < 0)
		die("check", err);
	if (f.d.type->create(&f.d, &vm, err, sizeof(err)) < 0)
		die("create", err);
	f.dev = f.d.mmio;
	f.d.created = true;
	f.dev->compromised = compromised;

	/* the device thread's first round, before any notify */
	wake(&f);
	run(&f, &pr);

	f.d.type->destroy(&f.d);
	host_close(&f);
	return 0;
}
