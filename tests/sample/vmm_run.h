/* SPDX-License-Identifier: Apache-2.0 */
/* Running sample-vmm from the end-to-end tests: a child process with its
 * output in files of a temporary directory, and the checks on how it
 * ended.  Shared by test_sample_vmm.c and the device tests. */
#ifndef TESTS_SAMPLE_VMM_RUN_H
#define TESTS_SAMPLE_VMM_RUN_H

#include <stddef.h>
#include <sys/types.h>

#define MAX_ARGS 32
#define TIMEOUT_S 30

/* The tests' directory (make_tmpdir() creates it) and, with
 * SAMPLE_VMM_VALGRIND, valgrind's path: sample-vmm then runs under it. */
extern char tmpdir[];
extern const char *valgrind;

struct run {
	pid_t pid;
	int status;
	char out_path[96], err_path[96];
	char *out, *err;
};

/* A NULL-terminated argument list. */
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

#define run_vmm(r, ...)                      \
	do {                                 \
		start(r, ARGS(__VA_ARGS__)); \
		finish(r);                   \
	} while (0)

/* tmpdir/name. */
void path_in_tmp(char *buf, size_t len, const char *name);

/* The whole file ("" if unreadable); free it. */
char *slurp(const char *path);

void write_file(const char *path, const void *data, size_t len);

/* A zeroed disk image of size bytes. */
void make_disk(const char *path, size_t size);

/* Starts sample-vmm with the NULL-terminated arguments after argv[0]. */
void start(struct run *r, const char *const *args);

/* start() in new namespaces (unshare(2) flags, e.g. CLONE_NEWNET: a
 * network of its own, its taps gone with it); exit status 126 if the
 * child could not make them. */
void start_in(struct run *r, const char *const *args, int unshare_flags);

/* Waits for the child (killing it after TIMEOUT_S) and reads its output. */
void finish(struct run *r);

/* Frees what finish() read. */
void release(struct run *r);

void print_run(const struct run *r);

void assert_exit(const struct run *r, int code);

void assert_has(const char *text, const char *what);

void assert_lacks(const char *text, const char *what);

/* /dev/kvm exists; else prints why the test skips. */
int kvm_present(void);

/* The kernel's Landlock ABI (0: none) as sample-vmm sees it: none under
 * valgrind, which does not implement Landlock. */
int landlock_abi(void);

/* The line sample-vmm prints after the baseline went in: every thread is
 * in a Landlock domain (or, under valgrind, says why not). */
void assert_landlock_line(const struct run *r, const char *state);

/* The default guest's disk test left its pattern on the image. */
void assert_pattern_on_disk(const char *disk);

/* 1 once the running VMM's stdout holds `what`, 0 if it ended or
 * timeout_ms passed first. */
int wait_for_output(const struct run *r, const char *what, int timeout_ms);

/* A small file (a /proc entry) into buf, NUL-terminated: 0 or -1. */
int read_small(const char *path, char *buf, size_t len);

/* Sends req to the API socket and returns the whole response, in a static
 * buffer the next call reuses. */
char *api_request(const char *sock, const char *req);

/* cmocka group set-up and teardown: tmpdir made, then emptied and removed. */
int make_tmpdir(void **state);

int remove_tmpdir(void **state);

/* Every thread of the running VMM, each checked to be under the baseline
 * and one role filter (Seccomp: 2, Seccomp_filters: 2 in
 * /proc/PID/task/TID/status; the test fails naming the first that is
 * not), then passed to each(comm, arg) (may be NULL).  Returns how many
 * there were; threads that end meanwhile are left out. */
int threads_all_filtered(pid_t pid, void (*each)(const char *comm, void *arg), void *arg);

/* The running VMM's threads named `comm`: how many there are, every thread
 * checked as by threads_all_filtered(). */
int threads_filtered(pid_t pid, const char *comm);

/* Waits for a --guest-stay guest to say it stays up (TIMEOUT_S), failing
 * the test with the run's output if it does not. */
void wait_for_stay(struct run *r);

/* Ends a VMM that stays up as its user would (SIGTERM) and checks it exits
 * 0.  The caller checks the output and releases. */
void stop_stayed(struct run *r);

/* The run ended as --demo-exploit=`thread` must where seccomp holds: killed
 * by SIGSYS, the guest sent the demo chain and the report names the
 * thread, its role and execve, which never reached the kernel. */
void assert_demo_contained(const struct run *r, const char *thread, const char *role);

#endif
