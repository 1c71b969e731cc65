/* SPDX-License-Identifier: Apache-2.0 */
/* The VM: /dev/kvm, the VM descriptor, guest memory as one slot, the
 * in-kernel interrupt controllers, the boot-time x86 tables, and the
 * eventfd plumbing devices use. */
#ifndef SAMPLE_VMM_VM_H
#define SAMPLE_VMM_VM_H

#include "memory.h"

#include <stddef.h>
#include <stdint.h>

struct vm {
	int kvm_fd;
	int vm_fd;
	int run_size; /* bytes of each vCPU's kvm_run mapping */
	struct guest_mem mem;
};

/* Opens /dev/kvm, creates the VM with `mem_size` bytes of memory from
 * guest-physical 0, the IOAPIC/PIC/LAPICs and the PIT.  0 or -errno with a
 * message in err; on error nothing is left open. */
int vm_create(struct vm *vm, uint64_t mem_size, char *err, size_t errlen);

/* Closes and unmaps everything; accepts a VM never created. */
void vm_destroy(struct vm *vm);

/* Writes the identity page tables (2 MiB pages over the first 2 GiB and
 * 0xc0000000-0xffffffff) and the GDT into guest memory (abi.h layout). */
void vm_write_boot_tables(struct vm *vm);

/* A write of `len` bytes to guest-physical `addr` signals `fd` in the
 * kernel, without an exit to user space. */
int vm_add_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, int fd, char *err, size_t errlen);

/* Writing to `fd` raises `gsi` (an edge). */
int vm_add_irqfd(struct vm *vm, uint32_t gsi, int fd, char *err, size_t errlen);

#endif
