/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sample-vmm-bench: what the filters cost a running VMM.
 *
 * Runs sample-vmm's built-in guest in benchmark mode (--bench N: N port-I/O
 * exits, each a KVM_RUN return to the vCPU thread and a new KVM_RUN, i.e.
 * one filtered syscall per exit) with seccomp enforced and off, interleaved
 * (the order alternates each round, so drift hits both alike), and reports:
 *   - the VM-exit round trip in microseconds per mode, and the overhead of
 *     enforcement per round (paired), as median and min..max;
 *   - the start-up time, from fork() to the guest's first serial byte on
 *     the VMM's stdout, per mode;
 *   - the same overhead with enforce, off, the floor (mode off under two
 *     minimal stacked filters) and one minimal filter (what a design with a
 *     single filter per thread pays at the least) running at once, pinned
 *     to one CPU, each timed by its vCPU thread's CPU time: the host's
 *     drift, which swamps a 1 % effect between runs made one after the
 *     other, hits all four alike; the figure of record;
 *   - the same overhead within one process (--bench-split: the vCPU thread
 *     installs the filters half-way through the exits): each half's time
 *     per exit, the second over the first, against the same ratio of a run
 *     in mode off (the same calls, nothing installed), round by round.
 *     Both halves of a run share the host's state of the moment, which
 *     separate processes do not.
 *
 * Usage: sample-vmm-bench [--rounds R] [--exits N] [--vmm PATH]
 */
#include "floor.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SAMPLE_VMM
#define SAMPLE_VMM "sample-vmm"
#endif

#define MAX_ROUNDS 200

struct sample {
	double us_per_exit;
	double cpu_us_per_exit; /* the vCPU thread's CPU time per exit */
	double startup_ms;
	double before, after; /* --bench-split: each half's us per exit */
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A sample-vmm started by start_vmm() and not yet waited for. */
struct vmm_run {
	const char *mode;
	double t0;
	pid_t pid;
	int out, errfd;
	bool split;
};

/*
 * Starts sample-vmm in benchmark mode; cpu >= 0 pins it (every thread it
 * will have) to that CPU; before exec, `floors` minimal filters every
 * thread of it will carry (run it with mode off).  0, or -1 with a message
 * on stderr.
 */
static int start_vmm(const char *vmm, const char *mode, const char *exits, bool split, int cpu,
		     int floors, struct vmm_run *r)
{
	char errpath[] = "/tmp/sample-vmm-bench.XXXXXX";
	int out[2];

	r->mode = mode;
	r->split = split;
	r->errfd = mkstemp(errpath);
	if (r->errfd < 0 || pipe(out) < 0) {
		perror("sample-vmm-bench");
		return -1;
	}
	unlink(errpath);
	r->t0 = now_ms();
	r->pid = fork();
	if (r->pid < 0) {
		perror("fork");
		return -1;
	}
	if (r->pid == 0) {
		dup2(out[1], 1);
		dup2(r->errfd, 2);
		close(out[0]);
		if (cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set) < 0) {
				perror("sched_setaffinity");
				_exit(127);
			}
		}
		if (floors && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
			perror("no_new_privs");
			_exit(127);
		}
		for (int i = 0; i < floors; i++) {
			if (install_floor_filter() < 0) {
				perror("the floor's filters");
				_exit(127);
			}
		}
		if (split)
			execl(vmm, vmm, "--bench", exits, "--bench-split", "--seccomp", mode,
			      (char *)NULL);
		else
			execl(vmm, vmm, "--bench", exits, "--seccomp", mode, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	r->out = out[0];
	return 0;
}

/* Waits for a run to end and reads its figures into *s; 0, or -1 with a
 * message on stderr. */
static int finish_vmm(const char *vmm, struct vmm_run *r, struct sample *s)
{
	char buf[4096], *line;
	double first = -1;
	ssize_t n;
	int status;

	while ((n = read(r->out, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (first < 0)
			first = now_ms();
	}
	close(r->out);
	waitpid(r->pid, &status, 0);
	lseek(r->errfd, 0, SEEK_SET);
	n = read(r->errfd, buf, sizeof(buf) - 1);
	close(r->errfd);
	buf[n > 0 ? n : 0] = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || first < 0) {
		fprintf(stderr, "sample-vmm-bench: %s --seccomp %s failed (status 0x%x):\n%s", vmm,
			r->mode, status, buf);
		return -1;
	}
	line = strstr(buf, "port-I/O exits, ");
	if (!line ||
	    sscanf(line, "port-I/O exits, %lf us per exit, %lf us of the vCPU thread's CPU time",
		   &s->us_per_exit, &s->cpu_us_per_exit) != 2) {
		fprintf(stderr, "sample-vmm-bench: no timing in the output:\n%s", buf);
		return -1;
	}
	s->startup_ms = first - r->t0;
	line = strstr(buf, "split: ");
	if (r->split && (!line || sscanf(line, "split: %lf us per exit before the filters, %lf us",
					 &s->before, &s->after) != 2)) {
		fprintf(stderr, "sample-vmm-bench: no split timing in the output:\n%s", buf);
		return -1;
	}
	return 0;
}

/* One run of sample-vmm, alone; 0 and *s, or -1 with a message on stderr. */
static int run_once(const char *vmm, const char *mode, const char *exits, bool split,
		    struct sample *s)
{
	struct vmm_run r;

	if (start_vmm(vmm, mode, exits, split, -1, 0, &r) < 0)
		return -1;
	return finish_vmm(vmm, &r, s);
}

/* An enforce and an off run, one after the other, alone; 0 or -1. */
static int run_both(const char *vmm, const char *exits, bool split, bool on_first,
		    struct sample *on, struct sample *off)
{
	if (run_once(vmm, on_first ? "enforce" : "off", exits, split, on_first ? on : off) ||
	    run_once(vmm, on_first ? "off" : "enforce", exits, split, on_first ? off : on))
		return -1;
	return 0;
}

enum setup { ENFORCE, OFF, FLOOR, ONE, SETUPS };

/*
 * The set-ups at once, all pinned to one CPU: the scheduler
 * interleaves them every few milliseconds, so whatever the host does to
 * that CPU's speed meanwhile, it does to all.  Each is timed by its vCPU
 * thread's CPU time, which the others' turns do not count in.  `first`
 * turns which one starts first.
 */
static int run_set(const char *vmm, const char *exits, int cpu, int first,
		   struct sample *out[SETUPS])
{
	static const char *const mode[SETUPS] = { "enforce", "off", "off", "off" };
	static const int floors[SETUPS] = { 0, 0, 2, 1 };
	struct vmm_run r[SETUPS];
	int rc = 0, started = 0;

	for (; started < SETUPS; started++) {
		int k = (first + started) % SETUPS;

		if (start_vmm(vmm, mode[k], exits, false, cpu, floors[k], &r[k]) < 0) {
			rc = -1;
			break;
		}
	}
	for (int i = 0; i < started; i++) {
		int k = (first + i) % SETUPS;

		if (finish_vmm(vmm, &r[k], out[k]) < 0)
			rc = -1;
	}
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double quantile(const double *sorted, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)pos;

	if (i < 0 || i > n - 1) /* q is in [0, 1]: never, but the analyzer cannot tell */
		i = i < 0 ? 0 : n - 1;

	return i + 1 < n ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/* Sorts v in place; prints the median, the interquartile range, the
 * extremes, and mean +- standard deviation. */
static void summary(const char *what, double *v, int n, const char *unit)
{
	double mean = 0, var = 0;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	for (int i = 0; i < n; i++)
		mean += v[i];
	mean /= n;
	for (int i = 0; i < n; i++)
		var += (v[i] - mean) * (v[i] - mean);
	var = n > 1 ? var / (n - 1) : 0;
	printf("  %-30s median %7.3f %s  IQR %.3f..%.3f  range %.3f..%.3f  mean %.3f +- %.3f\n",
	       what, quantile(v, n, 0.5), unit, quantile(v, n, 0.25), quantile(v, n, 0.75), v[0],
	       v[n - 1], mean, sqrt(var));
}

/* The highest-numbered CPU this process may run on (CPU 0 takes most of
 * the host's interrupts). */
static int last_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 0;
	for (int c = CPU_SETSIZE - 1; c > 0; c--)
		if (CPU_ISSET(c, &set))
			return c;
	return 0;
}

int main(int argc, char **argv)
{
	static struct sample on[MAX_ROUNDS], off[MAX_ROUNDS], floor_[MAX_ROUNDS], one[MAX_ROUNDS];
	static double e[MAX_ROUNDS];
	static double a[MAX_ROUNDS], b[MAX_ROUNDS], d[MAX_ROUNDS];
	const char *vmm = SAMPLE_VMM;
	const char *exits = "100000";
	int rounds = 10;
	int cpu = last_cpu();

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--exits") && i + 1 < argc)
			exits = argv[++i];
		else if (!strcmp(argv[i], "--vmm") && i + 1 < argc)
			vmm = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--rounds R] [--exits N] [--vmm PATH]\n",
				argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "sample-vmm-bench: --rounds: 1 to %d\n", MAX_ROUNDS);
		return 2;
	}
	printf("sample-vmm-bench: %d rounds of %s port-I/O exits, enforce and off interleaved\n",
	       rounds, exits);
	for (int r = 0; r < rounds; r++) {
		if (run_both(vmm, exits, false, r % 2 == 0, &on[r], &off[r]))
			return 1;
		printf("  round %2d: enforce %.3f us/exit, %.2f ms start-up; off %.3f us/exit, "
		       "%.2f ms start-up\n",
		       r + 1, on[r].us_per_exit, on[r].startup_ms, off[r].us_per_exit,
		       off[r].startup_ms);
		fflush(stdout);
	}
	printf("VM-exit round trip (guest OUT to port 0x502 -> vCPU thread -> KVM_RUN):\n");
	for (int r = 0; r < rounds; r++) {
		a[r] = on[r].us_per_exit;
		b[r] = off[r].us_per_exit;
		d[r] = (on[r].us_per_exit / off[r].us_per_exit - 1) * 100;
	}
	summary("seccomp enforce", a, rounds, "us");
	summary("seccomp off", b, rounds, "us");
	summary("overhead of enforce (paired)", d, rounds, "% ");
	/* Alone, the vCPU thread's CPU time per exit should be its wall time:
	 * the check that the measure below, which needs CPU time, is sound. */
	for (int r = 0; r < rounds; r++) {
		a[r] = on[r].cpu_us_per_exit / on[r].us_per_exit * 100;
		b[r] = off[r].cpu_us_per_exit / off[r].us_per_exit * 100;
	}
	summary("enforce: CPU time / wall time", a, rounds, "% ");
	summary("off: CPU time / wall time", b, rounds, "% ");
	printf("Start-up, fork() to the guest's first serial byte:\n");
	for (int r = 0; r < rounds; r++) {
		a[r] = on[r].startup_ms;
		b[r] = off[r].startup_ms;
		d[r] = on[r].startup_ms - off[r].startup_ms;
	}
	summary("seccomp enforce", a, rounds, "ms");
	summary("seccomp off", b, rounds, "ms");
	summary("difference (paired)", d, rounds, "ms");

	printf("Four at once on CPU %d, interleaved by the scheduler, each timed by its vCPU\n"
	       "thread's CPU time: enforce; off; the floor, off under two minimal filters\n"
	       "that read an argument (the least two stacked layers cost); one such filter\n"
	       "(the least a single filter per thread costs). %d rounds:\n",
	       cpu, rounds);
	for (int r = 0; r < rounds; r++) {
		struct sample *out[SETUPS] = { &on[r], &off[r], &floor_[r], &one[r] };

		if (run_set(vmm, exits, cpu, r % SETUPS, out))
			return 1;
		printf("  round %2d: enforce %.3f, off %.3f, floor %.3f, one filter %.3f us/exit "
		       "(CPU time)\n",
		       r + 1, on[r].cpu_us_per_exit, off[r].cpu_us_per_exit,
		       floor_[r].cpu_us_per_exit, one[r].cpu_us_per_exit);
		fflush(stdout);
	}
	for (int r = 0; r < rounds; r++) {
		double base = off[r].cpu_us_per_exit;

		a[r] = (on[r].cpu_us_per_exit / base - 1) * 100;
		b[r] = (floor_[r].cpu_us_per_exit / base - 1) * 100;
		e[r] = (one[r].cpu_us_per_exit / base - 1) * 100;
		d[r] = (on[r].cpu_us_per_exit - base) / (floor_[r].cpu_us_per_exit - base);
	}
	summary("overhead of enforce (paired)", a, rounds, "% ");
	summary("overhead of the floor (two)", b, rounds, "% ");
	summary("overhead of one filter", e, rounds, "% ");
	summary("enforce / floor (overheads)", d, rounds, "x ");

	printf("Within one process (--bench-split), %d rounds:\n", rounds);
	for (int r = 0; r < rounds; r++) {
		if (run_both(vmm, exits, true, r % 2 == 0, &on[r], &off[r]))
			return 1;
		printf("  round %2d: enforce %.3f -> %.3f us/exit; off %.3f -> %.3f us/exit\n",
		       r + 1, on[r].before, on[r].after, off[r].before, off[r].after);
		fflush(stdout);
	}
	for (int r = 0; r < rounds; r++) {
		a[r] = (on[r].after / on[r].before - 1) * 100;
		b[r] = (off[r].after / off[r].before - 1) * 100;
		d[r] = (on[r].after / on[r].before) / (off[r].after / off[r].before) * 100 - 100;
	}
	summary("enforce: second half / first", a, rounds, "% ");
	summary("off: second half / first", b, rounds, "% ");
	summary("overhead of enforce (paired)", d, rounds, "% ");
	return 0;
}
