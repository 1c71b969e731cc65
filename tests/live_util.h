/* SPDX-License-Identifier: Apache-2.0 */
/* Running a test case in a forked child and judging how it ended. */
#ifndef LIVE_UTIL_H
#define LIVE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

struct child {
	bool exited;
	int code; /* exit status if exited */
	bool signaled;
	int sig;	 /* terminating signal if signaled */
	char out[16384]; /* what the child wrote to stderr (reports go there) */
};

/* Forks; the child runs fn(arg) with stderr on a pipe and exits with its
 * return value.  Waits at most `timeout_s` seconds (then SIGKILL and a
 * failed assertion).  Returns 0 or -errno of fork/pipe. */
int run_child(int (*fn)(void *), void *arg, int timeout_s, struct child *res);

/* The count of lines of `out` containing every one of the given strings
 * (NULL-terminated). */
int count_lines_with(const char *out, ...);

/* "Seccomp:" and "Seccomp_filters:" of a thread of this process
 * (tid 0: the calling thread).  Returns 0 or -1. */
int seccomp_status(int tid, int *mode, int *filters);

bool on_valgrind(void);

/* True (and says why, SKIP) under a valgrind that cannot deliver a
 * filter's SIGSYS to the program (3.27 and later): a test that needs a
 * reported violation skips there. */
bool skip_reported_violation_on_valgrind(void);

/* rm -rf without a shell (the arm64 test guest has none): removes `path`
 * and everything under it, or with keep_top only what is under it.
 * Returns 0 or -1. */
int remove_tree(const char *path, bool keep_top);

#endif
