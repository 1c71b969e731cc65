/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy model and its parser.  Pure code: no syscalls, no libseccomp.
 * The language is described in docs/POLICY.md.
 */
#ifndef VMM_SECCOMP_POLICY_H
#define VMM_SECCOMP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLICY_MAX_CMPS 6     /* comparisons ANDed in one clause */
#define POLICY_MAX_CLAUSES 64 /* clauses ORed in one rule */
#define POLICY_MAX_INCLUDE_DEPTH 8
#define POLICY_NAME_MAX 40

enum policy_op {
	POLICY_OP_EQ,
	POLICY_OP_NE,
	POLICY_OP_LT,
	POLICY_OP_LE,
	POLICY_OP_GT,
	POLICY_OP_GE,
	POLICY_OP_MASKED_EQ, /* (arg & mask) == value */
};

/* Where a comparison's value comes from. */
enum policy_value_src {
	POLICY_VALUE_CONST, /* `value`, as written */
	/* `$pid`: the process id, filled in when the filter is installed
	 * (struct policy_runtime); `value` is 0.  Only with == and != on an
	 * argument the kernel reads as 32 bits (a pid_t). */
	POLICY_VALUE_PID,
};

struct policy_cmp {
	unsigned int arg; /* 0..5 */
	enum policy_op op;
	uint64_t mask; /* POLICY_OP_MASKED_EQ only */
	uint64_t value;
	/* The kernel reads only the low 32 bits of this argument (an int or
	 * unsigned int parameter such as ioctl's request, policy_arg_narrow):
	 * only those are compared, and the parser has checked that value and
	 * mask fit 32 bits and kept only their low words. */
	bool low32;
	enum policy_value_src src;
};

/* The runtime values a policy may name, as the filter holds them. */
struct policy_runtime {
	uint32_t pid; /* $pid */
};

/* Comparisons ANDed together. */
struct policy_clause {
	unsigned int n;
	struct policy_cmp cmp[POLICY_MAX_CMPS];
};

enum policy_action {
	POLICY_ACT_ALLOW,
	POLICY_ACT_ERRNO,   /* fail with errno_value */
	POLICY_ACT_LOG,	    /* run and log */
	POLICY_ACT_TRAP,    /* a violation: the layer's mode decides */
	POLICY_ACT_SIGMASK, /* rt_sigprocmask emulated by the SIGSYS handler */
};

/* Architectures a rule applies to (bit mask). */
#define POLICY_ARCH_X86_64 0x1u
#define POLICY_ARCH_AARCH64 0x2u
#define POLICY_ARCH_ALL (POLICY_ARCH_X86_64 | POLICY_ARCH_AARCH64)
/* The architecture this build runs on: the one filters are installed for. */
#if defined(__aarch64__)
#define POLICY_ARCH_NATIVE POLICY_ARCH_AARCH64
#else
#define POLICY_ARCH_NATIVE POLICY_ARCH_X86_64
#endif

struct policy_rule {
	char syscall[POLICY_NAME_MAX];
	int nr; /* resolved by policy_ops.resolve_syscall */
	enum policy_action action;
	int errno_value;
	unsigned int n_clauses; /* 0: unconditional */
	struct policy_clause *clauses;
	unsigned int file; /* index into policy.files */
	unsigned int line, col;
	bool commented; /* a comment on or right above the line */
};

struct policy {
	struct policy_rule *rules;
	size_t n_rules, cap_rules;
	char **files;
	size_t n_files;
};

struct policy_error {
	char msg[320];
};

/* Hooks the parser calls; `arg` is passed back. */
struct policy_ops {
	/* Text of the file `name` that `includer` (the origin of the file
	 * being parsed) includes, or NULL (then set *why).  Borrowed until the
	 * parse returns. */
	const char *(*open_include)(void *arg, const char *includer, const char *name,
				    const char **why);
	/* Number of a syscall on the target arch, or -1 if unknown. */
	int (*resolve_syscall)(void *arg, const char *name);
	void *arg;
	unsigned int arch; /* POLICY_ARCH_* being built */
};

void policy_init(struct policy *p);
void policy_release(struct policy *p);

/*
 * Parses `text` (named `origin` in messages) and appends its rules to *p.
 * Returns 0, or -EINVAL/-ENOMEM with err->msg "origin:line:col: what".
 * On error *p is left as it was before the call.
 */
int policy_parse(struct policy *p, const char *origin, const char *text,
		 const struct policy_ops *ops, struct policy_error *err);

/* Appends a deep copy of every rule of src to dst.  0 or -ENOMEM. */
int policy_append(struct policy *dst, const struct policy *src);

/* The value comparison c compares with: its constant, or the runtime
 * value it names, from rt (borrowed; not read for a constant). */
uint64_t policy_cmp_value(const struct policy_cmp *c, const struct policy_runtime *rt);

/* Evaluates one rule's condition against syscall arguments, with the
 * runtime values rt (borrowed) for the comparisons that name one. */
bool policy_rule_matches(const struct policy_rule *r, const uint64_t args[6],
			 const struct policy_runtime *rt);

/* True if every argument vector accepted by `inner` is accepted by one of
 * `outer`'s clauses, as far as can be proven (false when unsure), whatever
 * the runtime values: a comparison with one implies, and is implied by,
 * only the same comparison. */
bool policy_clause_implied(const struct policy_clause *inner, const struct policy_rule *outer);

/* Writes a rule's condition as policy text ("arg1 == 0xae80 || ...",
 * "arg0 == $pid").  Returns the length it needed. */
size_t policy_rule_format(const struct policy_rule *r, char *buf, size_t len);

/* ---- argument widths (args.c) ---- */

/* True if the kernel reads argument `arg` of `syscall` as 32 bits (int,
 * unsigned int, pid_t...): comparisons on it see only its low 32 bits.
 * The same for every arch. */
bool policy_arg_narrow(const char *syscall, unsigned int arg);
/* For the tests: the table is sorted, as the lookup needs. */
bool policy_args_table_sorted(void);

/* ---- syscalls newer than libseccomp 2.5.4 (syscalls.c) ---- */

/* The number of a syscall added after futex_requeue (456), the same on
 * every arch we build for, or -1. */
int policy_newer_syscall_nr(const char *name);
/* Its name, or NULL.  Async-signal-safe. */
const char *policy_newer_syscall_name(int nr);
/* The highest number the table knows. */
int policy_newer_syscall_max(void);

/* ---- constant and name tables (constants.c) ---- */

/* Value of a named constant (KVM_RUN, PROT_EXEC, EPERM, ...) on the native
 * architecture (POLICY_ARCH_NATIVE). */
bool policy_constant(const char *name, size_t len, uint64_t *value);
/* ... on one arch (POLICY_ARCH_*); x86-only ioctls are unknown on aarch64. */
bool policy_constant_arch(const char *name, size_t len, unsigned int arch, uint64_t *value);

/* Name of a native ioctl request we know, or NULL.  Async-signal-safe. */
const char *policy_ioctl_name(uint64_t request);

/* Value of an errno name ("EPERM"), or -1. */
int policy_errno_value(const char *name);

#endif
