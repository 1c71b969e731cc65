/* SPDX-License-Identifier: Apache-2.0 */
/* Installing compiled filters: the only code that calls seccomp(2). */
#include "internal.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

bool running_on_valgrind(void)
{
#ifdef HAVE_VALGRIND_H
	return RUNNING_ON_VALGRIND != 0;
#else
	return false;
#endif
}

/*
 * glibc's malloc reads /proc/sys/vm/overcommit_memory the first time it
 * shrinks a thread arena's heap (and caches the answer).  No filter allows
 * opening files from worker threads, so make that first time happen now:
 * a thread takes 512 KiB from a fresh arena in blocks below the mmap
 * threshold and frees them, past the trim threshold.  Blocks this size
 * touch only their headers' pages (96 blocks of 8 KiB took ~0.5 ms more).
 */
static void *shrink_an_arena(void *unused)
{
	void *blocks[8];
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		blocks[i] = malloc(64 << 10);
	for (i = sizeof(blocks) / sizeof(blocks[0]); i-- > 0;)
		free(blocks[i]);
	return NULL;
}

void preload_runtime_libraries(void)
{
	/*
	 * glibc loads libgcc_s the first time a thread exits or is cancelled
	 * (to unwind its stack).  That maps code, which no filter allows, so
	 * map it now; glibc's own dlopen then finds it already loaded.  The
	 * handle is kept for the life of the process on purpose.
	 */
	static void *libgcc_s;

	static bool warmed;
	pthread_t t;

	if (!libgcc_s)
		libgcc_s = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE);
	if (!warmed && pthread_create(&t, NULL, shrink_an_arena, NULL) == 0) {
		pthread_join(t, NULL);
		warmed = true;
	}
}

void thread_comm(int tid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* Under valgrind: the tid of a thread other than the caller, or 0. */
static int other_thread(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int self = (int)syscall(SYS_gettid), other = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && !other) {
		int tid = atoi(e->d_name);

		if (tid > 0 && tid != self)
			other = tid;
	}
	closedir(d);
	return other;
}

static int map_install_error(struct vmm_seccomp *ctx, int err, const char *what)
{
	switch (err) {
	case ENOSYS:
	case EINVAL:
		return ctx_fail(
			ctx, err == ENOSYS ? -ENOSYS : -EOPNOTSUPP,
			"%s: the kernel refused the filter (%s): seccomp filters unsupported?",
			what, strerror(err));
	case EACCES:
		return ctx_fail(ctx, -EACCES, "%s: not permitted (%s)", what, strerror(err));
	case ENOMEM:
		return ctx_fail(ctx, -ENOMEM,
				"%s: the kernel is out of memory or the filter stack is too long",
				what);
	case EFAULT:
	case EOPNOTSUPP:
		return ctx_fail(ctx, -EOPNOTSUPP, "%s: %s", what, strerror(err));
	default:
		return ctx_fail(ctx, -EINVAL, "%s: %s", what, strerror(err));
	}
}

/* Installs a layer's program on the calling thread: seccomp(2) with
 * `flags`, or, under valgrind, prctl(PR_SET_SECCOMP), which takes none. */
static long install_program(const struct vmm_seccomp *ctx, const struct layer *L,
			    unsigned int flags)
{
	struct sock_fprog fp = { .len = (unsigned short)L->prog_len, .filter = L->prog };

	if (ctx->under_valgrind)
		return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0);
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp);
}

int install_process_filter(struct vmm_seccomp *ctx)
{
	const struct layer *L = &ctx->layer[VMM_SECCOMP_ROLE_PROCESS];
	char name[32];
	long rc;

	if (!L->prog)
		return 0; /* mode off */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return map_install_error(ctx, errno, "setting no_new_privs");
	if (ctx->under_valgrind) {
		/* valgrind has no seccomp(2), hence no TSYNC: one thread only. */
		int tid = other_thread();

		if (tid) {
			thread_comm(tid, name, sizeof(name));
			return ctx_fail(ctx, -EBUSY,
					"under valgrind the baseline can only be installed while "
					"the process has one thread; thread %d (%s) is already "
					"running: nothing was installed",
					tid, name);
		}
	}
	rc = install_program(ctx, L, SECCOMP_FILTER_FLAG_TSYNC);
	if (rc > 0) {
		thread_comm((int)rc, name, sizeof(name));
		return ctx_fail(ctx, -EBUSY,
				"thread %ld (%s) cannot be synchronised: it has seccomp filters "
				"the calling thread does not (apply the baseline before threads "
				"enter roles): nothing was installed",
				rc, name);
	}
	if (rc < 0)
		return map_install_error(ctx, errno, "installing the process baseline");
	return 0;
}

int install_thread_filter(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	const struct layer *L = &ctx->layer[role];
	int rc;

	if (!L->prog)
		return 0; /* mode off */
	if (!ctx->baseline_installed && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return map_install_error((struct vmm_seccomp *)ctx, errno, "setting no_new_privs");
	/* Landlock first: the role's filter need not allow it */
	rc = landlock_enter_role(ctx, role);
	if (rc)
		return rc;
	if (install_program(ctx, L, 0))
		return map_install_error((struct vmm_seccomp *)ctx, errno,
					 "installing a role filter");
	return 0;
}
