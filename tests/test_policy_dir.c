/* SPDX-License-Identifier: Apache-2.0 */
/* Policies loaded from a directory at run time: replacing and extending
 * roles, every error named with its file, nothing changed on error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bpf.h"
#include "internal.h"
#include "live_util.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (strchr(name, '/')) {
		char sub[256];

		snprintf(sub, sizeof(sub), "%s/%.*s", dir, (int)(strchr(name, '/') - name), name);
		mkdir(sub, 0700);
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmm-seccomp-policydir-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(dir, false);
}

static void clear_dir(void)
{
	assert_int_equal(remove_tree(dir, true), 0);
}

/* The verdict of one layer's compiled program. */
static uint32_t verdict(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, int nr, uint64_t a1)
{
	struct bpf_input in = { .nr = nr, .arch = NATIVE_AUDIT_ARCH, .args = { 3, a1 } };
	size_t len;
	const struct sock_filter *prog = vmm_seccomp_program(ctx, role, &len);
	uint32_t ret;

	assert_non_null(prog);
	assert_int_equal(bpf_run(prog, len, &in, &ret, NULL), 0);
	return ret;
}

static void test_extend_a_role(void **state)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();

	(void)state;
	clear_dir();
	put("process.policy", "@include builtin/roles/process.policy\ngetcwd  # test\n");
	put("vcpu.policy", "@include builtin/roles/vcpu.policy\n@include inc/extra.policy\n");
	put("inc/extra.policy", "getcwd  # the vCPU thread's test needs it\n");
	assert_int_equal(vmm_seccomp_load_policy_dir(ctx, dir, 0), 0);
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	assert_int_equal(verdict(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_getcwd, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(verdict(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_ioctl, KVM_RUN),
			 SECCOMP_RET_ALLOW);
	/* a role the directory does not name keeps its built-in policy */
	assert_int_not_equal(verdict(ctx, VMM_SECCOMP_ROLE_VIRTIO_RNG, SYS_getcwd, 0),
			     SECCOMP_RET_ALLOW);
	vmm_seccomp_free(ctx);
}

static void test_replace_a_role(void **state)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();

	(void)state;
	clear_dir();
	/* a vCPU that may only run: no read, no write */
	put("vcpu.policy",
	    "@include builtin/groups/thread.policy\nioctl: arg1 == KVM_RUN  # run\n");
	assert_int_equal(vmm_seccomp_load_policy_dir(ctx, dir, 0), 0);
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	assert_int_equal(verdict(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_ioctl, KVM_RUN),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(verdict(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_ioctl, KVM_GET_REGS),
			 SECCOMP_RET_TRAP | VMM_SECCOMP_ROLE_VCPU);
	assert_int_equal(verdict(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_read, 0),
			 SECCOMP_RET_TRAP | VMM_SECCOMP_ROLE_VCPU);
	vmm_seccomp_free(ctx);
}

static void expect_load_error(const char *needle, int want)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	int rc = vmm_seccomp_load_policy_dir(ctx, dir, 0);

	if (rc != want || !strstr(vmm_seccomp_last_error(ctx), needle))
		fprintf(stderr, "rc %d, message \"%s\", wanted %d and \"%s\"\n", rc,
			vmm_seccomp_last_error(ctx), want, needle);
	assert_int_equal(rc, want);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), needle));
	/* nothing changed: the built-in policies compile as before */
	assert_false(ctx->layer[VMM_SECCOMP_ROLE_VCPU].replaced);
	assert_false(ctx->layer[VMM_SECCOMP_ROLE_PROCESS].replaced);
	assert_int_equal(vmm_seccomp_role_count(ctx), VMM_SECCOMP_ROLE_COUNT);
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	assert_int_equal(verdict(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_read, 0), SECCOMP_RET_ALLOW);
	vmm_seccomp_free(ctx);
}

static void test_errors(void **state)
{
	char want[320];

	(void)state;
	clear_dir();
	put("vcpu.policy", "@include builtin/roles/vcpu.policy\nread\nwrite: arg0 == NOSUCH\n");
	snprintf(want, sizeof(want), "%s/vcpu.policy:3:16: unknown constant 'NOSUCH'", dir);
	expect_load_error(want, -EINVAL);

	/* a file named after no role defines one: its name must be one */
	clear_dir();
	put("GPU.policy", "read  # upper case\n");
	expect_load_error("GPU.policy: role name 'GPU' must start with a letter a-z", -EINVAL);
	clear_dir();
	put("virtio-gpu.policy", "read  # a dash\n");
	expect_load_error("character 7 ('-') is not one of a-z, 0-9, _", -EINVAL);
	clear_dir();
	put("log.policy", "read  # a mode's name\n");
	expect_load_error("role name 'log' is a word of the configuration strings", -EINVAL);
	clear_dir();
	put("a_role_name_of_thirty_two_chars_.policy", "read\n");
	expect_load_error("is 32 characters long (at most 31)", -EINVAL);
	/* ... and stay within the baseline, as a built-in one */
	clear_dir();
	put("virtio_gpu.policy", "read  # fine\ngetcwd  # not in the baseline\n");
	expect_load_error("virtio_gpu.policy:2:1: role virtio_gpu allows getcwd", -EPERM);
	/* one bad file, and the good one beside it is not defined either */
	clear_dir();
	put("virtio_gpu.policy", "read  # fine\n");
	put("virtio_pmem.policy", "read\nwrite: arg0 == NOSUCH\n");
	expect_load_error("virtio_pmem.policy:2:16: unknown constant 'NOSUCH'", -EINVAL);

	clear_dir();
	put("vcpu.policy", "@include builtin/roles/vcpu.policy\ngetcwd  # not in the baseline\n");
	expect_load_error("role vcpu allows getcwd", -EPERM);

	clear_dir();
	put("process.policy", "@include builtin/roles/process.policy\n");
	put("vcpu.policy", "@include builtin/roles/vcpu.policy\n@include ../etc/passwd\n");
	expect_load_error("inside the policy directory", -EINVAL);

	clear_dir();
	put("vcpu.policy", "@include inc/a.policy\n");
	put("inc/a.policy", "@include inc/b.policy\n");
	put("inc/b.policy", "@include inc/a.policy\n");
	expect_load_error("include cycle", -EINVAL);

	clear_dir();
	put("vcpu.policy", "@include missing.policy\n");
	expect_load_error("missing.policy", -EINVAL);

	/* the baseline takes a dangerous syscall from a file only when the
	 * embedder says so, as from vmm_seccomp_add_rules() */
	clear_dir();
	put("process.policy", "@include builtin/roles/process.policy\nexecve  # no\n");
	snprintf(want, sizeof(want),
		 "%s/process.policy:2:1: execve is on the dangerous list; the baseline takes it "
		 "only with VMM_SECCOMP_ALLOW_DANGEROUS",
		 dir);
	expect_load_error(want, -EPERM);

	clear_dir();
	put("process.policy", "read\nexecve  # the baseline may not take it from a file\n");
	expect_load_error("execve is on the dangerous list", -EPERM);
}

static void test_dangerous_opt_in(void **state)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();

	(void)state;
	clear_dir();
	put("process.policy",
	    "@include builtin/roles/process.policy\nexecve  # the test says so\n");
	assert_int_equal(vmm_seccomp_load_policy_dir(ctx, dir, 0x2), -EINVAL);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "unknown flags 0x2"));
	assert_false(ctx->layer[VMM_SECCOMP_ROLE_PROCESS].replaced);
	assert_int_equal(vmm_seccomp_load_policy_dir(ctx, dir, VMM_SECCOMP_ALLOW_DANGEROUS), 0);
	assert_true(ctx->dangerous_baseline);
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	assert_int_equal(verdict(ctx, VMM_SECCOMP_ROLE_PROCESS, SYS_execve, 0), SECCOMP_RET_ALLOW);
	/* a role still refuses it */
	assert_int_equal(verdict(ctx, VMM_SECCOMP_ROLE_VCPU, SYS_execve, 0),
			 SECCOMP_RET_TRAP | VMM_SECCOMP_ROLE_VCPU);
	vmm_seccomp_free(ctx);
}

static void test_missing_dir(void **state)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();

	(void)state;
	assert_int_equal(vmm_seccomp_load_policy_dir(ctx, "/nonexistent/policies", 0), -ENOENT);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "/nonexistent/policies"));
	vmm_seccomp_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extend_a_role), cmocka_unit_test(test_replace_a_role),
		cmocka_unit_test(test_errors),	      cmocka_unit_test(test_dangerous_opt_in),
		cmocka_unit_test(test_missing_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
