/* SPDX-License-Identifier: Apache-2.0 */
/* The machine as a whole (kvmtool's struct kvm): what the VMM event loop,
 * the vCPU threads and the devices share, and how any of them ends the VM. */
#ifndef SAMPLE_VMM_VMM_H
#define SAMPLE_VMM_VMM_H

#include "api.h"
#include "device.h"
#include "guest/abi.h"
#include "seccomp.h"
#include "serial.h"
#include "signals.h"
#include "vcpu.h"
#include "vm.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Exit statuses of sample-vmm (also in --help). */
#define EXIT_STARTUP 1	   /* bad option, file, KVM or seccomp set-up */
#define EXIT_GUEST_CRASH 2 /* triple fault, failed entry, emulation error */
#define EXIT_DEMO 3	   /* --demo-exploit: execve was not stopped by seccomp */
/* Otherwise: the byte the guest wrote to PORT_POWER_OFF (0 = success), or 0
 * after PUT /actions shutdown or SIGTERM/SIGINT. */

struct vmm_seccomp;
struct api_server;

struct vmm {
	struct vmm_seccomp *sc;
	struct sc_landlock landlock; /* the Landlock rules declared, for the API */
	struct vm vm;
	unsigned nvcpus;
	struct vcpu vcpus[GUEST_MAX_VCPUS];
	struct serial serial;
	/* devices[slot]: the registered types present (type NULL: slot empty) */
	struct device devices[VIRTIO_MMIO_SLOTS];
	struct api_server *api;
	struct api_ops api_ops; /* its callbacks, with this vmm as their argument */
	pthread_t api_thread;
	bool api_started;
	struct signals signals; /* SIGTERM, SIGINT, SIGHUP: their thread */
	pthread_t signals_thread;
	bool signals_started;
	int epoll_fd;
	int serial_fd;
	uint32_t bench_iterations;
	uint64_t bench_exits; /* PORT_BENCH writes seen (vCPU 0 only writes them) */
	struct timespec bench_first, bench_last;
	/* the vCPU thread's CPU time at the first and the last of them: a
	 * measure that another process sharing the CPU does not inflate */
	struct timespec bench_cpu_first, bench_cpu_last;
	/* --bench-split: no filter until exit bench_iterations / 2 (bench_mid);
	 * the vCPU thread then installs them and goes on (bench_resumed) */
	bool bench_split;
	struct timespec bench_mid, bench_resumed;
	struct timespec started; /* CLOCK_MONOTONIC at start-up, for the API's uptime */

	pthread_mutex_t lock;
	pthread_cond_t resume; /* paused vCPUs wait here */
	bool paused;
	bool stopping; /* threads are being told to end */
	bool exiting;  /* an exit was requested; exit_code holds its status */
	int exit_code;
	char action[16]; /* a pending API action, "" if none */
	int exit_fd;	 /* eventfd: a vCPU, a device or the signal thread ends the VM */
	int action_fd;	 /* eventfd: the API thread posted an action */
};

/* Any thread: ends the VM with `code` (the first request wins) and wakes
 * the event loop.  `why` (may be NULL) goes to stderr. */
void vmm_request_exit(struct vmm *vmm, int code, const char *why);

/* vCPU thread, after a kick: waits while the VM is paused; true if the
 * thread must end. */
bool vmm_vcpu_should_stop(struct vmm *vmm);

/* A guest MMIO access no in-kernel device took (vCPU thread). */
void vmm_mmio(struct vmm *vmm, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

/* The API's callbacks (api.h), with the vmm as their argument. */
int vmm_api_vm_info(void *vmm, char *buf, size_t len);
int vmm_api_seccomp_info(void *vmm, char *buf, size_t len);
int vmm_api_action(void *vmm, const char *action);

/* --demo-exploit: what a compromised device thread would do next (the
 * transport's `compromised` hook, argument the vmm). */
void vmm_demo_compromised(struct virtio_mmio *dev, void *vmm);

#endif
