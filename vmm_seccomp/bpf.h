/* SPDX-License-Identifier: Apache-2.0 */
/* Generating seccomp BPF from the policy model, and simulating it. */
#ifndef VMM_SECCOMP_BPF_H
#define VMM_SECCOMP_BPF_H

#include "../policy/policy.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Slots: values a program leaves open, so that one program serves every
 * mode, report descriptor and process (the built-in policies are compiled
 * at build time; a context may be compiled in one process and installed in
 * another).  A return in a slot gets its own instruction, never shared
 * with a return of a fixed value, and so does a comparison with one;
 * bpf_resolve() fills the slots in.
 */
enum bpf_slot {
	BPF_SLOT_NONE,	     /* a fixed value */
	BPF_SLOT_DEFAULT,    /* what the layer returns for a violation */
	BPF_SLOT_BADARCH,    /* ... for a foreign arch or ABI */
	BPF_SLOT_SIGMASK,    /* ... for a blocking rt_sigprocmask */
	BPF_SLOT_REPORT_FD,  /* the report descriptor, compared with write's fd */
	BPF_SLOT_UNREVIEWED, /* ... for a syscall no policy has reviewed */
	BPF_SLOT_PID,	     /* the process id, compared where a rule says $pid */
	BPF_SLOTS
};

/* Where a slot is used: instruction `at` takes the slot's value as k. */
struct bpf_reloc {
	uint16_t at;
	uint16_t slot;
};

/* One rule as the generator sees it: clauses ORed, then a return value.
 * A report rule is write's `arg0 == <report fd>`: its clauses are not
 * read, the comparison's value is BPF_SLOT_REPORT_FD. */
struct bpf_rule {
	const struct policy_clause *clauses; /* NULL / 0: unconditional */
	unsigned int n_clauses;
	uint32_t ret;	    /* SECCOMP_RET_* | data, if slot is NONE */
	enum bpf_slot slot; /* else the return is this slot's value */
	bool report;
};

/* Every rule of one syscall, in the order they are tried. */
struct bpf_syscall {
	int nr;
	const struct bpf_rule *rules;
	unsigned int n_rules;
	/* Its block may return what outranks the layer below's refusal (the
	 * sigmask TRAP: of two TRAPs the kernel keeps the later layer's): no
	 * other number may reach it, and the layer keeps its ABI check. */
	bool exact;
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
	/*
	 * Which numbers were reviewed.  A number the layer has rules for
	 * (syscalls[]) gets its rules; one it has none for gets
	 * BPF_SLOT_DEFAULT (a violation) if it was reviewed, and
	 * BPF_SLOT_UNREVIEWED if not.  For the baseline, the reviewed numbers
	 * are its own syscalls[]; for a layer stacked on it, below[] gives the
	 * baseline's (sorted by nr, as bpf_generate() takes them).
	 */
	const struct bpf_syscall *below;
	size_t n_below;
	/* The baseline (below[]) is installed under this layer and refuses,
	 * at least as severely as this layer, every syscall its rules do not
	 * allow, and every number it has no rules for as unreviewed.  Then
	 * this layer need not tell apart the numbers below[] lacks (it lets
	 * them through: the baseline's verdict stands), nor those below[]
	 * refuses outright; only the numbers the baseline may allow. */
	bool below_refuses;
	/* With below_refuses: this layer's BPF_SLOT_DEFAULT is a TRAP that the
	 * SIGSYS handler takes as "unreviewed" for a number outside the
	 * reviewed set (below[] and the layer's own syscalls; compile.c keeps
	 * it for the handler), so a number below[] lacks may also go to the
	 * default: the layer need tell apart only its own syscalls and those
	 * the baseline may allow.  Not in kill mode, whose default is the
	 * kernel's kill. */
	bool default_traps_unreviewed;
	/* The layer is stacked on one that refuses every foreign arch and ABI
	 * at least as severely as anything this layer returns (so not with an
	 * `exact` syscall): no arch or ABI check of its own (and no
	 * BPF_SLOT_BADARCH). */
	bool no_abi_check;
};

/*
 * Builds a filter: foreign arch or ABI -> BPF_SLOT_BADARCH; a syscall with
 * rules -> the first rule whose condition holds, else BPF_SLOT_DEFAULT;
 * any other syscall -> BPF_SLOT_DEFAULT if reviewed, else
 * BPF_SLOT_UNREVIEWED (struct bpf_target).  syscalls[] must be sorted by nr,
 * each nr once.  A syscall whose first rule is unconditional never loads
 * an argument, so the kernel can cache its verdict.
 * bpf_generate_template() leaves the slots open (k = 0) and lists where
 * they are in *relocs; bpf_generate() fills them in from values[].
 * Return 0 or -ENOMEM / -E2BIG (over BPF_MAXINSNS); the caller frees *out
 * and *relocs.
 */
int bpf_generate_template(const struct bpf_target *t, const struct bpf_syscall *syscalls, size_t n,
			  struct sock_filter **out, size_t *out_len, struct bpf_reloc **relocs,
			  size_t *n_relocs);
int bpf_generate(const struct bpf_target *t, const struct bpf_syscall *syscalls, size_t n,
		 const uint32_t values[BPF_SLOTS], struct sock_filter **out, size_t *out_len);

/* Fills a template's slots in. */
void bpf_resolve(struct sock_filter *prog, const struct bpf_reloc *relocs, size_t n_relocs,
		 const uint32_t values[BPF_SLOTS]);

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

/* The kernel's checks of a whole program (bpf_check_classic() and
 * seccomp_check_filter()), for the instructions the simulator knows:
 * true if the kernel would load it.  bpf_run() sees only the paths a run
 * takes; this sees every instruction. */
bool bpf_check(const struct sock_filter *prog, size_t len);

/* The kernel's verdict for stacked filters: the most restrictive return
 * (ties: the most recently installed, i.e. the later one in progs[]). */
uint32_t bpf_stack_verdict(const uint32_t *rets, size_t n);

#endif
