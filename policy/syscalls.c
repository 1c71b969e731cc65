/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Syscalls newer than the oldest libseccomp we build with.  Pure data.
 *
 * libseccomp is our table of syscall names and numbers; Debian 12's 2.5.4
 * stops at futex_requeue (456, Linux 6.7).  Since pidfd_send_signal (424,
 * Linux 5.1) every architecture but alpha numbers new syscalls alike (the
 * kernel's scripts/syscall.tbl), so one number serves x86_64, i386 and
 * aarch64.  Listed here: what came after 456, up to Linux 6.18, so that a
 * policy can name them (`mseal -> return ENOSYS`) and a report can name
 * them, whichever libseccomp the build found.  Where libseccomp knows a
 * name, it is asked first; the test suite checks the two agree.
 */
#include "policy.h"

#include <string.h>

struct newer_syscall {
	const char *name;
	int nr;
	const char *since; /* the Linux release that added it */
};

static const struct newer_syscall newer[] = {
	{ "statmount", 457, "6.8" },	     { "listmount", 458, "6.8" },
	{ "lsm_get_self_attr", 459, "6.8" }, { "lsm_set_self_attr", 460, "6.8" },
	{ "lsm_list_modules", 461, "6.8" },  { "mseal", 462, "6.10" },
	{ "setxattrat", 463, "6.13" },	     { "getxattrat", 464, "6.13" },
	{ "listxattrat", 465, "6.13" },	     { "removexattrat", 466, "6.13" },
	{ "open_tree_attr", 467, "6.15" },   { "file_getattr", 468, "6.17" },
	{ "file_setattr", 469, "6.17" },
};

#define N_NEWER (sizeof(newer) / sizeof(newer[0]))

int policy_newer_syscall_nr(const char *name)
{
	size_t i;

	for (i = 0; name && i < N_NEWER; i++) {
		if (strcmp(newer[i].name, name) == 0)
			return newer[i].nr;
	}
	return -1;
}

const char *policy_newer_syscall_name(int nr)
{
	size_t i;

	for (i = 0; i < N_NEWER; i++) {
		if (newer[i].nr == nr)
			return newer[i].name;
	}
	return NULL;
}

int policy_newer_syscall_max(void)
{
	return newer[N_NEWER - 1].nr;
}
