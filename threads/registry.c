/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Thread -> role registry.  A fixed table of slots claimed with a
 * compare-and-swap on the tid, so adding, removing and listing need no lock
 * and no allocation.
 */
#include "threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

struct slot {
	_Atomic int tid; /* 0: free; -1: being written */
	struct thread_record rec;
};

static struct slot slots[THREAD_REGISTRY_SLOTS];

static __thread struct thread_self self __attribute__((tls_model("initial-exec")));

struct thread_self *thread_self(void)
{
	return &self;
}

/* A key whose destructor takes a thread out of the registry when it ends,
 * however it ends and whoever created it. */
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void on_thread_exit(void *tid)
{
	thread_registry_remove((int)(intptr_t)tid);
}

static void make_exit_key(void)
{
	if (pthread_key_create(&exit_key, on_thread_exit))
		exit_key = (pthread_key_t)-1;
}

void thread_registry_prepare(void)
{
	pthread_once(&exit_key_once, make_exit_key);
}

void thread_registry_add(int tid, int role, const char *name, bool filtered)
{
	size_t i;

	thread_registry_prepare();
	if (exit_key != (pthread_key_t)-1)
		pthread_setspecific(exit_key, (void *)(intptr_t)tid);

	for (i = 0; i < THREAD_REGISTRY_SLOTS; i++) {
		int expected = 0;

		if (atomic_compare_exchange_strong(&slots[i].tid, &expected, -1)) {
			memset(&slots[i].rec, 0, sizeof(slots[i].rec));
			slots[i].rec.tid = tid;
			slots[i].rec.role = role;
			slots[i].rec.filtered = filtered;
			if (name)
				strncpy(slots[i].rec.name, name, sizeof(slots[i].rec.name) - 1);
			atomic_store(&slots[i].tid, tid);
			return;
		}
	}
}

void thread_registry_remove(int tid)
{
	size_t i;

	for (i = 0; i < THREAD_REGISTRY_SLOTS; i++) {
		int expected = tid;

		if (atomic_compare_exchange_strong(&slots[i].tid, &expected, 0))
			return;
	}
}

size_t thread_registry_each(void (*fn)(const struct thread_record *t, size_t i, void *arg),
			    void *arg, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < THREAD_REGISTRY_SLOTS; i++) {
		struct thread_record rec;
		int tid = atomic_load(&slots[i].tid);

		if (tid <= 0)
			continue;
		rec = slots[i].rec;
		if (n < max)
			fn(&rec, n, arg);
		n++;
	}
	return n;
}
