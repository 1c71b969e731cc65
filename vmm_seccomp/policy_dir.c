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

/* The policy of a role as the directory would leave it: its file there, or
 * what it has now. */
static int staged_policy(struct vmm_seccomp *ctx, unsigned int r, const struct policy *staged,
			 const bool *found, struct policy *out)
{
	int rc;

	if (found[r])
		rc = policy_append(out, &staged[r]) ? -ENOMEM : 0;
	else
		rc = base_policy(ctx, (enum vmm_seccomp_role)r, out);
	if (!rc && policy_append(out, &ctx->layer[r].extra))
		rc = -ENOMEM;
	if (rc == -ENOMEM)
		ctx_fail(ctx, rc, "out of memory");
	return rc;
}

int vmm_seccomp_load_policy_dir(struct vmm_seccomp *ctx, const char *dir, unsigned int flags)
{
	/* Indexed by role value: the context's roles, then the ones this
	 * directory defines (names[] holds theirs). */
	struct policy staged[VMM_SECCOMP_ROLE_MAX];
	bool found[VMM_SECCOMP_ROLE_MAX] = { false };
	char names[VMM_SECCOMP_ROLE_MAX][VMM_SECCOMP_ROLE_NAME_MAX + 1];
	struct dir_loader dl = { .ctx = ctx, .dir = dir };
	unsigned int r, n_roles, first_new;
	struct dirent **entries;
	struct policy base;
	int rc = ctx_check_configurable(ctx), n_entries, k;

	if (rc)
		return rc;
	if (!dir)
		return ctx_fail(ctx, -EINVAL, "no policy directory");
	if (flags & ~VMM_SECCOMP_ALLOW_DANGEROUS)
		return ctx_fail(ctx, -EINVAL, "unknown flags %#x",
				flags & ~VMM_SECCOMP_ALLOW_DANGEROUS);
	first_new = n_roles = ctx->n_roles;
	for (r = 0; r < VMM_SECCOMP_ROLE_MAX; r++)
		policy_init(&staged[r]);
	/* in name order: the roles it defines get their values in that order */
	n_entries = scandir(dir, &entries, NULL, alphasort);
	if (n_entries < 0)
		return ctx_fail(ctx, -errno, "policy directory %s: %s", dir, strerror(errno));
	for (k = 0; k < n_entries && !rc; k++) {
		const struct dirent *e = entries[k];
		size_t len = strlen(e->d_name);
		char name[sizeof(e->d_name)], origin[4200], why[200];
		unsigned int role;
		char *text;
		int found_role;

		if (len < 8 || strcmp(e->d_name + len - 7, ".policy") != 0)
			continue;
		memcpy(name, e->d_name, len - 7);
		name[len - 7] = '\0';
		found_role = role_find(ctx, name, len - 7);
		for (r = first_new; found_role < 0 && r < n_roles; r++) {
			if (!strcmp(names[r], name))
				found_role = (int)r;
		}
		if (found_role >= 0) {
			role = (unsigned int)found_role;
		} else {
			/* a role this directory defines */
			rc = role_check_new_name(ctx, name, why, sizeof(why));
			if (rc) {
				rc = ctx_fail(ctx, -EINVAL, "%s/%s: %s", dir, e->d_name, why);
				break;
			}
			if (n_roles >= VMM_SECCOMP_ROLE_MAX) {
				rc = ctx_fail(
					ctx, -ENOSPC,
					"%s/%s: a context holds at most %d roles (%d built in)",
					dir, e->d_name, VMM_SECCOMP_ROLE_MAX,
					VMM_SECCOMP_ROLE_COUNT);
				break;
			}
			role = n_roles++;
			memcpy(names[role], name, len - 7 + 1); /* checked: fits */
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
	for (k = 0; k < n_entries; k++)
		free(entries[k]);
	free((void *)entries);
	/* the same rule as for rules added to the baseline */
	if (!rc && found[VMM_SECCOMP_ROLE_PROCESS])
		rc = check_dangerous(ctx, &staged[VMM_SECCOMP_ROLE_PROCESS], flags);

	/* Every role, replaced, defined or not, within the baseline as it
	 * would be. */
	policy_init(&base);
	if (!rc)
		rc = staged_policy(ctx, VMM_SECCOMP_ROLE_PROCESS, staged, found, &base);
	for (r = 1; r < n_roles && !rc; r++) {
		struct policy role;

		if (r >= first_new) {
			/* defined here: its file is all it has */
			rc = check_role_within_baseline(ctx, names[r], &staged[r], &base);
			continue;
		}
		policy_init(&role);
		rc = staged_policy(ctx, r, staged, found, &role);
		if (!rc)
			rc = check_role_within_baseline(ctx, role_name(ctx, r), &role, &base);
		policy_release(&role);
	}
	policy_release(&base);
	for (r = 0; r < n_roles; r++) {
		if (!rc && r >= first_new) {
			role_add(ctx, names[r], &staged[r]); /* room was checked above */
		} else if (!rc && found[r]) {
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
