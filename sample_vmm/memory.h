/* SPDX-License-Identifier: Apache-2.0 */
/* Guest memory: one anonymous mapping from guest-physical 0, and the one
 * way the VMM turns a guest address into a pointer, bounds-checked. */
#ifndef SAMPLE_VMM_MEMORY_H
#define SAMPLE_VMM_MEMORY_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	uint8_t *host;
	uint64_t size;
};

/* Maps `size` bytes (zeroed, left out of core dumps).  0 or -errno with a
 * message in err. */
int guest_mem_init(struct guest_mem *m, uint64_t size, char *err, size_t errlen);

/* Unmaps; accepts a memory never set up. */
void guest_mem_free(struct guest_mem *m);

/* The host address of [gpa, gpa + len) if that range lies wholly in guest
 * memory, else NULL.  Any guest-supplied address goes through here. */
void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

#endif
