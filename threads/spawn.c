/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Spawn hooks: threads that enter their role before running any of the
 * caller's code.
 */
#include "threads.h"
#include "../vmm_seccomp/internal.h"

#include <errno.h>
#include <semaphore.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int vmm_seccomp_enter_role(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, const char *name)
{
	struct thread_self *self = thread_self();
	int rc;

	if (!ctx)
		return ctx_fail(ctx, -EINVAL, "no context");
	if ((unsigned int)role >= VMM_SECCOMP_ROLE_COUNT || role == VMM_SECCOMP_ROLE_PROCESS)
		return ctx_fail(ctx, -EINVAL, "role %d is not a thread role", (int)role);
	if (!ctx->applied)
		return ctx_fail(ctx, -EPERM,
				"enter_role(%s): call vmm_seccomp_apply_process() first",
				vmm_seccomp_role_name(role));
	if (self->has_role)
		return ctx_fail(ctx, -EALREADY, "this thread already has role %s",
				vmm_seccomp_role_name(self->role));
	/* Naming and recording happen before the filter, which need not allow
	 * them.  The kernel keeps the first 15 bytes of a name, as copied here. */
	memset(self->name, 0, sizeof(self->name));
	if (name) {
		prctl(PR_SET_NAME, name, 0, 0, 0);
		strncpy(self->name, name, sizeof(self->name) - 1);
	} else {
		prctl(PR_GET_NAME, self->name, 0, 0, 0);
	}
	self->tid = (int)syscall(SYS_gettid);
	rc = install_thread_filter(ctx, role);
	if (rc)
		return rc;
	self->role = role;
	self->has_role = true;
	thread_registry_add(self->tid, role, self->name, ctx->layer[role].prog != NULL);
	return 0;
}

struct start {
	struct vmm_seccomp *ctx;
	enum vmm_seccomp_role role;
	char name[16];
	void *(*fn)(void *);
	void *arg;
	sem_t ready;
	int result;
	char error[256];
};

static void *trampoline(void *p)
{
	struct start *s = p;
	void *(*fn)(void *) = s->fn;
	void *arg = s->arg;
	int rc = vmm_seccomp_enter_role(s->ctx, s->role, s->name);

	s->result = rc;
	if (rc)
		strncpy(s->error, vmm_seccomp_last_error(s->ctx), sizeof(s->error) - 1);
	sem_post(&s->ready); /* s belongs to the creator again from here on */
	if (rc)
		return NULL;
	return fn(arg);
}

int vmm_seccomp_thread_create(struct vmm_seccomp *ctx, pthread_t *thread,
			      const pthread_attr_t *attr, enum vmm_seccomp_role role,
			      const char *name, void *(*start_routine)(void *), void *arg)
{
	struct start s;
	pthread_t t;
	int rc, detached = PTHREAD_CREATE_JOINABLE;

	if (!ctx || !thread || !start_routine)
		return ctx_fail(ctx, -EINVAL,
				"thread_create: missing context, thread or start routine");
	if ((unsigned int)role >= VMM_SECCOMP_ROLE_COUNT || role == VMM_SECCOMP_ROLE_PROCESS)
		return ctx_fail(ctx, -EINVAL, "role %d is not a thread role", (int)role);
	if (!ctx->applied)
		return ctx_fail(ctx, -EPERM,
				"thread_create(%s): call vmm_seccomp_apply_process() first",
				vmm_seccomp_role_name(role));
	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	s.role = role;
	s.fn = start_routine;
	s.arg = arg;
	if (name)
		strncpy(s.name, name, sizeof(s.name) - 1);
	else
		strncpy(s.name, vmm_seccomp_role_name(role), sizeof(s.name) - 1);
	if (sem_init(&s.ready, 0, 0))
		return ctx_fail(ctx, -errno, "sem_init: %s", strerror(errno));
	rc = pthread_create(&t, attr, trampoline, &s);
	if (rc) {
		sem_destroy(&s.ready);
		return ctx_fail(ctx, -rc, "pthread_create(%s): %s", s.name, strerror(rc));
	}
	while (sem_wait(&s.ready) && errno == EINTR)
		;
	sem_destroy(&s.ready);
	if (s.result) {
		if (attr)
			pthread_attr_getdetachstate(attr, &detached);
		if (detached == PTHREAD_CREATE_JOINABLE)
			pthread_join(t, NULL);
		return ctx_fail(ctx, s.result, "thread %s: %s", s.name, s.error);
	}
	*thread = t;
	return 0;
}
