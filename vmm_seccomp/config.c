/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mode configuration strings: "enforce", "log", "enforce,vcpu=log",
 * Cloud Hypervisor's true/false, Kata's disable_seccomp[=true|false].
 * Pure code.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const mode_names[VMM_SECCOMP_MODE_COUNT] = {
	[VMM_SECCOMP_MODE_ENFORCE] = "enforce", [VMM_SECCOMP_MODE_KILL] = "kill",
	[VMM_SECCOMP_MODE_ERRNO] = "errno",	[VMM_SECCOMP_MODE_LOG] = "log",
	[VMM_SECCOMP_MODE_OFF] = "off",
};

const char *vmm_seccomp_mode_name(enum vmm_seccomp_mode mode)
{
	return (unsigned int)mode < VMM_SECCOMP_MODE_COUNT ? mode_names[mode] : NULL;
}

/* Role names are lower case; the configuration strings take any case. */
static int lookup_role(const struct vmm_seccomp *ctx, const char *s, size_t n)
{
	char lower[VMM_SECCOMP_ROLE_NAME_MAX + 1];
	size_t i;

	if (n >= sizeof(lower))
		return -1;
	for (i = 0; i < n; i++)
		lower[i] = (char)tolower((unsigned char)s[i]);
	return role_find(ctx, lower, n);
}

static bool lookup_mode(const char *s, size_t n, enum vmm_seccomp_mode *mode)
{
	static const struct {
		const char *name;
		enum vmm_seccomp_mode mode;
	} aliases[] = {
		{ "true", VMM_SECCOMP_MODE_ENFORCE }, /* cloud-hypervisor --seccomp true */
		{ "false", VMM_SECCOMP_MODE_OFF },    /* cloud-hypervisor --seccomp false */
	};
	unsigned int i;

	for (i = 0; i < VMM_SECCOMP_MODE_COUNT; i++) {
		if (strlen(mode_names[i]) == n && strncasecmp(mode_names[i], s, n) == 0) {
			*mode = (enum vmm_seccomp_mode)i;
			return true;
		}
	}
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strlen(aliases[i].name) == n && strncasecmp(aliases[i].name, s, n) == 0) {
			*mode = aliases[i].mode;
			return true;
		}
	}
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int config_parse(const struct vmm_seccomp *ctx, const char *str,
		 enum vmm_seccomp_mode modes[VMM_SECCOMP_ROLE_MAX], char *err, size_t errlen)
{
	enum vmm_seccomp_mode next[VMM_SECCOMP_ROLE_MAX];
	const char *p = str;
	unsigned int i;

	memcpy(next, modes, sizeof(next));
	if (!str) {
		snprintf(err, errlen, "no configuration string");
		return -EINVAL;
	}
	for (;;) {
		const char *tok, *end, *eq;
		size_t n;

		while (is_space(*p))
			p++;
		tok = p;
		end = tok + strcspn(tok, ",");
		n = (size_t)(end - tok);
		while (n && is_space(tok[n - 1]))
			n--;
		eq = memchr(tok, '=', n);
		if (n == 0) {
			snprintf(err, errlen, "empty setting at position %zu of \"%s\"",
				 (size_t)(tok - str) + 1, str);
			return -EINVAL;
		}
		if (n == strlen("disable_seccomp") && strncasecmp(tok, "disable_seccomp", n) == 0) {
			for (i = 0; i < VMM_SECCOMP_ROLE_MAX; i++)
				next[i] = VMM_SECCOMP_MODE_OFF;
		} else if (eq) {
			size_t kn = (size_t)(eq - tok), vn = n - kn - 1;
			const char *val = eq + 1;
			enum vmm_seccomp_mode mode;
			int role;

			while (kn && is_space(tok[kn - 1]))
				kn--;
			while (vn && is_space(*val)) {
				val++;
				vn--;
			}
			if (kn == strlen("disable_seccomp") &&
			    strncasecmp(tok, "disable_seccomp", kn) == 0) {
				/* Kata's configuration.toml: disable_seccomp = true|false */
				if (vn == 4 && strncasecmp(val, "true", 4) == 0)
					mode = VMM_SECCOMP_MODE_OFF;
				else if (vn == 5 && strncasecmp(val, "false", 5) == 0)
					mode = VMM_SECCOMP_MODE_ENFORCE;
				else
					goto bad_value;
				for (i = 0; i < VMM_SECCOMP_ROLE_MAX; i++)
					next[i] = mode;
			} else {
				role = lookup_role(ctx, tok, kn);
				if (role < 0) {
					char roles[VMM_SECCOMP_ROLE_MAX * 12];

					role_list(ctx, roles, sizeof(roles));
					snprintf(err, errlen,
						 "unknown role '%.*s' at position %zu of \"%s\" "
						 "(roles: %s; define a role before configuring it)",
						 (int)kn, tok, (size_t)(tok - str) + 1, str, roles);
					return -EINVAL;
				}
				if (!lookup_mode(val, vn, &mode))
					goto bad_value;
				next[role] = mode;
			}
			goto next_token;
		bad_value:
			snprintf(err, errlen,
				 "bad mode '%.*s' at position %zu of \"%s\" (expected enforce, "
				 "kill, errno, log, off, true or false)",
				 (int)vn, val, (size_t)(val - str) + 1, str);
			return -EINVAL;
		} else {
			enum vmm_seccomp_mode mode;

			if (!lookup_mode(tok, n, &mode)) {
				snprintf(err, errlen,
					 "bad setting '%.*s' at position %zu of \"%s\" (expected a "
					 "mode: enforce, kill, errno, log, off, true, false; "
					 "ROLE=MODE; or disable_seccomp[=true|false])",
					 (int)n, tok, (size_t)(tok - str) + 1, str);
				return -EINVAL;
			}
			for (i = 0; i < VMM_SECCOMP_ROLE_MAX; i++)
				next[i] = mode;
		}
	next_token:
		if (*end != ',')
			break;
		p = end + 1;
	}
	memcpy(modes, next, sizeof(next));
	return 0;
}
