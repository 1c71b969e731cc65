/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sample-vmm: a small KVM VMM whose every thread runs under its role's
 * seccomp filter (vmm_seccomp).  Options, start-up, the event loop.
 *
 * Start-up order matters for the filters: the baseline goes in before any
 * other thread exists; everything that needs a syscall no role allows
 * (opening files, creating the VM and its vCPUs, eventfds) is done by the
 * main thread before the role threads start; each role thread is created by
 * the main thread (a thread inherits its creator's filters) before the main
 * thread itself enters role `vmm` and runs the event loop.
 */
#include "api.h"
#include "guest/abi.h"
#include "guest_image.h"
#include "loader.h"
#include "options.h"
#include "seccomp.h"
#include "signals.h"
#include "vmm.h"

#include "vmm_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_SIZE (256ULL << 20)
#define LINUX_STACK 0x6ff0ULL

/* Reads a whole file (at most MAX_FILE_SIZE) into a new buffer. */
static int read_file(const char *opt, const char *path, void **buf, size_t *len, char *err,
		     size_t errlen)
{
	struct stat st;
	size_t done = 0;
	char *p;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", opt, path);
		rc = -EINVAL;
		goto err_close;
	}
	if ((unsigned long long)st.st_size > MAX_FILE_SIZE) {
		snprintf(err, errlen, "%s %s: %lld bytes: larger than %llu MiB", opt, path,
			 (long long)st.st_size, MAX_FILE_SIZE >> 20);
		rc = -EFBIG;
		goto err_close;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		snprintf(err, errlen, "%s %s: out of memory", opt, path);
		rc = -ENOMEM;
		goto err_close;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, p + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s %s: %s", opt, path,
				 n < 0 ? strerror(errno) : "file shrank while read");
			rc = n < 0 ? -errno : -EIO;
			free(p);
			goto err_close;
		}
		done += (size_t)n;
	}
	close(fd);
	*buf = p;
	*len = done;
	return 0;

err_close:
	close(fd);
	return rc;
}

/* Turns the message in err into "OPT VALUE: message" (the other modules'
 * messages do not know which option they came from). */
static void prefix_error(char *err, size_t errlen, const char *opt, const char *value)
{
	char prefix[PATH_MAX + 32];
	size_t p, n = strlen(err);

	snprintf(prefix, sizeof(prefix), "%s %s: ", opt, value);
	p = strlen(prefix);
	if (p >= errlen)
		return;
	if (p + n >= errlen)
		n = errlen - p - 1;
	memmove(err + p, err, n);
	memcpy(err, prefix, p);
	err[p + n] = 0;
}

/* ---- signals --------------------------------------------------------------- */

static int install_signals(char *err, size_t errlen)
{
	struct sigaction sa;

	if (vcpu_install_kick_handler() < 0) {
		snprintf(err, errlen, "sigaction(SIGUSR1): %s", strerror(errno));
		return -errno;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* A closed stdout must not kill the VMM; serial output just stops. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* The stop signals go to the signal thread (signals.h). */
	return signals_block(err, errlen);
}

/* ---- Landlock: what is opened after the baseline -------------------------- */

/*
 * vmm_seccomp_apply_process() puts every thread into the process's Landlock
 * domain before setup() opens what the options name, so each of those
 * gets a rule derived from its option (as Cloud Hypervisor derives its
 * own, vmm/src/landlock.rs).  What main() opens before apply needs none:
 * the --seccomp-policy directory (sc_setup()) and the --serial-out file
 * (opened early for this: a file that does not exist yet would need
 * create on its whole directory).
 */
static int landlock_setup(struct vmm *vmm, const struct options *o, char *err, size_t errlen)
{
	char dir[PATH_MAX], rule[PATH_MAX + 32];
	int rc = 0;

	if (!o->landlock)
		return vmm_seccomp_set_landlock(vmm->sc, VMM_SECCOMP_LANDLOCK_OFF);
	/* what each device's create() opens */
	for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS && !rc; i++)
		if (vmm->devices[i].type && vmm->devices[i].type->landlock)
			rc = vmm->devices[i].type->landlock(&vmm->devices[i], vmm->sc,
							    &vmm->landlock, err, errlen);
	/* opened after apply too, by vm_create(), like every KVM descriptor */
	if (!rc)
		rc = sc_add_file_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_PROCESS, NULL,
				      "/dev/kvm", "read+write", err, errlen);
	if (!rc && o->guest)
		rc = sc_add_file_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_PROCESS, "--guest",
				      o->guest, "ro", err, errlen);
	if (!rc && o->kernel)
		rc = sc_add_file_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_PROCESS, "--kernel",
				      o->kernel, "ro", err, errlen);
	if (!rc && o->initrd)
		rc = sc_add_file_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_PROCESS, "--initrd",
				      o->initrd, "ro", err, errlen);
	if (!rc && o->api_sock) {
		rc = api_socket_dir(o->api_sock, dir, sizeof(dir), err, errlen);
		if (rc < 0) {
			prefix_error(err, errlen, "--api-sock", o->api_sock);
			return rc;
		}
		/* api_server_new(): bind, and unlink of a stale socket */
		snprintf(rule, sizeof(rule), "%s:create+socket+connect", dir);
		rc = sc_add_path_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_PROCESS,
				      "--api-sock", rule, err, errlen);
		/* api_server_free() at shut-down, on the vmm thread: its unlink is
		 * the one path a role's thread touches (the vCPU, device and API
		 * threads only use descriptors opened for them: no path at all) */
		snprintf(rule, sizeof(rule), "%s:create", dir);
		if (!rc)
			rc = sc_add_path_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_VMM,
					      "--api-sock", rule, err, errlen);
	}
	for (unsigned i = 0; i < o->nlandlock_rules && !rc; i++)
		rc = sc_add_path_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_PROCESS,
				      "--landlock-rule", o->landlock_rules[i], err, errlen);
	return rc;
}

/* Before the baseline: see landlock_setup(). */
static int open_serial_out(struct vmm *vmm, const struct options *o, char *err, size_t errlen)
{
	if (!o->serial_out)
		return 0;
	vmm->serial_fd = open(o->serial_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (vmm->serial_fd < 0) {
		int rc = -errno;

		snprintf(err, errlen, "--serial-out %s: %s", o->serial_out, strerror(-rc));
		return rc;
	}
	return 0;
}

/* ---- start-up ------------------------------------------------------------- */

/* The devices the options name, in their slots (not yet created), their
 * options checked.  0 or -EINVAL with a message in err. */
static int vmm_init(struct vmm *vmm, const struct options *o, char *err, size_t errlen)
{
	memset(vmm, 0, sizeof(*vmm));
	vmm->vm.kvm_fd = vmm->vm.vm_fd = -1;
	vmm->exit_fd = vmm->action_fd = vmm->epoll_fd = vmm->serial_fd = -1;
	vmm->signals.sfd = vmm->signals.stop_fd = -1;
	for (unsigned i = 0; i < GUEST_MAX_VCPUS; i++)
		vmm->vcpus[i].fd = -1;
	pthread_mutex_init(&vmm->lock, NULL);
	pthread_cond_init(&vmm->resume, NULL);
	clock_gettime(CLOCK_MONOTONIC, &vmm->started);
	for (unsigned i = 0; device_types[i]; i++) {
		if (!options_has_device(o, i))
			continue;
		vmm->devices[i].type = device_types[i];
		vmm->devices[i].slot = i;
		for (unsigned j = 0; j < DEVICE_OPTIONS_MAX; j++)
			vmm->devices[i].args[j] = o->device_args[i][j];
		if (device_types[i]->check && device_types[i]->check(&vmm->devices[i], err, errlen))
			return -EINVAL;
	}
	return 0;
}

static int load_linux(struct vmm *vmm, const struct options *o, struct linux_boot *boot, char *err,
		      size_t errlen)
{
	void *kernel = NULL, *initrd = NULL;
	size_t klen = 0, ilen = 0, used;
	char *cmdline;
	size_t clen;
	int rc;

	rc = read_file("--kernel", o->kernel, &kernel, &klen, err, errlen);
	if (rc < 0)
		return rc;
	if (o->initrd) {
		rc = read_file("--initrd", o->initrd, &initrd, &ilen, err, errlen);
		if (rc < 0)
			goto out_free_kernel;
	}
	/* " virtio_mmio.device=4K@0xd0000000:5" per device */
	clen = (o->cmdline ? strlen(o->cmdline) : 0) + 32 + (size_t)VIRTIO_MMIO_SLOTS * 48;
	cmdline = malloc(clen);
	if (!cmdline) {
		snprintf(err, errlen, "--cmdline: out of memory");
		rc = -ENOMEM;
		goto out_free_initrd;
	}
	used = (size_t)snprintf(cmdline, clen, "%s%sconsole=ttyS0", o->cmdline ? o->cmdline : "",
				o->cmdline ? " " : "");
	for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS; i++)
		if (vmm->devices[i].type)
			used += (size_t)snprintf(cmdline + used, clen - used,
						 " virtio_mmio.device=4K@0x%llx:%u",
						 VIRTIO_MMIO_SLOT_BASE(i), VIRTIO_MMIO_SLOT_GSI(i));
	rc = loader_load_linux(vmm->vm.mem.host, vmm->vm.mem.size, kernel, klen, initrd, ilen,
			       cmdline, boot, err, errlen);
	if (rc < 0)
		prefix_error(err, errlen, "--kernel", o->kernel);
	free(cmdline);
out_free_initrd:
	free(initrd);
out_free_kernel:
	free(kernel);
	return rc;
}

static int load_guest(struct vmm *vmm, const struct options *o, uint64_t *entry, char *err,
		      size_t errlen)
{
	struct guest_boot_info *bi = guest_ptr(&vmm->vm.mem, GUEST_BOOT_INFO, sizeof(*bi));
	void *image = NULL;
	size_t len = sample_guest_image_size;
	char name[PATH_MAX + 16];
	int rc;

	if (o->guest) {
		rc = read_file("--guest", o->guest, &image, &len, err, errlen);
		if (rc < 0)
			return rc;
	}
	snprintf(name, sizeof(name), "%s%s", o->guest ? "--guest " : "",
		 o->guest ? o->guest : "built-in guest");
	*entry = guest_image_load(&vmm->vm.mem, image ? image : sample_guest_image, len, name, err,
				  errlen);
	free(image);
	if (!*entry)
		return -EINVAL;
	bi->magic = GUEST_BOOT_MAGIC;
	bi->flags = (o->guest_stay ? GUEST_FLAG_STAY : 0) |
		    (o->demo_device ? GUEST_FLAG_DEMO_EXPLOIT : 0) |
		    (o->guest_hostile ? GUEST_FLAG_HOSTILE : 0) | (o->bench ? GUEST_FLAG_BENCH : 0);
	bi->ncpus = vmm->nvcpus;
	bi->bench_iterations = o->bench;
	bi->mem_size = vmm->vm.mem.size;
	bi->demo_device = o->demo_device ? o->demo_device->device_id : 0;
	return 0;
}

/* Everything before the threads: the main thread still has only the
 * baseline, which allows all of it. */
static int setup(struct vmm *vmm, const struct options *o, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct linux_boot boot;
	uint64_t entry = 0;
	int rc;

	vmm->nvcpus = o->vcpus;
	vmm->bench_iterations = o->bench;
	vmm->bench_split = o->bench_split;
	vmm->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vmm->action_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vmm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (vmm->exit_fd < 0 || vmm->action_fd < 0 || vmm->epoll_fd < 0) {
		snprintf(err, errlen, "event descriptors: %s", strerror(errno));
		return -errno;
	}
	ev.data.fd = vmm->exit_fd;
	if (epoll_ctl(vmm->epoll_fd, EPOLL_CTL_ADD, vmm->exit_fd, &ev) < 0) {
		snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	ev.data.fd = vmm->action_fd;
	if (epoll_ctl(vmm->epoll_fd, EPOLL_CTL_ADD, vmm->action_fd, &ev) < 0) {
		snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	rc = signals_init(&vmm->signals, vmm, err, errlen);
	if (rc < 0)
		return rc;

	serial_init(&vmm->serial, o->serial_out ? vmm->serial_fd : STDOUT_FILENO);

	rc = vm_create(&vmm->vm, (uint64_t)o->mem_mib << 20, err, errlen);
	if (rc < 0)
		return rc;
	vm_write_boot_tables(&vmm->vm);

	for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS; i++) {
		struct device *d = &vmm->devices[i];

		if (!d->type)
			continue;
		rc = d->type->create(d, &vmm->vm, err, errlen);
		if (rc < 0)
			return rc;
		d->created = true;
		if (o->demo_device == d->type) {
			d->mmio->compromised = vmm_demo_compromised;
			d->mmio->compromised_arg = vmm;
		}
	}

	if (o->kernel)
		rc = load_linux(vmm, o, &boot, err, errlen);
	else
		rc = load_guest(vmm, o, &entry, err, errlen);
	if (rc < 0)
		return rc;

	for (unsigned i = 0; i < vmm->nvcpus; i++) {
		struct vcpu *v = &vmm->vcpus[i];

		rc = vcpu_create(v, vmm, i, err, errlen);
		if (rc < 0)
			return rc;
		if (o->kernel) {
			/* Linux starts its application processors itself. */
			if (i == 0)
				rc = vcpu_boot(v, boot.entry, 0, boot.boot_params, LINUX_STACK,
					       true, err, errlen);
		} else {
			rc = vcpu_boot(v, entry, i, vmm->nvcpus,
				       GUEST_STACKS + (i + 1) * GUEST_STACK_SIZE - 8, true, err,
				       errlen);
		}
		if (rc < 0)
			return rc;
	}

	if (o->api_sock) {
		vmm->api_ops.vm_info = vmm_api_vm_info;
		vmm->api_ops.seccomp_info = vmm_api_seccomp_info;
		vmm->api_ops.action = vmm_api_action;
		vmm->api_ops.arg = vmm;
		rc = api_server_new(&vmm->api, o->api_sock, &vmm->api_ops, err, errlen);
		if (rc < 0) {
			prefix_error(err, errlen, "--api-sock", o->api_sock);
			return rc;
		}
	}
	return 0;
}

static int spawn(struct vmm *vmm, pthread_t *t, enum vmm_seccomp_role role, const char *name,
		 void *(*fn)(void *), void *arg, char *err, size_t errlen)
{
	int rc;

	if (vmm->bench_split) {
		/* no filter yet: the vCPU thread installs them half-way */
		rc = -pthread_create(t, NULL, fn, arg);
		if (rc == 0)
			pthread_setname_np(*t, name);
		if (rc < 0)
			snprintf(err, errlen, "starting thread %s: %s", name, strerror(-rc));
		return rc;
	}
	rc = vmm_seccomp_thread_create(vmm->sc, t, NULL, role, name, fn, arg);

	if (rc < 0)
		snprintf(err, errlen, "starting thread %s: %s", name,
			 vmm_seccomp_last_error(vmm->sc));
	return rc;
}

static int start_threads(struct vmm *vmm, char *err, size_t errlen)
{
	int rc;

	/* first: a signal sent during start-up waits, blocked, until it runs */
	rc = spawn(vmm, &vmm->signals_thread, VMM_SECCOMP_ROLE_SIGNAL_HANDLER, "signal-handler",
		   signals_thread, &vmm->signals, err, errlen);
	if (rc < 0)
		return rc;
	vmm->signals_started = true;
	for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS; i++) {
		struct device *d = &vmm->devices[i];

		if (!d->created)
			continue;
		rc = spawn(vmm, &d->thread, d->type->role, d->type->name, virtio_mmio_thread,
			   d->mmio, err, errlen);
		if (rc < 0)
			return rc;
		d->started = true;
		for (unsigned w = 0; w < d->nworkers; w++) {
			struct device_worker *k = &d->workers[w];

			rc = spawn(vmm, &k->thread, k->role, k->name, k->fn, k->arg, err, errlen);
			if (rc < 0)
				return rc;
			k->started = true;
		}
	}
	if (vmm->api) {
		rc = spawn(vmm, &vmm->api_thread, VMM_SECCOMP_ROLE_API, "api", api_server_run,
			   vmm->api, err, errlen);
		if (rc < 0)
			return rc;
		vmm->api_started = true;
	}
	for (unsigned i = 0; i < vmm->nvcpus; i++) {
		struct vcpu *v = &vmm->vcpus[i];

		rc = spawn(vmm, &v->thread, VMM_SECCOMP_ROLE_VCPU, v->name, vcpu_thread, v, err,
			   errlen);
		if (rc < 0)
			return rc;
		v->started = true;
	}
	return 0;
}

static void stop_threads(struct vmm *vmm)
{
	pthread_mutex_lock(&vmm->lock);
	vmm->stopping = true;
	pthread_cond_broadcast(&vmm->resume);
	pthread_mutex_unlock(&vmm->lock);
	for (unsigned i = 0; i < vmm->nvcpus; i++) {
		if (!vmm->vcpus[i].started)
			continue;
		vcpu_kick(&vmm->vcpus[i]);
		pthread_join(vmm->vcpus[i].thread, NULL);
		vmm->vcpus[i].started = false;
	}
	for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS; i++) {
		struct device *d = &vmm->devices[i];

		if (d->started) {
			virtio_mmio_stop(d->mmio);
			pthread_join(d->thread, NULL);
			d->started = false;
		}
		if (d->nworkers && d->type->stop_workers)
			d->type->stop_workers(d);
		for (unsigned w = 0; w < d->nworkers; w++) {
			if (!d->workers[w].started)
				continue;
			pthread_join(d->workers[w].thread, NULL);
			d->workers[w].started = false;
		}
	}
	if (vmm->api_started) {
		api_server_stop(vmm->api);
		pthread_join(vmm->api_thread, NULL);
		vmm->api_started = false;
	}
	if (vmm->signals_started) {
		signals_stop(&vmm->signals);
		pthread_join(vmm->signals_thread, NULL);
		vmm->signals_started = false;
	}
}

/* After stop_threads(): frees what setup() made, whatever it got to. */
static void teardown(struct vmm *vmm)
{
	api_server_free(vmm->api);
	vmm->api = NULL;
	for (unsigned i = 0; i < vmm->nvcpus; i++)
		vcpu_destroy(&vmm->vcpus[i]);
	for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS; i++) {
		if (!vmm->devices[i].created)
			continue;
		vmm->devices[i].type->destroy(&vmm->devices[i]);
		vmm->devices[i].created = false;
	}
	vm_destroy(&vmm->vm);
	if (vmm->serial_fd >= 0)
		close(vmm->serial_fd);
	if (vmm->epoll_fd >= 0)
		close(vmm->epoll_fd);
	if (vmm->action_fd >= 0)
		close(vmm->action_fd);
	signals_free(&vmm->signals);
	if (vmm->exit_fd >= 0)
		close(vmm->exit_fd);
	vmm_seccomp_free(vmm->sc);
	vmm->sc = NULL;
	sc_landlock_free(&vmm->landlock);
}

/* ---- the event loop (role vmm) -------------------------------------------- */

static int event_loop(struct vmm *vmm)
{
	for (;;) {
		struct epoll_event ev[4];
		int n = epoll_wait(vmm->epoll_fd, ev, 4, -1);
		int code;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "sample-vmm: epoll_wait: %s\n", strerror(errno));
			return EXIT_STARTUP;
		}
		for (int i = 0; i < n; i++) {
			uint64_t count;

			if (read(ev[i].data.fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
				fprintf(stderr, "sample-vmm: eventfd: %s\n", strerror(errno));
		}
		pthread_mutex_lock(&vmm->lock);
		if (vmm->exiting) {
			code = vmm->exit_code;
			pthread_mutex_unlock(&vmm->lock);
			return code;
		}
		if (vmm->paused) {
			for (unsigned i = 0; i < vmm->nvcpus; i++)
				vcpu_kick(&vmm->vcpus[i]);
		} else {
			pthread_cond_broadcast(&vmm->resume);
		}
		pthread_mutex_unlock(&vmm->lock);
	}
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void print_bench(const struct vmm *vmm, const struct timespec *start)
{
	if (vmm->serial.got_first)
		fprintf(stderr, "sample-vmm: bench: first serial byte %.3f ms after start\n",
			ms_between(start, &vmm->serial.first_byte));
	if (vmm->bench_exits > 1 && vmm->bench_exits == vmm->bench_iterations)
		fprintf(stderr,
			"sample-vmm: bench: %llu port-I/O exits, %.3f us per exit, "
			"%.3f us of the vCPU thread's CPU time per exit\n",
			(unsigned long long)vmm->bench_exits,
			ms_between(&vmm->bench_first, &vmm->bench_last) * 1e3 /
				(double)(vmm->bench_exits - 1),
			ms_between(&vmm->bench_cpu_first, &vmm->bench_cpu_last) * 1e3 /
				(double)(vmm->bench_exits - 1));
	if (vmm->bench_split && vmm->bench_exits == vmm->bench_iterations) {
		uint64_t half = vmm->bench_iterations / 2;

		fprintf(stderr,
			"sample-vmm: bench: split: %.3f us per exit before the filters, "
			"%.3f us after\n",
			ms_between(&vmm->bench_first, &vmm->bench_mid) * 1e3 / (double)(half - 1),
			ms_between(&vmm->bench_resumed, &vmm->bench_last) * 1e3 /
				(double)(vmm->bench_exits - half));
	}
}

/* Leaves without atexit handlers: under a sanitizer, LeakSanitizer's
 * exit-time tracer would need syscalls no filter allows. */
static __attribute__((noreturn)) void finish(int code)
{
	fflush(stdout);
	fflush(stderr);
	_exit(code);
}

int main(int argc, char **argv)
{
	static struct vmm vmm;
	struct timespec start;
	struct options o;
	char err[PATH_MAX + 512], line[1024];
	int rc, code;

	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = options_parse(argc, argv, &o, err, sizeof(err));
	if (rc > 0) {
		options_usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: %s (see --help)\n", err);
		return EXIT_STARTUP;
	}
	if (vmm_init(&vmm, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "sample-vmm: %s (see --help)\n", err);
		return EXIT_STARTUP;
	}
	if (install_signals(err, sizeof(err)) < 0) {
		fprintf(stderr, "sample-vmm: %s\n", err);
		return EXIT_STARTUP;
	}
	rc = sc_setup(&vmm.sc, o.seccomp, o.roles, o.nroles, o.seccomp_policy,
		      o.seccomp_allow_dangerous, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: %s\n", err);
		return EXIT_STARTUP;
	}
	rc = landlock_setup(&vmm, &o, err, sizeof(err));
	if (rc == 0)
		rc = open_serial_out(&vmm, &o, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: %s\n", err);
		teardown(&vmm);
		return EXIT_STARTUP;
	}
	/* Before any other thread exists: it must cover every thread (but for
	 * --bench-split, where the vCPU thread installs it half-way). */
	rc = o.bench_split ? 0 : vmm_seccomp_apply_process(vmm.sc);
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: seccomp: %s%s\n", vmm_seccomp_last_error(vmm.sc),
			rc == -EOPNOTSUPP ? " (--landlock false runs without it)" : "");
		teardown(&vmm);
		return EXIT_STARTUP;
	}
	vmm_seccomp_landlock_status(vmm.sc, NULL, line, sizeof(line));
	fprintf(stderr, "sample-vmm: %s\n", line);
	rc = setup(&vmm, &o, err, sizeof(err));
	if (rc == 0)
		rc = start_threads(&vmm, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: %s\n", err);
		stop_threads(&vmm);
		teardown(&vmm);
		finish(EXIT_STARTUP);
	}
	/* Last: role threads were created with the baseline only. */
	rc = o.bench_split ? 0 : vmm_seccomp_enter_role(vmm.sc, VMM_SECCOMP_ROLE_VMM, "vmm");
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: entering role vmm: %s\n",
			vmm_seccomp_last_error(vmm.sc));
		stop_threads(&vmm);
		teardown(&vmm);
		finish(EXIT_STARTUP);
	}
	code = event_loop(&vmm);
	stop_threads(&vmm);
	serial_flush(&vmm.serial);
	if (o.bench)
		print_bench(&vmm, &start);
	teardown(&vmm);
	finish(code);
}
