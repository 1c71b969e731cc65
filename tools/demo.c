/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmm-seccomp-demo: the library at work, until the sample VMM lands.
 *
 * A supervisor process forks the "VMM".  The VMM applies the process
 * baseline, starts one thread per role, each doing that role's legitimate
 * work, prints what each did, then lets a compromised virtio_block thread
 * try execve("/bin/sh").  The supervisor prints how the VMM ended.
 *
 * Usage: vmm-seccomp-demo [CONFIG]   (CONFIG as VMM_SECCOMP, e.g. "log")
 */
#include "vmm_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

static int running_on_valgrind(void)
{
#ifdef HAVE_VALGRIND_H
	return RUNNING_ON_VALGRIND;
#else
	return 0;
#endif
}

struct demo {
	struct vmm_seccomp *sc;
	int kvm_fd, vm_fd, vcpu_fd;
	int disk_fd;
	int api_pair[2];
	int vsock_pair[2];
	int net_pipe[2];
	int wake_fd;
};

static void say(const char *role, const char *what)
{
	printf("  %-15s %s\n", role, what);
	fflush(stdout);
}

static void *vmm_loop(void *p)
{
	struct demo *d = p;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	uint64_t one = 1;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, d->wake_fd, &ev) ||
	    write(d->wake_fd, &one, sizeof(one)) != sizeof(one) ||
	    epoll_wait(ep, &out, 1, 1000) != 1) {
		say("vmm", "event loop FAILED");
		return (void *)(uintptr_t)1;
	}
	close(ep);
	say("vmm", "event loop: epoll on an eventfd, woken once");
	return NULL;
}

/* a vCPU thread reads its registers: x86 all at once, arm64 one at a time */
#if defined(__x86_64__)
#define GET_REGS_NAME "KVM_GET_REGS"
static int get_regs(int vcpu_fd)
{
	struct kvm_regs regs;

	return ioctl(vcpu_fd, KVM_GET_REGS, &regs);
}
#else
#define GET_REGS_NAME "KVM_GET_ONE_REG"
static int get_regs(int vcpu_fd)
{
	uint64_t pc;
	struct kvm_one_reg reg = { KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
					   (offsetof(struct kvm_regs, regs.pc) / sizeof(uint32_t)),
				   (uintptr_t)&pc };

	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &reg);
}
#endif

static void *vcpu_loop(void *p)
{
	struct demo *d = p;
	struct kvm_mp_state mp;

	if (d->vcpu_fd < 0) {
		say("vcpu", "no /dev/kvm here: skipped the vCPU ioctls");
		return NULL;
	}
	if (get_regs(d->vcpu_fd) || ioctl(d->vcpu_fd, KVM_GET_MP_STATE, &mp)) {
		say("vcpu", GET_REGS_NAME " / KVM_GET_MP_STATE FAILED");
		return (void *)(uintptr_t)1;
	}
	say("vcpu", GET_REGS_NAME " and KVM_GET_MP_STATE on its vCPU");
	return NULL;
}

static void *api_loop(void *p)
{
	struct demo *d = p;
	char buf[32];

	if (send(d->api_pair[1], "GET /vm", 7, 0) != 7 ||
	    recv(d->api_pair[0], buf, sizeof(buf), 0) != 7) {
		say("api", "request round trip FAILED");
		return (void *)(uintptr_t)1;
	}
	say("api", "a request over its Unix socket");
	return NULL;
}

static void *block_loop(void *p)
{
	struct demo *d = p;
	char out[512], in[512];

	memset(out, 0xa5, sizeof(out));
	if (pwrite(d->disk_fd, out, sizeof(out), 4096) != (ssize_t)sizeof(out) ||
	    fdatasync(d->disk_fd) ||
	    pread(d->disk_fd, in, sizeof(in), 4096) != (ssize_t)sizeof(in) ||
	    memcmp(in, out, sizeof(in)) != 0) {
		say("virtio_block", "sector round trip FAILED");
		return (void *)(uintptr_t)1;
	}
	say("virtio_block", "wrote, flushed and read back a sector of its disk image");
	return NULL;
}

static void *net_loop(void *p)
{
	struct demo *d = p;
	char frame[64] = "frame", back[64];
	struct iovec iov = { frame, sizeof(frame) }, biov = { back, sizeof(back) };

	if (writev(d->net_pipe[1], &iov, 1) != sizeof(frame) ||
	    readv(d->net_pipe[0], &biov, 1) != sizeof(back)) {
		say("virtio_net", "frame round trip FAILED");
		return (void *)(uintptr_t)1;
	}
	say("virtio_net", "a frame through its backend descriptor");
	return NULL;
}

static void *console_loop(void *p)
{
	(void)p;
	say("virtio_console", "guest console output to the host terminal");
	return NULL;
}

static void *rng_loop(void *p)
{
	unsigned char buf[16];

	(void)p;
	if (getrandom(buf, sizeof(buf), 0) != sizeof(buf)) {
		say("virtio_rng", "getrandom FAILED");
		return (void *)(uintptr_t)1;
	}
	say("virtio_rng", "16 random bytes for the guest");
	return NULL;
}

static void *vsock_loop(void *p)
{
	struct demo *d = p;
	struct msghdr mh = { 0 };
	char buf[8] = "hello";
	struct iovec iov = { buf, sizeof(buf) };

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (sendmsg(d->vsock_pair[0], &mh, 0) != sizeof(buf) ||
	    recvmsg(d->vsock_pair[1], &mh, 0) != sizeof(buf)) {
		say("virtio_vsock", "message round trip FAILED");
		return (void *)(uintptr_t)1;
	}
	say("virtio_vsock", "a message to a host Unix socket");
	return NULL;
}

static void *compromised_block(void *p)
{
	char *const argv[] = { "/bin/sh", "-c", "echo escaped", NULL };
	struct demo *d = p;

	if (running_on_valgrind()) {
		/* valgrind performs execve itself, and a filter refusing one of
		 * valgrind's own syscalls aborts valgrind before any report: show
		 * the same containment with a syscall valgrind passes through. */
		int scratch = 0; /* valgrind's generic ioctl check wants an address */

		say("virtio_block",
		    "compromised: trying ioctl(KVM_CREATE_VM) to open a VM of its own ...");
		if (ioctl(d->kvm_fd, KVM_CREATE_VM, &scratch) < 0)
			printf("  %-15s ioctl failed: %s (the thread goes on)\n", "virtio_block",
			       strerror(errno));
		return NULL;
	}
	say("virtio_block", "compromised: trying execve(\"/bin/sh\") ...");
	execve(argv[0], argv, NULL);
	printf("  %-15s execve failed: %s (the thread goes on)\n", "virtio_block", strerror(errno));
	return NULL;
}

static void open_kvm(struct demo *d)
{
	d->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	d->vm_fd = d->vcpu_fd = -1;
	if (d->kvm_fd < 0)
		return;
	d->vm_fd = ioctl(d->kvm_fd, KVM_CREATE_VM, 0);
	if (d->vm_fd >= 0)
		d->vcpu_fd = ioctl(d->vm_fd, KVM_CREATE_VCPU, 0);
#if defined(__aarch64__)
	/* an arm64 vCPU has registers once set up */
	if (d->vcpu_fd >= 0) {
		struct kvm_vcpu_init init = { 0 };

		if (ioctl(d->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) ||
		    ioctl(d->vcpu_fd, KVM_ARM_VCPU_INIT, &init)) {
			close(d->vcpu_fd);
			d->vcpu_fd = -1;
		}
	}
#endif
}

static int vmm_main(const char *config)
{
	static const struct {
		enum vmm_seccomp_role role;
		const char *name;
		void *(*fn)(void *);
	} threads[] = {
		{ VMM_SECCOMP_ROLE_VMM, "vmm", vmm_loop },
		{ VMM_SECCOMP_ROLE_VCPU, "vcpu0", vcpu_loop },
		{ VMM_SECCOMP_ROLE_API, "api", api_loop },
		{ VMM_SECCOMP_ROLE_VIRTIO_BLOCK, "virtio-blk", block_loop },
		{ VMM_SECCOMP_ROLE_VIRTIO_NET, "virtio-net", net_loop },
		{ VMM_SECCOMP_ROLE_VIRTIO_CONSOLE, "virtio-console", console_loop },
		{ VMM_SECCOMP_ROLE_VIRTIO_RNG, "virtio-rng", rng_loop },
		{ VMM_SECCOMP_ROLE_VIRTIO_VSOCK, "virtio-vsock", vsock_loop },
	};
	struct demo d;
	char disk[] = "/tmp/vmm-seccomp-demo-disk-XXXXXX";
	size_t i;
	int rc, failures = 0;

	d.sc = vmm_seccomp_new();
	if (!d.sc)
		return 1;
	rc = config ? vmm_seccomp_configure(d.sc, config)
		    : vmm_seccomp_configure_from_env(d.sc, NULL);
	if (rc) {
		fprintf(stderr, "demo: %s\n", vmm_seccomp_last_error(d.sc));
		return 2;
	}
	/* Everything the threads need is opened before the filters go in. */
	open_kvm(&d);
	d.disk_fd = mkstemp(disk);
	d.wake_fd = eventfd(0, EFD_CLOEXEC);
	if (d.disk_fd < 0 || ftruncate(d.disk_fd, 1 << 20) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, d.api_pair) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, d.vsock_pair) ||
	    pipe2(d.net_pipe, O_CLOEXEC) || d.wake_fd < 0) {
		perror("demo: set-up");
		return 1;
	}
	unlink(disk);

	rc = vmm_seccomp_apply_process(d.sc);
	if (rc) {
		fprintf(stderr, "demo: %s\n", vmm_seccomp_last_error(d.sc));
		return 2;
	}
	printf("process baseline installed (mode %s); starting one thread per role:\n",
	       vmm_seccomp_mode_name(vmm_seccomp_get_role_mode(d.sc, VMM_SECCOMP_ROLE_PROCESS)));
	fflush(stdout);
	for (i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		pthread_t t;
		void *ret;

		rc = vmm_seccomp_thread_create(d.sc, &t, NULL, threads[i].role, threads[i].name,
					       threads[i].fn, &d);
		if (rc) {
			fprintf(stderr, "demo: %s\n", vmm_seccomp_last_error(d.sc));
			return 2;
		}
		pthread_join(t, &ret);
		failures += ret != NULL;
	}
	printf("all roles did their work%s; now a device thread is compromised:\n",
	       failures ? " (with FAILURES)" : "");
	fflush(stdout);
	{
		pthread_t t;

		rc = vmm_seccomp_thread_create(d.sc, &t, NULL, VMM_SECCOMP_ROLE_VIRTIO_BLOCK,
					       "virtio-blk", compromised_block, &d);
		if (rc) {
			fprintf(stderr, "demo: %s\n", vmm_seccomp_last_error(d.sc));
			return 2;
		}
		pthread_join(t, NULL);
	}
	printf("the VMM survived the attempt: it is not contained in this mode\n");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *config = argc > 1 ? argv[1] : NULL;
	pid_t pid;
	int status;

	if (argc > 2 || (config && config[0] == '-')) {
		fprintf(stderr,
			"usage: %s [CONFIG]   e.g. enforce | log | errno | \"enforce,vcpu=log\"\n",
			argv[0]);
		return 2;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		int rc = vmm_main(config);

		fflush(stdout);
		_exit(rc);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		return 1;
	}
	if (WIFSIGNALED(status)) {
		printf("supervisor: the VMM was stopped by signal %d (%s)%s\n", WTERMSIG(status),
		       strsignal(WTERMSIG(status)),
		       WTERMSIG(status) == SIGSYS ? ": the compromised thread was contained" : "");
		return WTERMSIG(status) == SIGSYS ? 0 : 1;
	}
	printf("supervisor: the VMM exited with status %d\n", WEXITSTATUS(status));
	return WEXITSTATUS(status);
}
