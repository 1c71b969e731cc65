/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Roles the embedder defines: by text (vmm_seccomp_define_role) and by a
 * ROLE.policy file, looked up by name and used everywhere a built-in role
 * is.  The staged cases compile and simulate; the live ones install the
 * filters in a forked child and the parent judges how it ended and what it
 * reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"
#include "live_util.h"
#include "vmm_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT 60

/* A role no built-in fits: a virtio-gpu worker that reads its queue's
 * eventfd and writes to descriptors it was handed, and opens nothing. */
static const char gpu_policy[] = "# virtio-gpu worker, defined by the test\n"
				 "@include builtin/groups/thread.policy\n"
				 "@include builtin/groups/waiting.policy\n"
				 "read                 # the queue's eventfd\n"
				 "write                # the display's descriptor\n";

/* ---- staged: names, values, checks --------------------------------------- */

static uint32_t verdict(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role, int nr)
{
	struct bpf_input in = { .nr = nr, .arch = NATIVE_AUDIT_ARCH };
	const struct sock_filter *prog;
	unsigned int steps;
	uint32_t ret = 0;
	size_t len;

	prog = vmm_seccomp_program(ctx, role, &len);
	assert_non_null(prog);
	assert_int_equal(bpf_run(prog, len, &in, &ret, &steps), 0);
	return ret;
}

static void test_define_and_find(void **state)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	enum vmm_seccomp_role gpu, pmem, found;

	(void)state;
	/* simulated only: no valgrind or sanitizer groups in the programs */
	ctx->no_runtime_groups = true;
	assert_int_equal(vmm_seccomp_role_count(ctx), VMM_SECCOMP_ROLE_COUNT);
	assert_int_equal(vmm_seccomp_define_role(ctx, "virtio_gpu", gpu_policy, NULL, &gpu), 0);
	assert_int_equal(vmm_seccomp_define_role(ctx, "virtio_pmem", "read  # r\n", "pmem", &pmem),
			 0);
	/* values follow the built-in ones, in order */
	assert_int_equal(gpu, VMM_SECCOMP_ROLE_COUNT);
	assert_int_equal(pmem, VMM_SECCOMP_ROLE_COUNT + 1);
	assert_int_equal(vmm_seccomp_role_count(ctx), VMM_SECCOMP_ROLE_COUNT + 2);
	assert_int_equal(vmm_seccomp_find_role(ctx, "virtio_gpu", &found), 0);
	assert_int_equal(found, gpu);
	assert_int_equal(vmm_seccomp_find_role(ctx, "vcpu", &found), 0);
	assert_int_equal(found, VMM_SECCOMP_ROLE_VCPU);
	assert_int_equal(vmm_seccomp_find_role(ctx, "virtio_gpux", &found), -ENOENT);
	assert_int_equal(vmm_seccomp_find_role(ctx, "VIRTIO_GPU", &found), -ENOENT);
	assert_int_equal(vmm_seccomp_find_role(NULL, "vcpu", &found), -EINVAL);
	assert_string_equal(vmm_seccomp_get_role_name(ctx, gpu), "virtio_gpu");
	assert_string_equal(vmm_seccomp_get_role_name(ctx, VMM_SECCOMP_ROLE_API), "api");
	assert_null(vmm_seccomp_get_role_name(ctx, (enum vmm_seccomp_role)(pmem + 1)));
	/* the context-free names are the built-in ones only */
	assert_null(vmm_seccomp_role_name(gpu));
	assert_int_equal(vmm_seccomp_role_from_name("virtio_gpu", &found), -EINVAL);

	/* compiled as a built-in role is, checked by the simulator: what the
	 * policy has runs, the rest traps with the role's value */
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	assert_int_equal(verdict(ctx, gpu, SYS_read), SECCOMP_RET_ALLOW);
	assert_int_equal(verdict(ctx, gpu, SYS_futex) & SECCOMP_RET_ACTION_FULL,
			 SECCOMP_RET_ALLOW); /* futex is checked by arguments: FUTEX_WAIT passes */
	assert_int_equal(verdict(ctx, gpu, SYS_openat), SECCOMP_RET_TRAP | gpu);
	assert_int_equal(verdict(ctx, pmem, SYS_write), SECCOMP_RET_TRAP | pmem);
	assert_int_equal(verdict(ctx, pmem, SYS_read), SECCOMP_RET_ALLOW);
	/* frozen now */
	assert_int_equal(vmm_seccomp_define_role(ctx, "late", "read\n", NULL, NULL), -EBUSY);
	vmm_seccomp_free(ctx);
}

static void test_bad_names(void **state)
{
	static const struct {
		const char *name;
		int rc;
		const char *msg;
	} cases[] = {
		{ "", -EINVAL, "empty role name" },
		{ "Gpu", -EINVAL, "must start with a letter a-z" },
		{ "9p", -EINVAL, "must start with a letter a-z" },
		{ "_gpu", -EINVAL, "must start with a letter a-z" },
		{ "virtio-gpu", -EINVAL, "character 7 ('-') is not one of a-z, 0-9, _" },
		{ "gpu=log", -EINVAL, "character 4 ('=')" },
		{ "gpu,vcpu", -EINVAL, "character 4 (',')" },
		{ "gpu role", -EINVAL, "character 4 (' ')" },
		{ "gp\xc3\xbc", -EINVAL, "character 3 ('?')" },
		{ "a_role_name_of_thirty_two_chars_", -EINVAL,
		  "is 32 characters long (at most 31)" },
		{ "log", -EINVAL, "is a word of the configuration strings" },
		{ "false", -EINVAL, "is a word of the configuration strings" },
		{ "disable_seccomp", -EINVAL, "is a word of the configuration strings" },
		{ "vcpu", -EEXIST, "role 'vcpu' exists already (built in)" },
		{ "process", -EEXIST, "role 'process' exists already (built in)" },
		{ "virtio_gpu", -EEXIST, "role 'virtio_gpu' exists already" },
	};
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	size_t i;

	(void)state;
	assert_int_equal(vmm_seccomp_define_role(ctx, "virtio_gpu", gpu_policy, NULL, NULL), 0);
	/* 31 characters is the longest */
	assert_int_equal(vmm_seccomp_define_role(ctx, "a_role_name_of_thirty_one_chars", "read\n",
						 NULL, NULL),
			 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum vmm_seccomp_role out = (enum vmm_seccomp_role)77;
		int rc = vmm_seccomp_define_role(ctx, cases[i].name, "read\n", NULL, &out);

		if (rc != cases[i].rc || !strstr(vmm_seccomp_last_error(ctx), cases[i].msg))
			fail_msg("'%s': rc %d \"%s\", want %d \"%s\"", cases[i].name, rc,
				 vmm_seccomp_last_error(ctx), cases[i].rc, cases[i].msg);
		/* nothing defined, nothing written */
		assert_int_equal(out, 77);
		assert_int_equal(vmm_seccomp_role_count(ctx), VMM_SECCOMP_ROLE_COUNT + 2);
	}
	assert_int_equal(vmm_seccomp_define_role(ctx, NULL, "read\n", NULL, NULL), -EINVAL);
	assert_int_equal(vmm_seccomp_define_role(ctx, "gpu2", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(vmm_seccomp_define_role(NULL, "gpu2", "read\n", NULL, NULL), -EINVAL);
	/* a policy error names the origin, line and column */
	assert_int_equal(
		vmm_seccomp_define_role(ctx, "gpu2", "read\nnosuchcall\n", "gpu.txt", NULL),
		-EINVAL);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "gpu.txt:2:1: unknown syscall"));
	assert_int_equal(vmm_seccomp_role_count(ctx), VMM_SECCOMP_ROLE_COUNT + 2);
	vmm_seccomp_free(ctx);
}

static void test_beyond_baseline(void **state)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();

	(void)state;
	/* getcwd is in no baseline rule; execve is dangerous: neither can a
	 * role allow */
	assert_int_equal(
		vmm_seccomp_define_role(ctx, "gpu", "read\ngetcwd  # why not\n", NULL, NULL),
		-EPERM);
	assert_non_null(
		strstr(vmm_seccomp_last_error(ctx),
		       "gpu:2:1: role gpu allows getcwd (unconditionally) where the process "
		       "baseline does not"));
	assert_int_equal(vmm_seccomp_define_role(ctx, "gpu", "execve\n", NULL, NULL), -EPERM);
	/* a wider argument check than the baseline's */
	assert_int_equal(
		vmm_seccomp_define_role(ctx, "gpu", "mmap  # even executable\n", NULL, NULL),
		-EPERM);
	assert_int_equal(vmm_seccomp_role_count(ctx), VMM_SECCOMP_ROLE_COUNT);
	/* once the baseline has it, the role may too; the name was free */
	assert_int_equal(
		vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_PROCESS, "getcwd  # test\n", "test", 0),
		0);
	assert_int_equal(
		vmm_seccomp_define_role(ctx, "gpu", "read\ngetcwd  # why not\n", NULL, NULL), 0);
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	vmm_seccomp_free(ctx);

	/* and again at compile time: a baseline replaced afterwards by a
	 * policy directory is the one checked */
	ctx = vmm_seccomp_new();
	assert_int_equal(vmm_seccomp_define_role(ctx, "gpu", "read\nopenat  # files\n", NULL, NULL),
			 0);
	{
		char dir[] = "/tmp/vmm-seccomp-roles-XXXXXX", file[128];
		unsigned int r;
		FILE *f;

		assert_non_null(mkdtemp(dir));
		/* a narrow baseline, and every built-in role as narrow: only
		 * the defined role goes beyond it */
		for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
			snprintf(file, sizeof(file), "%s/%s.policy", dir, vmm_seccomp_role_name(r));
			f = fopen(file, "w");
			assert_non_null(f);
			fputs("@include builtin/groups/thread.policy\nread  # only\n", f);
			fclose(f);
		}
		/* the directory's check sees the role: refused, nothing changed */
		assert_int_equal(vmm_seccomp_load_policy_dir(ctx, dir, 0), -EPERM);
		assert_non_null(strstr(vmm_seccomp_last_error(ctx), "role gpu allows openat"));
		for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++) {
			snprintf(file, sizeof(file), "%s/%s.policy", dir, vmm_seccomp_role_name(r));
			unlink(file);
		}
		rmdir(dir);
	}
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	vmm_seccomp_free(ctx);
}

static void test_too_many_roles(void **state)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	unsigned int i;
	char name[32];

	(void)state;
	ctx->no_runtime_groups = true; /* simulated only */
	for (i = VMM_SECCOMP_ROLE_COUNT; i < VMM_SECCOMP_ROLE_MAX; i++) {
		snprintf(name, sizeof(name), "worker%u", i);
		assert_int_equal(vmm_seccomp_define_role(ctx, name, "read  # r\n", NULL, NULL), 0);
	}
	assert_int_equal(vmm_seccomp_role_count(ctx), VMM_SECCOMP_ROLE_MAX);
	assert_int_equal(vmm_seccomp_define_role(ctx, "one_more", "read\n", NULL, NULL), -ENOSPC);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "a context holds at most 64 roles"));
	assert_int_equal(vmm_seccomp_role_count(ctx), VMM_SECCOMP_ROLE_MAX);
	/* every one of them compiles, and the last one's traps carry its
	 * value (the trap data has room for every role) */
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	assert_int_equal(verdict(ctx, (enum vmm_seccomp_role)(VMM_SECCOMP_ROLE_MAX - 1), SYS_write),
			 SECCOMP_RET_TRAP | (VMM_SECCOMP_ROLE_MAX - 1));
	vmm_seccomp_free(ctx);
}

static void test_modes_and_rules(void **state)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	enum vmm_seccomp_role gpu, late;

	(void)state;
	/* a configuration string names only roles defined before it */
	assert_int_equal(vmm_seccomp_configure(ctx, "enforce,virtio_gpu=log"), -EINVAL);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "unknown role 'virtio_gpu'"));
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "define a role before configuring it"));
	assert_int_equal(vmm_seccomp_define_role(ctx, "virtio_gpu", gpu_policy, NULL, &gpu), 0);
	assert_int_equal(vmm_seccomp_get_role_mode(ctx, gpu), VMM_SECCOMP_MODE_ENFORCE);
	assert_int_equal(vmm_seccomp_configure(ctx, "enforce,VIRTIO_GPU=log"), 0);
	assert_int_equal(vmm_seccomp_get_role_mode(ctx, gpu), VMM_SECCOMP_MODE_LOG);
	assert_int_equal(vmm_seccomp_get_role_mode(ctx, VMM_SECCOMP_ROLE_VCPU),
			 VMM_SECCOMP_MODE_ENFORCE);
	assert_int_equal(vmm_seccomp_set_role_mode(ctx, gpu, VMM_SECCOMP_MODE_ERRNO), 0);
	assert_int_equal(vmm_seccomp_get_role_mode(ctx, gpu), VMM_SECCOMP_MODE_ERRNO);
	/* a role defined later starts in the mode every layer was last given */
	assert_int_equal(vmm_seccomp_configure(ctx, "kill"), 0);
	assert_int_equal(vmm_seccomp_define_role(ctx, "late", "read  # r\n", NULL, &late), 0);
	assert_int_equal(vmm_seccomp_get_role_mode(ctx, late), VMM_SECCOMP_MODE_KILL);
	/* a role value not defined is refused like any out of range */
	assert_int_equal(vmm_seccomp_set_role_mode(ctx, (enum vmm_seccomp_role)(late + 1),
						   VMM_SECCOMP_MODE_LOG),
			 -EINVAL);
	assert_int_equal(vmm_seccomp_configure(ctx, "enforce"), 0);

	/* rules added to a defined role, checked against the baseline */
	assert_int_equal(vmm_seccomp_add_rules(ctx, gpu, "pread64  # the shader cache\n", "x", 0),
			 0);
	assert_int_equal(vmm_seccomp_add_rules(ctx, gpu, "getcwd\n", "x", 0), -EPERM);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "role virtio_gpu allows getcwd"));
	/* path rules, within the baseline's */
	assert_int_equal(vmm_seccomp_allow_path(ctx, VMM_SECCOMP_ROLE_PROCESS, "/dev/null",
						VMM_SECCOMP_PATH_RW),
			 0);
	assert_int_equal(vmm_seccomp_allow_path(ctx, gpu, "/dev/null", VMM_SECCOMP_PATH_READ), 0);
	assert_int_equal(vmm_seccomp_allow_path(ctx, gpu, "/etc", VMM_SECCOMP_PATH_READ), -EPERM);
	assert_int_equal(vmm_seccomp_allow_path(ctx, (enum vmm_seccomp_role)(late + 1), "/dev/null",
						VMM_SECCOMP_PATH_READ),
			 -EINVAL);
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	assert_int_equal(verdict(ctx, gpu, SYS_pread64), SECCOMP_RET_ALLOW);
	vmm_seccomp_free(ctx);
}

/* ---- live ----------------------------------------------------------------- */

struct gpu_run {
	const char *config; /* after the role is defined */
	bool from_dir;	    /* the role from a policy directory, not text */
	bool enter;	    /* a plain pthread enters the role itself */
	bool do_open;	    /* the role's thread opens a file: not in its policy */
};

static char policy_dir[64];
static int pipe_fds[2];

static void *gpu_work(void *arg)
{
	const struct gpu_run *run = arg;
	char c = 'x';

	/* what its policy has */
	if (write(pipe_fds[1], &c, 1) != 1 || read(pipe_fds[0], &c, 1) != 1 || c != 'x')
		return (void *)(intptr_t)1;
	if (run->do_open) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* in errno mode the thread goes on: the open failed */
		if (fd >= 0 || errno != EPERM)
			return (void *)(intptr_t)2;
	}
	return NULL;
}

static void *enter_then_work(void *arg)
{
	struct vmm_seccomp *ctx = report_active();
	enum vmm_seccomp_role gpu;

	if (vmm_seccomp_find_role(ctx, "virtio_gpu", &gpu) ||
	    vmm_seccomp_enter_role(ctx, gpu, "gpu-worker")) {
		fprintf(stderr, "enter: %s\n", vmm_seccomp_last_error(ctx));
		return (void *)(intptr_t)3;
	}
	return gpu_work(arg);
}

static int seen_reports;
static char seen_role[40], seen_layer[40];

static void count_report(const struct vmm_seccomp_violation *v, const char *line, void *arg)
{
	(void)arg;
	seen_reports++;
	snprintf(seen_role, sizeof(seen_role), "%s", v->role_name);
	snprintf(seen_layer, sizeof(seen_layer), "%s", v->layer_name);
	if (write(2, line, strlen(line)) < 0)
		seen_reports += 100;
}

static int gpu_child(void *arg)
{
	const struct gpu_run *run = arg;
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	struct vmm_seccomp_thread_info threads[8];
	enum vmm_seccomp_role gpu;
	pthread_t t;
	void *ret = NULL;
	size_t i, n;
	int rc;

	if (!ctx || pipe(pipe_fds))
		return 90;
	rc = run->from_dir ? vmm_seccomp_load_policy_dir(ctx, policy_dir, 0)
			   : vmm_seccomp_define_role(ctx, "virtio_gpu", gpu_policy, NULL, NULL);
	if (!rc)
		rc = vmm_seccomp_find_role(ctx, "virtio_gpu", &gpu);
	if (!rc && run->config)
		rc = vmm_seccomp_configure(ctx, run->config);
	if (!rc && run->config)
		rc = vmm_seccomp_set_report_callback(ctx, count_report, NULL);
	if (!rc)
		rc = vmm_seccomp_apply_process(ctx);
	if (rc) {
		fprintf(stderr, "setup: %s\n", vmm_seccomp_last_error(ctx));
		return 91;
	}
	if (run->enter)
		rc = pthread_create(&t, NULL, enter_then_work, (void *)run);
	else
		rc = vmm_seccomp_thread_create(ctx, &t, NULL, gpu, "gpu-worker", gpu_work,
					       (void *)run);
	if (rc) {
		fprintf(stderr, "create: %s\n", vmm_seccomp_last_error(ctx));
		return 92;
	}
	pthread_join(t, &ret);
	if (ret)
		return (int)(intptr_t)ret;
	/* (the thread has ended and left the registry: nothing listed) */
	n = vmm_seccomp_threads(threads, 8);
	for (i = 0; i < n && i < 8; i++) {
		if (!strcmp(threads[i].name, "gpu-worker"))
			return 94;
	}
	if (run->do_open) {
		/* errno mode: the report was made, counted under the role */
		if (seen_reports != 1 || strcmp(seen_role, "virtio_gpu") != 0 ||
		    strcmp(seen_layer, "virtio_gpu") != 0 ||
		    vmm_seccomp_violation_count(ctx, gpu, SYS_openat) != 1 ||
		    vmm_seccomp_violation_total(ctx, gpu) != 1 ||
		    vmm_seccomp_violation_total(ctx, VMM_SECCOMP_ROLE_PROCESS) != 0) {
			fprintf(stderr, "reports %d role %s layer %s count %llu\n", seen_reports,
				seen_role, seen_layer,
				(unsigned long long)vmm_seccomp_violation_count(ctx, gpu,
										SYS_openat));
			return 95;
		}
	}
	return 0;
}

static void write_gpu_dir(void)
{
	char file[128];
	FILE *f;

	snprintf(policy_dir, sizeof(policy_dir), "/tmp/vmm-seccomp-roles-XXXXXX");
	assert_non_null(mkdtemp(policy_dir));
	snprintf(file, sizeof(file), "%s/virtio_gpu.policy", policy_dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(gpu_policy, f);
	fclose(f);
}

static void remove_gpu_dir(void)
{
	char file[128];

	snprintf(file, sizeof(file), "%s/virtio_gpu.policy", policy_dir);
	unlink(file);
	rmdir(policy_dir);
}

static void run_gpu(const struct gpu_run *run, struct child *res)
{
	assert_int_equal(run_child(gpu_child, (void *)run, TIMEOUT, res), 0);
}

/* Runs each case in a child: it must exit 0, or die by SIGSYS, and its
 * output have exactly one line with every one of the report's parts. */
struct gpu_case {
	struct gpu_run run;
	bool sigsys;
	const char *const *report; /* three parts; NULL: no report expected */
};

static void run_cases(const struct gpu_case *cases, size_t n)
{
	struct child *res = malloc(sizeof(*res));
	size_t i;

	assert_non_null(res);
	write_gpu_dir();
	for (i = 0; i < n; i++) {
		const struct gpu_case *c = &cases[i];
		bool ended;

		if (c->report && skip_reported_violation_on_valgrind())
			break;
		run_gpu(&c->run, res);
		ended = c->sigsys ? res->signaled && res->sig == SIGSYS
				  : res->exited && res->code == 0;
		if (!ended)
			fail_msg("case %zu: exited %d code %d signal %d, want %s: %s", i,
				 res->exited, res->code, res->sig, c->sigsys ? "SIGSYS" : "exit 0",
				 res->out);
		if (c->report &&
		    count_lines_with(res->out, c->report[0], c->report[1], c->report[2], NULL) != 1)
			fail_msg("case %zu: no report naming the role: %s", i, res->out);
	}
	remove_gpu_dir();
	free(res);
}

/* The thread runs its work: the role's policy is what it is held to. */
static void test_custom_role_runs(void **state)
{
	static const struct gpu_case cases[] = {
		{ .run = { .from_dir = false } },
		{ .run = { .from_dir = true } },
		{ .run = { .from_dir = false, .enter = true } },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* What the role's policy lacks (openat: the baseline has it) kills the
 * process, and the report names the role.  In errno mode given by name
 * ("virtio_gpu=errno") the open fails with EPERM, and the callback sees
 * the role's name and the counters count it (gpu_child checks). */
static const char *const enforced[3] = { "vmm_seccomp: violation thread=gpu-worker",
					 " role=virtio_gpu syscall=openat ", "mode=enforce" };
static const char *const refused[3] = { " role=virtio_gpu syscall=openat ", "mode=errno",
					"action=EPERM" };

static void test_custom_role_refuses(void **state)
{
	static const struct gpu_case cases[] = {
		{ .run = { .do_open = true }, .sigsys = true, .report = enforced },
		{ .run = { .from_dir = true, .do_open = true },
		  .sigsys = true,
		  .report = enforced },
		{ .run = { .enter = true, .do_open = true }, .sigsys = true, .report = enforced },
		{ .run = { .config = "enforce,virtio_gpu=errno", .do_open = true },
		  .report = refused },
		{ .run = { .config = "virtio_gpu=errno", .from_dir = true, .do_open = true },
		  .report = refused },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* The role a thread is in, listed while it runs. */
static void *wait_listed(void *arg)
{
	(void)arg;
	char c;

	return read(pipe_fds[0], &c, 1) == 1 ? NULL : (void *)(intptr_t)1;
}

static int listed_child(void *arg)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	struct vmm_seccomp_thread_info threads[8];
	enum vmm_seccomp_role gpu;
	pthread_t t;
	size_t i, n;
	int found = 0;

	(void)arg;
	if (!ctx || pipe(pipe_fds) ||
	    vmm_seccomp_define_role(ctx, "virtio_gpu", gpu_policy, NULL, &gpu) ||
	    vmm_seccomp_apply_process(ctx) ||
	    vmm_seccomp_thread_create(ctx, &t, NULL, gpu, NULL, wait_listed, NULL)) {
		fprintf(stderr, "%s\n", vmm_seccomp_last_error(ctx));
		return 90;
	}
	n = vmm_seccomp_threads(threads, 8);
	for (i = 0; i < n && i < 8; i++) {
		/* named after the role when no name is given */
		if (threads[i].role == gpu && threads[i].filtered &&
		    !strcmp(threads[i].name, "virtio_gpu") &&
		    !strcmp(vmm_seccomp_get_role_name(ctx, threads[i].role), "virtio_gpu"))
			found++;
	}
	if (write(pipe_fds[1], "x", 1) != 1)
		return 91;
	pthread_join(t, NULL);
	return found == 1 ? 0 : 92;
}

static void test_custom_role_listed(void **state)
{
	struct child *res = malloc(sizeof(*res));

	(void)state;
	assert_non_null(res);
	assert_int_equal(run_child(listed_child, NULL, TIMEOUT, res), 0);
	if (!res->exited || res->code != 0)
		fail_msg("exited %d code %d signal %d: %s", res->exited, res->code, res->sig,
			 res->out);
	free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_define_and_find),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_beyond_baseline),
		cmocka_unit_test(test_too_many_roles),
		cmocka_unit_test(test_modes_and_rules),
		cmocka_unit_test(test_custom_role_runs),
		cmocka_unit_test(test_custom_role_refuses),
		cmocka_unit_test(test_custom_role_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
