/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vmm and vcpu roles on arm64 KVM, under enforcement: a thread in role
 * vmm builds a VM with arm64's set-up ioctls (KVM_ARM_PREFERRED_TARGET,
 * KVM_ARM_VCPU_INIT, KVM_SET_ONE_REG for the PC, KVM_GET_REG_LIST, the
 * vCPU's timer through the device attribute ioctls, whether the kernel can
 * make an interrupt controller with KVM_CREATE_DEVICE), a thread in role vcpu
 * runs a guest of four instructions whose store to an address without
 * memory comes back as KVM_EXIT_MMIO; then a vCPU thread that issues a
 * set-up ioctl dies by SIGSYS.  Each case in a forked child.  Built for
 * arm64 only; tools/test-aarch64.sh runs it in a guest whose emulated CPUs
 * start at EL2, which gives that kernel KVM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "live_util.h"
#include "vmm_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXIT_SKIP 77 /* tests/aarch64/init.c reports SKIP */
#define TIMEOUT 60
#define GUEST_BASE 0x10000u
#define GUEST_SIZE 0x10000u
#define MMIO_ADDR 0x10000000ull /* no memory slot there */
#define MMIO_VALUE 0x2au
/* a core register's id: its offset in struct kvm_regs, in 32-bit words */
#define PC_REG                                                 \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
	 (offsetof(struct kvm_regs, regs.pc) / sizeof(uint32_t)))

/* Runs at EL1 with the MMU off, as KVM_ARM_VCPU_INIT leaves the vCPU. */
static const uint32_t guest_code[] = {
	0xd2800540, /* movz x0, #0x2a */
	0xd2a20001, /* movz x1, #0x1000, lsl #16 (x1 = MMIO_ADDR) */
	0xf9000020, /* str x0, [x1]: a stage-2 fault with a valid syndrome: MMIO */
	0x14000000, /* b . */
};

/* What the vCPU thread does after its exit, besides nothing. */
enum then { THEN_NOTHING, THEN_CREATE_VM, THEN_PREFERRED_TARGET };

struct vm {
	int kvm, vm, vcpu;
	void *mem;
	struct kvm_run *run;
	enum then then;
	const char *failed; /* the call that failed, set by the threads */
};

static int kvm_fd = -1;

/* In role vmm, after the vCPU's init: what a VMM asks and sets besides its
 * registers. */
static const char *vmm_arm_setup(struct vm *v)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	uint32_t irq = 27; /* the vtimer's PPI, as KVM numbers it by default */
	struct kvm_device_attr timer = { .group = KVM_ARM_VCPU_TIMER_CTRL,
					 .attr = KVM_ARM_VCPU_TIMER_IRQ_VTIMER,
					 .addr = (uintptr_t)&irq };
	/* only asked whether it could be made: a GIC made and not set up
	 * would keep the vCPU from running */
	struct kvm_create_device v3 = { .type = KVM_DEV_TYPE_ARM_VGIC_V3,
					.flags = KVM_CREATE_DEVICE_TEST },
				 v2 = { .type = KVM_DEV_TYPE_ARM_VGIC_V2,
					.flags = KVM_CREATE_DEVICE_TEST };
	bool found = false;
	int has, get, set;
	uint64_t i;

	/* the register list: its length first (E2BIG), then the ids */
	if (ioctl(v->vcpu, KVM_GET_REG_LIST, &probe) != -1 || errno != E2BIG || !probe.n)
		return "KVM_GET_REG_LIST (length)";
	list = calloc(1, sizeof(*list) + probe.n * sizeof(list->reg[0]));
	if (!list)
		return "calloc";
	list->n = probe.n;
	if (ioctl(v->vcpu, KVM_GET_REG_LIST, list)) {
		free(list);
		return "KVM_GET_REG_LIST";
	}
	for (i = 0; i < list->n; i++)
		found = found || list->reg[i] == PC_REG;
	free(list);
	if (!found)
		return "KVM_GET_REG_LIST (no PC in it)";
	/* Setting the timer's interrupt needs a vGIC (EINVAL without one),
	 * which this VM has not: the filter letting the calls through is what
	 * is tested (refused, the process would die here), the kernel's
	 * answers are shown. */
	has = ioctl(v->vcpu, KVM_HAS_DEVICE_ATTR, &timer) ? errno : 0;
	get = ioctl(v->vcpu, KVM_GET_DEVICE_ATTR, &timer) ? errno : 0;
	set = ioctl(v->vcpu, KVM_SET_DEVICE_ATTR, &timer) ? errno : 0;
	if (ioctl(v->vm, KVM_CREATE_DEVICE, &v3) && ioctl(v->vm, KVM_CREATE_DEVICE, &v2))
		return "KVM_CREATE_DEVICE (test of GICv3 and GICv2)";
	fprintf(stderr, "vmm: %llu registers, vtimer attr has/get/set: %s/%s/%s, %s possible\n",
		(unsigned long long)probe.n, strerrorname_np(has) ? strerrorname_np(has) : "0",
		strerrorname_np(get) ? strerrorname_np(get) : "0",
		strerrorname_np(set) ? strerrorname_np(set) : "0",
		ioctl(v->vm, KVM_CREATE_DEVICE, &v3) ? "GICv2" : "GICv3");
	return NULL;
}

/* In role vmm: the VM, its memory, the vCPU, its first registers. */
static void *vmm_thread(void *arg)
{
	struct vm *v = arg;
	struct kvm_vcpu_init init;
	struct kvm_userspace_memory_region region;
	uint64_t pc = GUEST_BASE, back = 0;
	struct kvm_one_reg reg;
	const char *failed;
	int size;

	if ((v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0)) < 0)
		return (void *)"KVM_CREATE_VM";
	v->mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		return (void *)"mmap of guest memory";
	memcpy(v->mem, guest_code, sizeof(guest_code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = GUEST_BASE,
		.memory_size = GUEST_SIZE,
		.userspace_addr = (uintptr_t)v->mem,
	};
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region))
		return (void *)"KVM_SET_USER_MEMORY_REGION";
	if ((v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0)) < 0)
		return (void *)"KVM_CREATE_VCPU";
	memset(&init, 0, sizeof(init));
	if (ioctl(v->vm, KVM_ARM_PREFERRED_TARGET, &init))
		return (void *)"KVM_ARM_PREFERRED_TARGET";
	if (ioctl(v->vcpu, KVM_ARM_VCPU_INIT, &init))
		return (void *)"KVM_ARM_VCPU_INIT";
	reg.id = PC_REG;
	reg.addr = (uintptr_t)&pc;
	if (ioctl(v->vcpu, KVM_SET_ONE_REG, &reg))
		return (void *)"KVM_SET_ONE_REG";
	reg.addr = (uintptr_t)&back;
	if (ioctl(v->vcpu, KVM_GET_ONE_REG, &reg) || back != pc)
		return (void *)"KVM_GET_ONE_REG";
	if ((failed = vmm_arm_setup(v)))
		return (void *)failed;
	if ((size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0)
		return (void *)"KVM_GET_VCPU_MMAP_SIZE";
	v->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED)
		return (void *)"mmap of kvm_run";
	return NULL;
}

/* In role vcpu: one KVM_RUN to the guest's MMIO exit. */
static void *vcpu_thread(void *arg)
{
	struct vm *v = arg;
	struct kvm_vcpu_init init;
	uint64_t data = 0;

	if (ioctl(v->vcpu, KVM_RUN, 0))
		return (void *)"KVM_RUN";
	memcpy(&data, v->run->mmio.data, sizeof(data));
	fprintf(stderr, "exit=%u addr=%#llx len=%u write=%u data=%#llx\n", v->run->exit_reason,
		(unsigned long long)v->run->mmio.phys_addr, v->run->mmio.len, v->run->mmio.is_write,
		(unsigned long long)data);
	/* set-up ioctls are the vmm role's: each ends the process here */
	if (v->then == THEN_CREATE_VM)
		ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->then == THEN_PREFERRED_TARGET)
		ioctl(v->vm, KVM_ARM_PREFERRED_TARGET, &init);
	return NULL;
}

static int child_vm(void *arg)
{
	struct vm v = { .kvm = kvm_fd, .vm = -1, .vcpu = -1, .then = (enum then)(intptr_t)arg };
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	pthread_t t;
	void *ret = NULL;

	if (!ctx || vmm_seccomp_configure(ctx, "enforce") || vmm_seccomp_apply_process(ctx)) {
		fprintf(stderr, "apply: %s\n", ctx ? vmm_seccomp_last_error(ctx) : "no context");
		return 90;
	}
	if (vmm_seccomp_thread_create(ctx, &t, NULL, VMM_SECCOMP_ROLE_VMM, "vmm", vmm_thread, &v) ||
	    pthread_join(t, &ret))
		return 91;
	if (ret) {
		fprintf(stderr, "vmm thread: %s failed\n", (const char *)ret);
		return 92;
	}
	if (vmm_seccomp_thread_create(ctx, &t, NULL, VMM_SECCOMP_ROLE_VCPU, "vcpu0", vcpu_thread,
				      &v) ||
	    pthread_join(t, &ret))
		return 93;
	if (ret) {
		fprintf(stderr, "vcpu thread: %s failed\n", (const char *)ret);
		return 94;
	}
	return v.run->exit_reason == KVM_EXIT_MMIO && v.run->mmio.phys_addr == MMIO_ADDR &&
			       v.run->mmio.is_write && v.run->mmio.len == 8
		       ? 0
		       : 95;
}

static void test_vcpu_runs_the_guest(void **state)
{
	struct child c;
	char want[96];

	(void)state;
	assert_int_equal(run_child(child_vm, (void *)(intptr_t)THEN_NOTHING, TIMEOUT, &c), 0);
	if (!c.exited || c.code)
		fprintf(stderr, "exited=%d code=%d sig=%d out:\n%s\n", c.exited, c.code, c.sig,
			c.out);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
	snprintf(want, sizeof(want), "exit=%u addr=%#llx len=8 write=1 data=%#x", KVM_EXIT_MMIO,
		 MMIO_ADDR, MMIO_VALUE);
	assert_int_equal(count_lines_with(c.out, want, NULL), 1);
	assert_int_equal(
		count_lines_with(c.out, "vmm: ", " registers, vtimer attr ", " possible", NULL), 1);
	/* nothing refused on the way */
	assert_int_equal(count_lines_with(c.out, "vmm_seccomp: ", NULL), 0);
	fputs(c.out, stderr); /* what KVM said, for the log */
}

/* The vCPU thread ran the guest, then a set-up ioctl: its role's layer
 * refuses it (the baseline allows both), so the process dies by SIGSYS
 * with a report naming the thread, the role and the arm64 request. */
static void expect_vcpu_killed(enum then then, const char *request)
{
	struct child c;

	assert_int_equal(run_child(child_vm, (void *)(intptr_t)then, TIMEOUT, &c), 0);
	if (!c.signaled || c.sig != SIGSYS)
		fprintf(stderr, "exited=%d code=%d sig=%d out:\n%s\n", c.exited, c.code, c.sig,
			c.out);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	assert_int_equal(count_lines_with(c.out, "exit=6 addr=0x10000000", NULL), 1);
	assert_int_equal(count_lines_with(c.out, "violation thread=vcpu0 ", " role=vcpu ",
					  " syscall=ioctl nr=29 arch=aarch64 ", request,
					  " action=kill-process", NULL),
			 1);
}

static void test_vcpu_role_refuses_create_vm(void **state)
{
	(void)state;
	expect_vcpu_killed(THEN_CREATE_VM, " request=KVM_CREATE_VM(");
}

static void test_vcpu_role_refuses_arm_setup(void **state)
{
	(void)state;
	expect_vcpu_killed(THEN_PREFERRED_TARGET, " request=KVM_ARM_PREFERRED_TARGET(0x8020aeaf)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_runs_the_guest),
		cmocka_unit_test(test_vcpu_role_refuses_create_vm),
		cmocka_unit_test(test_vcpu_role_refuses_arm_setup),
	};

	/* opened before any filter, as a VMM opens it at start */
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		printf("SKIP arm64 KVM: /dev/kvm: %m (a qemu guest needs -M "
		       "virt,virtualization=on)\n");
		return EXIT_SKIP;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
