/* SPDX-License-Identifier: Apache-2.0 */
#include "memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int guest_mem_init(struct guest_mem *m, uint64_t size, char *err, size_t errlen)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		int e = errno;

		snprintf(err, errlen, "--mem: cannot map %llu MiB of guest memory: %s",
			 (unsigned long long)(size >> 20), strerror(e));
		return -e;
	}
	/* A core dump of the VMM should not carry the guest's secrets. */
	(void)madvise(p, size, MADV_DONTDUMP);
	m->host = p;
	m->size = size;
	return 0;
}

void guest_mem_free(struct guest_mem *m)
{
	if (m->host)
		munmap(m->host, m->size);
	m->host = NULL;
	m->size = 0;
}

void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa > m->size || len > m->size - gpa)
		return NULL;
	return m->host + gpa;
}
