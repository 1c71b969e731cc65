/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End-to-end tests of sample-vmm's virtio-balloon: the guest's inflated
 * pages read back as zeros (the host discarded them), the target is the
 * option's, the device thread is under its filters, the demo exploit dies
 * by SIGSYS in role virtio_balloon, a hostile guest (bad PFNs included) is
 * refused and the device goes on, bad values are refused.
 */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "vmm_run.h"

#define INFLATED "virtio-balloon: inflated 4 pages, read back as zero\n"

static void disk_path(char *buf, size_t len, const char *name)
{
	path_in_tmp(buf, len, name);
	make_disk(buf, 1 << 20);
}

static void assert_passed(const struct run *r)
{
	assert_exit(r, 0);
	assert_has(r->out, INFLATED);
	assert_has(r->out, "sample-guest: all tests passed\n");
	assert_lacks(r->err, "vmm_seccomp: ");
}

static void test_inflate(void **state)
{
	char disk[96];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	disk_path(disk, sizeof(disk), "boot.img");
	run_vmm(&r, "--disk", disk, "--balloon");
	assert_passed(&r);
	assert_has(r.out, "virtio-balloon: target 256 pages\n");
	assert_lacks(r.err, "virtio-balloon"); /* nothing refused */
	release(&r);
	run_vmm(&r, "--disk", disk, "--balloon", "--balloon-pages", "1024");
	assert_passed(&r);
	assert_has(r.out, "virtio-balloon: target 1024 pages\n");
	release(&r);
}

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
	start(&r, ARGS("--disk", disk, "--balloon", "--guest-stay", "--api-sock", sock));
	wait_for_stay(&r);
	assert_int_equal(threads_filtered(r.pid, "virtio-balloon"), 1);
	resp = api_request(sock, "GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_has(resp, "\"type\":\"virtio-balloon\"");
	assert_has(resp, "\"role\":\"virtio_balloon\",\"num_pages\":256,\"actual\":0,"
			 "\"inflated_pages\":4,\"deflated_pages\":4,\"refused_pfns\":0");
	stop_stayed(&r);
	assert_lacks(r.err, "vmm_seccomp: ");
	release(&r);
}

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
	run_vmm(&r, "--disk", disk, "--balloon", "--seccomp", "errno");
	assert_passed(&r);
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
	run_vmm(&r, "--disk", disk, "--balloon", "--demo-exploit=virtio-balloon");
	assert_demo_contained(&r, "virtio-balloon", "virtio_balloon");
	release(&r);
}

/* The transport's 7 attacks, PFNs beyond guest memory (the first page past
 * its end, and 0xffffffff: skipped and counted), a write to num_pages. */
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
	run_vmm(&r, "--disk", disk, "--balloon", "--guest-hostile", "--mem", "16");
	assert_passed(&r);
	assert_has(r.out, "hostile: virtio-balloon: 9 attacks refused, device still works\n");
	assert_has(r.err, "sample-vmm: virtio-balloon: inflate: 2 PFNs outside guest memory "
			  "skipped (the first 0x1000)\n");
	assert_has(r.err, "sample-vmm: virtio-balloon: buffer outside guest memory");
	release(&r);
}

static void test_bad_values(void **state)
{
	static const char *const bad[] = { "", "x", "-1", "1048577", "12abc" };
	struct run r;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_vmm(&r, "--balloon", "--balloon-pages", bad[i]);
		assert_exit(&r, 1);
		assert_has(r.err, "sample-vmm: --balloon-pages '");
		assert_lacks(r.out, "sample-guest");
		release(&r);
	}
	run_vmm(&r, "--balloon-pages", "8");
	assert_exit(&r, 1);
	assert_has(r.err, "--balloon-pages needs --balloon");
	release(&r);
	run_vmm(&r, "--balloon=yes");
	assert_exit(&r, 1);
	release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inflate),	   cmocka_unit_test(test_thread_filtered),
		cmocka_unit_test(test_errno_mode), cmocka_unit_test(test_demo_contained),
		cmocka_unit_test(test_hostile),	   cmocka_unit_test(test_bad_values),
	};

	return cmocka_run_group_tests_name("virtio_balloon", tests, make_tmpdir, remove_tmpdir);
}
