/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SIGSYS handler: violation reports, ERRNO-mode refusals, the
 * enforce-mode end, unreviewed syscalls (ENOSYS and a report, in every
 * mode that refuses), and rt_sigprocmask emulation.  Everything here is
 * async-signal-safe: no allocation, no stdio, no libseccomp, only tables
 * built by vmm_seccomp_compile() and raw syscalls every filter allows.
 */
#include "internal.h"
#include "../threads/threads.h"

#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif
#define X32_SYSCALL_BIT 0x40000000
/* x32 is x86_64's audit arch with bit 30 in the number; arm64 has no such
 * second ABI */
#if defined(__x86_64__)
#define NATIVE_FOREIGN_BIT X32_SYSCALL_BIT
#else
#define NATIVE_FOREIGN_BIT 0
#endif

static struct vmm_seccomp *_Atomic active;

void report_set_active(struct vmm_seccomp *ctx)
{
	atomic_store(&active, ctx);
}

struct vmm_seccomp *report_active(void)
{
	return atomic_load(&active);
}

bool trap_is_unreviewed(const struct vmm_seccomp *ctx, uint32_t data, uint32_t arch, int nr)
{
	unsigned int layer = TRAP_DATA_ROLE(data), mode = TRAP_DATA_MODE(data);
	uint32_t native =
		ctx && ctx->arch == POLICY_ARCH_AARCH64 ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64;

	if (TRAP_DATA_UNREVIEWED(data))
		return true;
	if (!ctx || layer >= ctx->n_roles ||
	    (mode != VMM_SECCOMP_MODE_ENFORCE && mode != VMM_SECCOMP_MODE_ERRNO))
		return false; /* (the sigmask emulation has a mode of its own) */
	if (arch != native || nr < 0 || (native == AUDIT_ARCH_X86_64 && (nr & X32_SYSCALL_BIT)))
		return false; /* a foreign ABI is never "unreviewed" */
	if (nr >= NR_TABLE_SIZE)
		return true;
	return !((ctx->reviewed[layer][nr / 64] >> (nr % 64)) & 1);
}

/* ---- formatting without stdio ---- */

struct line {
	char buf[640];
	size_t len;
};

static void put_str(struct line *l, const char *s)
{
	while (s && *s && l->len < sizeof(l->buf) - 2)
		l->buf[l->len++] = *s++;
}

static void put_dec(struct line *l, long v)
{
	char tmp[24];
	size_t n = 0;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	if (v < 0)
		put_str(l, "-");
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n && l->len < sizeof(l->buf) - 2)
		l->buf[l->len++] = tmp[--n];
}

static void put_hex(struct line *l, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	size_t n = 0;

	put_str(l, "0x");
	do {
		tmp[n++] = digits[v & 0xf];
		v >>= 4;
	} while (v);
	while (n && l->len < sizeof(l->buf) - 2)
		l->buf[l->len++] = tmp[--n];
}

/* ---- the trapped syscall in the signal frame ---- */

/*
 * Its arguments and where its return value goes.  On arm64 x0 carries both
 * the first argument and the return value: a trapped syscall never ran, so
 * the frame still holds the argument until the handler writes a result.
 */
#if defined(__x86_64__)
static uint64_t frame_arg(const ucontext_t *uc, int i)
{
	static const int regs[6] = { REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9 };

	return (uint64_t)uc->uc_mcontext.gregs[regs[i]];
}

/* an i386 syscall (int 0x80) from an x86_64 process: its own registers */
static uint64_t frame_arg_i386(const ucontext_t *uc, int i)
{
	static const int regs[6] = { REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP };

	return (uint32_t)uc->uc_mcontext.gregs[regs[i]];
}

static void frame_set_return(ucontext_t *uc, long v)
{
	uc->uc_mcontext.gregs[REG_RAX] = v;
}
#elif defined(__aarch64__)
static uint64_t frame_arg(const ucontext_t *uc, int i)
{
	return uc->uc_mcontext.regs[i];
}

/* an arm64 process has no second ABI a filter could see */
static uint64_t frame_arg_i386(const ucontext_t *uc, int i)
{
	return frame_arg(uc, i);
}

static void frame_set_return(ucontext_t *uc, long v)
{
	uc->uc_mcontext.regs[0] = (uint64_t)v;
}
#else
#error "vmm_seccomp builds for x86_64 and aarch64"
#endif

/* ---- rt_sigprocmask emulation ---- */

#define SIGBIT(s) (1ULL << (-1 + (s)))

static void emulate_sigprocmask(ucontext_t *uc)
{
	uint64_t how = frame_arg(uc, 0);
	const uint64_t *set = (const uint64_t *)frame_arg(uc, 1);
	uint64_t *oldset = (uint64_t *)frame_arg(uc, 2);
	uint64_t cur, req = 0, next;

	if (frame_arg(uc, 3) != sizeof(uint64_t)) {
		frame_set_return(uc, -EINVAL);
		return;
	}
	/* The mask the thread returns to is the one saved in the frame. */
	memcpy(&cur, &uc->uc_sigmask, sizeof(cur));
	if (set) {
		if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK) {
			frame_set_return(uc, -EINVAL);
			return;
		}
		req = *set;
	}
	if (oldset)
		*oldset = cur;
	if (set) {
		next = how == SIG_BLOCK ? (cur | req) : how == SIG_UNBLOCK ? (cur & ~req) : req;
		next &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP) | SIGBIT(SIGSYS));
		memcpy(&uc->uc_sigmask, &next, sizeof(next));
	}
	frame_set_return(uc, 0);
}

/* ---- the handler ---- */

static long raw_syscall6(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
#else
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
#endif
}

/*
 * Ends the process by SIGSYS.  SIGSYS is blocked while its handler runs, so
 * a syscall that a filter traps makes the kernel reset SIGSYS to its
 * default action and deliver it: the process dies by SIGSYS (and dumps core
 * where core dumps are enabled), exactly as with SECCOMP_RET_KILL_PROCESS.
 * Nothing the thread did to SIGSYS matters.  An x32 syscall number is a
 * foreign ABI, which every layer in every mode but off traps (or kills); an
 * arm64 process has none, so there a number no layer allows does it (a
 * layer in log mode lets it through, to ENOSYS, and the ioctl follows).
 * valgrind answers syscalls it does not know without the kernel, so under
 * valgrind an ioctl request no policy names does the same job.
 */
#define IOCTL_NEVER_ALLOWED 0x5eccu /* _IO(0x5e, 0xcc): no argument to check */

static void die_by_sigsys(const struct vmm_seccomp *ctx)
{
	if (!ctx || !ctx->under_valgrind)
		raw_syscall6(NATIVE_FOREIGN_BIT | NR_NEVER_ALLOWED, 0, 0, 0);
	raw_syscall6(SYS_ioctl, -1, IOCTL_NEVER_ALLOWED, 0);
	/* Not reached while any enforcing layer is in place. */
	raw_syscall6(SYS_kill, raw_syscall6(SYS_getpid, 0, 0, 0), SIGKILL, 0);
}

static const char *arch_name(uint32_t arch, int nr)
{
	if (arch == AUDIT_ARCH_X86_64)
		return (nr & X32_SYSCALL_BIT) ? "x32" : "x86_64";
	if (arch == AUDIT_ARCH_I386)
		return "i386";
	if (arch == AUDIT_ARCH_AARCH64)
		return "aarch64";
	return "unknown";
}

static void handle_sigsys(int sig, siginfo_t *info, void *uctx)
{
	ucontext_t *uc = uctx;
	struct vmm_seccomp *ctx = atomic_load(&active);
	struct thread_self *self = thread_self();
	struct vmm_seccomp_violation v;
	struct line l = { .len = 0 };
	uint32_t data;
	enum vmm_seccomp_mode mode;
	int saved_errno = errno;
	int i, slot;
	char pname[16];

	(void)sig;
	if (info->si_code != SYS_SECCOMP)
		return; /* somebody sent SIGSYS by hand: not ours to judge */
	data = (uint32_t)info->si_errno;
	mode = (enum vmm_seccomp_mode)TRAP_DATA_MODE(data);
	if (TRAP_DATA_MODE(data) == TRAP_MODE_SIGMASK && info->si_arch == NATIVE_AUDIT_ARCH) {
		emulate_sigprocmask(uc);
		errno = saved_errno;
		return;
	}

	memset(&v, 0, sizeof(v));
	v.layer = (enum vmm_seccomp_role)TRAP_DATA_ROLE(data);
	if (ctx && (unsigned int)v.layer >= ctx->n_roles)
		v.layer = VMM_SECCOMP_ROLE_PROCESS;
	/* the thread's role, whichever of its layers refused */
	v.role = self->has_role ? (enum vmm_seccomp_role)self->role : v.layer;
	if (ctx && (unsigned int)v.role >= ctx->n_roles)
		v.role = v.layer;
	/* the built-in names when the context is gone (freed while applied) */
	v.role_name = ctx ? role_name(ctx, v.role) : vmm_seccomp_role_name(v.role);
	v.layer_name = ctx ? role_name(ctx, v.layer) : vmm_seccomp_role_name(v.layer);
	if (!v.role_name)
		v.role_name = "?";
	if (!v.layer_name)
		v.layer_name = "?";
	if ((unsigned int)mode >= VMM_SECCOMP_MODE_COUNT)
		mode = VMM_SECCOMP_MODE_ENFORCE;
	v.arch = (uint32_t)info->si_arch;
	v.syscall_nr = info->si_syscall & ~X32_SYSCALL_BIT;
	v.arch_name = arch_name(v.arch, info->si_syscall);
	v.tid = self->tid ? self->tid : (int)raw_syscall6(SYS_gettid, 0, 0, 0);
	if (self->name[0]) {
		v.thread_name = self->name;
	} else {
		memset(pname, 0, sizeof(pname));
		raw_syscall6(SYS_prctl, PR_GET_NAME, (long)pname, 0);
		v.thread_name = pname;
	}
	for (i = 0; i < 6; i++)
		v.args[i] = v.arch == AUDIT_ARCH_I386 ? frame_arg_i386(uc, i) : frame_arg(uc, i);
	v.syscall_name = "?";
	if (ctx && v.syscall_nr >= 0 && v.syscall_nr < NR_TABLE_SIZE) {
		const char *n = NULL;

		if (v.arch == AUDIT_ARCH_I386)
			n = ctx->names_i386[v.syscall_nr];
		else
			n = ctx->names_native[v.syscall_nr];
		if (n)
			v.syscall_name = n;
	}
	if (v.arch == NATIVE_AUDIT_ARCH && !(info->si_syscall & NATIVE_FOREIGN_BIT) &&
	    v.syscall_nr == SYS_ioctl)
		v.ioctl_name = policy_ioctl_name(v.args[1]);
	v.mode = mode;
	v.unreviewed = trap_is_unreviewed(ctx, data, v.arch, info->si_syscall);

	put_str(&l, v.unreviewed ? "vmm_seccomp: unreviewed syscall thread="
				 : "vmm_seccomp: violation thread=");
	put_str(&l, v.thread_name);
	put_str(&l, " tid=");
	put_dec(&l, v.tid);
	put_str(&l, " role=");
	put_str(&l, v.role_name);
	if (v.layer != v.role) {
		put_str(&l, " layer=");
		put_str(&l, v.layer_name);
	}
	put_str(&l, " syscall=");
	put_str(&l, v.syscall_name);
	put_str(&l, " nr=");
	put_dec(&l, v.syscall_nr);
	put_str(&l, " arch=");
	put_str(&l, v.arch_name);
	put_str(&l, " args=");
	for (i = 0; i < 6; i++) {
		if (i)
			put_str(&l, ",");
		put_hex(&l, v.args[i]);
	}
	if (v.arch == NATIVE_AUDIT_ARCH && v.syscall_nr == SYS_ioctl) {
		put_str(&l, " request=");
		put_str(&l, v.ioctl_name ? v.ioctl_name : "?");
		put_str(&l, "(");
		put_hex(&l, v.args[1] & 0xffffffffu);
		put_str(&l, ")");
	}
	put_str(&l, " mode=");
	put_str(&l, vmm_seccomp_mode_name(mode));
	put_str(&l, v.unreviewed		     ? " action=ENOSYS"
		    : mode == VMM_SECCOMP_MODE_ERRNO ? " action=EPERM"
						     : " action=kill-process");
	l.buf[l.len++] = '\n';
	l.buf[l.len] = '\0';

	if (ctx) {
		slot = (v.arch == NATIVE_AUDIT_ARCH && !(info->si_syscall & NATIVE_FOREIGN_BIT) &&
			v.syscall_nr < NR_TABLE_SIZE)
			       ? v.syscall_nr
			       : FOREIGN_SLOT;
		if (ctx->counts) /* (v.role is one of ctx's: checked above) */
			atomic_fetch_add(&ctx->counts[v.role][slot], 1);
		if (ctx->report_fn)
			ctx->report_fn(&v, l.buf, ctx->report_arg);
		else
			raw_syscall6(SYS_write, ctx->report_fd, (long)l.buf, (long)l.len);
	} else {
		raw_syscall6(SYS_write, 2, (long)l.buf, (long)l.len);
	}

	if (v.unreviewed || mode == VMM_SECCOMP_MODE_ERRNO) {
		frame_set_return(uc, v.unreviewed ? -ENOSYS : -EPERM);
		errno = saved_errno;
		return;
	}
	die_by_sigsys(ctx);
}

int report_install_handler(struct vmm_seccomp *ctx)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handle_sigsys;
	sa.sa_flags = SA_SIGINFO;
	/* Nothing else interrupts a report half written. */
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		return ctx_fail(ctx, -errno, "installing the SIGSYS handler: %s", strerror(errno));
	return 0;
}
