/* SPDX-License-Identifier: Apache-2.0 */
/* The sample VMM's use of vmm_seccomp: configuration from the command line,
 * the Landlock rules it declares, and the sandbox's state as JSON for the
 * API. */
#ifndef SAMPLE_VMM_SECCOMP_H
#define SAMPLE_VMM_SECCOMP_H

#include "vmm_seccomp.h"

#include <stdbool.h>
#include <stddef.h>

/* Derived rules and --landlock-rule options together. */
#define SC_MAX_PATH_RULES 32

/* The Landlock rules the VMM declared, as declared ("PATH:ACCESS"), per
 * layer: what GET /seccomp shows beside the library's built-in ones. */
struct sc_landlock {
	unsigned n;
	struct {
		enum vmm_seccomp_role role;
		char *rule;
	} rules[SC_MAX_PATH_RULES];
};

/* A new context configured by the VMM_SECCOMP environment variable, then
 * `mode` (--seccomp, may be NULL: a mode for every layer, or a full
 * configuration string), then each of `roles` (--seccomp-role ROLE=MODE) in
 * order, with the policies of directory `policy_dir` (--seccomp-policy, may
 * be NULL; its baseline may allow dangerous syscalls only if
 * allow_dangerous, --seccomp-allow-dangerous).  0 and *out, or -errno with
 * a message naming the option in err and nothing allocated. */
int sc_setup(struct vmm_seccomp **out, const char *mode, const char *const *roles, unsigned nroles,
	     const char *policy_dir, bool allow_dangerous, char *err, size_t errlen);

/* Lets `role`'s threads reach a path: `rule` is "PATH:ACCESS"
 * (vmm_seccomp_add_path_rule()), recorded in ll (copied).  0, or -errno
 * with "OPT: <the library's message>" in err and nothing recorded. */
int sc_add_path_rule(struct vmm_seccomp *sc, struct sc_landlock *ll, enum vmm_seccomp_role role,
		     const char *opt, const char *rule, char *err, size_t errlen);

/* sc_add_path_rule() for the file at `path` (resolved to an absolute path,
 * symlinks followed) with `access` ("ro", "read+write", ...), plus "device"
 * if it is a device node (its ioctls).  opt may be NULL (the path then
 * names the rule in messages). */
int sc_add_file_rule(struct vmm_seccomp *sc, struct sc_landlock *ll, enum vmm_seccomp_role role,
		     const char *opt, const char *path, const char *access, char *err,
		     size_t errlen);

/* Frees what sc_add_path_rule() recorded; ll can be reused. */
void sc_landlock_free(struct sc_landlock *ll);

/* {"modes":{...},"threads":[...],"violations":{...},"landlock":{...}}; its
 * length or -1 if it does not fit in len.  Any thread, after
 * vmm_seccomp_apply_process() (memory only). */
int sc_info_json(struct vmm_seccomp *sc, const struct sc_landlock *ll, char *buf, size_t len);

#endif
