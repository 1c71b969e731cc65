/* SPDX-License-Identifier: Apache-2.0 */
/* The context: configuration, staging, applying, introspection. */
#include "internal.h"
#include "../threads/threads.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Per thread, so concurrent calls from role threads do not mix messages.
 * (Not read by the signal handler, so the default TLS model is fine.) */
static __thread char last_error[512];

int ctx_fail(struct vmm_seccomp *ctx, int rc, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	/* va_start is above: the analyzer's valist warning is a false positive */
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return rc;
}

const char *vmm_seccomp_last_error(const struct vmm_seccomp *ctx)
{
	(void)ctx;
	return last_error;
}

struct vmm_seccomp *vmm_seccomp_new(void)
{
	struct vmm_seccomp *ctx = calloc(1, sizeof(*ctx));
	unsigned int r;

	if (!ctx)
		return NULL;
	roles_init(ctx);
	for (r = 0; r < VMM_SECCOMP_ROLE_MAX; r++) {
		ctx->layer[r].mode = VMM_SECCOMP_MODE_ENFORCE;
		policy_init(&ctx->layer[r].extra);
		policy_init(&ctx->layer[r].resolved);
		policy_init(&ctx->layer[r].replacement);
	}
	ctx->report_fd = 2;
	ctx->arch = POLICY_ARCH_NATIVE;
	landlock_init(ctx);
	return ctx;
}

static size_t counts_size(const struct vmm_seccomp *ctx)
{
	return ctx->n_roles * sizeof(*ctx->counts);
}

static void release_counts(struct vmm_seccomp *ctx)
{
	if (ctx->counts)
		munmap((void *)ctx->counts, counts_size(ctx));
	ctx->counts = NULL;
}

void vmm_seccomp_free(struct vmm_seccomp *ctx)
{
	unsigned int r;

	if (!ctx)
		return;
	if (report_active() == ctx)
		report_set_active(NULL);
	compile_release(ctx);
	landlock_release(ctx);
	release_counts(ctx);
	for (r = 0; r < VMM_SECCOMP_ROLE_MAX; r++) {
		policy_release(&ctx->layer[r].extra);
		policy_release(&ctx->layer[r].replacement);
	}
	free(ctx);
}

int ctx_check_configurable(struct vmm_seccomp *ctx)
{
	if (!ctx)
		return ctx_fail(ctx, -EINVAL, "no context");
	if (ctx->compiled)
		return ctx_fail(ctx, -EBUSY, "the configuration is frozen once compiled");
	return 0;
}

int vmm_seccomp_set_mode(struct vmm_seccomp *ctx, enum vmm_seccomp_mode mode)
{
	unsigned int r;
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	if ((unsigned int)mode >= VMM_SECCOMP_MODE_COUNT)
		return ctx_fail(ctx, -EINVAL, "mode %d out of range", (int)mode);
	/* the roles not defined yet too: they start in this mode */
	for (r = 0; r < VMM_SECCOMP_ROLE_MAX; r++)
		ctx->layer[r].mode = mode;
	return 0;
}

int vmm_seccomp_set_role_mode(struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
			      enum vmm_seccomp_mode mode)
{
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	if (!role_valid(ctx, role))
		return ctx_fail(ctx, -EINVAL, "role %d is not a role of this context", (int)role);
	if ((unsigned int)mode >= VMM_SECCOMP_MODE_COUNT)
		return ctx_fail(ctx, -EINVAL, "mode %d out of range", (int)mode);
	ctx->layer[role].mode = mode;
	return 0;
}

enum vmm_seccomp_mode vmm_seccomp_get_role_mode(const struct vmm_seccomp *ctx,
						enum vmm_seccomp_role role)
{
	if (!role_valid(ctx, role))
		return VMM_SECCOMP_MODE_OFF;
	return ctx->layer[role].mode;
}

int vmm_seccomp_configure(struct vmm_seccomp *ctx, const char *str)
{
	enum vmm_seccomp_mode modes[VMM_SECCOMP_ROLE_MAX];
	char err[sizeof(last_error) - 40];
	unsigned int r;
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	for (r = 0; r < VMM_SECCOMP_ROLE_MAX; r++)
		modes[r] = ctx->layer[r].mode;
	rc = config_parse(ctx, str, modes, err, sizeof(err));
	if (rc)
		return ctx_fail(ctx, rc, "seccomp configuration: %s", err);
	for (r = 0; r < VMM_SECCOMP_ROLE_MAX; r++)
		ctx->layer[r].mode = modes[r];
	return 0;
}

int vmm_seccomp_configure_from_env(struct vmm_seccomp *ctx, const char *var)
{
	const char *name = var ? var : VMM_SECCOMP_ENV;
	const char *val = getenv(name);
	int rc;

	if (!val || !*val)
		return ctx_check_configurable(ctx);
	rc = vmm_seccomp_configure(ctx, val);
	if (rc && rc != -EBUSY) {
		char why[sizeof(last_error)];

		snprintf(why, sizeof(why), "%s", last_error);
		return ctx_fail(ctx, rc, "%s: %s", name, why);
	}
	return rc;
}

int check_dangerous(struct vmm_seccomp *ctx, const struct policy *p, unsigned int flags)
{
	size_t i;

	if (flags & VMM_SECCOMP_ALLOW_DANGEROUS)
		return 0;
	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		/* refusing one (return ERRNO, trap) is always fine */
		if (r->action != POLICY_ACT_ERRNO && r->action != POLICY_ACT_TRAP &&
		    vmm_seccomp_is_dangerous(r->syscall))
			return ctx_fail(ctx, -EPERM,
					"%s:%u:%u: %s is on the dangerous list; the baseline "
					"takes it only with VMM_SECCOMP_ALLOW_DANGEROUS",
					p->files[r->file], r->line, r->col, r->syscall);
	}
	return 0;
}

int check_within_current_baseline(struct vmm_seccomp *ctx, const char *role,
				  const struct policy *role_policy)
{
	struct policy base;
	int rc;

	policy_init(&base);
	rc = base_policy(ctx, VMM_SECCOMP_ROLE_PROCESS, &base);
	if (!rc && policy_append(&base, &ctx->layer[VMM_SECCOMP_ROLE_PROCESS].extra))
		rc = ctx_fail(ctx, -ENOMEM, "out of memory");
	if (!rc)
		rc = check_role_within_baseline(ctx, role, role_policy, &base);
	policy_release(&base);
	return rc;
}

int vmm_seccomp_add_rules(struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
			  const char *policy_text, const char *origin, unsigned int flags)
{
	struct policy staged;
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	if (!role_valid(ctx, role))
		return ctx_fail(ctx, -EINVAL, "role %d is not a role of this context", (int)role);
	if (!policy_text)
		return ctx_fail(ctx, -EINVAL, "no policy text");
	if (flags & ~VMM_SECCOMP_ALLOW_DANGEROUS)
		return ctx_fail(ctx, -EINVAL, "unknown flags %#x",
				flags & ~VMM_SECCOMP_ALLOW_DANGEROUS);
	policy_init(&staged);
	rc = parse_rules(ctx, &staged, origin ? origin : "embedder", policy_text);
	if (rc)
		goto out;
	if (role == VMM_SECCOMP_ROLE_PROCESS) {
		rc = check_dangerous(ctx, &staged, flags);
		if (rc)
			goto out;
	} else {
		rc = check_within_current_baseline(ctx, role_name(ctx, role), &staged);
		if (rc)
			goto out;
	}
	if (policy_append(&ctx->layer[role].extra, &staged))
		rc = ctx_fail(ctx, -ENOMEM, "out of memory");
	if (!rc && role == VMM_SECCOMP_ROLE_PROCESS && (flags & VMM_SECCOMP_ALLOW_DANGEROUS))
		ctx->dangerous_baseline = true;
out:
	policy_release(&staged);
	return rc;
}

int vmm_seccomp_set_report_fd(struct vmm_seccomp *ctx, int fd)
{
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	if (fd < 0)
		return ctx_fail(ctx, -EINVAL, "bad report descriptor %d", fd);
	ctx->report_fd = fd;
	return 0;
}

int vmm_seccomp_set_report_callback(struct vmm_seccomp *ctx, vmm_seccomp_report_fn fn, void *arg)
{
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	ctx->report_fn = fn;
	ctx->report_arg = arg;
	return 0;
}

int vmm_seccomp_compile(struct vmm_seccomp *ctx)
{
	int rc;

	if (!ctx)
		return ctx_fail(ctx, -EINVAL, "no context");
	if (ctx->compiled)
		return 0;
	ctx->under_valgrind = running_on_valgrind();
	rc = compile_all(ctx);
	/* The counters of every role, now that they are all known: mapped, not
	 * allocated, so their pages (4 KiB a role) are only touched by the
	 * first violation that counts in them. */
	if (!rc) {
		void *m = mmap(NULL, counts_size(ctx), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED) {
			compile_release(ctx);
			rc = ctx_fail(ctx, -ENOMEM, "out of memory");
		} else {
			ctx->counts = m;
		}
	}
	if (!rc) {
		rc = landlock_compile(ctx);
		if (rc) {
			compile_release(ctx);
			release_counts(ctx);
		}
	}
	if (!rc)
		ctx->compiled = true;
	return rc;
}

const void *vmm_seccomp_program(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
				size_t *len)
{
	if (!role_valid(ctx, role) || !ctx->compiled || !ctx->layer[role].prog) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = ctx->layer[role].prog_len;
	return ctx->layer[role].prog;
}

int vmm_seccomp_apply_process(struct vmm_seccomp *ctx)
{
	int rc;

	if (!ctx)
		return ctx_fail(ctx, -EINVAL, "no context");
	if (report_active())
		return ctx_fail(ctx, -EALREADY,
				"a vmm_seccomp context is already applied in this process");
	rc = vmm_seccomp_compile(ctx);
	if (rc)
		return rc;
	if (ctx->arch != POLICY_ARCH_NATIVE)
		return ctx_fail(
			ctx, -EOPNOTSUPP,
			"the policies were compiled for another architecture: nothing installed");
	/* $pid is this process, which may not be the one that compiled */
	rc = compile_fill_runtime_slots(ctx);
	if (rc)
		return rc;
	preload_runtime_libraries();
	thread_registry_prepare();
	report_set_active(ctx);
	rc = report_install_handler(ctx);
	if (!rc)
		rc = landlock_prepare(ctx);
	/* the baseline goes in while every other thread is parked, then they
	 * all enter the Landlock domain (landlock.c) */
	if (!rc)
		rc = landlock_apply_process(ctx, install_process_filter);
	if (rc) {
		report_set_active(NULL);
		return rc;
	}
	ctx->applied = true;
	ctx->baseline_installed = ctx->layer[VMM_SECCOMP_ROLE_PROCESS].prog != NULL;
	return 0;
}

uint64_t vmm_seccomp_violation_count(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
				     int syscall_nr)
{
	int slot = syscall_nr < 0 ? FOREIGN_SLOT : syscall_nr;

	if (!role_valid(ctx, role) || slot >= COUNT_SLOTS || !ctx->counts)
		return 0;
	return atomic_load(&((struct vmm_seccomp *)ctx)->counts[role][slot]);
}

uint64_t vmm_seccomp_violation_total(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	uint64_t sum = 0;
	int i;

	if (!role_valid(ctx, role) || !ctx->counts)
		return 0;
	for (i = 0; i < COUNT_SLOTS; i++)
		sum += atomic_load(&((struct vmm_seccomp *)ctx)->counts[role][i]);
	return sum;
}
