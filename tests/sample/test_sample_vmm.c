/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End-to-end tests of sample-vmm: the built binary runs as a child process
 * with its built-in guest, and the parent checks how it ended, what the
 * guest printed on the serial port, what landed on the disk image, and the
 * seccomp state of every thread in /proc, the Landlock state the VMM
 * reports, and the kernel's audit log for its Landlock denials.
 *
 * With SAMPLE_VMM_VALGRIND set (the path of valgrind), only the boot and
 * hostile-guest tests run, with sample-vmm under valgrind memcheck.
 */
#include <sched.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/abi.h"
#include "kernel_audit.h"
#include "vmm_run.h"

#ifndef SAMPLE_VMM
#error "SAMPLE_VMM must name the sample-vmm binary"
#endif
#ifndef SAMPLE_GUEST
#error "SAMPLE_GUEST must name the built-in guest's flat image"
#endif

/* ---- 1: the default guest boots under enforcement ------------------------ */

/* Boots the built-in guest on a fresh disk `img` (in tmpdir) with `args`
 * after --disk: it must pass its tests and power off with no report,
 * leaving its pattern on the disk.  The run stays in *r (release it). */
static void boot_passes(struct run *r, const char *img, const char *const *args)
{
	const char *argv[MAX_ARGS + 1];
	char disk[96];
	int n = 0;

	path_in_tmp(disk, sizeof(disk), img);
	make_disk(disk, 1 << 20);
	argv[n++] = "--disk";
	argv[n++] = disk;
	for (; *args && n < MAX_ARGS; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	start(r, argv);
	finish(r);
	assert_exit(r, 0);
	assert_has(r->out, "virtio-blk: pattern ok\n");
	assert_has(r->out, "virtio-rng: 32 bytes\n");
	assert_has(r->out, "sample-guest: all tests passed\n");
	assert_lacks(r->err, "vmm_seccomp: "); /* no report: no violation, nothing unreviewed */
	assert_pattern_on_disk(disk);
}

#define boot_ok(r, img, ...) boot_passes(r, img, ARGS(__VA_ARGS__))

static void boot(unsigned vcpus)
{
	char n[8], line[32];
	struct run r;

	if (!kvm_present()) {
		skip();
		return;
	}
	snprintf(n, sizeof(n), "%u", vcpus);
	boot_ok(&r, "boot.img", "--vcpus", n);
	for (unsigned i = 0; i < vcpus; i++) {
		snprintf(line, sizeof(line), "cpu %u online\n", i);
		assert_has(r.out, line);
	}
	assert_landlock_line(&r, "enforced");
	release(&r);
}

static void test_boot_1_vcpu(void **state)
{
	(void)state;
	boot(1);
}

static void test_boot_2_vcpus(void **state)
{
	(void)state;
	boot(2);
}

/* A read-only disk: the device fails the guest's write (VIRTIO_BLK_S_IOERR),
 * the guest powers off with FAIL_BLK (0x10), the image is untouched. */
static void test_disk_read_only(void **state)
{
	unsigned char buf[512];
	char disk[96];
	struct run r;
	int fd;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	path_in_tmp(disk, sizeof(disk), "ro.img");
	make_disk(disk, 1 << 20);
	run_vmm(&r, "--disk", disk, "--disk-ro");
	assert_exit(&r, 0x10);
	assert_has(r.out, "virtio-blk: write failed");
	fd = open(disk, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 512);
	close(fd);
	for (unsigned i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	release(&r);
}

/* A hostile driver: malformed queues and requests, each refused (the device
 * declares DEVICE_NEEDS_RESET or fails the request); the VMM goes on and the
 * device works again after a reset.  Under enforcement: refusing must not
 * need a syscall outside the roles either. */
static void test_hostile_guest(void **state)
{
	static const char *const refusals[] = {
		"buffer outside guest memory",
		"descriptor chain too long or looping",
		"descriptor index out of range",
		"indirect descriptor (not negotiated)",
		"available index ran ahead of the queue size",
		"virtqueue outside guest memory or misaligned",
	};
	char disk[96];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	path_in_tmp(disk, sizeof(disk), "hostile.img");
	make_disk(disk, 1 << 20);
	run_vmm(&r, "--disk", disk, "--guest-hostile", "--mem", "16");
	assert_exit(&r, 0);
	assert_has(r.out, "hostile: virtio-blk: 8 attacks refused, device still works\n");
	assert_has(r.out, "hostile: virtio-rng: 7 attacks refused, device still works\n");
	assert_has(r.out, "sample-guest: all tests passed\n");
	for (unsigned i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		assert_has(r.err, refusals[i]);
	assert_lacks(r.err, "vmm_seccomp: "); /* no report: no violation, nothing unreviewed */
	release(&r);
}

/* ---- 2: every thread carries its filters ---------------------------------- */

static const char *const two_vcpu_threads[] = { "vmm",	      "vcpu0",	    "vcpu1",
						"virtio-blk", "virtio-rng", "signal-handler" };
#define NTWO (sizeof(two_vcpu_threads) / sizeof(two_vcpu_threads[0]))

struct seen_threads {
	int seen[NTWO], api;
};

static void see_thread(const char *comm, void *arg)
{
	struct seen_threads *s = arg;
	int known = 0;

	for (unsigned i = 0; i < NTWO; i++)
		if (!strcmp(comm, two_vcpu_threads[i])) {
			s->seen[i]++;
			known = 1;
		}
	if (!strcmp(comm, "api"))
		s->api++;
	/* KVM's own worker (kvm-nx-lpage-recovery) lives in the VMM's thread
	 * group: it is created from a vCPU thread and inherits its filters, as
	 * checked. */
	else if (!known && strncmp(comm, "kvm-", 4) != 0)
		fail_msg("unexpected thread '%s'", comm);
}

static void test_threads_filtered(void **state)
{
	char disk[96], sock[96];
	struct seen_threads s = { { 0 }, 0 };
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	path_in_tmp(disk, sizeof(disk), "stay.img");
	path_in_tmp(sock, sizeof(sock), "api.sock");
	make_disk(disk, 1 << 20);
	start(&r, ARGS("--disk", disk, "--vcpus", "2", "--guest-stay", "--api-sock", sock));
	wait_for_stay(&r);
	assert_true(threads_all_filtered(r.pid, see_thread, &s) >= (int)NTWO);
	for (unsigned i = 0; i < NTWO; i++)
		if (s.seen[i] != 1)
			fail_msg("thread %s seen %d times", two_vcpu_threads[i], s.seen[i]);

	/* While it runs, its disk is locked: a second VMM is refused. */
	{
		struct run second;

		run_vmm(&second, "--disk", disk);
		assert_exit(&second, 1);
		assert_has(second.err, "in use by another process");
		release(&second);
	}

	/* Shutting down by SIGTERM (the event loop's signal path). */
	stop_stayed(&r);
	assert_has(r.err, "SIGTERM: shutting down");
	assert_int_equal(s.api, 1);
	release(&r);
}

/* ---- the API while the guest runs ------------------------------------------ */

/* One request on a fresh connection; returns the whole response. */
/* GET /seccomp's "landlock": this kernel's ABI and what it handles, and
 * the rules the VMM derived from its options, per layer. */
static void assert_landlock_json(const char *resp, const char *disk, const char *sock)
{
	int abi = landlock_abi();
	char want[3 * PATH_MAX + 256], d[PATH_MAX], dir[PATH_MAX];

	snprintf(want, sizeof(want), "\"landlock\":{\"abi\":%d,\"enforced\":%s,\"fs\":[", abi,
		 abi ? "true" : "false");
	assert_has(resp, want);
	assert_has(resp, abi ? "\"fs\":[\"execute\",\"write_file\",\"read_file\",\"read_dir\","
			     : "\"fs\":[]");
	if (abi >= 9)
		assert_has(resp, ",\"truncate\",\"ioctl_dev\",\"resolve_unix\"],");
	else if (abi >= 5)
		assert_has(resp, ",\"truncate\",\"ioctl_dev\"],");
	assert_has(resp, abi >= 4 ? "\"net\":[\"bind_tcp\",\"connect_tcp\"]" : "\"net\":[]");
	assert_has(resp,
		   abi >= 6 ? "\"scopes\":[\"abstract_unix_socket\",\"signal\"]" : "\"scopes\":[]");
	assert_has(resp, abi >= 7 ? "\"audit\":true" : "\"audit\":false");
	assert_non_null(realpath(disk, d));
	assert_non_null(realpath(tmpdir, dir));
	assert_true(strncmp(sock, tmpdir, strlen(tmpdir)) == 0);
	snprintf(want, sizeof(want),
		 "\"rules\":{\"process\":[\"%s:read+write\",\"/dev/kvm:read+write+device\","
		 "\"%s:create+socket+connect\"],\"vmm\":[\"%s:create\"],\"vcpu\":[],\"api\":[],"
		 "\"virtio_block\":[],",
		 d, dir, dir);
	assert_has(resp, want);
}

static void test_api_while_running(void **state)
{
	static const char gpu[] = "# a role of the embedder's own\n"
				  "@include builtin/groups/thread.policy\nread  # its queue\n";
	char disk[96], sock[96], req[256], pdir[96], pfile[128];
	const char *body = "{\"action\":\"pause\"}";
	char *resp;
	struct run r;
	int i;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	path_in_tmp(disk, sizeof(disk), "api.img");
	path_in_tmp(sock, sizeof(sock), "api2.sock");
	make_disk(disk, 1 << 20);
	/* a role the policy directory defines, given a mode by name */
	path_in_tmp(pdir, sizeof(pdir), "roles");
	assert_int_equal(mkdir(pdir, 0755), 0);
	snprintf(pfile, sizeof(pfile), "%s/virtio_gpu.policy", pdir);
	write_file(pfile, gpu, sizeof(gpu) - 1);
	start(&r,
	      ARGS("--disk", disk, "--vcpus", "2", "--guest-stay", "--api-sock", sock, "--seccomp",
		   "enforce", "--seccomp-policy", pdir, "--seccomp-role", "virtio_gpu=log"));
	wait_for_stay(&r);
	resp = api_request(sock, "GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_has(resp, "HTTP/1.1 200");
	assert_has(resp, "\"state\":\"running\",\"vcpus\":2,\"uptime_ms\":");
	resp = api_request(sock, "GET /seccomp HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_has(resp, "HTTP/1.1 200");
	assert_has(resp, "\"vcpu\":\"enforce\"");
	assert_has(resp, "\"virtio_gpu\":\"log\"}"); /* the last of the modes */
	assert_has(resp, "\"virtio_gpu\":0}");	     /* and of the violation counts */
	assert_has(resp, "\"name\":\"api\",\"role\":\"api\",\"filtered\":true");
	assert_has(resp, "\"name\":\"vcpu1\",\"role\":\"vcpu\",\"filtered\":true");
	assert_landlock_json(resp, disk, sock);
	snprintf(req, sizeof(req),
		 "PUT /actions HTTP/1.1\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 strlen(body), body);
	assert_has(api_request(sock, req), "HTTP/1.1 204");
	usleep(100000);
	assert_has(api_request(sock, "GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n"),
		   "\"state\":\"paused\"");
	body = "{\"action\":\"resume\"}";
	snprintf(req, sizeof(req),
		 "PUT /actions HTTP/1.1\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 strlen(body), body);
	assert_has(api_request(sock, req), "HTTP/1.1 204");
	usleep(100000);
	assert_has(api_request(sock, "GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n"),
		   "\"state\":\"running\"");
	/* bad requests: refused, and the VMM goes on */
	for (i = 0; i < 50; i++) {
		assert_has(api_request(sock, "GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n"),
			   "HTTP/1.1 404");
		assert_has(api_request(sock, "PUT /actions HTTP/1.1\r\nContent-Length: 5\r\n"
					     "Connection: close\r\n\r\n{bad}"),
			   "HTTP/1.1 400");
		assert_has(api_request(sock, "BREW /vm HTTP/1.1\r\nConnection: close\r\n\r\n"),
			   "HTTP/1.1 4");
		api_request(sock, "GET /vm HTTP/1.1\r\nHost"); /* truncated, then gone */
	}
	assert_has(api_request(sock, "GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n"),
		   "HTTP/1.1 200");
	body = "{\"action\":\"shutdown\"}";
	snprintf(req, sizeof(req),
		 "PUT /actions HTTP/1.1\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 strlen(body), body);
	assert_has(api_request(sock, req), "HTTP/1.1 204");
	finish(&r);
	assert_exit(&r, 0);
	assert_lacks(r.err, "vmm_seccomp: ");	  /* no report: no violation, nothing unreviewed */
	assert_int_equal(access(sock, F_OK), -1); /* the socket file is gone */
	release(&r);
	unlink(pfile);
	rmdir(pdir);
}

/* ---- 3: errno mode reports every syscall outside the policies ------------ */

static void test_no_violation_in_errno_mode(void **state)
{
	char disk[96], serial[96];
	struct run r;
	char *out;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	path_in_tmp(disk, sizeof(disk), "errno.img");
	path_in_tmp(serial, sizeof(serial), "serial.txt");
	make_disk(disk, 1 << 20);
	run_vmm(&r, "--disk", disk, "--vcpus", "2", "--seccomp", "errno", "--serial-out", serial);
	assert_exit(&r, 0);
	/* The guest's output went to --serial-out, not to stdout. */
	assert_string_equal(r.out, "");
	out = slurp(serial);
	assert_has(out, "sample-guest: all tests passed\n");
	free(out);
	assert_lacks(r.err, "vmm_seccomp: ");
	assert_pattern_on_disk(disk);
	release(&r);
}

/* Log mode: every syscall runs, and one outside a policy would be logged,
 * but the Landlock domains are those of enforce mode (Landlock has no
 * permissive mode): a path the rules lack fails with EACCES here too.  It
 * boots, with the API socket made and removed, and no report. */
static void test_log_mode_with_landlock(void **state)
{
	char sock[96];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	path_in_tmp(sock, sizeof(sock), "log.sock");
	boot_ok(&r, "log.img", "--vcpus", "2", "--seccomp", "log", "--api-sock", sock);
	assert_landlock_line(&r, "enforced");
	assert_int_equal(access(sock, F_OK), -1); /* removed at shut-down, from role vmm */
	release(&r);
}

/* --landlock false: no domain; the VMM runs as before Landlock. */
static void test_landlock_off(void **state)
{
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	boot_ok(&r, "nolandlock.img", "--landlock", "false");
	assert_landlock_line(&r, "off (the embedder turned it off)");
	release(&r);
}

/* ---- Landlock denials in the kernel's audit log -------------------------- */

static struct kaudit audit = { -1, -1 };

static int audit_teardown(void **state)
{
	(void)state;
	kaudit_stop(&audit); /* the rate limit back, whatever failed */
	return 0;
}

/*
 * A path the VMM's rules lack fails with EACCES and nothing more: the VMM
 * may survive it (a socket left behind, a file it did without), and no
 * filter reports it.  The kernel's audit log is the judge.  With audit on,
 * the VMM boots and shuts down in enforce and in log mode, with the API
 * socket (and in log mode the guest image read from a file); then a helper
 * is refused /etc/passwd.  Its denial must reach the
 * log, which shows the check can see one and that what was logged before
 * has been printed; none may be the VMM's.
 */
static void test_no_landlock_denial_audited(void **state)
{
	static const char *const modes[] = { "enforce", "log" };
	char sock[96], why[256], first[2048];
	/* the built-in guest in enforce mode; in log mode, read from a file */
	const char *const *runs[] = {
		ARGS("--vcpus", "2", "--api-sock", sock),
		ARGS("--vcpus", "2", "--seccomp", "log", "--api-sock", sock, "--guest",
		     SAMPLE_GUEST),
	};
	pid_t vmm[2], helper;
	char *log, dropped[2048];
	int seen = 0, abi = landlock_abi();

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	if (abi < 7) {
		printf("SKIP audit: Landlock ABI %d audits no denials (ABI 7 and later do)\n", abi);
		return;
	}
	if (kaudit_start(&audit, why, sizeof(why))) {
		printf("SKIP audit: %s\n", why);
		return;
	}
	path_in_tmp(sock, sizeof(sock), "audit.sock");
	for (unsigned i = 0; i < 2; i++) {
		struct run r;

		boot_passes(&r, "audit.img", runs[i]);
		vmm[i] = r.pid;
		assert_landlock_line(&r, "enforced");
		assert_int_equal(access(sock, F_OK), -1);
		release(&r);
	}
	helper = kaudit_denied_open("/etc/passwd");
	assert_true(helper > 0);
	log = kaudit_read_until(&audit, kaudit_landlock_denials, helper, first, sizeof(first),
				&seen, dropped, sizeof(dropped));
	kaudit_stop(&audit);
	assert_non_null(log);
	if (!seen)
		fail_msg("the helper's denial (pid %d, /etc/passwd) never reached the kernel log: "
			 "no denial of the VMM's could have either; the log:\n%s",
			 (int)helper, log);
	assert_has(first, "blockers=fs.read_file ");
	assert_has(first, "path=\"/etc/passwd\"");
	if (dropped[0])
		fail_msg("the kernel dropped records while the VMM ran (%s): the log proves "
			 "nothing",
			 dropped);
	for (unsigned i = 0; i < 2; i++) {
		int n = kaudit_landlock_denials(log, vmm[i], first, sizeof(first));

		if (n)
			fail_msg("sample-vmm --seccomp %s (pid %d): %d Landlock denial(s) in the "
				 "audit log, the first:\n%s",
				 modes[i], (int)vmm[i], n, first);
	}
	free(log);
}

/* The benchmark that installs the filters half-way: the vCPU thread puts
 * the baseline on every running thread and enters its role, and the VM
 * goes on to power off without a violation. */
static void test_bench_split(void **state)
{
	double wall, cpu;
	const char *line;
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	run_vmm(&r, "--bench", "2000", "--bench-split", "--seccomp", "enforce");
	assert_exit(&r, 0);
	assert_has(r.err, "split: ");
	assert_has(r.err, " us per exit before the filters, ");
	/* sample-vmm-bench times runs that share a CPU by the vCPU thread's
	 * CPU time: printed, and never more than the wall time it spans */
	line = strstr(r.err, "2000 port-I/O exits, ");
	assert_non_null(line);
	assert_int_equal(sscanf(line, "2000 port-I/O exits, %lf us per exit, %lf us of the vCPU",
				&wall, &cpu),
			 2);
	assert_true(cpu > 0 && cpu <= wall * 1.01);
	assert_lacks(r.err, "vmm_seccomp: "); /* no report: no violation, nothing unreviewed */
	release(&r);
}

/* ---- 4: containment -------------------------------------------------------- */

static void test_demo_contained(void **state)
{
	char disk[96];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	path_in_tmp(disk, sizeof(disk), "demo.img");
	make_disk(disk, 1 << 20);
	run_vmm(&r, "--disk", disk, "--demo-exploit");
	assert_demo_contained(&r, "virtio-blk", "virtio_block");
	release(&r);
}

static void test_demo_uncontained(void **state)
{
	char disk[96];
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	path_in_tmp(disk, sizeof(disk), "demo.img");
	make_disk(disk, 1 << 20);
	run_vmm(&r, "--disk", disk, "--demo-exploit", "--seccomp", "false");
	assert_exit(&r, 3);
	assert_has(r.err, "execve reached the kernel (EFAULT): a compromised device thread could "
			  "have run a shell");
	assert_lacks(r.err, "vmm_seccomp: "); /* no report: no violation, nothing unreviewed */
	/* The guest got no completion: it neither failed nor went on. */
	assert_lacks(r.out, "FAILED");
	assert_lacks(r.out, "pattern ok");
	release(&r);
}

/* ---- 5: bad input ------------------------------------------------------------ */

static void refused(const char *culprit, const char *const *args)
{
	struct run r;

	start(&r, args);
	finish(&r);
	if (WIFSIGNALED(r.status)) {
		print_run(&r);
		fail_msg("%s: killed by signal %d", culprit, WTERMSIG(r.status));
	}
	assert_exit(&r, 1);
	assert_has(r.err, culprit);
	/* refused before any vCPU ran: the guest printed nothing */
	assert_string_equal(r.out, "");
	release(&r);
}

/* Linux: corrupt images are refused here; a real boot only where it works. */
static void test_linux_kernel(void **state)
{
	const char *kernel = getenv("SAMPLE_VMM_LINUX_KERNEL");
	char bad[96], junk[8192];
	struct run r;
	size_t i;

	(void)state;
	path_in_tmp(bad, sizeof(bad), "bad-bzImage");
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	memcpy(junk + 0x202, "HdrS", 4); /* looks like a bzImage, is not one */
	write_file(bad, junk, sizeof(junk));
	refused("--kernel", ARGS("--kernel", bad));
	refused("--initrd needs --kernel", ARGS("--initrd", bad));
	if (!kvm_present()) {
		skip();
		return;
	}
	if (!kernel || !*kernel) {
		/* A stock kernel does not finish booting under software
		 * virtualization such as PVM (this project's machines): the boot
		 * is tested where it works, when asked. */
		printf("SKIP Linux boot: set SAMPLE_VMM_LINUX_KERNEL=bzImage on a host whose KVM "
		       "runs "
		       "Linux guests\n");
		return;
	}
	start(&r, ARGS("--kernel", kernel, "--mem", "512", "--cmdline", "panic=-1"));
	if (!wait_for_output(&r, "Linux version", 120 * 1000)) {
		kill(r.pid, SIGKILL);
		finish(&r);
		print_run(&r);
		fail_msg("no \"Linux version\" on the serial port within 120 s");
	}
	kill(r.pid, SIGTERM);
	finish(&r);
	assert_lacks(r.err, "vmm_seccomp: "); /* no report: no violation, nothing unreviewed */
	release(&r);
}

static void test_help(void **state)
{
	static const char *const documented[] = {
		"--mem",	"--vcpus",	   "--disk",
		"--disk-ro",	"--serial-out",	   "--guest ",
		"--guest-stay", "--guest-hostile", "--demo-exploit",
		"--bench",	"--bench-split",   "--kernel",
		"--initrd",	"--cmdline",	   "--api-sock",
		"--seccomp ",	"--seccomp-role",  "--seccomp-allow-dangerous",
		"--landlock ",	"--landlock-rule", "PATH:ACCESS",
		"0xd0000000",	"0xd0001000",	   "GSI 5",
		"GSI 6",	"port 0x501",	   "0x3f8",
		"Exit status",	"SIGSYS",
	};
	struct run r;

	(void)state;
	run_vmm(&r, "--help");
	assert_exit(&r, 0);
	for (unsigned i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
		assert_has(r.out, documented[i]);
	release(&r);
}

#define expect_refused(culprit, ...) refused(culprit, ARGS(__VA_ARGS__))

static void test_bad_input(void **state)
{
	char disk[96], empty[96], rnd[96], big[96], trunc[96], missing[96];
	struct guest_image_header h;
	unsigned char junk[4096];
	char *image;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	path_in_tmp(disk, sizeof(disk), "bad.img");
	make_disk(disk, 1 << 20);
	path_in_tmp(missing, sizeof(missing), "no-such-disk.img");
	path_in_tmp(empty, sizeof(empty), "empty.bin");
	write_file(empty, "", 0);
	path_in_tmp(rnd, sizeof(rnd), "random.bin");
	srand(42);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rand();
	write_file(rnd, junk, sizeof(junk));
	/* A well-formed header on an image bigger than 8 MiB of guest memory. */
	path_in_tmp(big, sizeof(big), "big.bin");
	image = calloc(1, 9 << 20);
	assert_non_null(image);
	h = (struct guest_image_header){ GUEST_IMAGE_MAGIC, GUEST_LOAD_ADDR + 64, 9 << 20,
					 9 << 20 };
	memcpy(image, &h, sizeof(h));
	write_file(big, image, 9 << 20);
	/* ... and one whose header promises more than the file holds. */
	path_in_tmp(trunc, sizeof(trunc), "truncated.bin");
	h.file_size = 8192;
	memcpy(image, &h, sizeof(h));
	write_file(trunc, image, 4096);
	free(image);

	expect_refused("--disk", "--disk", missing);
	expect_refused("--bench-split needs --bench", "--bench-split");
	expect_refused("empty guest image", "--guest", empty);
	expect_refused("not a sample-vmm guest image", "--guest", rnd);
	expect_refused("more than the 8 MiB of --mem", "--guest", big, "--mem", "8");
	expect_refused("truncated or corrupt", "--guest", trunc);
	expect_refused("--guest", "--guest", missing);
	expect_refused("--vcpus '0'", "--vcpus", "0");
	expect_refused("--vcpus '9'", "--vcpus", "9");
	expect_refused("--vcpus 'two'", "--vcpus", "two");
	expect_refused("--mem '1'", "--mem", "1");
	expect_refused("--mem '64M'", "--mem", "64M");
	expect_refused("--mem '-5'", "--mem", "-5");
	expect_refused("--seccomp bogus", "--seccomp", "bogus");
	expect_refused("--seccomp-role vcpu=sometimes", "--seccomp-role", "vcpu=sometimes");
	expect_refused("--seccomp-role nobody=enforce", "--seccomp-role", "nobody=enforce");
	expect_refused("unknown option '--frobnicate'", "--frobnicate");
	expect_refused("--disk-ro needs --disk", "--disk-ro");
	expect_refused("--disk-workers needs --disk", "--disk-workers", "2");
	expect_refused("--disk-workers '5': expected a number from 0 to 4", "--disk", missing,
		       "--disk-workers", "5");
	expect_refused("--demo-exploit 'virtio-nothing': no such device",
		       "--demo-exploit=virtio-nothing");
	expect_refused("--demo-exploit needs --disk (the exploit goes through virtio-blk)",
		       "--demo-exploit");
	/* Landlock: the option, then what is wrong with its value */
	expect_refused("--landlock 'maybe': expected true or false", "--landlock", "maybe");
	expect_refused("--landlock-rule: landlock rule /no/such: No such file or directory",
		       "--landlock-rule", "/no/such:ro");
	expect_refused("--landlock-rule: landlock rule \"/tmp:rx\": unknown access \"rx\"",
		       "--landlock-rule", "/tmp:rx");
	expect_refused("--landlock-rule: landlock rule \"relative\": the path must be absolute",
		       "--landlock-rule", "relative:ro");
	expect_refused("--api-sock /no/such/dir/api.sock: ", "--api-sock", "/no/such/dir/api.sock");
	/* a policy directory's baseline allowing execve: refused unless the
	 * command line says --seccomp-allow-dangerous */
	{
		char pdir[96], pfile[128], want[320];
		static const char text[] = "@include builtin/roles/process.policy\nexecve  # no\n";

		path_in_tmp(pdir, sizeof(pdir), "policies");
		assert_int_equal(mkdir(pdir, 0755), 0);
		snprintf(pfile, sizeof(pfile), "%s/process.policy", pdir);
		write_file(pfile, text, sizeof(text) - 1);
		snprintf(want, sizeof(want),
			 "--seccomp-policy %s: %s:2:1: execve is on the dangerous list", pdir,
			 pfile);
		expect_refused(want, "--seccomp-policy", pdir);
		unlink(pfile);
		rmdir(pdir);
	}
}

/* ---- under valgrind ---------------------------------------------------------- */

static void test_boot_under_valgrind(void **state)
{
	(void)state;
	boot(2);
}

static void test_hostile_under_valgrind(void **state)
{
	test_hostile_guest(state);
}

/* ---- 6: every device, each thread in its role -------------------------- */

/* Each device of the sample VMM: how to add it, its thread, its role and
 * what the guest prints when it drove it. */
struct device_case {
	const char *name; /* thread and --demo-exploit=NAME */
	const char *role;
	const char *guest_says;
	bool net; /* needs a network namespace (CAP_NET_ADMIN, /dev/net/tun) */
};

static const struct device_case devices[] = {
	{ "virtio-blk", "virtio_block", "virtio-blk: pattern ok\n", false },
	{ "virtio-rng", "virtio_rng", "virtio-rng: 32 bytes\n", false },
	{ "virtio-net", "virtio_net", "virtio-net: sent ARP request\n", true },
	{ "virtio-console", "virtio_console", "virtio-console: sent 29 bytes\n", false },
	{ "virtio-balloon", "virtio_balloon",
	  "virtio-balloon: inflated 4 pages, read back as zero\n", false },
};

#define NDEVICES (sizeof(devices) / sizeof(devices[0]))

/* Can this host give sample-vmm a tap in a namespace of its own? */
static bool net_possible(void)
{
	static int known = -1;

	if (known < 0) {
		pid_t p = fork();
		int st;

		assert_true(p >= 0);
		if (p == 0)
			_exit(unshare(CLONE_NEWNET) == 0 && access("/dev/net/tun", R_OK | W_OK) == 0
				      ? 0
				      : 1);
		waitpid(p, &st, 0);
		known = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (!known)
			printf("SKIP virtio-net in the every-device runs: no network namespace "
			       "(needs CAP_SYS_ADMIN) or no /dev/net/tun\n");
	}
	return known;
}

/* Appends the options that add device i (files in tmpdir named after tag). */
static unsigned device_args(unsigned i, const char **argv, unsigned n, const char *tag)
{
	static char disk[4][96];
	static unsigned next;

	if (!strcmp(devices[i].name, "virtio-blk")) {
		char *d = disk[next++ % 4];
		char img[64];

		snprintf(img, sizeof(img), "%s.img", tag);
		path_in_tmp(d, 96, img);
		make_disk(d, 1 << 20);
		argv[n++] = "--disk";
		argv[n++] = d;
		/* its I/O on threads in role io_worker */
		argv[n++] = "--disk-workers";
		argv[n++] = "2";
	} else if (!strcmp(devices[i].name, "virtio-net")) {
		/* a tap the VMM makes, in the run's own namespace: no peer, the
		 * guest's ARP request goes unanswered */
		argv[n++] = "--net";
		argv[n++] = "tap";
	} else if (!strcmp(devices[i].name, "virtio-console")) {
		/* a pseudo-terminal nobody types on: the guest's line goes out,
		 * no input comes */
		argv[n++] = "--console";
		argv[n++] = "pty";
	} else if (!strcmp(devices[i].name, "virtio-balloon")) {
		argv[n++] = "--balloon";
	} else if (!strcmp(devices[i].name, "virtio-vsock")) {
		/* no host program: the guest's connection is refused, nobody
		 * connects to it */
		static char uds[4][128];
		char *u = uds[next++ % 4];
		char name[64], path[96];

		snprintf(name, sizeof(name), "%s.vsock", tag);
		path_in_tmp(path, sizeof(path), name);
		snprintf(u, 128, "cid=3,uds=%s", path);
		argv[n++] = "--vsock";
		argv[n++] = u;
	}
	return n;
}

/* sample-vmm with every device this host can run (and `extra`), started
 * in a network namespace of its own when virtio-net is among them. */
static void start_every_device(struct run *r, const char *tag, const char *const *extra)
{
	const char *argv[MAX_ARGS + 1];
	unsigned n = 0;

	for (unsigned i = 0; i < NDEVICES; i++)
		if (!devices[i].net || net_possible())
			n = device_args(i, argv, n, tag);
	for (; *extra && n < MAX_ARGS; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	start_in(r, argv, net_possible() ? CLONE_NEWNET : 0);
}

static bool device_present(unsigned i)
{
	return !devices[i].net || net_possible();
}

static void see_device_thread(const char *comm, void *arg)
{
	int *seen = arg;

	for (unsigned i = 0; i < NDEVICES; i++)
		seen[i] += !strcmp(comm, devices[i].name);
}

/* While the VMM runs with every device and 4 vCPUs: each thread is under
 * the baseline and its role's filter, and GET /seccomp gives each device's
 * thread its device's role. */
static void test_every_device_thread_in_its_role(void **state)
{
	static const char *const others[][2] = {
		{ "vmm", "vmm" },
		{ "api", "api" },
		{ "signal-handler", "signal_handler" },
		{ "vcpu0", "vcpu" },
		{ "vcpu3", "vcpu" },
		{ "io-worker0", "io_worker" },
		{ "io-worker1", "io_worker" },
	};
	char sock[96], want[160];
	int seen[NDEVICES] = { 0 };
	struct run r;
	char *resp;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	path_in_tmp(sock, sizeof(sock), "every.sock");
	start_every_device(&r, "every", ARGS("--vcpus", "4", "--guest-stay", "--api-sock", sock));
	wait_for_stay(&r);
	threads_all_filtered(r.pid, see_device_thread, seen);
	resp = api_request(sock, "GET /seccomp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	/* the threads that are no device's queue thread */
	for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(want, sizeof(want), "\"name\":\"%s\",\"role\":\"%s\",\"filtered\":true",
			 others[i][0], others[i][1]);
		assert_has(resp, want);
	}
	for (unsigned i = 0; i < NDEVICES; i++) {
		if (!device_present(i))
			continue;
		if (seen[i] != 1)
			fail_msg("device thread %s seen %d times", devices[i].name, seen[i]);
		snprintf(want, sizeof(want), "\"name\":\"%s\",\"role\":\"%s\",\"filtered\":true",
			 devices[i].name, devices[i].role);
		assert_has(resp, want);
	}
	stop_stayed(&r);
	for (unsigned i = 0; i < NDEVICES; i++)
		if (device_present(i))
			assert_has(r.out, devices[i].guest_says);
	assert_lacks(r.err, "vmm_seccomp: ");
	release(&r);
}

/* Boot to power-off with every device on 1 and 4 vCPUs: in enforce mode
 * with no violation, and in log mode with no syscall outside the policies
 * in the kernel's audit log (type=1326 records of the VMM's pid).  The
 * control: the demo in log mode, whose execve must be logged. */
static void test_every_device_no_syscall_outside_policies(void **state)
{
	static const char *const vcpus[] = { "1", "4" };
	pid_t logged[2], control;
	char why[256], first[2048], dropped[2048];
	char *log;
	int seen = 0;
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	for (unsigned v = 0; v < 2; v++) {
		start_every_device(&r, "enforce", ARGS("--vcpus", vcpus[v]));
		finish(&r);
		assert_exit(&r, 0);
		assert_has(r.out, "sample-guest: all tests passed\n");
		assert_lacks(r.err, "vmm_seccomp: ");
		release(&r);
	}
	if (kaudit_start(&audit, why, sizeof(why))) {
		printf("SKIP log mode's audit records: %s\n", why);
		return;
	}
	for (unsigned v = 0; v < 2; v++) {
		start_every_device(&r, "log", ARGS("--vcpus", vcpus[v], "--seccomp", "log"));
		finish(&r);
		assert_exit(&r, 0);
		assert_has(r.out, "sample-guest: all tests passed\n");
		logged[v] = r.pid;
		release(&r);
	}
	run_vmm(&r, "--seccomp", "log", "--demo-exploit=virtio-rng");
	assert_exit(&r, 3); /* execve ran: EFAULT */
	control = r.pid;
	release(&r);
	log = kaudit_read_until(&audit, kaudit_seccomp_records, control, first, sizeof(first),
				&seen, dropped, sizeof(dropped));
	kaudit_stop(&audit);
	assert_non_null(log);
	if (!seen)
		fail_msg("the control's logged execve (pid %d) never reached the kernel log: a "
			 "syscall of the VMM's could not have either; the log:\n%s",
			 (int)control, log);
	assert_has(first, " syscall=59 ");
	if (dropped[0])
		fail_msg("the kernel dropped records while the VMM ran (%s): the log proves "
			 "nothing",
			 dropped);
	for (unsigned v = 0; v < 2; v++) {
		int n = kaudit_seccomp_records(log, logged[v], first, sizeof(first));

		if (n)
			fail_msg("sample-vmm --seccomp log --vcpus %s (pid %d): %d syscall(s) "
				 "outside the policies, the first:\n%s",
				 vcpus[v], (int)logged[v], n, first);
	}
	free(log);
}

/* The containment demonstration from each device's thread: the kernel
 * kills the VMM when the thread tries execve, and the report names the
 * thread and its role. */
static void test_demo_from_every_device(void **state)
{
	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	for (unsigned i = 0; i < NDEVICES; i++) {
		char demo[64];
		struct run r;

		if (!device_present(i))
			continue;
		snprintf(demo, sizeof(demo), "--demo-exploit=%s", devices[i].name);
		start_every_device(&r, "demo", ARGS(demo));
		finish(&r);
		assert_demo_contained(&r, devices[i].name, devices[i].role);
		release(&r);
	}
}

/* --guest-hostile with every device: each refuses the malformed queues
 * and works again after a reset, under enforcement, with no report. */
static void test_hostile_every_device(void **state)
{
	struct run r;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	start_every_device(&r, "hostile", ARGS("--guest-hostile"));
	finish(&r);
	assert_exit(&r, 0);
	for (unsigned i = 0; i < NDEVICES; i++) {
		char want[96];

		if (!device_present(i))
			continue;
		snprintf(want, sizeof(want), "hostile: %s: ", devices[i].name);
		assert_has(r.out, want);
	}
	assert_has(r.out, "sample-guest: all tests passed\n");
	assert_lacks(r.err, "vmm_seccomp: ");
	release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_1_vcpu),
		cmocka_unit_test(test_boot_2_vcpus),
		cmocka_unit_test(test_disk_read_only),
		cmocka_unit_test(test_hostile_guest),
		cmocka_unit_test(test_threads_filtered),
		cmocka_unit_test(test_api_while_running),
		cmocka_unit_test(test_no_violation_in_errno_mode),
		cmocka_unit_test(test_log_mode_with_landlock),
		cmocka_unit_test(test_landlock_off),
		cmocka_unit_test_teardown(test_no_landlock_denial_audited, audit_teardown),
		cmocka_unit_test(test_bench_split),
		cmocka_unit_test(test_demo_contained),
		cmocka_unit_test(test_demo_uncontained),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_linux_kernel),
		cmocka_unit_test(test_every_device_thread_in_its_role),
		cmocka_unit_test_teardown(test_every_device_no_syscall_outside_policies,
					  audit_teardown),
		cmocka_unit_test(test_demo_from_every_device),
		cmocka_unit_test(test_hostile_every_device),
	};
	const struct CMUnitTest memcheck[] = {
		cmocka_unit_test(test_boot_under_valgrind),
		cmocka_unit_test(test_hostile_under_valgrind),
		cmocka_unit_test(test_api_while_running),
	};

	valgrind = getenv("SAMPLE_VMM_VALGRIND");
	if (valgrind && *valgrind)
		return cmocka_run_group_tests_name("sample_vmm_memcheck", memcheck, make_tmpdir,
						   remove_tmpdir);
	valgrind = NULL;
	return cmocka_run_group_tests_name("sample_vmm", tests, make_tmpdir, remove_tmpdir);
}
