/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live enforcement: every case installs real filters in a forked child and
 * the parent asserts how the child ended (exit status or signal) and what
 * it reported.  Nothing here trusts the library's own bookkeeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"
#include "live_util.h"
#include "vmm_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT 60

/* ---- helpers run inside the children ---- */

static struct vmm_seccomp *new_ctx(const char *config)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();

	if (!ctx)
		_exit(90);
	if (config && vmm_seccomp_configure(ctx, config)) {
		fprintf(stderr, "configure: %s\n", vmm_seccomp_last_error(ctx));
		_exit(91);
	}
	return ctx;
}

static struct vmm_seccomp *apply(const char *config)
{
	struct vmm_seccomp *ctx = new_ctx(config);

	if (vmm_seccomp_apply_process(ctx)) {
		fprintf(stderr, "apply: %s\n", vmm_seccomp_last_error(ctx));
		_exit(92);
	}
	return ctx;
}

struct in_role {
	enum vmm_seccomp_role role;
	void *(*fn)(void *);
	void *arg;
};

/* Runs fn in a thread of `role`; returns what the thread returned as int. */
static int run_in_role(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, void *(*fn)(void *),
		       void *arg)
{
	pthread_t t;
	void *ret = NULL;
	int rc = vmm_seccomp_thread_create(ctx, &t, NULL, role, vmm_seccomp_role_name(role), fn,
					   arg);

	if (rc) {
		fprintf(stderr, "thread_create: %s\n", vmm_seccomp_last_error(ctx));
		return 93;
	}
	pthread_join(t, &ret);
	return (int)(intptr_t)ret;
}

/* How reports name this build's syscalls: its arch, its numbers. */
#define STR(x) #x
#define NR(sys) STR(sys)
#if defined(__aarch64__)
#define NATIVE_ARCH " arch=aarch64 "
#else
#define NATIVE_ARCH " arch=x86_64 "
#endif

#define FAIL_IF(cond)                                                                       \
	do {                                                                                \
		if (cond) {                                                                 \
			fprintf(stderr, "check failed at %s:%d: %s (errno %d)\n", __FILE__, \
				__LINE__, #cond, errno);                                    \
			return (void *)(intptr_t)1;                                         \
		}                                                                           \
	} while (0)

/* What every thread does under glibc, whatever its role. */
static void *common_work(void)
{
	struct timespec ts = { 0, 1000 };
	struct timeval tv;
	unsigned int cpu;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	char *big = malloc(64 << 20), *small[64];
	int i;

	FAIL_IF(!big);
	memset(big, 1, 1 << 20);
	free(big);
	for (i = 0; i < 64; i++)
		small[i] = malloc((size_t)(i + 1) * 100);
	for (i = 0; i < 64; i++)
		free(small[i]);
	/* Enough freed at the top of this thread's arena to shrink its heap,
	 * which makes glibc read /proc/sys/vm/overcommit_memory the first
	 * time (vmm_seccomp_apply_process() has that happen beforehand). */
	for (i = 0; i < 8; i++)
		FAIL_IF(!(small[i] = malloc(64 << 10)));
	for (i = 8; i-- > 0;)
		free(small[i]);
	FAIL_IF(printf("stdio from a filtered thread\n") < 0 || fflush(stdout));
	/* time as glibc gets it without the vDSO: the syscalls themselves */
	FAIL_IF(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts));
	FAIL_IF(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &ts));
	FAIL_IF(syscall(SYS_gettimeofday, &tv, NULL));
#ifdef SYS_time /* (not on aarch64) */
	FAIL_IF(syscall(SYS_time, NULL) < 0);
#endif
	FAIL_IF(syscall(SYS_getcpu, &cpu, NULL, NULL));
	FAIL_IF(clock_gettime(CLOCK_REALTIME, &ts));
	FAIL_IF(nanosleep(&(struct timespec){ 0, 1000 }, NULL));
	FAIL_IF(sched_yield());
	FAIL_IF(pthread_mutex_lock(&m) || pthread_mutex_unlock(&m));
	return NULL;
}

/* Where the tests' Unix sockets are bound (main() makes it). */
static char sock_dir[] = "/tmp/vmm-seccomp-live-XXXXXX";

/* Descriptors opened before the filters, as a VMM does. */
static struct fds {
	int kvm, vm, vcpu;
	int disk;
	int efd;
	int pipe[2];
	int listen_fd;
	int api_client; /* connected to listen_fd, not accepted yet */
	struct sockaddr_un addr;
	socklen_t addrlen;
	int memfd;    /* shared guest memory, as vhost-user backends need it */
	char *guest;  /* ... mapped: GUEST_PAGES pages */
	int vhost[2]; /* a vhost-user connection: frontend, backend */
	int epoll;    /* a runtime worker's epoll instance */
} fds;

#define GUEST_PAGES 16

#if defined(__aarch64__)
static struct kvm_vcpu_init vcpu_init; /* the VMM's choice, for a vCPU's reset */
#endif

static void open_fds(void)
{
	char disk[] = "/tmp/vmm-seccomp-test-XXXXXX";

	fds.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	fds.vm = fds.kvm >= 0 ? ioctl(fds.kvm, KVM_CREATE_VM, 0) : -1;
	fds.vcpu = fds.vm >= 0 ? ioctl(fds.vm, KVM_CREATE_VCPU, 0) : -1;
#if defined(__aarch64__)
	/* an arm64 vCPU has no registers to read before its set-up */
	if (fds.vcpu >= 0 && (ioctl(fds.vm, KVM_ARM_PREFERRED_TARGET, &vcpu_init) ||
			      ioctl(fds.vcpu, KVM_ARM_VCPU_INIT, &vcpu_init)))
		_exit(94);
#endif
	fds.disk = mkstemp(disk);
	if (fds.disk < 0 || ftruncate(fds.disk, 1 << 20))
		_exit(94);
	unlink(disk);
	fds.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fds.efd < 0 || pipe2(fds.pipe, O_CLOEXEC))
		_exit(94);
	/* A pathname Unix socket, as a VMM's API socket and the host
	 * services of hybrid vsock are (an abstract one is out of a Landlock
	 * domain's reach), in the directory main() made and removes. */
	memset(&fds.addr, 0, sizeof(fds.addr));
	fds.addr.sun_family = AF_UNIX;
	snprintf(fds.addr.sun_path, sizeof(fds.addr.sun_path), "%s/%d.sock", sock_dir, getpid());
	fds.addrlen = (socklen_t)sizeof(fds.addr);
	fds.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds.listen_fd < 0 || bind(fds.listen_fd, (struct sockaddr *)&fds.addr, fds.addrlen) ||
	    listen(fds.listen_fd, 4))
		_exit(94);
	fds.memfd = memfd_create("guest", MFD_CLOEXEC);
	if (fds.memfd < 0 || ftruncate(fds.memfd, (off_t)GUEST_PAGES * getpagesize()))
		_exit(94);
	fds.guest = mmap(NULL, (size_t)GUEST_PAGES * getpagesize(), PROT_READ | PROT_WRITE,
			 MAP_SHARED, fds.memfd, 0);
	if (fds.guest == MAP_FAILED ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.vhost) ||
	    (fds.epoll = epoll_create1(EPOLL_CLOEXEC)) < 0)
		_exit(94);
	/* The API thread accepts; its clients connect from elsewhere (here,
	 * before the filters). */
	fds.api_client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds.api_client < 0 ||
	    connect(fds.api_client, (struct sockaddr *)&fds.addr, fds.addrlen))
		_exit(94);
	/* Role threads print; keep the test's own output clean. */
	if (!freopen("/dev/null", "w", stdout))
		_exit(94);
}

static void *eventfd_roundtrip(void)
{
	uint64_t v = 1;
	struct pollfd p = { .fd = fds.efd, .events = POLLIN };

	FAIL_IF(write(fds.efd, &v, sizeof(v)) != sizeof(v));
	FAIL_IF(ppoll(&p, 1, &(struct timespec){ 1, 0 }, NULL) != 1);
	FAIL_IF(poll(&p, 1, 1000) != 1);
	FAIL_IF(read(fds.efd, &v, sizeof(v)) != sizeof(v) || v != 1);
	return NULL;
}

static void *plain_thread(void *arg)
{
	return arg;
}

static void *vmm_work(void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct itimerspec its = { { 0, 0 }, { 0, 1000000 } };
	pthread_t t;
	void *ret = (void *)1;
	uint64_t v = 1;
	int ep, tfd, fd;

	(void)arg;
	FAIL_IF(common_work());
	FAIL_IF((ep = epoll_create1(EPOLL_CLOEXEC)) < 0);
	FAIL_IF(epoll_ctl(ep, EPOLL_CTL_ADD, fds.efd, &ev));
	FAIL_IF(write(fds.efd, &v, sizeof(v)) != sizeof(v));
	FAIL_IF(epoll_wait(ep, &out, 1, 1000) != 1 || read(fds.efd, &v, sizeof(v)) != sizeof(v));
	FAIL_IF((tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) < 0);
	FAIL_IF(timerfd_settime(tfd, 0, &its, NULL));
	FAIL_IF(read(tfd, &v, sizeof(v)) != sizeof(v));
	FAIL_IF((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0);
	FAIL_IF(close(fd) || close(tfd) || close(ep));
	/* The VMM thread starts workers of its own. */
	FAIL_IF(pthread_create(&t, NULL, plain_thread, NULL) || pthread_join(t, &ret) || ret);
	if (fds.vm >= 0) {
		FAIL_IF(ioctl(fds.kvm, KVM_GET_VCPU_MMAP_SIZE, 0) <= 0);
		FAIL_IF(ioctl(fds.kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) < 0);
	}
	return NULL;
}

static void *vcpu_work(void *arg)
{
#if defined(__x86_64__)
	struct kvm_regs regs;
	struct kvm_sregs sregs;
#else
	uint64_t pc = 0;
	/* a core register: its offset in struct kvm_regs, in 32-bit words */
	struct kvm_one_reg reg = { KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
					   (offsetof(struct kvm_regs, regs.pc) / sizeof(uint32_t)),
				   (uintptr_t)&pc };
#endif
	struct kvm_mp_state mp;
	struct kvm_vcpu_events events;

	uint64_t v = 1;

	(void)arg;
	FAIL_IF(common_work());
	/* a vCPU kicks device threads through eventfds; it never sleeps on them */
	FAIL_IF(write(fds.efd, &v, sizeof(v)) != sizeof(v) ||
		read(fds.efd, &v, sizeof(v)) != sizeof(v));
	if (fds.vcpu >= 0) {
#if defined(__x86_64__)
		FAIL_IF(ioctl(fds.vcpu, KVM_GET_REGS, &regs) ||
			ioctl(fds.vcpu, KVM_SET_REGS, &regs));
		FAIL_IF(ioctl(fds.vcpu, KVM_GET_SREGS, &sregs));
#else
		/* registers one at a time (MMIO and PSCI emulation); the
		 * reset PSCI CPU_ON asks for, with the VMM's target */
		FAIL_IF(ioctl(fds.vcpu, KVM_GET_ONE_REG, &reg) ||
			ioctl(fds.vcpu, KVM_SET_ONE_REG, &reg));
		FAIL_IF(ioctl(fds.vcpu, KVM_ARM_VCPU_INIT, &vcpu_init));
#endif
		FAIL_IF(ioctl(fds.vcpu, KVM_GET_MP_STATE, &mp));
		FAIL_IF(ioctl(fds.vcpu, KVM_GET_VCPU_EVENTS, &events));
	} else {
		fprintf(stderr, "note: /dev/kvm absent: vCPU ioctls not exercised\n");
	}
	return NULL;
}

static void *api_work(void *arg)
{
	char buf[16];
	int c, s, fl;

	(void)arg;
	FAIL_IF(common_work());
	c = fds.api_client;
	FAIL_IF((s = accept4(fds.listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0);
	FAIL_IF((fl = fcntl(s, F_GETFL)) < 0 || fcntl(s, F_SETFL, fl | O_NONBLOCK));
	FAIL_IF(send(c, "GET /vm", 7, 0) != 7 || recv(s, buf, sizeof(buf), 0) != 7);
	FAIL_IF(write(s, "200", 3) != 3 || read(c, buf, sizeof(buf)) != 3);
	FAIL_IF(shutdown(s, SHUT_RDWR) || close(s) || close(c));
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

/* A block of 0x5a written at the disk's start and read back (out and in:
 * 4096 bytes each). */
static void *disk_block_round_trip(char *out, char *in)
{
	memset(out, 0x5a, 4096);
	FAIL_IF(pwrite(fds.disk, out, 4096, 0) != 4096);
	FAIL_IF(pread(fds.disk, in, 4096, 0) != 4096 || memcmp(in, out, 4096));
	return NULL;
}

static void *block_work(void *arg)
{
	char out[4096], in[4096];
	struct iovec wv = { out, sizeof(out) }, rv = { in, sizeof(in) };

	(void)arg;
	FAIL_IF(common_work());
	FAIL_IF(disk_block_round_trip(out, in));
	FAIL_IF(pwritev(fds.disk, &wv, 1, 8192) != (ssize_t)sizeof(out));
	FAIL_IF(preadv(fds.disk, &rv, 1, 8192) != (ssize_t)sizeof(in));
	FAIL_IF(fsync(fds.disk) || fdatasync(fds.disk));
	FAIL_IF(fallocate(fds.disk, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 4096));
	FAIL_IF(lseek(fds.disk, 0, SEEK_END) != 1 << 20);
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

static void *net_work(void *arg)
{
	char frame[128] = "frame", back[128];
	struct iovec wv = { frame, sizeof(frame) }, rv = { back, sizeof(back) };

	(void)arg;
	FAIL_IF(common_work());
	FAIL_IF(writev(fds.pipe[1], &wv, 1) != sizeof(frame) ||
		readv(fds.pipe[0], &rv, 1) != sizeof(back));
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

static void *console_work(void *arg)
{
	struct winsize ws;
	char buf[8];

	(void)arg;
	FAIL_IF(common_work());
	FAIL_IF(write(fds.pipe[1], "guest", 5) != 5 || read(fds.pipe[0], buf, sizeof(buf)) != 5);
	/* Not a terminal: the kernel answers ENOTTY, the filter let it through. */
	FAIL_IF(ioctl(fds.pipe[0], TIOCGWINSZ, &ws) != -1 || errno != ENOTTY);
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

static void *rng_work(void *arg)
{
	unsigned char buf[64];

	(void)arg;
	FAIL_IF(common_work());
	FAIL_IF(getrandom(buf, sizeof(buf), 0) != sizeof(buf));
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

static void *vsock_work(void *arg)
{
	char buf[8] = "hello";
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int sv[2], c, s;

	(void)arg;
	FAIL_IF(common_work());
	FAIL_IF(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	FAIL_IF(sendmsg(sv[0], &mh, 0) != sizeof(buf) || recvmsg(sv[1], &mh, 0) != sizeof(buf));
	FAIL_IF((c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0);
	FAIL_IF(connect(c, (struct sockaddr *)&fds.addr, fds.addrlen));
	FAIL_IF((s = accept4(fds.listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0);
	FAIL_IF(close(s) || close(c) || close(sv[0]) || close(sv[1]));
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

/* One vhost-user message, with a descriptor in SCM_RIGHTS. */
static int send_with_fd(int sock, const char *msg, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { (void *)msg, strlen(msg) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = c.buf,
			     .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&mh);

	memset(&c, 0, sizeof(c));
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)iov.iov_len ? 0 : -1;
}

/* Receives `msg` and the descriptor that came with it: the descriptor, or -1. */
static int recv_with_fd(int sock, const char *msg)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	char got[64];
	struct iovec iov = { got, strlen(msg) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = c.buf,
			     .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *h;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)iov.iov_len ||
	    memcmp(got, msg, iov.iov_len) || !(h = CMSG_FIRSTHDR(&mh)) ||
	    h->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

/* What a vhost-user frontend does in both directions: hands the backend a
 * kick eventfd and takes a shared memory area (the inflight area, the
 * dirty log) to map; here the same thread plays the backend's end. */
static void *vhost_user_messages(void)
{
	long pg = getpagesize();
	uint64_t v = 1;
	char *area;
	int fd;

	FAIL_IF(send_with_fd(fds.vhost[0], "SET_VRING_KICK", fds.efd));
	FAIL_IF((fd = recv_with_fd(fds.vhost[1], "SET_VRING_KICK")) < 0);
	FAIL_IF(write(fd, &v, sizeof(v)) != sizeof(v) || close(fd));
	FAIL_IF(read(fds.efd, &v, sizeof(v)) != sizeof(v) || v != 1);
	memset(fds.guest, 0x11, (size_t)pg);
	FAIL_IF(send_with_fd(fds.vhost[1], "GET_INFLIGHT_FD", fds.memfd));
	FAIL_IF((fd = recv_with_fd(fds.vhost[0], "GET_INFLIGHT_FD")) < 0);
	area = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	FAIL_IF(area == MAP_FAILED || area[0] != 0x11 || munmap(area, (size_t)pg) || close(fd));
	return NULL;
}

static void *vhost_user_work(void *arg)
{
	(void)arg;
	FAIL_IF(common_work());
	FAIL_IF(vhost_user_messages());
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

/* virtio-fs adds DAX: a file the backend sends is mapped into the cache
 * window (MAP_FIXED over the reserved range, then unmapped by mapping
 * anonymous memory back over it), and FS_IO requests copy with it. */
static void *virtio_fs_work(void *arg)
{
	long pg = getpagesize();
	char buf[8] = "dax-io", back[8];
	char *window, *map;
	int fd;

	(void)arg;
	FAIL_IF(common_work());
	FAIL_IF(vhost_user_messages());
	window = mmap(NULL, (size_t)(4 * pg), PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	FAIL_IF(window == MAP_FAILED);
	FAIL_IF(send_with_fd(fds.vhost[1], "FS_MAP", fds.memfd));
	FAIL_IF((fd = recv_with_fd(fds.vhost[0], "FS_MAP")) < 0);
	map = mmap(window + pg, (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		   (off_t)pg);
	FAIL_IF(map != window + pg);
	FAIL_IF(pwrite(fd, buf, sizeof(buf), pg) != sizeof(buf) || memcmp(map, buf, sizeof(buf)));
	FAIL_IF(pread(fd, back, sizeof(back), pg) != sizeof(back) ||
		memcmp(back, buf, sizeof(buf)));
	FAIL_IF(mmap(map, (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
		map);
	FAIL_IF(munmap(window, (size_t)(4 * pg)) || close(fd));
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

/* Inflating: private memory is dropped with MADV_DONTNEED; shared guest
 * memory (the memfd) with MADV_REMOVE, or a hole punched in the memfd. */
static void *balloon_work(void *arg)
{
	long pg = getpagesize();
	char *priv, *g = fds.guest;

	(void)arg;
	FAIL_IF(common_work());
	priv = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FAIL_IF(priv == MAP_FAILED);
	memset(priv, 0x5a, (size_t)pg);
	FAIL_IF(madvise(priv, (size_t)pg, MADV_DONTNEED) || priv[0] != 0);
	FAIL_IF(munmap(priv, (size_t)pg));
	memset(g, 0x5a, (size_t)(4 * pg));
	/* on a shared mapping MADV_DONTNEED only drops the mapping: the
	 * memfd keeps the page */
	FAIL_IF(madvise(g, (size_t)pg, MADV_DONTNEED) || g[0] != 0x5a);
	FAIL_IF(madvise(g + pg, (size_t)pg, MADV_REMOVE) || g[pg] != 0);
	FAIL_IF(fallocate(fds.memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * pg, pg) ||
		g[2 * pg] != 0);
	FAIL_IF(g[3 * pg] != 0x5a);
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

static void *io_worker_work(void *arg)
{
	char out[4096], in[4096];
	struct iovec wv[2] = { { out, 1024 }, { out + 1024, 3072 } };
	struct iovec rv[2] = { { in, 3072 }, { in + 3072, 1024 } };
	uint64_t v = 1;

	(void)arg;
	FAIL_IF(common_work());
	FAIL_IF(disk_block_round_trip(out, in));
	FAIL_IF(pwritev(fds.disk, wv, 2, 8192) != (ssize_t)sizeof(out));
	FAIL_IF(preadv(fds.disk, rv, 2, 8192) != (ssize_t)sizeof(in) ||
		memcmp(in, out, sizeof(in)));
	FAIL_IF(fdatasync(fds.disk) || fsync(fds.disk));
	/* DISCARD, then WRITE_ZEROES both ways; a file system without
	 * ZERO_RANGE answers EOPNOTSUPP, which the kernel says, not the filter */
	FAIL_IF(fallocate(fds.disk, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
	FAIL_IF(pread(fds.disk, in, sizeof(in), 0) != (ssize_t)sizeof(in) || in[0] || in[4095]);
	FAIL_IF(fallocate(fds.disk, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 8192, 4096) &&
		errno != EOPNOTSUPP);
	FAIL_IF(fallocate(fds.disk, FALLOC_FL_ZERO_RANGE, 8192, 4096) && errno != EOPNOTSUPP);
	/* the completion, to the queue thread */
	FAIL_IF(write(fds.efd, &v, sizeof(v)) != sizeof(v) ||
		read(fds.efd, &v, sizeof(v)) != sizeof(v));
	return NULL;
}

/* A signal the process handles on this thread: blocked, sent (raise: to
 * this thread), collected by each of the three ways, then forwarded. */
static void *signal_handler_work(void *arg)
{
	struct signalfd_siginfo ssi;
	struct pollfd p = { .events = POLLIN };
	siginfo_t si;
	sigset_t set;
	uint64_t v = 1;
	int sig = 0;

	(void)arg;
	FAIL_IF(common_work());
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	FAIL_IF(pthread_sigmask(SIG_BLOCK, &set, NULL));
	FAIL_IF(raise(SIGUSR2) || sigtimedwait(&set, &si, &(struct timespec){ 1, 0 }) != SIGUSR2);
	FAIL_IF(raise(SIGUSR2) || sigwaitinfo(&set, &si) != SIGUSR2 || si.si_signo != SIGUSR2);
	FAIL_IF(raise(SIGUSR2) || sigwait(&set, &sig) || sig != SIGUSR2);
	/* the signalfd stays open for the thread's life (no close) */
	FAIL_IF((p.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0);
	FAIL_IF(raise(SIGUSR2));
	FAIL_IF(ppoll(&p, 1, &(struct timespec){ 1, 0 }, NULL) != 1);
	FAIL_IF(read(p.fd, &ssi, sizeof(ssi)) != sizeof(ssi) || ssi.ssi_signo != SIGUSR2);
	/* forwarded to the VMM loop */
	FAIL_IF(write(fds.efd, &v, sizeof(v)) != sizeof(v) ||
		read(fds.efd, &v, sizeof(v)) != sizeof(v));
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

static void *blocking_pool_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)pthread_setname_np(pthread_self(), "tokio-runtime-w");
}

/* A tokio worker: a task's eventfd and timer in the worker's epoll, a
 * connection on a listening socket the runtime opened, a blocking-pool
 * thread. */
static void *runtime_work(void *arg)
{
	struct itimerspec its = { { 0, 0 }, { 0, 1000000 } };
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	char buf[16] = "ttrpc";
	struct iovec iov = { buf, 5 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int tfd, s, on = 1, seen = 0, n, i;
	uint64_t v = 1;
	void *ret = (void *)1;
	pthread_t t;

	(void)arg;
	FAIL_IF(common_work());
	FAIL_IF((tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0);
	ev.data.fd = fds.efd;
	FAIL_IF(epoll_ctl(fds.epoll, EPOLL_CTL_ADD, fds.efd, &ev));
	ev.data.fd = tfd;
	FAIL_IF(epoll_ctl(fds.epoll, EPOLL_CTL_ADD, tfd, &ev));
	FAIL_IF(timerfd_settime(tfd, 0, &its, NULL) || write(fds.efd, &v, sizeof(v)) != sizeof(v));
	while (seen != 3) {
		FAIL_IF((n = epoll_wait(fds.epoll, out, 2, 1000)) <= 0);
		for (i = 0; i < n; i++) {
			FAIL_IF(read(out[i].data.fd, &v, sizeof(v)) != sizeof(v));
			seen |= out[i].data.fd == tfd ? 2 : 1;
		}
	}
	FAIL_IF(epoll_ctl(fds.epoll, EPOLL_CTL_DEL, tfd, NULL) || close(tfd));
	FAIL_IF(epoll_ctl(fds.epoll, EPOLL_CTL_DEL, fds.efd, NULL));
	FAIL_IF((s = accept4(fds.listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0 ||
		ioctl(s, FIONBIO, &on));
	FAIL_IF(send(fds.api_client, buf, 5, 0) != 5 || recvmsg(s, &mh, 0) != 5);
	FAIL_IF(sendmsg(s, &mh, 0) != 5 || recv(fds.api_client, buf, sizeof(buf), 0) != 5);
	FAIL_IF(send(s, buf, 5, 0) != 5 || recv(fds.api_client, buf, sizeof(buf), 0) != 5);
	FAIL_IF(send(fds.api_client, buf, 5, 0) != 5 || recv(s, buf, sizeof(buf), 0) != 5);
	FAIL_IF(shutdown(s, SHUT_RDWR) || close(s));
	FAIL_IF(pthread_create(&t, NULL, blocking_pool_thread, NULL) || pthread_join(t, &ret) ||
		ret);
	FAIL_IF(getrandom(buf, sizeof(buf), GRND_NONBLOCK) != sizeof(buf));
	FAIL_IF(eventfd_roundtrip());
	return NULL;
}

static void *(*const role_work[VMM_SECCOMP_ROLE_COUNT])(void *) = {
	[VMM_SECCOMP_ROLE_VMM] = vmm_work,
	[VMM_SECCOMP_ROLE_VCPU] = vcpu_work,
	[VMM_SECCOMP_ROLE_API] = api_work,
	[VMM_SECCOMP_ROLE_VIRTIO_BLOCK] = block_work,
	[VMM_SECCOMP_ROLE_VIRTIO_NET] = net_work,
	[VMM_SECCOMP_ROLE_VIRTIO_CONSOLE] = console_work,
	[VMM_SECCOMP_ROLE_VIRTIO_RNG] = rng_work,
	[VMM_SECCOMP_ROLE_VIRTIO_VSOCK] = vsock_work,
	[VMM_SECCOMP_ROLE_VIRTIO_FS] = virtio_fs_work,
	[VMM_SECCOMP_ROLE_VIRTIO_BALLOON] = balloon_work,
	[VMM_SECCOMP_ROLE_VHOST_USER] = vhost_user_work,
	[VMM_SECCOMP_ROLE_IO_WORKER] = io_worker_work,
	[VMM_SECCOMP_ROLE_SIGNAL_HANDLER] = signal_handler_work,
	[VMM_SECCOMP_ROLE_RUNTIME] = runtime_work,
};

/* ---- each role's legitimate work runs under enforcement ---- */

static void *exit_via_pthread_exit(void *arg)
{
	(void)arg;
	pthread_exit(NULL); /* unwinds: needs libgcc_s, preloaded by apply */
}

static int child_role_work(void *arg)
{
	enum vmm_seccomp_role role = (enum vmm_seccomp_role)(intptr_t)arg;
	struct vmm_seccomp *ctx;
	int rc;

	open_fds();
	ctx = new_ctx("enforce");
	/* the VMM thread opens /dev/null: its Landlock domain must say so */
	if (vmm_seccomp_add_path_rule(ctx, VMM_SECCOMP_ROLE_VMM, "/dev/null:read+write") ||
	    vmm_seccomp_apply_process(ctx)) {
		fprintf(stderr, "apply: %s\n", vmm_seccomp_last_error(ctx));
		_exit(92);
	}
	rc = run_in_role(ctx, role, role_work[role], NULL);
	if (rc)
		return rc;
	/* A second thread of the role leaves through pthread_exit. */
	return run_in_role(ctx, role, exit_via_pthread_exit, NULL);
}

static void test_role_work(void **state)
{
	unsigned int r;

	(void)state;
	for (r = VMM_SECCOMP_ROLE_VMM; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		struct child c;

		assert_int_equal(run_child(child_role_work, (void *)(intptr_t)r, TIMEOUT, &c), 0);
		if (!c.exited || c.code != 0)
			fprintf(stderr, "role %s: exited=%d code=%d sig=%d\n%s\n",
				vmm_seccomp_role_name(r), c.exited, c.code, c.sig, c.out);
		assert_true(c.exited);
		assert_int_equal(c.code, 0);
		assert_int_equal(count_lines_with(c.out, "vmm_seccomp: ", NULL), 0);
	}
}

/* ---- the dangerous list: refused in the baseline and in every role ---- */

struct forbidden {
	const char *name;
	long nr;
	long args[6];
};

/* Arguments chosen so the call would fail harmlessly if it ever ran. */
static const struct forbidden forbidden[] = {
	{ "execve", SYS_execve, { 0 } },
	{ "execveat", SYS_execveat, { -1 } },
#ifdef SYS_fork /* (x86_64's: aarch64 has clone only) */
	{ "fork", SYS_fork, { 0 } },
	{ "vfork", SYS_vfork, { 0 } },
#endif
	{ "ptrace", SYS_ptrace, { 0xffff } },
	{ "process_vm_readv", SYS_process_vm_readv, { 0 } },
	{ "process_vm_writev", SYS_process_vm_writev, { 0 } },
	{ "mount", SYS_mount, { 0 } },
	{ "umount2", SYS_umount2, { 0 } },
	{ "pivot_root", SYS_pivot_root, { 0 } },
	{ "chroot", SYS_chroot, { 0 } },
	{ "setns", SYS_setns, { -1 } },
	{ "unshare", SYS_unshare, { 0 } },
	{ "init_module", SYS_init_module, { 0 } },
	{ "finit_module", SYS_finit_module, { -1 } },
	{ "delete_module", SYS_delete_module, { 0 } },
	{ "kexec_load", SYS_kexec_load, { 0, 0, 0, 0xdead0000 } },
	{ "kexec_file_load", SYS_kexec_file_load, { -1, -1, 0, 0, 0xdead0000 } },
	{ "bpf", SYS_bpf, { -1 } },
	{ "perf_event_open", SYS_perf_event_open, { 0 } },
	{ "keyctl", SYS_keyctl, { -1 } },
	{ "add_key", SYS_add_key, { 0 } },
	{ "request_key", SYS_request_key, { 0 } },
	{ "open_by_handle_at", SYS_open_by_handle_at, { -1 } },
#ifdef SYS_iopl /* (x86's I/O ports) */
	{ "iopl", SYS_iopl, { 9 } },
	{ "ioperm", SYS_ioperm, { 0, 0, 0 } },
#endif
	{ "reboot", SYS_reboot, { 0 } },
	{ "swapon", SYS_swapon, { 0 } },
	{ "swapoff", SYS_swapoff, { 0 } },
	{ "personality", SYS_personality, { 0xffffffff } },
	{ "userfaultfd", SYS_userfaultfd, { 0xffff } },
	{ "io_uring_setup", SYS_io_uring_setup, { 0 } },
	{ "io_uring_enter", SYS_io_uring_enter, { -1 } },
	{ "io_uring_register", SYS_io_uring_register, { -1 } },
};

static long call_forbidden(const struct forbidden *f)
{
	long r = syscall(f->nr, f->args[0], f->args[1], f->args[2], f->args[3], f->args[4],
			 f->args[5]);

#ifdef SYS_fork
	if (r == 0 && (f->nr == SYS_fork || f->nr == SYS_vfork))
		syscall(SYS_exit, 0); /* the filter failed and we are the new child */
#endif
	return r;
}

static int child_forbidden_in_baseline(void *arg)
{
	const struct forbidden *f = arg;

	apply("enforce");
	call_forbidden(f);
	return 0; /* reaching this is a failure: the parent expects SIGSYS */
}

static void test_dangerous_list_covers_the_library_list(void **state)
{
	size_t i, n = 0;

	(void)state;
	for (i = 0; dangerous_syscalls[i]; i++) {
		size_t j;
		bool found = false;

		/* fork, vfork, iopl, ioperm: x86_64's; an aarch64 kernel has no
		 * such number to call */
		if (syscall_resolve_name(seccomp_arch_native(), dangerous_syscalls[i]) < 0)
			continue;
		for (j = 0; j < sizeof(forbidden) / sizeof(forbidden[0]); j++)
			found = found || strcmp(forbidden[j].name, dangerous_syscalls[i]) == 0;
		assert_true(found);
		n++;
	}
	assert_int_equal(n, sizeof(forbidden) / sizeof(forbidden[0]));
}

static bool skip_dangerous_on_valgrind(void)
{
	if (!on_valgrind())
		return false;
	fprintf(stderr,
		"SKIP dangerous syscalls under valgrind: valgrind emulates or refuses most of them "
		"(execve, fork, clone, unknown ones) before the kernel's filter sees them\n");
	return true;
}

static void test_forbidden_in_baseline(void **state)
{
	size_t i;

	(void)state;
	if (skip_dangerous_on_valgrind())
		skip();
	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		struct child c;
		char want[64];

		assert_int_equal(
			run_child(child_forbidden_in_baseline, (void *)&forbidden[i], TIMEOUT, &c),
			0);
		snprintf(want, sizeof(want), " syscall=%s ", forbidden[i].name);
		if (!c.signaled || c.sig != SIGSYS ||
		    count_lines_with(c.out, want, " role=process ", NULL) != 1)
			fprintf(stderr, "%s: exited=%d code=%d sig=%d out:\n%s\n",
				forbidden[i].name, c.exited, c.code, c.sig, c.out);
		assert_true(c.signaled);
		assert_int_equal(c.sig, SIGSYS);
		assert_int_equal(
			count_lines_with(c.out, want, " role=process ", " mode=enforce ", NULL), 1);
	}
}

/* In errno mode, each forbidden call in a role thread fails with EPERM and
 * the report names the role, whose filter is the newest on the thread. */
static void *try_all_forbidden(void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		errno = 0;
		if (call_forbidden(&forbidden[i]) != -1 || errno != EPERM) {
			fprintf(stderr, "%s was not refused (errno %d)\n", forbidden[i].name,
				errno);
			return (void *)1;
		}
	}
	return NULL;
}

static int child_forbidden_in_role(void *arg)
{
	enum vmm_seccomp_role role = (enum vmm_seccomp_role)(intptr_t)arg;
	struct vmm_seccomp *ctx = apply("errno");
	int rc = run_in_role(ctx, role, try_all_forbidden, NULL);
	size_t i;

	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]) && !rc; i++) {
		if (vmm_seccomp_violation_count(ctx, role, (int)forbidden[i].nr) != 1)
			rc = 70;
	}
	return rc;
}

static void test_forbidden_in_every_role(void **state)
{
	unsigned int r;
	size_t i;

	(void)state;
	if (skip_dangerous_on_valgrind())
		skip();
	for (r = VMM_SECCOMP_ROLE_VMM; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		struct child c;
		char role[48];

		assert_int_equal(
			run_child(child_forbidden_in_role, (void *)(intptr_t)r, TIMEOUT, &c), 0);
		if (!c.exited || c.code)
			fprintf(stderr, "role %s: code %d sig %d\n%s\n", vmm_seccomp_role_name(r),
				c.code, c.sig, c.out);
		assert_true(c.exited);
		assert_int_equal(c.code, 0);
		snprintf(role, sizeof(role), " role=%s ", vmm_seccomp_role_name(r));
		for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
			char want[64];

			snprintf(want, sizeof(want), " syscall=%s ", forbidden[i].name);
			assert_int_equal(count_lines_with(c.out, want, role, " action=EPERM", NULL),
					 1);
		}
	}
}

/* And enforce mode kills the process for a forbidden call in any role. */
static void *do_execve(void *arg)
{
	char *const argv[] = { "/bin/true", NULL };

	(void)arg;
	execve(argv[0], argv, NULL);
	return (void *)1;
}

/* A violation valgrind passes to the kernel as it is (ioctl is one of the
 * syscalls it runs as "may block", where a SIGSYS reaches our handler). */
static void *bad_ioctl_call(void *arg)
{
	(void)arg;
	ioctl(-1, KVM_SMI, 0); /* in no policy: no VMM needs to inject SMIs */
	return (void *)1;
}

static int child_execve_in_role(void *arg)
{
	enum vmm_seccomp_role role = (enum vmm_seccomp_role)(intptr_t)arg;

	return run_in_role(apply("enforce"), role, on_valgrind() ? bad_ioctl_call : do_execve,
			   NULL) +
	       10;
}

static void test_enforce_kills_in_every_role(void **state)
{
	unsigned int r;

	(void)state;
	if (skip_reported_violation_on_valgrind())
		skip();
	for (r = VMM_SECCOMP_ROLE_VMM; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		struct child c;
		char role[48], thread[48];

		assert_int_equal(run_child(child_execve_in_role, (void *)(intptr_t)r, TIMEOUT, &c),
				 0);
		assert_true(c.signaled);
		assert_int_equal(c.sig, SIGSYS);
		snprintf(role, sizeof(role), " role=%s ", vmm_seccomp_role_name(r));
		snprintf(thread, sizeof(thread), "thread=%.15s ", vmm_seccomp_role_name(r));
		assert_int_equal(
			count_lines_with(c.out, "vmm_seccomp: violation ", thread, role,
					 on_valgrind()
						 ? " syscall=ioctl nr=" NR(SYS_ioctl) NATIVE_ARCH
						 : " syscall=execve nr=" NR(SYS_execve) NATIVE_ARCH,
					 " mode=enforce ", NULL),
			1);
	}
}

/* ---- stacking ---- */

/* TIOCGWINSZ: the baseline and virtio_console allow it, virtio_rng not.
 * On a pipe the kernel answers ENOTTY once the filters let it through. */
static void *winsize(void *arg)
{
	struct winsize ws;
	int rc = ioctl(fds.pipe[0], TIOCGWINSZ, &ws);

	(void)arg;
	return (void *)(intptr_t)(rc == -1 && errno == ENOTTY ? 0 : errno == EPERM ? 2 : 3);
}

static void *unix_socket(void *arg)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)arg;
	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	return (void *)(intptr_t)(errno == EPERM ? 2 : 3);
}

static int child_stacking_enforce(void *arg)
{
	struct vmm_seccomp *ctx;

	(void)arg;
	open_fds();
	ctx = apply("enforce");
	/* The baseline allows it ... */
	if (winsize(NULL))
		return 20;
	/* ... the virtio_rng role does not: the process dies here. */
	run_in_role(ctx, VMM_SECCOMP_ROLE_VIRTIO_RNG, winsize, NULL);
	return 21;
}

static int child_stacking_errno(void *arg)
{
	struct vmm_seccomp *ctx;

	(void)arg;
	open_fds();
	ctx = apply("errno");
	if (run_in_role(ctx, VMM_SECCOMP_ROLE_VIRTIO_RNG, winsize, NULL) != 2)
		return 30; /* the role thread must get EPERM */
	if (winsize(NULL))
		return 31; /* while the main thread still may */
	if (run_in_role(ctx, VMM_SECCOMP_ROLE_VIRTIO_CONSOLE, winsize, NULL))
		return 32; /* and so may a role that needs it */
	return 0;
}

static void test_stacking(void **state)
{
	struct child c;

	(void)state;
	if (skip_reported_violation_on_valgrind())
		skip();
	assert_int_equal(run_child(child_stacking_enforce, NULL, TIMEOUT, &c), 0);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	if (count_lines_with(c.out, " role=virtio_rng ", NULL) != 1)
		fprintf(stderr, "%s\n", c.out);
	assert_int_equal(count_lines_with(c.out, " role=virtio_rng ", " syscall=ioctl ",
					  " request=TIOCGWINSZ(0x5413) ", NULL),
			 1);

	assert_int_equal(run_child(child_stacking_errno, NULL, TIMEOUT, &c), 0);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
	assert_int_equal(count_lines_with(c.out, " role=virtio_rng ", " syscall=ioctl ", NULL), 1);
	assert_int_equal(count_lines_with(c.out, "violation", NULL), 1);
}

/* Each role thread carries exactly two filters: the baseline and its own. */
static pthread_barrier_t barrier;
static _Atomic int role_tid;

static void *wait_in_role(void *arg)
{
	(void)arg;
	role_tid = (int)syscall(SYS_gettid);
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	return NULL;
}

static int child_filter_counts(void *arg)
{
	struct vmm_seccomp *ctx = apply("enforce");
	struct vmm_seccomp_thread_info info[8];
	int mode, filters;
	pthread_t t;

	(void)arg;
	if (seccomp_status(0, &mode, &filters) || mode != 2 || filters != 1)
		return 40;
	pthread_barrier_init(&barrier, NULL, 2);
	if (vmm_seccomp_thread_create(ctx, &t, NULL, VMM_SECCOMP_ROLE_VCPU, "vcpu7", wait_in_role,
				      NULL))
		return 41;
	pthread_barrier_wait(&barrier);
	if (seccomp_status(role_tid, &mode, &filters) || mode != 2 || filters != 2)
		return 42;
	if (vmm_seccomp_threads(info, 8) != 1 || info[0].tid != role_tid ||
	    info[0].role != VMM_SECCOMP_ROLE_VCPU || strcmp(info[0].name, "vcpu7") ||
	    !info[0].filtered)
		return 43;
	pthread_barrier_wait(&barrier);
	pthread_join(t, NULL);
	if (vmm_seccomp_threads(info, 8) != 0)
		return 44; /* the thread left the registry when it ended */
	return 0;
}

static void test_filter_counts(void **state)
{
	struct child c;

	(void)state;
	assert_int_equal(run_child(child_filter_counts, NULL, TIMEOUT, &c), 0);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
}

/* ---- TSYNC ---- */

static void *early_thread(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&barrier); /* started before the filters */
	pthread_barrier_wait(&barrier); /* the baseline is in now */
	role_tid = (int)syscall(SYS_gettid);
	do_execve(NULL);
	return NULL;
}

static int child_tsync(void *arg)
{
	pthread_t t;

	(void)arg;
	pthread_barrier_init(&barrier, NULL, 2);
	if (pthread_create(&t, NULL, early_thread, NULL))
		return 50;
	pthread_barrier_wait(&barrier);
	apply("enforce");
	pthread_barrier_wait(&barrier);
	pthread_join(t, NULL);
	return 51; /* not reached: the early thread's execve kills the process */
}

/* A thread with a filter of its own, as another library might install. */
static void *own_filter_and_wait(void *arg)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { 1, &allow };

	(void)arg;
	prctl(PR_SET_NAME, "own-filter");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return (void *)1;
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	return NULL;
}

static int child_tsync_refused(void *arg)
{
	struct vmm_seccomp *ctx = new_ctx("enforce");
	int mode, filters, rc;
	pthread_t t;

	(void)arg;
	pthread_barrier_init(&barrier, NULL, 2);
	if (pthread_create(&t, NULL, own_filter_and_wait, NULL))
		return 61;
	pthread_barrier_wait(&barrier);
	/* That thread has a filter the main thread lacks: TSYNC must fail. */
	rc = vmm_seccomp_apply_process(ctx);
	fprintf(stderr, "apply: %d %s\n", rc, vmm_seccomp_last_error(ctx));
	if (rc != -EBUSY || !strstr(vmm_seccomp_last_error(ctx), "own-filter"))
		return 62;
	if (seccomp_status(0, &mode, &filters) || mode != 0)
		return 63; /* nothing installed on us */
	pthread_barrier_wait(&barrier);
	pthread_join(t, NULL);
	vmm_seccomp_free(ctx);
	return 0;
}

static void test_tsync(void **state)
{
	struct child c;

	(void)state;
	if (on_valgrind()) {
		fprintf(stderr, "SKIP tsync: valgrind has no seccomp(2), hence no TSYNC (see "
				"docs/VALGRIND.md)\n");
		skip();
	}
	assert_int_equal(run_child(child_tsync, NULL, TIMEOUT, &c), 0);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	assert_int_equal(count_lines_with(c.out, " role=process ", " syscall=execve ", NULL), 1);

	assert_int_equal(run_child(child_tsync_refused, NULL, TIMEOUT, &c), 0);
	if (!c.exited || c.code)
		fprintf(stderr, "%s\n", c.out);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
}

/* Under valgrind the baseline needs a single-threaded process. */
static void *parked_thread(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	return NULL;
}

static int child_valgrind_refuses_threads(void *arg)
{
	struct vmm_seccomp *ctx = new_ctx("enforce");
	int mode, filters, rc;
	pthread_t t;

	(void)arg;
	pthread_barrier_init(&barrier, NULL, 2);
	if (pthread_create(&t, NULL, parked_thread, NULL))
		return 50;
	pthread_barrier_wait(&barrier);
	rc = vmm_seccomp_apply_process(ctx);
	fprintf(stderr, "apply: %s\n", vmm_seccomp_last_error(ctx));
	if (rc != -EBUSY || seccomp_status(0, &mode, &filters) || mode != 0)
		return 52;
	pthread_barrier_wait(&barrier);
	pthread_join(t, NULL);
	vmm_seccomp_free(ctx);
	return 0;
}

static void test_valgrind_single_thread_rule(void **state)
{
	struct child c;

	(void)state;
	if (!on_valgrind()) {
		fprintf(stderr, "SKIP valgrind-only rule: not running under valgrind\n");
		skip();
	}
	assert_int_equal(run_child(child_valgrind_refuses_threads, NULL, TIMEOUT, &c), 0);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
}

/* ---- foreign ABIs ---- */

#if defined(__x86_64__)
static long int80_getpid(void)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	return r;
}

static long x32_getpid(void)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(0x40000000L | SYS_getpid)
			 : "rcx", "r11", "memory");
	return r;
}

static int child_int80_unfiltered(void *arg)
{
	(void)arg;
	return int80_getpid() == getpid() ? 0 : 1;
}

static int child_int80(void *arg)
{
	(void)arg;
	apply((const char *)arg);
	int80_getpid();
	return 0;
}

static int child_x32(void *arg)
{
	apply((const char *)arg);
	x32_getpid();
	return 0;
}

static void test_foreign_abis(void **state)
{
	static const char *const modes[] = { "enforce", "errno", "log" };
	struct child c;
	size_t i;

	(void)state;
	if (on_valgrind()) {
		fprintf(stderr,
			"SKIP foreign ABIs: valgrind does not run int $0x80 in 64-bit code\n");
		skip();
	}
	for (i = 0; i < 3; i++) {
		/* Whatever the mode, a foreign ABI never runs: report and death. */
		assert_int_equal(run_child(child_x32, (void *)modes[i], TIMEOUT, &c), 0);
		assert_true(c.signaled);
		assert_int_equal(c.sig, SIGSYS);
		assert_int_equal(count_lines_with(c.out, " arch=x32 ", " nr=39 ", NULL), 1);
	}
	assert_int_equal(run_child(child_int80_unfiltered, NULL, TIMEOUT, &c), 0);
	if (!c.exited || c.code) {
		fprintf(stderr,
			"SKIP i386 ABI: this kernel does not run int $0x80 (no IA32 emulation)\n");
		return;
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(run_child(child_int80, (void *)modes[i], TIMEOUT, &c), 0);
		assert_true(c.signaled);
		assert_int_equal(c.sig, SIGSYS);
		assert_int_equal(
			count_lines_with(c.out, " arch=i386 ", " syscall=getpid nr=20 ", NULL), 1);
	}
}
#else
/* An arm64 process has one ABI: AArch32 code runs only in a 32-bit process,
 * which execve would make, and every baseline refuses execve. */
static void test_foreign_abis(void **state)
{
	(void)state;
	fprintf(stderr, "SKIP foreign ABIs: a 64-bit arm64 process has no other ABI to call\n");
	skip();
}
#endif

/* ---- clone, clone3 ---- */

static int child_clone_process(void *arg)
{
	(void)arg;
	apply("enforce");
	/* fork() as glibc does it: no CLONE_THREAD, a new process. */
	if (syscall(SYS_clone, CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, 0, NULL, NULL,
		    0) == 0)
		syscall(SYS_exit, 0);
	return 0;
}

static int child_clone3(void *arg)
{
	pthread_t t;
	void *ret = (void *)1;

	(void)arg;
	apply("enforce");
	errno = 0;
	if (!on_valgrind() && (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS))
		return 1;
	/* and glibc falls back to clone with its thread flags */
	if (pthread_create(&t, NULL, plain_thread, NULL) || pthread_join(t, &ret) || ret)
		return 2;
	return 0;
}

static void test_clone(void **state)
{
	struct child c;

	(void)state;
	if (on_valgrind()) {
		/* valgrind runs clone and clone3 itself; only the thread path is ours */
		fprintf(stderr, "SKIP clone of a process and clone3 under valgrind: valgrind "
				"emulates them\n");
	} else {
		assert_int_equal(run_child(child_clone_process, NULL, TIMEOUT, &c), 0);
		assert_true(c.signaled);
		assert_int_equal(c.sig, SIGSYS);
		assert_int_equal(count_lines_with(c.out, " syscall=clone ", " role=process ", NULL),
				 1);
	}

	assert_int_equal(run_child(child_clone3, NULL, TIMEOUT, &c), 0);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
	assert_int_equal(count_lines_with(c.out, "vmm_seccomp: ", NULL), 0);
}

/* ---- modes ---- */

static void *ignore_sigsys_then_execve(void *arg)
{
	(void)arg;
	signal(SIGSYS, SIG_IGN);
	return do_execve(NULL);
}

static void sigsys_catcher(int sig)
{
	(void)sig;
	_exit(77);
}

static void *own_handler_then_execve(void *arg)
{
	(void)arg;
	signal(SIGSYS, sigsys_catcher);
	return do_execve(NULL);
}

static void *block_sigsys_then_execve(void *arg)
{
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return do_execve(NULL);
}

static int child_dodge(void *arg)
{
	struct vmm_seccomp *ctx = apply("enforce");

	return run_in_role(ctx, VMM_SECCOMP_ROLE_VIRTIO_BLOCK, (void *(*)(void *))arg, NULL) + 10;
}

static void test_enforce_cannot_be_dodged(void **state)
{
	struct child c;

	(void)state;
	if (on_valgrind()) {
		fprintf(stderr, "SKIP SIGSYS dodging: valgrind emulates signal dispositions and "
				"masks itself\n");
		skip();
	}
	/* Changing the SIGSYS disposition is itself the violation.  The
	 * baseline checks it for the role (they share the rule): the report
	 * names the thread's role and the layer that refused. */
	assert_int_equal(run_child(child_dodge, (void *)ignore_sigsys_then_execve, TIMEOUT, &c), 0);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	assert_int_equal(count_lines_with(c.out, " role=virtio_block layer=process ",
					  " syscall=rt_sigaction ", " args=0x1f,", NULL),
			 1);

	assert_int_equal(run_child(child_dodge, (void *)own_handler_then_execve, TIMEOUT, &c), 0);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	assert_int_equal(
		count_lines_with(c.out, " role=virtio_block ", " syscall=rt_sigaction ", NULL), 1);

	/* Blocking SIGSYS is accepted for the other signals but not for SIGSYS. */
	assert_int_equal(run_child(child_dodge, (void *)block_sigsys_then_execve, TIMEOUT, &c), 0);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	assert_int_equal(count_lines_with(c.out, " role=virtio_block ", " syscall=execve ", NULL),
			 1);
}

static void *mask_semantics(void *arg)
{
	sigset_t set, old, cur;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGSYS);
	FAIL_IF(pthread_sigmask(SIG_BLOCK, &set, &old));
	FAIL_IF(sigismember(&old, SIGUSR1));
	FAIL_IF(pthread_sigmask(SIG_SETMASK, NULL, &cur));
	FAIL_IF(!sigismember(&cur, SIGUSR1) || sigismember(&cur, SIGSYS));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	FAIL_IF(pthread_sigmask(SIG_SETMASK, &set, &old) || !sigismember(&old, SIGUSR1));
	FAIL_IF(pthread_sigmask(SIG_SETMASK, NULL, &cur));
	FAIL_IF(sigismember(&cur, SIGUSR1) || !sigismember(&cur, SIGUSR2));
	errno = 0;
	FAIL_IF(syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8) != -1 || errno != EINVAL);
	FAIL_IF(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4) != -1 || errno != EINVAL);
	return NULL;
}

static int child_mask_semantics(void *arg)
{
	struct vmm_seccomp *ctx = apply((const char *)arg);

	return run_in_role(ctx, VMM_SECCOMP_ROLE_VCPU, mask_semantics, NULL);
}

static void test_sigmask_emulation(void **state)
{
	struct child c;

	(void)state;
	if (on_valgrind()) {
		fprintf(stderr, "SKIP sigmask emulation: not used under valgrind\n");
		skip();
	}
	assert_int_equal(run_child(child_mask_semantics, (void *)"enforce", TIMEOUT, &c), 0);
	if (!c.exited || c.code)
		fprintf(stderr, "%s\n", c.out);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
	assert_int_equal(count_lines_with(c.out, "violation", NULL), 0);
}

static int child_kill_mode(void *arg)
{
	(void)arg;
	apply("kill");
	bad_ioctl_call(NULL);
	return 0;
}

static char cb_line[640];
static struct vmm_seccomp_violation cb_v;
static int cb_calls;

static void report_cb(const struct vmm_seccomp_violation *v, const char *line, void *arg)
{
	cb_v = *v;
	strncpy(cb_line, line, sizeof(cb_line) - 1);
	cb_calls += arg == &cb_calls;
}

static void *bad_ioctl(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)(ioctl(-1, KVM_CREATE_VM, 0) == -1 && errno == EPERM ? 0 : 1);
}

static int child_errno_mode(void *arg)
{
	struct vmm_seccomp *ctx = new_ctx("errno");
	int rc;

	(void)arg;
	if (vmm_seccomp_set_report_callback(ctx, report_cb, &cb_calls) ||
	    vmm_seccomp_apply_process(ctx))
		return 80;
	rc = run_in_role(ctx, VMM_SECCOMP_ROLE_VCPU, bad_ioctl, NULL);
	if (rc)
		return 81;
	if (cb_calls != 1 || cb_v.role != VMM_SECCOMP_ROLE_VCPU || cb_v.syscall_nr != SYS_ioctl ||
	    strcmp(cb_v.syscall_name, "ioctl") || !cb_v.ioctl_name ||
	    strcmp(cb_v.ioctl_name, "KVM_CREATE_VM") || cb_v.args[1] != KVM_CREATE_VM ||
	    cb_v.mode != VMM_SECCOMP_MODE_ERRNO)
		return 82;
	if (vmm_seccomp_violation_count(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_ioctl) != 1 ||
	    vmm_seccomp_violation_total(ctx, VMM_SECCOMP_ROLE_VCPU) != 1 ||
	    vmm_seccomp_violation_total(ctx, VMM_SECCOMP_ROLE_PROCESS) != 0)
		return 83;
	fputs(cb_line, stderr);
	return 0;
}

static int child_log_mode(void *arg)
{
	char buf[256];

	(void)arg;
	apply("log");
	/* getcwd is in no policy: in log mode it runs (and the kernel logs it). */
	return syscall(SYS_getcwd, buf, sizeof(buf)) > 0 ? 0 : 1;
}

static int child_off_mode(void *arg)
{
	int mode, filters;

	(void)arg;
	apply("off");
	return seccomp_status(0, &mode, &filters) == 0 && mode == 0 ? 0 : 1;
}

static int child_role_off(void *arg)
{
	struct vmm_seccomp *ctx = apply("enforce,vcpu=off");

	(void)arg;
	return run_in_role(ctx, VMM_SECCOMP_ROLE_VCPU, unix_socket, NULL);
}

static void test_modes(void **state)
{
	struct child c;

	(void)state;
	if (skip_reported_violation_on_valgrind())
		skip();
	assert_int_equal(run_child(child_kill_mode, NULL, TIMEOUT, &c), 0);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	assert_int_equal(count_lines_with(c.out, "violation", NULL), 0); /* only the kernel logs */

	assert_int_equal(run_child(child_errno_mode, NULL, TIMEOUT, &c), 0);
	if (!c.exited || c.code)
		fprintf(stderr, "%s\n", c.out);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
	assert_int_equal(count_lines_with(c.out, "thread=vcpu ", " role=vcpu ",
					  " syscall=ioctl nr=" NR(SYS_ioctl) " ",
					  " request=KVM_CREATE_VM(0xae01) ", " action=EPERM", NULL),
			 1);

	assert_int_equal(run_child(child_log_mode, NULL, TIMEOUT, &c), 0);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);

	assert_int_equal(run_child(child_off_mode, NULL, TIMEOUT, &c), 0);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);

	/* A role in mode off keeps the baseline only: a Unix socket is fine. */
	assert_int_equal(run_child(child_role_off, NULL, TIMEOUT, &c), 0);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
}

/* ---- bad configuration installs nothing ---- */

static int child_bad_config(void *arg)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	int mode, filters;

	(void)arg;
	setenv("VMM_SECCOMP_TEST_BAD", "enforce,vcpu=sometimes", 1);
	if (vmm_seccomp_configure_from_env(ctx, "VMM_SECCOMP_TEST_BAD") != -EINVAL)
		return 1;
	if (!strstr(vmm_seccomp_last_error(ctx), "sometimes"))
		return 2;
	/* An embedder's bad rule fails too, before anything is installed. */
	if (vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_VCPU, "socket: arg0 == AF_INET\n", "extra",
				  0) != -EPERM)
		return 3;
	if (seccomp_status(0, &mode, &filters) || mode != 0)
		return 4;
	vmm_seccomp_free(ctx);
	return 0;
}

static void test_bad_config_installs_nothing(void **state)
{
	struct child c;

	(void)state;
	assert_int_equal(run_child(child_bad_config, NULL, TIMEOUT, &c), 0);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
}

/* ---- extending a role through the API ---- */

static void *fionread(void *arg)
{
	int n;

	(void)arg;
	return (void *)(intptr_t)(ioctl(fds.pipe[0], FIONREAD, &n) == 0 ? 0 : 1);
}

static int child_extended(void *arg)
{
	struct vmm_seccomp *ctx;
	const char *rule = "ioctl: arg1 == FIONREAD  # how much a pipe holds\n";

	(void)arg;
	open_fds();
	ctx = new_ctx("enforce");
	if (vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_PROCESS, rule, "extra", 0) ||
	    vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_VCPU, rule, "extra", 0) ||
	    vmm_seccomp_apply_process(ctx))
		return 1;
	if (run_in_role(ctx, VMM_SECCOMP_ROLE_VCPU, fionread, NULL))
		return 2;
	/* not added to virtio_rng: the process dies here */
	run_in_role(ctx, VMM_SECCOMP_ROLE_VIRTIO_RNG, fionread, NULL);
	return 3;
}

static void test_extend_role(void **state)
{
	struct child c;

	(void)state;
	if (skip_reported_violation_on_valgrind())
		skip();
	assert_int_equal(run_child(child_extended, NULL, TIMEOUT, &c), 0);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	assert_int_equal(
		count_lines_with(c.out, " role=virtio_rng ", " request=FIONREAD(0x541b) ", NULL),
		1);
}

/* ---- policies an embedder could write (the generator's findings) ---- */

/* A policy directory holding `file` with `text`; returns its path (static). */
static const char *policy_dir_with(const char *file, const char *text)
{
	static char dir[64];
	char path[128];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/vmm-seccomp-live-XXXXXX");
	if (!mkdtemp(dir))
		_exit(95);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		_exit(95);
	return dir;
}

static void remove_policy_dir(const char *dir, const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	unlink(path);
	rmdir(dir);
}

static void *kvm_run_on_bad_fd(void *arg)
{
	(void)arg;
	/* reaching the kernel would fail with EBADF; the filter must stop it */
	ioctl(999, KVM_RUN, 0);
	return (void *)(intptr_t)10;
}

/* A role with no ioctl rule of its own, replaced from a policy directory:
 * its threads may make no ioctl at all, whatever the baseline allows. */
static int child_role_without_ioctl(void *arg)
{
	const char *mode = arg;
	/* what every thread needs (the built-in thread group) but its one
	 * ioctl rule, then its work: no ioctl rule at all */
	const char *group = builtin_policy_text("groups/thread.policy");
	char text[8192];
	size_t used = 0;
	const char *line, *dir;
	struct vmm_seccomp *ctx;
	int rc;

	for (line = group; line && *line;) {
		size_t len = strcspn(line, "\n");

		/* (its includes are built-in files: builtin/ from a directory) */
		if (strncmp(line, "@include ", 9) == 0 && used + len + 10 < sizeof(text)) {
			used += (size_t)snprintf(text + used, sizeof(text) - used,
						 "@include builtin/%.*s\n", (int)(len - 9),
						 line + 9);
		} else if (strncmp(line, "ioctl", 5) != 0 && used + len + 2 < sizeof(text)) {
			memcpy(text + used, line, len);
			text[used + len] = '\n';
			used += len + 1;
		}
		line += len + (line[len] == '\n');
	}
	snprintf(text + used, sizeof(text) - used, "getrandom  # its work\n");
	dir = policy_dir_with("virtio_rng.policy", text);
	ctx = new_ctx(mode);
	rc = vmm_seccomp_load_policy_dir(ctx, dir, 0);

	remove_policy_dir(dir, "virtio_rng.policy");
	if (rc) {
		fprintf(stderr, "load: %s\n", vmm_seccomp_last_error(ctx));
		return 1;
	}
	if (vmm_seccomp_apply_process(ctx))
		return 2;
	/* the baseline itself lets the process make the call */
	if (ioctl(999, KVM_RUN, 0) != -1 || errno != EBADF)
		return 3;
	return run_in_role(ctx, VMM_SECCOMP_ROLE_VIRTIO_RNG, kvm_run_on_bad_fd, NULL);
}

static void test_role_without_ioctl_rules(void **state)
{
	struct child c;

	(void)state;
	if (skip_reported_violation_on_valgrind())
		skip();
	assert_int_equal(run_child(child_role_without_ioctl, "enforce", TIMEOUT, &c), 0);
	if (!c.signaled)
		fprintf(stderr, "%s\n", c.out);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	if (count_lines_with(c.out, " role=virtio_rng ", NULL) != 1)
		fprintf(stderr, "%s\n", c.out);
	assert_int_equal(count_lines_with(c.out, " role=virtio_rng ", " syscall=ioctl ",
					  " request=KVM_RUN(0xae80) ", " mode=enforce ", NULL),
			 1);
	assert_int_equal(run_child(child_role_without_ioctl, "kill", TIMEOUT, &c), 0);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
}

/* A constant that does not fit a 32-bit argument is an error and changes
 * nothing: socket(0, 0, 0) stays refused.  (Once truncated to 0, the rule
 * `socket: arg1 >= 0x100000000` allowed it.) */
static bool skip_non_blocking_violation_on_valgrind(void)
{
	if (!on_valgrind())
		return false;
	fprintf(stderr, "SKIP under valgrind: a SIGSYS for a syscall valgrind runs as non-blocking "
			"(socket, getcwd) trips valgrind's signal handling (an assertion in "
			"async_signalhandler); the native run checks it\n");
	return true;
}

static int child_wide_constant(void *arg)
{
	struct vmm_seccomp *ctx = new_ctx("enforce");
	int rc;

	(void)arg;
	rc = vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_PROCESS,
				   "socket: arg1 >= 0x100000000  # every type\n", "extra", 0);
	if (rc != -EINVAL || !strstr(vmm_seccomp_last_error(ctx), "extra:1:17: value 0x100000000 "
								  "does not fit arg1 of socket"))
		return 1;
	if (vmm_seccomp_apply_process(ctx))
		return 2;
	syscall(SYS_socket, 0, 0, 0);
	return 3;
}

/* Many errno values in one layer: each call gets its own. */
static int child_many_errnos(void *arg)
{
	struct vmm_seccomp *ctx = new_ctx("enforce");
	char rules[4096];
	size_t used = 0;
	long i;

	(void)arg;
	for (i = 1; i <= 60; i++)
		used += (size_t)snprintf(rules + used, sizeof(rules) - used,
					 "getcwd: arg1 == %ld -> return %ld\n", i, i + 100);
	if (vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_PROCESS, rules, "extra", 0)) {
		fprintf(stderr, "add: %s\n", vmm_seccomp_last_error(ctx));
		return 1;
	}
	if (vmm_seccomp_apply_process(ctx))
		return 2;
	for (i = 1; i <= 60; i++) {
		char buf[8];

		if (syscall(SYS_getcwd, buf, i) != -1 || errno != i + 100) {
			fprintf(stderr, "getcwd(buf, %ld): errno %d\n", i, errno);
			return 3;
		}
	}
	/* no rule: a violation (under valgrind one it passes on as it is) */
	if (on_valgrind())
		bad_ioctl_call(NULL);
	else
		syscall(SYS_getcwd, rules, 61);
	return 4;
}

static void test_wide_constant_live(void **state)
{
	struct child c;

	(void)state;
	if (skip_non_blocking_violation_on_valgrind())
		skip();
	assert_int_equal(run_child(child_wide_constant, NULL, TIMEOUT, &c), 0);
	if (!c.signaled)
		fprintf(stderr, "%s\n", c.out);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	assert_int_equal(count_lines_with(c.out, " syscall=socket ", " args=0x0,0x0,0x0,", NULL),
			 1);
}

static void test_many_errnos_live(void **state)
{
	struct child c;

	(void)state;
	if (skip_reported_violation_on_valgrind())
		skip();
	assert_int_equal(run_child(child_many_errnos, NULL, TIMEOUT, &c), 0);
	if (!c.signaled)
		fprintf(stderr, "%s\n", c.out);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	assert_int_equal(count_lines_with(c.out,
					  on_valgrind() ? " syscall=ioctl " : " syscall=getcwd ",
					  " role=process ", NULL),
			 1);
}

/* A policy directory's baseline takes a dangerous syscall only when the
 * embedder says so (VMM_SECCOMP_ALLOW_DANGEROUS), as added rules do. */
static int child_dangerous_dir(void *arg)
{
	bool opt_in = arg != NULL;
	const char *dir =
		policy_dir_with("process.policy", "@include builtin/roles/process.policy\n"
						  "execve  # this test runs a program\n");
	struct vmm_seccomp *ctx = new_ctx("enforce");
	int rc = vmm_seccomp_load_policy_dir(ctx, dir, opt_in ? VMM_SECCOMP_ALLOW_DANGEROUS : 0);

	remove_policy_dir(dir, "process.policy");
	if (opt_in ? rc != 0 : rc != -EPERM)
		return 1;
	if (!opt_in && !strstr(vmm_seccomp_last_error(ctx), "execve is on the dangerous list"))
		return 2;
	if (vmm_seccomp_apply_process(ctx))
		return 3;
	/* A program that does not exist: the kernel answers ENOENT if the
	 * call reaches it.  (A real program would run under the same filters,
	 * which survive execve, and die loading its libraries.) */
	execl("/nonexistent/vmm-seccomp-test", "x", (char *)NULL);
	return errno == ENOENT ? 0 : 4;
}

static void test_dangerous_from_policy_dir(void **state)
{
	struct child c;

	(void)state;
	if (skip_dangerous_on_valgrind())
		skip();
	assert_int_equal(run_child(child_dangerous_dir, NULL, TIMEOUT, &c), 0);
	if (!c.signaled)
		fprintf(stderr, "%s\n", c.out);
	assert_true(c.signaled);
	assert_int_equal(c.sig, SIGSYS);
	assert_int_equal(count_lines_with(c.out, " syscall=execve ", " role=process ", NULL), 1);
	/* opted in: the call reaches the kernel */
	assert_int_equal(run_child(child_dangerous_dir, "opt-in", TIMEOUT, &c), 0);
	if (!c.exited)
		fprintf(stderr, "%s\n", c.out);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
}

/* ---- a thread whose filter cannot be installed never runs user code ---- */

static _Atomic int user_code_ran;

static void *mark_ran(void *arg)
{
	(void)arg;
	user_code_ran = 1;
	return NULL;
}

/* Stacks allow-all filters, largest first, until the kernel refuses even a
 * one-instruction filter: the thread's filter budget is then spent (the
 * kernel counts the translated program, so the room left is found by
 * trying, not computed). */
static int exhaust_filter_budget(void)
{
	static struct sock_filter filler[4096];
	size_t len, i;

	for (len = 4096; len >= 1; len /= 2) {
		for (i = 0; i + 1 < len; i++)
			filler[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
		filler[len - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		for (;;) {
			struct sock_fprog prog = { (unsigned short)len, filler };

			if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
				continue;
			if (errno != ENOMEM) {
				fprintf(stderr, "filler of %zu: %s\n", len, strerror(errno));
				return -1;
			}
			break;
		}
	}
	return 0;
}

static int child_install_fails(void *arg)
{
	struct vmm_seccomp *ctx = apply("enforce");
	pthread_t t;
	int rc;

	(void)arg;
	if (exhaust_filter_budget())
		return 1;
	rc = vmm_seccomp_thread_create(ctx, &t, NULL, VMM_SECCOMP_ROLE_VCPU, "vcpu9", mark_ran,
				       NULL);
	fprintf(stderr, "thread_create: %d %s\n", rc, vmm_seccomp_last_error(ctx));
	if (rc != -ENOMEM || user_code_ran)
		return 2;
	if (!strstr(vmm_seccomp_last_error(ctx), "vcpu9"))
		return 3;
	if (vmm_seccomp_threads(NULL, 0) != 0)
		return 4; /* it never entered the registry */
	return 0;
}

static void test_failed_install_runs_nothing(void **state)
{
	struct child c;

	(void)state;
	if (on_valgrind()) {
		fprintf(stderr, "SKIP filter budget: the fillers are installed with seccomp(2), "
				"which valgrind lacks\n");
		skip();
	}
	assert_int_equal(run_child(child_install_fails, NULL, TIMEOUT, &c), 0);
	if (!c.exited || c.code)
		fprintf(stderr, "%s\n", c.out);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
}

/* ---- what no policy has reviewed: ENOSYS and a report, in every layer ---- */

/* A number above every table (Linux 6.18 stops at 469) and a known syscall
 * no built-in policy classifies (getcwd: the baseline has no rule for it,
 * and it is on no list). */
#define NR_ABOVE_TABLES 500

static void *try_unreviewed(void *arg)
{
	bool log_mode = arg != NULL;
	char buf[256];

	errno = 0;
	FAIL_IF(syscall(NR_ABOVE_TABLES, 0x11, 0x22) != -1 || errno != ENOSYS);
	errno = 0;
	if (log_mode)
		FAIL_IF(syscall(SYS_getcwd, buf, sizeof(buf)) <= 0); /* runs, logged */
	else
		FAIL_IF(syscall(SYS_getcwd, buf, sizeof(buf)) != -1 || errno != ENOSYS);
	return NULL; /* and the thread goes on, whatever the mode */
}

static int child_unreviewed(void *arg)
{
	const char *mode = arg;
	bool log_mode = strcmp(mode, "log") == 0;
	struct vmm_seccomp *ctx = apply(mode);
	unsigned int r;

	if (try_unreviewed(log_mode ? ctx : NULL))
		return 1;
	for (r = VMM_SECCOMP_ROLE_VMM; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		if (run_in_role(ctx, r, try_unreviewed, log_mode ? ctx : NULL))
			return 10 + (int)r;
		if (vmm_seccomp_violation_count(ctx, r, NR_ABOVE_TABLES) != !log_mode)
			return 30 + (int)r;
	}
	return 0;
}

static void test_unreviewed_in_every_role(void **state)
{
	static const char *const modes[] = { "enforce", "errno", "kill", "log" };
	size_t m;

	(void)state;
	if (on_valgrind()) {
		fprintf(stderr, "SKIP unreviewed syscalls under valgrind: valgrind answers a "
				"number it does not know itself, and a SIGSYS for most others "
				"ends it (docs/VALGRIND.md)\n");
		skip();
	}
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		bool log_mode = strcmp(modes[m], "log") == 0;
		struct child c;
		char mode[32];
		unsigned int r;

		assert_int_equal(run_child(child_unreviewed, (void *)modes[m], TIMEOUT, &c), 0);
		if (!c.exited || c.code)
			fprintf(stderr, "mode %s: exited=%d code=%d sig=%d\n%s\n", modes[m],
				c.exited, c.code, c.sig, c.out);
		assert_true(c.exited);
		assert_int_equal(c.code, 0);
		if (log_mode) {
			/* runs: the kernel logs it, the library reports nothing */
			assert_int_equal(count_lines_with(c.out, "vmm_seccomp: ", NULL), 0);
			continue;
		}
		snprintf(mode, sizeof(mode), " mode=%s ", modes[m]);
		assert_int_equal(count_lines_with(c.out, "vmm_seccomp: violation", NULL), 0);
		for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
			char role[48];

			snprintf(role, sizeof(role), " role=%s ", vmm_seccomp_role_name(r));
			assert_int_equal(count_lines_with(c.out, "vmm_seccomp: unreviewed syscall ",
							  role, " syscall=? nr=500 ",
							  " args=0x11,0x22,", mode,
							  " action=ENOSYS", NULL),
					 1);
			assert_int_equal(count_lines_with(c.out, "vmm_seccomp: unreviewed syscall ",
							  role,
							  " syscall=getcwd nr=" NR(SYS_getcwd) " ",
							  mode, " action=ENOSYS", NULL),
					 1);
		}
	}
}

/* ---- execve ends as the mode says, in every role, kill and log too ---- */

static void *execve_missing(void *arg)
{
	char *const argv[] = { "/nonexistent/vmm-seccomp-test", NULL };

	(void)arg;
	execve(argv[0], argv, NULL); /* if it runs: ENOENT */
	return (void *)(intptr_t)(errno == ENOENT ? 0 : 1);
}

static int child_execve_mode(void *arg)
{
	const char *how = arg; /* "MODE ROLE" */
	char mode[16];
	unsigned int r;

	if (sscanf(how, "%15s %u", mode, &r) != 2)
		return 99;
	return run_in_role(apply(mode), (enum vmm_seccomp_role)r, execve_missing, NULL) + 10;
}

static void test_execve_as_the_mode_says(void **state)
{
	unsigned int r;

	(void)state;
	if (skip_dangerous_on_valgrind())
		skip();
	for (r = VMM_SECCOMP_ROLE_VMM; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		struct child c;
		char how[32];

		/* kill: the kernel ends the process, nothing is reported */
		snprintf(how, sizeof(how), "kill %u", r);
		assert_int_equal(run_child(child_execve_mode, how, TIMEOUT, &c), 0);
		assert_true(c.signaled);
		assert_int_equal(c.sig, SIGSYS);
		assert_int_equal(count_lines_with(c.out, "vmm_seccomp: ", NULL), 0);
		/* log: it runs (and fails to find the program), logged by the kernel */
		snprintf(how, sizeof(how), "log %u", r);
		assert_int_equal(run_child(child_execve_mode, how, TIMEOUT, &c), 0);
		assert_true(c.exited);
		assert_int_equal(c.code, 10);
		assert_int_equal(count_lines_with(c.out, "vmm_seccomp: ", NULL), 0);
	}
}

/* ---- what newer glibcs do, allowed where intended, in every role ---- */

/* TCGETS2 (glibc 2.42+ isatty() and tcgetattr()): _IOR('T', 0x2A, struct
 * termios2), 44 bytes on x86_64. */
#define TCGETS2_REQUEST 0x802c542aUL

struct tty_pair {
	int master, slave;
};

static int open_tty(struct tty_pair *t)
{
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0 || grantpt(t->master) || unlockpt(t->master))
		return -1;
	t->slave = open(ptsname(t->master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	return t->slave < 0 ? -1 : 0;
}

static struct tty_pair newer_tty;
static int newer_pipe[2];

/* MADV_GUARD_INSTALL/REMOVE (glibc 2.42+ thread stacks, Linux 6.13+): the
 * layers whose threads create threads allow them; a role that does not
 * refuses them (a violation: errno mode here, EPERM and a report).  TCGETS2
 * is allowed everywhere: on a terminal it works, on a pipe the kernel says
 * ENOTTY. */
static void *newer_glibc_calls(void *arg)
{
	bool creates_threads = arg != NULL;
	char t2[64];
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	FAIL_IF(page == MAP_FAILED);
	for (i = 0; i < 2; i++) {
		int advice = i ? 103 /* MADV_GUARD_REMOVE */ : 102 /* MADV_GUARD_INSTALL */;
		int rc = madvise(page, 4096, advice);

		if (creates_threads)
			FAIL_IF(rc != 0 && errno != EINVAL); /* EINVAL: a kernel before 6.13 */
		else
			FAIL_IF(rc != -1 || errno != EPERM);
	}
	FAIL_IF(munmap(page, 4096));
	FAIL_IF(ioctl(newer_tty.slave, TCGETS2_REQUEST, t2));
	FAIL_IF(ioctl(newer_pipe[1], TCGETS2_REQUEST, t2) != -1 || errno != ENOTTY);
	return NULL;
}

/* The layers that include groups/spawn.policy. */
static bool creates_threads(unsigned int r)
{
	return r == VMM_SECCOMP_ROLE_PROCESS || r == VMM_SECCOMP_ROLE_VMM ||
	       r == VMM_SECCOMP_ROLE_RUNTIME;
}

static int child_newer_glibc(void *arg)
{
	struct vmm_seccomp *ctx;
	unsigned int r;

	(void)arg;
	if (open_tty(&newer_tty) || pipe2(newer_pipe, O_CLOEXEC))
		return 98;
	ctx = apply("errno");
	if (newer_glibc_calls(ctx))
		return 1;
	for (r = VMM_SECCOMP_ROLE_VMM; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		if (run_in_role(ctx, r, newer_glibc_calls, creates_threads(r) ? ctx : NULL))
			return 10 + (int)r;
	}
	return 0;
}

static void test_newer_glibc_rules_in_every_role(void **state)
{
	struct child c;
	unsigned int r;

	(void)state;
	if (skip_reported_violation_on_valgrind())
		skip();
	assert_int_equal(run_child(child_newer_glibc, NULL, TIMEOUT, &c), 0);
	if (!c.exited || c.code)
		fprintf(stderr, "exited=%d code=%d sig=%d\n%s\n", c.exited, c.code, c.sig, c.out);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
	assert_int_equal(count_lines_with(c.out, "vmm_seccomp: unreviewed", NULL), 0);
	assert_int_equal(count_lines_with(c.out, " syscall=ioctl ", NULL), 0);
	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		char role[48];
		bool creates = creates_threads(r);

		snprintf(role, sizeof(role), " role=%s ", vmm_seccomp_role_name(r));
		assert_int_equal(count_lines_with(c.out, "vmm_seccomp: violation ", role,
						  " syscall=madvise ", ",0x1000,0x66,", NULL),
				 creates ? 0 : 1);
		assert_int_equal(count_lines_with(c.out, "vmm_seccomp: violation ", role,
						  " syscall=madvise ", ",0x1000,0x67,", NULL),
				 creates ? 0 : 1);
	}
}

/* ---- stdio to a terminal and to a pipe, from every role ---- */

static FILE *stdio_tty[VMM_SECCOMP_ROLE_COUNT], *stdio_pipe[VMM_SECCOMP_ROLE_COUNT];

/* The first write on a FILE stats its descriptor and, for a character
 * device, asks whether it is a terminal (TCGETS, or TCGETS2 from glibc
 * 2.42): all of it under the thread's filters. */
static void *stdio_work(void *arg)
{
	unsigned int r = (unsigned int)(intptr_t)arg;

	FAIL_IF(fprintf(stdio_tty[r], "tty:%s\n", vmm_seccomp_role_name(r)) < 0);
	FAIL_IF(fflush(stdio_tty[r]));
	FAIL_IF(fprintf(stdio_pipe[r], "pipe:%s\n", vmm_seccomp_role_name(r)) < 0);
	FAIL_IF(fflush(stdio_pipe[r]));
	return NULL;
}

/* Everything written to fd so far (the writers have flushed). */
static size_t read_all(int fd, char *buf, size_t cap)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t used = 0;
	ssize_t n;

	while (used < cap - 1 && poll(&pfd, 1, 200) == 1) {
		n = read(fd, buf + used, cap - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return used;
}

static int child_stdio(void *arg)
{
	static char tty_out[4096], pipe_out[4096];
	struct tty_pair tty;
	int p[2], fd;
	unsigned int r;
	struct vmm_seccomp *ctx;
	struct termios raw;

	(void)arg;
	if (open_tty(&tty) || pipe2(p, O_CLOEXEC) || tcgetattr(tty.slave, &raw))
		return 98;
	cfmakeraw(&raw); /* no echo, no CR/LF translation */
	if (tcsetattr(tty.slave, TCSANOW, &raw))
		return 97;
	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		/* opened now, as a VMM opens its log; first written under the filters */
		if ((fd = dup(tty.slave)) < 0 || !(stdio_tty[r] = fdopen(fd, "w")) ||
		    (fd = dup(p[1])) < 0 || !(stdio_pipe[r] = fdopen(fd, "w")))
			return 96;
	}
	ctx = apply("enforce");
	if (stdio_work((void *)(intptr_t)VMM_SECCOMP_ROLE_PROCESS))
		return 1;
	for (r = VMM_SECCOMP_ROLE_VMM; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		if (run_in_role(ctx, r, stdio_work, (void *)(intptr_t)r))
			return 10 + (int)r;
	}
	read_all(tty.master, tty_out, sizeof(tty_out));
	read_all(p[0], pipe_out, sizeof(pipe_out));
	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		char want[64];

		snprintf(want, sizeof(want), "tty:%s\n", vmm_seccomp_role_name(r));
		if (!strstr(tty_out, want))
			return 30 + (int)r;
		snprintf(want, sizeof(want), "pipe:%s\n", vmm_seccomp_role_name(r));
		if (!strstr(pipe_out, want))
			return 50 + (int)r;
	}
	return 0;
}

static void test_stdio_tty_and_pipe_in_every_role(void **state)
{
	struct child c;

	(void)state;
	assert_int_equal(run_child(child_stdio, NULL, TIMEOUT, &c), 0);
	if (!c.exited || c.code)
		fprintf(stderr, "exited=%d code=%d sig=%d\n%s\n", c.exited, c.code, c.sig, c.out);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
	assert_int_equal(count_lines_with(c.out, "vmm_seccomp: ", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_work),
		cmocka_unit_test(test_dangerous_list_covers_the_library_list),
		cmocka_unit_test(test_forbidden_in_baseline),
		cmocka_unit_test(test_forbidden_in_every_role),
		cmocka_unit_test(test_enforce_kills_in_every_role),
		cmocka_unit_test(test_stacking),
		cmocka_unit_test(test_filter_counts),
		cmocka_unit_test(test_tsync),
		cmocka_unit_test(test_valgrind_single_thread_rule),
		cmocka_unit_test(test_foreign_abis),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_enforce_cannot_be_dodged),
		cmocka_unit_test(test_sigmask_emulation),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_bad_config_installs_nothing),
		cmocka_unit_test(test_extend_role),
		cmocka_unit_test(test_failed_install_runs_nothing),
		cmocka_unit_test(test_role_without_ioctl_rules),
		cmocka_unit_test(test_wide_constant_live),
		cmocka_unit_test(test_many_errnos_live),
		cmocka_unit_test(test_dangerous_from_policy_dir),
		cmocka_unit_test(test_unreviewed_in_every_role),
		cmocka_unit_test(test_execve_as_the_mode_says),
		cmocka_unit_test(test_newer_glibc_rules_in_every_role),
		cmocka_unit_test(test_stdio_tty_and_pipe_in_every_role),
	};

	int rc;

	if (!mkdtemp(sock_dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	return remove_tree(sock_dir, false) == 0 ? rc : 1;
}
