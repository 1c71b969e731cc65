/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiled filters, checked without loading them: every layer's BPF
 * runs through the simulator over every syscall number and the boundary
 * values of every argument condition, and its verdicts are compared with
 * what the policy model says.  Plus the test of the test: a mutated
 * program must be caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bpf.h"
#include "internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the expected verdict, straight from the documented semantics ---- */

static uint32_t expected_violation(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	switch (ctx->layer[role].mode) {
	case VMM_SECCOMP_MODE_KILL:
		return SECCOMP_RET_KILL_PROCESS;
	case VMM_SECCOMP_MODE_LOG:
		return SECCOMP_RET_LOG;
	default:
		return SECCOMP_RET_TRAP | ((uint32_t)ctx->layer[role].mode << 8) | (uint32_t)role;
	}
}

/* ENOSYS and a report, for a syscall no policy has reviewed. */
static uint32_t expected_unreviewed(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	if (ctx->layer[role].mode == VMM_SECCOMP_MODE_LOG)
		return SECCOMP_RET_LOG;
	return SECCOMP_RET_TRAP | (1u << 12) | ((uint32_t)ctx->layer[role].mode << 8) |
	       (uint32_t)role;
}

static bool has_rules(const struct policy *p, int nr)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		if (p->rules[i].nr == nr)
			return true;
	}
	return false;
}

/* Reviewed: the baseline has rules for it, or it is on the dangerous list
 * (or it is one of the library's own: write, rt_sigreturn); a role's own
 * rules review a syscall for that role. */
static bool reviewed_now(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role, int nr);

/* reviewed(), tabled for the context being verified (verify_layer() asks
 * for every number and argument vector: under valgrind that counts). */
#define MODEL_NRS (NR_TABLE_SIZE + 64)
static const struct vmm_seccomp *model_ctx;
static bool model_reviewed[VMM_SECCOMP_ROLE_MAX][MODEL_NRS];

static void model_begin(const struct vmm_seccomp *ctx)
{
	unsigned int r;
	int nr;

	for (r = 0; r < vmm_seccomp_role_count(ctx); r++) {
		for (nr = 0; nr < MODEL_NRS; nr++)
			model_reviewed[r][nr] = reviewed_now(ctx, (enum vmm_seccomp_role)r, nr);
	}
	model_ctx = ctx;
}

static void model_end(void)
{
	model_ctx = NULL;
}

static bool reviewed(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role, int nr)
{
	if (ctx == model_ctx && nr >= 0 && nr < MODEL_NRS)
		return model_reviewed[role][nr];
	return reviewed_now(ctx, role, nr);
}

static bool reviewed_now(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role, int nr)
{
	/* the numbers of those names, per arch, looked up once (valgrind) */
	static int own[2][64], n_own[2] = { -1, -1 };
	unsigned int a = ctx->arch == POLICY_ARCH_AARCH64;
	int i;

	if (n_own[a] < 0) {
		n_own[a] = 0;
		own[a][n_own[a]++] = resolve_ctx_syscall((void *)ctx, "write");
		own[a][n_own[a]++] = resolve_ctx_syscall((void *)ctx, "rt_sigreturn");
		for (i = 0; dangerous_syscalls[i] && n_own[a] < 64; i++)
			own[a][n_own[a]++] =
				resolve_ctx_syscall((void *)ctx, dangerous_syscalls[i]);
	}
	for (i = 0; i < n_own[a]; i++) {
		if (nr >= 0 && nr == own[a][i])
			return true;
	}
	return has_rules(&ctx->layer[role].resolved, nr) ||
	       has_rules(&ctx->layer[VMM_SECCOMP_ROLE_PROCESS].resolved, nr);
}

/* The verdict as the thread sees it: the SIGSYS handler takes a layer's
 * violation TRAP (enforce, errno) for a native number that layer never
 * reviewed as unreviewed (trap_is_unreviewed(), docs/POLICY.md). */
static uint32_t as_handled(const struct vmm_seccomp *ctx, uint32_t v, uint32_t arch, int nr)
{
	uint32_t mode = (v >> 8) & 0xfu, layer = v & 0xffu;
	uint32_t native = ctx->arch == POLICY_ARCH_AARCH64 ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64;

	if ((v & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_TRAP || (v & (1u << 12)) ||
	    (mode != VMM_SECCOMP_MODE_ENFORCE && mode != VMM_SECCOMP_MODE_ERRNO) ||
	    arch != native || nr < 0 || layer >= vmm_seccomp_role_count(ctx) ||
	    (native == AUDIT_ARCH_X86_64 && (uint32_t)nr >= 0x40000000u))
		return v;
	return reviewed(ctx, (enum vmm_seccomp_role)layer, nr) ? v : v | (1u << 12);
}

/* First rule of the syscall whose condition holds decides ($pid being the
 * process id the layer's program holds); else violation
 * if the syscall was reviewed, else "unreviewed".  The library adds two
 * rules of its own to every layer: write to the report descriptor, and
 * rt_sigreturn. */
static uint32_t expected(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role, int nr,
			 const uint64_t args[6])
{
	const struct policy *p = &ctx->layer[role].resolved;
	enum vmm_seccomp_mode mode = ctx->layer[role].mode;
	/* $pid: what the layer's program was filled in with */
	const struct policy_runtime rt = { .pid = ctx->layer[role].pid };
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->nr != nr || !policy_rule_matches(r, args, &rt))
			continue;
		switch (r->action) {
		case POLICY_ACT_ALLOW:
			return SECCOMP_RET_ALLOW;
		case POLICY_ACT_ERRNO:
			return SECCOMP_RET_ERRNO | (uint32_t)r->errno_value;
		case POLICY_ACT_LOG:
			return SECCOMP_RET_LOG;
		case POLICY_ACT_TRAP:
			return expected_violation(ctx, role);
		case POLICY_ACT_SIGMASK:
			/* emulated in these modes, except under valgrind (docs/VALGRIND.md) */
			if (!ctx->under_valgrind &&
			    (mode == VMM_SECCOMP_MODE_ENFORCE || mode == VMM_SECCOMP_MODE_ERRNO))
				return SECCOMP_RET_TRAP | (0xfu << 8) | (uint32_t)role;
			return SECCOMP_RET_ALLOW;
		}
	}
	/* (write's descriptor is an unsigned int: its low 32 bits count) */
	if (nr == resolve_ctx_syscall((void *)ctx, "write") &&
	    (uint32_t)args[0] == (uint32_t)ctx->report_fd)
		return SECCOMP_RET_ALLOW;
	if (nr == resolve_ctx_syscall((void *)ctx, "rt_sigreturn"))
		return SECCOMP_RET_ALLOW; /* the library's handler returns through it */
	return reviewed(ctx, role, nr) ? expected_violation(ctx, role)
				       : expected_unreviewed(ctx, role);
}

/* ---- argument vectors worth trying for one syscall ---- */

struct vectors {
	uint64_t (*v)[6];
	size_t n, cap;
};

static void add_vector(struct vectors *vs, const uint64_t a[6])
{
	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? vs->cap * 2 : 64;
		vs->v = realloc(vs->v, vs->cap * sizeof(*vs->v));
		assert_non_null(vs->v);
	}
	memcpy(vs->v[vs->n++], a, sizeof(uint64_t) * 6);
}

/* Values around one comparison's boundary ($pid's: pid, pid±1, the other
 * high word...). */
static size_t boundary_values(const struct policy_cmp *c, const struct policy_runtime *rt,
			      uint64_t out[16])
{
	uint64_t v = policy_cmp_value(c, rt);
	size_t n = 0;

	out[n++] = v;
	out[n++] = v + 1;
	out[n++] = v - 1;
	out[n++] = v ^ (1ULL << 32); /* same low word, other high word */
	out[n++] = v ^ 1ULL;
	out[n++] = 0;
	out[n++] = UINT64_MAX;
	out[n++] = v & 0xffffffffu;
	if (c->op == POLICY_OP_MASKED_EQ) {
		out[n++] = v | ~c->mask;			       /* noise outside the mask */
		out[n++] = v ^ c->mask;				       /* every masked bit wrong */
		out[n++] = (v & ~c->mask) | (c->mask & (0 - c->mask)); /* lowest mask bit set */
		out[n++] = c->mask;
	}
	return n;
}

static void collect_vectors(const struct policy *p, const struct policy_runtime *rt, int nr,
			    struct vectors *vs, unsigned int seed)
{
	uint64_t base[6] = { 0 }, pool[6][256];
	size_t pooled[6] = { 0 };
	size_t i, k;
	unsigned int c, j, a;

	add_vector(vs, base);
	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->nr != nr)
			continue;
		for (c = 0; c < r->n_clauses; c++) {
			const struct policy_clause *cl = &r->clauses[c];
			uint64_t sat[6] = { 0 };

			/* a vector meeting every comparison of the clause ... */
			for (j = 0; j < cl->n; j++)
				sat[cl->cmp[j].arg] = policy_cmp_value(&cl->cmp[j], rt);
			add_vector(vs, sat);
			/* ... and each comparison moved across its boundary */
			for (j = 0; j < cl->n; j++) {
				uint64_t vals[16], t[6];
				size_t nv = boundary_values(&cl->cmp[j], rt, vals);

				for (k = 0; k < nv; k++) {
					memcpy(t, sat, sizeof(t));
					t[cl->cmp[j].arg] = vals[k];
					add_vector(vs, t);
					a = cl->cmp[j].arg;
					if (pooled[a] < 256)
						pool[a][pooled[a]++] = vals[k];
				}
			}
		}
	}
	/* and random mixes of all those values */
	for (i = 0; i < 200; i++) {
		uint64_t t[6];

		for (a = 0; a < 6; a++) {
			seed = seed * 1103515245u + 12345u;
			t[a] = pooled[a] ? pool[a][(seed >> 8) % pooled[a]]
					 : (seed & 1 ? 0 : UINT64_MAX);
		}
		add_vector(vs, t);
	}
}

/* Same verdict?  Of two equal TRAPs, the data may name the role or the
 * baseline: a role leaves to the baseline the checks they share, and the
 * SIGSYS handler names the thread's role from the thread itself. */
static bool same_verdict(uint32_t got, uint32_t want, enum vmm_seccomp_role role)
{
	uint32_t gr = got & 0xffu, wr = want & 0xffu;

	if (got == want)
		return true;
	/* unreviewed (ENOSYS and a report) is the same whichever layer, in
	 * whichever mode, says so */
	if ((got & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
	    (want & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP && (got & want & (1u << 12)))
		return (gr == role || gr == VMM_SECCOMP_ROLE_PROCESS) &&
		       (wr == role || wr == VMM_SECCOMP_ROLE_PROCESS);
	return (got & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
	       (want & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
	       (got & ~0xffu) == (want & ~0xffu) &&
	       (gr == role || gr == VMM_SECCOMP_ROLE_PROCESS) &&
	       (wr == role || wr == VMM_SECCOMP_ROLE_PROCESS);
}

/*
 * Compares what a thread of `role` gets with the model; returns the
 * mismatches.  The baseline is checked alone; a role stacked on the
 * baseline (as every role thread runs it), or alone if the baseline is
 * off, against the stacked model.
 */
static int verify_layer(const struct vmm_seccomp *ctx, const struct sock_filter *prog, size_t len,
			enum vmm_seccomp_role role, bool quiet)
{
	const struct policy_runtime rt = { .pid = ctx->layer[role].pid };
	size_t base_len = 0;
	const struct sock_filter *base =
		role == VMM_SECCOMP_ROLE_PROCESS
			? NULL
			: vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_PROCESS, &base_len);
	int nr, bad = 0;

	model_begin(ctx);
	for (nr = 0; nr < NR_TABLE_SIZE + 64; nr++) {
		struct vectors vs = { 0 };
		size_t i;

		/* the handler's table of what this layer reviewed is the model's */
		if (trap_is_unreviewed(ctx, TRAP_DATA(role, VMM_SECCOMP_MODE_ENFORCE),
				       ctx->arch == POLICY_ARCH_AARCH64 ? AUDIT_ARCH_AARCH64
									: AUDIT_ARCH_X86_64,
				       nr) == reviewed(ctx, role, nr)) {
			if (!quiet && bad < 10)
				fprintf(stderr, "role %s nr %d: reviewed %d in the model\n",
					vmm_seccomp_get_role_name(ctx, role), nr,
					reviewed(ctx, role, nr));
			bad++;
		}

		collect_vectors(&ctx->layer[role].resolved, &rt, nr, &vs, (unsigned int)nr);
		/* and the values the baseline names, which a role must refuse
		 * unless it names them too */
		if (role != VMM_SECCOMP_ROLE_PROCESS)
			collect_vectors(&ctx->layer[VMM_SECCOMP_ROLE_PROCESS].resolved, &rt, nr,
					&vs, (unsigned int)nr + 7919);
		if (nr == resolve_ctx_syscall((void *)ctx, "write")) {
			uint64_t w[6] = { (uint64_t)ctx->report_fd };

			add_vector(&vs, w);
			w[0] |= 1ULL << 32;
			add_vector(&vs, w);
		}
		for (i = 0; i < vs.n; i++) {
			struct bpf_input in = { .nr = nr,
						.arch = ctx->arch == POLICY_ARCH_AARCH64
								? AUDIT_ARCH_AARCH64
								: AUDIT_ARCH_X86_64 };
			uint32_t got, want = expected(ctx, role, nr, vs.v[i]);

			memcpy(in.args, vs.v[i], sizeof(in.args));
			assert_int_equal(bpf_run(prog, len, &in, &got, NULL), 0);
			/* (the baseline must say "unreviewed" itself: its programs
			 * serve the kill mode too) */
			if (base)
				got = as_handled(ctx, got, in.arch, nr);
			if (base) {
				uint32_t g2[2], w2[2] = {
					expected(ctx, VMM_SECCOMP_ROLE_PROCESS, nr, vs.v[i]), want
				};

				assert_int_equal(bpf_run(base, base_len, &in, &g2[0], NULL), 0);
				g2[1] = got;
				got = bpf_stack_verdict(g2, 2);
				want = bpf_stack_verdict(w2, 2);
			}
			if (!same_verdict(got, want, role)) {
				if (!quiet && bad < 10)
					fprintf(stderr,
						"role %s nr %d args %#llx %#llx %#llx: got %#x "
						"want %#x\n",
						vmm_seccomp_get_role_name(ctx, role), nr,
						(unsigned long long)vs.v[i][0],
						(unsigned long long)vs.v[i][1],
						(unsigned long long)vs.v[i][2], got, want);
				bad++;
			}
		}
		free(vs.v);
	}
	model_end();
	return bad;
}

/* Roles an embedder defines, verified as the built-in ones: one that
 * starts from a built-in role and narrows an argument further, one made of
 * groups, one with a single rule. */
static const struct {
	const char *name, *text;
} custom_roles[] = {
	{ "vcpu_copy", "@include builtin/roles/vcpu.policy\n" },
	{ "sock_worker", "@include builtin/groups/thread.policy\n"
			 "@include builtin/groups/unix_sockets.policy\n"
			 "fcntl: arg1 == F_GETFL || arg1 == F_SETFL  # nonblocking\n" },
	{ "w", "read  # one\n" },
};

static struct vmm_seccomp *compiled_with(const char *config, unsigned int arch, bool custom)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	size_t i;

	assert_non_null(ctx);
	assert_int_equal(ctx_set_arch(ctx, arch), 0);
	for (i = 0; custom && i < sizeof(custom_roles) / sizeof(custom_roles[0]); i++) {
		if (vmm_seccomp_define_role(ctx, custom_roles[i].name, custom_roles[i].text, NULL,
					    NULL))
			fail_msg("define %s: %s", custom_roles[i].name,
				 vmm_seccomp_last_error(ctx));
	}
	/* compiled here and now: the model reads the resolved policies, and
	 * test_prebuilt_equals_compiled checks the prebuilt programs against
	 * these */
	ctx->no_prebuilt = true;
	if (config)
		assert_int_equal(vmm_seccomp_configure(ctx, config), 0);
	if (vmm_seccomp_compile(ctx))
		fprintf(stderr, "compile: %s\n", vmm_seccomp_last_error(ctx));
	assert_true(ctx->compiled);
	return ctx;
}

static struct vmm_seccomp *compiled_for(const char *config, unsigned int arch)
{
	return compiled_with(config, arch, false);
}

/* for this build's architecture: the tests below give native numbers */
static struct vmm_seccomp *compiled(const char *config)
{
	return compiled_for(config, POLICY_ARCH_NATIVE);
}

/*
 * The subset chosen for valgrind, also where the CPU is emulated (the
 * arm64 guest of tools/test-aarch64.sh, tens of times slower): every mode
 * still appears in it; the whole set runs natively on x86_64, where both
 * architectures' programs are simulated the same way.
 */
static bool reduced(void)
{
	return running_on_valgrind() || getenv("VMM_SECCOMP_SLOW_CPU");
}

static void verify_all_layers_for(const char *config, unsigned int arch)
{
	/* the built-in roles and roles defined as an embedder does (under
	 * valgrind, which is here for memory errors and ~50 times slower,
	 * only in the configurations that name them) */
	bool custom = !reduced() || (config && strstr(config, "vcpu_copy"));
	struct vmm_seccomp *ctx = compiled_with(config, arch, custom);
	unsigned int r;

	assert_int_equal(vmm_seccomp_role_count(ctx),
			 VMM_SECCOMP_ROLE_COUNT +
				 (custom ? sizeof(custom_roles) / sizeof(custom_roles[0]) : 0));
	for (r = 0; r < vmm_seccomp_role_count(ctx); r++) {
		size_t len;
		const struct sock_filter *prog = vmm_seccomp_program(ctx, r, &len);

		if (ctx->layer[r].mode == VMM_SECCOMP_MODE_OFF) {
			assert_null(prog);
			continue;
		}
		assert_non_null(prog);
		assert_true(len > 0 && len <= BPF_MAXINSNS);
		assert_true(bpf_check(prog, len)); /* every instruction loadable */
		assert_int_equal(verify_layer(ctx, prog, len, r, false), 0);
	}
	vmm_seccomp_free(ctx);
}

static void verify_all_layers(const char *config)
{
	verify_all_layers_for(config, POLICY_ARCH_NATIVE);
}

static void test_exhaustive_enforce(void **state)
{
	(void)state;
	verify_all_layers(NULL);
}

static void test_exhaustive_other_modes(void **state)
{
	/* Under valgrind, which is here for memory errors and ~50 times
	 * slower, the configurations marked: every mode appears in them, a
	 * role stricter than the baseline and one it outranks, the defined
	 * roles by name.  Natively all of them. */
	static const struct {
		const char *config;
		bool on_valgrind;
	} configs[] = {
		{ "errno", false },
		{ "kill", false },
		{ "log", false },
		{ "enforce,vcpu=errno,api=kill,virtio_block=log,virtio_net=off", true },
		/* a role stricter than the baseline keeps its shared checks; one
		 * the baseline outranks leaves them to it */
		{ "log,vcpu=enforce,api=kill", true },
		{ "kill,vcpu=errno,api=log", false },
		/* the defined roles by name */
		{ "enforce,vcpu_copy=errno,sock_worker=kill,w=log", true },
		{ "log,vcpu_copy=enforce,w=enforce,sock_worker=off", false },
	};
	size_t i, run = 0, n = sizeof(configs) / sizeof(configs[0]);

	(void)state;
	for (i = 0; i < n; i++) {
		if (reduced() && !configs[i].on_valgrind)
			continue;
		/* an emulated CPU: the first, in which every mode appears */
		if (getenv("VMM_SECCOMP_SLOW_CPU") && run)
			break;
		verify_all_layers(configs[i].config);
		run++;
	}
	if (run < n)
		fprintf(stderr,
			"under valgrind or an emulated CPU: %zu of %zu configurations (all "
			"natively)\n",
			run, n);
}

/* The baseline refuses `in` (enforce mode), and so does the vcpu layer
 * stacked on it, whatever the vcpu program alone returns. */
static void assert_refused_by_baseline(const struct vmm_seccomp *ctx,
				       const struct sock_filter *prog, size_t len,
				       const struct bpf_input *in)
{
	size_t blen;
	const struct sock_filter *base = vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_PROCESS, &blen);
	uint32_t two[2], got;

	assert_int_equal(bpf_run(base, blen, in, &two[0], NULL), 0);
	assert_int_equal(two[0], SECCOMP_RET_TRAP | VMM_SECCOMP_ROLE_PROCESS);
	assert_int_equal(bpf_run(prog, len, in, &two[1], NULL), 0);
	got = bpf_stack_verdict(two, 2);
	assert_true(got == (SECCOMP_RET_TRAP | VMM_SECCOMP_ROLE_PROCESS) ||
		    got == (SECCOMP_RET_TRAP | VMM_SECCOMP_ROLE_VCPU));
}

/* aarch64: compiled through the same model and generator, verified by
 * simulation (on x86_64; tools/test-aarch64.sh also runs this on arm64). */
static void test_exhaustive_aarch64(void **state)
{
	struct vmm_seccomp *ctx;
	struct bpf_input in = { .arch = AUDIT_ARCH_AARCH64 };
	const struct sock_filter *prog;
	uint32_t got;
	size_t len;

	(void)state;
	/* (on an aarch64 build test_exhaustive_enforce verified this one) */
	if (POLICY_ARCH_NATIVE != POLICY_ARCH_AARCH64)
		verify_all_layers_for(NULL, POLICY_ARCH_AARCH64);
	if (!reduced()) /* (as above: natively) */
		verify_all_layers_for("errno,vcpu=kill", POLICY_ARCH_AARCH64);

	ctx = compiled_for(NULL, POLICY_ARCH_AARCH64);
	prog = vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_VCPU, &len);
	in.nr = 29; /* ioctl on aarch64 */
	in.args[1] = KVM_RUN;
	assert_int_equal(bpf_run(prog, len, &in, &got, NULL), 0);
	assert_int_equal(got, SECCOMP_RET_ALLOW);
	in.args[1] = 0x4010aeab; /* KVM_GET_ONE_REG */
	assert_int_equal(bpf_run(prog, len, &in, &got, NULL), 0);
	assert_int_equal(got, SECCOMP_RET_ALLOW);
	in.args[1] = KVM_GET_REGS; /* x86's: no such thing here */
	assert_int_equal(bpf_run(prog, len, &in, &got, NULL), 0);
	assert_int_equal(got, SECCOMP_RET_TRAP | VMM_SECCOMP_ROLE_VCPU);
	in.nr = 221; /* execve on aarch64: refused by the baseline, whatever the role says */
	assert_refused_by_baseline(ctx, prog, len, &in);
	/* an x86_64 syscall reaching an aarch64 filter is a foreign ABI */
	in.arch = AUDIT_ARCH_X86_64;
	in.nr = 16;
	in.args[1] = KVM_RUN;
	assert_refused_by_baseline(ctx, prog, len, &in);
	vmm_seccomp_free(ctx);
	/* a context for the other architecture is for looking at: it is never
	 * installed */
	ctx = compiled_for(NULL, POLICY_ARCH_ALL & ~POLICY_ARCH_NATIVE);
	assert_int_equal(vmm_seccomp_apply_process(ctx), -EOPNOTSUPP);
	vmm_seccomp_free(ctx);
}

/* ---- foreign ABIs, in every layer and mode ---- */

/* Every syscall of a foreign arch or ABI is refused on every thread: by
 * the baseline with a kill (kill mode) or a report and a kill (any other
 * mode), and by a role's own check where the baseline could not decide. */
static void test_foreign_abi(void **state)
{
	static const char *const configs[] = { "enforce",
					       "errno",
					       "log",
					       "kill",
					       "enforce,vcpu=log,api=errno",
					       "kill,vcpu=errno,api=enforce",
					       "off,vcpu=enforce,api=kill" };
	size_t i, blen = 0;
	unsigned int r;

	(void)state;
	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		/* x86_64's programs, whose foreign ABIs these are */
		struct vmm_seccomp *ctx = compiled_for(configs[i], POLICY_ARCH_X86_64);
		const struct sock_filter *base =
			vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_PROCESS, &blen);

		for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
			size_t len;
			const struct sock_filter *prog = vmm_seccomp_program(ctx, r, &len);
			enum vmm_seccomp_mode m = ctx->layer[r].mode,
					      bm = ctx->layer[VMM_SECCOMP_ROLE_PROCESS].mode;
			/* kill-process if a layer kills, else a report and a kill */
			uint32_t want = (m == VMM_SECCOMP_MODE_KILL ||
					 (base && bm == VMM_SECCOMP_MODE_KILL))
						? SECCOMP_RET_KILL_PROCESS
						: SECCOMP_RET_TRAP | r;
			int nr, a;

			if (!prog)
				continue;
			/* every syscall number of the i386 and x32 ABIs, and of
			 * another arch altogether */
			for (nr = 0; nr < NR_TABLE_SIZE + 64; nr++) {
				for (a = 0; a < 3; a++) {
					struct bpf_input in = { .nr = nr,
								.arch = AUDIT_ARCH_I386,
								.args = { 1, 2, 3, 4, 5, 6 } };
					uint32_t got[2];

					if (a == 1)
						in.arch = AUDIT_ARCH_AARCH64;
					if (a == 2) {
						/* x32: x86_64 with bit 30 in the number */
						in.arch = AUDIT_ARCH_X86_64;
						in.nr = 0x40000000 | nr;
					}
					assert_int_equal(bpf_run(prog, len, &in, &got[1], NULL), 0);
					if (base && r != VMM_SECCOMP_ROLE_PROCESS) {
						assert_int_equal(
							bpf_run(base, blen, &in, &got[0], NULL), 0);
						got[1] = bpf_stack_verdict(got, 2);
					}
					if (!same_verdict(got[1], want, r))
						fprintf(stderr, "%s: role %s arch %d nr %#x: %#x\n",
							configs[i], vmm_seccomp_role_name(r), a,
							in.nr, got[1]);
					assert_true(same_verdict(got[1], want, r));
				}
			}
		}
		vmm_seccomp_free(ctx);
	}
}

/* ---- key facts of the built-in policies, stacked as on a real thread ---- */

static uint32_t stacked(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role, int nr,
			uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct bpf_input in = { .nr = nr, .arch = NATIVE_AUDIT_ARCH, .args = { a0, a1, a2, a3 } };
	uint32_t rets[2];
	size_t len;
	const struct sock_filter *base = vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_PROCESS, &len);

	assert_int_equal(bpf_run(base, len, &in, &rets[0], NULL), 0);
	if (role == VMM_SECCOMP_ROLE_PROCESS)
		return rets[0];
	{
		const struct sock_filter *rp = vmm_seccomp_program(ctx, role, &len);

		assert_int_equal(bpf_run(rp, len, &in, &rets[1], NULL), 0);
	}
	{
		uint32_t v = bpf_stack_verdict(rets, 2);

		/* A TRAP from the baseline on a role thread is reported under the
		 * thread's role (the handler reads it from the thread), so the
		 * facts below name the role whichever layer refused. */
		if ((v & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
		    (v & 0xffu) == VMM_SECCOMP_ROLE_PROCESS)
			v = (v & ~0xffu) | (uint32_t)role;
		return v;
	}
}

#define ALLOW SECCOMP_RET_ALLOW
#define TRAP(role) (SECCOMP_RET_TRAP | (uint32_t)(role))
#define PTHREAD_FLAGS                                                                       \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

static void test_policy_facts(void **state)
{
	struct vmm_seccomp *ctx = compiled(NULL);
	enum vmm_seccomp_role V = VMM_SECCOMP_ROLE_VCPU, P = VMM_SECCOMP_ROLE_PROCESS;

	(void)state;
	/* vCPU: KVM_RUN yes, VM-level ioctls no (the role's own filter refuses) */
	assert_int_equal(stacked(ctx, V, SYS_ioctl, 5, KVM_RUN, 0, 0), ALLOW);
	/* the kernel reads ioctl's request as an unsigned int: so do the filters */
	assert_int_equal(stacked(ctx, V, SYS_ioctl, 5, KVM_RUN | (1ULL << 32), 0, 0), ALLOW);
	assert_int_equal(stacked(ctx, V, SYS_ioctl, 5, KVM_CREATE_VM | (1ULL << 32), 0, 0),
			 TRAP(V));
	assert_int_equal(stacked(ctx, V, SYS_ioctl, 5, KVM_CREATE_VCPU, 0, 0), TRAP(V));
	assert_int_equal(stacked(ctx, V, SYS_ioctl, 5, KVM_CREATE_VM, 0, 0), TRAP(V));
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_VMM, SYS_ioctl, 5, KVM_IRQFD, 0, 0), ALLOW);
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_VIRTIO_BLOCK, SYS_ioctl, 5, KVM_RUN, 0, 0),
			 TRAP(VMM_SECCOMP_ROLE_VIRTIO_BLOCK));
	/* KVM_CREATE_VM: the VMM thread (and set-up under the baseline) only */
	assert_int_equal(stacked(ctx, P, SYS_ioctl, 5, KVM_CREATE_VM, 0, 0), ALLOW);
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_VMM, SYS_ioctl, 5, KVM_CREATE_VM, 0, 0),
			 ALLOW);
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_API, SYS_ioctl, 5, KVM_CREATE_VM, 0, 0),
			 TRAP(VMM_SECCOMP_ROLE_API));
	/* threads yes, processes no, clone3 answered ENOSYS */
	assert_int_equal(stacked(ctx, P, SYS_clone, PTHREAD_FLAGS, 0, 0, 0), ALLOW);
	assert_int_equal(stacked(ctx, P, SYS_clone, SIGCHLD, 0, 0, 0), TRAP(P));
	assert_int_equal(stacked(ctx, P, SYS_clone, PTHREAD_FLAGS | CLONE_NEWUSER, 0, 0, 0),
			 TRAP(P));
	assert_int_equal(stacked(ctx, P, SYS_clone3, 0, 0, 0, 0), SECCOMP_RET_ERRNO | ENOSYS);
	assert_int_equal(stacked(ctx, V, SYS_clone, PTHREAD_FLAGS, 0, 0, 0), TRAP(V));
	/* never executable memory */
	assert_int_equal(stacked(ctx, V, SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, 0), ALLOW);
	assert_int_equal(stacked(ctx, V, SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, 0), TRAP(V));
	assert_int_equal(stacked(ctx, P, SYS_mprotect, 0, 4096, PROT_EXEC, 0), TRAP(P));
	/* sockets: Unix only, and only where a role needs them */
	assert_int_equal(stacked(ctx, P, SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0), ALLOW);
	assert_int_equal(stacked(ctx, P, SYS_socket, AF_INET, SOCK_STREAM, 0, 0), TRAP(P));
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_API, SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0),
			 ALLOW);
	assert_int_equal(stacked(ctx, V, SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0), TRAP(V));
	/* SIGSYS stays ours: disposition changes are violations, masks emulated */
	assert_int_equal(stacked(ctx, V, SYS_rt_sigaction, SIGSYS, 0x1000, 0, 8), TRAP(V));
	assert_int_equal(stacked(ctx, V, SYS_rt_sigaction, SIGSYS, 0, 0x1000, 8), ALLOW);
	assert_int_equal(stacked(ctx, V, SYS_rt_sigaction, SIGUSR1, 0x1000, 0, 8), ALLOW);
	assert_int_equal(stacked(ctx, V, SYS_rt_sigprocmask, SIG_BLOCK, 0x1000, 0, 8),
			 ctx->under_valgrind ? ALLOW : SECCOMP_RET_TRAP | 0xf00 | (uint32_t)V);
	assert_int_equal(stacked(ctx, V, SYS_rt_sigprocmask, SIG_UNBLOCK, 0x1000, 0, 8), ALLOW);
	assert_int_equal(stacked(ctx, V, SYS_rt_sigprocmask, SIG_SETMASK, 0, 0x1000, 8), ALLOW);
	/* futex: plain operations only */
	assert_int_equal(stacked(ctx, V, SYS_futex, 0x1000, 128 | 0, 1, 0), ALLOW);
	assert_int_equal(stacked(ctx, V, SYS_futex, 0x1000, 6 /* LOCK_PI */, 0, 0), TRAP(V));
	assert_int_equal(stacked(ctx, V, SYS_futex, 0x1000, 12 /* CMP_REQUEUE_PI */, 0, 0),
			 TRAP(V));
	/* signals to threads: only the ones we know, only in this process
	 * ($pid: filled in with getpid()) */
	assert_int_equal(stacked(ctx, V, SYS_tgkill, (uint64_t)getpid(), 2, SIGABRT, 0), ALLOW);
	assert_int_equal(
		stacked(ctx, V, SYS_tgkill, (uint64_t)getpid() | (1ULL << 32), 2, SIGUSR1, 0),
		ALLOW); /* a pid_t: its low word */
	assert_int_equal(stacked(ctx, V, SYS_tgkill, (uint64_t)getpid(), 2, SIGKILL, 0), TRAP(V));
	assert_int_equal(stacked(ctx, V, SYS_tgkill, (uint64_t)getpid() + 1, 2, SIGABRT, 0),
			 TRAP(V));
	assert_int_equal(stacked(ctx, V, SYS_tgkill, 1, 2, SIGABRT, 0), TRAP(V));
	assert_int_equal(stacked(ctx, P, SYS_tgkill, 1, 2, SIGABRT, 0), TRAP(P));
	assert_int_equal(
		stacked(ctx, V, SYS_rt_tgsigqueueinfo, (uint64_t)getpid(), 2, SIGUSR1, 0x1000),
		ALLOW);
	assert_int_equal(stacked(ctx, V, SYS_rt_tgsigqueueinfo, 1, 2, SIGUSR1, 0x1000), TRAP(V));
	assert_int_equal(stacked(ctx, P, SYS_tkill, 2, SIGUSR1, 0, 0), TRAP(P));
	assert_int_equal(stacked(ctx, P, SYS_kill, (uint64_t)getpid(), SIGUSR1, 0, 0), TRAP(P));
	/* connect where a role connects: not the API server, which accepts */
	assert_int_equal(stacked(ctx, P, SYS_connect, 5, 0x1000, 110, 0), ALLOW);
	assert_int_equal(
		stacked(ctx, VMM_SECCOMP_ROLE_VIRTIO_VSOCK, SYS_connect, 5, 0x1000, 110, 0), ALLOW);
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_API, SYS_connect, 5, 0x1000, 110, 0),
			 TRAP(VMM_SECCOMP_ROLE_API));
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_VMM, SYS_connect, 5, 0x1000, 110, 0),
			 TRAP(VMM_SECCOMP_ROLE_VMM));
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_API, SYS_accept4, 5, 0, 0, 0), ALLOW);
	/* a thread entering its role restricts itself to its Landlock domain */
	assert_int_equal(stacked(ctx, P, SYS_landlock_restrict_self, 5, 0, 0, 0), ALLOW);
	assert_int_equal(stacked(ctx, P, SYS_landlock_restrict_self, 5, 1, 0, 0), TRAP(P));
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_VMM, SYS_landlock_restrict_self, 5, 0, 0, 0),
			 ALLOW);
	assert_int_equal(stacked(ctx, V, SYS_landlock_restrict_self, 5, 0, 0, 0), TRAP(V));
	/* everyone can write a report, nobody else's descriptor in a device role */
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_VIRTIO_RNG, SYS_write, 2, 0, 1, 0), ALLOW);
	vmm_seccomp_free(ctx);
}

/* Syscalls a role allows without conditions in both layers never load an
 * argument, so the kernel can cache their verdict. */
/* Does `p` allow `nr` whatever its arguments, by an unconditional rule
 * that no earlier rule with another verdict precedes? */
static bool allowed_outright(const struct policy *p, int nr)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		if (p->rules[i].nr != nr)
			continue;
		if (p->rules[i].action != POLICY_ACT_ALLOW)
			return false;
		if (p->rules[i].n_clauses == 0)
			return true;
	}
	return false;
}

/* Every syscall both layers allow without an argument check runs without
 * loading an argument in either, so the kernel caches its verdict. */
static void test_unconditional_is_cacheable(void **state)
{
	struct vmm_seccomp *ctx = compiled(NULL);
	const struct policy *base = &ctx->layer[VMM_SECCOMP_ROLE_PROCESS].resolved;
	size_t blen, len;
	const struct sock_filter *bprog = vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_PROCESS, &blen);
	unsigned int r, checked = 0;
	int nr;

	(void)state;
	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		const struct sock_filter *prog = vmm_seccomp_program(ctx, r, &len);

		for (nr = 0; nr < NR_TABLE_SIZE; nr++) {
			struct bpf_input in = { .nr = nr, .arch = NATIVE_AUDIT_ARCH };
			uint32_t got;
			unsigned int steps;
			bool reads_more = false;

			if (!allowed_outright(base, nr) ||
			    !allowed_outright(&ctx->layer[r].resolved, nr))
				continue;
			assert_int_equal(bpf_run_ex(bprog, blen, &in, &got, &steps, &reads_more),
					 0);
			if (reads_more || got != SECCOMP_RET_ALLOW)
				fprintf(stderr, "baseline: nr %d not cacheable\n", nr);
			assert_false(reads_more);
			assert_int_equal(got, SECCOMP_RET_ALLOW);
			reads_more = false;
			assert_int_equal(bpf_run_ex(prog, len, &in, &got, &steps, &reads_more), 0);
			if (reads_more || got != SECCOMP_RET_ALLOW)
				fprintf(stderr, "role %s: nr %d not cacheable\n",
					vmm_seccomp_role_name(r), nr);
			assert_false(reads_more);
			assert_int_equal(got, SECCOMP_RET_ALLOW);
			checked++;
		}
	}
	/* write is one: the library's own report rule comes with every layer */
	assert_true(allowed_outright(&ctx->layer[VMM_SECCOMP_ROLE_VCPU].resolved, SYS_write));
	assert_true(checked > 100);
	vmm_seccomp_free(ctx);
}

/* A role leaves to the baseline the checks it shares with it, only where
 * the baseline refuses alike; the stacked verdicts never change (the
 * exhaustive tests check that for every mode combination). */
static uint32_t layer_alone(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role, int nr,
			    uint64_t a1)
{
	struct bpf_input in = { .nr = nr, .arch = NATIVE_AUDIT_ARCH, .args = { 0x1000, a1 } };
	size_t len;
	const struct sock_filter *prog = vmm_seccomp_program(ctx, role, &len);
	uint32_t got;

	assert_non_null(prog);
	assert_int_equal(bpf_run(prog, len, &in, &got, NULL), 0);
	return got;
}

static void test_shared_checks_left_to_baseline(void **state)
{
	static const struct {
		const char *config;
		bool left; /* the vcpu layer leaves futex's checks to the baseline */
	} cases[] = {
		{ "enforce", true },
		{ "kill", true },
		{ "errno", true },
		{ "enforce,vcpu=log", true },
		{ "kill,vcpu=errno", true },
		{ "log,vcpu=enforce", false },
		{ "errno,vcpu=enforce", false },
		{ "enforce,vcpu=errno", false },
		{ "enforce,vcpu=kill", false },
		{ "off,vcpu=enforce", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vmm_seccomp *ctx = compiled(cases[i].config);
		uint32_t pi = layer_alone(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_futex, 6 /* LOCK_PI */);

		if (cases[i].left)
			assert_int_equal(pi, SECCOMP_RET_ALLOW);
		else
			assert_int_not_equal(pi, SECCOMP_RET_ALLOW);
		/* what the vcpu role itself narrows stays in its layer */
		assert_int_not_equal(
			layer_alone(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_ioctl, KVM_CREATE_VM),
			SECCOMP_RET_ALLOW);
		if (ctx->layer[VMM_SECCOMP_ROLE_PROCESS].mode != VMM_SECCOMP_MODE_OFF)
			assert_int_not_equal(
				layer_alone(ctx, VMM_SECCOMP_ROLE_PROCESS, SYS_futex, 6),
				SECCOMP_RET_ALLOW);
		vmm_seccomp_free(ctx);
	}
}

/*
 * The programs the build compiled (prebuilt_filters.c), with their slots
 * filled in, are exactly what compiling now gives: for every layer, in
 * every mode combination, with any report descriptor; and a layer the
 * embedder changed is compiled now.  The exhaustive tests above verify
 * what compiling now gives, so they verify the prebuilt programs too.
 */
static void test_prebuilt_equals_compiled(void **state)
{
	static const char *const configs[] = {
		"enforce",
		"kill",
		"errno",
		"log",
		"enforce,vcpu=log,api=off",
		"log,vcpu=enforce",
		"kill,vcpu=errno,api=log",
		"errno,virtio_block=enforce",
		"off,vcpu=enforce",
	};
	static const int fds[] = { 2, 7, 1000 };
	size_t c, f;
	unsigned int r, from_build = 0, compiled_now = 0;

	(void)state;
	if (!vmm_seccomp_prebuilt) {
		fprintf(stderr, "SKIP prebuilt programs: this build has none (cross build or "
				"-DVMM_SECCOMP_PREBUILT=OFF)\n");
		skip();
	}
	if (running_on_valgrind()) {
		fprintf(stderr, "SKIP prebuilt programs: under valgrind every layer is compiled at "
				"run time (with valgrind's own rules)\n");
		skip();
	}
	for (c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
		for (f = 0; f < sizeof(fds) / sizeof(fds[0]); f++) {
			struct vmm_seccomp *pre = vmm_seccomp_new(), *now = vmm_seccomp_new();

			assert_non_null(pre);
			assert_non_null(now);
			now->no_prebuilt = true;
			assert_int_equal(vmm_seccomp_configure(pre, configs[c]), 0);
			assert_int_equal(vmm_seccomp_configure(now, configs[c]), 0);
			assert_int_equal(vmm_seccomp_set_report_fd(pre, fds[f]), 0);
			assert_int_equal(vmm_seccomp_set_report_fd(now, fds[f]), 0);
			if (f == 2) {
				/* the embedder narrows one role: compiled now */
				assert_int_equal(vmm_seccomp_add_rules(pre, VMM_SECCOMP_ROLE_VMM,
								       "getpid\n", "extra", 0),
						 0);
				assert_int_equal(vmm_seccomp_add_rules(now, VMM_SECCOMP_ROLE_VMM,
								       "getpid\n", "extra", 0),
						 0);
			}
			assert_int_equal(vmm_seccomp_compile(pre), 0);
			assert_int_equal(vmm_seccomp_compile(now), 0);
			for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
				size_t lp = 0, ln = 0;
				const struct sock_filter *pp = vmm_seccomp_program(pre, r, &lp);
				const struct sock_filter *pn = vmm_seccomp_program(now, r, &ln);

				assert_null(now->layer[r].prebuilt);
				if (f == 2 && r == VMM_SECCOMP_ROLE_VMM)
					assert_null(pre->layer[r].prebuilt);
				if (!pn) {
					assert_null(pp);
					continue;
				}
				if (memcmp(pp, pn, ln * sizeof(*pn)) || lp != ln)
					fprintf(stderr, "%s, fd %d: role %s differs\n", configs[c],
						fds[f], vmm_seccomp_role_name(r));
				assert_int_equal(lp, ln);
				assert_memory_equal(pp, pn, ln * sizeof(*pn));
				if (pre->layer[r].prebuilt != NULL)
					from_build++;
				else
					compiled_now++;
				/* the usual configurations never compile at run time */
				if (c < 2 && f < 2)
					assert_non_null(pre->layer[r].prebuilt);
			}
			assert_ptr_equal(pre->names_native, vmm_seccomp_prebuilt->names_native);
			assert_string_equal(pre->names_native[SYS_ioctl], "ioctl");
			assert_string_equal(now->names_native[SYS_ioctl], "ioctl");
			assert_string_equal(pre->names_i386[11], "execve");
			vmm_seccomp_free(pre);
			vmm_seccomp_free(now);
		}
	}
	/* some could not come from the build (a changed role, log and errno
	 * modes, modes the baseline outranks without sharing them) */
	assert_true(from_build > 50);
	assert_true(compiled_now > 0);
}

/* ---- regressions: policies an embedder could write ---- */

/* A context whose layers `roles[i]` have policy texts[i] instead of their
 * built-in ones (as from a policy directory), configured and compiled. */
static struct vmm_seccomp *compiled_replaced(const char *config, const enum vmm_seccomp_role *roles,
					     const char *const *texts, size_t n)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	size_t i;

	assert_non_null(ctx);
	ctx->no_prebuilt = true;
	if (config)
		assert_int_equal(vmm_seccomp_configure(ctx, config), 0);
	for (i = 0; i < n; i++) {
		struct layer *L = &ctx->layer[roles[i]];

		policy_init(&L->replacement);
		if (parse_rules(ctx, &L->replacement, "t.policy", texts[i]))
			fail_msg("%s", vmm_seccomp_last_error(ctx));
		L->replaced = true;
	}
	if (vmm_seccomp_compile(ctx))
		fprintf(stderr, "compile: %s\n", vmm_seccomp_last_error(ctx));
	assert_true(ctx->compiled);
	return ctx;
}

/*
 * A role with no ioctl rule refuses every ioctl, whatever the baseline
 * allows.  (It once allowed all the baseline's: the search on the syscall
 * number skipped ioctl as tested before it, which it is only in a layer
 * with ioctl rules of its own.)  Likewise an empty role.
 */
static void test_role_without_ioctl_rules(void **state)
{
	static const char *const configs[] = { NULL, "kill", "errno",
					       "enforce,virtio_rng=kill,virtio_net=errno" };
	static const enum vmm_seccomp_role roles[] = { VMM_SECCOMP_ROLE_VIRTIO_RNG,
						       VMM_SECCOMP_ROLE_VIRTIO_NET };
	static const char *const texts[] = { "getrandom\n", "" };
	static const uint64_t requests[] = { KVM_RUN, KVM_SET_USER_MEMORY_REGION, TUNSETIFF, TCGETS,
					     KVM_CREATE_VM };
	size_t c, i, k;

	(void)state;
	for (c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
		struct vmm_seccomp *ctx = compiled_replaced(configs[c], roles, texts, 2);

		for (k = 0; k < 2; k++) {
			enum vmm_seccomp_role r = roles[k];
			enum vmm_seccomp_mode m = ctx->layer[r].mode;
			uint32_t refused = m == VMM_SECCOMP_MODE_KILL
						   ? SECCOMP_RET_KILL_PROCESS
						   : TRAP(r) | ((uint32_t)m << 8);

			for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
				assert_int_equal(stacked(ctx, r, SYS_ioctl, 5, requests[i], 0, 0),
						 refused);
			assert_int_equal(stacked(ctx, r, SYS_getpid, 0, 0, 0, 0), refused);
		}
		assert_int_equal(
			stacked(ctx, VMM_SECCOMP_ROLE_VIRTIO_RNG, SYS_getrandom, 0, 8, 0, 0),
			ALLOW);
		/* the baseline itself still allows what it allows */
		assert_int_equal(
			stacked(ctx, VMM_SECCOMP_ROLE_PROCESS, SYS_ioctl, 5, KVM_RUN, 0, 0), ALLOW);
		/* the replaced layers, exhaustively (the others are the built-in
		 * ones, verified above) */
		for (k = 0; k < 2; k++) {
			size_t len;
			const struct sock_filter *prog = vmm_seccomp_program(ctx, roles[k], &len);

			assert_int_equal(verify_layer(ctx, prog, len, roles[k], false), 0);
		}
		vmm_seccomp_free(ctx);
	}
}

/* As many distinct errno values as a policy likes (once at most 13: the
 * shared returns had a fixed table). */
static void test_many_errno_values(void **state)
{
	static const enum vmm_seccomp_role roles[] = { VMM_SECCOMP_ROLE_PROCESS,
						       VMM_SECCOMP_ROLE_VCPU };
	char *base = malloc(64 * 1024), *role = malloc(64 * 1024);
	const char *texts[2] = { base, role };
	size_t used, rused;
	struct vmm_seccomp *ctx;
	unsigned int i;

	(void)state;
	assert_non_null(base);
	assert_non_null(role);
	used = (size_t)snprintf(base, 64 * 1024, "@include roles/process.policy\n");
	rused = (size_t)snprintf(role, 64 * 1024, "@include roles/vcpu.policy\n");
	for (i = 1; i <= 300; i++) {
		used += (size_t)snprintf(base + used, 64 * 1024 - used,
					 "getcwd: arg1 == %u -> return %u\n", i, i);
		rused += (size_t)snprintf(role + rused, 64 * 1024 - rused,
					  "getppid: arg0 == %u -> return %u\n", i, 4095 - i);
	}
	ctx = compiled_replaced(NULL, roles, texts, 2);
	for (i = 1; i <= 300; i++) {
		assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_PROCESS, SYS_getcwd, 0, i, 0, 0),
				 SECCOMP_RET_ERRNO | i);
		assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_getppid, i, 0, 0, 0),
				 SECCOMP_RET_ERRNO | (4095 - i));
	}
	assert_int_equal(stacked(ctx, VMM_SECCOMP_ROLE_PROCESS, SYS_getcwd, 0, 301, 0, 0),
			 TRAP(VMM_SECCOMP_ROLE_PROCESS));
	for (i = 0; i < 2; i++) {
		size_t len;
		const struct sock_filter *prog = vmm_seccomp_program(ctx, roles[i], &len);

		assert_int_equal(verify_layer(ctx, prog, len, roles[i], false), 0);
	}
	vmm_seccomp_free(ctx);
	free(base);
	free(role);
}

/* The test of the test: a program that disagrees with its policy in one
 * comparison is caught. */
static void test_mutation_is_caught(void **state)
{
	struct vmm_seccomp *ctx = compiled(NULL);
	size_t len, i;
	const struct sock_filter *prog = vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_VCPU, &len);
	struct sock_filter *copy = malloc(len * sizeof(*copy));
	int mutated = 0;

	(void)state;
	assert_non_null(copy);
	memcpy(copy, prog, len * sizeof(*copy));
	for (i = 0; i < len; i++) {
		if (!mutated && copy[i].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
		    copy[i].k == KVM_RUN) {
			copy[i].k = KVM_CREATE_VM; /* a vCPU thread could now create VMs */
			mutated++;
		}
	}
	assert_int_equal(mutated, 1);
	assert_true(verify_layer(ctx, copy, len, VMM_SECCOMP_ROLE_VCPU, true) > 0);
	/* the kernel's own checks: a jump past the end, a load beyond
	 * struct seccomp_data */
	assert_true(bpf_check(copy, len));
	for (i = 0; i < len && BPF_CLASS(copy[i].code) != BPF_JMP; i++)
		;
	assert_true(i < len);
	copy[i].jt = (uint8_t)(len - i);
	assert_false(bpf_check(copy, len));
	copy[i].jt = 0;
	copy[i].code = BPF_LD | BPF_W | BPF_ABS;
	copy[i].k = sizeof(struct seccomp_data);
	assert_false(bpf_check(copy, len));

	/* and a policy that is wrong, against an honest program */
	memcpy(copy, prog, len * sizeof(*copy));
	ctx->layer[VMM_SECCOMP_ROLE_VCPU].resolved.rules[0].action = POLICY_ACT_ERRNO;
	ctx->layer[VMM_SECCOMP_ROLE_VCPU].resolved.rules[0].errno_value = EPERM;
	assert_true(verify_layer(ctx, copy, len, VMM_SECCOMP_ROLE_VCPU, true) > 0);
	free(copy);
	vmm_seccomp_free(ctx);
}

/* The generator on its own: every operator, far jumps, 64-bit values. */
static void test_generator_operators(void **state)
{
	static const enum policy_op ops[] = { POLICY_OP_EQ,	  POLICY_OP_NE, POLICY_OP_LT,
					      POLICY_OP_LE,	  POLICY_OP_GT, POLICY_OP_GE,
					      POLICY_OP_MASKED_EQ };
	static const uint64_t values[] = {
		0,	   1, 0xffffffffULL, 0x100000000ULL, 0x123456789abcdefULL, UINT64_MAX - 1,
		UINT64_MAX
	};
	static const struct policy_runtime none = { 0 }; /* (constants only) */
	size_t o, v, t;

	(void)state;
	for (o = 0; o < 2 * sizeof(ops) / sizeof(ops[0]); o++) {
		for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			/* every operator on all 64 bits, then on the low 32 only */
			struct policy_clause cl = { 1,
						    { { 2, ops[o % 7], 0xff00ff00ff00ff00ULL, 0,
							o >= 7, POLICY_VALUE_CONST } } };
			struct policy_rule pr = { .n_clauses = 1, .clauses = &cl };
			struct bpf_rule br = { &cl, 1, SECCOMP_RET_ALLOW, BPF_SLOT_NONE, false };
			const uint32_t slots[BPF_SLOTS] = { [BPF_SLOT_DEFAULT] = SECCOMP_RET_TRAP,
							    [BPF_SLOT_BADARCH] =
								    SECCOMP_RET_KILL_PROCESS };
			struct bpf_syscall s[300];
			const struct bpf_target tgt = { .audit_arch = AUDIT_ARCH_X86_64,
							.foreign_nr_floor = 0x40000000u,
							.hot_nr = -1 };
			struct sock_filter *prog;
			size_t len, k;

			cl.cmp[0].value = ops[o % 7] == POLICY_OP_MASKED_EQ
						  ? values[v] & cl.cmp[0].mask
						  : values[v];
			/* 300 syscalls with the same rule: jumps longer than 255 */
			for (k = 0; k < 300; k++) {
				s[k].nr = (int)k;
				s[k].rules = &br;
				s[k].n_rules = 1;
			}
			assert_int_equal(bpf_generate(&tgt, s, 300, slots, &prog, &len), 0);
			for (t = 0; t < sizeof(values) / sizeof(values[0]); t++) {
				uint64_t probes[3] = { values[t], values[t] + 1, values[t] - 1 };
				size_t q;

				for (q = 0; q < 3; q++) {
					struct bpf_input in = { .nr = 299,
								.arch = AUDIT_ARCH_X86_64 };
					uint32_t got;

					in.args[2] = probes[q];
					assert_int_equal(bpf_run(prog, len, &in, &got, NULL), 0);
					assert_int_equal(got,
							 policy_rule_matches(&pr, in.args, &none)
								 ? SECCOMP_RET_ALLOW
								 : SECCOMP_RET_TRAP);
				}
			}
			free(prog);
		}
	}
}

/* Comparisons with a runtime value ($pid): against their slot, never in a
 * set with the constants around them. */
static void test_generator_runtime_values(void **state)
{
	static const uint32_t pids[] = { 1, 4242, 0x7fffffffu, 0x80000000u, 0xffffffffu, 5 };
	size_t o, p, q;

	(void)state;
	for (o = 0; o < 2; o++) {
		for (p = 0; p < sizeof(pids) / sizeof(pids[0]); p++) {
			/* arg0 in {4, 5} || arg0 ==/!= $pid || arg0 == 6, all allowed: a
			 * set run broken by the runtime comparison */
			struct policy_clause cl[4] = {
				{ 1, { { 0, POLICY_OP_EQ, 0, 4, true, POLICY_VALUE_CONST } } },
				{ 1, { { 0, POLICY_OP_EQ, 0, 5, true, POLICY_VALUE_CONST } } },
				{ 1,
				  { { 0, o ? POLICY_OP_NE : POLICY_OP_EQ, 0, 0, true,
				      POLICY_VALUE_PID } } },
				{ 1, { { 0, POLICY_OP_EQ, 0, 6, true, POLICY_VALUE_CONST } } },
			};
			const struct policy_runtime rt = { .pid = pids[p] };
			struct policy_rule pr = { .n_clauses = 4, .clauses = cl };
			struct bpf_rule br = { cl, 4, SECCOMP_RET_ALLOW, BPF_SLOT_NONE, false };
			const uint32_t slots[BPF_SLOTS] = { [BPF_SLOT_DEFAULT] = SECCOMP_RET_TRAP,
							    [BPF_SLOT_BADARCH] =
								    SECCOMP_RET_KILL_PROCESS,
							    [BPF_SLOT_PID] = pids[p] };
			struct bpf_syscall s = { 234, &br, 1, false };
			const struct bpf_target tgt = { .audit_arch = AUDIT_ARCH_X86_64,
							.foreign_nr_floor = 0x40000000u,
							.hot_nr = -1 };
			const uint64_t probes[] = { pids[p],
						    (uint64_t)pids[p] + 1,
						    (uint64_t)pids[p] - 1,
						    (uint64_t)pids[p] | (1ULL << 32),
						    0,
						    4,
						    5,
						    6,
						    7 };
			struct sock_filter *prog;
			struct bpf_reloc *relocs;
			size_t len, n_relocs, k, pid_slots = 0;

			assert_int_equal(
				bpf_generate_template(&tgt, &s, 1, &prog, &len, &relocs, &n_relocs),
				0);
			for (k = 0; k < n_relocs; k++)
				pid_slots += relocs[k].slot == BPF_SLOT_PID;
			assert_int_equal(pid_slots, 1);
			bpf_resolve(prog, relocs, n_relocs, slots);
			for (q = 0; q < sizeof(probes) / sizeof(probes[0]); q++) {
				struct bpf_input in = { .nr = 234, .arch = AUDIT_ARCH_X86_64 };
				uint32_t got;

				in.args[0] = probes[q];
				assert_int_equal(bpf_run(prog, len, &in, &got, NULL), 0);
				assert_int_equal(got, policy_rule_matches(&pr, in.args, &rt)
							      ? SECCOMP_RET_ALLOW
							      : SECCOMP_RET_TRAP);
			}
			free(prog);
			free(relocs);
		}
	}
}

/* Whether every program of ctx holds `pid` for $pid, and the baseline's
 * tgkill rule lets this process's threads be signalled and no other's. */
static bool filled_with(const struct vmm_seccomp *ctx, uint32_t pid, uint32_t other)
{
	struct bpf_input in = { .nr = SYS_tgkill, .arch = NATIVE_AUDIT_ARCH };
	const struct layer *B = &ctx->layer[VMM_SECCOMP_ROLE_PROCESS];
	uint32_t ret_own, ret_other;
	size_t pid_slots = 0, k;
	unsigned int r;

	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		const struct layer *L = &ctx->layer[r];

		if (!L->prog)
			continue;
		if (L->pid != pid)
			return false;
		for (k = 0; k < L->n_relocs; k++) {
			if (L->relocs[k].slot != BPF_SLOT_PID)
				continue;
			pid_slots++;
			if (L->prog[L->relocs[k].at].k != pid)
				return false;
		}
	}
	in.args[0] = pid;
	in.args[1] = 2;
	in.args[2] = SIGUSR1;
	if (bpf_run(B->prog, B->prog_len, &in, &ret_own, NULL))
		return false;
	in.args[0] = other;
	if (bpf_run(B->prog, B->prog_len, &in, &ret_other, NULL))
		return false;
	return pid_slots > 0 && ret_own == SECCOMP_RET_ALLOW && ret_other != SECCOMP_RET_ALLOW;
}

/* A context compiled in one process and applied in a forked child holds the
 * child's pid once compile_fill_runtime_slots() ran there (prebuilt and
 * compiled programs alike). */
static void test_runtime_slots_after_fork(void **state)
{
	unsigned int prebuilt;

	(void)state;
	for (prebuilt = 0; prebuilt < 2; prebuilt++) {
		struct vmm_seccomp *ctx = vmm_seccomp_new();
		uint32_t parent = (uint32_t)getpid();
		int status;
		pid_t child;

		assert_non_null(ctx);
		ctx->no_prebuilt = !prebuilt;
		assert_int_equal(compile_fill_runtime_slots(ctx), -EINVAL); /* not compiled */
		assert_int_equal(vmm_seccomp_compile(ctx), 0);
		assert_true(!prebuilt || ctx->under_valgrind || !vmm_seccomp_prebuilt ||
			    ctx->layer[VMM_SECCOMP_ROLE_PROCESS].prebuilt);
		assert_true(filled_with(ctx, parent, parent + 1));
		child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			uint32_t self = (uint32_t)getpid();
			/* before: the parent's pid; after: its own */
			bool ok = self != parent && filled_with(ctx, parent, self) &&
				  compile_fill_runtime_slots(ctx) == 0 &&
				  filled_with(ctx, self, parent);

			_exit(ok ? 0 : 1);
		}
		assert_int_equal(waitpid(child, &status, 0), child);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		/* the parent's copy is its own */
		assert_true(filled_with(ctx, parent, (uint32_t)child));
		assert_int_equal(compile_fill_runtime_slots(ctx), 0);
		assert_true(filled_with(ctx, parent, (uint32_t)child));
		vmm_seccomp_free(ctx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustive_enforce),
		cmocka_unit_test(test_exhaustive_other_modes),
		cmocka_unit_test(test_exhaustive_aarch64),
		cmocka_unit_test(test_foreign_abi),
		cmocka_unit_test(test_policy_facts),
		cmocka_unit_test(test_unconditional_is_cacheable),
		cmocka_unit_test(test_shared_checks_left_to_baseline),
		cmocka_unit_test(test_prebuilt_equals_compiled),
		cmocka_unit_test(test_mutation_is_caught),
		cmocka_unit_test(test_role_without_ioctl_rules),
		cmocka_unit_test(test_many_errno_values),
		cmocka_unit_test(test_generator_operators),
		cmocka_unit_test(test_generator_runtime_values),
		cmocka_unit_test(test_runtime_slots_after_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
