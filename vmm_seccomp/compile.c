/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resolving policies (built-in files, the embedder's rules) and compiling
 * each layer to BPF with our own generator (bpf_gen.c): libseccomp is used
 * for syscall names and numbers only.  Memory only: no kernel state.
 */
#include "internal.h"

#include <errno.h>
#include "bpf.h"

#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define BUILT_WITH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUILT_WITH_ASAN 1
#endif
#endif
#ifndef BUILT_WITH_ASAN
#define BUILT_WITH_ASAN 0
#endif

const char *const dangerous_syscalls[] = {
	"execve",
	"execveat",
	"fork",
	"vfork",
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"mount",
	"umount2",
	"pivot_root",
	"chroot",
	"setns",
	"unshare",
	"init_module",
	"finit_module",
	"delete_module",
	"kexec_load",
	"kexec_file_load",
	"bpf",
	"perf_event_open",
	"keyctl",
	"add_key",
	"request_key",
	"open_by_handle_at",
	"iopl",
	"ioperm",
	"reboot",
	"swapon",
	"swapoff",
	"personality",
	"userfaultfd",
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	NULL,
};

const char *builtin_policy_text(const char *name)
{
	size_t i;

	for (i = 0; i < vmm_seccomp_builtin_policy_count; i++) {
		if (strcmp(vmm_seccomp_builtin_policies[i].name, name) == 0)
			return vmm_seccomp_builtin_policies[i].text;
	}
	return NULL;
}

bool vmm_seccomp_is_dangerous(const char *name)
{
	size_t i;

	for (i = 0; name && dangerous_syscalls[i]; i++) {
		if (strcmp(dangerous_syscalls[i], name) == 0)
			return true;
	}
	return false;
}

static const char *open_builtin(void *arg, const char *includer, const char *name, const char **why)
{
	/* "builtin/roles/vcpu.policy", as in a policy directory, or without
	 * the prefix */
	const char *text = builtin_policy_text(strncmp(name, "builtin/", 8) == 0 ? name + 8 : name);

	(void)includer;
	(void)arg;
	if (!text)
		*why = "no built-in policy file of that name";
	return text;
}

int base_policy(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, struct policy *out)
{
	char file[64];

	if (ctx->layer[role].replaced) {
		if (policy_append(out, &ctx->layer[role].replacement))
			return ctx_fail(ctx, -ENOMEM, "out of memory");
		return 0;
	}
	/* the built-in policy of a role is roles/<role name>.policy */
	snprintf(file, sizeof(file), "roles/%s.policy", role_name(ctx, role));
	return parse_rules(ctx, out, file, builtin_policy_text(file));
}

static uint32_t scmp_arch(unsigned int arch)
{
	return arch == POLICY_ARCH_AARCH64 ? SCMP_ARCH_AARCH64 : SCMP_ARCH_X86_64;
}

int syscall_resolve_name(uint32_t scmp_arch_token, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(scmp_arch_token, name);

	if (nr == __NR_SCMP_ERROR || nr < 0)
		nr = policy_newer_syscall_nr(name);
	return nr;
}

char *syscall_resolve_num(uint32_t scmp_arch_token, int nr)
{
	char *name = seccomp_syscall_resolve_num_arch(scmp_arch_token, nr);
	const char *newer = name ? NULL : policy_newer_syscall_name(nr);

	return newer ? strdup(newer) : name;
}

int resolve_ctx_syscall(void *arg, const char *name)
{
	const struct vmm_seccomp *ctx = arg;

	return syscall_resolve_name(scmp_arch(ctx->arch), name);
}

int ctx_set_arch(struct vmm_seccomp *ctx, unsigned int arch)
{
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	if (arch != POLICY_ARCH_X86_64 && arch != POLICY_ARCH_AARCH64)
		return ctx_fail(ctx, -EINVAL, "unknown architecture");
	ctx->arch = arch;
	return 0;
}

int parse_rules(struct vmm_seccomp *ctx, struct policy *out, const char *origin, const char *text)
{
	const struct policy_ops ops = {
		.open_include = open_builtin,
		.resolve_syscall = resolve_ctx_syscall,
		.arg = ctx,
		.arch = ctx->arch,
	};
	struct policy_error err;
	int rc = policy_parse(out, origin, text, &ops, &err);

	if (rc)
		return ctx_fail(ctx, rc, "%s", err.msg);
	return 0;
}

static bool allows(enum policy_action a)
{
	return a == POLICY_ACT_ALLOW || a == POLICY_ACT_LOG || a == POLICY_ACT_SIGMASK;
}

int check_role_within_baseline(struct vmm_seccomp *ctx, const char *role, const struct policy *rp,
			       const struct policy *bp)
{
	size_t i, j;
	unsigned int c;

	for (i = 0; i < rp->n_rules; i++) {
		const struct policy_rule *r = &rp->rules[i];
		unsigned int n = r->n_clauses ? r->n_clauses : 1;

		if (!allows(r->action))
			continue;
		for (c = 0; c < n; c++) {
			const struct policy_clause *cl = r->n_clauses ? &r->clauses[c] : NULL;
			bool ok = false;

			for (j = 0; j < bp->n_rules && !ok; j++) {
				const struct policy_rule *b = &bp->rules[j];

				ok = b->nr == r->nr && allows(b->action) &&
				     policy_clause_implied(cl, b);
			}
			if (!ok) {
				char cond[160];

				if (cl) {
					struct policy_rule one = *r;

					one.n_clauses = 1;
					one.clauses = (struct policy_clause *)cl;
					policy_rule_format(&one, cond, sizeof(cond));
				} else {
					snprintf(cond, sizeof(cond), "unconditionally");
				}
				return ctx_fail(ctx, -EPERM,
						"%s:%u:%u: role %s allows %s (%s) where the "
						"process baseline does not; "
						"a role can only narrow the baseline: extend the "
						"baseline first",
						rp->files[r->file], r->line, r->col, role,
						r->syscall, cond);
			}
		}
	}
	return 0;
}

/* ---- BPF generation ---- */

/* What a layer returns for a syscall its policy does not allow. */
static uint32_t violation_ret(const struct layer *L, enum vmm_seccomp_role role)
{
	switch (L->mode) {
	case VMM_SECCOMP_MODE_KILL:
		return SECCOMP_RET_KILL_PROCESS;
	case VMM_SECCOMP_MODE_LOG:
		return SECCOMP_RET_LOG;
	default:
		return SECCOMP_RET_TRAP | TRAP_DATA(role, L->mode);
	}
}

/* The values of a layer's slots (bpf.h): what depends on its mode, on
 * the report descriptor and on the process. */
static void layer_slots(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
			uint32_t v[BPF_SLOTS])
{
	const struct layer *L = &ctx->layer[role];

	v[BPF_SLOT_NONE] = 0;
	v[BPF_SLOT_DEFAULT] = violation_ret(L, role);
	v[BPF_SLOT_BADARCH] =
		L->mode == VMM_SECCOMP_MODE_KILL
			? SECCOMP_RET_KILL_PROCESS
			: SECCOMP_RET_TRAP | TRAP_DATA(role, VMM_SECCOMP_MODE_ENFORCE);
	/* Emulation is only needed where our handler must stay deliverable,
	 * and impossible under valgrind, which masks signals itself. */
	v[BPF_SLOT_SIGMASK] = !ctx->under_valgrind && (L->mode == VMM_SECCOMP_MODE_ENFORCE ||
						       L->mode == VMM_SECCOMP_MODE_ERRNO)
				      ? SECCOMP_RET_TRAP | TRAP_DATA(role, TRAP_MODE_SIGMASK)
				      : SECCOMP_RET_ALLOW;
	v[BPF_SLOT_REPORT_FD] = (uint32_t)ctx->report_fd;
	/* What no policy has reviewed fails with ENOSYS and a report, in every
	 * mode that refuses (the SIGSYS handler sets the error): a libc that
	 * probes a newer syscall falls back.  In log mode it runs, logged. */
	v[BPF_SLOT_UNREVIEWED] =
		L->mode == VMM_SECCOMP_MODE_LOG
			? SECCOMP_RET_LOG
			: SECCOMP_RET_TRAP | TRAP_DATA(role, L->mode) | TRAP_UNREVIEWED;
	/* $pid: this process; compile_fill_runtime_slots() asks again in the
	 * process that installs the filter */
	v[BPF_SLOT_PID] = (uint32_t)getpid();
}

/* A rule as the generator takes it: its return, fixed or a slot. */
static struct bpf_rule bpf_rule_of(const struct policy_rule *r)
{
	struct bpf_rule br = { r->clauses, r->n_clauses, 0, BPF_SLOT_NONE, false };

	switch (r->action) {
	case POLICY_ACT_ALLOW:
		br.ret = SECCOMP_RET_ALLOW;
		break;
	case POLICY_ACT_ERRNO:
		br.ret = SECCOMP_RET_ERRNO | ((uint32_t)r->errno_value & SECCOMP_RET_DATA);
		break;
	case POLICY_ACT_LOG:
		br.ret = SECCOMP_RET_LOG;
		break;
	case POLICY_ACT_SIGMASK:
		br.slot = BPF_SLOT_SIGMASK;
		break;
	case POLICY_ACT_TRAP:
	default:
		br.slot = BPF_SLOT_DEFAULT;
		break;
	}
	return br;
}

static bool clause_equal(const struct policy_clause *a, const struct policy_clause *b)
{
	unsigned int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		if (a->cmp[i].arg != b->cmp[i].arg || a->cmp[i].op != b->cmp[i].op ||
		    a->cmp[i].value != b->cmp[i].value || a->cmp[i].src != b->cmp[i].src ||
		    (a->cmp[i].op == POLICY_OP_MASKED_EQ && a->cmp[i].mask != b->cmp[i].mask))
			return false;
	}
	return true;
}

struct ordered {
	const struct policy_rule *r;
	size_t seq; /* policy order, then the library's own rules */
};

static int cmp_nr(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->r->nr != y->r->nr)
		return x->r->nr < y->r->nr ? -1 : 1;
	/* keep that order within a syscall */
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A layer's rules grouped by syscall, as the generator takes them. */
struct grouped {
	struct bpf_syscall *sys;
	struct bpf_rule *rules;
	size_t n_sys;
};

static void grouped_free(struct grouped *g)
{
	free(g->sys);
	free(g->rules);
	memset(g, 0, sizeof(*g));
}

static bool same_rule_ret(const struct bpf_rule *a, const struct bpf_rule *b)
{
	return a->slot == b->slot && (a->slot != BPF_SLOT_NONE || a->ret == b->ret);
}

/*
 * Groups the layer's rules by syscall, in policy order (the first rule
 * whose condition holds decides), drops exact duplicates and anything
 * after an unconditional rule, and adds the library's own rules.  Nothing
 * here depends on the layer's mode or on the report descriptor (slots), so
 * one program serves them all.
 */
static int group_layer(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, struct grouped *g)
{
	const struct policy *p = &ctx->layer[role].resolved;
	size_t n_dangerous = 0, n, i, n_rules = 0;
	struct ordered *order;
	/* the library's own rules, only grouped here (no clause to keep) */
	struct policy_rule report, sigreturn, *refused;

	/* (the dangerous list is the baseline's to refuse) */
	while (role == VMM_SECCOMP_ROLE_PROCESS && dangerous_syscalls[n_dangerous])
		n_dangerous++;
	n = p->n_rules + 2 + n_dangerous;
	order = calloc(n, sizeof(*order));
	refused = calloc(n_dangerous ? n_dangerous : 1, sizeof(*refused));
	memset(g, 0, sizeof(*g));
	g->sys = calloc(n, sizeof(*g->sys));
	g->rules = calloc(n, sizeof(*g->rules));
	if (!order || !refused || !g->sys || !g->rules) {
		free(order);
		free(refused);
		grouped_free(g);
		return ctx_fail(ctx, -ENOMEM, "out of memory");
	}
	/* Reports must be writable from every thread, whatever its role:
	 * write(report fd), the descriptor being a slot. */
	memset(&report, 0, sizeof(report));
	report.nr = resolve_ctx_syscall(ctx, "write");
	report.action = POLICY_ACT_ALLOW;
	for (i = 0; i < p->n_rules; i++)
		order[i].r = &p->rules[i];
	order[p->n_rules].r = &report;
	/* The library's SIGSYS handler returns through rt_sigreturn (ERRNO
	 * mode, the rt_sigprocmask emulation), whatever the policy says. */
	memset(&sigreturn, 0, sizeof(sigreturn));
	sigreturn.nr = resolve_ctx_syscall(ctx, "rt_sigreturn");
	sigreturn.action = POLICY_ACT_ALLOW;
	order[p->n_rules + 1].r = &sigreturn;
	/* The dangerous syscalls are reviewed, whatever the baseline's policy
	 * says: refused (after any rule of its own), so that they end as the
	 * mode says, never as unreviewed. */
	n = p->n_rules + 2;
	for (i = 0; i < n_dangerous; i++) {
		refused[i].nr = resolve_ctx_syscall(ctx, dangerous_syscalls[i]);
		refused[i].action = POLICY_ACT_TRAP;
		if (refused[i].nr >= 0)
			order[n++].r = &refused[i];
	}
	for (i = 0; i < n; i++)
		order[i].seq = i;
	qsort(order, n, sizeof(*order), cmp_nr);

	for (i = 0; i < n; i++) {
		const struct policy_rule *r = order[i].r;
		struct bpf_syscall *cur = g->n_sys ? &g->sys[g->n_sys - 1] : NULL;
		struct bpf_rule br = bpf_rule_of(r);
		unsigned int k;
		bool skip = false;

		br.report = r == &report;
		if (!cur || cur->nr != r->nr) {
			cur = &g->sys[g->n_sys++];
			cur->nr = r->nr;
			cur->rules = &g->rules[n_rules];
			cur->n_rules = 0;
		}
		for (k = 0; k < cur->n_rules && !skip; k++) {
			const struct bpf_rule *o = &cur->rules[k];

			skip = (o->n_clauses == 0 && !o->report) ||
			       (same_rule_ret(o, &br) && !o->report && !br.report &&
				o->n_clauses == 1 && br.n_clauses == 1 &&
				clause_equal(o->clauses, br.clauses));
		}
		if (skip)
			continue;
		g->rules[n_rules++] = br;
		cur->n_rules++;
	}
	/* Rules before an unconditional one that return the same decide
	 * nothing: without them the kernel can cache the verdict. */
	for (i = 0; i < g->n_sys; i++) {
		struct bpf_syscall *s = &g->sys[i];
		struct bpf_rule *rs = (struct bpf_rule *)s->rules;
		unsigned int last = s->n_rules - 1, k;
		bool same = rs[last].n_clauses == 0 && !rs[last].report;

		for (k = 0; k < last && same; k++)
			same = same_rule_ret(&rs[k], &rs[last]);
		if (same && last > 0) {
			rs[0] = rs[last];
			s->n_rules = 1;
		}
	}
	free(order);
	free(refused);
	return 0;
}

/* The same return, but for the layer a TRAP names: the SIGSYS handler
 * emulates rt_sigprocmask whichever layer asks, and reports a violation
 * under the thread's own role. */
static bool same_ret(uint32_t a, uint32_t b)
{
	if ((a & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
	    (b & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP)
		return (a & SECCOMP_RET_DATA & ~0xffu) == (b & SECCOMP_RET_DATA & ~0xffu);
	return a == b;
}

static bool bpf_rules_equal(const struct bpf_syscall *a, const uint32_t va[BPF_SLOTS],
			    const struct bpf_syscall *b, const uint32_t vb[BPF_SLOTS])
{
	unsigned int i, c;

	if (a->n_rules != b->n_rules)
		return false;
	for (i = 0; i < a->n_rules; i++) {
		const struct bpf_rule *x = &a->rules[i], *y = &b->rules[i];

		if (!same_ret(x->slot ? va[x->slot] : x->ret, y->slot ? vb[y->slot] : y->ret) ||
		    x->n_clauses != y->n_clauses || x->report != y->report)
			return false;
		for (c = 0; c < x->n_clauses; c++) {
			if (!clause_equal(&x->clauses[c], &y->clauses[c]))
				return false;
		}
	}
	return true;
}

/*
 * Can the baseline decide alone what a role refuses?  Stacked, the kernel
 * takes the most restrictive verdict; of two TRAPs, the role's (installed
 * later).  So a role may leave a refusal to the baseline when the baseline
 * refuses the same way (same mode) or more severely (kill, or enforce and
 * errno over log).
 */
static bool baseline_refuses_alike(enum vmm_seccomp_mode base, enum vmm_seccomp_mode role)
{
	if (base == VMM_SECCOMP_MODE_OFF)
		return false;
	return base == role || base == VMM_SECCOMP_MODE_KILL ||
	       (role == VMM_SECCOMP_MODE_LOG &&
		(base == VMM_SECCOMP_MODE_ENFORCE || base == VMM_SECCOMP_MODE_ERRNO));
}

/*
 * A role's syscall whose rules are exactly the baseline's for it (the
 * thread group's futex, mmap, rt_sigaction... checks, which every layer
 * includes) gets the same verdict from the baseline for every argument;
 * checking them again in the role layer changes nothing but its length.
 * Such a syscall is allowed outright in the role layer, and the baseline,
 * which every thread carries below it, checks its arguments.  Shorter role
 * programs install faster (vmm_seccomp_enter_role) and run faster.
 */
static void leave_checks_to_baseline(struct grouped *g, const uint32_t vg[BPF_SLOTS],
				     const struct grouped *base, const uint32_t vb[BPF_SLOTS],
				     const struct bpf_rule *allow)
{
	size_t i, j = 0;

	for (i = 0; i < g->n_sys; i++) {
		struct bpf_syscall *s = &g->sys[i];

		while (j < base->n_sys && base->sys[j].nr < s->nr)
			j++;
		if (j == base->n_sys || base->sys[j].nr != s->nr)
			continue;
		if (s->n_rules == 1 && s->rules[0].n_clauses == 0 && !s->rules[0].report)
			continue; /* nothing to leave */
		if (bpf_rules_equal(s, vg, &base->sys[j], vb)) {
			s->rules = allow;
			s->n_rules = 1;
		}
	}
}

static void mark_reviewed(uint64_t set[NR_TABLE_SIZE / 64], int nr)
{
	if (nr >= 0 && nr < NR_TABLE_SIZE)
		set[nr / 64] |= 1ULL << (nr % 64);
}

static const struct bpf_target *target_of(const struct vmm_seccomp *ctx)
{
	/* x32 shares x86_64's audit arch: its syscall numbers carry bit 30.
	 * The hot path is ioctl(KVM_RUN) (ioctl: 16 on x86_64, 29 on aarch64). */
	static const struct bpf_target x86_64 = {
		.audit_arch = AUDIT_ARCH_X86_64,
		.foreign_nr_floor = 0x40000000u,
		.hot_nr = 16,
		.hot_arg = 1,
		.hot_value = KVM_RUN,
	};
	static const struct bpf_target aarch64 = {
		.audit_arch = AUDIT_ARCH_AARCH64,
		.hot_nr = 29,
		.hot_arg = 1,
		.hot_value = KVM_RUN,
	};

	return ctx->arch == POLICY_ARCH_AARCH64 ? &aarch64 : &x86_64;
}

static int generate_fail(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, int rc)
{
	return ctx_fail(ctx, rc, "role %s: generating its BPF program failed: %s",
			role_name(ctx, role),
			rc == -E2BIG ? "more than 4096 instructions" : "out of memory");
}

/*
 * Groups a layer (a role left to share the baseline's checks, if `shared`
 * and the baseline's grouping is given) and generates its program with
 * the slots open.  The baseline's policy must be resolved for `shared`.
 */
static int layer_template(struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
			  const struct grouped *base, bool shared, struct sock_filter **prog,
			  size_t *len, struct bpf_reloc **relocs, size_t *n_relocs)
{
	static const struct bpf_rule allow = { NULL, 0, SECCOMP_RET_ALLOW, BPF_SLOT_NONE, false };
	struct bpf_target t = *target_of(ctx);
	uint64_t governed[NR_TABLE_SIZE / 64];
	struct grouped g;
	bool exact = false;
	size_t i;
	int rc = group_layer(ctx, role, &g);

	if (rc)
		return rc;
	if (shared && base) {
		uint32_t vg[BPF_SLOTS], vb[BPF_SLOTS];

		layer_slots(ctx, role, vg);
		layer_slots(ctx, VMM_SECCOMP_ROLE_PROCESS, vb);
		leave_checks_to_baseline(&g, vg, base, vb, &allow);
	}
	/* A role's own rt_sigprocmask emulation is a TRAP that outranks the
	 * baseline's refusal (of two TRAPs, the role's wins): only its own
	 * syscall of its own ABI may reach that block.  (Marked whatever the
	 * mode: a template serves every mode.) */
	for (i = 0; i < g.n_sys; i++) {
		unsigned int k;

		for (k = 0; k < g.sys[i].n_rules; k++) {
			if (g.sys[i].rules[k].slot == BPF_SLOT_SIGMASK) {
				g.sys[i].exact = true;
				exact = true;
			}
		}
	}
	/* The baseline (on: shared) refuses every foreign arch and ABI with a
	 * kill, or a TRAP in enforce mode; only a role TRAP in errno mode, or
	 * a sigmask TRAP, would outrank that. */
	t.no_abi_check = shared && base && !exact &&
			 (ctx->layer[role].mode != VMM_SECCOMP_MODE_ERRNO ||
			  ctx->layer[VMM_SECCOMP_ROLE_PROCESS].mode == VMM_SECCOMP_MODE_KILL);
	/* A role refuses what the baseline reviewed and it has no rules for,
	 * and refuses as unreviewed what the baseline did not review.  On a
	 * baseline that refuses alike (traps or kills, not log), it leaves
	 * the latter, and what the baseline refuses outright, to it. */
	if (role != VMM_SECCOMP_ROLE_PROCESS && base) {
		t.below = base->sys;
		t.n_below = base->n_sys;
		t.below_refuses =
			shared && ctx->layer[VMM_SECCOMP_ROLE_PROCESS].mode != VMM_SECCOMP_MODE_LOG;
		/* (a template serves the modes of its prebuilt_for() case) */
		t.default_traps_unreviewed = ctx->layer[role].mode != VMM_SECCOMP_MODE_KILL;
	}
	/* whether the layer lets run what a Landlock domain of its own would
	 * judge (landlock.c: without, a role keeps the process's domain) */
	landlock_governed_set(ctx, governed);
	ctx->governed[role] = false;
	for (i = 0; i < g.n_sys && !ctx->governed[role]; i++) {
		int nr = g.sys[i].nr;
		unsigned int k;

		if (nr < 0 || nr >= NR_TABLE_SIZE || !(governed[nr / 64] & (1ULL << (nr % 64))))
			continue;
		for (k = 0; k < g.sys[i].n_rules; k++) {
			const struct bpf_rule *br = &g.sys[i].rules[k];
			uint32_t act = br->ret & SECCOMP_RET_ACTION_FULL;

			if (br->slot == BPF_SLOT_NONE &&
			    (act == SECCOMP_RET_ALLOW || act == SECCOMP_RET_LOG))
				ctx->governed[role] = true;
		}
	}
	/* what the SIGSYS handler takes as reviewed for this layer */
	memset(ctx->reviewed[role], 0, sizeof(ctx->reviewed[role]));
	for (i = 0; i < g.n_sys; i++)
		mark_reviewed(ctx->reviewed[role], g.sys[i].nr);
	for (i = 0; role != VMM_SECCOMP_ROLE_PROCESS && base && i < base->n_sys; i++)
		mark_reviewed(ctx->reviewed[role], base->sys[i].nr);
	rc = bpf_generate_template(&t, g.sys, g.n_sys, prog, len, relocs, n_relocs);
	grouped_free(&g);
	return rc ? generate_fail(ctx, role, rc) : 0;
}

/* Which prebuilt program (if any) serves a layer as configured. */
static const struct prebuilt_program *prebuilt_for(const struct vmm_seccomp *ctx,
						   enum vmm_seccomp_role role)
{
	const struct prebuilt *pre = vmm_seccomp_prebuilt;
	const struct layer *L = &ctx->layer[role], *B = &ctx->layer[VMM_SECCOMP_ROLE_PROCESS];

	if (!pre || ctx->no_prebuilt || ctx->under_valgrind || ctx->arch != pre->arch)
		return NULL;
	/* what the embedder changed, in this layer or in the baseline it
	 * must stay within, is compiled now */
	if (role >= VMM_SECCOMP_ROLE_COUNT || L->replaced || L->extra.n_rules || B->replaced ||
	    B->extra.n_rules)
		return NULL;
	if (role == VMM_SECCOMP_ROLE_PROCESS || !baseline_refuses_alike(B->mode, L->mode))
		return &pre->alone[role];
	/* the same mode as the baseline: the shared checks are left to it
	 * (built with both in enforce mode, and with both in kill mode, where
	 * the role's default is no TRAP the handler can take as unreviewed;
	 * in log mode the baseline lets what it refuses run, in errno mode
	 * the role checks foreign ABIs itself: compiled now) */
	if (B->mode == L->mode && B->mode == VMM_SECCOMP_MODE_ENFORCE)
		return &pre->shared[role];
	if (B->mode == L->mode && B->mode == VMM_SECCOMP_MODE_KILL)
		return &pre->shared_kill[role];
	return NULL;
}

/* Fills a layer's program's slots in for its mode, report descriptor and
 * process. */
static void resolve_slots(struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	struct layer *L = &ctx->layer[role];
	uint32_t v[BPF_SLOTS];

	layer_slots(ctx, role, v);
	bpf_resolve(L->prog, L->relocs, L->n_relocs, v);
	L->pid = v[BPF_SLOT_PID];
}

int compile_fill_runtime_slots(struct vmm_seccomp *ctx)
{
	enum vmm_seccomp_role r;

	if (!ctx->compiled)
		return ctx_fail(ctx, -EINVAL, "the policies are not compiled");
	for (r = 0; r < ctx->n_roles; r++) {
		if (ctx->layer[r].prog)
			resolve_slots(ctx, r);
	}
	return 0;
}

static int build_layers(struct vmm_seccomp *ctx, bool need_base)
{
	enum vmm_seccomp_mode base_mode = ctx->layer[VMM_SECCOMP_ROLE_PROCESS].mode;
	struct grouped base = { 0 };
	enum vmm_seccomp_role r;
	int rc = 0;

	if (need_base)
		rc = group_layer(ctx, VMM_SECCOMP_ROLE_PROCESS, &base);
	for (r = 0; r < ctx->n_roles && !rc; r++) {
		struct layer *L = &ctx->layer[r];
		const struct prebuilt_program *pre = L->prebuilt;
		struct bpf_reloc *relocs;
		size_t n_relocs;

		if (L->mode == VMM_SECCOMP_MODE_OFF)
			continue;
		if (pre) {
			/* the build's program, copied */
			L->prog = malloc(pre->len * sizeof(*L->prog));
			if (!L->prog) {
				rc = ctx_fail(ctx, -ENOMEM, "out of memory");
				break;
			}
			memcpy(L->prog, pre->prog, pre->len * sizeof(*L->prog));
			L->prog_len = pre->len;
			memcpy(ctx->reviewed[r], vmm_seccomp_prebuilt->reviewed[r],
			       sizeof(ctx->reviewed[r]));
			ctx->governed[r] = vmm_seccomp_prebuilt->governed[r];
			L->relocs = pre->relocs;
			L->n_relocs = pre->n_relocs;
			resolve_slots(ctx, r);
			continue;
		}
		rc = layer_template(ctx, r, need_base ? &base : NULL,
				    r != VMM_SECCOMP_ROLE_PROCESS &&
					    baseline_refuses_alike(base_mode, L->mode),
				    &L->prog, &L->prog_len, &relocs, &n_relocs);
		if (rc)
			break;
		/* kept: the runtime slots are filled in again at apply time */
		L->relocs_owned = relocs;
		L->relocs = relocs;
		L->n_relocs = n_relocs;
		resolve_slots(ctx, r);
	}
	grouped_free(&base);
	return rc;
}

int compile_prebuild(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, bool shared,
		     struct sock_filter **prog, size_t *len, struct bpf_reloc **relocs,
		     size_t *n_relocs)
{
	struct grouped base;
	int rc = group_layer(ctx, VMM_SECCOMP_ROLE_PROCESS, &base);

	if (!rc)
		rc = layer_template(ctx, role, &base, shared, prog, len, relocs, n_relocs);
	grouped_free(&base);
	return rc;
}

void compile_release(struct vmm_seccomp *ctx)
{
	size_t r, i;

	for (r = 0; r < ctx->n_roles; r++) {
		struct layer *L = &ctx->layer[r];

		policy_release(&L->resolved);
		free(L->prog);
		L->prog = NULL;
		L->prog_len = 0;
		L->prebuilt = NULL;
		free(L->relocs_owned);
		L->relocs_owned = NULL;
		L->relocs = NULL;
		L->n_relocs = 0;
		L->pid = 0;
	}
	if (ctx->names_owned) {
		for (i = 0; i < 2 * (size_t)NR_TABLE_SIZE; i++)
			free(ctx->names_owned[i]);
		free((void *)ctx->names_owned);
	}
	ctx->names_owned = NULL;
	ctx->names_native = ctx->names_i386 = NULL;
}

/* The names of syscalls for reports, so the SIGSYS handler never calls
 * libseccomp: prebuilt, or looked up now. */
static int name_tables(struct vmm_seccomp *ctx)
{
	const struct prebuilt *pre = vmm_seccomp_prebuilt;
	size_t i;

	if (pre && ctx->arch == pre->arch) {
		ctx->names_native = pre->names_native;
		ctx->names_i386 = pre->names_i386;
		return 0;
	}
	ctx->names_owned = (char **)calloc(2 * (size_t)NR_TABLE_SIZE, sizeof(*ctx->names_owned));
	if (!ctx->names_owned)
		return ctx_fail(ctx, -ENOMEM, "out of memory");
	for (i = 0; i < NR_TABLE_SIZE; i++) {
		ctx->names_owned[i] = syscall_resolve_num(scmp_arch(ctx->arch), (int)i);
		ctx->names_owned[NR_TABLE_SIZE + i] = syscall_resolve_num(SCMP_ARCH_X86, (int)i);
	}
	ctx->names_native = (const char *const *)ctx->names_owned;
	ctx->names_i386 = (const char *const *)ctx->names_owned + NR_TABLE_SIZE;
	return 0;
}

static int resolve_layer(struct vmm_seccomp *ctx, enum vmm_seccomp_role r)
{
	struct layer *L = &ctx->layer[r];
	int rc = base_policy(ctx, r, &L->resolved);

	if (!rc && policy_append(&L->resolved, &L->extra))
		rc = ctx_fail(ctx, -ENOMEM, "out of memory");
	if (!rc && ctx->under_valgrind && !ctx->no_runtime_groups &&
	    ctx->arch == POLICY_ARCH_X86_64)
		rc = parse_rules(ctx, &L->resolved, "groups/valgrind.policy",
				 builtin_policy_text("groups/valgrind.policy"));
	if (!rc && BUILT_WITH_ASAN && !ctx->no_runtime_groups && ctx->arch == POLICY_ARCH_X86_64)
		rc = parse_rules(ctx, &L->resolved, "groups/sanitizers.policy",
				 builtin_policy_text("groups/sanitizers.policy"));
	return rc;
}

/*
 * Layers the build compiled (built-in policies, as configured: any mode,
 * any report descriptor) come from prebuilt programs; the others, and the
 * baseline they must stay within, are resolved and compiled now.
 */
int compile_all(struct vmm_seccomp *ctx)
{
	bool resolve[VMM_SECCOMP_ROLE_MAX] = { false }, need_base = false;
	enum vmm_seccomp_role r;
	int rc = 0;

	/* a build for one architecture run under another's kernel (an x86_64
	 * binary on an arm64 kernel's compat layer cannot happen; qemu-user can) */
	if (seccomp_arch_native() != scmp_arch(POLICY_ARCH_NATIVE))
		return ctx_fail(
			ctx, -EOPNOTSUPP,
			"this build's architecture is not the kernel's (libseccomp says %#x)",
			seccomp_arch_native());
	for (r = 0; r < ctx->n_roles; r++) {
		struct layer *L = &ctx->layer[r];

		policy_init(&L->resolved);
		L->prebuilt = L->mode != VMM_SECCOMP_MODE_OFF ? prebuilt_for(ctx, r) : NULL;
		/* an embedder's rules are checked even for a layer that is off */
		resolve[r] = (L->mode != VMM_SECCOMP_MODE_OFF && !L->prebuilt) || L->replaced ||
			     L->extra.n_rules;
		need_base = need_base || resolve[r];
	}
	resolve[VMM_SECCOMP_ROLE_PROCESS] = need_base;
	for (r = 0; r < ctx->n_roles && !rc; r++) {
		if (resolve[r])
			rc = resolve_layer(ctx, r);
	}
	for (r = 0; r < ctx->n_roles && !rc; r++) {
		if (r != VMM_SECCOMP_ROLE_PROCESS && resolve[r])
			rc = check_role_within_baseline(
				ctx, role_name(ctx, r), &ctx->layer[r].resolved,
				&ctx->layer[VMM_SECCOMP_ROLE_PROCESS].resolved);
	}
	if (!rc)
		rc = build_layers(ctx, need_base);
	if (!rc)
		rc = name_tables(ctx);
	if (rc)
		compile_release(ctx);
	return rc;
}
