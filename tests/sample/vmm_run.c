/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm_run.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
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
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/abi.h"

#ifndef SAMPLE_VMM
#error "SAMPLE_VMM must name the sample-vmm binary"
#endif

char tmpdir[] = "/tmp/test-sample-vmm.XXXXXX";
const char *valgrind;

void path_in_tmp(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = 0;
	fclose(f);
	return buf;
}

void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

void make_disk(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

/* Starts sample-vmm with the NULL-terminated arguments after argv[0]. */
/* VMMs started and not yet reaped: a failed check leaves its test before
 * finish(), and a --guest-stay VMM would run on; remove_tmpdir() kills
 * what is left. */
static pid_t running[16];

static void track(pid_t pid, pid_t replace)
{
	for (unsigned i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (running[i] == replace) {
			running[i] = pid;
			return;
		}
}

void start(struct run *r, const char *const *args)
{
	start_in(r, args, 0);
}

void start_in(struct run *r, const char *const *args, int unshare_flags)
{
	static int runs;
	const char *argv[MAX_ARGS + 8];
	char name[32];
	int argc = 0;

	memset(r, 0, sizeof(*r));
	if (valgrind) {
		argv[argc++] = valgrind;
		argv[argc++] = "--error-exitcode=99";
		argv[argc++] = "--leak-check=full";
		argv[argc++] = "-q";
	}
	argv[argc++] = SAMPLE_VMM;
	for (; *args && argc < MAX_ARGS; args++)
		argv[argc++] = *args;
	argv[argc] = NULL;
	/* Files of their own: runs may overlap. */
	snprintf(name, sizeof(name), "stdout.%d", ++runs);
	path_in_tmp(r->out_path, sizeof(r->out_path), name);
	snprintf(name, sizeof(name), "stderr.%d", runs);
	path_in_tmp(r->err_path, sizeof(r->err_path), name);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid > 0)
		track(r->pid, 0);
	if (r->pid == 0) {
		if (unshare_flags && unshare(unshare_flags) < 0)
			_exit(126);
		int out = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(r->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
}

/* Waits for the child (killing it after TIMEOUT_S) and reads its output. */
void finish(struct run *r)
{
	int waited_ms = 0;
	int limit_ms = (valgrind ? 10 : 1) * TIMEOUT_S * 1000;
	pid_t p;

	while ((p = waitpid(r->pid, &r->status, WNOHANG)) == 0 && waited_ms < limit_ms) {
		usleep(10000);
		waited_ms += 10;
	}
	if (p == 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &r->status, 0);
	}
	track(0, r->pid);
	r->out = slurp(r->out_path);
	r->err = slurp(r->err_path);
	if (p == 0)
		fail_msg("sample-vmm did not end within %d s; stdout:\n%s\nstderr:\n%s",
			 limit_ms / 1000, r->out, r->err);
}

void release(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void print_run(const struct run *r)
{
	fprintf(stderr, "--- stdout\n%s--- stderr\n%s---\n", r->out, r->err);
}

void assert_exit(const struct run *r, int code)
{
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != code) {
		print_run(r);
		if (WIFSIGNALED(r->status))
			fail_msg("expected exit status %d, got signal %d", code,
				 WTERMSIG(r->status));
		fail_msg("expected exit status %d, got %d", code, WEXITSTATUS(r->status));
	}
}

void assert_has(const char *text, const char *what)
{
	if (!strstr(text, what)) {
		fprintf(stderr, "--- text\n%s---\n", text);
		fail_msg("expected \"%s\"", what);
	}
}

void assert_lacks(const char *text, const char *what)
{
	if (strstr(text, what)) {
		fprintf(stderr, "--- text\n%s---\n", text);
		fail_msg("did not expect \"%s\"", what);
	}
}

int kvm_present(void)
{
	if (access("/dev/kvm", F_OK) == 0)
		return 1;
	printf("SKIP sample-vmm: /dev/kvm absent\n");
	return 0;
}

/* The kernel's Landlock ABI (0: none) as sample-vmm sees it: none under
 * valgrind, which does not implement Landlock. */
int landlock_abi(void)
{
	long abi;

	if (valgrind)
		return 0;
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* VERSION */);
	return abi > 0 ? (int)abi : 0;
}

/* The line sample-vmm prints after the baseline went in: every thread is
 * in a Landlock domain (or, under valgrind, says why not). */
void assert_landlock_line(const struct run *r, const char *state)
{
	char want[128];

	snprintf(want, sizeof(want), "sample-vmm: landlock: abi %d, %s, fs ", landlock_abi(),
		 valgrind ? "not enforced: valgrind does not implement Landlock" : state);
	assert_has(r->err, want);
}

void assert_pattern_on_disk(const char *disk)
{
	unsigned char buf[GUEST_PATTERN_SECTORS * 512];
	int fd = open(disk, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	for (unsigned s = 0; s < GUEST_PATTERN_SECTORS; s++)
		for (unsigned i = 0; i < 512; i++)
			if (buf[s * 512 + i] != GUEST_PATTERN(s, i))
				fail_msg("disk byte %u of sector %u is 0x%02x, expected 0x%02x", i,
					 s, buf[s * 512 + i], GUEST_PATTERN(s, i));
}

int wait_for_output(const struct run *r, const char *what, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t += 20) {
		char *out = slurp(r->out_path);
		int found = strstr(out, what) != NULL;

		free(out);
		if (found)
			return 1;
		siginfo_t si = { 0 };

		/* ended? (WNOWAIT: finish() still reaps it and gets its status) */
		if (waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 ||
		    si.si_pid != 0)
			return 0;
		usleep(20000);
	}
	return 0;
}

int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

char *api_request(const char *sock, const char *req)
{
	static char resp[32768];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t used = 0;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	/* every request says Connection: close but the truncated ones, which
	 * are abandoned without reading */
	if (!strstr(req, "\r\n\r\n")) {
		close(fd);
		return resp;
	}
	while ((n = read(fd, resp + used, sizeof(resp) - 1 - used)) > 0)
		used += (size_t)n;
	resp[used] = 0;
	close(fd);
	return resp;
}

int make_tmpdir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

int remove_tmpdir(void **state)
{
	DIR *d;
	struct dirent *de;
	char path[384];

	for (unsigned i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (running[i] > 0) {
			kill(running[i], SIGKILL);
			waitpid(running[i], NULL, 0);
			running[i] = 0;
		}
	d = opendir(tmpdir);

	(void)state;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
	return 0;
}

int threads_all_filtered(pid_t pid, void (*each)(const char *comm, void *arg), void *arg)
{
	char dir[64], path[384], status[4096], name[32];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", dir, de->d_name);
		if (read_small(path, name, sizeof(name)) < 0)
			continue; /* the thread just ended */
		name[strcspn(name, "\n")] = 0;
		snprintf(path, sizeof(path), "%s/%s/status", dir, de->d_name);
		if (read_small(path, status, sizeof(status)) < 0)
			continue;
		if (!strstr(status, "\nSeccomp:\t2\n") ||
		    !strstr(status, "\nSeccomp_filters:\t2\n"))
			fail_msg("thread %s (%s) is not under baseline + role filter:\n%s",
				 de->d_name, name, status);
		n++;
		if (each)
			each(name, arg);
	}
	closedir(d);
	return n;
}

struct count_named {
	const char *comm;
	int n;
};

static void count_named(const char *comm, void *arg)
{
	struct count_named *c = arg;

	c->n += !strcmp(comm, c->comm);
}

int threads_filtered(pid_t pid, const char *comm)
{
	struct count_named c = { comm, 0 };

	threads_all_filtered(pid, count_named, &c);
	return c.n;
}

void wait_for_stay(struct run *r)
{
	if (!wait_for_output(r, "sample-guest: staying up", TIMEOUT_S * 1000)) {
		finish(r);
		print_run(r);
		fail_msg("the guest did not come up");
	}
}

void stop_stayed(struct run *r)
{
	kill(r->pid, SIGTERM);
	finish(r);
	assert_exit(r, 0);
}

void assert_demo_contained(const struct run *r, const char *thread, const char *role)
{
	char want[128];

	if (!WIFSIGNALED(r->status) || WTERMSIG(r->status) != SIGSYS) {
		print_run(r);
		fail_msg("--demo-exploit=%s: expected death by SIGSYS", thread);
	}
	snprintf(want, sizeof(want), "demo: sending %s\n", thread);
	assert_has(r->out, want);
	snprintf(want, sizeof(want), "vmm_seccomp: violation thread=%s ", thread);
	assert_has(r->err, want);
	snprintf(want, sizeof(want), " role=%s ", role);
	assert_has(r->err, want);
	assert_has(r->err, " syscall=execve ");
	assert_lacks(r->err, "reached the kernel");
	assert_lacks(r->out, "FAILED");
}
