/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End-to-end tests of virtio-vsock (sample_vmm/virtio_vsock.c) with the
 * built-in guest's driver (sample_vmm/guest/vsock.c): the test is the host
 * side of Firecracker's hybrid vsock.  It listens on PATH_52 for the
 * guest's connection, and connects to PATH with "CONNECT 1234\n" while the
 * guest listens, sending more than the guest's 256 bytes of credit at once
 * (the guest fails if the device sends more than its credit allows).
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm_run.h"

#define IO_TIMEOUT_MS 10000
#define FLOOD 1000 /* bytes the host sends at once: more than the guest's credit (256) */

static void sock_path(char *buf, size_t len)
{
	path_in_tmp(buf, len, "v.sock");
}

static int unix_listen(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		fail_msg("connect %s: %s", path, strerror(errno));
	return fd;
}

/* Waits for fd to be readable: 1, or 0 after IO_TIMEOUT_MS. */
static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, IO_TIMEOUT_MS) == 1;
}

/* Reads up to and including a newline (or len - 1 bytes, or EOF) into buf,
 * NUL-terminated; its length. */
static size_t read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r;

		if (!readable(fd))
			fail_msg("no line within %d ms (got \"%.*s\")", IO_TIMEOUT_MS, (int)n, buf);
		r = read(fd, buf + n, 1);
		if (r <= 0)
			break;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = 0;
	return n;
}

/* Reads exactly len bytes. */
static void read_all(int fd, uint8_t *buf, size_t len)
{
	size_t n = 0;

	while (n < len) {
		ssize_t r;

		if (!readable(fd))
			fail_msg("got %zu of %zu bytes within %d ms", n, len, IO_TIMEOUT_MS);
		r = read(fd, buf + n, len - n);
		if (r <= 0)
			fail_msg("got %zu of %zu bytes, then %s", n, len,
				 r ? strerror(errno) : "EOF");
		n += (size_t)r;
	}
}

/* The connection ends: EOF (or a reset) within the time-out. */
static void assert_closed(int fd, const char *what)
{
	char c;

	if (!readable(fd))
		fail_msg("%s: still open after %d ms", what, IO_TIMEOUT_MS);
	if (read(fd, &c, 1) > 0)
		fail_msg("%s: data instead of the end", what);
}

static void wait_or_fail(struct run *r, const char *what)
{
	if (!wait_for_output(r, what, TIMEOUT_S * 1000)) {
		finish(r);
		print_run(r);
		fail_msg("the guest never printed \"%s\"", what);
	}
}

/* Both directions, under --seccomp `mode` (NULL: the default, enforce):
 * the guest's connection to port 52 reaches PATH_52 and our answer reaches
 * it; a CONNECT to a port the guest does not listen on is closed; CONNECT
 * 1234 gets "OK <port>", and FLOOD bytes go to the guest's echo and back
 * while the guest grants 256 bytes of credit at a time. */
static void exchange(const char *mode)
{
	char path[96], path52[128], line[64], want[160];
	uint8_t out[FLOOD], back[FLOOD];
	unsigned long port;
	int l52, c, h;
	struct run r;

	if (!kvm_present()) {
		skip();
		return;
	}
	sock_path(path, sizeof(path));
	snprintf(path52, sizeof(path52), "%s_52", path);
	snprintf(want, sizeof(want), "cid=9,uds=%s", path);
	l52 = unix_listen(path52);
	if (mode)
		start(&r, ARGS("--vsock", want, "--seccomp", mode));
	else
		start(&r, ARGS("--vsock", want));

	/* guest-initiated */
	if (!readable(l52)) {
		finish(&r);
		print_run(&r);
		fail_msg("the guest's connection to port 52 never came");
	}
	c = accept(l52, NULL, NULL);
	assert_true(c >= 0);
	read_line(c, line, sizeof(line));
	assert_string_equal(line, "hello host\n");
	assert_int_equal(write(c, "hello guest\n", 12), 12);
	assert_closed(c, "the guest's connection after its shutdown");
	close(c);
	close(l52);

	/* host-initiated */
	wait_or_fail(&r, "virtio-vsock: listening on port 1234\n");
	h = unix_connect(path);
	assert_int_equal(write(h, "CONNECT 999\n", 12), 12); /* nobody listens there */
	assert_closed(h, "CONNECT to a port the guest refuses");
	close(h);
	h = unix_connect(path);
	assert_int_equal(write(h, "CONNECT 1234\n", 13), 13);
	read_line(h, line, sizeof(line));
	if (sscanf(line, "OK %lu\n", &port) != 1)
		fail_msg("expected \"OK <port>\", got \"%s\"", line);
	for (unsigned i = 0; i < FLOOD; i++)
		out[i] = (uint8_t)(i * 7 + 3);
	/* all at once, before reading anything back */
	assert_int_equal(write(h, out, FLOOD), FLOOD);
	read_all(h, back, FLOOD);
	assert_memory_equal(out, back, FLOOD);
	close(h);

	finish(&r);
	assert_exit(&r, 0);
	assert_has(r.out, "virtio-vsock: guest cid 9\n");
	assert_has(r.out, "virtio-vsock: host said: hello guest\n");
	snprintf(want, sizeof(want), "virtio-vsock: accepted from host port %lu\n", port);
	assert_has(r.out, want);
	assert_has(r.out, "virtio-vsock: echoed 1000 bytes\n");
	/* the device filled the credit, and never went past it (the guest
	 * checks every packet and would have failed) */
	assert_has(r.out, "virtio-vsock: credit kept: at most 256 of 256 bytes in flight\n");
	assert_has(r.out, "sample-guest: all tests passed\n");
	assert_lacks(r.err, "vmm_seccomp: "); /* no report: no violation, nothing unreviewed */
	release(&r);
	/* destroy() removed PATH (role vmm's Landlock rule allows it) */
	assert_int_equal(access(path, F_OK), -1);
}

static void test_exchange(void **state)
{
	(void)state;
	exchange(NULL);
}

static void test_exchange_errno_mode(void **state)
{
	(void)state;
	exchange("errno");
}

/* Nothing listens on PATH_52 and nobody connects: the guest is refused
 * and waits in vain, neither a failure.  A stale socket left at PATH (a
 * VMM that died) is replaced. */
static void test_refused(void **state)
{
	char path[96], arg[128];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	sock_path(path, sizeof(path));
	close(unix_listen(path)); /* stale: bound, nobody listening */
	snprintf(arg, sizeof(arg), "cid=3,uds=%s", path);
	run_vmm(&r, "--vsock", arg);
	assert_exit(&r, 0);
	assert_has(r.out, "virtio-vsock: port 52 refused\n");
	assert_has(r.out, "virtio-vsock: no host connection\n");
	assert_has(r.out, "sample-guest: all tests passed\n");
	assert_lacks(r.err, "vmm_seccomp: ");
	release(&r);
}

/* The device thread is under baseline + role filter; GET /vm shows the
 * device; SIGTERM shuts down and PATH is removed. */
static void test_thread_filtered(void **state)
{
	char path[96], arg[128], api[96], *resp;
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	sock_path(path, sizeof(path));
	path_in_tmp(api, sizeof(api), "api.sock");
	snprintf(arg, sizeof(arg), "cid=4,uds=%s", path);
	start(&r, ARGS("--vsock", arg, "--guest-stay", "--api-sock", api));
	wait_for_stay(&r);
	assert_int_equal(threads_filtered(r.pid, "virtio-vsock"), 1);
	resp = api_request(api, "GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_has(resp, "\"type\":\"virtio-vsock\"");
	assert_has(resp, "\"role\":\"virtio_vsock\",\"cid\":4,\"uds\":\"");
	assert_has(resp, path);
	/* (resp is api_request()'s static buffer, not to be freed) */
	assert_int_equal(access(path, F_OK), 0);
	stop_stayed(&r);
	assert_lacks(r.err, "vmm_seccomp: ");
	release(&r);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_demo_contained(void **state)
{
	char path[96], arg[128];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	sock_path(path, sizeof(path));
	snprintf(arg, sizeof(arg), "cid=3,uds=%s", path);
	run_vmm(&r, "--vsock", arg, "--demo-exploit=virtio-vsock");
	assert_demo_contained(&r, "virtio-vsock", "virtio_vsock");
	release(&r);
}

static void test_hostile_guest(void **state)
{
	char path[96], arg[128];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	sock_path(path, sizeof(path));
	snprintf(arg, sizeof(arg), "cid=3,uds=%s", path);
	run_vmm(&r, "--vsock", arg, "--guest-hostile");
	assert_exit(&r, 0);
	/* the 7 transport attacks and the driver's 8 */
	assert_has(r.out, "hostile: virtio-vsock: 15 attacks refused, device still works\n");
	assert_has(r.err, "virtio-vsock: vsock receive buffer shorter than a packet header");
	assert_has(r.err, "virtio-vsock: descriptor chain too long or looping");
	assert_has(r.out, "sample-guest: all tests passed\n");
	assert_lacks(r.err, "vmm_seccomp: ");
	release(&r);
}

/* Bad --vsock values: exit 1, the option and the bad part named. */
static void test_bad_options(void **state)
{
	static const struct {
		const char *arg, *msg;
	} bad[] = {
		{ "cid=2,uds=/tmp/x", "--vsock cid=2,uds=/tmp/x: cid=2: the guest CID must be" },
		{ "cid=0,uds=/tmp/x", "cid=0: the guest CID must be" },
		{ "cid=4294967295,uds=/tmp/x", "cid=4294967295: the guest CID must be" },
		{ "cid=3x,uds=/tmp/x", "cid=3x: the guest CID must be" },
		{ "cid=,uds=/tmp/x", "'cid=': expected cid=N or uds=PATH" },
		{ "cid=3", "--vsock cid=3: missing uds=PATH" },
		{ "uds=/tmp/x", "--vsock uds=/tmp/x: missing cid=N" },
		{ "cid=3,uds=/tmp/x,port=5", "'port=5': expected cid=N or uds=PATH" },
		{ "cid=3,uds=/nonexistent-dir/v.sock",
		  "its directory /nonexistent-dir: No such file" },
	};
	char arg[256], longpath[160];
	struct run r;
	int l;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_vmm(&r, "--vsock", bad[i].arg);
		assert_exit(&r, 1);
		assert_has(r.err, bad[i].msg);
		release(&r);
	}
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = 0;
	snprintf(arg, sizeof(arg), "cid=3,uds=%s", longpath);
	run_vmm(&r, "--vsock", arg);
	assert_exit(&r, 1);
	assert_has(r.err, "uds=: path of 159 bytes (at most 96");
	release(&r);
	if (!kvm_present())
		return;
	/* PATH taken: by a file, and by a live listener */
	sock_path(longpath, sizeof(longpath));
	write_file(longpath, "x", 1);
	snprintf(arg, sizeof(arg), "cid=3,uds=%s", longpath);
	run_vmm(&r, "--vsock", arg);
	assert_exit(&r, 1);
	assert_has(r.err, "exists and is not a socket");
	release(&r);
	unlink(longpath);
	l = unix_listen(longpath);

	run_vmm(&r, "--vsock", arg);
	assert_exit(&r, 1);
	assert_has(r.err, "another process listens there");
	release(&r);
	close(l);
	unlink(longpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange),       cmocka_unit_test(test_exchange_errno_mode),
		cmocka_unit_test(test_refused),	       cmocka_unit_test(test_thread_filtered),
		cmocka_unit_test(test_demo_contained), cmocka_unit_test(test_hostile_guest),
		cmocka_unit_test(test_bad_options),
	};

	return cmocka_run_group_tests_name("virtio_vsock", tests, make_tmpdir, remove_tmpdir);
}
