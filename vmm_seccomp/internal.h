/* SPDX-License-Identifier: Apache-2.0 */
/* Internal interfaces of the vmm_seccomp boundary module. */
#ifndef VMM_SECCOMP_INTERNAL_H
#define VMM_SECCOMP_INTERNAL_H

#include "vmm_seccomp.h"
#include "../policy/policy.h"
#include "bpf.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <stdatomic.h>
#include <stdio.h>

/* The audit arch of this build's syscalls (POLICY_ARCH_NATIVE's). */
#if defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#endif

/* Syscall numbers we keep names and counters for (x86_64 has < 512). */
#define NR_TABLE_SIZE 512
/* Counter slot for syscalls of a foreign ABI (reported as nr -1). */
#define FOREIGN_SLOT NR_TABLE_SIZE
#define COUNT_SLOTS (NR_TABLE_SIZE + 1)

/*
 * SECCOMP_RET_DATA of our TRAP returns: which layer refused and in which
 * mode, so the SIGSYS handler needs no lookup to know it.
 */
#define TRAP_DATA(role, mode) ((uint32_t)(((unsigned int)(mode) << 8) | (unsigned int)(role)))
#define TRAP_DATA_ROLE(d) (0xffu & (d))
#define TRAP_DATA_MODE(d) (((d) >> 8) & 0xfu)
#define TRAP_MODE_SIGMASK 0xfu /* emulate rt_sigprocmask, not a violation */
/* With the layer's mode: a syscall no policy has reviewed (ENOSYS and a
 * report, docs/POLICY.md). */
#define TRAP_UNREVIEWED (1u << 12)
#define TRAP_DATA_UNREVIEWED(d) ((((d) >> 12) & 1u) != 0)

/* A syscall that no layer allows: the enforce path ends on it. */
#define NR_NEVER_ALLOWED 1023

struct prebuilt_program;

struct layer {
	enum vmm_seccomp_mode mode;
	/* A policy directory gave this role's policy, or the embedder defined
	 * the role (roles.c): replacement is its policy. */
	bool replaced;
	struct policy replacement; /* ... parsed: used instead of the built-in file */
	struct policy extra;	   /* the embedder's rules, parsed */
	struct policy resolved;	   /* built-in + extra (+ valgrind), after compile */
	struct sock_filter *prog;
	size_t prog_len;
	/* the build's program this layer's came from, or NULL (compile.c) */
	const struct prebuilt_program *prebuilt;
	/* Where prog's slots are (bpf.h), kept after compile so that the
	 * runtime ones are filled in again in the process that installs it
	 * (compile_fill_runtime_slots): the prebuilt program's, or owned. */
	const struct bpf_reloc *relocs;
	size_t n_relocs;
	struct bpf_reloc *relocs_owned;
	uint32_t pid; /* the process id prog holds for $pid (BPF_SLOT_PID) */
};

/* Landlock (landlock.c): a path rule as the embedder declared it. */
struct ll_rule {
	char *path;
	unsigned int access; /* VMM_SECCOMP_PATH_* */
};

struct ll_layer {
	struct ll_rule *rules;
	size_t n, cap;
	int fd; /* the ruleset, built at apply time; -1 if none */
};

struct ll_state {
	enum vmm_seccomp_landlock want;
	int abi;		  /* probed at compile time; -1 before */
	int test_abi;		  /* the tests: pretend the kernel has this ABI (-1: no) */
	uint64_t fs, net, scopes; /* what a domain handles on that ABI */
	bool enforced;		  /* the process is in its domain */
	int empty_fd;		  /* the ruleset of every role without rules, or -1 */
	struct ll_layer layer[VMM_SECCOMP_ROLE_MAX];
};

struct vmm_seccomp {
	/* The roles: 0 .. n_roles-1, the built-in ones first (roles.c).  A
	 * layer beyond n_roles is not a role yet, but keeps the mode the last
	 * setting of every layer gave (the mode a role defined next starts
	 * in). */
	unsigned int n_roles;
	char role_names[VMM_SECCOMP_ROLE_MAX][VMM_SECCOMP_ROLE_NAME_MAX + 1];
	struct layer layer[VMM_SECCOMP_ROLE_MAX];
	struct ll_state ll;
	int report_fd;
	vmm_seccomp_report_fn report_fn;
	void *report_arg;
	bool compiled;
	bool applied;
	bool baseline_installed;
	bool under_valgrind;
	unsigned int arch;	 /* POLICY_ARCH_* the programs are for (native: x86_64) */
	bool dangerous_baseline; /* the embedder allowed a dangerous syscall */
	/* Compile every layer now, never from the prebuilt programs, and keep
	 * every layer's resolved policy (the tool, the tests). */
	bool no_prebuilt;
	/* Add neither groups/valgrind.policy nor groups/sanitizers.policy:
	 * the programs are for simulation only, never installed (the
	 * differential tests compare them with a reference of the policy
	 * text alone). */
	bool no_runtime_groups;
	/* Tables the SIGSYS handler reads (NR_TABLE_SIZE names each, NULL for
	 * none): set by compile, never changed after; prebuilt or owned. */
	const char *const *names_native;
	const char *const *names_i386;
	char **names_owned;
	/* Per layer, the syscall numbers (native ABI) it has reviewed: the
	 * baseline's own, plus a role's own for a role; set by compile (or
	 * from the prebuilt table), read by the SIGSYS handler
	 * (trap_is_unreviewed()). */
	uint64_t reviewed[VMM_SECCOMP_ROLE_MAX][NR_TABLE_SIZE / 64];
	/* Per layer: its rules let run a syscall Landlock judges by path or
	 * socket (landlock_governed_set()); set by compile (or prebuilt). */
	bool governed[VMM_SECCOMP_ROLE_MAX];
	/* Violations per role (n_roles of them, allocated by compile: the
	 * roles are known then) and syscall; NULL before. */
	_Atomic uint64_t (*counts)[COUNT_SLOTS];
};

/* context.c */
/* Records the calling thread's error message; returns rc. */
int ctx_fail(struct vmm_seccomp *ctx, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 0 if ctx can still be configured, else -EINVAL/-EBUSY with a message. */
int ctx_check_configurable(struct vmm_seccomp *ctx);
/* -EPERM, naming the rule, if baseline rules `p` allow a syscall on the
 * dangerous list and flags lack VMM_SECCOMP_ALLOW_DANGEROUS; else 0.
 * Every way into the baseline (added rules, policy directories) asks. */
int check_dangerous(struct vmm_seccomp *ctx, const struct policy *p, unsigned int flags);
/* check_role_within_baseline() against the baseline as it stands (built-in
 * or replaced, plus the rules added to it). */
int check_within_current_baseline(struct vmm_seccomp *ctx, const char *role,
				  const struct policy *role_policy);

/* config.c: parses a configuration string into modes[] (all or nothing),
 * ROLE=MODE naming a role of ctx; a mode for every layer sets all
 * VMM_SECCOMP_ROLE_MAX entries. */
int config_parse(const struct vmm_seccomp *ctx, const char *str,
		 enum vmm_seccomp_mode modes[VMM_SECCOMP_ROLE_MAX], char *err, size_t errlen);

/* roles.c: the role model. */
/* Fills in the built-in roles of a new context. */
void roles_init(struct vmm_seccomp *ctx);
/* Whether `role` is a role of ctx. */
bool role_valid(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role);
/* The role of ctx named by the n bytes at s, or -1. */
int role_find(const struct vmm_seccomp *ctx, const char *s, size_t n);
/* 0 if `name` may name a new role of ctx; else -EINVAL (bad characters,
 * length, a reserved word) or -EEXIST, with why written to err. */
int role_check_new_name(const struct vmm_seccomp *ctx, const char *name, char *err, size_t errlen);
/* Adds a role named `name` (checked) whose policy is *p (moved into the
 * context: *p is left empty); its value, or -ENOSPC. */
int role_add(struct vmm_seccomp *ctx, const char *name, struct policy *p);
/* The names of ctx's roles, ", "-separated, for messages. */
void role_list(const struct vmm_seccomp *ctx, char *buf, size_t len);
/* The role's name; "?" for a value ctx has no role for.  Async-signal-safe. */
const char *role_name(const struct vmm_seccomp *ctx, unsigned int role);

/* builtin (generated from policy/): the policy files compiled in. */
struct builtin_policy {
	const char *name;
	const char *text;
};
extern const struct builtin_policy vmm_seccomp_builtin_policies[];
extern const size_t vmm_seccomp_builtin_policy_count;
const char *builtin_policy_text(const char *name);

/*
 * Programs compiled by the build from the built-in policies (all layers in
 * enforce mode, slots open): `alone[role]` is the role's program as it
 * stands alone, `shared[role]` the one that leaves the checks it shares
 * with the baseline to it (used when both are in the same mode).
 * vmm_seccomp_prebuilt is NULL in a build without them (cross builds) and
 * in the program that makes them (tools/prebuild.c).
 */
struct prebuilt_program {
	const struct sock_filter *prog;
	size_t len;
	const struct bpf_reloc *relocs;
	size_t n_relocs;
};

struct prebuilt {
	unsigned int arch; /* POLICY_ARCH_* */
	struct prebuilt_program alone[VMM_SECCOMP_ROLE_COUNT];
	struct prebuilt_program shared[VMM_SECCOMP_ROLE_COUNT];
	struct prebuilt_program shared_kill[VMM_SECCOMP_ROLE_COUNT]; /* both in kill mode */
	const char *const *names_native;			     /* NR_TABLE_SIZE each */
	const char *const *names_i386;
	uint64_t reviewed[VMM_SECCOMP_ROLE_COUNT][NR_TABLE_SIZE / 64]; /* as in the context */
	bool governed[VMM_SECCOMP_ROLE_COUNT];			       /* as in the context */
};

extern const struct prebuilt *const vmm_seccomp_prebuilt;

/* compile.c */
int compile_all(struct vmm_seccomp *ctx);
/* For tools/prebuild.c: a layer's program with the slots open, from a
 * context compiled with no_prebuilt (every policy resolved). */
int compile_prebuild(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, bool shared,
		     struct sock_filter **prog, size_t *len, struct bpf_reloc **relocs,
		     size_t *n_relocs);
void compile_release(struct vmm_seccomp *ctx);
/* Fills every compiled layer's runtime slots ($pid) in again for the
 * calling process (getpid()): a context compiled in one process may be
 * applied in a child.  Memory only; call before installing.  0, or -EINVAL
 * if ctx is not compiled. */
int compile_fill_runtime_slots(struct vmm_seccomp *ctx);
int parse_rules(struct vmm_seccomp *ctx, struct policy *out, const char *origin, const char *text);
/* -EPERM, naming the rule, if `role_policy` (of the role named `role`)
 * allows what `baseline` does not. */
int check_role_within_baseline(struct vmm_seccomp *ctx, const char *role,
			       const struct policy *role_policy, const struct policy *baseline);
extern const char *const dangerous_syscalls[];

/* libseccomp's syscall tables, completed with policy/syscalls.c for what
 * came after it (SCMP_ARCH_* tokens): a number or -1; a name to free, or
 * NULL. */
int syscall_resolve_name(uint32_t scmp_arch_token, const char *name);
char *syscall_resolve_num(uint32_t scmp_arch_token, int nr);
/* Number of a syscall on the arch ctx (arg) compiles for, or -1 (a
 * policy_ops resolver). */
int resolve_ctx_syscall(void *arg, const char *name);
/* Makes ctx compile for another arch (POLICY_ARCH_*): its programs can be
 * exported and simulated, not installed.  For the tool and the tests.
 * 0, -EINVAL (unknown arch) or -EBUSY (compiled). */
int ctx_set_arch(struct vmm_seccomp *ctx, unsigned int arch);
/* The policy a layer starts from: the built-in file or its replacement
 * from a policy directory (appended to *out). */
int base_policy(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, struct policy *out);

/* install.c */
bool running_on_valgrind(void);
int install_process_filter(struct vmm_seccomp *ctx);
int install_thread_filter(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role);
/* The name of thread `tid` of this process ("?" if unknown), for errors. */
void thread_comm(int tid, char *buf, size_t len);
void preload_runtime_libraries(void);

/* landlock.c */
void landlock_init(struct vmm_seccomp *ctx);
void landlock_release(struct vmm_seccomp *ctx);
/* Probes the kernel's ABI and checks every role's rules against the
 * baseline's. */
int landlock_compile(struct vmm_seccomp *ctx);
/* Builds the rulesets (every path opened again); all or nothing.  A kernel
 * without Landlock is an error unless the embedder allowed it. */
int landlock_prepare(struct vmm_seccomp *ctx);
/* Puts every thread into the process domain, calling commit() (the seccomp
 * baseline) while all other threads are parked; commit() alone if there is
 * no process domain. */
int landlock_apply_process(struct vmm_seccomp *ctx, int (*commit)(struct vmm_seccomp *ctx));
/* The calling thread enters `role`'s domain, if it has one.  No allocation. */
int landlock_enter_role(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role);
/* The syscall numbers (ctx's arch) whose target Landlock judges (a path,
 * a socket address), as a set. */
void landlock_governed_set(struct vmm_seccomp *ctx, uint64_t set[NR_TABLE_SIZE / 64]);
/* A layer's path rules and their rights on this kernel, a line each. */
void landlock_print_rules(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, FILE *f);

/* report.c */
/* Whether a TRAP with SECCOMP_RET_DATA `data` for syscall `nr` of audit
 * arch `arch` (as siginfo gives them: nr with the x32 bit) is an
 * unreviewed syscall (ENOSYS and a report) rather than a violation: the
 * layer said so (TRAP_UNREVIEWED), or its default refused a native number
 * the layer never reviewed (bpf_target.default_traps_unreviewed).
 * Async-signal-safe. */
bool trap_is_unreviewed(const struct vmm_seccomp *ctx, uint32_t data, uint32_t arch, int nr);
int report_install_handler(struct vmm_seccomp *ctx);
void report_set_active(struct vmm_seccomp *ctx);
struct vmm_seccomp *report_active(void);

#endif
