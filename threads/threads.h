/* SPDX-License-Identifier: Apache-2.0 */
/* The thread -> role registry and the calling thread's own record. */
#ifndef VMM_SECCOMP_THREADS_H
#define VMM_SECCOMP_THREADS_H

#include "vmm_seccomp.h"

#define THREAD_REGISTRY_SLOTS 256

/* What a thread knows about itself; read by the SIGSYS handler. */
struct thread_self {
	int tid;		    /* 0 until the thread enters a role */
	enum vmm_seccomp_role role; /* VMM_SECCOMP_ROLE_PROCESS if none */
	char name[16];
	bool has_role;
};

/* The calling thread's record (thread-local, initial-exec TLS: safe to read
 * from a signal handler, never allocates). */
struct thread_self *thread_self(void);

/* Sets up what the registry needs before any filter is in (idempotent). */
void thread_registry_prepare(void);

/* Records the calling thread (tid, role, name) in the registry; a full
 * registry only means the thread is not listed (no error).  The thread
 * leaves the registry when it ends. */
void thread_registry_add(int tid, enum vmm_seccomp_role role, const char *name, bool filtered);
void thread_registry_remove(int tid);
size_t thread_registry_snapshot(struct vmm_seccomp_thread_info *out, size_t max);

#endif
