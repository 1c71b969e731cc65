/* SPDX-License-Identifier: Apache-2.0 */
#include "live_util.h"

#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

bool on_valgrind(void)
{
#ifdef HAVE_VALGRIND_H
	return RUNNING_ON_VALGRIND != 0;
#else
	return false;
#endif
}

bool skip_reported_violation_on_valgrind(void)
{
#if defined(HAVE_VALGRIND_H) && defined(__VALGRIND_MAJOR__) && defined(__VALGRIND_MINOR__)
	if (on_valgrind() &&
	    (__VALGRIND_MAJOR__ > 3 || (__VALGRIND_MAJOR__ == 3 && __VALGRIND_MINOR__ >= 27))) {
		fprintf(stderr,
			"SKIP under valgrind %d.%d: it takes the SIGSYS of a filter's TRAP "
			"as a synchronous signal and exits on it (\"Valgrind received a "
			"signal 31\"), so no violation can be reported (the process still "
			"dies: docs/VALGRIND.md); the native run checks it\n",
			__VALGRIND_MAJOR__, __VALGRIND_MINOR__);
		return true;
	}
#endif
	return false;
}

int run_child(int (*fn)(void *), void *arg, int timeout_s, struct child *res)
{
	int pfd[2], status = 0;
	size_t used = 0;
	pid_t pid;
	struct timespec start, now;

	memset(res, 0, sizeof(*res));
	if (pipe(pfd))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int rc;

		close(pfd[0]);
		dup2(pfd[1], 2);
		close(pfd[1]);
		rc = fn(arg);
		fflush(NULL);
		_exit(rc);
	}
	close(pfd[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int r = poll(&p, 1, 200);

		if (r > 0) {
			ssize_t n = read(pfd[0], res->out + used, sizeof(res->out) - 1 - used);

			if (n > 0) {
				used += (size_t)n;
				if (used == sizeof(res->out) - 1)
					used = 0; /* keep the tail of a flood rather than block the child */
				continue;
			}
			if (n == 0)
				break; /* every writer is gone */
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > timeout_s) {
			kill(pid, SIGKILL);
			fprintf(stderr, "child %d timed out after %d s; output so far:\n%.*s\n",
				pid, timeout_s, (int)used, res->out);
			break;
		}
	}
	res->out[used] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->exited = WIFEXITED(status);
	res->code = res->exited ? WEXITSTATUS(status) : -1;
	res->signaled = WIFSIGNALED(status);
	res->sig = res->signaled ? WTERMSIG(status) : 0;
	return 0;
}

int count_lines_with(const char *out, ...)
{
	const char *line = out;
	int count = 0;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[2048];
		const char *needle;
		bool all = true;
		va_list ap;

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		va_start(ap, out);
		while ((needle = va_arg(ap, const char *)))
			all = all && strstr(buf, needle);
		va_end(ap);
		count += all;
		line = end ? end + 1 : NULL;
	}
	return count;
}

int seccomp_status(int tid, int *mode, int *filters)
{
	char path[64], line[256];
	FILE *f;

	if (tid)
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	else
		snprintf(path, sizeof(path), "/proc/thread-self/status");
	f = fopen(path, "re");
	if (!f)
		return -1;
	*mode = *filters = -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Seccomp:", 8) == 0)
			*mode = atoi(line + 8);
		else if (strncmp(line, "Seccomp_filters:", 16) == 0)
			*filters = atoi(line + 16);
	}
	fclose(f);
	return *mode >= 0 ? 0 : -1;
}

static const char *tree_top;

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (tree_top && strcmp(path, tree_top) == 0)
		return 0;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) ? -1 : 0;
}

int remove_tree(const char *path, bool keep_top)
{
	int rc;

	tree_top = keep_top ? path : NULL;
	rc = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	tree_top = NULL;
	return rc ? -1 : 0;
}
