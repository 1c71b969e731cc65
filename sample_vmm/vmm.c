/* SPDX-License-Identifier: Apache-2.0 */
/* The machine's shared state as its threads use it: ending the VM,
 * pausing vCPUs, routing MMIO to the devices, the API's view and actions,
 * and the containment demonstration.  main.c owns the life cycle. */
#include "vmm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void vmm_request_exit(struct vmm *vmm, int code, const char *why)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vmm->lock);
	if (!vmm->exiting) {
		vmm->exiting = true;
		vmm->exit_code = code;
		if (why)
			fprintf(stderr, "sample-vmm: %s\n", why);
	}
	pthread_mutex_unlock(&vmm->lock);
	if (write(vmm->exit_fd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "sample-vmm: exit eventfd: %s\n", strerror(errno));
}

bool vmm_vcpu_should_stop(struct vmm *vmm)
{
	bool stop;

	pthread_mutex_lock(&vmm->lock);
	while (vmm->paused && !vmm->stopping)
		pthread_cond_wait(&vmm->resume, &vmm->lock);
	stop = vmm->stopping;
	pthread_mutex_unlock(&vmm->lock);
	return stop;
}

void vmm_mmio(struct vmm *vmm, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	uint64_t slot = (addr - VIRTIO_MMIO_SLOT_BASE(0)) / VIRTIO_MMIO_SIZE;

	if (addr >= VIRTIO_MMIO_SLOT_BASE(0) && slot < VIRTIO_MMIO_SLOTS &&
	    vmm->devices[slot].created) {
		struct virtio_mmio *dev = vmm->devices[slot].mmio;

		virtio_mmio_access(dev, addr - dev->base, data, len, is_write);
	} else if (!is_write && len <= 8) {
		memset(data, 0xff, len); /* nothing there */
	}
}

/* ---- the API's view ------------------------------------------------------ */

int vmm_api_vm_info(void *arg, char *buf, size_t len)
{
	struct vmm *vmm = arg;
	struct timespec now;
	long long uptime_ms;
	bool paused, first = true;
	size_t used;
	int n;

	pthread_mutex_lock(&vmm->lock);
	paused = vmm->paused;
	pthread_mutex_unlock(&vmm->lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	uptime_ms = (now.tv_sec - vmm->started.tv_sec) * 1000LL +
		    (now.tv_nsec - vmm->started.tv_nsec) / 1000000;
	n = snprintf(buf, len,
		     "{\"state\":\"%s\",\"vcpus\":%u,\"uptime_ms\":%lld,\"memory_mib\":%llu,"
		     "\"devices\":[",
		     paused ? "paused" : "running", vmm->nvcpus, uptime_ms,
		     (unsigned long long)(vmm->vm.mem.size >> 20));
	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS; i++) {
		const struct device *d = &vmm->devices[i];

		if (!d->created)
			continue;
		n = snprintf(buf + used, len - used,
			     "%s{\"type\":\"%s\",\"mmio\":\"0x%llx\",\"gsi\":%u,\"role\":\"%s\"",
			     first ? "" : ",", d->type->name, VIRTIO_MMIO_SLOT_BASE(i),
			     VIRTIO_MMIO_SLOT_GSI(i),
			     vmm_seccomp_get_role_name(vmm->sc, d->type->role));
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
		if (d->type->info) {
			n = d->type->info(d, buf + used, len - used);
			if (n < 0)
				return -1;
			used += (size_t)n;
		}
		if (used + 1 >= len)
			return -1;
		buf[used++] = '}';
		first = false;
	}
	n = snprintf(buf + used, len - used, "]}");
	return n < 0 || (size_t)n >= len - used ? -1 : (int)(used + (size_t)n);
}

int vmm_api_seccomp_info(void *arg, char *buf, size_t len)
{
	struct vmm *vmm = arg;

	return sc_info_json(vmm->sc, &vmm->landlock, buf, len);
}

/* On the API thread: records the request; the event loop carries it out. */
int vmm_api_action(void *arg, const char *action)
{
	struct vmm *vmm = arg;
	uint64_t one = 1;
	int rc = 0;

	pthread_mutex_lock(&vmm->lock);
	if (strcmp(action, "pause") != 0 && strcmp(action, "resume") != 0 &&
	    strcmp(action, "shutdown") != 0) {
		rc = -EINVAL;
	} else if (vmm->exiting) {
		rc = -EBUSY;
	} else if (!strcmp(action, "pause")) {
		if (vmm->paused)
			rc = -EBUSY;
		vmm->paused = true;
	} else if (!strcmp(action, "resume")) {
		if (!vmm->paused)
			rc = -EBUSY;
		vmm->paused = false;
	} else {
		vmm->exiting = true;
		vmm->exit_code = 0;
		fprintf(stderr, "sample-vmm: API: shutting down\n");
	}
	pthread_mutex_unlock(&vmm->lock);
	if (rc == 0 && write(vmm->action_fd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return rc;
}

/* ---- --demo-exploit -------------------------------------------------------- */

/*
 * The demo chain "takes over" the device thread, which then does what an
 * attacker would do next.  argv is an invalid pointer, so that without
 * seccomp the kernel fails the call with EFAULT instead of running a
 * shell; under enforcement the filter stops it before that.
 */
void vmm_demo_compromised(struct virtio_mmio *dev, void *arg)
{
	/* volatile: the compiler must not reason about the bogus pointer. */
	char *const *volatile bad_argv = (char *const *)(uintptr_t)1;
	char *const envp[] = { NULL };
	char why[200];
	int e;

	execve("/bin/sh", bad_argv, envp);
	e = errno;
	if (e == EFAULT)
		snprintf(why, sizeof(why),
			 "%s: execve reached the kernel (EFAULT): a compromised device thread "
			 "could have run a shell",
			 dev->name);
	else
		snprintf(why, sizeof(why),
			 "%s: execve failed with %s (seccomp errno mode refused it, or it never "
			 "reached the kernel)",
			 dev->name, strerror(e));
	vmm_request_exit(arg, EXIT_DEMO, why);
}
