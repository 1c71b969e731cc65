/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VMM_SECCOMP_TOOL_PROFILE_H
#define VMM_SECCOMP_TOOL_PROFILE_H

#include "policy.h"

#include <stdio.h>

/* `vmm-seccomp profile ARGS...` (argv after the command word). */
int profile_main(int argc, char **argv);

/* A rule's condition in the policy language, ioctl requests by name. */
void print_condition(const struct policy_rule *r, FILE *f);

/* A rule's action in the policy language ("allow", "return 38", ...); buf
 * holds it when it has to be formatted. */
const char *action_text(const struct policy_rule *r, char *buf, size_t len);

#endif
