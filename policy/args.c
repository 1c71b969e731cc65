/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How wide each syscall argument is as the kernel reads it.  Pure data.
 *
 * An argument declared int, unsigned int, pid_t, uid_t, clockid_t, umode_t
 * or u32 in the syscall's SYSCALL_DEFINE is cast from the register by the
 * syscall's wrapper: its upper 32 bits never reach the kernel's code, and
 * the C ABI leaves them undefined in the caller.  A filter must therefore
 * compare such an argument on its low 32 bits only, as the kernel reads it
 * (a 64-bit comparison could be passed with the upper half set while the
 * kernel sees another value, or refuse a call glibc made legitimately).
 * Pointers, size_t, loff_t and unsigned long arguments are 64 bits wide
 * and compared whole.  Syscalls not listed have no 32-bit argument we
 * know of: their arguments are compared whole.
 *
 * The signatures are the same on x86_64 and aarch64 for every syscall
 * listed (umode_t, 16 bits, is listed as 32: the bits 16..31 it ignores
 * can only make a comparison fail, never pass one).
 */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

struct narrow {
	const char *syscall;
	unsigned int args; /* bit i: argument i is 32 bits wide */
};

/* Sorted by name (bsearch). */
static const struct narrow narrow[] = {
	{ "accept", 0x01 },		     /* int fd */
	{ "accept4", 0x09 },		     /* int fd, int flags */
	{ "access", 0x02 },		     /* int mode */
	{ "arch_prctl", 0x01 },		     /* int option */
	{ "bind", 0x05 },		     /* int fd, int addrlen */
	{ "chmod", 0x02 },		     /* umode_t mode */
	{ "clock_getres", 0x01 },	     /* clockid_t */
	{ "clock_gettime", 0x01 },	     /* clockid_t */
	{ "clock_nanosleep", 0x03 },	     /* clockid_t, int flags */
	{ "close", 0x01 },		     /* unsigned int fd */
	{ "close_range", 0x07 },	     /* unsigned int fd, max_fd, flags */
	{ "connect", 0x05 },		     /* int fd, int addrlen */
	{ "creat", 0x02 },		     /* umode_t mode */
	{ "dup", 0x01 },		     /* unsigned int fildes */
	{ "dup2", 0x03 },		     /* unsigned int oldfd, newfd */
	{ "dup3", 0x07 },		     /* unsigned int oldfd, newfd, int flags */
	{ "epoll_create", 0x01 },	     /* int size */
	{ "epoll_create1", 0x01 },	     /* int flags */
	{ "epoll_ctl", 0x07 },		     /* int epfd, int op, int fd */
	{ "epoll_pwait", 0x0d },	     /* int epfd, int maxevents, int timeout */
	{ "epoll_pwait2", 0x05 },	     /* int epfd, int maxevents */
	{ "epoll_wait", 0x0d },		     /* int epfd, int maxevents, int timeout */
	{ "eventfd", 0x01 },		     /* unsigned int count */
	{ "eventfd2", 0x03 },		     /* unsigned int count, int flags */
	{ "exit", 0x01 },		     /* int error_code */
	{ "exit_group", 0x01 },		     /* int error_code */
	{ "faccessat", 0x05 },		     /* int dfd, int mode */
	{ "faccessat2", 0x0d },		     /* int dfd, int mode, int flags */
	{ "fallocate", 0x03 },		     /* int fd, int mode */
	{ "fchdir", 0x01 },		     /* unsigned int fd */
	{ "fchmod", 0x03 },		     /* unsigned int fd, umode_t mode */
	{ "fchmodat", 0x05 },		     /* int dfd, umode_t mode */
	{ "fchown", 0x07 },		     /* unsigned int fd, uid_t, gid_t */
	{ "fchownat", 0x1d },		     /* int dfd, uid_t, gid_t, int flag */
	{ "fcntl", 0x03 },		     /* unsigned int fd, unsigned int cmd */
	{ "fdatasync", 0x01 },		     /* unsigned int fd */
	{ "flock", 0x03 },		     /* unsigned int fd, unsigned int cmd */
	{ "fstat", 0x01 },		     /* unsigned int fd */
	{ "fstatfs", 0x01 },		     /* unsigned int fd */
	{ "fsync", 0x01 },		     /* unsigned int fd */
	{ "ftruncate", 0x01 },		     /* unsigned int fd */
	{ "futex", 0x26 },		     /* int op, u32 val, u32 val3 */
	{ "getdents64", 0x05 },		     /* unsigned int fd, unsigned int count */
	{ "getpeername", 0x01 },	     /* int fd */
	{ "getpriority", 0x03 },	     /* int which, int who */
	{ "getrandom", 0x04 },		     /* unsigned int flags */
	{ "getrlimit", 0x01 },		     /* unsigned int resource */
	{ "getsockname", 0x01 },	     /* int fd */
	{ "getsockopt", 0x07 },		     /* int fd, int level, int optname */
	{ "ioctl", 0x03 },		     /* unsigned int fd, unsigned int cmd */
	{ "kill", 0x03 },		     /* pid_t pid, int sig */
	{ "landlock_add_rule", 0x0b },	     /* int ruleset_fd, enum rule_type, u32 flags */
	{ "landlock_create_ruleset", 0x04 }, /* u32 flags */
	{ "landlock_restrict_self", 0x03 },  /* int ruleset_fd, u32 flags */
	{ "linkat", 0x15 },		     /* int olddfd, int newdfd, int flags */
	{ "listen", 0x03 },		     /* int fd, int backlog */
	{ "lseek", 0x05 },		     /* unsigned int fd, unsigned int whence */
	{ "madvise", 0x04 },		     /* int behavior */
	{ "membarrier", 0x07 },		     /* int cmd, unsigned int flags, int cpu_id */
	{ "memfd_create", 0x02 },	     /* unsigned int flags */
	{ "mkdirat", 0x05 },		     /* int dfd, umode_t mode */
	{ "msync", 0x04 },		     /* int flags */
	{ "newfstatat", 0x09 },		     /* int dfd, int flag */
	{ "open", 0x06 },		     /* int flags, umode_t mode */
	{ "openat", 0x0d },		     /* int dfd, int flags, umode_t mode */
	{ "openat2", 0x01 },		     /* int dfd */
	{ "pidfd_open", 0x03 },		     /* pid_t pid, unsigned int flags */
	{ "pidfd_send_signal", 0x0b },	     /* int pidfd, int sig, unsigned int flags */
	{ "pipe2", 0x02 },		     /* int flags */
	{ "poll", 0x06 },		     /* unsigned int nfds, int timeout */
	{ "ppoll", 0x02 },		     /* unsigned int nfds */
	{ "prctl", 0x01 },		     /* int option */
	{ "pread64", 0x01 },		     /* unsigned int fd */
	{ "preadv2", 0x20 },		     /* rwf_t flags */
	{ "prlimit64", 0x03 },		     /* pid_t pid, unsigned int resource */
	{ "process_madvise", 0x19 },	     /* int pidfd, int behavior, unsigned int flags */
	{ "pwrite64", 0x01 },		     /* unsigned int fd */
	{ "pwritev2", 0x20 },		     /* rwf_t flags */
	{ "read", 0x01 },		     /* unsigned int fd */
	{ "readlinkat", 0x09 },		     /* int dfd, int bufsiz */
	{ "recvfrom", 0x09 },		     /* int fd, unsigned int flags */
	{ "recvmmsg", 0x0d },		     /* int fd, unsigned int vlen, unsigned int flags */
	{ "recvmsg", 0x05 },		     /* int fd, unsigned int flags */
	{ "renameat2", 0x15 },		     /* int olddfd, int newdfd, unsigned int flags */
	{ "rseq", 0x0e },		     /* u32 rseq_len, int flags, u32 sig */
	{ "rt_sigaction", 0x01 },	     /* int sig */
	{ "rt_sigprocmask", 0x01 },	     /* int how */
	{ "rt_sigqueueinfo", 0x03 },	     /* pid_t pid, int sig */
	{ "rt_tgsigqueueinfo", 0x07 },	     /* pid_t tgid, pid_t pid, int sig */
	{ "sched_getaffinity", 0x03 },	     /* pid_t pid, unsigned int len */
	{ "sched_setaffinity", 0x03 },	     /* pid_t pid, unsigned int len */
	{ "seccomp", 0x03 },		     /* unsigned int op, unsigned int flags */
	{ "sendfile", 0x03 },		     /* int out_fd, int in_fd */
	{ "sendmmsg", 0x0d },		     /* int fd, unsigned int vlen, unsigned int flags */
	{ "sendmsg", 0x05 },		     /* int fd, unsigned int flags */
	{ "sendto", 0x29 },		     /* int fd, unsigned int flags, int addr_len */
	{ "setpriority", 0x07 },	     /* int which, int who, int niceval */
	{ "setrlimit", 0x01 },		     /* unsigned int resource */
	{ "setsockopt", 0x17 },		     /* int fd, int level, int optname, int optlen */
	{ "shutdown", 0x03 },		     /* int fd, int how */
	{ "signalfd4", 0x09 },		     /* int ufd, int flags */
	{ "socket", 0x07 },		     /* int family, int type, int protocol */
	{ "socketpair", 0x07 },		     /* int family, int type, int protocol */
	{ "splice", 0x25 },		     /* int fd_in, int fd_out, unsigned int flags */
	{ "statx", 0x0d },		     /* int dfd, unsigned int flags, unsigned int mask */
	{ "sync_file_range", 0x09 },	     /* int fd, unsigned int flags */
	{ "tee", 0x0b },		     /* int fdin, int fdout, unsigned int flags */
	{ "tgkill", 0x07 },		     /* pid_t tgid, pid_t pid, int sig */
	{ "timerfd_create", 0x03 },	     /* int clockid, int flags */
	{ "timerfd_gettime", 0x01 },	     /* int ufd */
	{ "timerfd_settime", 0x03 },	     /* int ufd, int flags */
	{ "tkill", 0x03 },		     /* pid_t pid, int sig */
	{ "umask", 0x01 },		     /* int mask */
	{ "unlinkat", 0x05 },		     /* int dfd, int flag */
	{ "utimensat", 0x09 },		     /* int dfd, int flags */
	{ "wait4", 0x05 },		     /* pid_t upid, int options */
	{ "waitid", 0x0b },		     /* int which, pid_t upid, int options */
	{ "write", 0x01 },		     /* unsigned int fd */
};

static int by_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct narrow *)elem)->syscall);
}

bool policy_arg_narrow(const char *syscall, unsigned int arg)
{
	const struct narrow *n;

	if (!syscall || arg > 5)
		return false;
	n = bsearch(syscall, narrow, sizeof(narrow) / sizeof(narrow[0]), sizeof(narrow[0]),
		    by_name);
	return n && (n->args & (1u << arg));
}

bool policy_args_table_sorted(void)
{
	size_t i;

	for (i = 1; i < sizeof(narrow) / sizeof(narrow[0]); i++) {
		if (strcmp(narrow[i - 1].syscall, narrow[i].syscall) >= 0)
			return false;
	}
	return true;
}
