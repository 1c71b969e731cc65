/* SPDX-License-Identifier: Apache-2.0 */
/* vCPUs: created and fully set up by the main thread (CPUID, long mode,
 * registers, MP state), then run by one thread each in role `vcpu`, which
 * may only KVM_RUN and touch its own registers and state. */
#ifndef SAMPLE_VMM_VCPU_H
#define SAMPLE_VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmm;

struct vcpu {
	struct vmm *vmm;
	unsigned id;
	int fd;
	struct kvm_run *run; /* mapped before the thread starts */
	pthread_t thread;
	bool started;
	char name[16];
};

/* KVM_CREATE_VCPU, the kvm_run mapping and CPUID.  0 or -errno with a
 * message in err; on error nothing is left. */
int vcpu_create(struct vcpu *v, struct vmm *vmm, unsigned id, char *err, size_t errlen);

/* Puts the vCPU in 64-bit long mode on the VMM's page tables and GDT at
 * `rip` with RDI, RSI and RSP given; runnable or left UNINITIALIZED (an
 * application processor waiting for INIT/SIPI).  0 or -errno, err set. */
int vcpu_boot(struct vcpu *v, uint64_t rip, uint64_t rdi, uint64_t rsi, uint64_t rsp, bool runnable,
	      char *err, size_t errlen);

/* The vCPU thread's body (argument: the vcpu). */
void *vcpu_thread(void *arg);

/* Makes KVM_RUN return soon (immediate_exit plus SIGUSR1), from any thread.
 * The SIGUSR1 handler must be installed (vcpu_install_kick_handler). */
void vcpu_kick(struct vcpu *v);

/* An empty SIGUSR1 handler: the signal's only job is to interrupt KVM_RUN.
 * Installed before the filters. */
int vcpu_install_kick_handler(void);

/* Unmaps and closes; accepts a vCPU never created (fd -1). */
void vcpu_destroy(struct vcpu *v);

#endif
