/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the policy parser and everything behind it: the input is
 * policy text added to the baseline (dangerous syscalls allowed, so more
 * inputs get through) and to the vcpu role, then compiled; every program
 * that compiles must be one the simulator (hence the kernel) accepts.
 * Built for libFuzzer by tools/fuzz.sh; tests/fuzz/replay.c runs the same
 * entry over the seeds and past crashes in the test suite.
 */
#include "bpf.h"
#include "internal.h"

#include <linux/audit.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct vmm_seccomp *ctx;
	char *text;
	unsigned int r;

	if (size > 64 * 1024)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	ctx = vmm_seccomp_new();
	if (ctx &&
	    !vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_PROCESS, text, "fuzz",
				   VMM_SECCOMP_ALLOW_DANGEROUS) &&
	    !vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_VCPU, text, "fuzz", 0) &&
	    !vmm_seccomp_compile(ctx)) {
		for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
			size_t len;
			const struct sock_filter *prog = vmm_seccomp_program(ctx, r, &len);
			struct bpf_input in = { .arch = AUDIT_ARCH_X86_64, .args = { 1, 2, 3 } };
			uint32_t ret;

			for (in.nr = 0; prog && in.nr < 64; in.nr++) {
				if (bpf_run(prog, len, &in, &ret, NULL))
					abort(); /* a program the kernel would refuse */
			}
		}
	}
	vmm_seccomp_free(ctx);
	free(text);
	return 0;
}
