/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Threads entering their role: vmm_seccomp_enter_role() in the calling
 * thread, vmm_seccomp_thread_create() through the spawn hook of threads/.
 */
#include "internal.h"
#include "../threads/threads.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int check_thread_role(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, const char *what)
{
	if (!ctx)
		return ctx_fail(ctx, -EINVAL, "no context");
	if (!role_valid(ctx, role) || role == VMM_SECCOMP_ROLE_PROCESS)
		return ctx_fail(ctx, -EINVAL, "%s: role %d is not a thread role of this context",
				what, (int)role);
	if (!ctx->applied)
		return ctx_fail(ctx, -EPERM, "%s(%s): call vmm_seccomp_apply_process() first", what,
				role_name(ctx, role));
	return 0;
}

/* The calling thread, named already, enters `role`. */
static int enter(struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	struct thread_self *self = thread_self();
	int rc;

	if (self->has_role)
		return ctx_fail(ctx, -EALREADY, "this thread already has role %s",
				role_name(ctx, (unsigned int)self->role));
	/* Recording happens before the filter, which need not allow it. */
	self->tid = (int)syscall(SYS_gettid);
	rc = install_thread_filter(ctx, role);
	if (rc)
		return rc;
	self->role = (int)role;
	self->has_role = true;
	thread_registry_add(self->tid, (int)role, self->name, ctx->layer[role].prog != NULL);
	return 0;
}

int vmm_seccomp_enter_role(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, const char *name)
{
	int rc = check_thread_role(ctx, role, "enter_role");

	if (rc)
		return rc;
	/* before the filter, which need not allow prctl; a thread that has a
	 * role keeps its name (enter() refuses it) */
	if (!thread_self()->has_role)
		thread_name_self(name);
	return enter(ctx, role);
}

struct setup {
	struct vmm_seccomp *ctx;
	enum vmm_seccomp_role role;
};

static int setup_role(void *arg, char *err, size_t errlen)
{
	const struct setup *s = arg;
	int rc = enter(s->ctx, s->role);

	if (rc)
		snprintf(err, errlen, "%s", vmm_seccomp_last_error(s->ctx));
	return rc;
}

int vmm_seccomp_thread_create(struct vmm_seccomp *ctx, pthread_t *thread,
			      const pthread_attr_t *attr, enum vmm_seccomp_role role,
			      const char *name, void *(*start_routine)(void *), void *arg)
{
	struct setup s = { .ctx = ctx, .role = role };
	char err[400];
	int rc;

	if (!ctx || !thread || !start_routine)
		return ctx_fail(ctx, -EINVAL,
				"thread_create: missing context, thread or start routine");
	rc = check_thread_role(ctx, role, "thread_create");
	if (rc)
		return rc;
	rc = thread_spawn(thread, attr, name ? name : role_name(ctx, role), setup_role, &s,
			  start_routine, arg, err, sizeof(err));
	if (rc)
		return ctx_fail(ctx, rc, "%s", err);
	return 0;
}

_Static_assert(sizeof(((struct vmm_seccomp_thread_info *)0)->name) == THREAD_NAME_LEN,
	       "a thread name as the registry keeps it");

static void copy_thread(const struct thread_record *t, size_t i, void *arg)
{
	struct vmm_seccomp_thread_info *o = (struct vmm_seccomp_thread_info *)arg + i;

	o->tid = t->tid;
	o->role = (enum vmm_seccomp_role)t->role;
	o->filtered = t->filtered;
	memcpy(o->name, t->name, sizeof(o->name));
}

size_t vmm_seccomp_threads(struct vmm_seccomp_thread_info *out, size_t max)
{
	return thread_registry_each(copy_thread, out, out ? max : 0);
}
