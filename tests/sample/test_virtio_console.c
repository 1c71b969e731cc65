/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End-to-end tests of sample-vmm's virtio-console: the guest's line reaches
 * the host side and the host's input reaches the guest, over a pipe
 * (--console stdio), a pseudo-terminal the VMM opens (pty), a Unix socket
 * the test listens on (unix=) and a terminal the test hands over (fd=N);
 * the device thread is under its filters, the demo exploit dies by SIGSYS
 * in role virtio_console, a hostile guest is refused, bad values too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm_run.h"

#define HELLO "hello from the guest console\n"

static void disk_path(char *buf, size_t len, const char *name)
{
	path_in_tmp(buf, len, name);
	make_disk(buf, 1 << 20);
}

/* What the guest prints when it passed, and no report. */
static void assert_passed(const struct run *r)
{
	assert_exit(r, 0);
	assert_has(r->out, "virtio-console: sent 29 bytes\n");
	assert_has(r->out, "sample-guest: all tests passed\n");
	assert_lacks(r->err, "vmm_seccomp: ");
}

/* Starts sample-vmm with stdin reading `input` from a pipe (closed after
 * it: end of input). */
static void start_with_stdin(struct run *r, const char *input, const char *const *args)
{
	int p[2], saved;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], input, strlen(input)), (ssize_t)strlen(input));
	close(p[1]);
	saved = dup(0);
	assert_true(saved >= 0);
	assert_true(dup2(p[0], 0) == 0);
	start(r, args);
	assert_true(dup2(saved, 0) == 0);
	close(saved);
	close(p[0]);
}

/* Reads from fd until `want` arrived (5 s at most): 1 if it did. */
static int read_until(int fd, const char *want, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (int t = 0; t < 250 && !strstr(buf, want); t++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 20) <= 0)
			continue;
		n = read(fd, buf + used, len - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = 0;
	}
	return strstr(buf, want) != NULL;
}

/* The pty the VMM named on stderr, once it did (10 s at most). */
static void wait_for_pty(const struct run *r, char *name, size_t len)
{
	static const char tag[] = "sample-vmm: virtio-console: pty ";

	for (int t = 0; t < 500; t++) {
		char *err = slurp(r->err_path), *p = strstr(err, tag);

		if (p) {
			p += sizeof(tag) - 1;
			snprintf(name, len, "%.*s", (int)strcspn(p, "\n"), p);
			free(err);
			return;
		}
		free(err);
		usleep(20000);
	}
	fail_msg("sample-vmm did not name its pty");
}

/* ---- the host sides --------------------------------------------------- */

static void test_stdio(void **state)
{
	char disk[96];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	disk_path(disk, sizeof(disk), "stdio.img");
	start_with_stdin(&r, "ping\n", ARGS("--disk", disk, "--console", "stdio"));
	finish(&r);
	assert_passed(&r);
	/* stdout is the serial port and the console: the line came through
	 * the device (the guest never prints it on the serial port) */
	assert_has(r.out, HELLO);
	assert_has(r.out, "virtio-console: received: ping\n");
	assert_lacks(r.out, "virtio-console: terminal"); /* a pipe: no F_SIZE */
	release(&r);
}

/* Nothing comes: the guest says so and passes. */
static void test_no_input(void **state)
{
	char disk[96];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	disk_path(disk, sizeof(disk), "none.img");
	start_with_stdin(&r, "", ARGS("--disk", disk, "--console", "stdio"));
	finish(&r);
	assert_passed(&r);
	assert_has(r.out, "virtio-console: no input\n");
	release(&r);
}

static void test_pty(void **state)
{
	char disk[96], pty[64], buf[256];
	struct run r;
	int fd;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	disk_path(disk, sizeof(disk), "pty.img");
	start(&r, ARGS("--disk", disk, "--console", "pty"));
	wait_for_pty(&r, pty, sizeof(pty));
	assert_true(!strncmp(pty, "/dev/pts/", 9));
	fd = open(pty, O_RDWR | O_NOCTTY);
	if (fd < 0) {
		finish(&r);
		print_run(&r);
		fail_msg("%s: %s", pty, strerror(errno));
	}
	/* raw: the guest's bytes as they are (no \r added) */
	if (!read_until(fd, HELLO, buf, sizeof(buf)))
		fail_msg("no line from the guest on %s: '%s'", pty, buf);
	assert_int_equal(write(fd, "ping\n", 5), 5);
	finish(&r);
	close(fd);
	assert_passed(&r);
	assert_has(r.out, "virtio-console: received: ping\n");
	/* a terminal: the size is offered (a new pty's is 0 x 0) */
	assert_has(r.out, "virtio-console: terminal columns 0\n");
	release(&r);
}

static void test_unix(void **state)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char disk[96], sock[96], arg[128], buf[256];
	struct pollfd p;
	struct run r;
	int l, c;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	disk_path(disk, sizeof(disk), "unix.img");
	path_in_tmp(sock, sizeof(sock), "console.sock");
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	snprintf(arg, sizeof(arg), "unix=%s", sock);
	start(&r, ARGS("--disk", disk, "--console", arg));
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	if (poll(&p, 1, 10000) != 1) {
		finish(&r);
		print_run(&r);
		fail_msg("sample-vmm did not connect to %s", sock);
	}
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c >= 0);
	if (!read_until(c, HELLO, buf, sizeof(buf)))
		fail_msg("no line from the guest on the socket: '%s'", buf);
	assert_int_equal(write(c, "ping\n", 5), 5);
	finish(&r);
	close(c);
	close(l);
	unlink(sock);
	assert_passed(&r);
	assert_has(r.out, "virtio-console: received: ping\n");
	release(&r);
}

/* A terminal the test made and sized, handed over as fd=N: the guest reads
 * its size (VIRTIO_CONSOLE_F_SIZE); the descriptor's flags are given back. */
static void test_fd_terminal(void **state)
{
	struct winsize ws = { .ws_row = 40, .ws_col = 100 };
	char disk[96], arg[32], buf[256];
	struct termios t;
	struct run r;
	int m, s;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	disk_path(disk, sizeof(disk), "fd.img");
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY); /* inherited by sample-vmm */
	assert_true(s >= 0);
	assert_int_equal(tcgetattr(s, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(s, TCSANOW, &t), 0);
	assert_int_equal(ioctl(m, TIOCSWINSZ, &ws), 0);
	snprintf(arg, sizeof(arg), "fd=%d", s);
	start(&r, ARGS("--disk", disk, "--console", arg));
	if (!read_until(m, HELLO, buf, sizeof(buf)))
		fail_msg("no line from the guest on the terminal: '%s'", buf);
	assert_int_equal(write(m, "ping\n", 5), 5);
	finish(&r);
	assert_passed(&r);
	assert_has(r.out, "virtio-console: terminal columns 100\n");
	assert_has(r.out, "virtio-console: terminal rows 40\n");
	assert_has(r.out, "virtio-console: received: ping\n");
	/* the open file description is shared with the VMM: it made it
	 * non-blocking and must have undone that */
	assert_int_equal(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
	close(s);
	close(m);
	release(&r);
}

/* ---- the sandbox -------------------------------------------------------- */

static void test_thread_filtered(void **state)
{
	char disk[96], sock[96];
	struct run r;
	char *resp;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	disk_path(disk, sizeof(disk), "stay.img");
	path_in_tmp(sock, sizeof(sock), "api.sock");
	start(&r, ARGS("--disk", disk, "--console", "pty", "--guest-stay", "--api-sock", sock));
	wait_for_stay(&r);
	assert_int_equal(threads_filtered(r.pid, "virtio-console"), 1);
	resp = api_request(sock, "GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_has(resp, "\"type\":\"virtio-console\"");
	assert_has(resp, "\"role\":\"virtio_console\",\"host\":\"pty\",\"pty\":\"/dev/pts/");
	assert_has(resp, "\"tx_bytes\":29");
	stop_stayed(&r);
	assert_lacks(r.err, "vmm_seccomp: ");
	release(&r);
}

/* errno mode reports every syscall outside the policies, set-up included
 * (the pty's ioctls are in the baseline). */
static void test_errno_mode(void **state)
{
	char disk[96];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	disk_path(disk, sizeof(disk), "errno.img");
	run_vmm(&r, "--disk", disk, "--console", "pty", "--seccomp", "errno");
	assert_passed(&r);
	release(&r);
	start_with_stdin(&r, "ping\n",
			 ARGS("--disk", disk, "--console", "stdio", "--seccomp", "errno"));
	finish(&r);
	assert_passed(&r);
	assert_has(r.out, "virtio-console: received: ping\n");
	release(&r);
}

static void test_demo_contained(void **state)
{
	char disk[96];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	disk_path(disk, sizeof(disk), "demo.img");
	run_vmm(&r, "--disk", disk, "--console", "pty", "--demo-exploit=virtio-console");
	assert_demo_contained(&r, "virtio-console", "virtio_console");
	release(&r);
}

static void test_hostile(void **state)
{
	char disk[96];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	disk_path(disk, sizeof(disk), "hostile.img");
	run_vmm(&r, "--disk", disk, "--console", "pty", "--guest-hostile", "--mem", "16");
	assert_passed(&r);
	/* the 7 transport attacks, a writable transmit buffer, a write to the
	 * read-only configuration */
	assert_has(r.out, "hostile: virtio-console: 9 attacks refused, device still works\n");
	assert_has(r.err, "sample-vmm: virtio-console: buffer outside guest memory");
	release(&r);
}

static void test_bad_values(void **state)
{
	static const char *const bad[] = { "tty",  "",	    "unix=", "fd=",
					   "fd=1", "fd=-3", "fd=3x", "fd=99" };
	char nosock[96], arg[160], longp[160];
	struct run r;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_vmm(&r, "--console", bad[i]);
		assert_exit(&r, 1);
		assert_has(r.err, "sample-vmm: --console ");
		assert_lacks(r.out, "sample-guest");
		release(&r);
	}
	/* nothing listens there */
	path_in_tmp(nosock, sizeof(nosock), "nobody.sock");
	snprintf(arg, sizeof(arg), "unix=%s", nosock);
	run_vmm(&r, "--console", arg);
	assert_exit(&r, 1);
	assert_has(r.err, "connect: No such file or directory");
	assert_has(r.err, "--console unix=");
	release(&r);
	/* longer than sun_path */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	memcpy(longp, "unix=/", 6);
	run_vmm(&r, "--console", longp);
	assert_exit(&r, 1);
	assert_has(r.err, "too long for a Unix socket");
	release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stdio),	    cmocka_unit_test(test_no_input),
		cmocka_unit_test(test_pty),	    cmocka_unit_test(test_unix),
		cmocka_unit_test(test_fd_terminal), cmocka_unit_test(test_thread_filtered),
		cmocka_unit_test(test_errno_mode),  cmocka_unit_test(test_demo_contained),
		cmocka_unit_test(test_hostile),	    cmocka_unit_test(test_bad_values),
	};

	return cmocka_run_group_tests_name("virtio_console", tests, make_tmpdir, remove_tmpdir);
}
