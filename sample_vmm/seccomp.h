/* SPDX-License-Identifier: Apache-2.0 */
/* The sample VMM's use of vmm_seccomp: configuration from the command line
 * and the seccomp state as JSON for the API. */
#ifndef SAMPLE_VMM_SECCOMP_H
#define SAMPLE_VMM_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

struct vmm_seccomp;

/* A new context configured by the VMM_SECCOMP environment variable, then
 * `mode` (--seccomp, may be NULL: a mode for every layer, or a full
 * configuration string), then each of `roles` (--seccomp-role ROLE=MODE) in
 * order, with the policies of directory `policy_dir` (--seccomp-policy, may
 * be NULL; its baseline may allow dangerous syscalls only if
 * allow_dangerous, --seccomp-allow-dangerous).  0 and *out, or -errno with
 * a message naming the option in err and nothing allocated. */
int sc_setup(struct vmm_seccomp **out, const char *mode, const char *const *roles, unsigned nroles,
	     const char *policy_dir, bool allow_dangerous, char *err, size_t errlen);

/* {"modes":{...},"threads":[...],"violations":{...}}; its length or -1 if
 * it does not fit in len.  Any thread (memory only). */
int sc_info_json(const struct vmm_seccomp *sc, char *buf, size_t len);

#endif
