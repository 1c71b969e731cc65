/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mode configuration strings: "enforce", "log", "enforce,vcpu=log",
 * Cloud Hypervisor's true/false, Kata's disable_seccomp[=true|false].
 * Pure code.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const mode_names[VMM_SECCOMP_MODE_COUNT] = {
	[VMM_SECCOMP_MODE_ENFORCE] = "enforce", [VMM_SECCOMP_MODE_KILL] = "kill",
	[VMM_SECCOMP_MODE_ERRNO] = "errno",	[VMM_SECCOMP_MODE_LOG] = "log",
	[VMM_SECCOMP_MODE_OFF] = "off",
};

static const char *const role_names[VMM_SECCOMP_ROLE_COUNT] = {
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

const char *vmm_seccomp_role_name(enum vmm_seccomp_role role)
{
	return (unsigned int)role < VMM_SECCOMP_ROLE_COUNT ? role_names[role] : NULL;
}

const char *vmm_seccomp_mode_name(enum vmm_seccomp_mode mode)
{
	return (unsigned int)mode < VMM_SECCOMP_MODE_COUNT ? mode_names[mode] : NULL;
}

static bool lookup_role(const char *s, size_t n, enum vmm_seccomp_role *role)
{
	unsigned int i;

	for (i = 0; i < VMM_SECCOMP_ROLE_COUNT; i++) {
		if (strlen(role_names[i]) == n && strncasecmp(role_names[i], s, n) == 0) {
			*role = (enum vmm_seccomp_role)i;
			return true;
		}
	}
	return false;
}

int vmm_seccomp_role_from_name(const char *name, enum vmm_seccomp_role *role)
{
	if (!name || !role || !lookup_role(name, strlen(name), role))
		return -EINVAL;
	return 0;
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

int config_parse(const char *str, enum vmm_seccomp_mode modes[VMM_SECCOMP_ROLE_COUNT], char *err,
		 size_t errlen)
{
	enum vmm_seccomp_mode next[VMM_SECCOMP_ROLE_COUNT];
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
			for (i = 0; i < VMM_SECCOMP_ROLE_COUNT; i++)
				next[i] = VMM_SECCOMP_MODE_OFF;
		} else if (eq) {
			size_t kn = (size_t)(eq - tok), vn = n - kn - 1;
			const char *val = eq + 1;
			enum vmm_seccomp_role role;
			enum vmm_seccomp_mode mode;

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
				for (i = 0; i < VMM_SECCOMP_ROLE_COUNT; i++)
					next[i] = mode;
			} else {
				if (!lookup_role(tok, kn, &role)) {
					snprintf(err, errlen,
						 "unknown role '%.*s' at position %zu of \"%s\" "
						 "(roles: process, vmm, vcpu, api, virtio_block, "
						 "virtio_net, virtio_console, virtio_rng, "
						 "virtio_vsock, virtio_fs, virtio_balloon, "
						 "vhost_user, io_worker, signal_handler, runtime)",
						 (int)kn, tok, (size_t)(tok - str) + 1, str);
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
			for (i = 0; i < VMM_SECCOMP_ROLE_COUNT; i++)
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
