/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /init of the arm64 test guest (tools/test-aarch64.sh): mounts what the
 * tests need, runs the programs listed in /tests/list, as many at once as
 * there are CPUs (each one's output kept apart and printed when it ends),
 * prints one line per program and a summary for the host to read from the
 * console, then powers the machine off.  Static, no library of ours: it
 * must report even when the library is broken.
 *
 * Console protocol (the host script parses nothing else):
 *   AARCH64-TEST <name> PASS|FAIL|SKIP <how it ended> <seconds>
 *   AARCH64-SUMMARY passed=N failed=N skipped=N
 * A program exiting 77 skipped (a host feature absent: it says which).
 * A line of the list is a program, its arguments, and before them any
 * NAME=VALUE for its environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIST "/tests/list"
#define MAX_PROGRAMS 64
#define MAX_ARGS 16
#define MAX_JOBS 4
#define EXIT_SKIP 77
/* one program's limit; the host's timeout bounds the whole run */
#define PROGRAM_TIMEOUT_S 150

struct program {
	char line[512];
	char *argv[MAX_ARGS + 1], *envs[MAX_ARGS];
	int n_env;
	const char *name;
	char log[64];
	pid_t pid;
	double start;
	int timed_out;
};

static struct program programs[MAX_PROGRAMS];
static int n_programs;

static void mount_or_say(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY)
		printf("init: mount %s on %s: %s\n", type, dst, strerror(errno));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void power_off(void)
{
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	/* only if the kernel refused: panic=-1 and -no-reboot end qemu too */
	_exit(1);
}

static void read_list(void)
{
	FILE *list = fopen(LIST, "r");
	char line[512];

	if (!list) {
		printf("init: %s: %s\n", LIST, strerror(errno));
		return;
	}
	while (n_programs < MAX_PROGRAMS && fgets(line, sizeof(line), list)) {
		struct program *p = &programs[n_programs];
		char *save = NULL, *tok;
		int argc = 0;

		memcpy(p->line, line, sizeof(line));
		for (tok = strtok_r(p->line, " \t\n", &save); tok && argc < MAX_ARGS;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			if (!argc && strchr(tok, '=') && p->n_env < MAX_ARGS)
				p->envs[p->n_env++] = tok;
			else
				p->argv[argc++] = tok;
		}
		p->argv[argc] = NULL;
		if (!argc || p->argv[0][0] == '#')
			continue;
		p->name = strrchr(p->argv[0], '/') ? strrchr(p->argv[0], '/') + 1 : p->argv[0];
		snprintf(p->log, sizeof(p->log), "/tmp/init-%d.log", n_programs);
		n_programs++;
	}
	fclose(list);
}

/* Starts p, its output to its log; its environment gets p->envs. */
static void start(struct program *p)
{
	p->start = now();
	p->pid = fork();
	if (p->pid == 0) {
		int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), i;

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		for (i = 0; i < p->n_env; i++)
			putenv(p->envs[i]);
		execv(p->argv[0], p->argv);
		printf("init: exec %s: %s\n", p->argv[0], strerror(errno));
		_exit(127);
	}
	if (p->pid < 0)
		printf("init: fork for %s: %s\n", p->name, strerror(errno));
}

static void print_log(const struct program *p)
{
	char buf[4096];
	ssize_t n;
	int fd = open(p->log, O_RDONLY | O_CLOEXEC);

	fflush(stdout);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			break;
	if (fd >= 0)
		close(fd);
}

/* p ended with `status`: its output, then its verdict line.  Returns the
 * verdict's first letter. */
static char report(const struct program *p, int status)
{
	char how[64];
	const char *verdict;

	if (p->timed_out) {
		snprintf(how, sizeof(how), "timeout=%ds", PROGRAM_TIMEOUT_S);
		verdict = "FAIL";
	} else if (WIFEXITED(status)) {
		snprintf(how, sizeof(how), "exit=%d", WEXITSTATUS(status));
		verdict = WEXITSTATUS(status) == 0	     ? "PASS"
			  : WEXITSTATUS(status) == EXIT_SKIP ? "SKIP"
							     : "FAIL";
	} else {
		snprintf(how, sizeof(how), "signal=%d", WTERMSIG(status));
		verdict = "FAIL";
	}
	printf("AARCH64-OUTPUT %s\n", p->name);
	print_log(p);
	printf("AARCH64-TEST %s %s %s %.1fs\n", p->name, verdict, how, now() - p->start);
	return verdict[0];
}

int main(void)
{
	int passed = 0, failed = 0, skipped = 0, next = 0, running = 0, jobs, i;
	long cpus;

	mount_or_say("proc", "/proc", "proc");
	mount_or_say("sysfs", "/sys", "sysfs");
	mount_or_say("devtmpfs", "/dev", "devtmpfs");
	mount_or_say("tmpfs", "/tmp", "tmpfs");
	/* pseudo-terminals: the live tests give roles a tty */
	mount_or_say("devpts", "/dev/pts", "devpts");
	/* without /dev/console in the archive the kernel gave us no output */
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	setenv("LD_LIBRARY_PATH", "/lib", 1);
	setenv("PATH", "/tests:/bin", 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	jobs = cpus < 1 ? 1 : cpus > MAX_JOBS ? MAX_JOBS : (int)cpus;
	printf("AARCH64-BEGIN kvm=%s jobs=%d\n", access("/dev/kvm", F_OK) == 0 ? "yes" : "no",
	       jobs);

	read_list();
	while (next < n_programs || running) {
		int status;
		pid_t w;

		while (running < jobs && next < n_programs) {
			start(&programs[next]);
			if (programs[next].pid > 0) {
				running++;
			} else {
				printf("AARCH64-TEST %s FAIL not-run 0.0s\n", programs[next].name);
				failed++;
			}
			next++;
		}
		/* (orphans of the tests are ours to reap too) */
		w = waitpid(-1, &status, WNOHANG);
		for (i = 0; w > 0 && i < next; i++) {
			if (programs[i].pid != w)
				continue;
			switch (report(&programs[i], status)) {
			case 'P':
				passed++;
				break;
			case 'S':
				skipped++;
				break;
			default:
				failed++;
			}
			programs[i].pid = 0;
			running--;
		}
		if (w > 0)
			continue;
		for (i = 0; i < next; i++) {
			if (programs[i].pid > 0 && !programs[i].timed_out &&
			    now() - programs[i].start > PROGRAM_TIMEOUT_S) {
				programs[i].timed_out = 1;
				kill(programs[i].pid, SIGKILL);
			}
		}
		usleep(20000);
	}
	printf("AARCH64-SUMMARY passed=%d failed=%d skipped=%d\n", passed, failed, skipped);
	power_off();
	return 0;
}
