/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The role model: a role is a name with a policy.  The built-in ones have
 * their policy in the library (policy/roles/NAME.policy); an embedder
 * defines more (vmm_seccomp_define_role(), a policy directory).  Every
 * other part of the library knows a role by its value, an index into the
 * context's layers, and asks here for its name.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const builtin_names[VMM_SECCOMP_ROLE_COUNT] = {
	[VMM_SECCOMP_ROLE_PROCESS] = "process",
	[VMM_SECCOMP_ROLE_VMM] = "vmm",
	[VMM_SECCOMP_ROLE_VCPU] = "vcpu",
	[VMM_SECCOMP_ROLE_API] = "api",
	[VMM_SECCOMP_ROLE_VIRTIO_BLOCK] = "virtio_block",
	[VMM_SECCOMP_ROLE_VIRTIO_NET] = "virtio_net",
	[VMM_SECCOMP_ROLE_VIRTIO_CONSOLE] = "virtio_console",
	[VMM_SECCOMP_ROLE_VIRTIO_RNG] = "virtio_rng",
	[VMM_SECCOMP_ROLE_VIRTIO_VSOCK] = "virtio_vsock",
	[VMM_SECCOMP_ROLE_VIRTIO_FS] = "virtio_fs",
	[VMM_SECCOMP_ROLE_VIRTIO_BALLOON] = "virtio_balloon",
	[VMM_SECCOMP_ROLE_VHOST_USER] = "vhost_user",
	[VMM_SECCOMP_ROLE_IO_WORKER] = "io_worker",
	[VMM_SECCOMP_ROLE_SIGNAL_HANDLER] = "signal_handler",
	[VMM_SECCOMP_ROLE_RUNTIME] = "runtime",
};

/* Words of the configuration strings (config.c): a role of that name
 * would make "NAME" and "NAME=MODE" read alike. */
static const char *const reserved_names[] = {
	"enforce", "kill", "errno", "log", "off", "true", "false", "disable_seccomp",
};

void roles_init(struct vmm_seccomp *ctx)
{
	unsigned int r;

	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++)
		snprintf(ctx->role_names[r], sizeof(ctx->role_names[r]), "%s", builtin_names[r]);
	ctx->n_roles = VMM_SECCOMP_ROLE_COUNT;
}

bool role_valid(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	return ctx && (unsigned int)role < ctx->n_roles;
}

const char *role_name(const struct vmm_seccomp *ctx, unsigned int role)
{
	return ctx && role < ctx->n_roles ? ctx->role_names[role] : "?";
}

int role_find(const struct vmm_seccomp *ctx, const char *s, size_t n)
{
	unsigned int r;

	for (r = 0; ctx && r < ctx->n_roles; r++) {
		if (strlen(ctx->role_names[r]) == n && memcmp(ctx->role_names[r], s, n) == 0)
			return (int)r;
	}
	return -1;
}

void role_list(const struct vmm_seccomp *ctx, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int r;

	if (len)
		buf[0] = '\0';
	for (r = 0; r < ctx->n_roles && used < len; r++) {
		int n = snprintf(buf + used, len - used, "%s%s", r ? ", " : "", ctx->role_names[r]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int role_check_new_name(const struct vmm_seccomp *ctx, const char *name, char *err, size_t errlen)
{
	size_t i, n = name ? strlen(name) : 0;
	int r;

	if (n == 0) {
		snprintf(err, errlen, "empty role name");
		return -EINVAL;
	}
	if (n > VMM_SECCOMP_ROLE_NAME_MAX) {
		snprintf(err, errlen, "role name '%.40s%s' is %zu characters long (at most %d)",
			 name, n > 40 ? "..." : "", n, VMM_SECCOMP_ROLE_NAME_MAX);
		return -EINVAL;
	}
	if (name[0] < 'a' || name[0] > 'z') {
		snprintf(err, errlen, "role name '%s' must start with a letter a-z", name);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
			snprintf(err, errlen,
				 "role name '%s': character %zu ('%c') is not one of a-z, 0-9, _",
				 name, i + 1, c >= 0x20 && c < 0x7f ? c : '?');
			return -EINVAL;
		}
	}
	for (i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++) {
		if (!strcmp(name, reserved_names[i])) {
			snprintf(err, errlen,
				 "role name '%s' is a word of the configuration strings "
				 "(a mode, true, false, disable_seccomp)",
				 name);
			return -EINVAL;
		}
	}
	r = role_find(ctx, name, n);
	if (r >= 0) {
		snprintf(err, errlen, "role '%s' exists already%s", name,
			 r < VMM_SECCOMP_ROLE_COUNT ? " (built in)" : "");
		return -EEXIST;
	}
	return 0;
}

int role_add(struct vmm_seccomp *ctx, const char *name, struct policy *p)
{
	unsigned int r = ctx->n_roles;
	struct layer *L;

	if (r >= VMM_SECCOMP_ROLE_MAX)
		return -ENOSPC;
	L = &ctx->layer[r];
	snprintf(ctx->role_names[r], sizeof(ctx->role_names[r]), "%s", name);
	policy_release(&L->replacement);
	L->replacement = *p;
	L->replaced = true;
	policy_init(p);
	ctx->n_roles = r + 1;
	return (int)r;
}

/* ---- public ---- */

const char *vmm_seccomp_role_name(enum vmm_seccomp_role role)
{
	return (unsigned int)role < VMM_SECCOMP_ROLE_COUNT ? builtin_names[role] : NULL;
}

int vmm_seccomp_role_from_name(const char *name, enum vmm_seccomp_role *role)
{
	unsigned int r;

	if (!name || !role)
		return -EINVAL;
	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		if (!strcmp(builtin_names[r], name)) {
			*role = (enum vmm_seccomp_role)r;
			return 0;
		}
	}
	return -EINVAL;
}

const char *vmm_seccomp_get_role_name(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	return role_valid(ctx, role) ? ctx->role_names[role] : NULL;
}

int vmm_seccomp_find_role(const struct vmm_seccomp *ctx, const char *name,
			  enum vmm_seccomp_role *role)
{
	int r;

	if (!ctx || !name || !role)
		return -EINVAL;
	r = role_find(ctx, name, strlen(name));
	if (r < 0)
		return -ENOENT;
	*role = (enum vmm_seccomp_role)r;
	return 0;
}

unsigned int vmm_seccomp_role_count(const struct vmm_seccomp *ctx)
{
	return ctx ? ctx->n_roles : 0;
}

int vmm_seccomp_define_role(struct vmm_seccomp *ctx, const char *name, const char *policy_text,
			    const char *origin, enum vmm_seccomp_role *role)
{
	struct policy staged;
	char why[200];
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	rc = role_check_new_name(ctx, name, why, sizeof(why));
	if (rc)
		return ctx_fail(ctx, rc, "define_role: %s", why);
	if (ctx->n_roles >= VMM_SECCOMP_ROLE_MAX)
		return ctx_fail(ctx, -ENOSPC,
				"define_role(%s): a context holds at most %d roles (%d built in)",
				name, VMM_SECCOMP_ROLE_MAX, VMM_SECCOMP_ROLE_COUNT);
	if (!policy_text)
		return ctx_fail(ctx, -EINVAL, "define_role(%s): no policy text", name);
	policy_init(&staged);
	rc = parse_rules(ctx, &staged, origin ? origin : name, policy_text);
	if (!rc)
		rc = check_within_current_baseline(ctx, name, &staged);
	if (!rc) {
		rc = role_add(ctx, name, &staged);
		if (rc >= 0) {
			if (role)
				*role = (enum vmm_seccomp_role)rc;
			rc = 0;
		}
	}
	policy_release(&staged);
	return rc;
}
