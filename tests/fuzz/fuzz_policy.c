/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the policy parser and everything behind it: the input is
 * policy text added to the baseline (dangerous syscalls allowed, so more
 * inputs get through) and to one role, checked against the baseline, then
 * compiled; every program that compiles must be one the kernel accepts
 * (checked whole, and run in the simulator, which refuses what the kernel
 * would refuse, over the syscalls and arguments the input's rules name).
 *
 * The first byte, part of the text as well, picks the role (with the
 * parity of the input's size) and the two layers' modes (the role's may be
 * off: its rules are still checked against the baseline); '#', with which
 * every seed begins, is vcpu (or, for an odd size, virtio_balloon) with both
 * in enforce.  One pick is a role the input defines (vmm_seccomp_define_role,
 * the text as its policy) instead of rules added to a built-in one.  Every other layer is off: compiling it would cost more
 * than the rest of the execution and reach nothing the chosen role does
 * not (its built-in policy, against this baseline).
 *
 * Built for libFuzzer by tools/fuzz.sh; tests/fuzz/replay.c runs the same
 * entry over the seeds and past crashes in the test suite.
 */
#include "bpf.h"
#include "internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Simulated runs per program, at most (an input may have many clauses). */
#define MAX_PROBES 192

/* The role an input's pick (0..15) stands for: the built-in thread roles
 * from vcpu on, in enum order and round again, or (the last pick of each
 * round) one the input defines; false for that one.  Derived from the
 * enum, so a new built-in role is fuzzed without a table to keep. */
static bool fuzz_builtin_role(unsigned int pick, enum vmm_seccomp_role *role)
{
	const unsigned int n = VMM_SECCOMP_ROLE_COUNT - 1; /* all but process */

	pick %= n + 1;
	*role = (enum vmm_seccomp_role)(1 + (pick + VMM_SECCOMP_ROLE_VCPU - 1) % n);
	return pick < n;
}

static const char *const fuzz_modes[4] = { "enforce", "kill", "errno", "log" };

/* The runs: a syscall no layer allows, one of x32, one of i386 and
 * ioctl(KVM_RUN), the hot path; then each syscall the input's rules name,
 * with no arguments and, for each clause, with every compared argument at
 * the clause's value ($pid: the one the programs hold) and at one above
 * (both outcomes of most comparisons). */
static size_t probes(const struct policy *p, const struct policy_runtime *rt, struct bpf_input *in,
		     size_t max)
{
	static const struct bpf_input fixed[] = {
		{ .nr = NR_NEVER_ALLOWED, .arch = AUDIT_ARCH_X86_64 },
		{ .nr = 0x40000000 | 1, .arch = AUDIT_ARCH_X86_64 },
		{ .nr = 4, .arch = AUDIT_ARCH_I386 },
		{ .nr = 16, .arch = AUDIT_ARCH_X86_64, .args = { 3, KVM_RUN } },
	};
	size_t n = 0, i;
	unsigned int c, k;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		in[n++] = fixed[i];
	for (i = 0; i < p->n_rules && n < max; i++) {
		const struct policy_rule *r = &p->rules[i];
		struct bpf_input none = { .nr = r->nr, .arch = AUDIT_ARCH_X86_64 };

		in[n++] = none;
		for (c = 0; c < r->n_clauses && n + 2 <= max; c++, n += 2) {
			const struct policy_clause *cl = &r->clauses[c];

			in[n] = none;
			for (k = 0; k < cl->n; k++)
				in[n].args[cl->cmp[k].arg] = policy_cmp_value(&cl->cmp[k], rt);
			in[n + 1] = in[n];
			for (k = 0; k < cl->n; k++)
				in[n + 1].args[cl->cmp[k].arg]++;
		}
	}
	return n;
}

/*
 * The built-in policy of each layer, parsed once per process and lent to
 * every context as that layer's replacement: the state a policy directory
 * holding the built-in files gives (vmm_seccomp_load_policy_dir()), which
 * the library only reads.  Parsing the same text again in every execution
 * (the baseline's twice: to check the role's rules as they are added, and
 * to compile) finds nothing new and took most of an execution's time.
 */
static struct policy builtin[VMM_SECCOMP_ROLE_COUNT];

static void lend_builtin(struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	static bool parsed[VMM_SECCOMP_ROLE_COUNT];

	if (!parsed[role]) {
		if (base_policy(ctx, role, &builtin[role]))
			abort(); /* the build's own policies must parse */
		parsed[role] = true;
	}
	ctx->layer[role].replacement = builtin[role];
	ctx->layer[role].replaced = true;
}

/* Takes the lent policies back, before the context frees its own. */
static void take_back_builtin(struct vmm_seccomp *ctx)
{
	unsigned int r;

	for (r = 0; ctx && r < VMM_SECCOMP_ROLE_COUNT; r++) {
		struct layer *L = &ctx->layer[r];

		if (!L->replaced)
			continue;
		if (L->replacement.rules != builtin[r].rules ||
		    L->replacement.n_rules != builtin[r].n_rules)
			abort(); /* the library changed a replacement: lend copies */
		policy_init(&L->replacement);
		L->replaced = false;
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct bpf_input in[MAX_PROBES];
	struct vmm_seccomp *ctx;
	enum vmm_seccomp_role role;
	unsigned int pick;
	bool defined;
	char *text, config[96];
	size_t n_in = 0, i;

	if (size > 64 * 1024)
		return 0;
	pick = size ? data[0] ^ '#' : 0;
	defined = !fuzz_builtin_role((pick & 7) | ((size & 1) << 3), &role);
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	ctx = vmm_seccomp_new();
	/* the text is the baseline's rules, and the role's: rules added to a
	 * built-in one, or the policy of a role it defines */
	if (ctx &&
	    !vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_PROCESS, text, "fuzz",
				   VMM_SECCOMP_ALLOW_DANGEROUS) &&
	    (!defined || !vmm_seccomp_define_role(ctx, "fuzzed", text, "fuzz", &role)) &&
	    (snprintf(config, sizeof(config), "off,process=%s,%s=%s", fuzz_modes[(pick >> 3) & 3],
		      vmm_seccomp_get_role_name(ctx, role),
		      pick & 0x80 ? "off" : fuzz_modes[(pick >> 5) & 3]),
	     !vmm_seccomp_configure(ctx, config))) {
		lend_builtin(ctx, VMM_SECCOMP_ROLE_PROCESS);
		if (!defined)
			lend_builtin(ctx, role);
		if ((defined || !vmm_seccomp_add_rules(ctx, role, text, "fuzz", 0)) &&
		    !vmm_seccomp_compile(ctx)) {
			const struct policy_runtime rt = { .pid = ctx->layer[role].pid };

			n_in = probes(defined ? &ctx->layer[role].resolved
					      : &ctx->layer[role].extra,
				      &rt, in, MAX_PROBES);
		}
	}
	for (i = 0; i < vmm_seccomp_role_count(ctx) && n_in; i++) {
		size_t len, j;
		const struct sock_filter *prog = vmm_seccomp_program(ctx, i, &len);
		uint32_t ret;

		if (!prog)
			continue;
		if (!bpf_check(prog, len))
			abort(); /* an instruction or jump the kernel refuses */
		for (j = 0; j < n_in; j++) {
			if (bpf_run(prog, len, &in[j], &ret, NULL))
				abort(); /* a program the kernel would refuse */
		}
	}
	take_back_builtin(ctx);
	vmm_seccomp_free(ctx);
	free(text);
	return 0;
}
