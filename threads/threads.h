/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Threads: the spawn hook and the thread registry.  Knows nothing of
 * seccomp or of what a role means: a role is a number here, given by the
 * caller (vmm_seccomp/, which depends on this module, never the reverse).
 */
#ifndef VMM_SECCOMP_THREADS_H
#define VMM_SECCOMP_THREADS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define THREAD_REGISTRY_SLOTS 256
#define THREAD_NAME_LEN 16 /* what the kernel keeps of a name, with the NUL */

/* What a thread knows about itself; read by signal handlers. */
struct thread_self {
	int tid;  /* 0 until the thread enters a role */
	int role; /* meaningful once has_role */
	char name[THREAD_NAME_LEN];
	bool has_role;
};

/* The calling thread's record (thread-local, initial-exec TLS: safe to read
 * from a signal handler, never allocates). */
struct thread_self *thread_self(void);

/* Names the calling thread `name` (truncated as the kernel does), or, when
 * name is NULL, reads the name it has; either way into self->name. */
void thread_name_self(const char *name);

/* Sets up what the registry needs before any filter is in (idempotent). */
void thread_registry_prepare(void);

/* A registered thread. */
struct thread_record {
	int tid;
	int role;
	char name[THREAD_NAME_LEN];
	bool filtered;
};

/* Records the calling thread; a full registry only means the thread is not
 * listed (no error).  The thread leaves the registry when it ends. */
void thread_registry_add(int tid, int role, const char *name, bool filtered);
void thread_registry_remove(int tid);
/* Calls fn for each registered thread (at most max times, i counting from
 * 0); returns how many are registered.  No lock, no allocation. */
size_t thread_registry_each(void (*fn)(const struct thread_record *t, size_t i, void *arg),
			    void *arg, size_t max);

/*
 * pthread_create() whose new thread names itself `name`, then runs
 * setup(setup_arg) before anything else; the call returns once setup has
 * returned: 0 with *thread set, running fn(arg), or setup's negative errno
 * (its message in err), the thread having exited without running fn.  A
 * failing pthread_create() gives its error negated.  Borrows everything.
 */
int thread_spawn(pthread_t *thread, const pthread_attr_t *attr, const char *name,
		 int (*setup)(void *setup_arg, char *err, size_t errlen), void *setup_arg,
		 void *(*fn)(void *), void *arg, char *err, size_t errlen);

#endif
