/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Landlock, live: each case applies the baseline (and enters roles) in a
 * forked child, tries what seccomp cannot judge (which file, which socket,
 * which process) and reports what the kernel answered; the parent asserts
 * it.  Checks run in errno mode where a seccomp refusal must be told from a
 * Landlock one: seccomp says EPERM, Landlock's file rules EACCES, its
 * scopes EPERM (then the syscall is one seccomp allows).
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
#include <dirent.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT 60

static int kernel_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1u);

	return abi > 0 ? (int)abi : 0;
}

/* Skips (and says why) where the kernel lacks what a case needs. */
static bool skip_without_abi(int need, const char *what)
{
	int abi;

	if (on_valgrind()) {
		fprintf(stderr,
			"SKIP %s: valgrind does not implement Landlock (docs/VALGRIND.md)\n", what);
		return true;
	}
	abi = kernel_abi();
	if (abi < need) {
		fprintf(stderr, "SKIP %s: needs Landlock ABI %d, the kernel has %d\n", what, need,
			abi);
		return true;
	}
	return false;
}

/* The tree every case works in, made by the parent before any fork. */
static struct tree {
	char root[64];
	char ro[96], ro_file[128];     /* declared read-only */
	char rw[96];		       /* declared read-write */
	char outside[96], secret[128]; /* declared nowhere */
	char sock_path[128];	       /* a pathname socket another process holds */
	char abstract[64];	       /* an abstract socket another process holds */
	pid_t holder;		       /* that process */
	bool have_kvm;
} T;

static void put_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

static socklen_t unix_addr(struct sockaddr_un *a, const char *path, bool abstract)
{
	/* memcpy of a bounded length: gcc 12's -O2 -Wstringop-truncation
	 * rejects the strncpy this was (the default RelWithDebInfo build). */
	size_t n = strnlen(path, sizeof(a->sun_path) - (abstract ? 2 : 1));

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (abstract) {
		memcpy(a->sun_path + 1, path, n);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	}
	memcpy(a->sun_path, path, n);
	return (socklen_t)sizeof(*a);
}

/* A process outside every domain holding both sockets open, accepting,
 * with SIGUSR1 ignored (a signal that reached it would do nothing). */
static void start_holder(void)
{
	int ready[2];
	char c;

	assert_int_equal(pipe(ready), 0);
	T.holder = fork();
	assert_true(T.holder >= 0);
	if (T.holder == 0) {
		struct sockaddr_un a;
		socklen_t n;
		int s1 = socket(AF_UNIX, SOCK_STREAM, 0), s2 = socket(AF_UNIX, SOCK_STREAM, 0);

		signal(SIGUSR1, SIG_IGN);
		n = unix_addr(&a, T.sock_path, false);
		if (bind(s1, (struct sockaddr *)&a, n) || listen(s1, 64))
			_exit(1);
		n = unix_addr(&a, T.abstract, true);
		if (bind(s2, (struct sockaddr *)&a, n) || listen(s2, 64))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
}

static int setup(void **state)
{
	(void)state;
	snprintf(T.root, sizeof(T.root), "/tmp/vmm-seccomp-ll-XXXXXX");
	assert_non_null(mkdtemp(T.root));
	snprintf(T.ro, sizeof(T.ro), "%s/ro", T.root);
	snprintf(T.ro_file, sizeof(T.ro_file), "%s/file", T.ro);
	snprintf(T.rw, sizeof(T.rw), "%s/rw", T.root);
	snprintf(T.outside, sizeof(T.outside), "%s/outside", T.root);
	snprintf(T.secret, sizeof(T.secret), "%s/secret", T.outside);
	snprintf(T.sock_path, sizeof(T.sock_path), "%s/host.sock", T.outside);
	snprintf(T.abstract, sizeof(T.abstract), "vmm-seccomp-ll-%d", getpid());
	assert_int_equal(mkdir(T.ro, 0755), 0);
	assert_int_equal(mkdir(T.rw, 0755), 0);
	assert_int_equal(mkdir(T.outside, 0755), 0);
	put_file(T.ro_file);
	put_file(T.secret);
	T.have_kvm = access("/dev/kvm", F_OK) == 0;
	start_holder();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (T.holder > 0) {
		kill(T.holder, SIGKILL);
		waitpid(T.holder, NULL, 0);
	}
	return remove_tree(T.root, false);
}

/* ---- in the children ---- */

/* A context with the tree's rules: ro and rw for the process, and for
 * `role` (unless PROCESS) rw on the rw directory. */
static struct vmm_seccomp *ctx_with_rules(const char *config, enum vmm_seccomp_role role)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	char rule[160];

	if (!ctx)
		_exit(90);
	snprintf(rule, sizeof(rule), "%s:ro", T.ro);
	if ((config && vmm_seccomp_configure(ctx, config)) ||
	    vmm_seccomp_add_path_rule(ctx, VMM_SECCOMP_ROLE_PROCESS, rule) ||
	    vmm_seccomp_allow_path(ctx, VMM_SECCOMP_ROLE_PROCESS, T.rw, VMM_SECCOMP_PATH_RW) ||
	    (role != VMM_SECCOMP_ROLE_PROCESS &&
	     vmm_seccomp_allow_path(ctx, role, T.rw, VMM_SECCOMP_PATH_RW))) {
		fprintf(stderr, "configure: %s\n", vmm_seccomp_last_error(ctx));
		_exit(91);
	}
	return ctx;
}

static void apply_or_exit(struct vmm_seccomp *ctx)
{
	if (vmm_seccomp_apply_process(ctx)) {
		fprintf(stderr, "apply: %s\n", vmm_seccomp_last_error(ctx));
		_exit(92);
	}
}

/* Records one outcome as a line "what=ok" or "what=ERRNONAME" on stderr;
 * the parent reads them. */
static void outcome(const char *what, long rc)
{
	int e = errno;

	fprintf(stderr, "%s=%s\n", what,
		rc >= 0	      ? "ok"
		: e == EACCES ? "EACCES"
		: e == EPERM  ? "EPERM"
		: e == ENOSYS ? "ENOSYS"
		: e == ENOENT ? "ENOENT"
			      : "other");
}

static long open_close(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
	return fd;
}

static long connect_to(const char *name, bool abstract)
{
	struct sockaddr_un a;
	socklen_t n = unix_addr(&a, name, abstract);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	long rc;
	int e;

	if (s < 0)
		return -1;
	rc = connect(s, (struct sockaddr *)&a, n);
	e = errno;
	close(s);
	errno = e;
	return rc;
}

/* Everything a case tries, in the calling thread. */
static void try_everything(const char *tag)
{
	char what[96], path[160];

#define TRY(name, expr)                                           \
	do {                                                      \
		snprintf(what, sizeof(what), "%s.%s", tag, name); \
		errno = 0;                                        \
		outcome(what, (expr));                            \
	} while (0)
	TRY("read_secret", open_close(T.secret, O_RDONLY));
	snprintf(path, sizeof(path), "%s/planted", T.outside);
	TRY("create_outside", open_close(path, O_WRONLY | O_CREAT));
	TRY("unlink_outside", unlink(T.secret));
	TRY("etc_passwd", open_close("/etc/passwd", O_RDONLY));
	if (T.have_kvm)
		TRY("dev_kvm", open_close("/dev/kvm", O_RDWR));
	TRY("proc_mem_write", open_close("/proc/self/mem", O_RDWR));
	TRY("proc_status", open_close("/proc/self/status", O_RDONLY));
	TRY("read_ro", open_close(T.ro_file, O_RDONLY));
	TRY("write_ro", open_close(T.ro_file, O_WRONLY));
	snprintf(path, sizeof(path), "%s/%s-new", T.rw, tag);
	TRY("create_rw", open_close(path, O_WRONLY | O_CREAT));
	TRY("unlink_rw", unlink(path));
	TRY("connect_abstract_host", connect_to(T.abstract, true));
	TRY("connect_pathname_host", connect_to(T.sock_path, false));
	TRY("tgkill_other_process", syscall(SYS_tgkill, T.holder, T.holder, SIGUSR1));
	TRY("kill_other_process", kill(T.holder, SIGUSR1));
	TRY("tgkill_own_thread",
	    syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2));
#undef TRY
}

static void *role_thread(void *arg)
{
	try_everything(arg);
	return NULL;
}

struct case_arg {
	const char *config;
	enum vmm_seccomp_role role; /* PROCESS: the main thread */
};

static int run_case(void *p)
{
	const struct case_arg *a = p;
	struct vmm_seccomp *ctx = ctx_with_rules(a->config, a->role);
	pthread_t t;
	int rc;

	signal(SIGUSR2, SIG_IGN);
	if (!freopen("/dev/null", "w", stdout))
		return 94;
	apply_or_exit(ctx);
	if (a->role == VMM_SECCOMP_ROLE_PROCESS) {
		try_everything("process");
		return 0;
	}
	rc = vmm_seccomp_thread_create(ctx, &t, NULL, a->role, vmm_seccomp_role_name(a->role),
				       role_thread, (void *)vmm_seccomp_role_name(a->role));
	if (rc) {
		fprintf(stderr, "thread_create: %s\n", vmm_seccomp_last_error(ctx));
		return 93;
	}
	pthread_join(t, NULL);
	return 0;
}

/* ---- judging ---- */

/* The outcome the child recorded for "tag.what" ("" if none). */
static const char *result_of(const struct child *c, const char *tag, const char *what)
{
	static char buf[32];
	char key[128];
	const char *at;

	snprintf(key, sizeof(key), "\n%s.%s=", tag, what);
	if (!strncmp(c->out, key + 1, strlen(key + 1)))
		at = c->out + strlen(key + 1);
	else if ((at = strstr(c->out, key)))
		at += strlen(key);
	buf[0] = '\0';
	if (at)
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(at, "\n"), at);
	return buf;
}

#define EXPECT(c, tag, what, want)                                                             \
	do {                                                                                   \
		const char *got_ = result_of(c, tag, what);                                    \
		if (strcmp(got_, want)) {                                                      \
			fprintf(stderr, "%s.%s: expected %s, got \"%s\"\n%s", tag, what, want, \
				got_, (c)->out);                                               \
			fail();                                                                \
		}                                                                              \
	} while (0)

/* Runs fn in a child that must exit 0 (else its output is shown). */
static void run_ok(int (*fn)(void *), void *arg, struct child *c)
{
	assert_int_equal(run_child(fn, arg, TIMEOUT, c), 0);
	if (!c->exited || c->code)
		fprintf(stderr, "child: exited=%d code=%d sig=%d\n%s", c->exited, c->code, c->sig,
			c->out);
	assert_true(c->exited);
	assert_int_equal(c->code, 0);
}

/* The baseline, in errno mode so that every attempt returns: files
 * outside the rules and /proc/self/mem for writing are refused by
 * Landlock, the declared paths work, abstract sockets and signals to other
 * processes are refused; a pathname socket of another process is
 * reachable (Landlock up to ABI 7 does not govern connect: the residue of
 * docs/LANDLOCK.md). */
static void test_baseline_reach(void **state)
{
	struct case_arg a = { "errno", VMM_SECCOMP_ROLE_PROCESS };
	struct child *c = calloc(1, sizeof(*c));

	(void)state;
	if (skip_without_abi(6, "Landlock reach of the baseline"))
		goto out;
	run_ok(run_case, &a, c);
	EXPECT(c, "process", "read_secret", "EACCES");
	EXPECT(c, "process", "create_outside", "EACCES");
	EXPECT(c, "process", "unlink_outside", "EACCES");
	EXPECT(c, "process", "etc_passwd", "EACCES");
	if (T.have_kvm)
		EXPECT(c, "process", "dev_kvm", "EACCES");
	EXPECT(c, "process", "proc_mem_write", "EACCES");
	EXPECT(c, "process", "proc_status", "ok");
	EXPECT(c, "process", "read_ro", "ok");
	EXPECT(c, "process", "write_ro", "EACCES");
	EXPECT(c, "process", "create_rw", "ok");
	EXPECT(c, "process", "unlink_rw", "ok");
	EXPECT(c, "process", "connect_abstract_host", "EPERM");
	/* not declared: reachable up to ABI 8, refused from ABI 9 on */
	EXPECT(c, "process", "connect_pathname_host", kernel_abi() >= 9 ? "EACCES" : "ok");
	EXPECT(c, "process", "tgkill_other_process", "EPERM");
	EXPECT(c, "process", "kill_other_process", "EPERM");
	EXPECT(c, "process", "tgkill_own_thread", "ok");
	/* the secret is still there: the unlink really was refused */
	assert_int_equal(access(T.secret, F_OK), 0);
out:
	free(c);
}

/* The same with seccomp in log mode (it lets everything run): what is
 * refused now is refused by Landlock alone. */
static void test_landlock_alone(void **state)
{
	struct case_arg a = { "log", VMM_SECCOMP_ROLE_PROCESS };
	struct child *c = calloc(1, sizeof(*c));

	(void)state;
	if (skip_without_abi(6, "Landlock without seccomp's refusals"))
		goto out;
	run_ok(run_case, &a, c);
	EXPECT(c, "process", "read_secret", "EACCES");
	EXPECT(c, "process", "unlink_outside", "EACCES");
	EXPECT(c, "process", "proc_mem_write", "EACCES");
	EXPECT(c, "process", "read_ro", "ok");
	EXPECT(c, "process", "connect_abstract_host", "EPERM");
	/* seccomp logs kill(2) to another process and lets it run: the
	 * signal scope refuses it */
	EXPECT(c, "process", "kill_other_process", "EPERM");
	EXPECT(c, "process", "tgkill_other_process", "EPERM");
	EXPECT(c, "process", "tgkill_own_thread", "ok");
	assert_int_equal(access(T.secret, F_OK), 0);
out:
	free(c);
}

/* Every role: a role with no path rules of its own reaches no file, even
 * where its seccomp policy allows openat (vmm); with a rule (rw on the rw
 * directory) it reaches that and nothing else.  Whatever a role's seccomp
 * policy refuses fails with EPERM first. */
static void test_every_role_reach(void **state)
{
	enum vmm_seccomp_role r;
	struct child *c = calloc(1, sizeof(*c));

	(void)state;
	if (skip_without_abi(6, "Landlock reach of every role"))
		goto out;
	for (r = 1; r < VMM_SECCOMP_ROLE_COUNT; r++) {
		struct case_arg a = { "errno", r };
		const char *tag = vmm_seccomp_role_name(r);
		const char *open_refused = r == VMM_SECCOMP_ROLE_VMM ? "EACCES" : "EPERM";

		run_ok(run_case, &a, c);
		EXPECT(c, tag, "read_secret", open_refused);
		EXPECT(c, tag, "create_outside", open_refused);
		EXPECT(c, tag, "etc_passwd", open_refused);
		EXPECT(c, tag, "proc_mem_write", open_refused);
		/* the baseline's runtime paths are not the role's */
		EXPECT(c, tag, "proc_status", open_refused);
		EXPECT(c, tag, "read_ro", open_refused);
		EXPECT(c, tag, "create_rw", r == VMM_SECCOMP_ROLE_VMM ? "ok" : "EPERM");
		EXPECT(c, tag, "connect_abstract_host", "EPERM");
		/* only virtio_vsock connects (hybrid vsock): there a pathname
		 * socket of another process stays reachable up to ABI 8, the
		 * residue of docs/LANDLOCK.md (from ABI 9 only what its rules
		 * name); everywhere else seccomp refuses */
		EXPECT(c, tag, "connect_pathname_host",
		       r != VMM_SECCOMP_ROLE_VIRTIO_VSOCK ? "EPERM"
		       : kernel_abi() >= 9		  ? "EACCES"
							  : "ok");
		EXPECT(c, tag, "tgkill_other_process", "EPERM");
		EXPECT(c, tag, "kill_other_process", "EPERM");
		EXPECT(c, tag, "tgkill_own_thread", "ok");
		assert_int_equal(access(T.secret, F_OK), 0);
	}
out:
	free(c);
}

/* A role with no rule at all: what it may open after entering is nothing,
 * even in vmm whose seccomp policy allows openat. */
static int vmm_without_rules(void *unused)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();

	(void)unused;
	if (!ctx || vmm_seccomp_configure(ctx, "errno"))
		return 90;
	apply_or_exit(ctx);
	if (vmm_seccomp_enter_role(ctx, VMM_SECCOMP_ROLE_VMM, "vmm")) {
		fprintf(stderr, "enter: %s\n", vmm_seccomp_last_error(ctx));
		return 93;
	}
	errno = 0;
	outcome("vmm.proc_status", open_close("/proc/self/status", O_RDONLY));
	outcome("vmm.tmp", open_close("/tmp", O_RDONLY | O_DIRECTORY));
	return 0;
}

static void test_role_without_rules_opens_nothing(void **state)
{
	struct child *c = calloc(1, sizeof(*c));

	(void)state;
	if (skip_without_abi(1, "a role's empty Landlock domain"))
		goto out;
	run_ok(vmm_without_rules, NULL, c);
	EXPECT(c, "vmm", "proc_status", "EACCES");
	EXPECT(c, "vmm", "tmp", "EACCES");
out:
	free(c);
}

/* Threads that ran before apply are in the domain too (the broadcast),
 * and so are threads started after it (inherited). */
static _Atomic int go;

static void *early_thread(void *arg)
{
	while (!go)
		usleep(1000);
	try_everything(arg);
	return NULL;
}

static int threads_before_and_after(void *unused)
{
	struct vmm_seccomp *ctx = ctx_with_rules("errno", VMM_SECCOMP_ROLE_PROCESS);
	pthread_t early[3], late;
	int i;

	(void)unused;
	signal(SIGUSR2, SIG_IGN);
	for (i = 0; i < 3; i++) {
		if (pthread_create(&early[i], NULL, early_thread, (void *)"early"))
			return 95;
	}
	apply_or_exit(ctx);
	go = 1;
	for (i = 0; i < 3; i++)
		pthread_join(early[i], NULL);
	if (pthread_create(&late, NULL, early_thread, (void *)"late"))
		return 95;
	pthread_join(late, NULL);
	return 0;
}

static void test_threads_before_apply(void **state)
{
	struct child *c = calloc(1, sizeof(*c));

	(void)state;
	if (skip_without_abi(1, "threads started before apply"))
		goto out;
	run_ok(threads_before_and_after, NULL, c);
	/* three early threads and the late one each recorded its outcomes */
	assert_int_equal(count_lines_with(c->out, "early.read_secret=EACCES", NULL), 3);
	assert_int_equal(count_lines_with(c->out, "early.read_ro=ok", NULL), 3);
	assert_int_equal(count_lines_with(c->out, "early.proc_mem_write=EACCES", NULL), 3);
	assert_int_equal(count_lines_with(c->out, "late.read_secret=EACCES", NULL), 1);
	assert_int_equal(count_lines_with(c->out, "late.read_ro=ok", NULL), 1);
out:
	free(c);
}

/* A role whose filter lets no path or socket syscall run keeps the
 * process's domain (vcpu, virtio_block, ...: nothing to judge); once it can
 * open (a rule added, or log mode) it gets its own, which opens nothing. */
static void *open_status(void *tag)
{
	char what[64];

	snprintf(what, sizeof(what), "%s.proc_status", (const char *)tag);
	errno = 0;
	outcome(what, open_close("/proc/self/status", O_RDONLY));
	return NULL;
}

static int vcpu_that_opens(void *config)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	pthread_t t;

	if (!ctx || vmm_seccomp_configure(ctx, config))
		return 90;
	if (!strcmp(config, "errno") &&
	    vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_VCPU, "openat\nclose\n", "test", 0))
		return 91;
	apply_or_exit(ctx);
	fprintf(stderr, "governed vcpu=%d block=%d vmm=%d api=%d vsock=%d\n",
		ctx->governed[VMM_SECCOMP_ROLE_VCPU], ctx->governed[VMM_SECCOMP_ROLE_VIRTIO_BLOCK],
		ctx->governed[VMM_SECCOMP_ROLE_VMM], ctx->governed[VMM_SECCOMP_ROLE_API],
		ctx->governed[VMM_SECCOMP_ROLE_VIRTIO_VSOCK]);
	open_status("process");
	if (vmm_seccomp_thread_create(ctx, &t, NULL, VMM_SECCOMP_ROLE_VCPU, "vcpu", open_status,
				      (void *)"vcpu"))
		return 93;
	pthread_join(t, NULL);
	return 0;
}

static void test_role_domain_when_it_can_reach(void **state)
{
	struct child *c = calloc(1, sizeof(*c));
	struct vmm_seccomp *ctx = vmm_seccomp_new();

	(void)state;
	/* the built-in roles, as compiled (prebuilt or not); under valgrind
	 * every layer also holds valgrind's own syscalls, open among them */
	assert_non_null(ctx);
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	if (ctx->under_valgrind) {
		vmm_seccomp_free(ctx);
		fprintf(stderr, "SKIP which roles get a domain: under valgrind every layer "
				"allows valgrind's own file syscalls\n");
		goto out;
	}
	assert_false(ctx->governed[VMM_SECCOMP_ROLE_VCPU]);
	assert_false(ctx->governed[VMM_SECCOMP_ROLE_VIRTIO_BLOCK]);
	assert_false(ctx->governed[VMM_SECCOMP_ROLE_VIRTIO_RNG]);
	assert_true(ctx->governed[VMM_SECCOMP_ROLE_PROCESS]);
	assert_true(ctx->governed[VMM_SECCOMP_ROLE_VMM]);
	assert_true(ctx->governed[VMM_SECCOMP_ROLE_API]); /* sendto, sendmsg */
	assert_true(ctx->governed[VMM_SECCOMP_ROLE_VIRTIO_VSOCK]);
	/* the vhost-user frontends and the runtime's workers send messages
	 * (sendmsg, sendto); the others reach no path or address */
	assert_true(ctx->governed[VMM_SECCOMP_ROLE_VIRTIO_FS]);
	assert_true(ctx->governed[VMM_SECCOMP_ROLE_VHOST_USER]);
	assert_true(ctx->governed[VMM_SECCOMP_ROLE_RUNTIME]);
	assert_false(ctx->governed[VMM_SECCOMP_ROLE_VIRTIO_BALLOON]);
	assert_false(ctx->governed[VMM_SECCOMP_ROLE_IO_WORKER]);
	assert_false(ctx->governed[VMM_SECCOMP_ROLE_SIGNAL_HANDLER]);
	vmm_seccomp_free(ctx);
	if (skip_without_abi(1, "a role's own domain once it can open"))
		goto out;
	/* vcpu allowed to open: its own domain refuses what the process's
	 * allows */
	run_ok(vcpu_that_opens, (void *)"errno", c);
	assert_int_equal(count_lines_with(c->out, "governed vcpu=1 block=0 vmm=1", NULL), 1);
	EXPECT(c, "process", "proc_status", "ok");
	EXPECT(c, "vcpu", "proc_status", "EACCES");
	/* vcpu in log mode: its filter lets openat run, logged; the domain
	 * refuses it */
	run_ok(vcpu_that_opens, (void *)"enforce,vcpu=log", c);
	assert_int_equal(count_lines_with(c->out, "governed vcpu=0", NULL), 1);
	EXPECT(c, "vcpu", "proc_status", "EACCES");
out:
	free(c);
}

/* A process whose VM has run a vCPU has KVM's NX huge page recovery
 * worker among its threads: a kernel worker that takes no signals and runs
 * no user code.  Apply passes it over, as TSYNC does, and succeeds. */
static int threads_of_process(void)
{
	DIR *d = opendir("/proc/self/task");
	const struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int with_kvm_worker(void *unused)
{
	struct vmm_seccomp *ctx = ctx_with_rules("errno", VMM_SECCOMP_ROLE_PROCESS);
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, vcpu;
	long size;

	(void)unused;
	if (kvm < 0 || (vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0 ||
	    (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0 ||
	    (size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0 ||
	    mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0) == MAP_FAILED)
		return 95;
	/* the first KVM_RUN starts the worker, whether or not the vCPU runs */
	(void)ioctl(vcpu, KVM_RUN, 0);
	fprintf(stderr, "threads=%d\n", threads_of_process());
	apply_or_exit(ctx);
	outcome("after.read_secret", open_close(T.secret, O_RDONLY));
	return 0;
}

static void test_kernel_worker_threads(void **state)
{
	struct child *c = calloc(1, sizeof(*c));

	(void)state;
	if (skip_without_abi(1, "KVM's worker thread"))
		goto out;
	if (!T.have_kvm) {
		fprintf(stderr, "SKIP KVM's worker thread: /dev/kvm absent\n");
		goto out;
	}
#ifndef __x86_64__
	/* the NX huge page recovery worker is x86 KVM's (an iTLB multihit
	 * mitigation); arm64 KVM starts no thread in the process */
	fprintf(stderr, "SKIP KVM's worker thread: only x86 KVM has one\n");
	goto out;
#endif
	run_ok(with_kvm_worker, NULL, c);
	/* the worker was there: the case tests what it says */
	assert_int_equal(count_lines_with(c->out, "threads=2", NULL), 1);
	EXPECT(c, "after", "read_secret", "EACCES");
out:
	free(c);
}

/* A thread that blocks every signal cannot be reached: apply fails,
 * naming it, and installs nothing (no filter, no domain). */
static void *blocking_thread(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!go)
		usleep(1000);
	return NULL;
}

static int unreachable_thread(void *unused)
{
	struct vmm_seccomp *ctx = ctx_with_rules(NULL, VMM_SECCOMP_ROLE_PROCESS);
	pthread_t t;
	int mode = -1, filters = -1, rc;

	(void)unused;
	if (pthread_create(&t, NULL, blocking_thread, NULL))
		return 95;
	pthread_setname_np(t, "muted");
	usleep(20000);
	rc = vmm_seccomp_apply_process(ctx);
	fprintf(stderr, "apply=%d: %s\n", rc, vmm_seccomp_last_error(ctx));
	go = 1;
	pthread_join(t, NULL);
	if (seccomp_status(0, &mode, &filters))
		return 96;
	fprintf(stderr, "seccomp mode=%d filters=%d\n", mode, filters);
	outcome("after.read_secret", open_close(T.secret, O_RDONLY));
	return rc == -EBUSY ? 0 : 97;
}

static void test_unreachable_thread_installs_nothing(void **state)
{
	struct child *c = calloc(1, sizeof(*c));

	(void)state;
	if (skip_without_abi(1, "an unreachable thread"))
		goto out;
	run_ok(unreachable_thread, NULL, c);
	assert_int_equal(
		count_lines_with(c->out, "apply=-16", "(muted)", "nothing was installed", NULL), 1);
	assert_int_equal(count_lines_with(c->out, "seccomp mode=0 filters=0", NULL), 1);
	EXPECT(c, "after", "read_secret", "ok");
out:
	free(c);
}

/* Bad rules: an error naming the rule, nothing added; a path that is gone
 * by apply time fails apply, and nothing is installed. */
static int bad_rules(void *unused)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	char path[160], rule[200];
	int mode = -1, filters = -1, rc;

	(void)unused;
	if (!ctx)
		return 90;
#define BAD(call, err, words)                                                \
	do {                                                                 \
		rc = (call);                                                 \
		fprintf(stderr, "bad rc=%d want=%d words=%d: %s\n", rc, err, \
			strstr(vmm_seccomp_last_error(ctx), words) != NULL,  \
			vmm_seccomp_last_error(ctx));                        \
	} while (0)
	BAD(vmm_seccomp_add_path_rule(ctx, VMM_SECCOMP_ROLE_PROCESS, "/no/such/dir:ro"), -ENOENT,
	    "/no/such/dir");
	snprintf(rule, sizeof(rule), "%s:rx", T.ro);
	BAD(vmm_seccomp_add_path_rule(ctx, VMM_SECCOMP_ROLE_PROCESS, rule), -EINVAL, "\"rx\"");
	snprintf(rule, sizeof(rule), "%s:read+", T.ro);
	BAD(vmm_seccomp_add_path_rule(ctx, VMM_SECCOMP_ROLE_PROCESS, rule), -EINVAL, "'+'");
	BAD(vmm_seccomp_add_path_rule(ctx, VMM_SECCOMP_ROLE_PROCESS, "relative/dir:ro"), -EINVAL,
	    "absolute");
	BAD(vmm_seccomp_add_path_rule(ctx, VMM_SECCOMP_ROLE_PROCESS, T.ro), -EINVAL, "PATH:ACCESS");
	snprintf(rule, sizeof(rule), "%s:create", T.ro_file);
	BAD(vmm_seccomp_add_path_rule(ctx, VMM_SECCOMP_ROLE_PROCESS, rule), -EINVAL,
	    "directories only");
	BAD(vmm_seccomp_allow_path(ctx, VMM_SECCOMP_ROLE_PROCESS, T.ro, 0x100), -EINVAL, "0x100");
	BAD(vmm_seccomp_allow_path(ctx, VMM_SECCOMP_ROLE_VCPU, T.outside, VMM_SECCOMP_PATH_READ),
	    -EPERM, "narrow");
	BAD(vmm_seccomp_set_landlock(ctx, (enum vmm_seccomp_landlock)7), -EINVAL, "range");
#undef BAD
	snprintf(rule, sizeof(rule), "%s:read+connect", T.ro);
	fprintf(stderr, "connect rc=%d\n",
		vmm_seccomp_add_path_rule(ctx, VMM_SECCOMP_ROLE_PROCESS, rule));
	/* "rw" on a file is what a file can have of it */
	snprintf(rule, sizeof(rule), "%s:rw", T.ro_file);
	fprintf(stderr, "file rw rc=%d\n",
		vmm_seccomp_add_path_rule(ctx, VMM_SECCOMP_ROLE_PROCESS, rule));
	/* a path that exists now and not at apply time */
	snprintf(path, sizeof(path), "%s/vanishing", T.rw);
	if (mkdir(path, 0755) ||
	    vmm_seccomp_allow_path(ctx, VMM_SECCOMP_ROLE_PROCESS, path, VMM_SECCOMP_PATH_RO))
		return 91;
	rmdir(path);
	rc = vmm_seccomp_apply_process(ctx);
	fprintf(stderr, "apply=%d: %s\n", rc, vmm_seccomp_last_error(ctx));
	if (seccomp_status(0, &mode, &filters))
		return 96;
	fprintf(stderr, "seccomp mode=%d filters=%d\n", mode, filters);
	outcome("after.read_secret", open_close(T.secret, O_RDONLY));
	return 0;
}

static void test_bad_rules(void **state)
{
	struct child *c = calloc(1, sizeof(*c));
	int want[][2] = { { -ENOENT, 1 }, { -EINVAL, 7 }, { -EPERM, 1 } };
	char line[64];
	size_t i;

	(void)state;
	run_ok(bad_rules, NULL, c);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(line, sizeof(line), "bad rc=%d want=%d words=1:", want[i][0], want[i][0]);
		if (count_lines_with(c->out, line, NULL) != want[i][1]) {
			fprintf(stderr, "expected %d lines \"%s\" in:\n%s", want[i][1], line,
				c->out);
			fail();
		}
	}
	assert_int_equal(count_lines_with(c->out, "bad rc=", NULL), 9);
	assert_int_equal(count_lines_with(c->out, "file rw rc=0", NULL), 1);
	assert_int_equal(count_lines_with(c->out, "connect rc=0", NULL), 1);
	if (kernel_abi() > 0 && !on_valgrind()) {
		assert_int_equal(count_lines_with(c->out, "apply=-2:", "vanishing",
						  "nothing was installed", NULL),
				 1);
		assert_int_equal(count_lines_with(c->out, "seccomp mode=0 filters=0", NULL), 1);
		EXPECT(c, "after", "read_secret", "ok");
	} else {
		fprintf(stderr, "SKIP the apply half: no Landlock here\n");
	}
	free(c);
}

/* What apply reports, and the requirement: without Landlock on the kernel
 * REQUIRE fails and IF_AVAILABLE runs (here: the kernel has it, so both
 * enforce, and OFF does not). */
static int status_line(void *p)
{
	const enum vmm_seccomp_landlock *want = p;
	struct vmm_seccomp *ctx = ctx_with_rules(NULL, VMM_SECCOMP_ROLE_PROCESS);
	struct vmm_seccomp_landlock_info info;
	char line[512];

	if (vmm_seccomp_set_landlock(ctx, *want))
		return 91;
	apply_or_exit(ctx);
	vmm_seccomp_landlock_status(ctx, &info, line, sizeof(line));
	fprintf(stderr, "%s\nenforced=%d abi=%d\n", line, info.enforced, info.abi);
	outcome("after.read_secret", open_close(T.secret, O_RDONLY));
	return 0;
}

static void test_requirement_and_status(void **state)
{
	enum vmm_seccomp_landlock modes[] = { VMM_SECCOMP_LANDLOCK_REQUIRE,
					      VMM_SECCOMP_LANDLOCK_IF_AVAILABLE,
					      VMM_SECCOMP_LANDLOCK_OFF };
	struct child *c = calloc(1, sizeof(*c));
	char want[64];
	size_t i;

	(void)state;
	if (skip_without_abi(1, "the Landlock status"))
		goto out;
	for (i = 0; i < 3; i++) {
		bool on = modes[i] != VMM_SECCOMP_LANDLOCK_OFF;

		run_ok(status_line, &modes[i], c);
		snprintf(want, sizeof(want), "enforced=%d abi=%d", on, kernel_abi());
		assert_int_equal(count_lines_with(c->out, want, NULL), 1);
		assert_int_equal(count_lines_with(c->out, "landlock: abi ",
						  on ? ", enforced, fs " : "off (", NULL),
				 1);
		if (on && kernel_abi() >= 6)
			assert_int_equal(count_lines_with(c->out, "read_file",
							  "scopes abstract_unix_socket+signal",
							  NULL),
					 1);
		EXPECT(c, "after", "read_secret", on ? "EACCES" : "ok");
	}
out:
	free(c);
}

/* Best effort, stated exactly: on a kernel with an older ABI (or none)
 * apply enforces what that ABI has and says so; without Landlock REQUIRE
 * fails with nothing installed and IF_AVAILABLE runs unconfined, saying
 * so.  The kernel here has ABI 6 or later; older kernels are the same
 * kernel asked for fewer rights (ctx->ll.test_abi). */
struct older {
	int abi;
	enum vmm_seccomp_landlock want;
};

static int on_older_abi(void *p)
{
	const struct older *o = p;
	struct vmm_seccomp *ctx = ctx_with_rules("errno", VMM_SECCOMP_ROLE_PROCESS);
	char line[512];
	int rc, mode = -1, filters = -1;

	ctx->ll.test_abi = o->abi;
	if (vmm_seccomp_set_landlock(ctx, o->want))
		return 91;
	rc = vmm_seccomp_apply_process(ctx);
	fprintf(stderr, "apply=%d: %s\n", rc, rc ? vmm_seccomp_last_error(ctx) : "");
	vmm_seccomp_landlock_status(ctx, NULL, line, sizeof(line));
	if (seccomp_status(0, &mode, &filters))
		return 96;
	fprintf(stderr, "%s\nseccomp mode=%d\n", line, mode);
	outcome("after.read_secret", open_close(T.secret, O_RDONLY));
	outcome("after.connect_abstract_host", connect_to(T.abstract, true));
	return 0;
}

static void test_older_kernels(void **state)
{
	struct older none_req = { 0, VMM_SECCOMP_LANDLOCK_REQUIRE };
	struct older none_opt = { 0, VMM_SECCOMP_LANDLOCK_IF_AVAILABLE };
	struct older abi3 = { 3, VMM_SECCOMP_LANDLOCK_REQUIRE };
	struct child *c = calloc(1, sizeof(*c));

	(void)state;
	if (skip_without_abi(6, "older Landlock ABIs"))
		goto out;
	run_ok(on_older_abi, &none_req, c);
	assert_int_equal(count_lines_with(c->out, "apply=-95:", "has no Landlock",
					  "VMM_SECCOMP_LANDLOCK_IF_AVAILABLE",
					  "nothing was installed", NULL),
			 1);
	assert_int_equal(count_lines_with(c->out, "seccomp mode=0", NULL), 1);
	EXPECT(c, "after", "read_secret", "ok");

	run_ok(on_older_abi, &none_opt, c);
	assert_int_equal(count_lines_with(c->out, "apply=0:", NULL), 1);
	assert_int_equal(count_lines_with(c->out,
					  "landlock: abi 0, not enforced: the kernel has no "
					  "Landlock, fs none, net none, scopes none",
					  NULL),
			 1);
	assert_int_equal(count_lines_with(c->out, "seccomp mode=2", NULL), 1);
	EXPECT(c, "after", "read_secret", "ok");

	run_ok(on_older_abi, &abi3, c);
	assert_int_equal(count_lines_with(c->out, "apply=0:", NULL), 1);
	assert_int_equal(count_lines_with(c->out, "landlock: abi 3, enforced, fs ",
					  "+refer+truncate, net none, scopes none", NULL),
			 1);
	assert_int_equal(count_lines_with(c->out, "ioctl_dev", NULL), 0);
	EXPECT(c, "after", "read_secret", "EACCES");
	/* ABI 3 has no scopes: the abstract socket is reachable, as reported */
	EXPECT(c, "after", "connect_abstract_host", "ok");

	/* ABI 9 (Linux 7.1) adds connecting to pathname sockets as a path
	 * right: handled, granted by "connect".  This kernel is older, so only
	 * what the library would ask for is checked, not the kernel's answer. */
	{
		struct vmm_seccomp *ctx = vmm_seccomp_new();
		char line[600];

		assert_non_null(ctx);
		ctx->ll.test_abi = 9;
		vmm_seccomp_landlock_status(ctx, NULL, line, sizeof(line));
		assert_non_null(strstr(line, "landlock: abi 9, "));
		assert_non_null(strstr(line, "+ioctl_dev+resolve_unix, net "));
		vmm_seccomp_free(ctx);
	}
out:
	free(c);
}

/* $pid is filled in at apply time: a context compiled by this process and
 * applied by a forked child lets the child signal its own threads, and
 * refuses signals to this process (seccomp alone: Landlock off). */
static struct vmm_seccomp *compiled_by_parent;

static int apply_compiled(void *unused)
{
	pid_t parent = getppid();

	(void)unused;
	apply_or_exit(compiled_by_parent);
	outcome("child.tgkill_own_thread",
		syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2));
	outcome("child.tgkill_compiler", syscall(SYS_tgkill, parent, parent, SIGUSR2));
	return 0;
}

static void test_pid_filled_at_apply(void **state)
{
	struct child *c = calloc(1, sizeof(*c));
	void (*old)(int);

	(void)state;
	if (skip_reported_violation_on_valgrind()) {
		free(c);
		return;
	}
	old = signal(SIGUSR2, SIG_IGN);
	compiled_by_parent = vmm_seccomp_new();
	assert_non_null(compiled_by_parent);
	assert_int_equal(vmm_seccomp_configure(compiled_by_parent, "errno"), 0);
	assert_int_equal(vmm_seccomp_set_landlock(compiled_by_parent, VMM_SECCOMP_LANDLOCK_OFF), 0);
	assert_int_equal(vmm_seccomp_compile(compiled_by_parent), 0);
	run_ok(apply_compiled, NULL, c);
	EXPECT(c, "child", "tgkill_own_thread", "ok");
	EXPECT(c, "child", "tgkill_compiler", "EPERM");
	assert_int_equal(count_lines_with(c->out, "syscall=tgkill", NULL), 1);
	vmm_seccomp_free(compiled_by_parent);
	signal(SIGUSR2, old);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baseline_reach),
		cmocka_unit_test(test_landlock_alone),
		cmocka_unit_test(test_every_role_reach),
		cmocka_unit_test(test_role_without_rules_opens_nothing),
		cmocka_unit_test(test_role_domain_when_it_can_reach),
		cmocka_unit_test(test_threads_before_apply),
		cmocka_unit_test(test_unreachable_thread_installs_nothing),
		cmocka_unit_test(test_kernel_worker_threads),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_requirement_and_status),
		cmocka_unit_test(test_older_kernels),
		cmocka_unit_test(test_pid_filled_at_apply),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
