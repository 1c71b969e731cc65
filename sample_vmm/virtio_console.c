/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-console (device ID 3): one port, no multiport.  Queue 0, receiveq,
 * carries the host side's bytes to the guest; queue 1, transmitq, the
 * guest's bytes to the host side.  --console VALUE adds it:
 *   pty       a pseudo-terminal the VMM opens (raw), named on stderr
 *   stdio     the VMM's stdin and stdout
 *   unix=PATH a connection to a Unix socket a host program listens on
 *   fd=N      a descriptor the VMM was started with, read and written
 * VIRTIO_CONSOLE_F_SIZE is offered when the host side is a terminal.
 *
 * The device thread never blocks on the host side: it reads only after
 * poll said POLLIN (and polls for it only while the guest has a receive
 * buffer), writes only after POLLOUT, at most PIPE_BUF bytes at once (a
 * write that size to a pipe with room never blocks; the descriptors the
 * VMM owns are non-blocking as well).  A transmit chain the host side
 * cannot take yet is kept until it can: the guest's output is throttled,
 * never dropped, while the host side is there.
 */
#include "device.h"
#include "seccomp.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define CONSOLE_RX 0
#define CONSOLE_TX 1
#define CONSOLE_BUF PIPE_BUF
#define CONSOLE_CONFIG_LEN 12 /* struct virtio_console_config */

enum console_kind { CONSOLE_PTY, CONSOLE_STDIO, CONSOLE_UNIX, CONSOLE_FD };

static const char *const kind_names[] = { "pty", "stdio", "unix", "fd" };

struct console_spec {
	enum console_kind kind;
	const char *path; /* unix= */
	int fd;		  /* fd= */
};

struct virtio_console {
	struct virtio_mmio dev;
	enum console_kind kind;
	int in_fd, out_fd; /* the host side (the same descriptor but for stdio) */
	int own_fd;	   /* what create() opened (pty master, socket), or -1 */
	/* pty: the VMM keeps the slave open, so that the master never hangs up
	 * while no terminal program has it open (poll would then return
	 * POLLHUP at once, and nothing tells when one comes) */
	int slave_fd;
	int saved_flags;	  /* fd=N: its file status flags, given back at the end */
	bool tty;		  /* the host side is a terminal: VIRTIO_CONSOLE_F_SIZE */
	bool in_ready, out_ready; /* poll said so since the last read / write */
	bool in_eof, out_broken;
	char pty_name[64];
	/* host bytes read and not yet in a guest buffer */
	uint8_t rx[CONSOLE_BUF];
	uint32_t rx_off, rx_len;
	/* the transmit chain being written out */
	bool tx_busy;
	struct virtio_chain tx;
	uint32_t tx_off, tx_len;
	uint8_t txbuf[CONSOLE_BUF];
	uint64_t rx_bytes, tx_bytes;
};

/* --console VALUE into *s; 0 or -EINVAL with a message naming the option. */
static int parse_spec(const char *v, struct console_spec *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (!strcmp(v, "pty")) {
		s->kind = CONSOLE_PTY;
	} else if (!strcmp(v, "stdio")) {
		s->kind = CONSOLE_STDIO;
	} else if (!strncmp(v, "unix=", 5)) {
		s->kind = CONSOLE_UNIX;
		s->path = v + 5;
		if (!*s->path || strlen(s->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(err, errlen, "--console '%s': the socket path is %s", v,
				 *s->path ? "too long for a Unix socket" : "empty");
			return -EINVAL;
		}
	} else if (!strncmp(v, "fd=", 3)) {
		char *end;
		long n;

		errno = 0;
		n = strtol(v + 3, &end, 10);
		if (!v[3] || *end || errno || n < 0 || n > INT_MAX) {
			snprintf(err, errlen, "--console '%s': fd= takes a descriptor number", v);
			return -EINVAL;
		}
		if (n <= 2) {
			/* stdout is the serial port's too, and must stay blocking */
			snprintf(err, errlen,
				 "--console '%s': descriptors 0 to 2 are the VMM's stdio "
				 "(--console stdio)",
				 v);
			return -EINVAL;
		}
		s->kind = CONSOLE_FD;
		s->fd = (int)n;
	} else {
		snprintf(err, errlen, "--console '%s': expected pty, stdio, unix=PATH or fd=N", v);
		return -EINVAL;
	}
	return 0;
}

static int console_check(const struct device *d, char *err, size_t errlen)
{
	struct console_spec s;

	return parse_spec(d->args[0], &s, err, errlen);
}

static int console_landlock(const struct device *d, struct vmm_seccomp *sc, struct sc_landlock *ll,
			    char *err, size_t errlen)
{
	char dir[PATH_MAX], rule[PATH_MAX + 16], what[PATH_MAX + 32];
	struct console_spec s;
	int rc;

	rc = parse_spec(d->args[0], &s, err, errlen);
	if (rc < 0)
		return rc;
	switch (s.kind) {
	case CONSOLE_PTY:
		/* posix_openpt() opens the multiplexer; its ioctls (TIOCGPTN,
		 * TIOCSPTLCK, TCSETS, TIOCGWINSZ) need "device" (added for a
		 * device node) */
		rc = sc_add_file_rule(sc, ll, VMM_SECCOMP_ROLE_PROCESS, "--console", "/dev/ptmx",
				      "read+write", err, errlen);
		/* ... and the VMM opens the slave it made, /dev/pts/N, whose
		 * number is known only then: no ioctl on it */
		if (!rc)
			rc = sc_add_path_rule(sc, ll, VMM_SECCOMP_ROLE_PROCESS, "--console",
					      "/dev/pts:read+write", err, errlen);
		return rc;
	case CONSOLE_UNIX:
		/* connecting to a pathname socket (a right from Landlock ABI 9) */
		snprintf(what, sizeof(what), "--console unix=%s", s.path);
		rc = path_dir(s.path, dir, sizeof(dir), what, err, errlen);
		if (rc < 0)
			return rc;
		snprintf(rule, sizeof(rule), "%s:connect", dir);
		return sc_add_path_rule(sc, ll, VMM_SECCOMP_ROLE_PROCESS, "--console", rule, err,
					errlen);
	case CONSOLE_STDIO:
	case CONSOLE_FD:
		return 0; /* opened before the VMM started */
	}
	return 0;
}

/* Columns and rows of a terminal host side into the configuration space;
 * true if they changed. */
static bool read_size(struct virtio_console *con)
{
	struct winsize ws;
	uint16_t size[2];

	if (!con->tty || ioctl(con->out_fd, TIOCGWINSZ, &ws) < 0)
		return false;
	size[0] = ws.ws_col;
	size[1] = ws.ws_row;
	if (!memcmp(con->dev.config, size, sizeof(size)))
		return false;
	memcpy(con->dev.config, size, sizeof(size));
	return true;
}

static unsigned console_poll_fds(struct virtio_mmio *dev, struct pollfd *fds, unsigned max)
{
	struct virtio_console *con = dev->priv;
	unsigned n = 0;

	/* POLLIN only while there is somewhere to put the bytes: a host side
	 * with input and no guest buffer would wake the thread forever */
	if (!con->in_eof && con->rx_off == con->rx_len && virtio_queue_has_chain(dev, CONSOLE_RX) &&
	    n < max)
		fds[n++] = (struct pollfd){ .fd = con->in_fd, .events = POLLIN };
	if (con->tx_busy && n < max)
		fds[n++] = (struct pollfd){ .fd = con->out_fd, .events = POLLOUT };
	return n;
}

/* The guest's output, chain by chain, as far as the host side takes it. */
static void transmit(struct virtio_mmio *dev, struct virtio_console *con)
{
	for (;;) {
		if (!con->tx_busy) {
			if (virtio_queue_pop(dev, CONSOLE_TX, &con->tx) <= 0)
				return;
			con->tx_busy = true;
			con->tx_off = 0;
			/* device-writable buffers on a transmit queue are ignored */
			con->tx_len = virtio_chain_size(&con->tx, false);
		}
		if (con->tx_off < con->tx_len && !con->out_broken) {
			uint32_t n;
			ssize_t w;

			if (!con->out_ready)
				return;
			con->out_ready = false;
			n = con->tx_len - con->tx_off;
			n = virtio_chain_read(&con->tx, con->tx_off, con->txbuf,
					      n < CONSOLE_BUF ? n : CONSOLE_BUF);
			w = write(con->out_fd, con->txbuf, n);
			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (w < 0) {
				/* the host side is gone (EPIPE, EIO): the guest goes on */
				fprintf(stderr,
					"sample-vmm: virtio-console: host side: write: %s; the "
					"guest's output is dropped from now on\n",
					strerror(errno));
				con->out_broken = true;
			} else {
				con->tx_off += (uint32_t)w;
				con->tx_bytes += (uint64_t)w;
			}
			if (con->tx_off < con->tx_len && !con->out_broken)
				return; /* the rest after the next POLLOUT */
		}
		/* the device writes nothing into a transmit chain */
		virtio_queue_push(dev, CONSOLE_TX, con->tx.head, 0);
		con->tx_busy = false;
	}
}

/* The host side's bytes into the guest's receive buffers. */
static void receive(struct virtio_mmio *dev, struct virtio_console *con)
{
	struct virtio_chain c;

	while (virtio_queue_has_chain(dev, CONSOLE_RX)) {
		uint32_t w;

		if (con->rx_off == con->rx_len) {
			ssize_t n;

			if (con->in_eof || !con->in_ready)
				return;
			con->in_ready = false;
			n = read(con->in_fd, con->rx, sizeof(con->rx));
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n <= 0) {
				/* end of input: nothing more to poll for */
				if (n < 0)
					fprintf(stderr,
						"sample-vmm: virtio-console: host side: read: "
						"%s; no more input for the guest\n",
						strerror(errno));
				con->in_eof = true;
				return;
			}
			con->rx_off = 0;
			con->rx_len = (uint32_t)n;
		}
		if (virtio_queue_pop(dev, CONSOLE_RX, &c) <= 0)
			return;
		/* a chain without device-writable bytes gets nothing */
		w = virtio_chain_write(&c, 0, con->rx + con->rx_off, con->rx_len - con->rx_off);
		con->rx_off += w;
		con->rx_bytes += w;
		virtio_queue_push(dev, CONSOLE_RX, c.head, w);
	}
}

static void console_run(struct virtio_mmio *dev, const struct pollfd *fds, unsigned nfds)
{
	struct virtio_console *con = dev->priv;

	/* any revents, POLLHUP and POLLERR too: the read or write says what */
	for (unsigned i = 0; i < nfds; i++) {
		if ((fds[i].events & POLLIN) && fds[i].revents)
			con->in_ready = true;
		if ((fds[i].events & POLLOUT) && fds[i].revents)
			con->out_ready = true;
	}
	/* a terminal resized since: seen at the next wake-up (the thread takes
	 * no signal, SIGWINCH included) */
	if (read_size(con) && (dev->driver_features & (1ULL << VIRTIO_CONSOLE_F_SIZE)) &&
	    virtio_queue_running(dev, CONSOLE_TX))
		virtio_mmio_config_changed(dev);
	transmit(dev, con);
	receive(dev, con);
}

/* Driver reset (vCPU thread): the chain being written was the old driver's.
 * Host bytes already read stay for the next driver. */
static void console_reset(struct virtio_mmio *dev)
{
	struct virtio_console *con = dev->priv;

	con->tx_busy = false;
}

static const struct virtio_ops console_ops = {
	.nqueues = 2,
	.poll_fds = console_poll_fds,
	.run = console_run,
	.reset = console_reset,
};

static int set_nonblock(int fd, const char *v, char *err, size_t errlen)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int rc = -errno;

		snprintf(err, errlen, "--console %s: %s", v, strerror(errno));
		return rc;
	}
	return 0;
}

/* A raw pseudo-terminal; the VMM holds both ends. */
static int open_pty(struct virtio_console *con, const char *v, char *err, size_t errlen)
{
	struct termios t;
	int rc;

	con->own_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (con->own_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "--console %s: /dev/ptmx: %s", v, strerror(errno));
		return rc;
	}
	if (grantpt(con->own_fd) < 0 || unlockpt(con->own_fd) < 0 ||
	    ptsname_r(con->own_fd, con->pty_name, sizeof(con->pty_name)) != 0 ||
	    tcgetattr(con->own_fd, &t) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--console %s: setting up the pseudo-terminal: %s", v,
			 strerror(errno));
		goto err_close_master;
	}
	/* bytes as they are: no echo, no line editing, no CR/LF mapping */
	cfmakeraw(&t);
	if (tcsetattr(con->own_fd, TCSANOW, &t) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--console %s: raw mode: %s", v, strerror(errno));
		goto err_close_master;
	}
	con->slave_fd = open(con->pty_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (con->slave_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "--console %s: %s: %s", v, con->pty_name, strerror(errno));
		goto err_close_master;
	}
	rc = set_nonblock(con->own_fd, v, err, errlen);
	if (rc < 0)
		goto err_close_slave;
	con->in_fd = con->out_fd = con->own_fd;
	con->tty = true;
	fprintf(stderr, "sample-vmm: virtio-console: pty %s\n", con->pty_name);
	return 0;

err_close_slave:
	close(con->slave_fd);
	con->slave_fd = -1;
err_close_master:
	close(con->own_fd);
	con->own_fd = -1;
	return rc;
}

/* A connection to the socket a host program listens on.  The VMM is the
 * client, as QEMU's socket chardev without server=on: create() must not
 * wait for a peer, and the role needs no accept. */
static int open_unix(struct virtio_console *con, const char *v, const char *path, char *err,
		     size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int rc;

	con->own_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (con->own_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "--console %s: socket: %s", v, strerror(errno));
		return rc;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (connect(con->own_fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		rc = -errno;
		/* non-blocking: a full backlog fails at once instead of waiting */
		snprintf(err, errlen, "--console %s: connect: %s", v,
			 errno == EAGAIN ? "the listener's backlog is full" : strerror(errno));
		close(con->own_fd);
		con->own_fd = -1;
		return rc;
	}
	con->in_fd = con->out_fd = con->own_fd;
	return 0;
}

/* A descriptor the VMM was started with: open for reading and writing. */
static int use_fd(struct virtio_console *con, const char *v, int fd, char *err, size_t errlen)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0) {
		int rc = -errno;

		snprintf(err, errlen, "--console %s: %s", v, strerror(errno));
		return rc;
	}
	if ((fl & O_ACCMODE) != O_RDWR) {
		snprintf(err, errlen, "--console %s: not open for reading and writing", v);
		return -EINVAL;
	}
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int rc = -errno;

		snprintf(err, errlen, "--console %s: %s", v, strerror(errno));
		return rc;
	}
	con->saved_flags = fl;
	con->in_fd = con->out_fd = fd;
	con->tty = isatty(fd);
	return 0;
}

static void close_host_side(struct virtio_console *con)
{
	if (con->kind == CONSOLE_FD && con->saved_flags >= 0)
		(void)fcntl(con->in_fd, F_SETFL, con->saved_flags);
	if (con->slave_fd >= 0)
		close(con->slave_fd);
	if (con->own_fd >= 0)
		close(con->own_fd);
}

static int console_create(struct device *d, struct vm *vm, char *err, size_t errlen)
{
	const char *v = d->args[0];
	struct virtio_console *con;
	struct console_spec s;
	uint64_t features = 0;
	int rc;

	rc = parse_spec(v, &s, err, errlen);
	if (rc < 0)
		return rc;
	con = calloc(1, sizeof(*con));
	if (!con) {
		snprintf(err, errlen, "--console %s: out of memory", v);
		return -ENOMEM;
	}
	con->kind = s.kind;
	con->own_fd = con->slave_fd = con->saved_flags = -1;
	switch (s.kind) {
	case CONSOLE_PTY:
		rc = open_pty(con, v, err, errlen);
		break;
	case CONSOLE_STDIO:
		/* left blocking: stdout is the serial port's too (and may be the
		 * terminal the VMM was started from); poll says when to go */
		con->in_fd = STDIN_FILENO;
		con->out_fd = STDOUT_FILENO;
		con->tty = isatty(STDOUT_FILENO);
		break;
	case CONSOLE_UNIX:
		rc = open_unix(con, v, s.path, err, errlen);
		break;
	case CONSOLE_FD:
		rc = use_fd(con, v, s.fd, err, errlen);
		break;
	}
	if (rc < 0)
		goto err_free;
	if (con->tty)
		features |= 1ULL << VIRTIO_CONSOLE_F_SIZE;
	d->mmio = &con->dev;
	rc = device_mmio_init(d, vm, features, &console_ops, con, err, errlen);
	if (rc < 0)
		goto err_close;
	/* struct virtio_console_config: cols, rows (F_SIZE), max_nr_ports and
	 * emerg_wr (neither negotiable here); read-only */
	con->dev.config_len = CONSOLE_CONFIG_LEN;
	read_size(con);
	d->state = con;
	return 0;

err_close:
	close_host_side(con);
err_free:
	free(con);
	d->mmio = NULL;
	return rc;
}

static void console_destroy(struct device *d)
{
	struct virtio_console *con = d->state;

	virtio_mmio_free(&con->dev);
	close_host_side(con);
	free(con);
	d->state = NULL;
	d->mmio = NULL;
}

/* API thread: the counters move under the device's lock. */
static int console_info(const struct device *d, char *buf, size_t len)
{
	struct virtio_console *con = d->state;
	unsigned long long rx, tx;
	int n;

	pthread_mutex_lock(&con->dev.lock);
	rx = con->rx_bytes;
	tx = con->tx_bytes;
	pthread_mutex_unlock(&con->dev.lock);
	n = snprintf(buf, len, ",\"host\":\"%s\"%s%s%s,\"rx_bytes\":%llu,\"tx_bytes\":%llu",
		     kind_names[con->kind], con->kind == CONSOLE_PTY ? ",\"pty\":\"" : "",
		     con->kind == CONSOLE_PTY ? con->pty_name : "",
		     con->kind == CONSOLE_PTY ? "\"" : "", rx, tx);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

const struct device_type virtio_console_type = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.role = VMM_SECCOMP_ROLE_VIRTIO_CONSOLE,
	.options = {
		{ "console", true,
		  "VALUE\tvirtio-console on: pty (a new raw pseudo-terminal, named on\n"
		  "stderr), stdio (the VMM's stdin and stdout), unix=PATH (connects\n"
		  "to a Unix socket a host program listens on) or fd=N (an open\n"
		  "descriptor, read and written)" },
	},
	.check = console_check,
	.landlock = console_landlock,
	.create = console_create,
	.destroy = console_destroy,
	.info = console_info,
};
