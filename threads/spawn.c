/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spawn hook: a thread that runs a setup step (vmm_seccomp: entering
 * its role) before any of the caller's code, and whose creator learns how
 * that went before pthread_create's caller goes on.
 */
#include "threads.h"

#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

struct start {
	char name[THREAD_NAME_LEN];
	int (*setup)(void *, char *, size_t);
	void *setup_arg;
	void *(*fn)(void *);
	void *arg;
	sem_t ready;
	int result;
	char error[256];
};

void thread_name_self(const char *name)
{
	struct thread_self *self = thread_self();

	memset(self->name, 0, sizeof(self->name));
	if (name) {
		prctl(PR_SET_NAME, name, 0, 0, 0);
		/* the kernel's truncation: the first 15 bytes */
		memcpy(self->name, name, strnlen(name, sizeof(self->name) - 1));
	} else {
		prctl(PR_GET_NAME, self->name, 0, 0, 0);
	}
}

static void *trampoline(void *p)
{
	struct start *s = p;
	void *(*fn)(void *) = s->fn;
	void *arg = s->arg;
	int rc;

	thread_name_self(s->name);
	rc = s->setup(s->setup_arg, s->error, sizeof(s->error));
	s->result = rc;
	sem_post(&s->ready); /* s belongs to the creator again from here on */
	if (rc)
		return NULL;
	return fn(arg);
}

int thread_spawn(pthread_t *thread, const pthread_attr_t *attr, const char *name,
		 int (*setup)(void *setup_arg, char *err, size_t errlen), void *setup_arg,
		 void *(*fn)(void *), void *arg, char *err, size_t errlen)
{
	struct start s;
	pthread_t t;
	int rc, detached = PTHREAD_CREATE_JOINABLE;

	memset(&s, 0, sizeof(s));
	memcpy(s.name, name, strnlen(name, sizeof(s.name) - 1));
	s.setup = setup;
	s.setup_arg = setup_arg;
	s.fn = fn;
	s.arg = arg;
	if (sem_init(&s.ready, 0, 0)) {
		rc = -errno;
		snprintf(err, errlen, "sem_init: %s", strerror(errno));
		return rc;
	}
	rc = pthread_create(&t, attr, trampoline, &s);
	if (rc) {
		sem_destroy(&s.ready);
		snprintf(err, errlen, "pthread_create(%s): %s", s.name, strerror(rc));
		return -rc;
	}
	while (sem_wait(&s.ready) && errno == EINTR)
		;
	sem_destroy(&s.ready);
	if (s.result) {
		if (attr)
			pthread_attr_getdetachstate(attr, &detached);
		if (detached == PTHREAD_CREATE_JOINABLE)
			pthread_join(t, NULL);
		snprintf(err, errlen, "thread %s: %s", s.name, s.error);
		return s.result;
	}
	*thread = t;
	return 0;
}
