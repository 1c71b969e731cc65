/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /init of the arm64 test guest (tools/test-aarch64.sh): mounts what the
 * tests need, runs each program listed in /tests/list, one line of output
 * per program and a summary for the host to read from the console, then
 * powers the machine off.  Static, no library of ours: it must report even
 * when the library is broken.
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
#define MAX_ARGS 16
#define EXIT_SKIP 77
/* one program's limit; the host's timeout bounds the whole run */
#define PROGRAM_TIMEOUT_S 150

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

/* Runs argv with envs added to its environment; returns its wait status,
 * or -1.  Kills it after the limit. */
static int run(char *const argv[], char *envs[], int n_env, int *timed_out)
{
	pid_t pid = fork(), w;
	int status = 0;
	double start = now();

	*timed_out = 0;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int i;

		for (i = 0; i < n_env; i++)
			putenv(envs[i]);
		execv(argv[0], argv);
		printf("init: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return -1;
		if (now() - start > PROGRAM_TIMEOUT_S && !*timed_out) {
			*timed_out = 1;
			kill(pid, SIGKILL);
		}
		usleep(20000);
	}
}

int main(void)
{
	char line[512];
	int passed = 0, failed = 0, skipped = 0;
	FILE *list;

	mount_or_say("proc", "/proc", "proc");
	mount_or_say("sysfs", "/sys", "sysfs");
	mount_or_say("devtmpfs", "/dev", "devtmpfs");
	mount_or_say("tmpfs", "/tmp", "tmpfs");
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
	printf("AARCH64-BEGIN kvm=%s\n", access("/dev/kvm", F_OK) == 0 ? "yes" : "no");

	list = fopen(LIST, "r");
	if (!list) {
		printf("init: %s: %s\n", LIST, strerror(errno));
		power_off();
	}
	while (fgets(line, sizeof(line), list)) {
		char *argv[MAX_ARGS + 1], *envs[MAX_ARGS], *save = NULL, *tok;
		int argc = 0, n_env = 0, status, timed_out;
		double start;
		char how[64];
		const char *verdict;

		for (tok = strtok_r(line, " \t\n", &save); tok && argc < MAX_ARGS;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			if (!argc && strchr(tok, '=') && n_env < MAX_ARGS)
				envs[n_env++] = tok;
			else
				argv[argc++] = tok;
		}
		argv[argc] = NULL;
		if (!argc || argv[0][0] == '#')
			continue;
		printf("AARCH64-RUN %s\n", argv[0]);
		start = now();
		status = run(argv, envs, n_env, &timed_out);
		if (timed_out) {
			snprintf(how, sizeof(how), "timeout=%ds", PROGRAM_TIMEOUT_S);
			verdict = "FAIL";
		} else if (status < 0) {
			snprintf(how, sizeof(how), "not-run");
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
		passed += verdict[0] == 'P';
		failed += verdict[0] == 'F';
		skipped += verdict[0] == 'S';
		printf("AARCH64-TEST %s %s %s %.1fs\n",
		       strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0], verdict, how,
		       now() - start);
	}
	fclose(list);
	printf("AARCH64-SUMMARY passed=%d failed=%d skipped=%d\n", passed, failed, skipped);
	power_off();
	return 0;
}
