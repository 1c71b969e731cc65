/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VMM_SECCOMP_TOOL_PROFILE_H
#define VMM_SECCOMP_TOOL_PROFILE_H

/* `vmm-seccomp profile ARGS...` (argv after the command word). */
int profile_main(int argc, char **argv);

#endif
