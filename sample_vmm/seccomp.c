/* SPDX-License-Identifier: Apache-2.0 */
#include "seccomp.h"
#include "http.h"

#include "vmm_seccomp.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int sc_setup(struct vmm_seccomp **out, const char *mode, const char *const *roles, unsigned nroles,
	     const char *policy_dir, bool allow_dangerous, char *err, size_t errlen)
{
	struct vmm_seccomp *sc = vmm_seccomp_new();
	int rc;

	if (!sc) {
		snprintf(err, errlen, "vmm_seccomp_new: out of memory");
		return -ENOMEM;
	}
	/* The policies first: the roles a directory defines can then be
	 * given modes. */
	if (policy_dir) {
		rc = vmm_seccomp_load_policy_dir(sc, policy_dir,
						 allow_dangerous ? VMM_SECCOMP_ALLOW_DANGEROUS : 0);
		if (rc < 0) {
			snprintf(err, errlen, "--seccomp-policy %s: %s", policy_dir,
				 vmm_seccomp_last_error(sc));
			goto err_free;
		}
	}
	/* One call per option, so the library's message can be tied to the
	 * option it came from; later tokens override earlier ones, as in one
	 * configuration string. */
	rc = vmm_seccomp_configure_from_env(sc, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "%s", vmm_seccomp_last_error(sc));
		goto err_free;
	}
	rc = mode ? vmm_seccomp_configure(sc, mode) : 0;
	if (rc < 0) {
		snprintf(err, errlen, "--seccomp %s: %s", mode, vmm_seccomp_last_error(sc));
		goto err_free;
	}
	for (unsigned i = 0; i < nroles; i++) {
		if (!strchr(roles[i], '=') || strchr(roles[i], ',')) {
			snprintf(err, errlen, "--seccomp-role %s: expected ROLE=MODE", roles[i]);
			rc = -EINVAL;
			goto err_free;
		}
		rc = vmm_seccomp_configure(sc, roles[i]);
		if (rc < 0) {
			snprintf(err, errlen, "--seccomp-role %s: %s", roles[i],
				 vmm_seccomp_last_error(sc));
			goto err_free;
		}
	}
	*out = sc;
	return 0;

err_free:
	vmm_seccomp_free(sc);
	return rc;
}

struct jbuf {
	char *p;
	size_t len, used;
	bool overflow;
};

static void __attribute__((format(printf, 2, 3))) put(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	/* va_start is above: the analyzer's valist warning is a false positive */
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->used)
		b->overflow = true;
	else
		b->used += (size_t)n;
}

int sc_add_path_rule(struct vmm_seccomp *sc, struct sc_landlock *ll, enum vmm_seccomp_role role,
		     const char *opt, const char *rule, char *err, size_t errlen)
{
	char *copy;
	int rc;

	if (ll->n == SC_MAX_PATH_RULES) {
		snprintf(err, errlen, "%s %s: at most %d Landlock rules", opt, rule,
			 SC_MAX_PATH_RULES);
		return -E2BIG;
	}
	copy = strdup(rule);
	if (!copy) {
		snprintf(err, errlen, "%s %s: out of memory", opt, rule);
		return -ENOMEM;
	}
	rc = vmm_seccomp_add_path_rule(sc, role, rule);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", opt, vmm_seccomp_last_error(sc));
		free(copy);
		return rc;
	}
	ll->rules[ll->n].role = role;
	ll->rules[ll->n].rule = copy;
	ll->n++;
	return 0;
}

int sc_add_file_rule(struct vmm_seccomp *sc, struct sc_landlock *ll, enum vmm_seccomp_role role,
		     const char *opt, const char *path, const char *access, char *err,
		     size_t errlen)
{
	char resolved[PATH_MAX], rule[PATH_MAX + 32];
	struct stat st;
	int rc;

	/* rules take absolute paths; the symlink's target is what is opened */
	if (!realpath(path, resolved)) {
		rc = -errno;
		snprintf(err, errlen, "%s%s%s: %s", opt ? opt : "", opt ? " " : "", path,
			 strerror(errno));
		return rc;
	}
	/* a device file needs its ioctls: KVM's on /dev/kvm, BLKGETSIZE64 on a
	 * block device as disk, TUNSETIFF on /dev/net/tun */
	snprintf(rule, sizeof(rule), "%s:%s%s", resolved, access,
		 stat(resolved, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			 ? "+device"
			 : "");
	return sc_add_path_rule(sc, ll, role, opt ? opt : path, rule, err, errlen);
}

void sc_landlock_free(struct sc_landlock *ll)
{
	for (unsigned i = 0; i < ll->n; i++)
		free(ll->rules[i].rule);
	ll->n = 0;
}

static void put_string(struct jbuf *b, const char *s)
{
	size_t room = b->len - b->used, n;

	if (b->overflow)
		return;
	n = http_json_escape(b->p + b->used, room, s);
	/* cut short: an escape did not fit (and the closing bytes would not) */
	if (n + 8 >= room)
		b->overflow = true;
	else
		b->used += n;
}

/*
 * The names in vmm_seccomp_landlock_status()'s line after `key` ("fs ",
 * "net ", "scopes "), joined by '+' up to the next ',' or the end ("none":
 * none), as a JSON array: the line is the library's one spelling of them.
 */
static void put_names(struct jbuf *b, const char *line, const char *key)
{
	const char *p = strstr(line, key);
	size_t n;

	put(b, "[");
	if (p) {
		p += strlen(key);
		n = strcspn(p, ",");
		if (n != 4 || strncmp(p, "none", 4) != 0) {
			for (const char *q = p; q < p + n;) {
				size_t w = strcspn(q, "+,");

				put(b, "%s\"%.*s\"", q == p ? "" : ",", (int)w, q);
				q += w + (q[w] == '+');
			}
		}
	}
	put(b, "]");
}

static void put_landlock(struct jbuf *b, struct vmm_seccomp *sc, const struct sc_landlock *ll)
{
	struct vmm_seccomp_landlock_info info;
	char line[1024];
	int r;

	vmm_seccomp_landlock_status(sc, &info, line, sizeof(line));
	put(b, "\"landlock\":{\"abi\":%d,\"enforced\":%s,\"fs\":", info.abi,
	    info.enforced ? "true" : "false");
	put_names(b, line, ", fs ");
	put(b, ",\"net\":");
	put_names(b, line, ", net ");
	put(b, ",\"scopes\":");
	put_names(b, line, ", scopes ");
	put(b, ",\"audit\":%s,\"rules\":{", info.audit ? "true" : "false");
	for (r = 0; r < (int)vmm_seccomp_role_count(sc); r++) {
		bool first = true;

		put(b, "%s\"%s\":[", r ? "," : "", vmm_seccomp_get_role_name(sc, r));
		for (unsigned i = 0; ll && i < ll->n; i++) {
			if (ll->rules[i].role != (enum vmm_seccomp_role)r)
				continue;
			put(b, "%s\"", first ? "" : ",");
			put_string(b, ll->rules[i].rule);
			put(b, "\"");
			first = false;
		}
		put(b, "]");
	}
	put(b, "}}");
}

int sc_info_json(struct vmm_seccomp *sc, const struct sc_landlock *ll, char *buf, size_t len)
{
	struct vmm_seccomp_thread_info threads[32];
	struct jbuf b = { .p = buf, .len = len };
	size_t n = vmm_seccomp_threads(threads, 32);
	int r;

	if (len == 0)
		return -1;
	put(&b, "{\"modes\":{");
	/* every role, built-in or defined (--seccomp-policy); role names
	 * are [a-z0-9_]: no escaping needed */
	for (r = 0; r < (int)vmm_seccomp_role_count(sc); r++)
		put(&b, "%s\"%s\":\"%s\"", r ? "," : "", vmm_seccomp_get_role_name(sc, r),
		    vmm_seccomp_mode_name(vmm_seccomp_get_role_mode(sc, r)));
	put(&b, "},\"threads\":[");
	for (size_t i = 0; i < n && i < 32; i++)
		/* Thread names are ours (vcpu0, virtio-blk, ...): no escaping needed. */
		put(&b, "%s{\"tid\":%d,\"name\":\"%s\",\"role\":\"%s\",\"filtered\":%s}",
		    i ? "," : "", threads[i].tid, threads[i].name,
		    vmm_seccomp_get_role_name(sc, threads[i].role),
		    threads[i].filtered ? "true" : "false");
	put(&b, "],\"violations\":{");
	for (r = 0; r < (int)vmm_seccomp_role_count(sc); r++)
		put(&b, "%s\"%s\":%llu", r ? "," : "", vmm_seccomp_get_role_name(sc, r),
		    (unsigned long long)vmm_seccomp_violation_total(sc, r));
	put(&b, "},");
	put_landlock(&b, sc, ll);
	put(&b, "}");
	return b.overflow ? -1 : (int)b.used;
}
