/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Named constants for policy conditions and the ioctl names used in
 * violation reports.  Values common to x86_64 and aarch64 (asm-generic
 * numbering, the same LP64 structure sizes) come from the build's kernel and
 * libc headers; where the two differ, or one has constants of its own, the
 * table says so per entry.
 * Pure data; policy_ioctl_name() is async-signal-safe (it only reads).
 */
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/futex.h>
#include <linux/if_tun.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <time.h>

enum kind { K_PLAIN, K_IOCTL };

struct constant {
	const char *name;
	uint64_t value;
	enum kind kind;
	unsigned int arch; /* POLICY_ARCH_* it exists on; 0: every arch */
};

/* The tables read better dense. */
/* clang-format off */
#define C(x) { #x, (uint64_t)(x), K_PLAIN, 0 }
#define I(x) { #x, (uint64_t)(unsigned int)(x), K_IOCTL, 0 }
/*
 * The other architecture's values cannot come from this build's headers, so
 * they are written out (from the x86 and arm64 uapi headers; _IOW = 1 << 30,
 * _IOR = 2 << 30, size << 16, type << 8, nr on both); a build for that
 * architecture checks them against its headers (a negative array size if
 * one differs).
 */
#define CHECKED(x, v) ((uint64_t)(v) + 0 * sizeof(char[(uint64_t)(x) == (uint64_t)(v) ? 1 : -1]))
#if defined(__x86_64__)
#define X86_VALUE(x, v) CHECKED(x, v)
#define A64_VALUE(x, v) ((uint64_t)(v))
#elif defined(__aarch64__)
#define X86_VALUE(x, v) ((uint64_t)(v))
#define A64_VALUE(x, v) CHECKED(x, v)
#else
#error "vmm_seccomp builds for x86_64 and aarch64"
#endif
/* x86 only: the ioctl is x86's, or its number encodes an x86 structure */
#define X(x, v) { #x, X86_VALUE((unsigned int)(x), v), K_IOCTL, POLICY_ARCH_X86_64 }
#define X86(x, v) { #x, X86_VALUE(x, v), K_PLAIN, POLICY_ARCH_X86_64 }
/* aarch64 only, or aarch64's value of a name x86_64 gives another */
#define A64(x, v, kind) { #x, A64_VALUE((unsigned int)(x), v), kind, POLICY_ARCH_AARCH64 }

static const struct constant constants[] = {
	/* KVM: /dev/kvm */
	I(KVM_GET_API_VERSION), I(KVM_CREATE_VM), X(KVM_GET_MSR_INDEX_LIST, 0xc004ae02),
	I(KVM_CHECK_EXTENSION), I(KVM_GET_VCPU_MMAP_SIZE), X(KVM_GET_SUPPORTED_CPUID, 0xc008ae05),
	X(KVM_GET_EMULATED_CPUID, 0xc008ae09), X(KVM_GET_MSR_FEATURE_INDEX_LIST, 0xc004ae0a),
	/* KVM: VM descriptor */
	I(KVM_CREATE_VCPU), I(KVM_GET_DIRTY_LOG), I(KVM_SET_USER_MEMORY_REGION),
	X(KVM_SET_TSS_ADDR, 0xae47), X(KVM_SET_IDENTITY_MAP_ADDR, 0x4008ae48), I(KVM_CREATE_IRQCHIP),
	X(KVM_GET_IRQCHIP, 0xc208ae62), X(KVM_SET_IRQCHIP, 0x8208ae63), X(KVM_CREATE_PIT2, 0x4040ae77), X(KVM_GET_PIT2, 0x8070ae9f),
	X(KVM_SET_PIT2, 0x4070aea0), I(KVM_IRQ_LINE), I(KVM_IRQ_LINE_STATUS), I(KVM_IRQFD),
	I(KVM_IOEVENTFD), I(KVM_SET_GSI_ROUTING), I(KVM_SIGNAL_MSI), I(KVM_SET_CLOCK),
	I(KVM_GET_CLOCK), I(KVM_ENABLE_CAP), I(KVM_REGISTER_COALESCED_MMIO),
	I(KVM_UNREGISTER_COALESCED_MMIO), I(KVM_CREATE_DEVICE), I(KVM_SET_DEVICE_ATTR),
	I(KVM_GET_DEVICE_ATTR), I(KVM_HAS_DEVICE_ATTR),
	/* KVM: vCPU descriptor */
	I(KVM_RUN), X(KVM_GET_REGS, 0x8090ae81), X(KVM_SET_REGS, 0x4090ae82), X(KVM_GET_SREGS, 0x8138ae83), X(KVM_SET_SREGS, 0x4138ae84),
	X(KVM_TRANSLATE, 0xc018ae85), X(KVM_INTERRUPT, 0x4004ae86), X(KVM_GET_MSRS, 0xc008ae88), X(KVM_SET_MSRS, 0x4008ae89),
	X(KVM_SET_CPUID2, 0x4008ae90), X(KVM_GET_CPUID2, 0xc008ae91), I(KVM_SET_SIGNAL_MASK), X(KVM_GET_FPU, 0x81a0ae8c),
	X(KVM_SET_FPU, 0x41a0ae8d), X(KVM_GET_LAPIC, 0x8400ae8e), X(KVM_SET_LAPIC, 0x4400ae8f), X(KVM_NMI, 0xae9a),
	I(KVM_GET_MP_STATE), I(KVM_SET_MP_STATE), I(KVM_GET_VCPU_EVENTS),
	I(KVM_SET_VCPU_EVENTS), X(KVM_GET_DEBUGREGS, 0x8080aea1), X(KVM_SET_DEBUGREGS, 0x4080aea2),
	X(KVM_GET_XSAVE, 0x9000aea4), X(KVM_SET_XSAVE, 0x5000aea5), X(KVM_GET_XCRS, 0x8188aea6), X(KVM_SET_XCRS, 0x4188aea7),
	X(KVM_KVMCLOCK_CTRL, 0xaead), X(KVM_SET_GUEST_DEBUG, 0x4048ae9b), X(KVM_GET_TSC_KHZ, 0xaea3),
	X(KVM_SET_TSC_KHZ, 0xaea2), X(KVM_SMI, 0xaeb7),
	/* KVM: arm64 */
	A64(KVM_ARM_VCPU_INIT, 0x4020aeae, K_IOCTL),        /* _IOW(0xae, 0xae, 32) */
	A64(KVM_ARM_PREFERRED_TARGET, 0x8020aeaf, K_IOCTL), /* _IOR(0xae, 0xaf, 32) */
	A64(KVM_GET_ONE_REG, 0x4010aeab, K_IOCTL),          /* _IOW(0xae, 0xab, 16) */
	A64(KVM_SET_ONE_REG, 0x4010aeac, K_IOCTL),          /* _IOW(0xae, 0xac, 16) */
	A64(KVM_GET_REG_LIST, 0xc008aeb0, K_IOCTL),         /* _IOWR(0xae, 0xb0, 8) */
	A64(O_DIRECTORY, 040000, K_PLAIN), A64(O_NOFOLLOW, 0100000, K_PLAIN),
	A64(O_DIRECT, 0200000, K_PLAIN), A64(O_TMPFILE, 020040000, K_PLAIN),
	/* terminals, files, block devices, tap */
	I(TCGETS), I(TCSETS), I(TCSETSW), I(TCSETSF), I(TIOCGWINSZ), I(TIOCSWINSZ),
	/* pseudo-terminals: grantpt()/ptsname() and unlockpt() (asm-generic:
	 * the same on aarch64) */
	I(TIOCGPTN), I(TIOCSPTLCK),
	/* termios2 (glibc 2.42+ tcgetattr/tcsetattr/isatty): _IOR/_IOW('T', 0x2a-0x2d,
	 * struct termios2 of 44 bytes), the same on aarch64 */
	{ "TCGETS2", 0x802c542a, K_IOCTL, 0 }, { "TCSETS2", 0x402c542b, K_IOCTL, 0 },
	{ "TCSETSW2", 0x402c542c, K_IOCTL, 0 }, { "TCSETSF2", 0x402c542d, K_IOCTL, 0 },
	I(FIONBIO), I(FIOCLEX), I(FIONCLEX), I(FIONREAD), I(BLKGETSIZE64), I(BLKSSZGET),
	I(BLKFLSBUF), I(TUNSETIFF), I(TUNGETIFF), I(TUNSETOFFLOAD), I(TUNSETVNETHDRSZ),
	I(TUNSETVNETLE), I(TUNGETFEATURES),
	/* clone(2) flags */
	C(CLONE_VM), C(CLONE_FS), C(CLONE_FILES), C(CLONE_SIGHAND), C(CLONE_PIDFD),
	C(CLONE_PTRACE), C(CLONE_VFORK), C(CLONE_PARENT), C(CLONE_THREAD), C(CLONE_NEWNS),
	C(CLONE_SYSVSEM), C(CLONE_SETTLS), C(CLONE_PARENT_SETTID), C(CLONE_CHILD_CLEARTID),
	C(CLONE_DETACHED), C(CLONE_UNTRACED), C(CLONE_CHILD_SETTID), C(CLONE_NEWCGROUP),
	C(CLONE_NEWUTS), C(CLONE_NEWIPC), C(CLONE_NEWUSER), C(CLONE_NEWPID),
	C(CLONE_NEWNET), C(CLONE_IO),
	/* memory */
	C(PROT_NONE), C(PROT_READ), C(PROT_WRITE), C(PROT_EXEC), C(PROT_GROWSDOWN),
	C(PROT_GROWSUP), C(MAP_SHARED), C(MAP_PRIVATE), C(MAP_SHARED_VALIDATE),
	C(MAP_FIXED), C(MAP_ANONYMOUS), C(MAP_NORESERVE), C(MAP_STACK), C(MAP_HUGETLB),
	C(MAP_POPULATE), C(MAP_FIXED_NOREPLACE), C(MAP_GROWSDOWN), C(MAP_DENYWRITE),
	C(MAP_LOCKED), C(MAP_NONBLOCK), C(MREMAP_MAYMOVE), C(MREMAP_FIXED),
	C(MADV_NORMAL), C(MADV_RANDOM), C(MADV_SEQUENTIAL), C(MADV_WILLNEED),
	C(MADV_DONTNEED), C(MADV_FREE), C(MADV_REMOVE), C(MADV_DONTFORK), C(MADV_DOFORK),
	C(MADV_MERGEABLE), C(MADV_UNMERGEABLE), C(MADV_HUGEPAGE), C(MADV_NOHUGEPAGE),
	C(MADV_DONTDUMP), C(MADV_DODUMP), C(MADV_HWPOISON), C(MADV_COLD), C(MADV_PAGEOUT),
	C(MADV_WIPEONFORK), C(MADV_KEEPONFORK),
	/* Linux 6.13 (uapi asm-generic/mman-common.h); glibc 2.42+ pthread_create */
	{ "MADV_GUARD_INSTALL", 102, K_PLAIN, 0 }, { "MADV_GUARD_REMOVE", 103, K_PLAIN, 0 },
	/* sockets */
	C(AF_UNSPEC), C(AF_UNIX), C(AF_LOCAL), C(AF_INET), C(AF_INET6), C(AF_NETLINK),
	C(AF_PACKET), C(AF_VSOCK), C(SOCK_STREAM), C(SOCK_DGRAM), C(SOCK_SEQPACKET),
	C(SOCK_RAW), C(SOCK_NONBLOCK), C(SOCK_CLOEXEC), C(SOL_SOCKET), C(SO_PEERCRED),
	C(SO_RCVBUF), C(SO_SNDBUF), C(SO_ERROR), C(SO_REUSEADDR), C(SO_KEEPALIVE),
	C(SO_TYPE), C(SO_PASSCRED), C(SHUT_RD), C(SHUT_WR), C(SHUT_RDWR),
	C(MSG_DONTWAIT), C(MSG_NOSIGNAL), C(MSG_PEEK), C(MSG_TRUNC), C(MSG_WAITALL),
	C(MSG_CMSG_CLOEXEC),
	/* futex(2) */
	C(FUTEX_WAIT), C(FUTEX_WAKE), C(FUTEX_REQUEUE), C(FUTEX_CMP_REQUEUE),
	C(FUTEX_WAKE_OP), C(FUTEX_LOCK_PI), C(FUTEX_UNLOCK_PI), C(FUTEX_TRYLOCK_PI),
	C(FUTEX_WAIT_BITSET), C(FUTEX_WAKE_BITSET), C(FUTEX_WAIT_REQUEUE_PI),
	C(FUTEX_CMP_REQUEUE_PI), C(FUTEX_PRIVATE_FLAG), C(FUTEX_CLOCK_REALTIME),
	/* fcntl(2), open(2), *at(2) */
	C(F_DUPFD), C(F_GETFD), C(F_SETFD), C(F_GETFL), C(F_SETFL), C(F_GETLK), C(F_SETLK),
	C(F_SETLKW), C(F_DUPFD_CLOEXEC), C(F_OFD_GETLK), C(F_OFD_SETLK), C(F_OFD_SETLKW),
	C(F_ADD_SEALS), C(F_GET_SEALS), C(F_SETPIPE_SZ), C(F_GETPIPE_SZ), C(FD_CLOEXEC),
	C(O_RDONLY), C(O_WRONLY), C(O_RDWR), C(O_CREAT), C(O_EXCL), C(O_TRUNC), C(O_APPEND),
	C(O_NONBLOCK), C(O_CLOEXEC), X86(O_DIRECT, 040000), X86(O_DIRECTORY, 0200000), X86(O_NOFOLLOW, 0400000), C(O_PATH),
	C(O_SYNC), C(O_DSYNC), X86(O_TMPFILE, 020200000), C(AT_FDCWD), C(AT_EMPTY_PATH), C(AT_REMOVEDIR),
	C(AT_SYMLINK_NOFOLLOW),
	/* prctl(2) */
	C(PR_SET_NAME), C(PR_GET_NAME), C(PR_SET_NO_NEW_PRIVS), C(PR_GET_NO_NEW_PRIVS),
	C(PR_SET_SECCOMP), C(PR_GET_SECCOMP), C(PR_SET_DUMPABLE), C(PR_GET_DUMPABLE),
	C(PR_CAPBSET_READ), C(PR_CAPBSET_DROP), C(PR_SET_PDEATHSIG), C(PR_GET_PDEATHSIG),
	C(PR_SET_KEEPCAPS), C(PR_SET_TIMERSLACK), C(PR_SET_MM), C(PR_SET_PTRACER),
	C(PR_SET_VMA), C(PR_GET_TIMERSLACK),
	/* seccomp(2) */
	C(SECCOMP_MODE_STRICT), C(SECCOMP_MODE_FILTER), C(SECCOMP_SET_MODE_STRICT),
	C(SECCOMP_SET_MODE_FILTER), C(SECCOMP_GET_ACTION_AVAIL), C(SECCOMP_GET_NOTIF_SIZES),
	C(SECCOMP_FILTER_FLAG_TSYNC), C(SECCOMP_FILTER_FLAG_LOG),
	C(SECCOMP_FILTER_FLAG_SPEC_ALLOW), C(SECCOMP_FILTER_FLAG_NEW_LISTENER),
	/* signals: kernel numbering.  glibc keeps 32 and 33 for itself and calls
	 * 34 SIGRTMIN, as does this table; SIGCANCEL and SIGSETXID name 32, 33. */
	C(SIGHUP), C(SIGINT), C(SIGQUIT), C(SIGILL), C(SIGTRAP), C(SIGABRT), C(SIGBUS),
	C(SIGFPE), C(SIGKILL), C(SIGUSR1), C(SIGSEGV), C(SIGUSR2), C(SIGPIPE), C(SIGALRM),
	C(SIGTERM), C(SIGSTKFLT), C(SIGCHLD), C(SIGCONT), C(SIGSTOP), C(SIGTSTP),
	C(SIGTTIN), C(SIGTTOU), C(SIGURG), C(SIGXCPU), C(SIGXFSZ), C(SIGVTALRM), C(SIGPROF),
	C(SIGWINCH), C(SIGIO), C(SIGPWR), C(SIGSYS), { "SIGCANCEL", 32, K_PLAIN, 0 },
	{ "SIGSETXID", 33, K_PLAIN, 0 }, { "SIGRTMIN", 34, K_PLAIN, 0 }, { "SIGRTMAX", 64, K_PLAIN, 0 },
	C(SIG_BLOCK), C(SIG_UNBLOCK), C(SIG_SETMASK),
	/* clocks, event and timer descriptors, getrandom, fallocate */
	C(CLOCK_REALTIME), C(CLOCK_MONOTONIC), C(CLOCK_PROCESS_CPUTIME_ID),
	C(CLOCK_THREAD_CPUTIME_ID), C(CLOCK_MONOTONIC_RAW), C(CLOCK_REALTIME_COARSE),
	C(CLOCK_MONOTONIC_COARSE), C(CLOCK_BOOTTIME), C(TIMER_ABSTIME), C(EFD_CLOEXEC),
	C(EFD_NONBLOCK), C(EFD_SEMAPHORE), C(TFD_CLOEXEC), C(TFD_NONBLOCK),
	C(TFD_TIMER_ABSTIME), C(EPOLL_CTL_ADD), C(EPOLL_CTL_MOD), C(EPOLL_CTL_DEL),
	C(EPOLL_CLOEXEC), C(GRND_NONBLOCK), C(GRND_RANDOM), C(FALLOC_FL_KEEP_SIZE),
	C(FALLOC_FL_PUNCH_HOLE), C(FALLOC_FL_ZERO_RANGE),
};

struct errno_name {
	const char *name;
	int value;
};

#define E(x) { #x, x }
static const struct errno_name errnos[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC),
	E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY),
	E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE),
	E(EMFILE), E(ENOTTY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EPIPE), E(ERANGE),
	E(ENOSYS), E(EOPNOTSUPP), E(ENOTSUP), E(EAFNOSUPPORT), E(EPROTONOSUPPORT),
	E(ENOTSOCK), E(ECONNREFUSED), E(ETIMEDOUT),
};
/* clang-format on */

bool policy_constant_arch(const char *name, size_t len, unsigned int arch, uint64_t *value)
{
	size_t i;

	for (i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
		if ((!constants[i].arch || (constants[i].arch & arch)) &&
		    strlen(constants[i].name) == len && memcmp(constants[i].name, name, len) == 0) {
			*value = constants[i].value;
			return true;
		}
	}
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (strlen(errnos[i].name) == len && memcmp(errnos[i].name, name, len) == 0) {
			*value = (uint64_t)errnos[i].value;
			return true;
		}
	}
	return false;
}

bool policy_constant(const char *name, size_t len, uint64_t *value)
{
	return policy_constant_arch(name, len, POLICY_ARCH_NATIVE, value);
}

const char *policy_ioctl_name(uint64_t request)
{
	size_t i;

	/* The kernel reads the request as an unsigned int. */
	request &= 0xffffffffu;
	for (i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
		if (constants[i].kind == K_IOCTL && constants[i].value == request &&
		    (!constants[i].arch || (constants[i].arch & POLICY_ARCH_NATIVE)))
			return constants[i].name;
	}
	return NULL;
}

int policy_errno_value(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (strcmp(errnos[i].name, name) == 0)
			return errnos[i].value;
	}
	return -1;
}
