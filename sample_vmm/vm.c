/* SPDX-License-Identifier: Apache-2.0 */
#include "vm.h"

#include "guest/abi.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Where KVM may put the real-mode TSS on Intel hosts: below the IOAPIC,
 * outside RAM and the device windows. */
#define TSS_ADDR 0xfffbd000ULL

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PWT 0x8ULL
#define PTE_PCD 0x10ULL
#define PTE_PS 0x80ULL

static int fail(char *err, size_t errlen, const char *what)
{
	int e = errno;

	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return -e;
}

int vm_create(struct vm *vm, uint64_t mem_size, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region region;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int rc;

	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem.host = NULL;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return fail(err, errlen, "/dev/kvm");
	rc = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (rc != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm: KVM API version %d, expected %d", rc,
			 KVM_API_VERSION);
		rc = -ENOTSUP;
		goto err_close_kvm;
	}
	static const struct {
		int cap;
		const char *name;
	} needed[] = {
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
		{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	};
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, needed[i].cap) <= 0) {
			snprintf(err, errlen, "/dev/kvm: the kernel lacks %s", needed[i].name);
			rc = -ENOTSUP;
			goto err_close_kvm;
		}
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		rc = fail(err, errlen, "KVM_GET_VCPU_MMAP_SIZE");
		goto err_close_kvm;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		rc = fail(err, errlen, "KVM_CREATE_VM");
		goto err_close_kvm;
	}
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)TSS_ADDR) < 0) {
		rc = fail(err, errlen, "KVM_SET_TSS_ADDR");
		goto err_close_vm;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		rc = fail(err, errlen, "KVM_CREATE_IRQCHIP");
		goto err_close_vm;
	}
	/* The PIT is optional: the sample guest does not use it. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) > 0)
		(void)ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit);
	rc = guest_mem_init(&vm->mem, mem_size, err, errlen);
	if (rc < 0)
		goto err_close_vm;
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = mem_size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem.host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		rc = fail(err, errlen, "KVM_SET_USER_MEMORY_REGION");
		goto err_free_mem;
	}
	return 0;

err_free_mem:
	guest_mem_free(&vm->mem);
err_close_vm:
	close(vm->vm_fd);
	vm->vm_fd = -1;
err_close_kvm:
	close(vm->kvm_fd);
	vm->kvm_fd = -1;
	return rc;
}

void vm_destroy(struct vm *vm)
{
	guest_mem_free(&vm->mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
}

void vm_write_boot_tables(struct vm *vm)
{
	uint64_t *pml4 = guest_ptr(&vm->mem, GUEST_PML4, 0x5000);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512; /* three PDs: GiB 0, GiB 1, GiB 3 */
	uint64_t *gdt = guest_ptr(&vm->mem, GUEST_GDT, 4 * sizeof(uint64_t));
	int i;

	memset(pml4, 0, 0x5000);
	pml4[0] = (GUEST_PML4 + 0x1000) | PTE_P | PTE_RW;
	pdpt[0] = (GUEST_PML4 + 0x2000) | PTE_P | PTE_RW;
	pdpt[1] = (GUEST_PML4 + 0x3000) | PTE_P | PTE_RW;
	pdpt[3] = (GUEST_PML4 + 0x4000) | PTE_P | PTE_RW;
	for (i = 0; i < 512; i++) {
		uint64_t off = (uint64_t)i << 21;

		pd[i] = off | PTE_P | PTE_RW | PTE_PS;
		pd[512 + i] = ((1ULL << 30) + off) | PTE_P | PTE_RW | PTE_PS;
		/* Devices, IOAPIC and LAPIC: uncached. */
		pd[1024 + i] = ((3ULL << 30) + off) | PTE_P | PTE_RW | PTE_PS | PTE_PCD | PTE_PWT;
	}
	/* null, null, 64-bit code (GUEST_CODE_SEL), data (GUEST_DATA_SEL). */
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL;
	gdt[3] = 0x00cf93000000ffffULL;
}

int vm_add_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, int fd, char *err, size_t errlen)
{
	struct kvm_ioeventfd io = { .addr = addr, .len = len, .fd = fd };

	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return fail(err, errlen, "KVM_IOEVENTFD");
	return 0;
}

int vm_add_irqfd(struct vm *vm, uint32_t gsi, int fd, char *err, size_t errlen)
{
	struct kvm_irqfd irq = { .fd = (uint32_t)fd, .gsi = gsi };

	if (ioctl(vm->vm_fd, KVM_IRQFD, &irq) < 0)
		return fail(err, errlen, "KVM_IRQFD");
	return 0;
}
