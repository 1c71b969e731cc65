/* SPDX-License-Identifier: Apache-2.0 */
#include "vcpu.h"

#include "guest/abi.h"
#include "vmm.h"
#include "vmm_seccomp.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define CR0_PE 0x1ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define CPUID_MAX_ENTRIES 256

static int fail(char *err, size_t errlen, const struct vcpu *v, const char *what)
{
	int e = errno;

	snprintf(err, errlen, "vcpu%u: %s: %s", v->id, what, strerror(e));
	return -e;
}

static int setup_cpuid(struct vcpu *v, char *err, size_t errlen)
{
	struct kvm_cpuid2 *cpuid;
	int rc = 0;

	cpuid = calloc(1, sizeof(*cpuid) + CPUID_MAX_ENTRIES * sizeof(cpuid->entries[0]));
	if (!cpuid) {
		snprintf(err, errlen, "vcpu%u: out of memory", v->id);
		return -ENOMEM;
	}
	cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(v->vmm->vm.kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		rc = fail(err, errlen, v, "KVM_GET_SUPPORTED_CPUID");
		goto out_free;
	}
	/* Each vCPU reports its own APIC ID. */
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffU) | (v->id << 24);
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = v->id;
	}
	if (ioctl(v->fd, KVM_SET_CPUID2, cpuid) < 0)
		rc = fail(err, errlen, v, "KVM_SET_CPUID2");
out_free:
	free(cpuid);
	return rc;
}

int vcpu_create(struct vcpu *v, struct vmm *vmm, unsigned id, char *err, size_t errlen)
{
	void *run;
	int rc;

	v->vmm = vmm;
	v->id = id;
	v->started = false;
	snprintf(v->name, sizeof(v->name), "vcpu%u", id);
	v->fd = ioctl(vmm->vm.vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return fail(err, errlen, v, "KVM_CREATE_VCPU");
	run = mmap(NULL, (size_t)vmm->vm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED) {
		rc = fail(err, errlen, v, "mmap of kvm_run");
		goto err_close_vcpu;
	}
	v->run = run;
	rc = setup_cpuid(v, err, errlen);
	if (rc < 0)
		goto err_unmap_run;
	return 0;

err_unmap_run:
	munmap(v->run, (size_t)vmm->vm.run_size);
	v->run = NULL;
err_close_vcpu:
	close(v->fd);
	v->fd = -1;
	return rc;
}

int vcpu_boot(struct vcpu *v, uint64_t rip, uint64_t rdi, uint64_t rsi, uint64_t rsp, bool runnable,
	      char *err, size_t errlen)
{
	struct kvm_segment code = {
		.base = 0,
		.limit = 0xffffffff,
		.selector = GUEST_CODE_SEL,
		.type = 0xb,
		.present = 1,
		.dpl = 0,
		.db = 0,
		.s = 1,
		.l = 1,
		.g = 1,
	};
	struct kvm_segment data = {
		.base = 0,
		.limit = 0xffffffff,
		.selector = GUEST_DATA_SEL,
		.type = 0x3,
		.present = 1,
		.dpl = 0,
		.db = 1,
		.s = 1,
		.l = 0,
		.g = 1,
	};
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	/* Start from KVM's reset state: it holds the APIC base and the
	 * segment caches we do not set. */
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return fail(err, errlen, v, "KVM_GET_SREGS");
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.tr = (struct kvm_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	sregs.ldt = (struct kvm_segment){ .limit = 0xffff, .type = 0x2, .present = 1 };
	sregs.gdt.base = GUEST_GDT;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = CR0_PE | CR0_PG;
	sregs.cr3 = GUEST_PML4;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return fail(err, errlen, v, "KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2; /* reserved bit; interrupts off */
	regs.rip = rip;
	regs.rdi = rdi;
	regs.rsi = rsi;
	regs.rsp = rsp;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return fail(err, errlen, v, "KVM_SET_REGS");
	/* Application processors start UNINITIALIZED (waiting for SIPI). */
	if (runnable && v->id != 0 && ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return fail(err, errlen, v, "KVM_SET_MP_STATE");
	return 0;
}

static void kick_handler(int sig)
{
	(void)sig;
}

int vcpu_install_kick_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL) < 0 ? -errno : 0;
}

void vcpu_kick(struct vcpu *v)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (v->started)
		pthread_kill(v->thread, SIGUSR1);
}

/* Ends the VM because this vCPU cannot go on. */
static void crash(struct vcpu *v, const char *what)
{
	struct kvm_regs regs;
	char why[256];

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		memset(&regs, 0, sizeof(regs));
	snprintf(why, sizeof(why), "vcpu%u: %s (RIP=0x%llx RSP=0x%llx)", v->id, what,
		 (unsigned long long)regs.rip, (unsigned long long)regs.rsp);
	vmm_request_exit(v->vmm, EXIT_GUEST_CRASH, why);
}

/*
 * --bench-split, half-way through the benchmark exits: this thread installs
 * the baseline on every thread and enters role vcpu (nothing happens in
 * mode off: the same calls, for a control run), then times the rest.
 */
static bool bench_split_filters(struct vcpu *v, const struct timespec *now)
{
	struct vmm *vmm = v->vmm;
	char why[160];

	vmm->bench_mid = *now;
	if (vmm_seccomp_apply_process(vmm->sc) < 0 ||
	    vmm_seccomp_enter_role(vmm->sc, VMM_SECCOMP_ROLE_VCPU, v->name) < 0) {
		snprintf(why, sizeof(why), "--bench-split: %s", vmm_seccomp_last_error(vmm->sc));
		vmm_request_exit(vmm, EXIT_GUEST_CRASH, why);
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &vmm->bench_resumed);
	return true;
}

/* One port access of `size` bytes at `data`; false if the vCPU must stop. */
static bool pio(struct vcpu *v, uint16_t port, uint8_t *data, unsigned size, bool out)
{
	struct vmm *vmm = v->vmm;

	if (port >= PORT_SERIAL && port < PORT_SERIAL + 8 && size == 1) {
		serial_io(&vmm->serial, port - PORT_SERIAL, out, data);
	} else if (port == PORT_POWER_OFF && out) {
		vmm_request_exit(vmm, data[0], NULL);
		return false;
	} else if (port == PORT_BENCH && out) {
		/* The benchmark: only the round trip counts.  One vCPU writes here. */
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (vmm->bench_exits++ == 0) {
			vmm->bench_first = now;
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &vmm->bench_cpu_first);
		}
		vmm->bench_last = now;
		if (vmm->bench_exits == vmm->bench_iterations)
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &vmm->bench_cpu_last);
		if (vmm->bench_split && vmm->bench_exits == vmm->bench_iterations / 2)
			return bench_split_filters(v, &now);
	} else if (!out) {
		/* Nothing there: the bus floats high. */
		memset(data, 0xff, size);
	}
	return true;
}

/* Handles the exit KVM_RUN returned; false if the vCPU must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char what[128];

	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *data = (uint8_t *)run + run->io.data_offset;
		bool out = run->io.direction == KVM_EXIT_IO_OUT;

		for (uint32_t i = 0; i < run->io.count; i++)
			if (!pio(v, run->io.port, data + (size_t)i * run->io.size, run->io.size,
				 out))
				return false;
		return true;
	}
	case KVM_EXIT_MMIO:
		vmm_mmio(v->vmm, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			 run->mmio.is_write);
		return true;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		crash(v, "the guest shut down (triple fault)");
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "KVM could not enter the guest (reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		crash(v, what);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "KVM internal error (suberror %u)",
			 run->internal.suberror);
		crash(v, what);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vmm_request_exit(v->vmm, 0, "the guest asked for a shut-down or reset");
		return false;
	default:
		snprintf(what, sizeof(what), "unexpected KVM exit reason %u", run->exit_reason);
		crash(v, what);
		return false;
	}
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;

	if (vmm_vcpu_should_stop(v->vmm))
		return NULL;
	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* Kicked: clear the request first, then look why, so a
				 * kick that comes in between is not lost. */
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				if (vmm_vcpu_should_stop(v->vmm))
					break;
				continue;
			}
			crash(v, strerror(errno));
			break;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->vmm->vm.run_size);
	v->run = NULL;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}
