/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter-bench: what the filters cost, per role and hot syscall, measured
 * against baselines taken in the same run.
 *
 * For each role's hot syscalls: the BPF instructions the baseline and the
 * role filter execute (from the simulator: deterministic), whether the
 * kernel can cache the verdict, and the time per syscall with the filters
 * against no filter and against the floor (two minimal filters that read an
 * argument, hence uncacheable), in interleaved rounds, each in a fresh
 * child process: median and interquartile range of the per-round ratios.
 * Then the cost of compiling every role at init, of installing the
 * baseline, of entering a role in a new thread, and the memory the library
 * adds.
 *
 * Usage: filter-bench [--rounds R] [--iterations N] [--config CONFIG]
 * (CONFIG: a configuration string, e.g. "kill": every measurement in it)
 */
#include "bpf.h"
#include "floor.h"
#include "internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct hot {
	enum vmm_seccomp_role role;
	bool cold; /* caches and TLB thrashed before each call, as a guest run may */
	const char *label;
	long nr;
	long args[6];
};

/* Each call fails or returns at once (bad descriptor, zero length, no
 * waiter): what is measured is the syscall entry with its filters. */
static const struct hot hots[] = {
	{ VMM_SECCOMP_ROLE_VCPU, false, "ioctl(KVM_RUN)", SYS_ioctl, { -1, KVM_RUN } },
	{ VMM_SECCOMP_ROLE_VCPU, true, "ioctl(KVM_RUN), cold", SYS_ioctl, { -1, KVM_RUN } },
	{ VMM_SECCOMP_ROLE_VCPU, false, "write", SYS_write, { -1, 0, 0 } },
	{ VMM_SECCOMP_ROLE_VIRTIO_BLOCK, false, "read", SYS_read, { -1, 0, 0 } },
	{ VMM_SECCOMP_ROLE_VIRTIO_BLOCK, false, "pread64", SYS_pread64, { -1, 0, 0, 0 } },
	{ VMM_SECCOMP_ROLE_VIRTIO_BLOCK, false, "pwrite64", SYS_pwrite64, { -1, 0, 0, 0 } },
	{ VMM_SECCOMP_ROLE_VIRTIO_BLOCK, false, "preadv", SYS_preadv, { -1, 0, 0, 0 } },
	{ VMM_SECCOMP_ROLE_VIRTIO_BLOCK, false, "pwritev", SYS_pwritev, { -1, 0, 0, 0 } },
	{ VMM_SECCOMP_ROLE_VIRTIO_BLOCK, false, "write (eventfd)", SYS_write, { -1, 0, 0 } },
	{ VMM_SECCOMP_ROLE_VIRTIO_BLOCK, false, "ppoll", SYS_ppoll, { 0, 0, 0, 0, 8 } },
	{ VMM_SECCOMP_ROLE_VMM, false, "epoll_wait", SYS_epoll_wait, { -1, 0, 1, 0 } },
	{ VMM_SECCOMP_ROLE_API, false, "accept4", SYS_accept4, { -1, 0, 0, 0 } },
	{ VMM_SECCOMP_ROLE_API, false, "recvfrom", SYS_recvfrom, { -1, 0, 0, 0 } },
	{ VMM_SECCOMP_ROLE_API, false, "sendto", SYS_sendto, { -1, 0, 0, 0 } },
	{ VMM_SECCOMP_ROLE_VCPU,
	  false,
	  "futex(WAKE)",
	  SYS_futex,
	  { 0, 0x81 /* WAKE|PRIVATE */, 1 } },
	{ VMM_SECCOMP_ROLE_VCPU, false, "clock_gettime", SYS_clock_gettime, { 1, 0 } },
	{ VMM_SECCOMP_ROLE_VCPU, false, "madvise", SYS_madvise, { 0, 0, 4 /* DONTNEED */ } },
};

#define N_HOTS (sizeof(hots) / sizeof(hots[0]))
enum setup { NONE, FLOOR, FILTERS };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(double *v, int n, double *median, double *q1, double *q3)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	*median = v[n / 2];
	*q1 = v[n / 4];
	*q3 = v[(3 * n) / 4];
}

struct job {
	const struct hot *h;
	long iterations;
	double ns;
	bool floor; /* install the second floor filter first */
};

/* What a guest run may do to the vCPU thread's caches and TLB, roughly:
 * one write to every page of 64 MiB before each call, outside the timing.
 * Then the filters' code and data are cold, as on a VM exit. */
#define COLD_BYTES (64UL << 20)
#define COLD_CALLS 2000

static double measure_cold(const struct job *j, const long *args)
{
	volatile char *mem = mmap(NULL, COLD_BYTES, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	double total = 0, t0;
	size_t p;
	int i;

	if (mem == MAP_FAILED)
		return -1;
	for (i = 0; i < COLD_CALLS; i++) {
		for (p = 0; p < COLD_BYTES; p += 4096)
			mem[p]++;
		t0 = now_ns();
		syscall(j->h->nr, args[0], args[1], args[2], args[3], args[4], args[5]);
		total += now_ns() - t0;
	}
	munmap((void *)mem, COLD_BYTES);
	return total / COLD_CALLS;
}

static void *measure(void *arg)
{
	struct job *j = arg;
	uint32_t futex_word = 0;
	struct timespec zero = { 0, 0 };
	long args[6], i;
	double t0;

	if (j->floor && install_floor_filter())
		return NULL;
	if (j->h->cold) {
		j->ns = measure_cold(j, j->h->args);
		return NULL;
	}
	memcpy(args, j->h->args, sizeof(args));
	if (j->h->nr == SYS_futex)
		args[0] = (long)&futex_word;
	if (j->h->nr == SYS_ppoll)
		args[2] = (long)&zero; /* no descriptor, no wait */
	for (i = 0; i < 1000; i++)     /* warm up */
		syscall(j->h->nr, args[0], args[1], args[2], args[3], args[4], args[5]);
	t0 = now_ns();
	for (i = 0; i < j->iterations; i++)
		syscall(j->h->nr, args[0], args[1], args[2], args[3], args[4], args[5]);
	j->ns = (now_ns() - t0) / (double)j->iterations;
	return NULL;
}

static const char *bench_config; /* --config, or NULL: the default */

static struct vmm_seccomp *new_configured(void)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();

	if (ctx && bench_config && vmm_seccomp_configure(ctx, bench_config)) {
		vmm_seccomp_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * One measurement in a fresh child: ns per call, or a negative value.
 * Every set-up measures in a thread the child creates, as a role thread
 * is: on this machine a syscall costs ~20 ns more in a created thread than
 * in the main thread, which would otherwise be charged to the filters.
 * The floor is stacked like the filters: one layer installed by the main
 * thread, one by the measuring thread.
 */
static double run_one(const struct hot *h, enum setup setup, long iterations)
{
	int pfd[2], status;
	double ns = -1;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct job j = { h, iterations, -1, setup == FLOOR };
		pthread_t t;
		int rc = 0;

		close(pfd[0]);
		if (setup == FILTERS) {
			struct vmm_seccomp *ctx = new_configured();

			/* report violations nowhere: there should be none */
			rc = !ctx || vmm_seccomp_apply_process(ctx) ||
			     vmm_seccomp_thread_create(ctx, &t, NULL, h->role, "bench", measure,
						       &j);
		} else {
			if (setup == FLOOR)
				rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
				     install_floor_filter();
			rc = rc || pthread_create(&t, NULL, measure, &j);
		}
		rc = rc || pthread_join(t, NULL);
		if (write(pfd[1], &j.ns, sizeof(j.ns)) != sizeof(j.ns))
			rc = 1;
		_exit(rc);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &ns, sizeof(ns)) != sizeof(ns))
		ns = -1;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return ns;
}

/* Instructions each layer executes, and whether the kernel can cache the
 * verdict: "yes", or "no:" and the layers that read an argument. */
static const char *bpf_cost(const struct vmm_seccomp *ctx, const struct hot *h, unsigned int *steps)
{
	struct bpf_input in = { .nr = (int)h->nr, .arch = AUDIT_ARCH_X86_64 };
	enum vmm_seccomp_role layers[2] = { VMM_SECCOMP_ROLE_PROCESS, h->role };
	bool reads[2] = { false, false };
	int i;

	for (i = 0; i < 6; i++)
		in.args[i] = (uint64_t)h->args[i];
	for (i = 0; i < 2; i++) {
		size_t len;
		const struct sock_filter *prog = vmm_seccomp_program(ctx, layers[i], &len);
		uint32_t ret;

		bpf_run_ex(prog, len, &in, &ret, &steps[i], &reads[i]);
		reads[i] = reads[i] || ret != SECCOMP_RET_ALLOW;
	}
	if (reads[0] && reads[1])
		return "no:both";
	return reads[0] ? "no:base" : reads[1] ? "no:role" : "yes";
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "VmRSS:", 6))
			kib = atol(line + 6);
	}
	if (f)
		fclose(f);
	return kib;
}

static void *enter_only(void *arg)
{
	(void)arg;
	return NULL;
}

struct enter_job {
	struct vmm_seccomp *ctx;
	double us;
};

/* A thread timing its own vmm_seccomp_enter_role(). */
static void *enter_timed(void *arg)
{
	struct enter_job *j = arg;
	double t0 = now_ns();

	if (vmm_seccomp_enter_role(j->ctx, VMM_SECCOMP_ROLE_VCPU, "e") == 0)
		j->us = (now_ns() - t0) / 1e3;
	return NULL;
}

/* The kernel's floor for the same step: a thread installing the minimal
 * two-instruction filter over the same baseline. */
static void *floor_timed(void *arg)
{
	struct enter_job *j = arg;
	double t0 = now_ns();

	if (install_floor_filter() == 0)
		j->us = (now_ns() - t0) / 1e3;
	return NULL;
}

#define THREADS_PER_CHILD 8
#define INIT_VALUES (3 + 3 * THREADS_PER_CHILD)

/* One fresh process: compile, apply, enter roles; times in us, RSS in KiB. */
static int init_child(double r[INIT_VALUES])
{
	struct vmm_seccomp *ctx;
	long before = rss_kib();
	double t0;
	int k;

	for (k = 0; k < INIT_VALUES; k++)
		r[k] = -1;
	ctx = new_configured();
	t0 = now_ns();
	if (!ctx || vmm_seccomp_compile(ctx))
		return -1;
	r[0] = (now_ns() - t0) / 1e3;
	t0 = now_ns();
	if (vmm_seccomp_apply_process(ctx))
		return -1;
	r[1] = (now_ns() - t0) / 1e3;
	r[2] = (double)(rss_kib() - before);
	for (k = 0; k < THREADS_PER_CHILD; k++) {
		struct enter_job j = { ctx, -1 };
		pthread_t t;

		if (pthread_create(&t, NULL, enter_timed, &j) || pthread_join(t, NULL))
			return -1;
		r[3 + k] = j.us;
		/* creating the thread, entering its role, joining */
		t0 = now_ns();
		if (vmm_seccomp_thread_create(ctx, &t, NULL, VMM_SECCOMP_ROLE_VCPU, "e", enter_only,
					      NULL) ||
		    pthread_join(t, NULL))
			return -1;
		r[3 + THREADS_PER_CHILD + k] = (now_ns() - t0) / 1e3;
		j.us = -1;
		if (pthread_create(&t, NULL, floor_timed, &j) || pthread_join(t, NULL))
			return -1;
		r[3 + 2 * THREADS_PER_CHILD + k] = j.us;
	}
	return 0;
}

static void init_costs(int rounds)
{
	static double compile[200], apply[200], rss[200];
	static double enter[200 * THREADS_PER_CHILD], spawn[200 * THREADS_PER_CHILD];
	static double floor_[200 * THREADS_PER_CHILD];
	double m, q1, q3;
	int i, k, n = 0;

	for (i = 0; i < rounds; i++) {
		double r[INIT_VALUES];
		int pfd[2];
		pid_t pid;

		if (pipe(pfd))
			return;
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			close(pfd[0]);
			if (init_child(r) || write(pfd[1], r, sizeof(r)) != sizeof(r))
				_exit(1);
			_exit(0);
		}
		close(pfd[1]);
		if (pid > 0 && read(pfd[0], r, sizeof(r)) == sizeof(r)) {
			compile[n] = r[0];
			apply[n] = r[1];
			rss[n] = r[2];
			for (k = 0; k < THREADS_PER_CHILD; k++) {
				enter[n * THREADS_PER_CHILD + k] = r[3 + k];
				spawn[n * THREADS_PER_CHILD + k] = r[3 + THREADS_PER_CHILD + k];
				floor_[n * THREADS_PER_CHILD + k] =
					r[3 + 2 * THREADS_PER_CHILD + k];
			}
			n++;
		}
		close(pfd[0]);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	if (n < 4) {
		printf("init costs: too few rounds succeeded (%d)\n", n);
		return;
	}
	printf("%d fresh processes; median [IQR]\n", n);
	stats(rss, n, &m, &q1, &q3);
	printf("memory the library adds (RSS, compile + apply): %.0f KiB\n", m);
	stats(compile, n, &m, &q1, &q3);
	printf("compiling every role at init (vmm_seccomp_compile): %8.1f us [%.1f..%.1f]\n", m, q1,
	       q3);
	stats(apply, n, &m, &q1, &q3);
	printf("installing the baseline (vmm_seccomp_apply_process): %7.1f us [%.1f..%.1f]\n", m,
	       q1, q3);
	stats(enter, n * THREADS_PER_CHILD, &m, &q1, &q3);
	printf("entering role vcpu in a new thread (vmm_seccomp_enter_role): %6.1f us "
	       "[%.1f..%.1f]\n",
	       m, q1, q3);
	stats(floor_, n * THREADS_PER_CHILD, &m, &q1, &q3);
	printf("  floor: a minimal 2-instruction filter installed the same way:   %6.1f us "
	       "[%.1f..%.1f]\n",
	       m, q1, q3);
	stats(spawn, n * THREADS_PER_CHILD, &m, &q1, &q3);
	printf("pthread_create + enter role + join (vmm_seccomp_thread_create): %6.1f us "
	       "[%.1f..%.1f]\n",
	       m, q1, q3);
}

/* ---- apply with Landlock, threads already running ---- */

#define APPLY_THREADS 8

static int apply_pipe[2];

/* Blocked, as a VMM's threads are in epoll_wait or a read. */
static void *idle_thread(void *unused)
{
	char c;

	ssize_t n;

	(void)unused;
	n = read(apply_pipe[0], &c, 1);
	(void)n; /* woken either way */
	return NULL;
}

/* One fresh process with APPLY_THREADS threads running: the time of
 * vmm_seccomp_apply_process() (compiled beforehand), in us. */
static double apply_child(enum vmm_seccomp_landlock landlock)
{
	struct vmm_seccomp *ctx = new_configured();
	pthread_t t[APPLY_THREADS];
	double t0, us;
	int k;

	if (!ctx || vmm_seccomp_set_landlock(ctx, landlock) || vmm_seccomp_compile(ctx) ||
	    pipe(apply_pipe))
		return -1;
	for (k = 0; k < APPLY_THREADS; k++) {
		if (pthread_create(&t[k], NULL, idle_thread, NULL))
			return -1;
	}
	usleep(2000);
	t0 = now_ns();
	if (vmm_seccomp_apply_process(ctx))
		return -1;
	us = (now_ns() - t0) / 1e3;
	for (k = 0; k < APPLY_THREADS; k++) {
		if (write(apply_pipe[1], "x", 1) != 1)
			return -1;
	}
	for (k = 0; k < APPLY_THREADS; k++)
		pthread_join(t[k], NULL);
	return us;
}

static double apply_in_child(enum vmm_seccomp_landlock landlock)
{
	double us = -1;
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		us = apply_child(landlock);
		_exit(write(pfd[1], &us, sizeof(us)) == sizeof(us) ? 0 : 1);
	}
	close(pfd[1]);
	if (pid > 0 && read(pfd[0], &us, sizeof(us)) != sizeof(us))
		us = -1;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return us;
}

/* Landlock's part of apply: the same apply with Landlock off, interleaved. */
static void landlock_apply_costs(int rounds)
{
	static double on[200], off[200];
	double m, q1, q3, m0, q10, q30;
	struct vmm_seccomp_landlock_info info;
	struct vmm_seccomp *probe = vmm_seccomp_new();
	int i, n = 0;

	if (!probe)
		return;
	vmm_seccomp_landlock_status(probe, &info, NULL, 0);
	vmm_seccomp_free(probe);
	if (!info.abi) {
		printf("SKIP apply with Landlock: the kernel has no Landlock\n");
		return;
	}
	for (i = 0; i < rounds && n < 200; i++) {
		double a = apply_in_child(VMM_SECCOMP_LANDLOCK_REQUIRE);
		double b = apply_in_child(VMM_SECCOMP_LANDLOCK_OFF);

		if (a < 0 || b < 0)
			continue;
		on[n] = a;
		off[n] = b;
		n++;
	}
	if (n < 4) {
		printf("apply with Landlock: too few rounds succeeded (%d)\n", n);
		return;
	}
	stats(on, n, &m, &q1, &q3);
	stats(off, n, &m0, &q10, &q30);
	printf("apply with %d threads running, Landlock ABI %d (every thread into the domain): "
	       "%6.1f us [%.1f..%.1f]\n",
	       APPLY_THREADS, info.abi, m, q1, q3);
	printf("  the same with Landlock off (the seccomp baseline alone):             "
	       "%6.1f us [%.1f..%.1f]\n",
	       m0, q10, q30);
}

int main(int argc, char **argv)
{
	struct vmm_seccomp *ctx;
	long iterations = 200000;
	int rounds = 15, i, r;
	size_t h;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			iterations = atol(argv[++i]);
		else if (!strcmp(argv[i], "--config") && i + 1 < argc)
			bench_config = argv[++i];
		else {
			fprintf(stderr,
				"usage: %s [--rounds R] [--iterations N] [--config CONFIG]\n",
				argv[0]);
			return 2;
		}
	}
	ctx = new_configured();
	if (rounds < 4 || rounds > 200 || iterations < 1000) {
		fprintf(stderr, "filter-bench: --rounds 4..200, --iterations >= 1000\n");
		return 2;
	}
	if (!ctx || vmm_seccomp_compile(ctx)) {
		fprintf(stderr, "filter-bench: %s\n", vmm_seccomp_last_error(ctx));
		return 1;
	}
	printf("%d rounds of %ld calls; ratios are per round (interleaved), median [IQR]%s%s\n",
	       rounds, iterations, bench_config ? "; configuration " : "",
	       bench_config ? bench_config : "");
	printf("%-14s %-22s %5s %5s %-7s %9s %9s %9s %16s %16s\n", "role", "syscall", "base",
	       "role", "cache", "none ns", "floor ns", "ours ns", "ours/none", "ours/floor");
	for (h = 0; h < N_HOTS; h++) {
		double none[200] = { 0 }, floor_[200] = { 0 }, ours[200] = { 0 }, rn[200], rf[200];
		double mn, mf, mo, qa, qb, rnm, rnq1, rnq3, rfm, rfq1, rfq3;
		unsigned int steps[2];
		const char *cache = bpf_cost(ctx, &hots[h], steps);

		for (r = 0; r < rounds; r++) {
			/* the order turns every round, so drift hits all alike */
			enum setup order[3] = { NONE, FLOOR, FILTERS };
			double *out[3] = { none, floor_, ours };
			int k;

			for (k = 0; k < 3; k++) {
				int s = (k + r) % 3;

				out[s][r] = run_one(&hots[h], order[s], iterations);
			}
			rn[r] = ours[r] / none[r];
			rf[r] = (ours[r] - none[r]) / (floor_[r] - none[r]);
		}
		stats(none, rounds, &mn, &qa, &qb);
		stats(floor_, rounds, &mf, &qa, &qb);
		stats(ours, rounds, &mo, &qa, &qb);
		stats(rn, rounds, &rnm, &rnq1, &rnq3);
		stats(rf, rounds, &rfm, &rfq1, &rfq3);
		printf("%-14s %-22s %5u %5u %-7s %9.1f %9.1f %9.1f %5.2f [%.2f..%.2f] %5.2f "
		       "[%.2f..%.2f]\n",
		       vmm_seccomp_role_name(hots[h].role), hots[h].label, steps[0], steps[1],
		       cache, mn, mf, mo, rnm, rnq1, rnq3, rfm, rfq1, rfq3);
	}
	printf("(ours/floor compares overheads over no filter: (ours - none) / (floor - none);\n"
	       " 'cache' yes: both layers allow the syscall without reading its arguments, so\n"
	       " the kernel caches the verdict; no:LAYERS: those layers check an argument)\n\n");
	vmm_seccomp_free(ctx);
	init_costs(rounds);
	landlock_apply_costs(rounds);
	return 0;
}
