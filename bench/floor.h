/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The floor the benchmarks compare the filters with: a minimal filter that
 * allows everything but loads an argument, so the kernel cannot cache its
 * verdict and runs it on every syscall.  Two stacked are the least any
 * baseline + role design costs a syscall whose arguments are checked.
 */
#ifndef VMM_SECCOMP_BENCH_FLOOR_H
#define VMM_SECCOMP_BENCH_FLOOR_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Installs one on the calling thread; 0 or -1 with errno. */
static inline int install_floor_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { 2, f };

	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

#endif
