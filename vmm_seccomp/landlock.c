/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Landlock: the paths, sockets and signal targets seccomp cannot judge.
 * The only code that calls the landlock_* syscalls.
 *
 * Staging (memory and a probe of the kernel's ABI): rules are checked when
 * added and when compiled.  Commit (apply): the rulesets are built (every
 * path opened again), then every thread of the process is put into the
 * process domain.  landlock_restrict_self() acts on the calling thread
 * only, and kernels up to ABI 7 have no flag to synchronise the others, so
 * apply reaches them as glibc's setxid does: a real-time signal to every
 * other thread, whose handler parks until all have arrived.  While all are
 * parked no thread can start another, and the seccomp baseline goes in
 * (TSYNC); only then do they restrict themselves.  A thread that does not
 * arrive (it blocks the signal) makes apply fail with nothing installed.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * The kernel's UAPI (include/uapi/linux/landlock.h), spelled here: the
 * headers of the distributions we build on stop at older ABIs.
 */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1

#define LL_FS_EXECUTE (1ull << 0)
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_READ_FILE (1ull << 2)
#define LL_FS_READ_DIR (1ull << 3)
#define LL_FS_REMOVE_DIR (1ull << 4)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_CHAR (1ull << 6)
#define LL_FS_MAKE_DIR (1ull << 7)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_MAKE_SOCK (1ull << 9)
#define LL_FS_MAKE_FIFO (1ull << 10)
#define LL_FS_MAKE_BLOCK (1ull << 11)
#define LL_FS_MAKE_SYM (1ull << 12)
#define LL_FS_REFER (1ull << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE (1ull << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV (1ull << 15)	/* ABI 5 */
#define LL_FS_RESOLVE_UNIX (1ull << 16) /* ABI 9 (Linux 7.1): connect to pathname sockets */
#define LL_NET_BIND_TCP (1ull << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ull << 1)
#define LL_AUDIT_ABI 7 /* denials are audited (logging flags of restrict_self) */

/* Rights that apply to a file that is not a directory. */
#define LL_FS_FILE_RIGHTS                                                                        \
	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV | \
	 LL_FS_RESOLVE_UNIX)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

static const char *const fs_right_names[] = {
	"execute",   "write_file", "read_file", "read_dir",  "remove_dir",   "remove_file",
	"make_char", "make_dir",   "make_reg",	"make_sock", "make_fifo",    "make_block",
	"make_sym",  "refer",	   "truncate",	"ioctl_dev", "resolve_unix",
};
static const char *const net_right_names[] = { "bind_tcp", "connect_tcp" };
static const char *const scope_names[] = { "abstract_unix_socket", "signal" };

/*
 * What glibc and Rust's std read after start-up in any thread (a missing
 * one is skipped): every process also gets these, read-only, unless the
 * embedder replaces them.
 */
static const struct {
	const char *path;
	unsigned int access;
	const char *why;
} runtime_paths[] = {
	/* pthread_getattr_np() (Rust's std, for the main thread's guard page)
	 * reads /proc/self/maps; reports and profilers read comm, status.
	 * Read-only: writing /proc/self/mem would bypass page protections. */
	{ "/proc/self", VMM_SECCOMP_PATH_READ, "the process's own /proc entries" },
	/* sysconf(_SC_NPROCESSORS_ONLN), Rust's available_parallelism() */
	{ "/sys/devices/system/cpu", VMM_SECCOMP_PATH_READ, "CPU counts" },
	/* ... and its cgroup CPU quota */
	{ "/sys/fs/cgroup", VMM_SECCOMP_PATH_READ, "cgroup CPU quota" },
	{ "/dev/null", VMM_SECCOMP_PATH_READ | VMM_SECCOMP_PATH_WRITE, "discarding output" },
	{ "/dev/urandom", VMM_SECCOMP_PATH_READ, "randomness where getrandom(2) is not used" },
};

/* The kernel's Landlock ABI, or 0.  Under valgrind, 0: it does not know
 * the landlock syscalls (docs/VALGRIND.md). */
static int probe_abi(const struct vmm_seccomp *ctx)
{
	long abi;

	if (ctx->under_valgrind || running_on_valgrind())
		return 0;
	if (ctx->ll.test_abi >= 0)
		return ctx->ll.test_abi;
	abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	return abi > 0 ? (int)abi : 0;
}

/* What a domain handles on a kernel of ABI `abi`. */
static void handled_for(int abi, uint64_t *fs, uint64_t *net, uint64_t *scopes)
{
	*fs = *net = *scopes = 0;
	if (abi >= 1)
		*fs = (LL_FS_MAKE_SYM << 1) - 1;
	if (abi >= 2)
		*fs |= LL_FS_REFER;
	if (abi >= 3)
		*fs |= LL_FS_TRUNCATE;
	if (abi >= 4)
		*net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 5)
		*fs |= LL_FS_IOCTL_DEV;
	if (abi >= 6)
		*scopes = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	if (abi >= 9)
		*fs |= LL_FS_RESOLVE_UNIX;
}

/* The kernel's ABI, and what a domain handles on it, into the context. */
static void probe(struct vmm_seccomp *ctx)
{
	ctx->ll.abi = probe_abi(ctx);
	handled_for(ctx->ll.abi, &ctx->ll.fs, &ctx->ll.net, &ctx->ll.scopes);
}

/* The Landlock rights of an access (VMM_SECCOMP_PATH_*).  Never execute
 * (seccomp refuses execve anyway), never device nodes. */
static uint64_t fs_rights_of(unsigned int access)
{
	uint64_t r = 0;

	if (access & VMM_SECCOMP_PATH_READ)
		r |= LL_FS_READ_FILE | LL_FS_READ_DIR;
	if (access & VMM_SECCOMP_PATH_WRITE)
		r |= LL_FS_WRITE_FILE | LL_FS_TRUNCATE;
	if (access & VMM_SECCOMP_PATH_CREATE)
		r |= LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | LL_FS_MAKE_REG |
		     LL_FS_MAKE_FIFO | LL_FS_MAKE_SYM | LL_FS_REFER;
	if (access & VMM_SECCOMP_PATH_SOCKET)
		r |= LL_FS_MAKE_SOCK;
	if (access & VMM_SECCOMP_PATH_DEVICE)
		r |= LL_FS_IOCTL_DEV;
	if (access & VMM_SECCOMP_PATH_CONNECT)
		r |= LL_FS_RESOLVE_UNIX;
	return r;
}

#define DIR_ONLY_ACCESS (VMM_SECCOMP_PATH_CREATE | VMM_SECCOMP_PATH_SOCKET)

static const struct {
	const char *name;
	unsigned int access;
} access_names[] = {
	{ "ro", VMM_SECCOMP_PATH_RO },	       { "rw", VMM_SECCOMP_PATH_RW },
	{ "read", VMM_SECCOMP_PATH_READ },     { "write", VMM_SECCOMP_PATH_WRITE },
	{ "create", VMM_SECCOMP_PATH_CREATE }, { "socket", VMM_SECCOMP_PATH_SOCKET },
	{ "device", VMM_SECCOMP_PATH_DEVICE }, { "connect", VMM_SECCOMP_PATH_CONNECT },
};

/* Writes access bits as rule text ("read+write"); returns buf. */
static const char *access_text(unsigned int access, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	if (access == VMM_SECCOMP_PATH_RW)
		return snprintf(buf, len, "rw"), buf;
	for (i = 2; i < sizeof(access_names) / sizeof(access_names[0]); i++) {
		if (access & access_names[i].access)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "+" : "",
					      access_names[i].name);
	}
	return buf;
}

int vmm_seccomp_set_landlock(struct vmm_seccomp *ctx, enum vmm_seccomp_landlock landlock)
{
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	if ((unsigned int)landlock > VMM_SECCOMP_LANDLOCK_OFF)
		return ctx_fail(ctx, -EINVAL, "Landlock requirement %d out of range",
				(int)landlock);
	ctx->ll.want = landlock;
	return 0;
}

/* Whether `path` is `base` or lies beneath it (both canonical). */
static bool path_within(const char *path, const char *base)
{
	size_t n = strlen(base);

	if (n == 1 && base[0] == '/')
		return true;
	return strncmp(path, base, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The canonical form of a rule's path, in buf (the path itself if it
 * cannot be resolved: the error comes when it is opened). */
static const char *canonical(const char *path, char *buf)
{
	return realpath(path, buf) ? buf : path;
}

/* The access the baseline's rules give at `path` (0 if none covers it). */
static unsigned int baseline_access_at(const struct vmm_seccomp *ctx, const char *path)
{
	const struct ll_layer *B = &ctx->ll.layer[VMM_SECCOMP_ROLE_PROCESS];
	char want[PATH_MAX], have[PATH_MAX];
	unsigned int access = 0;
	size_t i;

	canonical(path, want);
	for (i = 0; i < sizeof(runtime_paths) / sizeof(runtime_paths[0]); i++) {
		if (path_within(want, canonical(runtime_paths[i].path, have)))
			access |= runtime_paths[i].access;
	}
	for (i = 0; i < B->n; i++) {
		if (path_within(want, canonical(B->rules[i].path, have)))
			access |= B->rules[i].access;
	}
	return access;
}

/* -EPERM, naming the rule, if a role's rule reaches beyond the baseline. */
static int check_within_baseline(struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
				 const char *path, unsigned int access)
{
	unsigned int base = baseline_access_at(ctx, path);
	char a[64], b[64];

	if (role == VMM_SECCOMP_ROLE_PROCESS || (access & ~base) == 0)
		return 0;
	return ctx_fail(ctx, -EPERM,
			"landlock rule %s:%s for role %s: the baseline gives it %s%s; a role "
			"can only narrow the baseline (add the path to the baseline first)",
			path, access_text(access, a, sizeof(a)), role_name(ctx, role),
			base ? "only " : "", base ? access_text(base, b, sizeof(b)) : "no access");
}

int vmm_seccomp_allow_path(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, const char *path,
			   unsigned int access)
{
	struct ll_layer *L;
	struct stat st;
	char *copy;
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	if (!role_valid(ctx, role))
		return ctx_fail(ctx, -EINVAL, "role %d is not a role of this context", (int)role);
	if (!path || path[0] != '/')
		return ctx_fail(ctx, -EINVAL, "landlock rule \"%s\": the path must be absolute",
				path ? path : "(null)");
	if (!access || (access & ~VMM_SECCOMP_PATH_RW))
		return ctx_fail(ctx, -EINVAL,
				"landlock rule %s: access 0x%x is not a set of VMM_SECCOMP_PATH_*",
				path, access);
	if (stat(path, &st))
		return ctx_fail(ctx, -errno, "landlock rule %s: %s", path, strerror(errno));
	/* "rw" on a file: what a file can have of it */
	if (!S_ISDIR(st.st_mode) && access == VMM_SECCOMP_PATH_RW)
		access &= ~DIR_ONLY_ACCESS;
	if (!S_ISDIR(st.st_mode) && (access & DIR_ONLY_ACCESS))
		return ctx_fail(ctx, -EINVAL,
				"landlock rule %s: create and socket apply to directories only, "
				"and %s is not one",
				path, path);
	rc = check_within_baseline(ctx, role, path, access);
	if (rc)
		return rc;
	L = &ctx->ll.layer[role];
	if (L->n == L->cap) {
		size_t cap = L->cap ? 2 * L->cap : 8;
		struct ll_rule *r = realloc(L->rules, cap * sizeof(*r));

		if (!r)
			return ctx_fail(ctx, -ENOMEM, "out of memory");
		L->rules = r;
		L->cap = cap;
	}
	copy = strdup(path);
	if (!copy)
		return ctx_fail(ctx, -ENOMEM, "out of memory");
	L->rules[L->n].path = copy;
	L->rules[L->n].access = access;
	L->n++;
	return 0;
}

/* The access named by `s` (len bytes): "ro", "rw" or names joined by '+'. */
static int parse_access(struct vmm_seccomp *ctx, const char *rule, const char *s, unsigned int *out)
{
	*out = 0;
	while (*s) {
		size_t n = strcspn(s, "+"), i;

		for (i = 0; i < sizeof(access_names) / sizeof(access_names[0]); i++) {
			if (strlen(access_names[i].name) == n &&
			    !strncmp(s, access_names[i].name, n))
				break;
		}
		if (i == sizeof(access_names) / sizeof(access_names[0]))
			return ctx_fail(
				ctx, -EINVAL,
				"landlock rule \"%s\": unknown access \"%.*s\" (ro, rw, "
				"or read, write, create, socket, device, connect joined by '+')",
				rule, (int)n, s);
		*out |= access_names[i].access;
		s += n;
		if (*s == '+') {
			s++;
			if (!*s)
				return ctx_fail(ctx, -EINVAL,
						"landlock rule \"%s\": access ends in '+'", rule);
		}
	}
	return 0;
}

int vmm_seccomp_add_path_rule(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, const char *rule)
{
	const char *colon;
	char path[PATH_MAX];
	unsigned int access;
	int rc = ctx_check_configurable(ctx);

	if (rc)
		return rc;
	if (!rule)
		return ctx_fail(ctx, -EINVAL, "no landlock rule");
	colon = strrchr(rule, ':');
	if (!colon || colon == rule || !colon[1])
		return ctx_fail(ctx, -EINVAL,
				"landlock rule \"%s\": expected PATH:ACCESS (ACCESS ro or rw)",
				rule);
	if ((size_t)(colon - rule) >= sizeof(path))
		return ctx_fail(ctx, -EINVAL, "landlock rule \"%.40s...\": the path is too long",
				rule);
	rc = parse_access(ctx, rule, colon + 1, &access);
	if (rc)
		return rc;
	memcpy(path, rule, (size_t)(colon - rule));
	path[colon - rule] = '\0';
	return vmm_seccomp_allow_path(ctx, role, path, access);
}

void landlock_init(struct vmm_seccomp *ctx)
{
	size_t r;

	ctx->ll.want = VMM_SECCOMP_LANDLOCK_REQUIRE;
	ctx->ll.abi = -1;
	ctx->ll.test_abi = -1;
	for (r = 0; r < VMM_SECCOMP_ROLE_MAX; r++)
		ctx->ll.layer[r].fd = -1;
	ctx->ll.empty_fd = -1;
}

/* Roles without rules share one ruleset (each entry still makes a domain
 * of its own): closed once. */
static void close_rulesets(struct vmm_seccomp *ctx)
{
	size_t r;

	for (r = 0; r < ctx->n_roles; r++) {
		if (ctx->ll.layer[r].fd >= 0 && ctx->ll.layer[r].fd != ctx->ll.empty_fd)
			close(ctx->ll.layer[r].fd);
		ctx->ll.layer[r].fd = -1;
	}
	if (ctx->ll.empty_fd >= 0)
		close(ctx->ll.empty_fd);
	ctx->ll.empty_fd = -1;
}

void landlock_release(struct vmm_seccomp *ctx)
{
	size_t r, i;

	for (r = 0; r < ctx->n_roles; r++) {
		struct ll_layer *L = &ctx->ll.layer[r];

		for (i = 0; i < L->n; i++)
			free(L->rules[i].path);
		free(L->rules);
		L->rules = NULL;
		L->n = L->cap = 0;
	}
	close_rulesets(ctx);
}

/*
 * The syscalls whose target Landlock judges by path or by socket: opening
 * and creating, removing, renaming and linking entries, executing,
 * binding, connecting and sending to an address.  A role whose filter lets
 * none of them run reaches nothing more than the process's domain it
 * inherits lets it, so it gets no domain of its own (one syscall less on
 * entry).  Signals need none either: the process's domain scopes them.
 */
static const char *const governed_syscalls[] = {
	"open",	     "openat",	"openat2", "creat",    "truncate",  "mkdir",	"mkdirat",
	"mknod",     "mknodat", "unlink",  "unlinkat", "rmdir",	    "rename",	"renameat",
	"renameat2", "link",	"linkat",  "symlink",  "symlinkat", "execve",	"execveat",
	"uselib",    "bind",	"connect", "sendto",   "sendmsg",   "sendmmsg", NULL,
};

void landlock_governed_set(struct vmm_seccomp *ctx, uint64_t set[NR_TABLE_SIZE / 64])
{
	size_t i;

	memset(set, 0, NR_TABLE_SIZE / 8);
	for (i = 0; governed_syscalls[i]; i++) {
		int nr = resolve_ctx_syscall(ctx, governed_syscalls[i]);

		if (nr >= 0 && nr < NR_TABLE_SIZE)
			set[nr / 64] |= 1ULL << (nr % 64);
	}
}

/* Whether a layer gets a domain of its own at apply time. */
static bool layer_wants_domain(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	const struct layer *L = &ctx->layer[role];

	if (ctx->ll.want == VMM_SECCOMP_LANDLOCK_OFF || L->mode == VMM_SECCOMP_MODE_OFF)
		return false;
	/* a role that can reach nothing its inherited domain does not judge
	 * (in log mode its filter lets everything run) */
	return role == VMM_SECCOMP_ROLE_PROCESS || ctx->ll.layer[role].n || ctx->governed[role] ||
	       L->mode == VMM_SECCOMP_MODE_LOG;
}

int landlock_compile(struct vmm_seccomp *ctx)
{
	enum vmm_seccomp_role r;
	size_t i;
	int rc;

	probe(ctx);
	/* roles were checked as they were added; the baseline may have
	 * grown since, never shrunk, but say it again for any order */
	for (r = 1; r < ctx->n_roles; r++) {
		for (i = 0; i < ctx->ll.layer[r].n; i++) {
			rc = check_within_baseline(ctx, r, ctx->ll.layer[r].rules[i].path,
						   ctx->ll.layer[r].rules[i].access);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* The rights a rule gives on this kernel, at a directory or a file. */
static uint64_t rights_at(const struct vmm_seccomp *ctx, bool dir, unsigned int access)
{
	return fs_rights_of(access) & ctx->ll.fs & (dir ? ~0ull : LL_FS_FILE_RIGHTS);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Adds one path rule to ruleset `fd`; `builtin` rules may be missing. */
static int add_path(struct vmm_seccomp *ctx, int fd, const char *path, unsigned int access,
		    bool builtin)
{
	struct ll_path_beneath_attr pb;
	struct stat st;
	char a[64];
	int pfd = open(path, O_PATH | O_CLOEXEC);
	int rc = 0;

	if (pfd < 0) {
		if (builtin)
			return 0;
		return ctx_fail(ctx, -errno, "landlock rule %s:%s: %s: nothing was installed", path,
				access_text(access, a, sizeof(a)), strerror(errno));
	}
	pb.allowed_access = rights_at(ctx, fstat(pfd, &st) == 0 && S_ISDIR(st.st_mode), access);
	pb.parent_fd = pfd;
	if (pb.allowed_access &&
	    syscall(__NR_landlock_add_rule, fd, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
		rc = ctx_fail(ctx, -errno,
			      "landlock rule %s:%s: the kernel refused it (%s): nothing was "
			      "installed",
			      path, access_text(access, a, sizeof(a)), strerror(errno));
	close(pfd);
	return rc;
}

/* Builds one layer's ruleset; its descriptor stays open for the life of
 * the context (a role's is used each time a thread enters the role). */
static int build_ruleset(struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	struct ll_ruleset_attr attr = { ctx->ll.fs, ctx->ll.net, ctx->ll.scopes };
	const struct ll_layer *L = &ctx->ll.layer[role];
	size_t attr_size = ctx->ll.abi >= 6   ? sizeof(attr)
			   : ctx->ll.abi >= 4 ? 2 * sizeof(uint64_t)
					      : sizeof(uint64_t);
	int fd = (int)syscall(__NR_landlock_create_ruleset, &attr, attr_size, 0);
	size_t i;
	int rc = 0;

	if (fd < 0)
		return ctx_fail(ctx, errno == ENOMEM ? -ENOMEM : -EOPNOTSUPP,
				"creating the Landlock ruleset of %s: %s: nothing was installed",
				role_name(ctx, role), strerror(errno));
	if (role == VMM_SECCOMP_ROLE_PROCESS) {
		for (i = 0; i < sizeof(runtime_paths) / sizeof(runtime_paths[0]) && !rc; i++)
			rc = add_path(ctx, fd, runtime_paths[i].path, runtime_paths[i].access,
				      true);
	}
	for (i = 0; i < L->n && !rc; i++)
		rc = add_path(ctx, fd, L->rules[i].path, L->rules[i].access, false);
	if (rc) {
		close(fd);
		return rc;
	}
	if (role != VMM_SECCOMP_ROLE_PROCESS && !L->n)
		ctx->ll.empty_fd = fd;
	ctx->ll.layer[role].fd = fd;
	return 0;
}

int landlock_prepare(struct vmm_seccomp *ctx)
{
	enum vmm_seccomp_role r;
	bool wanted = false;
	int rc = 0;

	for (r = 0; r < ctx->n_roles; r++)
		wanted = wanted || layer_wants_domain(ctx, r);
	if (!wanted)
		return 0;
	if (!ctx->ll.abi) {
		if (ctx->ll.want == VMM_SECCOMP_LANDLOCK_IF_AVAILABLE || ctx->under_valgrind)
			return 0;
		return ctx_fail(ctx, -EOPNOTSUPP,
				"the kernel has no Landlock (landlock_create_ruleset: %s): "
				"files, sockets and signals would be unconfined; allow running "
				"without it with vmm_seccomp_set_landlock(ctx, "
				"VMM_SECCOMP_LANDLOCK_IF_AVAILABLE): nothing was installed",
				strerror(ENOSYS));
	}
	for (r = 0; r < ctx->n_roles && !rc; r++) {
		if (!layer_wants_domain(ctx, r))
			continue;
		if (r != VMM_SECCOMP_ROLE_PROCESS && !ctx->ll.layer[r].n && ctx->ll.empty_fd >= 0)
			ctx->ll.layer[r].fd = ctx->ll.empty_fd;
		else
			rc = build_ruleset(ctx, r);
	}
	if (rc)
		close_rulesets(ctx);
	return rc;
}

/* ---- reaching every thread ---------------------------------------------- */

enum { PHASE_WAIT, PHASE_GO, PHASE_ABORT };

struct broadcast {
	_Atomic int phase;
	_Atomic int arrived;
	_Atomic int signalled;	 /* the caller is woken when all have arrived */
	_Atomic int expect_done; /* ... and when that many are done */
	_Atomic int done;
	int ruleset_fd;
	bool set_nnp;
	size_t n;
	int *tids;
	_Atomic int *seen;	/* 0 signalled, 1 arrived, 2 ended, 3 a kernel worker */
	int *result;		/* 0 or -errno of the thread's landlock_restrict_self */
	unsigned char *checked; /* the caller looked whether it is a kernel worker */
};

/* The broadcast in progress (apply runs once per process). */
static struct broadcast *bcast;

static long futex(_Atomic int *addr, int op, int val, const struct timespec *timeout)
{
	return syscall(SYS_futex, addr, op, val, timeout, NULL, 0);
}

static void park_and_restrict(int sig, siginfo_t *info, void *uc)
{
	struct broadcast *b = bcast;
	int saved = errno, tid = (int)syscall(SYS_gettid);
	size_t i;

	(void)sig;
	(void)uc;
	if (!b || info->si_code != SI_TKILL || info->si_pid != getpid())
		goto out;
	for (i = 0; i < b->n && b->tids[i] != tid; i++)
		;
	if (i == b->n || atomic_exchange(&b->seen[i], 1))
		goto out;
	/* one wake-up for the caller, by the last to arrive (a poll in the
	 * caller covers threads that end instead) */
	if (atomic_fetch_add(&b->arrived, 1) + 1 >= atomic_load(&b->signalled))
		futex(&b->arrived, FUTEX_WAKE_PRIVATE, 1, NULL);
	while (atomic_load(&b->phase) == PHASE_WAIT)
		futex(&b->phase, FUTEX_WAIT_PRIVATE, PHASE_WAIT, NULL);
	if (atomic_load(&b->phase) == PHASE_GO) {
		bool failed = (b->set_nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) ||
			      syscall(__NR_landlock_restrict_self, b->ruleset_fd, 0);

		if (failed)
			b->result[i] = -errno;
	}
	if (atomic_fetch_add(&b->done, 1) + 1 >= atomic_load(&b->expect_done))
		futex(&b->done, FUTEX_WAKE_PRIVATE, 1, NULL);
out:
	errno = saved;
}

/* A real-time signal nobody handles, or 0. */
static int free_signal(void)
{
	int sig;

	for (sig = SIGRTMAX; sig > SIGRTMIN; sig--) {
		struct sigaction old;

		if (sigaction(sig, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
		    old.sa_handler == SIG_DFL)
			return sig;
	}
	return 0;
}

/*
 * Whether a thread of the process is a kernel worker that never runs user
 * code: KVM's NX huge page recovery thread (created when a VM's first vCPU
 * runs), vhost and io_uring workers.  They take no signals and cannot make
 * a syscall of their own, so neither a filter nor a domain concerns them
 * (seccomp's TSYNC passes them over too).  The kernel's PF_IO_WORKER and
 * PF_USER_WORKER flags, field 9 of /proc/.../stat.
 */
#define PF_IO_WORKER_FLAG 0x00000010u
#define PF_USER_WORKER_FLAG 0x00004000u

static bool kernel_worker(int tid)
{
	char path[64], buf[512];
	unsigned long flags = 0;
	const char *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* after the name, which may hold anything: ") S ppid ..." */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 9; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%lu", &flags) != 1)
		return false;
	return (flags & (PF_IO_WORKER_FLAG | PF_USER_WORKER_FLAG)) != 0;
}

/* Adds the threads of the process not yet listed (but the caller) and
 * signals them; returns how many were added, or -errno. */
static int list_and_signal(struct broadcast *b, size_t *cap, int sig)
{
	DIR *d = opendir("/proc/self/task");
	int self = (int)syscall(SYS_gettid), added = 0;
	const struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		int tid = atoi(e->d_name);
		size_t i;

		if (tid <= 0 || tid == self)
			continue;
		for (i = 0; i < b->n && b->tids[i] != tid; i++)
			;
		if (i < b->n)
			continue;
		if (b->n == *cap) {
			/* grown only while no handler runs: every listed thread
			 * has arrived and waits on the phase, not on the arrays */
			closedir(d);
			return -EAGAIN;
		}
		b->tids[b->n] = tid;
		b->result[b->n] = 0;
		b->checked[b->n] = 0;
		atomic_store(&b->seen[b->n], 0);
		b->n++;
		atomic_fetch_add(&b->signalled, 1);
		if (syscall(SYS_tgkill, getpid(), tid, sig) == 0) {
			added++;
		} else {
			atomic_fetch_sub(&b->signalled, 1);
			atomic_store(&b->seen[b->n - 1], 2); /* gone already */
		}
	}
	closedir(d);
	return added;
}

static bool thread_alive(int tid)
{
	return syscall(SYS_tgkill, getpid(), tid, 0) == 0;
}

/* Waits until every listed thread has arrived or ended; 0, or the tid of
 * one that did not arrive within the deadline. */
static int wait_arrivals(struct broadcast *b, const struct timespec *deadline)
{
	int round;

	for (round = 0;; round++) {
		/* read before looking: an arrival after this ends the wait */
		int arrived = atomic_load(&b->arrived), missing = 0;
		/* a first short wait, then the late ones are looked at */
		struct timespec now, slice = { 0, round ? 10000000L : 1000000L };
		size_t i;

		for (i = 0; i < b->n; i++) {
			if (atomic_load(&b->seen[i]) != 0)
				continue;
			if (!thread_alive(b->tids[i])) {
				atomic_store(&b->seen[i], 2); /* it ended */
				continue;
			}
			if (round && !b->checked[i]) {
				b->checked[i] = 1;
				if (kernel_worker(b->tids[i])) {
					atomic_store(&b->seen[i], 3); /* passed over */
					continue;
				}
			}
			if (!missing)
				missing = b->tids[i];
		}
		if (!missing)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (round && (now.tv_sec > deadline->tv_sec ||
			      (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec)))
			return missing;
		futex(&b->arrived, FUTEX_WAIT_PRIVATE, arrived, &slice);
	}
}

static int count_arrived(const struct broadcast *b)
{
	int n = 0;
	size_t i;

	for (i = 0; i < b->n; i++)
		n += atomic_load(&b->seen[i]) == 1;
	return n;
}

static void release_and_wait(struct broadcast *b, int phase)
{
	int arrived = count_arrived(b);

	atomic_store(&b->expect_done, arrived);
	atomic_store(&b->phase, phase);
	futex(&b->phase, FUTEX_WAKE_PRIVATE, 1 << 30, NULL);
	while (atomic_load(&b->done) < arrived)
		futex(&b->done, FUTEX_WAIT_PRIVATE, atomic_load(&b->done), NULL);
}

static void broadcast_free(struct broadcast *b)
{
	if (!b)
		return;
	free(b->tids);
	free((void *)b->seen);
	free(b->result);
	free(b->checked);
	free(b);
}

static struct broadcast *broadcast_new(size_t cap)
{
	struct broadcast *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->tids = calloc(cap, sizeof(*b->tids));
	b->seen = calloc(cap, sizeof(*b->seen));
	b->result = calloc(cap, sizeof(*b->result));
	b->checked = calloc(cap, sizeof(*b->checked));
	if (!b->tids || !b->seen || !b->result || !b->checked) {
		broadcast_free(b);
		return NULL;
	}
	return b;
}

/* How long a thread may take to reach the handler. */
#define ARRIVAL_TIMEOUT_S 2

/*
 * Parks every other thread, runs commit() (the seccomp baseline), then has
 * each restrict itself to `fd`, and the caller last.  The thread list is
 * complete when a listing finds no thread not already parked: a parked
 * thread starts none.
 */
static int restrict_all_threads(struct vmm_seccomp *ctx, int fd,
				int (*commit)(struct vmm_seccomp *ctx))
{
	struct sigaction sa, old, ign;
	struct timespec deadline;
	struct broadcast *b;
	size_t cap = 64, i;
	int sig = free_signal(), rc = 0, late = 0;
	char name[32];

	if (!sig)
		return ctx_fail(ctx, -EBUSY,
				"every real-time signal has a handler: none is free to reach the "
				"process's threads for Landlock: nothing was installed");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = park_and_restrict;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	ign = sa;
	ign.sa_handler = SIG_IGN;
	ign.sa_flags = 0;
retry:
	b = broadcast_new(cap);
	if (!b)
		return ctx_fail(ctx, -ENOMEM, "out of memory");
	b->ruleset_fd = fd;
	b->set_nnp = !ctx->layer[VMM_SECCOMP_ROLE_PROCESS].prog;
	bcast = b;
	if (sigaction(sig, &sa, &old)) {
		bcast = NULL;
		broadcast_free(b);
		return ctx_fail(ctx, -errno, "sigaction(%d): %s", sig, strerror(errno));
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ARRIVAL_TIMEOUT_S;
	for (;;) {
		int added = list_and_signal(b, &cap, sig);

		if (added == -EAGAIN) {
			/* more threads than room: let them go, start again bigger */
			release_and_wait(b, PHASE_ABORT);
			sigaction(sig, &ign, NULL);
			sigaction(sig, &old, NULL);
			bcast = NULL;
			broadcast_free(b);
			cap *= 4;
			goto retry;
		}
		if (added < 0) {
			rc = ctx_fail(ctx, added,
				      "listing /proc/self/task: %s: nothing was installed",
				      strerror(-added));
			break;
		}
		late = wait_arrivals(b, &deadline);
		if (late || added == 0)
			break;
	}
	if (!rc && late) {
		thread_comm(late, name, sizeof(name));
		rc = ctx_fail(ctx, -EBUSY,
			      "thread %d (%s) did not take signal %d within %d s to enter the "
			      "Landlock domain (does it block it?): nothing was installed",
			      late, name, sig, ARRIVAL_TIMEOUT_S);
	}
	if (!rc)
		rc = commit(ctx);
	release_and_wait(b, rc ? PHASE_ABORT : PHASE_GO);
	/* a signal still pending (a thread that never arrived) is dropped
	 * before the old disposition comes back */
	sigaction(sig, &ign, NULL);
	sigaction(sig, &old, NULL);
	bcast = NULL;
	for (i = 0; i < b->n && !rc; i++) {
		if (atomic_load(&b->seen[i]) == 1 && b->result[i]) {
			thread_comm(b->tids[i], name, sizeof(name));
			rc = ctx_fail(
				ctx, b->result[i],
				"thread %d (%s) could not enter the Landlock domain (%s); the "
				"seccomp baseline is installed and the other threads are in "
				"the domain: treat this as fatal",
				b->tids[i], name, strerror(-b->result[i]));
		}
	}
	broadcast_free(b);
	if (rc)
		return rc;
	if ((!ctx->layer[VMM_SECCOMP_ROLE_PROCESS].prog &&
	     prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) ||
	    syscall(__NR_landlock_restrict_self, fd, 0))
		return ctx_fail(ctx, -errno,
				"the calling thread could not enter the Landlock domain (%s); the "
				"seccomp baseline is installed and the other threads are in the "
				"domain: treat this as fatal",
				strerror(errno));
	return 0;
}

int landlock_apply_process(struct vmm_seccomp *ctx, int (*commit)(struct vmm_seccomp *ctx))
{
	int fd = ctx->ll.layer[VMM_SECCOMP_ROLE_PROCESS].fd;
	int rc;

	if (fd < 0)
		return commit(ctx);
	rc = restrict_all_threads(ctx, fd, commit);
	if (rc)
		close_rulesets(ctx);
	else
		ctx->ll.enforced = true;
	return rc;
}

int landlock_enter_role(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	int fd = ctx->ll.layer[role].fd;

	if (fd < 0)
		return 0;
	if (syscall(__NR_landlock_restrict_self, fd, 0))
		return ctx_fail((struct vmm_seccomp *)ctx, -errno,
				"entering the Landlock domain of role %s: %s", role_name(ctx, role),
				strerror(errno));
	return 0;
}

/* ---- what is enforced ---------------------------------------------------- */

static size_t names_of(uint64_t bits, const char *const *names, size_t n, char *buf, size_t len)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++) {
		if (bits & (1ull << i))
			w += (size_t)snprintf(buf + w, w < len ? len - w : 0, "%s%s", w ? "+" : "",
					      names[i]);
	}
	if (!w)
		w = (size_t)snprintf(buf, len, "none");
	return w;
}

size_t vmm_seccomp_landlock_status(struct vmm_seccomp *ctx, struct vmm_seccomp_landlock_info *out,
				   char *buf, size_t len)
{
	struct vmm_seccomp_landlock_info info;
	char fs[400], net[64], sc[64];
	const char *state;

	memset(&info, 0, sizeof(info));
	if (ctx) {
		if (ctx->ll.abi < 0)
			probe(ctx);
		info.abi = ctx->ll.abi;
		info.enforced = ctx->ll.enforced;
		info.fs_rights = ctx->ll.fs;
		info.net_rights = ctx->ll.net;
		info.scopes = ctx->ll.scopes;
		info.audit = ctx->ll.abi >= LL_AUDIT_ABI;
	}
	if (out)
		*out = info;
	if (!buf)
		return 0;
	names_of(info.fs_rights, fs_right_names, sizeof(fs_right_names) / sizeof(fs_right_names[0]),
		 fs, sizeof(fs));
	names_of(info.net_rights, net_right_names, 2, net, sizeof(net));
	names_of(info.scopes, scope_names, 2, sc, sizeof(sc));
	if (!ctx)
		state = "no context";
	else if (info.enforced)
		state = "enforced";
	else if (ctx->ll.want == VMM_SECCOMP_LANDLOCK_OFF)
		state = "off (the embedder turned it off)";
	else if (running_on_valgrind())
		state = "not enforced: valgrind does not implement Landlock";
	else if (!info.abi)
		state = "not enforced: the kernel has no Landlock";
	else if (ctx->applied)
		state = "not enforced (the baseline's mode is off)";
	else
		state = "not applied yet";
	return (size_t)snprintf(buf, len, "landlock: abi %d, %s, fs %s, net %s, scopes %s%s",
				info.abi, state, fs, net, sc, info.audit ? ", audit" : "");
}

/* The rules of a layer as its domain would hold them on this kernel, one
 * line each: "PATH ACCESS -> rights" (the tool's `landlock`). */
void landlock_print_rules(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, FILE *f)
{
	const struct ll_layer *L = &ctx->ll.layer[role];
	char a[64], rights[400];
	size_t i, n = sizeof(runtime_paths) / sizeof(runtime_paths[0]);

	if (ctx->ll.abi < 0)
		vmm_seccomp_landlock_status(ctx, NULL, NULL, 0);
	for (i = 0; role == VMM_SECCOMP_ROLE_PROCESS && i < n; i++) {
		names_of(rights_at(ctx, is_dir(runtime_paths[i].path), runtime_paths[i].access),
			 fs_right_names, sizeof(fs_right_names) / sizeof(fs_right_names[0]), rights,
			 sizeof(rights));
		fprintf(f, "%s:%s (built in: %s) -> %s\n", runtime_paths[i].path,
			access_text(runtime_paths[i].access, a, sizeof(a)), runtime_paths[i].why,
			rights);
	}
	for (i = 0; i < L->n; i++) {
		names_of(rights_at(ctx, is_dir(L->rules[i].path), L->rules[i].access),
			 fs_right_names, sizeof(fs_right_names) / sizeof(fs_right_names[0]), rights,
			 sizeof(rights));
		fprintf(f, "%s:%s -> %s\n", L->rules[i].path,
			access_text(L->rules[i].access, a, sizeof(a)), rights);
	}
	if (role != VMM_SECCOMP_ROLE_PROCESS && !L->n)
		fprintf(f, "(no path: threads of role %s open nothing)\n", role_name(ctx, role));
}
