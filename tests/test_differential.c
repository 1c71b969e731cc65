/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A differential test of the whole path from policy text to BPF, in the
 * manner of gVisor's secfuzz: random policies, written as text with every
 * construct of the language, go through the library's parser, resolver,
 * role check and generator; the programs run in the simulator, stacked as
 * the kernel stacks them, and their verdicts are compared with a reference
 * that evaluates the generator's own expression trees directly.
 *
 * The reference shares nothing with the code under test but the meaning
 * of the language (docs/POLICY.md) and the width of each syscall argument
 * (policy_arg_narrow): no DNF, no policy model, no bpf_stack_verdict.
 * `$pid` is this process's id (getpid()), which the programs must hold.
 * Syscall numbers come from <sys/syscall.h> and a table of our own for
 * aarch64, constants from the system headers, the stacking rule from
 * kernel/seccomp.c.
 *
 * Run without arguments it is a cmocka suite (a fixed seed, bounded; far
 * fewer configurations under valgrind).  With --seed S, --seconds T,
 * --iterations N (or DIFF_SEED, DIFF_SECONDS, DIFF_ITERATIONS) it is the
 * long run of tools/fuzz-filters.sh; --config I runs configuration I of
 * seed S alone and prints its policies (to reproduce a finding).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bpf.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

/* Every configuration has the built-in roles and N_CUSTOM roles of its
 * own, defined as an embedder defines them (role_add, the path of
 * vmm_seccomp_define_role and of a policy directory's new roles). */
#define N_CUSTOM 2
#define ROLES (VMM_SECCOMP_ROLE_COUNT + N_CUSTOM)
#define MAX_SET 6     /* values in one `in {...}` */
#define MAX_NODES 112 /* expression nodes of one rule */
#define MAX_RULES 64  /* rules of one policy */
#define MAX_ALT 64    /* POLICY_MAX_CLAUSES, written again */
#define MAX_WIDTH 6   /* POLICY_MAX_CMPS */
#define MAX_PRINTED 6 /* mismatches printed in full per run */

/* ---- a seedable PRNG (xorshift64*) ---- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *g)
{
	uint64_t x = g->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t below(struct rng *g, uint32_t n)
{
	return n ? (uint32_t)((rnd(g) >> 32) % n) : 0;
}

static bool chance(struct rng *g, unsigned int percent)
{
	return below(g, 100) < percent;
}

/* splitmix64: the seed of configuration `i` of a run */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x ? x : 1;
}

/* ---- a growing string ---- */

struct sb {
	char *s;
	size_t len, cap;
};

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (b->s && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
}

/* ---- the syscalls the generator names ---- */

#define A64_NONE (-1)

struct sys {
	const char *name;
	int x86; /* number on x86_64 (written out: the build may be aarch64's) */
	int a64; /* on aarch64, or A64_NONE */
	unsigned int weight;
	unsigned int args; /* the arguments conditions mostly test (bit i: argi) */
};

/* The ones the built-in baseline checks, the hot one (ioctl) often, and
 * others.  (Checked against libseccomp's tables in test_syscall_table.) */
static const struct sys pool[] = {
	{ "ioctl", 16, 29, 16, 0x02 },
	{ "futex", 202, 98, 6, 0x06 },
	{ "mmap", 9, 222, 5, 0x0d },
	{ "mprotect", 10, 226, 4, 0x04 },
	{ "madvise", 28, 233, 4, 0x04 },
	{ "tgkill", 234, 131, 4, 0x05 },
	{ "tkill", 200, 130, 3, 0x02 },
	{ "write", 1, 64, 6, 0x05 },
	{ "read", 0, 63, 4, 0x01 },
	{ "rt_sigreturn", 15, 139, 3, 0x01 },
	{ "rt_sigprocmask", 14, 135, 5, 0x03 },
	{ "rt_sigaction", 13, 134, 4, 0x03 },
	{ "fcntl", 72, 25, 4, 0x03 },
	{ "socket", 41, 198, 4, 0x07 },
	{ "clone", 56, 220, 4, 0x01 },
	{ "prctl", 157, 167, 4, 0x03 },
	{ "getrandom", 318, 278, 3, 0x04 },
	{ "getpid", 39, 172, 2, 0x3f },
	{ "dup3", 292, 24, 2, 0x07 },
	{ "kill", 62, 129, 2, 0x03 },
	{ "gettid", 186, 178, 2, 0x3f },
	{ "close", 3, 57, 2, 0x01 },
	{ "openat", 257, 56, 2, 0x0d },
	{ "newfstatat", 262, 79, 2, 0x09 },
	{ "seccomp", 317, 277, 2, 0x03 },
	{ "munmap", 11, 215, 2, 0x03 },
	{ "mremap", 25, 216, 2, 0x08 },
	{ "getsockopt", 55, 209, 2, 0x07 },
	{ "setsockopt", 54, 208, 2, 0x07 },
	{ "socketpair", 53, 199, 2, 0x07 },
	{ "exit_group", 231, 94, 1, 0x01 },
	{ "clock_gettime", 228, 113, 2, 0x01 },
	{ "sched_yield", 24, 124, 1, 0x3f },
	{ "prlimit64", 302, 261, 2, 0x07 },
	{ "eventfd2", 290, 19, 1, 0x03 },
	{ "epoll_ctl", 233, 21, 2, 0x07 },
	{ "pread64", 17, 67, 2, 0x0f },
	{ "lseek", 8, 62, 2, 0x07 },
	{ "accept4", 288, 242, 2, 0x09 },
	{ "sendmsg", 46, 211, 1, 0x05 },
	{ "wait4", 61, 260, 1, 0x07 },
	{ "fallocate", 285, 47, 1, 0x03 },
	{ "memfd_create", 319, 279, 1, 0x02 },
	{ "statx", 332, 291, 1, 0x0d },
	{ "uname", 63, 160, 1, 0x3f },
	/* x86_64 only: kept only in x86_64 contexts */
	{ "access", 21, A64_NONE, 1, 0x02 },
	{ "open", 2, A64_NONE, 2, 0x06 },
	{ "unlink", 87, A64_NONE, 1, 0x01 },
	{ "poll", 7, A64_NONE, 1, 0x06 },
	{ "dup2", 33, A64_NONE, 1, 0x03 },
	{ "epoll_wait", 232, A64_NONE, 1, 0x0d },
	{ "arch_prctl", 158, A64_NONE, 1, 0x01 },
};
#define N_POOL (sizeof(pool) / sizeof(pool[0]))

static int sys_index(const char *name)
{
	size_t i;

	for (i = 0; i < N_POOL; i++) {
		if (strcmp(pool[i].name, name) == 0)
			return (int)i;
	}
	fail_msg("no syscall %s in the pool", name);
	return -1;
}

static int sys_nr(unsigned int s, unsigned int arch)
{
	return arch == POLICY_ARCH_AARCH64 ? pool[s].a64 : pool[s].x86;
}

/* ---- constants, straight from the system headers ---- */

enum grp {
	G_NONE,
	G_KVM,
	G_TTY,
	G_PROT,
	G_MAP,
	G_MADV,
	G_FUTEX,
	G_AF,
	G_SOCK,
	G_FCNTL,
	G_OFLAG,
	G_AT,
	G_PR,
	G_SECCOMP,
	G_SIG,
	G_HOW,
	G_CLONE,
	G_GRND,
	G_MREMAP,
	G_EFD,
	G_ERRNO,
	G_SOL,
};

struct cst {
	const char *name;
	uint64_t value;
	unsigned int arch; /* 0: every arch, else POLICY_ARCH_* */
	enum grp grp;
};

/* clang-format off */
#define K(x, g) { #x, (uint64_t)(x), 0, g }
#define IO(x, g) { #x, (uint64_t)(unsigned int)(x), 0, g }
/* x86's own: written out, as aarch64's, so that any build has both */
#define IOX(x, v) { #x, v, POLICY_ARCH_X86_64, G_KVM }
static const struct cst csts[] = {
	IO(KVM_RUN, G_KVM), IO(KVM_CREATE_VM, G_KVM), IO(KVM_CREATE_VCPU, G_KVM),
	IO(KVM_GET_API_VERSION, G_KVM), IO(KVM_CHECK_EXTENSION, G_KVM),
	IO(KVM_GET_VCPU_MMAP_SIZE, G_KVM), IO(KVM_SET_USER_MEMORY_REGION, G_KVM),
	IO(KVM_IRQFD, G_KVM), IO(KVM_IOEVENTFD, G_KVM), IO(KVM_GET_MP_STATE, G_KVM),
	IO(KVM_SET_MP_STATE, G_KVM), IO(KVM_SET_SIGNAL_MASK, G_KVM),
	IO(KVM_GET_VCPU_EVENTS, G_KVM), IO(KVM_SIGNAL_MSI, G_KVM), IO(KVM_ENABLE_CAP, G_KVM),
	IOX(KVM_GET_REGS, 0x8090ae81), IOX(KVM_SET_REGS, 0x4090ae82), IOX(KVM_GET_SREGS, 0x8138ae83), IOX(KVM_SET_SREGS, 0x4138ae84),
	IOX(KVM_SET_CPUID2, 0x4008ae90), IOX(KVM_NMI, 0xae9a), IOX(KVM_GET_MSRS, 0xc008ae88), IOX(KVM_INTERRUPT, 0x4004ae86),
	{ "KVM_ARM_VCPU_INIT", 0x4020aeae, POLICY_ARCH_AARCH64, G_KVM },
	{ "KVM_ARM_PREFERRED_TARGET", 0x8020aeaf, POLICY_ARCH_AARCH64, G_KVM },
	{ "KVM_GET_ONE_REG", 0x4010aeab, POLICY_ARCH_AARCH64, G_KVM },
	{ "KVM_SET_ONE_REG", 0x4010aeac, POLICY_ARCH_AARCH64, G_KVM },
	{ "KVM_GET_REG_LIST", 0xc008aeb0, POLICY_ARCH_AARCH64, G_KVM },
	IO(TCGETS, G_TTY), IO(TCSETS, G_TTY), IO(TIOCGWINSZ, G_TTY), IO(FIONBIO, G_TTY),
	IO(FIOCLEX, G_TTY),
	K(PROT_NONE, G_PROT), K(PROT_READ, G_PROT), K(PROT_WRITE, G_PROT), K(PROT_EXEC, G_PROT),
	K(MAP_SHARED, G_MAP), K(MAP_PRIVATE, G_MAP), K(MAP_FIXED, G_MAP), K(MAP_ANONYMOUS, G_MAP),
	K(MAP_NORESERVE, G_MAP), K(MAP_STACK, G_MAP),
	K(MADV_DONTNEED, G_MADV), K(MADV_FREE, G_MADV), K(MADV_HUGEPAGE, G_MADV),
	K(MADV_DONTDUMP, G_MADV), K(MADV_WILLNEED, G_MADV), K(MADV_REMOVE, G_MADV),
	K(FUTEX_WAIT, G_FUTEX), K(FUTEX_WAKE, G_FUTEX), K(FUTEX_WAIT_BITSET, G_FUTEX),
	K(FUTEX_WAKE_BITSET, G_FUTEX), K(FUTEX_LOCK_PI, G_FUTEX), K(FUTEX_CMP_REQUEUE, G_FUTEX),
	K(FUTEX_WAKE_OP, G_FUTEX), K(FUTEX_PRIVATE_FLAG, G_FUTEX),
	K(FUTEX_CLOCK_REALTIME, G_FUTEX),
	K(AF_UNIX, G_AF), K(AF_INET, G_AF), K(AF_INET6, G_AF), K(AF_VSOCK, G_AF),
	K(AF_NETLINK, G_AF),
	K(SOCK_STREAM, G_SOCK), K(SOCK_DGRAM, G_SOCK), K(SOCK_SEQPACKET, G_SOCK),
	K(SOCK_CLOEXEC, G_SOCK), K(SOCK_NONBLOCK, G_SOCK),
	K(F_GETFD, G_FCNTL), K(F_SETFD, G_FCNTL), K(F_GETFL, G_FCNTL), K(F_SETFL, G_FCNTL),
	K(F_DUPFD_CLOEXEC, G_FCNTL), K(F_SETLK, G_FCNTL), K(F_ADD_SEALS, G_FCNTL),
	K(O_RDONLY, G_OFLAG), K(O_RDWR, G_OFLAG), K(O_CLOEXEC, G_OFLAG), K(O_CREAT, G_OFLAG),
	K(O_NONBLOCK, G_OFLAG),
	{ "O_DIRECTORY", 0200000, POLICY_ARCH_X86_64, G_OFLAG },
	{ "O_DIRECT", 040000, POLICY_ARCH_X86_64, G_OFLAG },
	{ "O_DIRECTORY", 040000, POLICY_ARCH_AARCH64, G_OFLAG },
	{ "O_NOFOLLOW", 0100000, POLICY_ARCH_AARCH64, G_OFLAG },
	K(AT_FDCWD, G_AT), K(AT_EMPTY_PATH, G_AT), K(AT_SYMLINK_NOFOLLOW, G_AT),
	K(PR_SET_NAME, G_PR), K(PR_GET_NAME, G_PR), K(PR_SET_NO_NEW_PRIVS, G_PR),
	K(PR_SET_SECCOMP, G_PR), K(PR_GET_SECCOMP, G_PR), K(PR_SET_DUMPABLE, G_PR),
	K(SECCOMP_SET_MODE_FILTER, G_SECCOMP), K(SECCOMP_MODE_FILTER, G_SECCOMP),
	K(SECCOMP_FILTER_FLAG_TSYNC, G_SECCOMP),
	K(SIGSYS, G_SIG), K(SIGABRT, G_SIG), K(SIGUSR1, G_SIG), K(SIGUSR2, G_SIG),
	K(SIGKILL, G_SIG), K(SIGSEGV, G_SIG), K(SIGCHLD, G_SIG),
	{ "SIGCANCEL", 32, 0, G_SIG }, { "SIGRTMIN", 34, 0, G_SIG },
	K(SIG_BLOCK, G_HOW), K(SIG_UNBLOCK, G_HOW), K(SIG_SETMASK, G_HOW),
	K(CLONE_VM, G_CLONE), K(CLONE_FS, G_CLONE), K(CLONE_FILES, G_CLONE),
	K(CLONE_SIGHAND, G_CLONE), K(CLONE_THREAD, G_CLONE), K(CLONE_SYSVSEM, G_CLONE),
	K(CLONE_SETTLS, G_CLONE), K(CLONE_PARENT_SETTID, G_CLONE),
	K(CLONE_CHILD_CLEARTID, G_CLONE), K(CLONE_NEWUSER, G_CLONE), K(CLONE_NEWNET, G_CLONE),
	K(GRND_NONBLOCK, G_GRND), K(GRND_RANDOM, G_GRND),
	K(MREMAP_MAYMOVE, G_MREMAP), K(MREMAP_FIXED, G_MREMAP),
	K(EFD_CLOEXEC, G_EFD), K(EFD_NONBLOCK, G_EFD), K(EFD_SEMAPHORE, G_EFD),
	K(SOL_SOCKET, G_SOL), K(SO_PEERCRED, G_SOL), K(SO_RCVBUF, G_SOL),
	K(EPERM, G_ERRNO), K(ENOENT, G_ERRNO), K(EINVAL, G_ERRNO), K(ENOSYS, G_ERRNO),
};
/* clang-format on */
#define N_CSTS (sizeof(csts) / sizeof(csts[0]))

struct errname {
	const char *name;
	int value;
};

/* clang-format off */
#define EN(x) { #x, x }
/* clang-format on */
static const struct errname errnames[] = {
	EN(EPERM),    EN(ENOENT),	EN(ESRCH),  EN(EINTR),	   EN(EIO),	   EN(ENXIO),
	EN(E2BIG),    EN(EBADF),	EN(EAGAIN), EN(ENOMEM),	   EN(EACCES),	   EN(EFAULT),
	EN(EBUSY),    EN(EEXIST),	EN(ENODEV), EN(EINVAL),	   EN(EMFILE),	   EN(ENOTTY),
	EN(ENOSPC),   EN(EPIPE),	EN(ERANGE), EN(ENOSYS),	   EN(EROFS),	   EN(ESPIPE),
	EN(EXDEV),    EN(ENOTDIR),	EN(EISDIR), EN(ETIMEDOUT), EN(EOPNOTSUPP), EN(EAFNOSUPPORT),
	EN(ENOTSOCK), EN(ECONNREFUSED),
};
#define N_ERRNAMES (sizeof(errnames) / sizeof(errnames[0]))

/* The file names and configuration strings use them: the built-in ones,
 * then the configuration's own (set_role_names()). */
static const char *role_names[ROLES];

/* Names a configuration may give its own roles: any the rules allow. */
static const char *const custom_pool[] = {
	"gpu", "virtio_pmem", "io_pool0", "w", "a_long_role_name_0123456789_abc", "runtime2",
};

/* Built-in names, and N_CUSTOM distinct ones from the pool (the first
 * ones when g is NULL). */
static void set_role_names(struct rng *g)
{
	const size_t n_pool = sizeof(custom_pool) / sizeof(custom_pool[0]);
	unsigned int r, k;

	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++)
		role_names[r] = vmm_seccomp_role_name((enum vmm_seccomp_role)r);
	for (k = 0; k < N_CUSTOM; k++) {
		size_t at = g ? (size_t)rnd(g) % n_pool : k, j;
		bool taken = true;

		while (taken) {
			taken = false;
			for (j = 0; j < k; j++)
				taken = taken || !strcmp(role_names[VMM_SECCOMP_ROLE_COUNT + j],
							 custom_pool[at]);
			if (taken)
				at = (at + 1) % n_pool;
		}
		role_names[VMM_SECCOMP_ROLE_COUNT + k] = custom_pool[at];
	}
}
static const char *const mode_names[VMM_SECCOMP_MODE_COUNT] = { "enforce", "kill", "errno", "log",
								"off" };

/* ---- the generator's representation: expression trees ---- */

enum xop { X_EQ, X_NE, X_LT, X_LE, X_GT, X_GE, X_MASK, X_IN };
enum xkind { K_CMP, K_AND, K_OR };
enum xact { A_ALLOW, A_ERRNO, A_LOG, A_TRAP, A_SIGMASK };
/* Sections: the rules below "@arch x86_64" are only for x86_64... */
enum sec { SEC_ALL, SEC_X86, SEC_A64 };
/* Where a role's rule comes from: what the role check must say of it. */
enum origin {
	O_RANDOM,  /* baseline rules; a role's refusing rules (never checked) */
	O_COPY,	   /* a baseline rule, copied: within the baseline */
	O_DERIVED, /* an allowing baseline rule's condition narrowed: within */
	O_BAD,	   /* an allowing rule made up: maybe not within */
};

struct xcmp {
	unsigned int arg;
	enum xop op;
	uint64_t mask;
	uint64_t v[MAX_SET]; /* v[0] for all but X_IN */
	unsigned int nv;
	/* the one constant too wide for a narrow argument (wide lines
	 * only): 1 + index in v[], or MASK_IS_WIDE */
	unsigned int wide;
	/* X_EQ or X_NE on a narrow argument written `$pid`: v[0] is the
	 * process id the programs are filled with (config.pid) */
	bool pid;
};
#define MASK_IS_WIDE 100

struct xnode {
	enum xkind kind;
	int l, r; /* children (K_AND, K_OR) */
	struct xcmp c;
};

struct xrule {
	unsigned int sys;
	enum sec sec;
	bool kept; /* its section is the target's (or all) */
	int nr;	   /* on the target, if kept */
	int root;  /* -1: unconditional */
	unsigned int n_nodes;
	struct xnode nodes[MAX_NODES];
	enum xact act;
	int err;
	enum origin origin;
	unsigned int line; /* in the policy text */
	bool narrow[6];
};

struct xpolicy {
	struct xrule rules[MAX_RULES];
	unsigned int n;
	struct sb text;
};

struct config {
	unsigned int arch; /* POLICY_ARCH_* */
	struct xpolicy pol[ROLES];
	enum vmm_seccomp_mode mode[ROLES];
	int report_fd;
	uint32_t pid; /* $pid: this process */
	uint64_t seed;
	unsigned long idx;
	char modes_how[200]; /* how the modes were set: for the reports */
};

static uint32_t audit_arch_of(unsigned int arch)
{
	return arch == POLICY_ARCH_AARCH64 ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64;
}

static unsigned int sec_arch(enum sec s, unsigned int target)
{
	return s == SEC_ALL ? target : s == SEC_X86 ? POLICY_ARCH_X86_64 : POLICY_ARCH_AARCH64;
}

static bool fits32(uint64_t v)
{
	/* the upper word zero, or the upper 33 bits ones (a negative int) */
	return (v >> 32) == 0 || (v >> 31) == 0x1ffffffffULL;
}

static bool allowing(enum xact a)
{
	return a == A_ALLOW || a == A_LOG || a == A_SIGMASK;
}

/* ---- the reference ---- */

static bool cmp_holds(const struct xcmp *c, bool narrow, uint64_t a)
{
	uint64_t m = c->mask, lo = narrow ? 0xffffffffu : UINT64_MAX;
	unsigned int i;

	a &= lo;
	m &= lo;
	switch (c->op) {
	case X_EQ:
		return a == (c->v[0] & lo);
	case X_NE:
		return a != (c->v[0] & lo);
	case X_LT:
		return a < (c->v[0] & lo);
	case X_LE:
		return a <= (c->v[0] & lo);
	case X_GT:
		return a > (c->v[0] & lo);
	case X_GE:
		return a >= (c->v[0] & lo);
	case X_MASK:
		return (a & m) == (c->v[0] & lo);
	case X_IN:
		for (i = 0; i < c->nv; i++) {
			if (a == (c->v[i] & lo))
				return true;
		}
		return false;
	}
	return false;
}

static bool node_holds(const struct xrule *r, int i, const uint64_t args[6])
{
	const struct xnode *n = &r->nodes[i];

	switch (n->kind) {
	case K_AND:
		return node_holds(r, n->l, args) && node_holds(r, n->r, args);
	case K_OR:
		return node_holds(r, n->l, args) || node_holds(r, n->r, args);
	case K_CMP:
	default:
		return cmp_holds(&n->c, r->narrow[n->c.arg], args[n->c.arg]);
	}
}

static bool rule_holds(const struct xrule *r, const uint64_t args[6])
{
	return r->root < 0 || node_holds(r, r->root, args);
}

/* What a layer refuses with, as docs/POLICY.md and internal.h say. */
static uint32_t ref_violation(enum vmm_seccomp_mode mode, unsigned int role)
{
	switch (mode) {
	case VMM_SECCOMP_MODE_KILL:
		return SECCOMP_RET_KILL_PROCESS;
	case VMM_SECCOMP_MODE_LOG:
		return SECCOMP_RET_LOG;
	default:
		return SECCOMP_RET_TRAP | ((uint32_t)mode << 8) | role;
	}
}

static bool on_valgrind(void)
{
#ifdef HAVE_VALGRIND_H
	return RUNNING_ON_VALGRIND;
#else
	return running_on_valgrind(); /* the library's own way to tell */
#endif
}

/* ENOSYS and a report (docs/POLICY.md): what a layer returns for a
 * syscall no policy reviewed. */
static uint32_t ref_unreviewed(enum vmm_seccomp_mode mode, unsigned int role)
{
	if (mode == VMM_SECCOMP_MODE_LOG)
		return SECCOMP_RET_LOG;
	return SECCOMP_RET_TRAP | (1u << 12) | ((uint32_t)mode << 8) | role;
}

static bool names_nr(const struct xpolicy *p, int nr)
{
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		if (p->rules[i].kept && p->rules[i].nr == nr)
			return true;
	}
	return false;
}

/* The dangerous list's numbers on the config's arch, from libseccomp. */
static bool dangerous_nr(unsigned int arch, int nr)
{
	static int nrs[2][64], n[2] = { -1, -1 }; /* looked up once per arch */
	unsigned int a = arch == POLICY_ARCH_AARCH64;
	int i;

	if (n[a] < 0) {
		n[a] = 0;
		for (i = 0; dangerous_syscalls[i] && n[a] < 64; i++)
			nrs[a][n[a]++] = seccomp_syscall_resolve_name_arch(
				a ? SCMP_ARCH_AARCH64 : SCMP_ARCH_X86_64, dangerous_syscalls[i]);
	}
	for (i = 0; nr >= 0 && i < n[a]; i++) {
		if (nrs[a][i] == nr)
			return true; /* (negative: libseccomp's none-on-this-arch) */
	}
	return false;
}

/* Reviewed for a layer: the baseline (role 0) or the layer itself has
 * rules for it, it is one of the library's own (write, rt_sigreturn), or
 * it is on the dangerous list. */
static bool ref_reviewed(const struct config *cf, unsigned int role, int nr)
{
	return names_nr(&cf->pol[role], nr) || names_nr(&cf->pol[0], nr) ||
	       nr == sys_nr((unsigned int)sys_index("write"), cf->arch) ||
	       nr == sys_nr((unsigned int)sys_index("rt_sigreturn"), cf->arch) ||
	       dangerous_nr(cf->arch, nr);
}

/* A role layer's verdict as the thread sees it: the SIGSYS handler takes
 * a layer's violation TRAP (enforce, errno) for a native number that
 * layer never reviewed as unreviewed (docs/POLICY.md), as a role that
 * leaves such numbers to its default relies on. */
static uint32_t as_handled(const struct config *cf, uint32_t v, uint32_t arch, int nr)
{
	uint32_t mode = (v >> 8) & 0xfu, layer = v & 0xffu;

	if ((v & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_TRAP || (v & (1u << 12)) ||
	    (mode != VMM_SECCOMP_MODE_ENFORCE && mode != VMM_SECCOMP_MODE_ERRNO) ||
	    arch != audit_arch_of(cf->arch) || nr < 0 || layer >= ROLES ||
	    (cf->arch == POLICY_ARCH_X86_64 && (uint32_t)nr >= 0x40000000u))
		return v;
	return ref_reviewed(cf, layer, nr) ? v : v | (1u << 12);
}

/* One layer's verdict: the first rule that holds decides. */
static uint32_t ref_layer(const struct config *cf, unsigned int role, uint32_t arch, int nr,
			  const uint64_t args[6])
{
	const struct xpolicy *p = &cf->pol[role];
	enum vmm_seccomp_mode mode = cf->mode[role];
	unsigned int i;

	if (arch != audit_arch_of(cf->arch) ||
	    (cf->arch == POLICY_ARCH_X86_64 && (uint32_t)nr >= 0x40000000u))
		return mode == VMM_SECCOMP_MODE_KILL
			       ? SECCOMP_RET_KILL_PROCESS
			       : SECCOMP_RET_TRAP | (VMM_SECCOMP_MODE_ENFORCE << 8) | role;
	for (i = 0; i < p->n; i++) {
		const struct xrule *r = &p->rules[i];

		if (!r->kept || r->nr != nr || !rule_holds(r, args))
			continue;
		switch (r->act) {
		case A_ALLOW:
			return SECCOMP_RET_ALLOW;
		case A_ERRNO:
			return SECCOMP_RET_ERRNO | (uint32_t)r->err;
		case A_LOG:
			return SECCOMP_RET_LOG;
		case A_TRAP:
			return ref_violation(mode, role);
		case A_SIGMASK:
			if (!on_valgrind() &&
			    (mode == VMM_SECCOMP_MODE_ENFORCE || mode == VMM_SECCOMP_MODE_ERRNO))
				return SECCOMP_RET_TRAP | (0xfu << 8) | role;
			return SECCOMP_RET_ALLOW;
		}
	}
	if (nr == sys_nr((unsigned int)sys_index("write"), cf->arch) &&
	    (uint32_t)args[0] == (uint32_t)cf->report_fd)
		return SECCOMP_RET_ALLOW;
	if (nr == sys_nr((unsigned int)sys_index("rt_sigreturn"), cf->arch))
		return SECCOMP_RET_ALLOW;
	return ref_reviewed(cf, role, nr) ? ref_violation(mode, role) : ref_unreviewed(mode, role);
}

/* kernel/seccomp.c seccomp_run_filters(): from the newest filter (last
 * here) to the oldest, a return replaces the current one only if its
 * action is strictly more restrictive (smaller as an s32). */
static uint32_t kernel_stack(const uint32_t *rets, size_t n)
{
	uint32_t ret = SECCOMP_RET_ALLOW;
	size_t i;

	for (i = n; i-- > 0;) {
		if ((int32_t)(rets[i] & SECCOMP_RET_ACTION_FULL) <
		    (int32_t)(ret & SECCOMP_RET_ACTION_FULL))
			ret = rets[i];
	}
	return ret;
}

/* Equal verdicts; of two TRAPs in the same mode, either may name the
 * thread's role or the baseline (a role leaves shared checks to it). */
static bool same_verdict(uint32_t got, uint32_t want, unsigned int role)
{
	uint32_t gr = got & 0xffu, wr = want & 0xffu;

	if (got == want)
		return true;
	/* unreviewed is the same whichever layer, in whichever mode, says so */
	if ((got & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
	    (want & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP && (got & want & (1u << 12)))
		return (gr == role || gr == 0) && (wr == role || wr == 0);
	return (got & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
	       (want & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
	       (got & ~0xffu) == (want & ~0xffu) && (gr == role || gr == 0) &&
	       (wr == role || wr == 0);
}

/* ---- generating values, conditions, rules ---- */

struct gen {
	struct rng *g;
	unsigned int target; /* POLICY_ARCH_* */
	uint32_t pid;	     /* what $pid stands for */
	size_t mark;	     /* where the wide constant's text starts */
	bool marked;
};

static enum grp theme(const char *sys, unsigned int arg, struct rng *g)
{
	static const struct {
		const char *sys;
		unsigned int arg;
		enum grp grp;
	} themes[] = {
		{ "ioctl", 1, G_KVM },		{ "futex", 1, G_FUTEX },
		{ "mmap", 2, G_PROT },		{ "mmap", 3, G_MAP },
		{ "mprotect", 2, G_PROT },	{ "madvise", 2, G_MADV },
		{ "socket", 0, G_AF },		{ "socket", 1, G_SOCK },
		{ "socketpair", 0, G_AF },	{ "fcntl", 1, G_FCNTL },
		{ "prctl", 0, G_PR },		{ "prctl", 1, G_SECCOMP },
		{ "tgkill", 2, G_SIG },		{ "tkill", 1, G_SIG },
		{ "kill", 1, G_SIG },		{ "rt_sigaction", 0, G_SIG },
		{ "rt_sigprocmask", 0, G_HOW }, { "clone", 0, G_CLONE },
		{ "getrandom", 2, G_GRND },	{ "mremap", 3, G_MREMAP },
		{ "openat", 2, G_OFLAG },	{ "open", 1, G_OFLAG },
		{ "newfstatat", 0, G_AT },	{ "newfstatat", 3, G_AT },
		{ "seccomp", 0, G_SECCOMP },	{ "eventfd2", 1, G_EFD },
		{ "getsockopt", 1, G_SOL },	{ "setsockopt", 1, G_SOL },
		{ "openat", 0, G_AT },
	};
	size_t i;

	for (i = 0; i < sizeof(themes) / sizeof(themes[0]); i++) {
		if (themes[i].arg == arg && strcmp(themes[i].sys, sys) == 0)
			return themes[i].grp == G_KVM && chance(g, 25) ? G_TTY : themes[i].grp;
	}
	return G_NONE;
}

static bool cst_valid(const struct cst *c, unsigned int arch)
{
	return !c->arch || c->arch == arch;
}

static const struct cst *pick_cst(struct rng *g, enum grp grp, unsigned int arch)
{
	size_t i, n = 0, k;

	for (i = 0; i < N_CSTS; i++)
		n += cst_valid(&csts[i], arch) && (grp == G_NONE || csts[i].grp == grp);
	if (!n)
		return pick_cst(g, G_NONE, arch);
	k = below(g, (uint32_t)n);
	for (i = 0; i < N_CSTS; i++) {
		if (cst_valid(&csts[i], arch) && (grp == G_NONE || csts[i].grp == grp) && !k--)
			return &csts[i];
	}
	return &csts[0];
}

/* A name for v on this arch, if one exists (any of them). */
static const struct cst *name_of(struct rng *g, uint64_t v, unsigned int arch)
{
	size_t i, n = 0, k;

	for (i = 0; i < N_CSTS; i++)
		n += cst_valid(&csts[i], arch) && csts[i].value == v;
	if (!n)
		return NULL;
	k = below(g, (uint32_t)n);
	for (i = 0; i < N_CSTS; i++) {
		if (cst_valid(&csts[i], arch) && csts[i].value == v && !k--)
			return &csts[i];
	}
	return NULL;
}

/* A value to compare an argument with.  A narrow argument gets one that
 * fits 32 bits, or a sign-extended negative one. */
static uint64_t gen_target(struct rng *g, unsigned int sys, unsigned int arg, bool narrow,
			   unsigned int arch)
{
	static const uint64_t edges[] = {
		0,
		1,
		2,
		0x7f,
		0x80,
		0xff,
		0x7fffffff,
		0x80000000,
		0xfffffffe,
		0xffffffff,
		0x100000000ULL,
		0x1ffffffffULL,
		0x7fffffffffffffffULL,
		0x8000000000000000ULL,
		0xffffffff00000000ULL,
		0xffffffff7fffffffULL,
		0xffffffff80000000ULL,
		0xfffffffffffffffeULL,
		UINT64_MAX,
	};
	unsigned int k = below(g, 100);
	uint64_t v;

	if (k < 50)
		v = pick_cst(g, chance(g, 80) ? theme(pool[sys].name, arg, g) : G_NONE, arch)
			    ->value;
	else if (k < 60)
		v = below(g, 17);
	else if (k < 75)
		v = edges[below(g, sizeof(edges) / sizeof(edges[0]))];
	else if (k < 88)
		v = (uint32_t)rnd(g);
	else if (narrow)
		v = 0xffffffff80000000ULL | rnd(g);
	else
		v = rnd(g);
	if (narrow && !fits32(v))
		v = chance(g, 50) ? (uint32_t)v : v | 0xffffffff80000000ULL;
	return v;
}

static uint64_t gen_mask(struct rng *g, unsigned int sys, unsigned int arg, bool narrow,
			 unsigned int arch)
{
	unsigned int k = below(g, 100);
	enum grp grp = theme(pool[sys].name, arg, g);
	uint64_t m;

	if (k < 35)
		m = pick_cst(g, grp, arch)->value;
	else if (k < 50)
		m = pick_cst(g, grp, arch)->value | pick_cst(g, grp, arch)->value;
	else if (k < 65)
		m = ~(pick_cst(g, grp, arch)->value | pick_cst(g, grp, arch)->value);
	else if (k < 80)
		m = (uint32_t)rnd(g);
	else if (k < 88)
		m = rnd(g);
	else if (k < 94)
		m = chance(g, 50) ? 0xffffffffu : UINT64_MAX;
	else
		m = (uint64_t)1 << below(g, 64);
	if (narrow && !fits32(m))
		m = chance(g, 50) ? (uint32_t)m : m | 0xffffffff80000000ULL;
	return m;
}

/* A value that does not fit the 32 bits of a narrow argument. */
static uint64_t gen_wide(struct rng *g)
{
	static const uint64_t edges[] = { 0x100000000ULL,	 0xffffffff7fffffffULL,
					  0x1000000ae80ULL,	 0x7fffffffffffffffULL,
					  0x8000000000000000ULL, 0xffffffff00000000ULL };
	uint64_t v;

	if (chance(g, 40))
		return edges[below(g, sizeof(edges) / sizeof(edges[0]))];
	do
		v = chance(g, 50) ? ((uint64_t)(below(g, 0xffff) + 1) << 32) | (uint32_t)rnd(g)
				  : rnd(g);
	while (fits32(v));
	return v;
}

static int new_node(struct xrule *r)
{
	assert_true(r->n_nodes < MAX_NODES);
	memset(&r->nodes[r->n_nodes], 0, sizeof(r->nodes[0]));
	return (int)r->n_nodes++;
}

static unsigned int pick_arg(struct rng *g, unsigned int sys)
{
	unsigned int a;

	if (chance(g, 80)) {
		do
			a = below(g, 6);
		while (!(pool[sys].args & (1u << a)));
		return a;
	}
	return below(g, 6);
}

/* A comparison of argument `arg` (or one picked, if it is 6 or more). */
static void gen_cmp(struct gen *G, struct xrule *r, struct xcmp *c, unsigned int max_alt,
		    unsigned int arg)
{
	unsigned int k = below(G->g, 100), i, arch = sec_arch(r->sec, G->target);
	bool narrow;

	c->arg = arg < 6 ? arg : pick_arg(G->g, r->sys);
	narrow = r->narrow[c->arg];
	c->nv = 1;
	if (k < 30)
		c->op = X_EQ;
	else if (k < 40)
		c->op = X_NE;
	else if (k < 56)
		c->op = (enum xop)(X_LT + below(G->g, 4));
	else if (k < 74 || max_alt < 2)
		c->op = X_MASK;
	else
		c->op = X_IN;
	if (c->op == X_MASK) {
		c->mask = gen_mask(G->g, r->sys, c->arg, narrow, arch);
		switch (below(G->g, 4)) {
		case 0:
			c->v[0] = 0;
			break;
		case 1:
			c->v[0] = c->mask;
			break;
		case 2:
			c->v[0] = gen_target(G->g, r->sys, c->arg, narrow, arch) & c->mask;
			break;
		default:
			c->v[0] = rnd(G->g) & c->mask;
			break;
		}
		if (narrow && !fits32(c->v[0]))
			c->v[0] = (uint32_t)c->v[0];
		return;
	}
	if (c->op == X_IN) {
		unsigned int most = max_alt < MAX_SET ? max_alt : MAX_SET;

		c->nv = 1 + below(G->g, most);
	}
	/* $pid, where the language takes it: == or != on a 32-bit argument */
	if (narrow && (c->op == X_EQ || c->op == X_NE) && chance(G->g, 12)) {
		c->pid = true;
		c->v[0] = G->pid;
		return;
	}
	for (i = 0; i < c->nv; i++) {
		c->v[i] = gen_target(G->g, r->sys, c->arg, narrow, arch);
		/* sometimes the same value as a constant (or next to it), which
		 * a set must not take for the runtime comparison */
		if (narrow && c->op != X_MASK && chance(G->g, 4))
			c->v[i] = (uint64_t)G->pid + below(G->g, 3) - 1;
	}
}

/* A condition of at most max_alt alternatives of at most max_w
 * comparisons each, once in disjunctive normal form. */
static int gen_expr(struct gen *G, struct xrule *r, unsigned int max_alt, unsigned int max_w,
		    unsigned int depth, unsigned int *alt, unsigned int *w)
{
	unsigned int k = below(G->g, 100), al, wl, ar, wr;
	bool room = r->n_nodes + 8 <= MAX_NODES && depth < 5;
	int n;

	if (room && max_w >= 2 && k < 22) {
		n = new_node(r);
		r->nodes[n].kind = K_AND;
		r->nodes[n].l = gen_expr(G, r, max_alt, max_w - 1, depth + 1, &al, &wl);
		r->nodes[n].r = gen_expr(G, r, max_alt / al, max_w - wl, depth + 1, &ar, &wr);
		*alt = al * ar;
		*w = wl + wr;
		return n;
	}
	if (room && max_alt >= 2 && k < 44) {
		n = new_node(r);
		r->nodes[n].kind = K_OR;
		r->nodes[n].l = gen_expr(G, r, max_alt - 1, max_w, depth + 1, &al, &wl);
		r->nodes[n].r = gen_expr(G, r, max_alt - al, max_w, depth + 1, &ar, &wr);
		*alt = al + ar;
		*w = wl > wr ? wl : wr;
		return n;
	}
	n = new_node(r);
	r->nodes[n].kind = K_CMP;
	gen_cmp(G, r, &r->nodes[n].c, max_alt, 6);
	*alt = r->nodes[n].c.op == X_IN ? r->nodes[n].c.nv : 1;
	*w = 1;
	return n;
}

/* The size of a condition in DNF, as the parser will count it. */
static void dnf_size(const struct xrule *r, int i, unsigned int *alt, unsigned int *w)
{
	const struct xnode *n = &r->nodes[i];
	unsigned int al, wl, ar, wr;

	if (n->kind == K_CMP) {
		*alt = n->c.op == X_IN ? n->c.nv : 1;
		*w = 1;
		return;
	}
	dnf_size(r, n->l, &al, &wl);
	dnf_size(r, n->r, &ar, &wr);
	if (n->kind == K_AND) {
		*alt = al * ar;
		*w = wl + wr;
	} else {
		*alt = al + ar;
		*w = wl > wr ? wl : wr;
	}
}

/* A policy's kept comparisons once in DNF, counted as the generator
 * gets them (each alternative's comparisons, every alternative). */
static unsigned long dnf_cost(const struct xpolicy *p)
{
	unsigned long sum = 0;
	unsigned int i, alt, w;

	for (i = 0; i < p->n; i++) {
		if (!p->rules[i].kept || p->rules[i].root < 0)
			continue;
		dnf_size(&p->rules[i], p->rules[i].root, &alt, &w);
		sum += (unsigned long)alt * w;
	}
	return sum;
}

static int copy_tree(struct xrule *dst, const struct xrule *src, int i)
{
	int n = new_node(dst);

	dst->nodes[n] = src->nodes[i];
	if (src->nodes[i].kind != K_CMP) {
		int l = copy_tree(dst, src, src->nodes[i].l);
		int r = copy_tree(dst, src, src->nodes[i].r);

		dst->nodes[n].l = l;
		dst->nodes[n].r = r;
	}
	return n;
}

static void rule_init(struct gen *G, struct xrule *r, unsigned int sys, bool must_keep)
{
	unsigned int a;

	memset(r, 0, sizeof(*r));
	r->sys = sys;
	r->root = -1;
	r->sec = SEC_ALL;
	if (!must_keep && chance(G->g, 22))
		r->sec = chance(G->g, 50) ? SEC_X86 : SEC_A64;
	else if (chance(G->g, 10))
		r->sec = G->target == POLICY_ARCH_X86_64 ? SEC_X86 : SEC_A64;
	r->kept = sec_arch(r->sec, G->target) == G->target;
	/* a syscall the target lacks is only named where it is not kept */
	if (r->kept && sys_nr(sys, G->target) < 0) {
		r->sec = G->target == POLICY_ARCH_X86_64 ? SEC_A64 : SEC_X86;
		r->kept = false;
	}
	r->nr = r->kept ? sys_nr(sys, G->target) : -1;
	for (a = 0; a < 6; a++)
		r->narrow[a] = policy_arg_narrow(pool[sys].name, a);
}

static unsigned int pick_sys(struct rng *g)
{
	unsigned int total = 0, k;
	size_t i;

	for (i = 0; i < N_POOL; i++)
		total += pool[i].weight;
	k = below(g, total);
	for (i = 0; i < N_POOL; i++) {
		if (k < pool[i].weight)
			return (unsigned int)i;
		k -= pool[i].weight;
	}
	return 0;
}

static int gen_errno(struct rng *g, bool many)
{
	if (!many && chance(g, 50))
		return errnames[below(g, N_ERRNAMES)].value;
	return 1 + (int)below(g, 4095);
}

static enum xact gen_action(struct rng *g, unsigned int sys, bool allowing_only)
{
	unsigned int k = below(g, 100);
	bool sigmask_ok = strcmp(pool[sys].name, "rt_sigprocmask") == 0;

	if (allowing_only)
		return sigmask_ok && k < 30 ? A_SIGMASK : k < 75 ? A_ALLOW : A_LOG;
	if (sigmask_ok && k < 12)
		return A_SIGMASK;
	if (k < 55)
		return A_ALLOW;
	if (k < 72)
		return A_ERRNO;
	if (k < 84)
		return A_LOG;
	return A_TRAP;
}

/* A condition for r: most small, some at the limits. */
static void gen_cond(struct gen *G, struct xrule *r)
{
	unsigned int alt, w;

	if (chance(G->g, 80))
		r->root = gen_expr(G, r, 8, 4, 0, &alt, &w);
	else
		r->root = gen_expr(G, r, MAX_ALT, MAX_WIDTH, 0, &alt, &w);
}

/* ---- rendering as policy text ---- */

static void render_value(struct gen *G, struct sb *b, uint64_t v, unsigned int depth,
			 unsigned int arch);

static void render_number(struct rng *g, struct sb *b, uint64_t v)
{
	switch (below(g, 6)) {
	case 0:
	case 1:
		sb_printf(b, "%llu", (unsigned long long)v);
		break;
	case 2:
		sb_printf(b, "0x%llx", (unsigned long long)v);
		break;
	case 3:
		sb_printf(b, "0X%llX", (unsigned long long)v);
		break;
	case 4:
		sb_printf(b, "0%llo", (unsigned long long)v);
		break;
	default:
		/* -N: the two's complement */
		sb_printf(b, chance(g, 50) ? "-%llu" : "-0x%llx", (unsigned long long)(0 - v));
		break;
	}
}

static void render_term(struct gen *G, struct sb *b, uint64_t v, unsigned int depth,
			unsigned int arch)
{
	unsigned int k = below(G->g, 100);
	const struct cst *c = name_of(G->g, v, arch);

	if (c && k < 60) {
		sb_printf(b, "%s", c->name);
		return;
	}
	if (depth < 2 && k < 70) {
		sb_printf(b, "~");
		render_term(G, b, ~v, depth + 1, arch);
		return;
	}
	if (depth < 2 && k < 76) {
		sb_printf(b, chance(G->g, 50) ? "(" : "( ");
		render_value(G, b, v, depth + 1, arch);
		sb_printf(b, ")");
		return;
	}
	if ((v >> 63) && k < 88) {
		sb_printf(b, "-%llu", (unsigned long long)(0 - v));
		return;
	}
	render_number(G->g, b, v);
}

/* v as A|B|... sometimes */
static void render_value(struct gen *G, struct sb *b, uint64_t v, unsigned int depth,
			 unsigned int arch)
{
	if (depth < 2 && v && chance(G->g, 15)) {
		uint64_t a = v & rnd(G->g), c = (v & ~a) | (a & rnd(G->g));

		render_term(G, b, a, depth + 1, arch);
		sb_printf(b, chance(G->g, 70) ? "|" : " | ");
		render_value(G, b, c, depth + 1, arch);
		return;
	}
	render_term(G, b, v, depth, arch);
}

static void render_marked(struct gen *G, struct sb *b, uint64_t v, bool wide, unsigned int arch)
{
	if (wide) {
		G->mark = b->len;
		G->marked = true;
	}
	render_value(G, b, v, 0, arch);
}

static void render_cmp(struct gen *G, struct sb *b, const struct xcmp *c, unsigned int arch)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };
	bool tight = chance(G->g, 8);
	unsigned int i;

	sb_printf(b, "arg%u", c->arg);
	switch (c->op) {
	case X_MASK:
		sb_printf(b, tight ? "&" : " & ");
		render_marked(G, b, c->mask, c->wide == MASK_IS_WIDE, arch);
		sb_printf(b, tight ? "==" : " == ");
		render_marked(G, b, c->v[0], c->wide == 1, arch);
		break;
	case X_IN:
		sb_printf(b, tight ? " in{" : " in {");
		for (i = 0; i < c->nv; i++) {
			if (i)
				sb_printf(b, tight ? "," : ", ");
			render_marked(G, b, c->v[i], c->wide == i + 1, arch);
		}
		sb_printf(b, "}");
		break;
	default:
		sb_printf(b, tight ? "%s" : " %s ", ops[c->op]);
		if (c->pid)
			sb_printf(b, "$pid");
		else
			render_marked(G, b, c->v[0], c->wide == 1, arch);
		break;
	}
}

static void render_expr(struct gen *G, struct sb *b, const struct xrule *r, int i,
			enum xkind parent, unsigned int arch)
{
	const struct xnode *n = &r->nodes[i];
	bool paren =
		(parent == K_AND && n->kind == K_OR) || chance(G->g, n->kind == K_CMP ? 4 : 12);

	if (paren)
		sb_printf(b, chance(G->g, 80) ? "(" : "( ");
	if (n->kind == K_CMP) {
		render_cmp(G, b, &n->c, arch);
	} else {
		render_expr(G, b, r, n->l, n->kind, arch);
		if (chance(G->g, 6))
			sb_printf(b, n->kind == K_AND ? "&&" : "||");
		else
			sb_printf(b, n->kind == K_AND ? " && " : " || ");
		render_expr(G, b, r, n->r, n->kind, arch);
	}
	if (paren)
		sb_printf(b, chance(G->g, 80) ? ")" : " )");
}

static const char *errname_of(int e)
{
	size_t i;

	for (i = 0; i < N_ERRNAMES; i++) {
		if (errnames[i].value == e)
			return errnames[i].name;
	}
	return NULL;
}

/* One rule's line, without the newline. */
static void render_rule(struct gen *G, struct sb *b, const struct xrule *r)
{
	unsigned int arch = sec_arch(r->sec, G->target);

	if (chance(G->g, 8))
		sb_printf(b, chance(G->g, 50) ? "  " : "\t");
	sb_printf(b, "%s", pool[r->sys].name);
	if (r->root >= 0) {
		sb_printf(b, chance(G->g, 85) ? ": " : chance(G->g, 50) ? ":" : " : ");
		render_expr(G, b, r, r->root, K_CMP, arch);
	}
	switch (r->act) {
	case A_ALLOW:
		if (chance(G->g, 20))
			sb_printf(b, " -> allow");
		break;
	case A_ERRNO: {
		const char *name = errname_of(r->err);

		sb_printf(b, chance(G->g, 90) ? " -> return " : "->return ");
		if (name && chance(G->g, 70))
			sb_printf(b, "%s", name);
		else if (chance(G->g, 50))
			sb_printf(b, "%d", r->err);
		else
			sb_printf(b, chance(G->g, 50) ? "0x%x" : "0%o", (unsigned int)r->err);
		break;
	}
	case A_LOG:
		sb_printf(b, chance(G->g, 90) ? " -> log" : "->log");
		break;
	case A_TRAP:
		sb_printf(b, " -> trap");
		break;
	case A_SIGMASK:
		sb_printf(b, " -> emulate_sigmask");
		break;
	}
	if (chance(G->g, 25))
		sb_printf(b, "%s# why: %u", chance(G->g, 50) ? "  " : " ", below(G->g, 1000));
}

static const char *sec_name(enum sec s)
{
	return s == SEC_ALL ? "all" : s == SEC_X86 ? "x86_64" : "aarch64";
}

/* The policy's text: its rules in order, with comments, blank lines and
 * @arch lines; each rule learns its line. */
static void render_policy(struct gen *G, struct xpolicy *p, unsigned int role)
{
	struct sb *b = &p->text;
	enum sec cur = SEC_ALL;
	unsigned int line = 1, i;

	b->len = 0;
	sb_printf(b, "# fuzz/%s.policy (generated)\n", role_names[role]);
	for (i = 0; i < p->n; i++) {
		struct xrule *r = &p->rules[i];

		if (chance(G->g, 10)) {
			sb_printf(b, "\n");
			line++;
		}
		if (chance(G->g, 12)) {
			sb_printf(b, "%s# a comment about what follows\n",
				  chance(G->g, 20) ? " " : "");
			line++;
		}
		if (r->sec != cur || chance(G->g, 3)) {
			sb_printf(b, "@arch %s%s\n", sec_name(r->sec),
				  chance(G->g, 30) ? "   # section" : "");
			line++;
			cur = r->sec;
		}
		render_rule(G, b, r);
		sb_printf(b, "\n");
		r->line = ++line;
	}
	if (chance(G->g, 30))
		sb_printf(b, "# the end");
}

/* ---- policies: a baseline, and roles that mostly stay within it ---- */

static bool has_uncond(const struct xrule *rules, unsigned int n, const struct xrule *r)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct xrule *o = &rules[i];

		if (o->root < 0 && r->root < 0 && o->sys == r->sys && o->act == r->act &&
		    o->err == r->err && o->kept == r->kept)
			return true;
	}
	return false;
}

/* Rules are generated in groups (one syscall's rules, in order) and the
 * groups interleaved: only the order within a syscall means anything. */
struct group {
	struct xrule *rules;
	unsigned int n, next;
};

static struct xrule scratch[MAX_RULES];

static void interleave(struct rng *g, struct xpolicy *p, struct group *grp, unsigned int n_grp)
{
	unsigned int left = 0, i;

	for (i = 0; i < n_grp; i++)
		left += grp[i].n;
	p->n = 0;
	while (left) {
		unsigned int k = below(g, left);

		for (i = 0; i < n_grp; i++) {
			unsigned int rest = grp[i].n - grp[i].next;

			if (k < rest) {
				p->rules[p->n++] = grp[i].rules[grp[i].next++];
				break;
			}
			k -= rest;
		}
		left--;
	}
}

/* Layers of at most LAYER_COST comparisons once in DNF (~4 BPF
 * instructions each): programs well within BPF_MAXINSNS.  The last
 * conditional rules go first (a role keeps being within the baseline). */
#define LAYER_COST 700
#define SMALL_LAYER 300 /* far from BPF_MAXINSNS whatever the shape */

static void trim(struct xpolicy *p)
{
	while (p->n && dnf_cost(p) > LAYER_COST) {
		unsigned int i = p->n;

		while (i-- > 0 && p->rules[i].root < 0)
			;
		memmove(&p->rules[i], &p->rules[i + 1], (p->n - i - 1) * sizeof(p->rules[0]));
		p->n--;
	}
}

static void gen_baseline(struct gen *G, struct xpolicy *p, bool many_errnos)
{
	struct group grp[24];
	unsigned int n_grp = 1 + below(G->g, 16), i, j, k, used = 0;
	bool taken[N_POOL] = { false };

	if (many_errnos)
		n_grp = 20;
	for (i = 0; i < n_grp && used < MAX_RULES - 4; i++) {
		unsigned int sys = i == 0 && chance(G->g, 75) ? (unsigned int)sys_index("ioctl")
							      : pick_sys(G->g);
		unsigned int n = 1 + below(G->g, many_errnos ? 3 : 4);

		if (taken[sys] && !many_errnos) {
			grp[i].n = 0;
			grp[i].next = 0;
			continue;
		}
		taken[sys] = true;
		grp[i].rules = &scratch[used];
		grp[i].n = 0;
		grp[i].next = 0;
		for (j = 0; j < n && used < MAX_RULES - 4; j++) {
			struct xrule *r = &scratch[used];

			rule_init(G, r, sys, false);
			r->act = gen_action(G->g, sys, false);
			if (many_errnos && chance(G->g, 80))
				r->act = A_ERRNO;
			if (r->act == A_ERRNO)
				r->err = gen_errno(G->g, many_errnos);
			/* unconditional: mostly the last word on the syscall */
			if (!chance(G->g, j + 1 == n ? 35 : 8))
				gen_cond(G, r);
			if (r->root < 0 && has_uncond(scratch, used, r))
				continue;
			/* the ioctl hot path: KVM_RUN in a set on arg1 */
			if (strcmp(pool[sys].name, "ioctl") == 0 && r->root >= 0 &&
			    chance(G->g, 40)) {
				int n0 = new_node(r);

				r->nodes[n0].kind = K_CMP;
				r->nodes[n0].c.arg = 1;
				r->nodes[n0].c.op = X_IN;
				r->nodes[n0].c.nv = 1 + below(G->g, MAX_SET);
				r->nodes[n0].c.v[0] = (unsigned int)KVM_RUN;
				for (k = 1; k < r->nodes[n0].c.nv; k++)
					r->nodes[n0].c.v[k] =
						pick_cst(G->g, G_KVM, G->target)->value;
				r->root = n0;
			}
			used++;
			grp[i].n++;
		}
	}
	interleave(G->g, p, grp, n_grp);
	trim(p);
}

/* A rule of the role within baseline rule b (allowing, kept): b's
 * condition, narrowed by more comparisons. */
static void derive(struct gen *G, struct xrule *r, const struct xrule *b)
{
	unsigned int alt = 1, w = 0;

	rule_init(G, r, b->sys, true);
	r->origin = O_DERIVED;
	r->act = gen_action(G->g, b->sys, true);
	if (b->root < 0) {
		if (chance(G->g, 70))
			gen_cond(G, r);
		return;
	}
	r->root = copy_tree(r, b, b->root);
	dnf_size(r, r->root, &alt, &w);
	if (w < MAX_WIDTH && r->n_nodes + 16 <= MAX_NODES && chance(G->g, 75)) {
		unsigned int ea, ew;
		int top = new_node(r), extra;

		extra = gen_expr(G, r, MAX_ALT / alt < 8 ? MAX_ALT / alt : 8, MAX_WIDTH - w, 1, &ea,
				 &ew);
		r->nodes[top].kind = K_AND;
		if (chance(G->g, 50)) {
			r->nodes[top].l = r->root;
			r->nodes[top].r = extra;
		} else {
			r->nodes[top].l = extra;
			r->nodes[top].r = r->root;
		}
		r->root = top;
	}
}

/* A refusing rule (errno or trap): a role may refuse anything. */
static void refusing(struct gen *G, struct xrule *r, unsigned int sys, bool many_errnos)
{
	rule_init(G, r, sys, false);
	r->act = chance(G->g, 55) ? A_ERRNO : A_TRAP;
	if (r->act == A_ERRNO)
		r->err = gen_errno(G->g, many_errnos);
	if (chance(G->g, 85))
		gen_cond(G, r);
}

/* An allowing, kept, conditional rule of the baseline, or NULL. */
static const struct xrule *pick_conditional(struct gen *G, const struct xpolicy *b)
{
	unsigned int i, n = 0, k;

	for (i = 0; i < b->n; i++)
		n += b->rules[i].kept && b->rules[i].root >= 0 && allowing(b->rules[i].act);
	if (!n)
		return NULL;
	k = below(G->g, n);
	for (i = 0; i < b->n; i++) {
		if (b->rules[i].kept && b->rules[i].root >= 0 && allowing(b->rules[i].act) && !k--)
			return &b->rules[i];
	}
	return NULL;
}

/*
 * A made-up rule close to baseline rule b: its condition with one
 * comparison of a narrow argument turned into one with $pid, or one with
 * $pid into a constant near the process id.  Within the baseline only when
 * the role check can prove it whatever the process id.
 */
static void near_miss(struct gen *G, struct xrule *r, const struct xrule *b)
{
	int cmps[MAX_NODES];
	unsigned int i, n = 0;
	struct xcmp *c;

	rule_init(G, r, b->sys, true);
	r->act = gen_action(G->g, b->sys, true);
	r->root = copy_tree(r, b, b->root);
	for (i = 0; i < r->n_nodes; i++) {
		const struct xcmp *x = &r->nodes[i].c;

		if (r->nodes[i].kind == K_CMP && r->narrow[x->arg] && x->op != X_MASK)
			cmps[n++] = (int)i;
	}
	if (!n)
		return; /* a copy: within */
	c = &r->nodes[cmps[below(G->g, n)]].c;
	if (c->pid) {
		/* near the process id, or 0: what the parser leaves in
		 * policy_cmp.value for a runtime value */
		c->pid = false;
		c->v[0] = chance(G->g, 30) ? 0 : (uint64_t)G->pid + below(G->g, 3) - 1;
		if (chance(G->g, 30))
			c->op = c->op == X_EQ ? X_NE : X_EQ;
	} else {
		c->op = chance(G->g, 70) ? X_EQ : X_NE;
		c->nv = 1;
		c->pid = true;
		c->v[0] = G->pid;
	}
}

static void gen_role(struct gen *G, struct config *cf, unsigned int role, bool with_bad,
		     bool many_errnos)
{
	const struct xpolicy *b = &cf->pol[0];
	struct xpolicy *p = &cf->pol[role];
	struct group grp[N_POOL + 4];
	unsigned int n_grp = 0, used = 0, i, j, s;
	bool seen[N_POOL] = { false };

	p->n = 0;
	if (chance(G->g, 10))
		return; /* an empty role: only the library's own rules */
	for (i = 0; i < b->n; i++) {
		const struct xrule *br = &b->rules[i];
		struct group *gr;
		unsigned int how = below(G->g, 100);

		if (!br->kept || seen[br->sys])
			continue;
		seen[br->sys] = true;
		if (chance(G->g, 45) || used + 8 > MAX_RULES)
			continue; /* no rule: the role refuses it */
		gr = &grp[n_grp++];
		gr->rules = &scratch[used];
		gr->n = gr->next = 0;
		if (how < 35) {
			/* the baseline's rules exactly (shared checks) */
			for (j = i; j < b->n && used < MAX_RULES; j++) {
				if (!b->rules[j].kept || b->rules[j].sys != br->sys)
					continue;
				scratch[used] = b->rules[j];
				scratch[used].origin = O_COPY;
				if (scratch[used].sec != SEC_ALL && chance(G->g, 50))
					scratch[used].sec = SEC_ALL;
				used++;
				gr->n++;
			}
			continue;
		}
		for (j = 1 + below(G->g, 3); j > 0 && used < MAX_RULES; j--) {
			const struct xrule *allow = NULL;
			unsigned int k, n_allow = 0;

			for (k = 0; k < b->n; k++)
				n_allow += b->rules[k].kept && b->rules[k].sys == br->sys &&
					   allowing(b->rules[k].act);
			if (n_allow && how < 85 && chance(G->g, 65)) {
				unsigned int pick = below(G->g, n_allow);

				for (k = 0; k < b->n && !allow; k++) {
					if (b->rules[k].kept && b->rules[k].sys == br->sys &&
					    allowing(b->rules[k].act) && !pick--)
						allow = &b->rules[k];
				}
				derive(G, &scratch[used], allow);
			} else {
				refusing(G, &scratch[used], br->sys, many_errnos);
			}
			if (scratch[used].root < 0 && has_uncond(scratch, used, &scratch[used]))
				continue;
			used++;
			gr->n++;
		}
	}
	/* refusals of syscalls the baseline may not have, rules of other
	 * arches' sections (parsed, never kept), and a rule made up */
	for (s = below(G->g, 4); s > 0 && used < MAX_RULES; s--) {
		struct group *gr = &grp[n_grp++];

		gr->rules = &scratch[used];
		gr->n = 1;
		gr->next = 0;
		if (chance(G->g, 30)) {
			rule_init(G, &scratch[used], pick_sys(G->g), false);
			scratch[used].sec = G->target == POLICY_ARCH_X86_64 ? SEC_A64 : SEC_X86;
			scratch[used].kept = false;
			scratch[used].nr = -1;
			scratch[used].act = gen_action(G->g, scratch[used].sys, false);
			scratch[used].err = gen_errno(G->g, false);
			gen_cond(G, &scratch[used]);
		} else {
			refusing(G, &scratch[used], pick_sys(G->g), many_errnos);
		}
		used++;
	}
	if (with_bad && used < MAX_RULES) {
		struct xrule *r = &scratch[used];
		struct group *gr = &grp[n_grp++];
		const struct xrule *near = chance(G->g, 40) ? pick_conditional(G, b) : NULL;

		if (near) {
			near_miss(G, r, near);
		} else {
			rule_init(G, r, pick_sys(G->g), true);
			r->act = gen_action(G->g, r->sys, true);
			if (chance(G->g, 80))
				gen_cond(G, r);
		}
		r->origin = O_BAD;
		gr->rules = r;
		gr->n = 1;
		gr->next = 0;
		used++;
	}
	interleave(G->g, p, grp, n_grp);
	trim(p);
}

static enum vmm_seccomp_mode gen_mode(struct rng *g)
{
	unsigned int k = below(g, 100);

	return k < 30	? VMM_SECCOMP_MODE_ENFORCE
	       : k < 48 ? VMM_SECCOMP_MODE_KILL
	       : k < 68 ? VMM_SECCOMP_MODE_ERRNO
	       : k < 88 ? VMM_SECCOMP_MODE_LOG
			: VMM_SECCOMP_MODE_OFF;
}

/* ---- vectors ---- */

struct pool64 {
	uint64_t v[6][160];
	unsigned int n[6];
};

static void pool_add(struct pool64 *pl, unsigned int arg, uint64_t v)
{
	if (pl->n[arg] < sizeof(pl->v[0]) / sizeof(pl->v[0][0]))
		pl->v[arg][pl->n[arg]++] = v;
}

/* Values around a constant: both sides of it, its other high words. */
static void pool_around(struct pool64 *pl, unsigned int arg, uint64_t v)
{
	pool_add(pl, arg, v);
	pool_add(pl, arg, v + 1);
	pool_add(pl, arg, v - 1);
	pool_add(pl, arg, v ^ (1ULL << 32));
	pool_add(pl, arg, v & 0xffffffffu);
	pool_add(pl, arg, v | 0xffffffff00000000ULL);
	pool_add(pl, arg, v ^ 0x80000000u);
	pool_add(pl, arg, v ^ (1ULL << 63));
}

static void pool_rule(struct pool64 *pl, const struct xrule *r)
{
	unsigned int i, k;

	for (i = 0; i < r->n_nodes; i++) {
		const struct xcmp *c = &r->nodes[i].c;

		if (r->nodes[i].kind != K_CMP)
			continue;
		for (k = 0; k < c->nv; k++)
			pool_around(pl, c->arg, c->v[k]);
		if (c->op == X_MASK) {
			uint64_t m = c->mask, v = c->v[0];

			pool_add(pl, c->arg, m);
			pool_add(pl, c->arg, ~m);
			pool_add(pl, c->arg, v | ~m);
			pool_add(pl, c->arg, v ^ (m & (0 - m))); /* its lowest bit wrong */
			pool_add(pl, c->arg, v ^ m);
			pool_add(pl, c->arg, (v & ~m) | (m & (m - 1)));
		}
	}
}

/* Arguments meeting the condition (as far as one random walk can). */
static void satisfy(struct rng *g, const struct xrule *r, int i, uint64_t a[6])
{
	const struct xnode *n = &r->nodes[i];
	const struct xcmp *c = &n->c;
	uint64_t v = c->v[0], hi = r->narrow[c->arg] && chance(g, 50) ? rnd(g) << 32 : 0;

	if (n->kind == K_AND) {
		satisfy(g, r, n->l, a);
		satisfy(g, r, n->r, a);
		return;
	}
	if (n->kind == K_OR) {
		satisfy(g, r, chance(g, 50) ? n->l : n->r, a);
		return;
	}
	if (r->narrow[c->arg])
		v &= 0xffffffffu;
	switch (c->op) {
	case X_EQ:
	case X_LE:
	case X_GE:
		a[c->arg] = v;
		break;
	case X_NE:
		a[c->arg] = v + 1 + below(g, 3);
		break;
	case X_LT:
		a[c->arg] = v ? v - 1 - (v > 2 ? below(g, 2) : 0) : 0;
		break;
	case X_GT:
		a[c->arg] = v + 1;
		break;
	case X_MASK:
		a[c->arg] = v | (rnd(g) & ~c->mask);
		break;
	case X_IN:
		a[c->arg] = c->v[below(g, c->nv)];
		if (r->narrow[c->arg])
			a[c->arg] &= 0xffffffffu;
		break;
	}
	a[c->arg] |= hi;
}

struct vecs {
	uint64_t (*v)[6];
	size_t n, cap;
};

static void vec_add(struct vecs *vs, const uint64_t a[6])
{
	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? vs->cap * 2 : 256;
		vs->v = realloc(vs->v, vs->cap * sizeof(*vs->v));
		assert_non_null(vs->v);
	}
	memcpy(vs->v[vs->n++], a, sizeof(vs->v[0]));
}

/* Argument vectors worth trying for syscall nr, at most `cap`. */
static void collect(struct rng *g, const struct config *cf, int nr, size_t cap, struct vecs *vs)
{
	static struct pool64 pl;
	uint64_t zero[6] = { 0 }, ones[6] = { UINT64_MAX, UINT64_MAX, UINT64_MAX,
					      UINT64_MAX, UINT64_MAX, UINT64_MAX };
	unsigned int role, i, a, k;
	size_t start = vs->n;

	memset(&pl, 0, sizeof(pl));
	for (a = 0; a < 6; a++) {
		pool_add(&pl, a, 0);
		pool_add(&pl, a, UINT64_MAX);
		pool_add(&pl, a, 0xffffffffu);
		pool_add(&pl, a, 0x100000000ULL);
	}
	if (nr == sys_nr((unsigned int)sys_index("write"), cf->arch)) {
		pool_add(&pl, 0, (uint64_t)cf->report_fd);
		pool_add(&pl, 0, (uint64_t)cf->report_fd | (1ULL << 32));
		pool_add(&pl, 0, (uint64_t)cf->report_fd + 1);
	}
	for (role = 0; role < ROLES; role++) {
		for (i = 0; i < cf->pol[role].n; i++) {
			if (cf->pol[role].rules[i].kept && cf->pol[role].rules[i].nr == nr)
				pool_rule(&pl, &cf->pol[role].rules[i]);
		}
	}
	vec_add(vs, zero);
	vec_add(vs, ones);
	for (role = 0; role < ROLES; role++) {
		for (i = 0; i < cf->pol[role].n; i++) {
			const struct xrule *r = &cf->pol[role].rules[i];
			unsigned int tries;

			if (!r->kept || r->nr != nr || r->root < 0)
				continue;
			for (tries = 0; tries < 2; tries++) {
				uint64_t sat[6] = { 0 };

				satisfy(g, r, r->root, sat);
				vec_add(vs, sat);
				/* each argument it tests moved to its other values */
				for (a = 0; a < 6; a++) {
					for (k = 0; k < pl.n[a] && k < 24; k++) {
						uint64_t t[6];

						memcpy(t, sat, sizeof(t));
						t[a] = pl.v[a][below(g, pl.n[a])];
						if (t[a] != sat[a])
							vec_add(vs, t);
					}
				}
			}
		}
	}
	/* random mixes of all of it */
	for (k = 0; k < 64; k++) {
		uint64_t t[6];

		for (a = 0; a < 6; a++)
			t[a] = chance(g, 85) ? pl.v[a][below(g, pl.n[a])] : rnd(g);
		vec_add(vs, t);
	}
	/* too many: a random selection (the first two kept) */
	if (vs->n - start > cap) {
		size_t n = vs->n - start, j;

		for (j = 2; j < cap; j++) {
			size_t o = j + below(g, (uint32_t)(n - j));
			uint64_t t[6];

			memcpy(t, vs->v[start + j], sizeof(t));
			memcpy(vs->v[start + j], vs->v[start + o], sizeof(t));
			memcpy(vs->v[start + o], t, sizeof(t));
		}
		vs->n = start + cap;
	}
}

/* ---- running a configuration ---- */

/* Kinds of mismatch, counted apart in the summary. */
enum cls {
	C_STACKED,  /* a thread's verdict (a role stacked on the baseline) */
	C_SIGMASK,  /* ... the rt_sigprocmask emulation where the policies refuse */
	C_BASELINE, /* the baseline alone */
	C_WITHIN,   /* an accepted role allows what no allowing baseline rule does */
	C_REFUSAL,  /* a refusal naming the wrong rule, or one within the baseline */
	C_WIDE,	    /* a constant too wide for its argument not refused as it must be */
	C_PARSE,    /* a generated policy the parser refuses */
	C_COMPILE,  /* compiling fails (and not for the size) */
	C_MODES,    /* the modes set are not the modes read */
	C_PROGRAM,  /* a program missing, present, or refused by the simulator */
	C_COUNT
};
static const char *const cls_names[C_COUNT] = {
	"stacked verdict", "stacked verdict: emulate_sigmask where the policies refuse",
	"baseline alone",  "accepted role not within the baseline",
	"wrong refusal",   "too-wide constant",
	"parse",	   "compile",
	"modes",	   "program",
};

struct stats {
	unsigned long configs, refused, refusal_confirmed, refusal_conservative;
	unsigned long long comparisons;
	unsigned long mismatches, printed, by_cls[C_COUNT];
	unsigned long wide_checked, dup_regenerated, aarch64, many_errno_configs, too_big;
	unsigned long pid_configs; /* compiled with a $pid comparison kept */
	bool quiet;
};

/* Programs to run instead of the compiled ones (the test of the test). */
struct progs {
	const struct sock_filter *p[ROLES];
	size_t len[ROLES];
};

static void print_config(const struct config *cf, unsigned int role)
{
	fprintf(stderr,
		"  configuration %lu of seed %#llx (reproduce: test_differential --seed %#llx "
		"--config %lu): arch %s, report fd %d, $pid %u, modes:",
		cf->idx, (unsigned long long)cf->seed, (unsigned long long)cf->seed, cf->idx,
		cf->arch == POLICY_ARCH_AARCH64 ? "aarch64" : "x86_64", cf->report_fd, cf->pid);
	for (unsigned int r = 0; r < ROLES; r++)
		fprintf(stderr, " %s=%s", role_names[r], mode_names[cf->mode[r]]);
	fprintf(stderr, " (%s)\n", cf->modes_how);
	/* the baseline and the role concerned, or (role ROLES) every layer */
	for (unsigned int r = 0; r < ROLES; r++) {
		if (r == 0 || r == role || role == ROLES)
			fprintf(stderr, "---- fuzz/%s.policy\n%.*s\n", role_names[r],
				(int)cf->pol[r].text.len, cf->pol[r].text.s);
	}
	fprintf(stderr, "----\n");
}

static bool finding(struct stats *st, enum cls c, const struct config *cf, unsigned int role,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Counts a mismatch, prints the first few in full. */
static bool finding(struct stats *st, enum cls c, const struct config *cf, unsigned int role,
		    const char *fmt, ...)
{
	va_list ap;

	st->mismatches++;
	st->by_cls[c]++;
	if (!st->quiet && getenv("DIFF_ALL_MISMATCHES")) {
		/* one line each, for sorting findings into classes */
		fprintf(stderr, "mismatch %#llx/%lu: ", (unsigned long long)cf->seed, cf->idx);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
		return false;
	}
	if (st->quiet || st->printed >= MAX_PRINTED)
		return false;
	st->printed++;
	fprintf(stderr, "differential MISMATCH: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	print_config(cf, role);
	return true;
}

static int run_prog(const struct progs *pg, unsigned int role, const struct bpf_input *in,
		    uint32_t *ret)
{
	return bpf_run(pg->p[role], pg->len[role], in, ret, NULL);
}

/* Every allowing rule of a role that holds is implied by an allowing rule
 * of the baseline that holds (the claim of check_role_within_baseline,
 * which ignores the order of rules). */
static bool within_baseline(const struct config *cf, unsigned int role, int nr,
			    const uint64_t args[6], const struct xrule **culprit)
{
	unsigned int i, j;

	for (i = 0; i < cf->pol[role].n; i++) {
		const struct xrule *r = &cf->pol[role].rules[i];
		bool ok = false;

		if (!r->kept || r->nr != nr || !allowing(r->act) || !rule_holds(r, args))
			continue;
		for (j = 0; j < cf->pol[0].n && !ok; j++) {
			const struct xrule *b = &cf->pol[0].rules[j];

			ok = b->kept && b->nr == nr && allowing(b->act) && rule_holds(b, args);
		}
		if (!ok) {
			*culprit = r;
			return false;
		}
	}
	return true;
}

/* A stacked mismatch in which the program emulates rt_sigprocmask (a
 * TRAP in mode 0xf) where the policies say something else. */
static enum cls stacked_class(uint32_t got, uint32_t want)
{
	bool g = (got & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP && ((got >> 8) & 0xfu) == 0xf;
	bool w =
		(want & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP && ((want >> 8) & 0xfu) == 0xf;

	return g && !w ? C_SIGMASK : C_STACKED;
}

static void add_nr(int *nrs, size_t *n, size_t cap, int nr)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (nrs[i] == nr)
			return;
	}
	if (*n < cap)
		nrs[(*n)++] = nr;
}

/* Compares every layer stacked on the baseline with the reference. */
static void compare(struct rng *g, const struct config *cf, const struct progs *pg, size_t cap,
		    struct stats *st)
{
	static const int extra_nrs[] = {
		0, 1, 2, 500, 511, 512, 1000, NR_NEVER_ALLOWED, 0x3fffffff
	};
	uint32_t native = audit_arch_of(cf->arch);
	int nrs[512] = { 0 };
	const size_t max_nrs = sizeof(nrs) / sizeof(nrs[0]);
	struct bpf_input foreign[256];
	const size_t max_foreign = sizeof(foreign) / sizeof(foreign[0]);
	size_t n_nrs = 0, n_foreign = 0, i;
	unsigned int role, k;
	struct vecs vs = { 0 };

	/* every number a policy names and its neighbours, the library's own,
	 * random ones, numbers above the table */
	add_nr(nrs, &n_nrs, max_nrs, sys_nr((unsigned int)sys_index("write"), cf->arch));
	add_nr(nrs, &n_nrs, max_nrs, sys_nr((unsigned int)sys_index("rt_sigreturn"), cf->arch));
	add_nr(nrs, &n_nrs, max_nrs, sys_nr((unsigned int)sys_index("ioctl"), cf->arch));
	for (k = 0; k < sizeof(extra_nrs) / sizeof(extra_nrs[0]); k++)
		add_nr(nrs, &n_nrs, max_nrs, extra_nrs[k]);
	/* reviewed without a rule of the policies: the dangerous list */
	for (k = 0; dangerous_syscalls[k]; k++) {
		int d = seccomp_syscall_resolve_name_arch(
			cf->arch == POLICY_ARCH_AARCH64 ? SCMP_ARCH_AARCH64 : SCMP_ARCH_X86_64,
			dangerous_syscalls[k]);

		if (d < 0)
			continue;
		add_nr(nrs, &n_nrs, max_nrs, d);
		add_nr(nrs, &n_nrs, max_nrs, d - 1);
		add_nr(nrs, &n_nrs, max_nrs, d + 1);
	}
	for (k = 0; k < 8; k++)
		add_nr(nrs, &n_nrs, max_nrs, (int)below(g, 520));
	for (role = 0; role < ROLES; role++) {
		for (k = 0; k < cf->pol[role].n; k++) {
			const struct xrule *r = &cf->pol[role].rules[k];

			if (!r->kept)
				continue;
			add_nr(nrs, &n_nrs, max_nrs, r->nr);
			add_nr(nrs, &n_nrs, max_nrs, r->nr - 1);
			add_nr(nrs, &n_nrs, max_nrs, r->nr + 1);
		}
	}
	/* foreign arches and ABIs: the numbers the policies name (which reach
	 * their blocks in a layer without an ABI check of its own), and some */
	for (k = 0; k < n_nrs && n_foreign + 8 < max_foreign; k++) {
		static const uint32_t x86_foreign[] = { AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64 };
		static const uint32_t a64_foreign[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_ARM };
		int nr = nrs[k];
		unsigned int f;

		if (nr < 0 || nr >= 0x40000000 || (k >= 12 + 3 * 16 && !chance(g, 10)))
			continue;
		for (f = 0; f < 2; f++) {
			foreign[n_foreign].arch =
				cf->arch == POLICY_ARCH_X86_64 ? x86_foreign[f] : a64_foreign[f];
			foreign[n_foreign++].nr = nr;
		}
		if (cf->arch == POLICY_ARCH_X86_64) {
			/* x32: bit 30 in an x86_64 number */
			foreign[n_foreign].arch = AUDIT_ARCH_X86_64;
			foreign[n_foreign++].nr = (int)(0x40000000u | (uint32_t)nr);
		}
	}
	if (cf->arch == POLICY_ARCH_X86_64) {
		static const uint32_t edges[] = { 0x40000000u, 0x7fffffffu, 0x80000000u,
						  0xffffffffu };

		for (k = 0; k < 4; k++) {
			foreign[n_foreign].arch = AUDIT_ARCH_X86_64;
			foreign[n_foreign++].nr = (int)edges[k];
		}
	}

	for (i = 0; i < n_nrs + n_foreign; i++) {
		struct bpf_input in = { .arch = native };
		size_t v;

		vs.n = 0;
		if (i < n_nrs) {
			in.nr = nrs[i];
			if (in.nr < 0)
				continue;
			collect(g, cf, in.nr, cap, &vs);
		} else {
			in = foreign[i - n_nrs];
			collect(g, cf, (int)((uint32_t)in.nr & 0x3fffffffu), 6, &vs);
		}
		for (v = 0; v < vs.n; v++) {
			uint32_t bgot = 0, bwant = 0;
			bool base_on = pg->p[0] != NULL;

			memcpy(in.args, vs.v[v], sizeof(in.args));
			if (base_on) {
				bwant = ref_layer(cf, 0, in.arch, in.nr, in.args);
				if (run_prog(pg, 0, &in, &bgot)) {
					finding(st, C_PROGRAM, cf, 0,
						"the baseline's program does not run");
					continue;
				}
				st->comparisons++;
				if (!same_verdict(bgot, bwant, 0))
					finding(st, C_BASELINE, cf, 0,
						"role process nr %d arch %#x args %#llx %#llx "
						"%#llx "
						"%#llx %#llx %#llx: got %#x want %#x",
						in.nr, in.arch, (unsigned long long)in.args[0],
						(unsigned long long)in.args[1],
						(unsigned long long)in.args[2],
						(unsigned long long)in.args[3],
						(unsigned long long)in.args[4],
						(unsigned long long)in.args[5], bgot, bwant);
			}
			for (role = 1; role < ROLES; role++) {
				uint32_t got[2], want[2], rgot, rwant, sg, sw;
				const struct xrule *culprit = NULL;
				size_t n = 0;

				if (!pg->p[role])
					continue;
				rwant = ref_layer(cf, role, in.arch, in.nr, in.args);
				if (run_prog(pg, role, &in, &rgot)) {
					finding(st, C_PROGRAM, cf, role,
						"role %s: the program does not run",
						role_names[role]);
					continue;
				}
				if (base_on) {
					got[n] = bgot;
					want[n++] = bwant;
				}
				/* (the baseline must say "unreviewed" itself: its
				 * programs serve the kill mode too) */
				got[n] = as_handled(cf, rgot, in.arch, in.nr);
				want[n++] = rwant;
				sg = kernel_stack(got, n);
				sw = kernel_stack(want, n);
				st->comparisons++;
				if (!same_verdict(sg, sw, role))
					finding(st, stacked_class(sg, sw), cf, role,
						"role %s (mode %s) over the baseline (mode %s): nr "
						"%d "
						"arch %#x args %#llx %#llx %#llx %#llx %#llx "
						"%#llx: "
						"got %#x want %#x (role layer %#x, reference %#x; "
						"baseline %#x, reference %#x)",
						role_names[role], mode_names[cf->mode[role]],
						mode_names[cf->mode[0]], in.nr, in.arch,
						(unsigned long long)in.args[0],
						(unsigned long long)in.args[1],
						(unsigned long long)in.args[2],
						(unsigned long long)in.args[3],
						(unsigned long long)in.args[4],
						(unsigned long long)in.args[5], sg, sw, rgot, rwant,
						bgot, bwant);
				if (in.arch == native &&
				    !within_baseline(cf, role, in.nr, in.args, &culprit))
					finding(st, C_WITHIN, cf, role,
						"role %s was accepted, but its rule at line %u "
						"allows "
						"nr %d args %#llx %#llx %#llx %#llx %#llx %#llx, "
						"which "
						"no allowing rule of the baseline does",
						role_names[role], culprit->line, in.nr,
						(unsigned long long)in.args[0],
						(unsigned long long)in.args[1],
						(unsigned long long)in.args[2],
						(unsigned long long)in.args[3],
						(unsigned long long)in.args[4],
						(unsigned long long)in.args[5]);
			}
		}
	}
	free(vs.v);
}

/* A refused configuration: the rule the message names must be an allowing
 * rule of that role, not one built to be within the baseline; a vector it
 * allows and the baseline does not confirms the refusal. */
static void check_refusal(struct rng *g, const struct config *cf, const char *msg, struct stats *st)
{
	char name[64];
	unsigned int line, col, role, i, t;
	const struct xrule *r = NULL;
	const char *at = strstr(msg, "fuzz/");
	struct vecs vs = { 0 };
	bool witness = false;

	st->refused++;
	if (!at || sscanf(at, "fuzz/%63[^.].policy:%u:%u:", name, &line, &col) != 3) {
		finding(st, C_REFUSAL, cf, 0, "refused without naming a rule: %s", msg);
		return;
	}
	for (role = 1; role < ROLES && strcmp(role_names[role], name); role++)
		;
	for (i = 0; role < ROLES && i < cf->pol[role].n; i++) {
		if (cf->pol[role].rules[i].line == line)
			r = &cf->pol[role].rules[i];
	}
	if (!r || !r->kept || !allowing(r->act)) {
		finding(st, C_REFUSAL, cf, role < ROLES ? role : 0,
			"the refusal names no allowing rule of that role: %s", msg);
		return;
	}
	if (r->origin != O_BAD) {
		finding(st, C_REFUSAL, cf, role, "a rule built within the baseline was refused: %s",
			msg);
		return;
	}
	/* a witness: arguments the rule allows that no baseline rule does */
	collect(g, cf, r->nr, 4096, &vs);
	for (t = 0; t < 64 && r->root >= 0; t++) {
		uint64_t a[6] = { 0 };

		satisfy(g, r, r->root, a);
		vec_add(&vs, a);
	}
	for (i = 0; i < vs.n && !witness; i++) {
		const struct xrule *culprit;

		witness = rule_holds(r, vs.v[i]) &&
			  !within_baseline(cf, role, r->nr, vs.v[i], &culprit);
	}
	free(vs.v);
	if (witness) {
		st->refusal_confirmed++;
	} else {
		/* the check is per clause and per baseline rule: a clause that
		 * only several baseline rules cover together is refused */
		st->refusal_conservative++;
		if (getenv("DIFF_VERBOSE"))
			fprintf(stderr, "conservative refusal (no witness found): %s\n", msg);
	}
}

/* Sets the modes: one call per layer, or one configuration string with
 * later tokens overriding earlier ones. */
static void set_modes(struct rng *g, struct vmm_seccomp *ctx, struct config *cf, struct stats *st)
{
	unsigned int r, k;

	for (r = 0; r < ROLES; r++)
		cf->mode[r] = gen_mode(g);
	if (chance(g, 50)) {
		for (r = 0; r < ROLES; r++)
			assert_int_equal(vmm_seccomp_set_role_mode(ctx, r, cf->mode[r]), 0);
		snprintf(cf->modes_how, sizeof(cf->modes_how), "vmm_seccomp_set_role_mode");
		return;
	} else {
		struct sb s = { 0 };
		enum vmm_seccomp_mode all = gen_mode(g);
		bool alias = chance(g, 30) &&
			     (all == VMM_SECCOMP_MODE_ENFORCE || all == VMM_SECCOMP_MODE_OFF);

		sb_printf(&s, "%s",
			  alias ? (all == VMM_SECCOMP_MODE_ENFORCE ? "true" : "false")
				: mode_names[all]);
		for (r = 0; r < ROLES; r++) {
			bool wrong = chance(g, 20);

			/* sometimes a wrong mode first, then the right one */
			if (wrong)
				sb_printf(&s, ",%s=%s", role_names[r], mode_names[gen_mode(g)]);
			if (wrong || cf->mode[r] != all || chance(g, 30))
				sb_printf(&s, ",%s=%s", role_names[r], mode_names[cf->mode[r]]);
		}
		assert_int_equal(vmm_seccomp_configure(ctx, s.s), 0);
		snprintf(cf->modes_how, sizeof(cf->modes_how), "vmm_seccomp_configure(\"%s\")",
			 s.s);
		free(s.s);
	}
	for (k = 0; k < ROLES; k++) {
		if (vmm_seccomp_get_role_mode(ctx, k) != cf->mode[k])
			finding(st, C_MODES, cf, 0, "%s: role %s is in mode %s, not %s",
				cf->modes_how, role_names[k],
				mode_names[vmm_seccomp_get_role_mode(ctx, k)],
				mode_names[cf->mode[k]]);
	}
}

/*
 * A constant too wide for a narrow argument, in a line inserted into the
 * baseline's text: the parse must fail naming that file, line and column
 * and the value, and leave the policy it appends to as it was.
 */
static void check_wide(struct gen *G, struct vmm_seccomp *ctx, const struct config *cf,
		       struct stats *st)
{
	static const char *const narrow_sys[] = { "ioctl",  "fcntl", "futex",	       "socket",
						  "tgkill", "write", "read",	       "madvise",
						  "prctl",  "kill",  "rt_sigprocmask", "dup3" };
	const struct xpolicy *b = &cf->pol[0];
	struct xrule *r = &scratch[0];
	struct sb line = { 0 }, text = { 0 };
	struct policy p;
	unsigned int after = b->n ? below(G->g, b->n + 1) : 0, L, alt, w, a;
	enum sec sec = after ? b->rules[after - 1].sec : SEC_ALL;
	size_t at;
	const char *msg;
	char expect[160];
	int rc, wide_node, other;
	uint64_t v;

	rule_init(G, r, (unsigned int)sys_index(narrow_sys[below(G->g, 12)]), true);
	r->sec = sec; /* where the line goes */
	for (a = below(G->g, 6), w = 0; w < 6 && !r->narrow[a]; w++)
		a = (a + 1) % 6;
	if (!r->narrow[a])
		return; /* (no narrow argument in an older table) */
	wide_node = new_node(r);
	r->nodes[wide_node].kind = K_CMP;
	gen_cmp(G, r, &r->nodes[wide_node].c, 4, a);
	r->nodes[wide_node].c.pid = false; /* the wide constant is written instead */
	v = gen_wide(G->g);
	if (r->nodes[wide_node].c.op == X_MASK && chance(G->g, 50)) {
		r->nodes[wide_node].c.mask = v;
		r->nodes[wide_node].c.v[0] &= v;
		r->nodes[wide_node].c.wide = MASK_IS_WIDE;
	} else {
		unsigned int k = below(G->g, r->nodes[wide_node].c.nv);

		/* a mask's value outside a (narrow) mask: the width is
		 * checked first */
		r->nodes[wide_node].c.v[k] = v;
		r->nodes[wide_node].c.wide = k + 1;
	}
	r->root = wide_node;
	if (chance(G->g, 60)) {
		int top = new_node(r);

		other = gen_expr(G, r, 16, 4, 1, &alt, &w);
		r->nodes[top].kind = chance(G->g, 50) ? K_AND : K_OR;
		r->nodes[top].l = chance(G->g, 50) ? other : wide_node;
		r->nodes[top].r = r->nodes[top].l == other ? wide_node : other;
		r->root = top;
	}
	r->act = gen_action(G->g, r->sys, false);
	r->err = gen_errno(G->g, false);
	G->marked = false;
	render_rule(G, &line, r);
	assert_true(G->marked);
	at = G->mark;

	/* the baseline's text, with the line after rule `after` */
	L = after ? b->rules[after - 1].line + 1 : 1;
	{
		const char *s = b->text.s;
		size_t pos = 0;
		unsigned int l;

		for (l = 1; l < L && pos < b->text.len; l++)
			pos += strcspn(s + pos, "\n") + 1;
		if (pos > b->text.len)
			pos = b->text.len;
		sb_printf(&text, "%.*s", (int)pos, s);
		if (pos && s[pos - 1] != '\n')
			sb_printf(&text, "\n");
		sb_printf(&text, "%s\n%.*s", line.s, (int)(b->text.len - pos), s + pos);
	}

	policy_init(&p);
	assert_int_equal(parse_rules(ctx, &p, "fuzz/before.policy", "getpid\n"), 0);
	rc = parse_rules(ctx, &p, "fuzz/process.policy", text.s);
	msg = vmm_seccomp_last_error(ctx);
	snprintf(expect, sizeof(expect), "fuzz/process.policy:%u:%zu: ", L, at + 1);
	st->wide_checked++;
	if (rc != -EINVAL) {
		finding(st, C_WIDE, cf, 0,
			"a constant (%#llx) too wide for arg%u of %s was accepted (rc %d), line "
			"%u: %s",
			(unsigned long long)v, a, pool[r->sys].name, rc, L, line.s);
	} else {
		char hex[40];

		snprintf(hex, sizeof(hex), "%#llx", (unsigned long long)v);
		if (strncmp(msg, expect, strlen(expect)) != 0 || !strstr(msg, "does not fit") ||
		    !strstr(msg, hex))
			finding(st, C_WIDE, cf, 0,
				"a too wide constant %s, line %u column %zu (%s), refused with "
				"\"%s\"",
				hex, L, at + 1, line.s, msg);
	}
	if (rc && (p.n_rules != 1 || p.n_files != 1 ||
		   p.rules[0].nr != sys_nr((unsigned int)sys_index("getpid"), cf->arch)))
		finding(st, C_WIDE, cf, 0,
			"a failed parse changed the policy (%zu rules, %zu files)", p.n_rules,
			p.n_files);
	policy_release(&p);
	free(line.s);
	free(text.s);
}

static void release_config(struct config *cf)
{
	unsigned int r;

	for (r = 0; r < ROLES; r++)
		free(cf->pol[r].text.s);
	memset(cf, 0, sizeof(*cf));
}

/* Parses every layer's text into ctx; false (and *dup) if a policy
 * repeats a rule (regenerated: the parser is right to refuse it). */
static bool load_policies(struct vmm_seccomp *ctx, const struct config *cf, struct stats *st,
			  bool *dup)
{
	unsigned int r;

	*dup = false;
	for (r = 0; r < ROLES; r++) {
		char origin[64];
		int rc;

		snprintf(origin, sizeof(origin), "fuzz/%s.policy", role_names[r]);
		if (r < VMM_SECCOMP_ROLE_COUNT) {
			policy_init(&ctx->layer[r].replacement);
			rc = parse_rules(ctx, &ctx->layer[r].replacement, origin,
					 cf->pol[r].text.s);
		} else {
			/* defined, as the embedder's are; checked against the
			 * baseline when compiled, as the built-in ones */
			struct policy own;

			policy_init(&own);
			rc = parse_rules(ctx, &own, origin, cf->pol[r].text.s);
			if (!rc)
				assert_int_equal(role_add(ctx, role_names[r], &own), (int)r);
			policy_release(&own);
		}
		if (rc) {
			const char *msg = vmm_seccomp_last_error(ctx);

			if (strstr(msg, "duplicate rule")) {
				*dup = true;
				return false;
			}
			finding(st, C_PARSE, cf, r, "the policy does not parse: %s", msg);
			return false;
		}
		ctx->layer[r].replaced = true;
	}
	return true;
}

/* -E2BIG for a layer that may well need more than BPF_MAXINSNS? */
static bool too_big(const struct config *cf, const char *msg)
{
	unsigned int r;

	for (r = 0; r < ROLES; r++) {
		char name[64];

		snprintf(name, sizeof(name), "role %s:", role_names[r]);
		if (strstr(msg, name))
			return dnf_cost(&cf->pol[r]) > SMALL_LAYER;
	}
	return false;
}

/* Whether a kept rule of the configuration compares with $pid. */
static bool uses_pid(const struct config *cf)
{
	unsigned int r, i, k;

	for (r = 0; r < ROLES; r++) {
		for (i = 0; i < cf->pol[r].n; i++) {
			const struct xrule *x = &cf->pol[r].rules[i];

			for (k = 0; x->kept && k < x->n_nodes; k++) {
				if (x->nodes[k].kind == K_CMP && x->nodes[k].c.pid)
					return true;
			}
		}
	}
	return false;
}

/* Generates, compiles and compares configuration `idx` of `seed`. */
static void run_config(uint64_t seed, unsigned long idx, size_t cap, struct stats *st, bool print)
{
	static struct config cf;
	struct rng g = { mix(seed ^ mix(idx)) };
	struct gen G = { .g = &g, .pid = (uint32_t)getpid() };
	bool many = chance(&g, 10), with_bad = chance(&g, 25), dup;
	unsigned int attempt, r;

	G.target = chance(&g, 20) ? POLICY_ARCH_AARCH64 : POLICY_ARCH_X86_64;
	set_role_names(&g);
	for (attempt = 0; attempt < 8; attempt++) {
		struct vmm_seccomp *ctx = vmm_seccomp_new();
		struct progs pg;
		int rc;

		assert_non_null(ctx);
		release_config(&cf);
		cf.seed = seed;
		cf.idx = idx;
		cf.arch = G.target;
		cf.pid = G.pid;
		assert_int_equal(ctx_set_arch(ctx, cf.arch), 0);
		ctx->no_prebuilt = true;
		ctx->no_runtime_groups = true;
		gen_baseline(&G, &cf.pol[0], many);
		render_policy(&G, &cf.pol[0], 0);
		for (r = 1; r < ROLES; r++) {
			gen_role(&G, &cf, r, with_bad && chance(&g, 30), many);
			render_policy(&G, &cf.pol[r], r);
		}
		if (print)
			print_config(&cf, ROLES);
		if (!load_policies(ctx, &cf, st, &dup)) {
			vmm_seccomp_free(ctx);
			if (dup) {
				st->dup_regenerated++;
				continue;
			}
			break;
		}
		set_modes(&g, ctx, &cf, st);
		cf.report_fd = 2;
		if (chance(&g, 50)) {
			static const int fds[] = { 0, 1, 3, 7, 100, 1000, 65535, 0x7fffffff };

			cf.report_fd = fds[below(&g, sizeof(fds) / sizeof(fds[0]))];
			assert_int_equal(vmm_seccomp_set_report_fd(ctx, cf.report_fd), 0);
		}
		if (chance(&g, 35))
			check_wide(&G, ctx, &cf, st);
		rc = vmm_seccomp_compile(ctx);
		if (rc == -EPERM) {
			check_refusal(&g, &cf, vmm_seccomp_last_error(ctx), st);
			vmm_seccomp_free(ctx);
			with_bad = false; /* the same without made-up rules */
			continue;
		}
		st->configs++;
		st->aarch64 += cf.arch == POLICY_ARCH_AARCH64;
		st->many_errno_configs += many;
		if (rc == -E2BIG && too_big(&cf, vmm_seccomp_last_error(ctx))) {
			/* (not expected: the generator keeps layers smaller) */
			st->too_big++;
			vmm_seccomp_free(ctx);
			break;
		}
		if (rc) {
			unsigned long cost[ROLES];

			for (r = 0; r < ROLES; r++)
				cost[r] = dnf_cost(&cf.pol[r]);
			finding(st, C_COMPILE, &cf, 0,
				"compiling failed (%d): %s (comparisons in DNF: %lu %lu %lu %lu "
				"%lu "
				"%lu %lu %lu %lu)",
				rc, vmm_seccomp_last_error(ctx), cost[0], cost[1], cost[2], cost[3],
				cost[4], cost[5], cost[6], cost[7], cost[8]);
			vmm_seccomp_free(ctx);
			break;
		}
		for (r = 0; r < ROLES; r++) {
			pg.p[r] = vmm_seccomp_program(ctx, r, &pg.len[r]);
			if ((pg.p[r] == NULL) != (cf.mode[r] == VMM_SECCOMP_MODE_OFF))
				finding(st, C_PROGRAM, &cf, r, "role %s in mode %s %s a program",
					role_names[r], mode_names[cf.mode[r]],
					pg.p[r] ? "has" : "has no");
			if (pg.p[r] && ctx->layer[r].pid != cf.pid)
				finding(st, C_PROGRAM, &cf, r, "role %s: $pid is %u, not %u",
					role_names[r], ctx->layer[r].pid, cf.pid);
		}
		st->pid_configs += uses_pid(&cf);
		compare(&g, &cf, &pg, cap, st);
		vmm_seccomp_free(ctx);
		break;
	}
	release_config(&cf);
}

/* ---- the suite ---- */

#define SUITE_SEED 0x5eccd1ffULL

static void print_stats(const struct stats *st)
{
	unsigned int c;

	printf("differential: %lu configurations, %llu comparisons, %lu mismatches\n", st->configs,
	       st->comparisons, st->mismatches);
	printf("differential: %lu aarch64, %lu with many errno values, %lu with $pid, %lu "
	       "refused (%lu confirmed by a witness, %lu conservative), %lu too-wide constants "
	       "refused, %lu regenerated (duplicate rule), %lu too big for BPF\n",
	       st->aarch64, st->many_errno_configs, st->pid_configs, st->refused,
	       st->refusal_confirmed, st->refusal_conservative, st->wide_checked,
	       st->dup_regenerated, st->too_big);
	for (c = 0; c < C_COUNT; c++) {
		if (st->by_cls[c])
			printf("differential: %lu mismatches of class: %s\n", st->by_cls[c],
			       cls_names[c]);
	}
}

static void test_syscall_table(void **state)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	size_t i;

	(void)state;
	assert_non_null(ctx);
	/* our numbers are libseccomp's (the library's source of them) */
	assert_int_equal(ctx_set_arch(ctx, POLICY_ARCH_X86_64), 0);
	for (i = 0; i < N_POOL; i++)
		assert_int_equal(resolve_ctx_syscall(ctx, pool[i].name), pool[i].x86);
	assert_int_equal(ctx_set_arch(ctx, POLICY_ARCH_AARCH64), 0);
	for (i = 0; i < N_POOL; i++)
		assert_int_equal(resolve_ctx_syscall(ctx, pool[i].name),
				 pool[i].a64 == A64_NONE ? -1 : pool[i].a64);
	vmm_seccomp_free(ctx);
}

static void test_random_policies(void **state)
{
	struct stats st = { 0 };
	/* a few seconds natively; memcheck is ~50 times slower, and so is an
	 * emulated CPU (the arm64 guest of tools/test-aarch64.sh) */
	bool slow = on_valgrind() || getenv("VMM_SECCOMP_SLOW_CPU");
	unsigned long n = getenv("VMM_SECCOMP_SLOW_CPU") ? 40 : slow ? 80 : 300, i;
	size_t cap = slow ? 60 : 160;

	(void)state;
	for (i = 0; i < n; i++)
		run_config(SUITE_SEED, i, cap, &st, false);
	print_stats(&st);
	assert_true(st.configs > n / 2);
	assert_true(st.pid_configs > n / 10); /* the runtime value is exercised */
	assert_true(st.comparisons > (slow ? 10000u : 1000000u));
	assert_int_equal(st.mismatches, 0);
}

/* ---- hand-written configurations (the test of the test; known classes) ---- */

/* A rule of the generator's representation from a few fields. */
static struct xrule *add_rule(struct config *cf, unsigned int role, const char *sys, enum xact act,
			      int err)
{
	struct xpolicy *p = &cf->pol[role];
	struct xrule *r = &p->rules[p->n++];
	unsigned int a;

	memset(r, 0, sizeof(*r));
	r->sys = (unsigned int)sys_index(sys);
	r->kept = true;
	r->nr = sys_nr(r->sys, cf->arch);
	r->root = -1;
	r->act = act;
	r->err = err;
	for (a = 0; a < 6; a++)
		r->narrow[a] = policy_arg_narrow(sys, a);
	return r;
}

static void add_in(struct xrule *r, unsigned int arg, const uint64_t *v, unsigned int n)
{
	int i = new_node(r);

	r->nodes[i].kind = K_CMP;
	r->nodes[i].c.arg = arg;
	r->nodes[i].c.op = X_IN;
	r->nodes[i].c.nv = n;
	memcpy(r->nodes[i].c.v, v, n * sizeof(*v));
	r->root = i;
}

/* Renders and compiles a hand-made configuration; NULL if it fails. */
static struct vmm_seccomp *compile_config(struct config *cf, struct rng *g)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	struct gen G = { .g = g, .target = cf->arch };
	struct stats st = { 0 };
	unsigned int r;
	bool dup;

	assert_non_null(ctx);
	assert_int_equal(ctx_set_arch(ctx, cf->arch), 0);
	ctx->no_prebuilt = true;
	ctx->no_runtime_groups = true;
	for (r = 0; r < ROLES; r++)
		render_policy(&G, &cf->pol[r], r);
	assert_true(load_policies(ctx, cf, &st, &dup));
	for (r = 0; r < ROLES; r++)
		assert_int_equal(vmm_seccomp_set_role_mode(ctx, r, cf->mode[r]), 0);
	assert_int_equal(vmm_seccomp_set_report_fd(ctx, cf->report_fd), 0);
	if (vmm_seccomp_compile(ctx)) {
		fprintf(stderr, "compile: %s\n", vmm_seccomp_last_error(ctx));
		vmm_seccomp_free(ctx);
		return NULL;
	}
	return ctx;
}

static unsigned long compare_ctx(struct vmm_seccomp *ctx, const struct config *cf, struct progs *pg,
				 bool quiet)
{
	struct rng g = { 42 };
	struct stats st = { .quiet = quiet };
	struct progs own;
	unsigned int r;

	if (!pg) {
		for (r = 0; r < ROLES; r++)
			own.p[r] = vmm_seccomp_program(ctx, r, &own.len[r]);
		pg = &own;
	}
	compare(&g, cf, pg, 400, &st);
	assert_true(st.comparisons > 0);
	return st.mismatches;
}

/* A baseline like the built-in one in miniature, a vcpu role that narrows
 * ioctl, and roles without any ioctl rule. */
static void small_config(struct config *cf)
{
	static const uint64_t vm_ioctls[] = { (unsigned int)KVM_RUN, (unsigned int)KVM_CREATE_VM,
					      (unsigned int)KVM_IRQFD, TCGETS };
	static const uint64_t run[] = { (unsigned int)KVM_RUN };
	static const uint64_t ops[] = { FUTEX_WAIT, FUTEX_WAKE };
	unsigned int r;

	memset(cf, 0, sizeof(*cf));
	cf->arch = POLICY_ARCH_X86_64;
	cf->report_fd = 2;
	add_in(add_rule(cf, 0, "ioctl", A_ALLOW, 0), 1, vm_ioctls, 4);
	add_in(add_rule(cf, 0, "futex", A_ALLOW, 0), 1, ops, 2);
	add_rule(cf, 0, "getpid", A_ALLOW, 0);
	add_rule(cf, 0, "clone", A_ERRNO, ENOSYS);
	add_in(add_rule(cf, 2, "ioctl", A_ALLOW, 0), 1, run, 1);
	add_in(add_rule(cf, 2, "futex", A_ALLOW, 0), 1, ops, 2);
	add_rule(cf, 3, "getpid", A_ALLOW, 0);
	for (r = 0; r < ROLES; r++)
		cf->mode[r] = VMM_SECCOMP_MODE_ENFORCE;
}

/* Compiles a hand-made configuration, compares it with the reference and
 * releases both: the mismatches. */
static unsigned long config_mismatches(struct config *cf, struct rng *g)
{
	struct vmm_seccomp *ctx = compile_config(cf, g);
	unsigned long bad;

	assert_non_null(ctx);
	bad = compare_ctx(ctx, cf, NULL, false);
	vmm_seccomp_free(ctx);
	release_config(cf);
	return bad;
}

/* The test of the test: a program that differs from its policy in one
 * constant or one return is caught. */
static void test_mutation_is_caught(void **state)
{
	static struct config cf;
	struct rng g = { 7 };
	struct vmm_seccomp *ctx;
	struct progs pg;
	struct sock_filter *copy;
	size_t len, i;
	unsigned int r, mutants = 0, caught = 0, rets = 0, rets_caught = 0;
	bool hot = false;

	(void)state;
	small_config(&cf);
	/* modes in which a violation, a foreign ABI and a trap differ */
	cf.mode[0] = VMM_SECCOMP_MODE_ERRNO;
	cf.mode[2] = VMM_SECCOMP_MODE_LOG;
	ctx = compile_config(&cf, &g);
	assert_non_null(ctx);
	assert_int_equal(compare_ctx(ctx, &cf, NULL, false), 0);
	for (r = 0; r < ROLES; r++)
		pg.p[r] = vmm_seccomp_program(ctx, r, &pg.len[r]);
	/* every constant and every return of the vcpu layer and of the
	 * baseline, one at a time */
	for (r = 0; r <= 2; r += 2) {
		const struct sock_filter *orig = pg.p[r];

		len = pg.len[r];
		copy = malloc(len * sizeof(*copy));
		assert_non_null(copy);
		for (i = 0; i < len; i++) {
			uint16_t cls = BPF_CLASS(orig[i].code);
			unsigned long bad;

			memcpy(copy, orig, len * sizeof(*copy));
			if (cls == BPF_JMP && BPF_OP(copy[i].code) != BPF_JA)
				copy[i].k ^= copy[i].k == (unsigned int)KVM_RUN
						     ? ((unsigned int)KVM_RUN ^
							(unsigned int)KVM_CREATE_VM)
						     : 1;
			else if (cls == BPF_RET)
				copy[i].k = copy[i].k == SECCOMP_RET_ALLOW ? SECCOMP_RET_ERRNO | 1
									   : SECCOMP_RET_ALLOW;
			else
				continue;
			pg.p[r] = copy;
			bad = compare_ctx(ctx, &cf, &pg, true);
			pg.p[r] = orig;
			mutants++;
			caught += bad > 0;
			rets += cls == BPF_RET;
			rets_caught += cls == BPF_RET && bad > 0;
			if (!bad && getenv("DIFF_VERBOSE"))
				fprintf(stderr,
					"mutant not caught: role %u insn %zu code %#x k %#x -> "
					"%#x\n",
					r, i, orig[i].code, orig[i].k, copy[i].k);
			if (orig[i].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
			    orig[i].k == (unsigned int)KVM_RUN) {
				/* a vCPU thread that could create VMs */
				assert_true(bad > 0);
				hot = true;
			}
		}
		free(copy);
	}
	printf("differential: %u of %u mutants caught (%u of %u returns)\n", caught, mutants,
	       rets_caught, rets);
	/* Every return matters; a jump's constant may not: moving a bound of
	 * the search on the syscall number by one changes nothing when the
	 * number it moves across never reaches the search (the hot syscall,
	 * tested before it) or may go either way (a number a role leaves to
	 * the baseline): three of them here. */
	assert_true(hot);
	assert_int_equal(rets_caught, rets);
	assert_true(caught * 10 >= mutants * 9);

	/* and a reference that is wrong, against honest programs */
	cf.pol[2].rules[0].act = A_ERRNO;
	cf.pol[2].rules[0].err = EPERM;
	assert_true(compare_ctx(ctx, &cf, NULL, true) > 0);
	vmm_seccomp_free(ctx);
	release_config(&cf);
}

/* Known classes, each in its smallest form. */
static void test_role_without_hot_rules(void **state)
{
	static struct config cf;
	struct rng g = { 11 };
	static const enum vmm_seccomp_mode modes[] = { VMM_SECCOMP_MODE_ENFORCE,
						       VMM_SECCOMP_MODE_KILL };
	size_t m;

	(void)state;
	for (m = 0; m < 2; m++) {
		unsigned int r;

		/* the api role has no ioctl rule: it must refuse every ioctl
		 * the baseline allows (a thread in it runs both) */
		small_config(&cf);
		for (r = 0; r < ROLES; r++)
			cf.mode[r] = modes[m];
		assert_int_equal(config_mismatches(&cf, &g), 0);
	}
}

/*
 * A role's own emulate_sigmask rule (not the baseline's: the role keeps
 * its rt_sigprocmask block) returns a TRAP in mode 0xf.  Of two TRAPs the
 * kernel keeps the role's, so that return outranks the baseline's refusal
 * of anything that reaches the block: it must not be reached by a syscall
 * of a foreign ABI (a layer without its own ABI check) or by a number the
 * baseline has no rule for (the search on the baseline's numbers only).
 */
static void test_role_sigmask_block(void **state)
{
	static struct config cf;
	static const uint64_t block[] = { SIG_BLOCK };
	static const unsigned int arches[] = { POLICY_ARCH_X86_64, POLICY_ARCH_AARCH64 };
	static const enum vmm_seccomp_mode modes[] = { VMM_SECCOMP_MODE_ENFORCE,
						       VMM_SECCOMP_MODE_ERRNO };
	struct rng g = { 17 };
	size_t a, m;
	unsigned long bad = 0;

	(void)state;
	for (a = 0; a < 2; a++) {
		for (m = 0; m < 2; m++) {
			unsigned int r;

			memset(&cf, 0, sizeof(cf));
			cf.arch = arches[a];
			cf.report_fd = 2;
			add_rule(&cf, 0, "rt_sigprocmask", A_SIGMASK, 0);
			add_in(add_rule(&cf, 2, "rt_sigprocmask", A_SIGMASK, 0), 0, block, 1);
			for (r = 0; r < ROLES; r++)
				cf.mode[r] = modes[m];
			bad += config_mismatches(&cf, &g);
		}
	}
	assert_int_equal(bad, 0);
}

static void test_many_errno_values(void **state)
{
	static struct config cf;
	struct rng g = { 13 };
	unsigned int i, r;

	(void)state;
	memset(&cf, 0, sizeof(cf));
	cf.arch = POLICY_ARCH_X86_64;
	cf.report_fd = 2;
	/* 40 syscall numbers' worth of distinct errno values in one layer */
	for (i = 0; i < 40; i++) {
		uint64_t v = i;
		struct xrule *rl = add_rule(&cf, 0, "getpid", A_ERRNO, (int)(100 + i));

		add_in(rl, 0, &v, 1);
	}
	add_rule(&cf, 0, "getpid", A_ALLOW, 0);
	for (r = 0; r < ROLES; r++)
		cf.mode[r] = VMM_SECCOMP_MODE_ENFORCE;
	assert_int_equal(config_mismatches(&cf, &g), 0);
}

static void test_wide_constants(void **state)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *token; /* where the message must point */
	} bad[] = {
		{ "ioctl: arg1 == 0x1000000ae80\n", 1, "0x1000000ae80" },
		{ "getpid\nfutex: arg0 == 0x100000000 || arg1 in {1, ~0x80000000}\n", 2,
		  "~0x80000000" },
		{ "tgkill: arg2 & 0x1ffffffff == 0\n", 1, "0x1ffffffff" },
		{ "write: arg0 >= 4294967296\n", 1, "4294967296" },
		{ "socket: arg0 == AF_UNIX && arg2 in {0, -1, ~0x80000000|1}\n", 1, "~0x8" },
	};
	static const char *const good =
		"ioctl: arg1 == 0xffffffff || arg1 == -1 || arg1 == ~0\n"
		"futex: arg1 & ~(FUTEX_PRIVATE_FLAG|FUTEX_CLOCK_REALTIME) == FUTEX_WAIT\n"
		"tgkill: arg2 == -0x80000000\n"
		"mmap: arg1 == 0x100000000\n"; /* a length: 64 bits */
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	struct policy p;
	size_t i;

	(void)state;
	assert_non_null(ctx);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *line = bad[i].text, *msg;
		char prefix[64];
		unsigned int l;

		for (l = 1; l < bad[i].line; l++)
			line = strchr(line, '\n') + 1;
		snprintf(prefix, sizeof(prefix), "wide:%u:%d: ", bad[i].line,
			 (int)(strstr(line, bad[i].token) - line) + 1);
		policy_init(&p);
		assert_int_equal(parse_rules(ctx, &p, "wide", bad[i].text), -EINVAL);
		msg = vmm_seccomp_last_error(ctx);
		if (strncmp(msg, prefix, strlen(prefix)) || !strstr(msg, "does not fit"))
			fprintf(stderr, "%s-> %s (expected %s...)\n", bad[i].text, msg, prefix);
		assert_true(strncmp(msg, prefix, strlen(prefix)) == 0);
		assert_non_null(strstr(msg, "does not fit"));
		assert_int_equal(p.n_rules, 0);
		policy_release(&p);
	}
	policy_init(&p);
	assert_int_equal(parse_rules(ctx, &p, "good", good), 0);
	assert_int_equal(p.n_rules, 4);
	policy_release(&p);
	vmm_seccomp_free(ctx);
}

/* ---- the long run ---- */

static int long_run(uint64_t seed, double seconds, unsigned long iterations, long only)
{
	struct stats st = { 0 };
	struct timespec t0, t1;
	double elapsed = 0, last_note = 0;
	unsigned long i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = only >= 0 ? (unsigned long)only : 0;; i++) {
		run_config(seed, i, 400, &st, only >= 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (only >= 0 || (iterations && i + 1 >= iterations) ||
		    (!iterations && elapsed >= seconds))
			break;
		if (elapsed - last_note >= 60) {
			fprintf(stderr,
				"differential: %.0f s, %lu configurations, %llu comparisons, %lu "
				"mismatches\n",
				elapsed, st.configs, st.comparisons, st.mismatches);
			last_note = elapsed;
		}
	}
	printf("differential: seed %#llx\n", (unsigned long long)seed);
	print_stats(&st);
	printf("differential: %.1f s, %.0f comparisons/s\n", elapsed,
	       elapsed > 0 ? (double)st.comparisons / elapsed : 0.0);
	return st.mismatches ? 1 : 0;
}

static int usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--seed S] [--seconds T | --iterations N] [--config I]\n"
		"  (or DIFF_SEED, DIFF_SECONDS, DIFF_ITERATIONS); no argument: the test "
		"suite\n",
		argv0);
	return 2;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_table),
		cmocka_unit_test(test_wide_constants),
		cmocka_unit_test(test_role_without_hot_rules),
		cmocka_unit_test(test_many_errno_values),
		cmocka_unit_test(test_role_sigmask_block),
		cmocka_unit_test(test_mutation_is_caught),
		cmocka_unit_test(test_random_policies),
	};
	uint64_t seed = getenv("DIFF_SEED") ? strtoull(getenv("DIFF_SEED"), NULL, 0) : 0;
	double seconds = getenv("DIFF_SECONDS") ? strtod(getenv("DIFF_SECONDS"), NULL) : 0;
	unsigned long iterations =
		getenv("DIFF_ITERATIONS") ? strtoul(getenv("DIFF_ITERATIONS"), NULL, 0) : 0;
	long only = -1;
	bool long_mode = seed || seconds > 0 || iterations;
	int i;

	set_role_names(NULL);

	for (i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
			seed = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0)
			seconds = strtod(argv[++i], NULL);
		else if (i + 1 < argc && strcmp(argv[i], "--iterations") == 0)
			iterations = strtoul(argv[++i], NULL, 0);
		else if (i + 1 < argc && strcmp(argv[i], "--config") == 0)
			only = strtol(argv[++i], NULL, 0);
		else
			return usage(argv[0]);
		long_mode = true;
	}
	if (long_mode) {
		if (!seed)
			seed = SUITE_SEED;
		if (seconds <= 0 && !iterations)
			seconds = 60;
		return long_run(seed, seconds, iterations, only);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
