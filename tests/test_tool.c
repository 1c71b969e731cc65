/* SPDX-License-Identifier: Apache-2.0 */
/* The vmm-seccomp command-line tool: each command's output and exit code,
 * with good and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "live_util.h"
#include "vmm_seccomp.h"

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

static char out[65536];
static char dir[64];

/* The programs it runs: where the build put them, or where the environment
 * says (the arm64 guest of tools/test-aarch64.sh has them in /tests). */
static const char *program(const char *env, const char *built)
{
	const char *p = getenv(env);

	return p && *p ? p : built;
}

static const char *profile_target(void)
{
	return program("PROFILE_TARGET", PROFILE_TARGET);
}

#define STR(x) #x
#define NR(sys) STR(sys)

/* Runs the tool with the NULL-terminated arguments; returns its exit code
 * and leaves stdout and stderr, merged, in out. */
static int tool(const char *first, ...)
{
	const char *argv[16] = { program("VMM_SECCOMP_TOOL", VMM_SECCOMP_TOOL), first };
	int pfd[2], status, argc = 2;
	size_t used = 0;
	ssize_t n;
	va_list ap;
	pid_t pid;

	va_start(ap, first);
	while (argc < 15 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if (!first)
		argv[1] = NULL;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out + used, sizeof(out) - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status)); /* never a crash */
	return WEXITSTATUS(status);
}

static void has(const char *needle)
{
	if (!strstr(out, needle))
		fprintf(stderr, "missing \"%s\" in:\n%s\n", needle, out);
	assert_non_null(strstr(out, needle));
}

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *path_of(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void test_usage(void **state)
{
	(void)state;
	assert_int_equal(tool(NULL, NULL), 2);
	has("usage: vmm-seccomp");
	assert_int_equal(tool("--help", NULL), 0);
	has("simulate ROLE SYSCALL");
	assert_int_equal(tool("frobnicate", NULL), 2);
	has("unknown command 'frobnicate'");
	assert_int_equal(tool("show", "vcpu", "--bogus", NULL), 2);
	has("unknown option --bogus");
	assert_int_equal(tool("show", NULL), 2);
}

static void test_roles(void **state)
{
	unsigned int r;

	(void)state;
	assert_int_equal(tool("roles", NULL), 0);
	for (r = 0; r < VMM_SECCOMP_ROLE_COUNT; r++)
		has(vmm_seccomp_role_name(r));
	has("A vCPU thread");
}

static void test_show(void **state)
{
	(void)state;
	assert_int_equal(tool("show", "vcpu", NULL), 0);
	has("ioctl: arg1 == KVM_RUN    # groups/kvm_vcpu.policy:");
	/* a vCPU never creates threads (0x3d0f00: pthread_create's flags) */
	assert_null(strstr(out, "\nclone: arg0 == 0x3d0f00"));
	has("write: arg0 == 2    # the report descriptor");
	assert_int_equal(tool("show", "vcpu", "--mode", "errno", NULL), 0);
	has("mode errno");
	assert_int_equal(tool("show", "gpu", NULL), 3);
	has("unknown role 'gpu'");
	assert_int_equal(tool("show", "vcpu", "--mode", "sometimes", NULL), 3);
	has("bad setting 'sometimes'");
}

/* The file the tool exported is byte for byte what the library installs
 * for `role` in this process. */
static void assert_exported(const char *name, enum vmm_seccomp_role role)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	struct stat st;
	size_t len;
	const void *prog;
	char *file;
	FILE *f;

	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	prog = vmm_seccomp_program(ctx, role, &len);
	assert_int_equal(stat(path_of(name), &st), 0);
	assert_int_equal((size_t)st.st_size, len * 8);
	file = malloc((size_t)st.st_size);
	f = fopen(path_of(name), "r");
	assert_non_null(f);
	assert_int_equal(fread(file, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	assert_memory_equal(file, prog, len * 8);
	free(file);
	vmm_seccomp_free(ctx);
}

static void test_export(void **state)
{
	char pid[16];

	(void)state;
	assert_int_equal(tool("export", "vcpu", "--format", "bpf", "-o", path_of("vcpu.bpf"), NULL),
			 0);
	assert_exported("vcpu.bpf", VMM_SECCOMP_ROLE_VCPU);
	/* $pid: the tool fills its own in, or the one --pid names */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_int_equal(tool("export", "process", "--format", "bpf", "--pid", pid, "-o",
			      path_of("process.bpf"), NULL),
			 0);
	assert_exported("process.bpf", VMM_SECCOMP_ROLE_PROCESS);
	assert_int_equal(tool("export", "process", "--format", "pfc", "--pid", "4660", NULL), 0);
	has("# $pid: process id 4660");
	has("if ($a0.lo32 == 0x1234)  # $pid");
	assert_int_equal(tool("export", "process", "--format", "pfc", "--pid", "12x", NULL), 3);
	has("--pid 12x: not a process id");

	assert_int_equal(tool("export", "vcpu", "--format", "c", NULL), 0);
	has("static const struct sock_filter vmm_seccomp_vcpu_filter[");
	assert_int_equal(tool("export", "api", "--format", "pfc", NULL), 0);
	has("if ($syscall == " NR(SYS_socket) ")"); /* socket */
	has("if ($a0.lo32 == 0x1)");		    /* ... AF_UNIX only, an int: its low word */
	assert_int_equal(tool("export", "vcpu", "--format", "xml", NULL), 2);
	has("unknown format 'xml'");
	assert_int_equal(tool("export", "vcpu", NULL), 2);
	assert_int_equal(tool("export", "vcpu", "--format", "c", "--mode", "vcpu=off", NULL), 3);
	has("role vcpu is off");
}

static void test_check(void **state)
{
	char want[200];

	(void)state;
	/* a clean directory */
	put("vcpu.policy", "@include builtin/roles/vcpu.policy\n"
			   "getrandom  # entropy for the vCPU's own use\n");
	put("process.policy", "@include builtin/roles/process.policy\n");
	assert_int_equal(tool("check", dir, NULL), 0);
	has("0 findings");

	/* a sensitive syscall without a reason, and a rule that can never apply */
	put("vcpu.policy", "@include builtin/roles/vcpu.policy\n"
			   "\n"
			   "ioctl: arg1 == TIOCGWINSZ\n"
			   "getrandom  # why\n"
			   "getrandom: arg2 == 0  # never reached\n");
	assert_int_equal(tool("check", dir, NULL), 1);
	snprintf(want, sizeof(want), "%s/vcpu.policy:3:1: warning: ioctl has no comment", dir);
	has(want);
	snprintf(want, sizeof(want),
		 "%s/vcpu.policy:5:1: warning: this getrandom rule is never used", dir);
	has(want);
	has("2 findings");

	/* broken input: the error with its place, exit 3 */
	put("vcpu.policy", "@include builtin/roles/vcpu.policy\nioctl: arg1 == KVM_RUNN  # typo\n");
	assert_int_equal(tool("check", dir, NULL), 3);
	snprintf(want, sizeof(want), "%s/vcpu.policy:2:16: unknown constant 'KVM_RUNN'", dir);
	has(want);

	/* a directory's baseline takes a dangerous syscall only when asked
	 * (--allow-dangerous), and then check still reports it */
	put("vcpu.policy", "@include builtin/roles/vcpu.policy\n");
	put("process.policy", "@include builtin/roles/process.policy\nexecve  # runs helpers\n");
	assert_int_equal(tool("check", dir, NULL), 3);
	snprintf(want, sizeof(want), "%s/process.policy:2:1: execve is on the dangerous list", dir);
	has(want);
	assert_int_equal(tool("check", dir, "--allow-dangerous", NULL), 1);
	snprintf(want, sizeof(want),
		 "%s/process.policy:2:1: error: role process allows execve, which is on the "
		 "dangerous list",
		 dir);
	has(want);
	assert_int_equal(tool("simulate", "process", "execve", "0", "--policy-dir", dir, NULL), 3);
	assert_int_equal(tool("simulate", "process", "execve", "0", "--policy-dir", dir,
			      "--allow-dangerous", NULL),
			 0);
	has("verdict  execve(0): allow");

	/* a single file named after a role */
	put("vcpu.policy", "getcwd  # logging\n");
	put("extra.txt", "execve  # really?\n");
	unlink(path_of("process.policy"));
	assert_int_equal(tool("check", path_of("vcpu.policy"), NULL), 3);
	has("role vcpu allows getcwd"); /* not in the built-in baseline */
	assert_int_equal(tool("check", path_of("extra.txt"), NULL), 3);
	has("execve is on the dangerous list");
	assert_int_equal(tool("check", "/nonexistent", NULL), 3);

	/* a new role one edit (or one swap) from a built-in role's name: its
	 * rules reach no thread of the role meant, most likely a typo */
	unlink(path_of("vcpu.policy"));
	put("vpcu.policy", "getrandom  # entropy\n");
	assert_int_equal(tool("check", dir, NULL), 1);
	snprintf(want, sizeof(want),
		 "%s/vpcu.policy:1:1: warning: defines a new role 'vpcu', one edit from the "
		 "built-in role 'vcpu', which it leaves as it is",
		 dir);
	has(want);
	has("1 finding\n");
	unlink(path_of("vpcu.policy"));
	put("virtio_blok.policy", "getrandom  # entropy\n");
	assert_int_equal(tool("check", dir, NULL), 1);
	has("new role 'virtio_blok', one edit from the built-in role 'virtio_block'");
	/* a role of one's own, named apart: nothing to say */
	unlink(path_of("virtio_blok.policy"));
	put("virtio_9p.policy", "getrandom  # entropy\n");
	assert_int_equal(tool("check", dir, NULL), 0);
	has("0 findings");
	unlink(path_of("virtio_9p.policy"));
}

static void test_explain(void **state)
{
	(void)state;
	assert_int_equal(tool("explain", "59", NULL), 0);
	has("syscall 59 on x86_64: execve");
	has("syscall 59 on aarch64:");
	assert_int_equal(tool("explain", "ioctl", NULL), 0);
	has("syscall ioctl on x86_64: 16");
	assert_int_equal(tool("explain", "KVM_CREATE_VM", NULL), 0);
	has("ioctl request KVM_CREATE_VM: 0xae01");
	assert_int_equal(tool("explain", "0xae80", NULL), 0);
	has("ioctl request 0xae80: KVM_RUN");
	assert_int_equal(tool("explain", "PROT_EXEC", NULL), 0);
	has("constant PROT_EXEC: 0x4");
	assert_int_equal(tool("explain", "frobnicate", NULL), 3);
	has("nothing known as 'frobnicate'");
	assert_int_equal(tool("explain", "$pid", NULL), 0);
	has("runtime value $pid: the process id, filled in when the filter is installed");
}

static void test_simulate(void **state)
{
	(void)state;
	assert_int_equal(tool("simulate", "vcpu", "ioctl", "5", "KVM_RUN", NULL), 0);
	has("verdict  ioctl(0x5, 0xae80): allow");
	assert_int_equal(tool("simulate", "vcpu", "ioctl", "5", "KVM_CREATE_VM", NULL), 1);
	has("trap: violation, refused by layer vcpu in mode enforce");
	assert_int_equal(tool("simulate", "virtio_block", "execve", NULL), 1);
	/* (refused by both layers; the role may leave it to the baseline) */
	has("verdict  execve(): trap: violation, refused by layer ");
	has(" in mode enforce (report, kill)");
	assert_int_equal(tool("simulate", "api", "socket", "AF_INET", "SOCK_STREAM", "0", NULL), 1);
	/* the baseline checks socket families for the api role, which shares
	 * that check: refused there, reported as the thread's role */
	has("refused by layer process in mode enforce");
	has("reported as role api");
	assert_int_equal(tool("simulate", "api", "socket", "AF_UNIX", "1", "0", NULL), 0);
	assert_int_equal(tool("simulate", "vcpu", "clone3", NULL), 1);
	has("errno 38");
	assert_int_equal(tool("simulate", "vcpu", "execve", "--mode", "errno,vcpu=log", NULL), 1);
	has("refused by layer process in mode errno (report, EPERM)");
	/* what no policy reviewed: a number above every table, a known syscall
	 * the baseline has no rule for; a newer call by name (mseal, 462) */
	assert_int_equal(tool("simulate", "vcpu", "500", NULL), 1);
	has("verdict  500(): trap: unreviewed (no policy has reviewed it)");
	has("(report, fails with ENOSYS)");
	assert_int_equal(tool("simulate", "virtio_rng", "getcwd", "--mode", "kill", NULL), 1);
	has("unreviewed (no policy has reviewed it), layer process in mode kill");
	assert_int_equal(tool("simulate", "vcpu", "mseal", NULL), 1);
	has("errno 38");
	assert_int_equal(tool("explain", "mseal", NULL), 0);
	has("syscall mseal on x86_64: 462");
	assert_int_equal(tool("explain", "462", NULL), 0);
	has("syscall 462 on aarch64: mseal");
	/* aarch64: its own numbers and ioctls, simulated */
	assert_int_equal(tool("simulate", "vcpu", "ioctl", "5", "KVM_GET_ONE_REG", "--arch",
			      "aarch64", NULL),
			 0);
	has("verdict  ioctl(0x5, 0x4010aeab): allow");
	/* each arch's own constants are unknown to the other, the build's
	 * arch being the default */
	assert_int_equal(
		tool("simulate", "vcpu", "ioctl", "5", "KVM_GET_ONE_REG", "--arch", "x86_64", NULL),
		3);
	has("'KVM_GET_ONE_REG' is neither a number nor a known constant");
	assert_int_equal(
		tool("simulate", "vcpu", "ioctl", "5", "KVM_GET_REGS", "--arch", "aarch64", NULL),
		3);
	has("'KVM_GET_REGS' is neither a number nor a known constant");
#if defined(__x86_64__)
	assert_int_equal(tool("simulate", "vcpu", "ioctl", "5", "KVM_GET_ONE_REG", NULL), 3);
#else
	assert_int_equal(tool("simulate", "vcpu", "ioctl", "5", "KVM_GET_REGS", NULL), 3);
#endif
	assert_int_equal(tool("simulate", "vcpu", "ioctl", "5", "KVM_RUN", "--arch", "sparc", NULL),
			 3);
	has("unknown architecture 'sparc'");
	/* signals only within the process: $pid as an argument is the pid the
	 * filters hold (the tool's own, or --pid's) */
	assert_int_equal(tool("simulate", "vcpu", "tgkill", "$pid", "5", "SIGUSR1", NULL), 0);
	has("$pid     ");
	has("(this tool's own process id; --pid PID for another)");
	has("): allow");
	assert_int_equal(
		tool("simulate", "vcpu", "tgkill", "4660", "5", "SIGUSR1", "--pid", "4660", NULL),
		0);
	has("$pid     4660 (--pid)");
	has("verdict  tgkill(0x1234, 0x5, 0xa): allow");
	assert_int_equal(
		tool("simulate", "vcpu", "tgkill", "4661", "5", "SIGUSR1", "--pid", "4660", NULL),
		1);
	has("refused by layer process");
	assert_int_equal(tool("simulate", "api", "rt_tgsigqueueinfo", "$pid", "5", "SIGUSR2", "0",
			      "--pid", "99", NULL),
			 0);
	has("verdict  rt_tgsigqueueinfo(0x63, 0x5, 0xc, 0): allow");
	assert_int_equal(tool("simulate", "vcpu", "tkill", "5", "SIGUSR1", NULL), 1);
	/* connect: where a role connects, not in the API server */
	assert_int_equal(tool("simulate", "api", "connect", "5", "0", "110", NULL), 1);
	has("refused by layer api");
	assert_int_equal(tool("simulate", "virtio_vsock", "connect", "5", "0", "110", NULL), 0);
	assert_int_equal(tool("simulate", "vcpu", "nosuchcall", NULL), 3);
	has("unknown syscall 'nosuchcall'");
	assert_int_equal(tool("simulate", "vcpu", "ioctl", "5", "KVM_NOPE", NULL), 3);
	has("'KVM_NOPE' is neither a number nor a known constant");
}

static char *slurp(const char *name)
{
	static char buf[65536];
	FILE *f = fopen(path_of(name), "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_profile(void **state)
{
	struct vmm_seccomp *ctx;
	char *text, learned[128];

	(void)state;
	snprintf(learned, sizeof(learned), "%s/learned", dir);
	assert_int_equal(tool("profile", "-o", learned, "--", profile_target(), NULL), 0);
	has("the program exited with status 0");
	/* the vCPU thread: its ioctl as the built-in rule, getcwd learned */
	text = slurp("learned/vcpu.policy");
	assert_non_null(strstr(text, "# threads: vcpu0"));
	assert_non_null(strstr(
		text,
		"ioctl: arg1 == TCGETS || arg1 == TCGETS2    # built in: groups/thread.policy:"));
	assert_non_null(strstr(text, "getcwd    # learned: not allowed by the built-in policy"));
	assert_null(strstr(text, "getrandom")); /* that was the other thread */
	text = slurp("learned/virtio_rng.policy");
	assert_non_null(strstr(text, "getrandom    # built in: roles/virtio_rng.policy:"));
	assert_null(strstr(text, "getcwd"));
	/* the baseline has what every thread did */
	text = slurp("learned/process.policy");
	assert_non_null(strstr(text, "uname    # built in: roles/process.policy:"));
	assert_non_null(strstr(text, "getcwd    # learned"));
	assert_non_null(strstr(text, "getrandom    # built in"));
	text = slurp("learned/DIFF.txt");
	assert_non_null(strstr(text, "== vcpu\n+ getcwd\n"));
	/* and the learned policies are a policy directory the library takes */
	unlink(path_of("learned/DIFF.txt"));
	ctx = vmm_seccomp_new();
	if (vmm_seccomp_load_policy_dir(ctx, learned, 0))
		fprintf(stderr, "%s\n", vmm_seccomp_last_error(ctx));
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	vmm_seccomp_free(ctx);
	/* (under valgrind the tool adds valgrind's own rules, which the lint
	 * then sees twice: the check is meaningful natively only) */
	if (!RUNNING_ON_VALGRIND)
		assert_int_equal(tool("check", learned, NULL), 0);

	assert_int_equal(tool("profile", "--", NULL), 2);
	has("no command after --");
	assert_int_equal(tool("profile", "--role-map", "vcpu*", "--", "true", NULL), 2);
	has("bad --role-map 'vcpu*'");
	assert_int_equal(tool("profile", "-o", learned, "--", "/nonexistent/program", NULL), 0);
	has("exited with status 127");
}

/* Profiling the sample VMM from boot to power-off gives policies under which
 * it then runs in enforce mode. */
static void test_profile_sample_vmm(void **state)
{
#ifndef SAMPLE_VMM
	(void)state;
	fprintf(stderr, "SKIP profiling the sample VMM: it is x86-64 code, not built here\n");
	skip();
#else
	char learned[128], disk[128], cmd[512];
	int i;

	(void)state;
	if (access("/dev/kvm", R_OK | W_OK)) {
		fprintf(stderr, "SKIP profiling the sample VMM: /dev/kvm absent\n");
		skip();
	}
	snprintf(learned, sizeof(learned), "%s/vmm-learned", dir);
	snprintf(disk, sizeof(disk), "%s/disk.img", dir);
	snprintf(cmd, sizeof(cmd), "truncate -s 8M '%s'", disk);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(tool("profile", "-o", learned, "--", SAMPLE_VMM, "--vcpus", "2", "--disk",
			      disk, NULL),
			 0);
	has("the program exited with status 0");
	unlink(path_of("vmm-learned/DIFF.txt"));
	assert_int_equal(tool("check", learned, NULL), 0);
	/* several runs: thread timing differs from run to run */
	for (i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd),
			 "'%s' --vcpus 2 --disk '%s' --seccomp enforce --seccomp-policy '%s' "
			 ">/dev/null",
			 SAMPLE_VMM, disk, learned);
		assert_int_equal(system(cmd), 0);
	}
#endif
}

/* A role of the embedder's, from a policy directory, through every command
 * that takes a role. */
static void test_defined_role(void **state)
{
	char pdir[128], learned[128], *text;

	(void)state;
	snprintf(pdir, sizeof(pdir), "%s/gpu-dir", dir);
	assert_int_equal(mkdir(pdir, 0755), 0);
	put("gpu-dir/virtio_gpu.policy", "# virtio-gpu worker of the test\n"
					 "@include builtin/groups/thread.policy\n"
					 "read  # its queue\n"
					 "getrandom  # its own entropy\n");
	assert_int_equal(tool("roles", "--policy-dir", pdir, NULL), 0);
	has("virtio_gpu      virtio-gpu worker of the test [defined by ");
	has("vcpu            A vCPU thread");
	assert_int_equal(tool("show", "virtio_gpu", "--policy-dir", pdir, NULL), 0);
	has("# role virtio_gpu, mode enforce");
	has("getrandom    # ");
	/* without the directory there is no such role */
	assert_int_equal(tool("show", "virtio_gpu", NULL), 3);
	has("unknown role 'virtio_gpu' (roles: process, vmm, vcpu");
	/* --mode names it: the directory is read first */
	assert_int_equal(tool("show", "virtio_gpu", "--policy-dir", pdir, "--mode",
			      "enforce,virtio_gpu=log", NULL),
			 0);
	has("# role virtio_gpu, mode log");
	assert_int_equal(tool("simulate", "virtio_gpu", "getrandom", "0", "8", "0", "--policy-dir",
			      pdir, NULL),
			 0);
	has("role     virtio_gpu      allow");
	assert_int_equal(tool("simulate", "virtio_gpu", "openat", "--policy-dir", pdir, NULL), 1);
	has("trap: violation, refused by layer virtio_gpu in mode enforce");
	assert_int_equal(tool("export", "virtio_gpu", "--format", "c", "--policy-dir", pdir, NULL),
			 0);
	has("vmm_seccomp_virtio_gpu_filter[");
	assert_int_equal(tool("check", pdir, NULL), 0);
	has("0 findings");
	/* a file adding to the directory's role */
	put("virtio_gpu.policy", "pread64  # the shader cache\n");
	assert_int_equal(tool("check", "--policy-dir", pdir, path_of("virtio_gpu.policy"), NULL),
			 0);
	put("virtio_gpu.policy", "getcwd  # not in the baseline\n");
	assert_int_equal(tool("check", "--policy-dir", pdir, path_of("virtio_gpu.policy"), NULL),
			 3);
	has("role virtio_gpu allows getcwd");
	unlink(path_of("virtio_gpu.policy"));
	assert_int_equal(tool("landlock", "--policy-dir", pdir, "virtio_gpu=/etc:ro", NULL), 3);
	has("landlock rule /etc:read for role virtio_gpu: the baseline gives it no access");
	assert_int_equal(tool("landlock", "--policy-dir", pdir, "/dev/zero:ro",
			      "virtio_gpu=/dev/zero:ro", NULL),
			 0);
	has("virtio_gpu:\n/dev/zero:read -> "); /* (no rights under valgrind: no Landlock) */
	/* profile: the thread named after it counts for it, or mapped */
	snprintf(learned, sizeof(learned), "%s/learned-gpu", dir);
	assert_int_equal(tool("profile", "-o", learned, "--policy-dir", pdir, "--role-map",
			      "virtio-rng=virtio_gpu", "--", profile_target(), NULL),
			 0);
	text = slurp("learned-gpu/virtio_gpu.policy");
	assert_non_null(strstr(text, "# threads: virtio-rng"));
	assert_non_null(strstr(text, "getrandom    # built in: "));
	assert_int_equal(tool("profile", "-o", learned, "--role-map", "virtio-rng=virtio_gpu", "--",
			      profile_target(), NULL),
			 2);
	has("bad --role-map 'virtio-rng=virtio_gpu'");
	/* bad names are refused, naming the file */
	put("gpu-dir/Virtio-GPU.policy", "read\n");
	assert_int_equal(tool("roles", "--policy-dir", pdir, NULL), 3);
	has("Virtio-GPU.policy: role name 'Virtio-GPU' must start with a letter a-z");
	unlink(path_of("gpu-dir/Virtio-GPU.policy"));
}

static void test_landlock(void **state)
{
	/* (the library installs no Landlock under valgrind, and says abi 0,
	 * whether or not valgrind knows the syscall) */
	long abi = RUNNING_ON_VALGRIND ? 0 : syscall(SYS_landlock_create_ruleset, NULL, 0, 1u);
	char want[48];

	(void)state;
	assert_int_equal(tool("landlock", "/tmp:ro", "vmm=/tmp:read", NULL), 0);
	snprintf(want, sizeof(want), "landlock: abi %ld, ", abi > 0 ? abi : 0);
	has(want);
	has("/proc/self:read (built in: ");
	has("/dev/null:read+write (built in: discarding output) -> ");
	if (abi >= 1) {
		has("process:\n");
		has("/tmp:read -> read_file+read_dir\nvmm:\n/tmp:read -> read_file+read_dir\n");
		has("(no path: threads of role vcpu open nothing)");
	}
	if (abi >= 6)
		has("scopes abstract_unix_socket+signal");
	assert_int_equal(tool("landlock", "vcpu=/etc:ro", NULL), 3);
	has("landlock rule /etc:read for role vcpu: the baseline gives it no access");
	assert_int_equal(tool("landlock", "nosuch=/tmp:ro", NULL), 3);
	has("unknown role \"nosuch\"");
	assert_int_equal(tool("landlock", "/tmp:rx", NULL), 3);
	has("unknown access \"rx\"");
	assert_int_equal(tool("landlock", "/no/such/path:ro", NULL), 3);
	has("landlock rule /no/such/path: No such file or directory");
}

static int setup(void **state)
{
	(void)state;
	/* In the sanitizer build the programs `profile` traces are built with
	 * ASan too, and LeakSanitizer cannot work under ptrace. */
	setenv("ASAN_OPTIONS", "detect_leaks=0", 0);
	snprintf(dir, sizeof(dir), "/tmp/vmm-seccomp-tool-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(dir, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_simulate),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_profile_sample_vmm),
		cmocka_unit_test(test_landlock),
		cmocka_unit_test(test_defined_role),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
