/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policies from a directory, at run time, when the embedder asks: each
 * ROLE.policy file there replaces that role's built-in policy.  It may
 * extend the built-in one with "@include builtin/roles/ROLE.policy";
 * other includes are files of the same directory.  All is read and
 * checked before anything changes.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POLICY_FILE_MAX (1 << 20)

struct dir_loader {
	struct vmm_seccomp *ctx;
	const char *dir;
	char *texts[POLICY_MAX_INCLUDE_DEPTH + 1]; /* files read for the current parse */
	size_t n_texts;
	char why[300];
};

/* Reads dir/name into a NUL-terminated buffer the caller frees. */
static char *read_policy_file(const char *dir, const char *name, char *why, size_t whylen)
{
	char path[4096];
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd;

	if (name[0] == '/' || strstr(name, "..")) {
		snprintf(why, whylen, "includes must name files inside the policy directory");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%.200s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > POLICY_FILE_MAX) {
		snprintf(why, whylen, "%.200s: not a regular file of at most %d bytes", path,
			 POLICY_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		snprintf(why, whylen, "%.200s: short read", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n)) {
		snprintf(why, whylen, "%.200s: contains a NUL byte", path);
		free(buf);
		buf = NULL;
	}
out:
	close(fd);
	return buf;
}

/* Whether the file being parsed is a built-in one (its includes are too). */
static bool is_builtin_origin(const char *origin)
{
	return strncmp(origin, "builtin/", 8) == 0 || builtin_policy_text(origin) != NULL;
}

static const char *open_dir_include(void *arg, const char *includer, const char *name,
				    const char **why)
{
	struct dir_loader *dl = arg;
	char *text;

	/* "builtin/X" from the directory, and every include of a built-in
	 * file, name built-in files. */
	if (strncmp(name, "builtin/", 8) == 0 || is_builtin_origin(includer)) {
		const char *t =
			builtin_policy_text(strncmp(name, "builtin/", 8) == 0 ? name + 8 : name);

		if (!t)
			*why = "no built-in policy file of that name";
		return t;
	}
	if (dl->n_texts == sizeof(dl->texts) / sizeof(dl->texts[0])) {
		*why = "too many includes";
		return NULL;
	}
	text = read_policy_file(dl->dir, name, dl->why, sizeof(dl->why));
	if (!text) {
		*why = dl->why;
		return NULL;
	}
	dl->texts[dl->n_texts++] = text;
	return text;
}

static int resolve_dir_syscall(void *arg, const char *name)
{
	return resolve_ctx_syscall(((struct dir_loader *)arg)->ctx, name);
}

static void drop_texts(struct dir_loader *dl)
{
	while (dl->n_texts)
		free(dl->texts[--dl->n_texts]);
}

int vmm_seccomp_load_policy_dir(struct vmm_seccomp *ctx, const char *dir, unsigned int flags)
{
	struct policy staged[VMM_SECCOMP_ROLE_COUNT];
	bool found[VMM_SECCOMP_ROLE_COUNT] = { false };
	struct dir_loader dl = { .ctx = ctx, .dir = dir };
	struct dirent *e;
	unsigned int r;
	DIR *d;
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	if (!dir)
		return ctx_fail(ctx, -EINVAL, "no policy directory");
	if (flags & ~VMM_SECCOMP_ALLOW_DANGEROUS)
		return ctx_fail(ctx, -EINVAL, "unknown flags %#x",
				flags & ~VMM_SECCOMP_ALLOW_DANGEROUS);
	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++)
		policy_init(&staged[r]);
	d = opendir(dir);
	if (!d)
		return ctx_fail(ctx, -errno, "policy directory %s: %s", dir, strerror(errno));
	while (!rc && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		enum vmm_seccomp_role role;
		char name[64], origin[4200];
		char *text;

		if (len < 8 || strcmp(e->d_name + len - 7, ".policy") != 0)
			continue;
		if (len - 7 >= sizeof(name) ||
		    (snprintf(name, sizeof(name), "%.*s", (int)(len - 7), e->d_name),
		     vmm_seccomp_role_from_name(name, &role))) {
			rc = ctx_fail(ctx, -EINVAL,
				      "%s/%s: '%.*s' is not a role (process, vmm, vcpu, api, "
				      "virtio_block, "
				      "virtio_net, virtio_console, virtio_rng, virtio_vsock, "
				      "virtio_fs, virtio_balloon, vhost_user, io_worker, "
				      "signal_handler, runtime)",
				      dir, e->d_name, (int)(len - 7), e->d_name);
			break;
		}
		text = read_policy_file(dir, e->d_name, dl.why, sizeof(dl.why));
		if (!text) {
			rc = ctx_fail(ctx, -EINVAL, "%s", dl.why);
			break;
		}
		snprintf(origin, sizeof(origin), "%s/%s", dir, e->d_name);
		{
			const struct policy_ops ops = {
				.open_include = open_dir_include,
				.resolve_syscall = resolve_dir_syscall,
				.arg = &dl,
				.arch = ctx->arch,
			};
			struct policy_error err;

			rc = policy_parse(&staged[role], origin, text, &ops, &err);
			if (rc)
				rc = ctx_fail(ctx, rc, "%s", err.msg);
		}
		drop_texts(&dl);
		free(text);
		found[role] = true;
	}
	closedir(d);
	/* the same rule as for rules added to the baseline */
	if (!rc && found[VMM_SECCOMP_ROLE_PROCESS])
		rc = check_dangerous(ctx, &staged[VMM_SECCOMP_ROLE_PROCESS], flags);

	/* Every role, replaced or not, within the baseline as it would be. */
	for (r = 1; r < VMM_SECCOMP_ROLE_COUNT && !rc; r++) {
		struct policy base, role;

		policy_init(&base);
		policy_init(&role);
		if (found[VMM_SECCOMP_ROLE_PROCESS])
			rc = policy_append(&base, &staged[VMM_SECCOMP_ROLE_PROCESS]) ? -ENOMEM : 0;
		else
			rc = base_policy(ctx, VMM_SECCOMP_ROLE_PROCESS, &base);
		if (!rc)
			rc = policy_append(&base, &ctx->layer[VMM_SECCOMP_ROLE_PROCESS].extra)
				     ? -ENOMEM
				     : 0;
		if (!rc)
			rc = found[r] ? (policy_append(&role, &staged[r]) ? -ENOMEM : 0)
				      : base_policy(ctx, r, &role);
		if (rc == -ENOMEM)
			ctx_fail(ctx, rc, "out of memory");
		if (!rc)
			rc = check_role_within_baseline(ctx, r, &role, &base);
		policy_release(&base);
		policy_release(&role);
	}
	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		if (!rc && found[r]) {
			policy_release(&ctx->layer[r].replacement);
			ctx->layer[r].replacement = staged[r];
			ctx->layer[r].replaced = true;
			if (r == VMM_SECCOMP_ROLE_PROCESS && (flags & VMM_SECCOMP_ALLOW_DANGEROUS))
				ctx->dangerous_baseline = true;
		} else {
			policy_release(&staged[r]);
		}
	}
	return rc;
}
