/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmm_seccomp_enter_role() allocates nothing, in any role (with a Landlock
 * domain or without).  This program's own malloc, calloc and realloc count
 * every call and hand it to glibc's; a thread enters a role with the count
 * at zero, and the count must stay there.
 */
#include "live_util.h"
#include "vmm_seccomp.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0 /* AddressSanitizer owns malloc */
#else
#define COUNTING 1

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

static atomic_ulong allocations;

void *malloc(size_t n)
{
	atomic_fetch_add(&allocations, 1);
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	atomic_fetch_add(&allocations, 1);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	atomic_fetch_add(&allocations, 1);
	return __libc_realloc(p, n);
}
#endif

#define TIMEOUT 60

struct job {
	struct vmm_seccomp *ctx;
	enum vmm_seccomp_role role;
	int rc;
	unsigned long during;
};

static void *enter(void *arg)
{
	struct job *j = arg;

#if COUNTING
	atomic_store(&allocations, 0);
#endif
	j->rc = vmm_seccomp_enter_role(j->ctx, j->role, "worker");
#if COUNTING
	j->during = atomic_load(&allocations);
#endif
	return NULL;
}

static int child_enter(void *arg)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	unsigned long total = 0;
	unsigned int r;
	pthread_t t;
	/* volatile: at -O2 gcc drops a malloc whose block is only freed */
	void *volatile p;

	(void)arg;
	if (!ctx || vmm_seccomp_apply_process(ctx))
		return 10;
#if COUNTING
	/* the counter counts: this allocation is seen */
	atomic_store(&allocations, 0);
	p = malloc(16);
	free(p);
	if (atomic_load(&allocations) != 1)
		return 11;
#else
	(void)p;
#endif
	for (r = VMM_SECCOMP_ROLE_VMM; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		struct job j = { ctx, (enum vmm_seccomp_role)r, -1, 0 };

		if (pthread_create(&t, NULL, enter, &j) || pthread_join(t, NULL))
			return 12;
		if (j.rc)
			return 13;
		fprintf(stderr, "allocations while entering role %s: %lu\n",
			vmm_seccomp_role_name(j.role), j.during);
		total += j.during;
	}
	return total == 0 ? 0 : 14;
}

static void test_enter_role_allocates_nothing(void **state)
{
	struct child c;

	(void)state;
	if (!COUNTING) {
		fprintf(stderr, "SKIP allocation count: AddressSanitizer replaces malloc\n");
		skip();
	}
	if (on_valgrind()) {
		fprintf(stderr, "SKIP allocation count: valgrind replaces malloc\n");
		skip();
	}
	assert_int_equal(run_child(child_enter, NULL, TIMEOUT, &c), 0);
	if (!c.exited || c.code)
		fprintf(stderr, "%s", c.out);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
	assert_int_equal(count_lines_with(c.out, "allocations while entering role ", ": 0", NULL),
			 VMM_SECCOMP_ROLE_COUNT - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enter_role_allocates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
