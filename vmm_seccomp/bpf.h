/* SPDX-License-Identifier: Apache-2.0 */
/* Generating seccomp BPF from the policy model, and simulating it. */
#ifndef VMM_SECCOMP_BPF_H
#define VMM_SECCOMP_BPF_H

#include "../policy/policy.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One rule as the generator sees it: clauses ORed, then a return value. */
struct bpf_rule {
	const struct policy_clause *clauses; /* NULL / 0: unconditional */
	unsigned int n_clauses;
	uint32_t ret; /* SECCOMP_RET_* | data */
};

/* Every rule of one syscall, in the order they are tried. */
struct bpf_syscall {
	int nr;
	const struct bpf_rule *rules;
	unsigned int n_rules;
};

struct bpf_target {
	uint32_t audit_arch;	   /* AUDIT_ARCH_X86_64 */
	uint32_t foreign_nr_floor; /* nr >= this is a foreign ABI (x32); 0: none */
	/* The hot path: this syscall is tested before any other, and when its
	 * rules test argument hot_arg against a set of values, hot_value is
	 * tested first (ioctl KVM_RUN).  hot_nr < 0: none. */
	int hot_nr;
	unsigned int hot_arg;
	uint32_t hot_value;
};

/*
 * Builds a filter: foreign arch or ABI -> badarch_ret; a syscall with
 * rules -> the first rule whose condition holds, else default_ret; any
 * other syscall -> default_ret.  syscalls[] must be sorted by nr, each nr
 * once.  A syscall whose first rule is unconditional never loads an
 * argument, so the kernel can cache its verdict.
 * Returns 0 or -ENOMEM / -E2BIG (over BPF_MAXINSNS); caller frees *out.
 */
int bpf_generate(const struct bpf_target *t, const struct bpf_syscall *syscalls, size_t n,
		 uint32_t default_ret, uint32_t badarch_ret, struct sock_filter **out,
		 size_t *out_len);

/* Input of a simulated run: struct seccomp_data's fields. */
struct bpf_input {
	int nr;
	uint32_t arch;
	uint64_t ip;
	uint64_t args[6];
};

/*
 * Runs a classic BPF seccomp program as the kernel would.  Returns 0 and
 * *ret, with *steps the instructions executed (may be NULL); -EINVAL for a
 * program the kernel would refuse or that does not end in a return.
 */
int bpf_run(const struct sock_filter *prog, size_t len, const struct bpf_input *in, uint32_t *ret,
	    unsigned int *steps);

/* bpf_run, also telling (if reads_more) whether the run loaded anything
 * but the syscall number and the arch: if not, and the verdict is ALLOW,
 * the kernel can cache that verdict for the syscall. */
int bpf_run_ex(const struct sock_filter *prog, size_t len, const struct bpf_input *in,
	       uint32_t *ret, unsigned int *steps, bool *reads_more);

/* The kernel's verdict for stacked filters: the most restrictive return
 * (ties: the most recently installed, i.e. the later one in progs[]). */
uint32_t bpf_stack_verdict(const uint32_t *rets, size_t n);

#endif
