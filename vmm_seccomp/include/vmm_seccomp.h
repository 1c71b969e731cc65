/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmm_seccomp: syscall sandboxing for in-process virtual machine monitors.
 *
 * Two layers of seccomp-BPF filters:
 *   - the process baseline (role VMM_SECCOMP_ROLE_PROCESS), installed on
 *     every thread of the process at once by vmm_seccomp_apply_process();
 *   - one role filter per thread (vCPU, a virtio device, the API server, the
 *     VMM event loop, a role the embedder defines: vmm_seccomp_define_role()),
 *     stacked on the baseline by vmm_seccomp_thread_create() or
 *     vmm_seccomp_enter_role().
 * A syscall runs only if every layer on its thread allows it.
 *
 * Life cycle: vmm_seccomp_new() -> configure (roles of one's own, modes,
 * extra rules, report sink) -> vmm_seccomp_compile() (memory only, no kernel state touched) ->
 * vmm_seccomp_apply_process() -> spawn threads with roles.  Configuration
 * calls are not thread-safe; make them from one thread before compiling.
 *
 * Errors: every function that can fail returns 0 or a negative errno and
 * vmm_seccomp_last_error() then holds, for the calling thread, a message
 * naming what and where.
 * A failing call changes nothing: no filter is half installed.
 *
 * Architectures: x86_64 and aarch64; the library installs filters for the
 * one it was built for (README.md, "Architectures").
 */
#ifndef VMM_SECCOMP_H
#define VMM_SECCOMP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VMM_SECCOMP_API __attribute__((visibility("default")))
#else
#define VMM_SECCOMP_API
#endif

/*
 * The roles a thread can play.  PROCESS is the baseline every thread has.
 * These are the built-in roles, each with a policy in the library
 * (policy/roles/NAME.policy); an embedder defines more, each a name with a
 * policy (vmm_seccomp_define_role(), or a NAME.policy file in a policy
 * directory), and they take the values from VMM_SECCOMP_ROLE_COUNT on, in
 * the order they are defined, up to VMM_SECCOMP_ROLE_MAX - 1: the values
 * are a context's, look them up by name (vmm_seccomp_find_role()).  Every
 * function taking a role takes a built-in or a defined one.
 */
enum vmm_seccomp_role {
	VMM_SECCOMP_ROLE_PROCESS = 0,
	VMM_SECCOMP_ROLE_VMM,
	VMM_SECCOMP_ROLE_VCPU,
	VMM_SECCOMP_ROLE_API,
	VMM_SECCOMP_ROLE_VIRTIO_BLOCK,
	VMM_SECCOMP_ROLE_VIRTIO_NET,
	VMM_SECCOMP_ROLE_VIRTIO_CONSOLE,
	VMM_SECCOMP_ROLE_VIRTIO_RNG,
	VMM_SECCOMP_ROLE_VIRTIO_VSOCK,
	VMM_SECCOMP_ROLE_VIRTIO_FS,
	VMM_SECCOMP_ROLE_VIRTIO_BALLOON,
	VMM_SECCOMP_ROLE_VHOST_USER,
	VMM_SECCOMP_ROLE_IO_WORKER,
	VMM_SECCOMP_ROLE_SIGNAL_HANDLER,
	VMM_SECCOMP_ROLE_RUNTIME,
	VMM_SECCOMP_ROLE_COUNT /* how many are built in */
};

/* How many roles a context holds, built-in and defined together. */
#define VMM_SECCOMP_ROLE_MAX 64
/* The longest role name, in bytes (docs/POLICY.md "Roles"). */
#define VMM_SECCOMP_ROLE_NAME_MAX 31

/*
 * What a layer does with a syscall its policy does not allow.
 *   ENFORCE  the syscall never runs; a report is written; the process dies
 *            by SIGSYS.  Default.
 *   KILL     SECCOMP_RET_KILL_PROCESS: the kernel kills the process at once;
 *            only the kernel's audit log records it.
 *   ERRNO    the syscall fails with EPERM, a report is written, the thread
 *            goes on.  For finding what a policy lacks.
 *   LOG      the syscall runs; the kernel logs it (SECCOMP_RET_LOG).
 *   OFF      no filter is installed for this layer.
 * A syscall from a foreign ABI (i386 int $0x80, x32) never runs in any mode
 * but OFF: it is handled as in ENFORCE (as in KILL when the mode is KILL).
 */
enum vmm_seccomp_mode {
	VMM_SECCOMP_MODE_ENFORCE = 0,
	VMM_SECCOMP_MODE_KILL,
	VMM_SECCOMP_MODE_ERRNO,
	VMM_SECCOMP_MODE_LOG,
	VMM_SECCOMP_MODE_OFF,
	VMM_SECCOMP_MODE_COUNT
};

/* Flags for vmm_seccomp_add_rules(). */
#define VMM_SECCOMP_ALLOW_DANGEROUS 0x1u /* see vmm_seccomp_add_rules() */

/* The environment variable vmm_seccomp_configure_from_env() reads. */
#define VMM_SECCOMP_ENV "VMM_SECCOMP"

struct vmm_seccomp;

/* A stopped (or, in ERRNO mode, refused) syscall, as given to a report
 * callback.  Every pointer borrows storage valid only during the call. */
struct vmm_seccomp_violation {
	int tid;
	const char *thread_name;    /* the thread's name ("vcpu0")          */
	enum vmm_seccomp_role role; /* the thread's role (PROCESS if none)  */
	enum vmm_seccomp_mode mode; /* the refusing layer's mode            */
	uint32_t arch;		    /* AUDIT_ARCH_* of the syscall's ABI     */
	const char *arch_name;	    /* "x86_64", "i386", "x32"              */
	int syscall_nr;		    /* without the x32 bit                  */
	const char *syscall_name;   /* "execve", or "?" when unknown        */
	uint64_t args[6];
	const char *ioctl_name; /* for ioctl: the request's name or NULL */
	/* The layer whose filter refused: `role`, or the baseline (PROCESS)
	 * when the baseline alone checks what refused (a role leaves the
	 * checks it shares with the baseline to the baseline). */
	enum vmm_seccomp_role layer;
	/* A syscall no policy has reviewed (the baseline has no rule for it
	 * and it is not on the dangerous list): it failed with ENOSYS, and
	 * the thread goes on, whatever the mode (docs/POLICY.md). */
	bool unreviewed;
	const char *role_name;	/* the name of `role` ("vcpu", "virtio_fs") */
	const char *layer_name; /* the name of `layer` */
};

/*
 * Called from the SIGSYS handler of the offending thread: it must be
 * async-signal-safe, and every syscall it makes must be allowed in every
 * role (write(2) to a descriptor is; see vmm_seccomp_set_report_fd()).
 * `line` is the formatted one-line report, newline-terminated.
 */
typedef void (*vmm_seccomp_report_fn)(const struct vmm_seccomp_violation *v, const char *line,
				      void *arg);

/* Snapshot of one registered thread (see vmm_seccomp_threads()). */
struct vmm_seccomp_thread_info {
	int tid;
	enum vmm_seccomp_role role; /* vmm_seccomp_get_role_name() names it */
	char name[16];
	bool filtered; /* a role filter is installed on it */
};

/* ---- life cycle -------------------------------------------------------- */

/* A new context with the built-in policies, every layer in ENFORCE, reports
 * to stderr.  Returns NULL when out of memory. */
VMM_SECCOMP_API struct vmm_seccomp *vmm_seccomp_new(void);

/*
 * Frees a context; accepts NULL.  Filters already installed stay installed
 * (the kernel cannot remove them).  If the context is the active one (it was
 * applied), later violations are still stopped but reported with less
 * detail; free it only once no filtered thread but the caller runs.
 */
VMM_SECCOMP_API void vmm_seccomp_free(struct vmm_seccomp *ctx);

/* The message of the last failing vmm_seccomp call made by the calling
 * thread ("" if none).  Borrowed: valid until that thread's next failing
 * call.  ctx may be NULL. */
VMM_SECCOMP_API const char *vmm_seccomp_last_error(const struct vmm_seccomp *ctx);

/* ---- configuration (before vmm_seccomp_compile) ------------------------- */

/* Sets the mode of every layer (the baseline and each role).
 * Errors: -EINVAL (mode out of range), -EBUSY (already compiled). */
VMM_SECCOMP_API int vmm_seccomp_set_mode(struct vmm_seccomp *ctx, enum vmm_seccomp_mode mode);

/* Sets the mode of one layer.
 * Errors: -EINVAL (role or mode out of range), -EBUSY (already compiled). */
VMM_SECCOMP_API int vmm_seccomp_set_role_mode(struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
					      enum vmm_seccomp_mode mode);

VMM_SECCOMP_API enum vmm_seccomp_mode vmm_seccomp_get_role_mode(const struct vmm_seccomp *ctx,
								enum vmm_seccomp_role role);

/*
 * Applies a configuration string: comma-separated tokens, each either a
 * mode for every layer or ROLE=MODE for one layer ("process" names the
 * baseline; ROLE is a built-in role or one defined before this call).  Modes: enforce, kill, errno, log, off; also Cloud
 * Hypervisor's true (= enforce) and false (= off), and Kata's
 * disable_seccomp / disable_seccomp=true (= off) / disable_seccomp=false
 * (= enforce).  Later tokens override earlier ones.  Examples: "log",
 * "enforce,vcpu=log", "false".  Borrows str.
 * Errors: -EINVAL naming the bad token and its position; nothing changed.
 *         -EBUSY (already compiled).
 */
VMM_SECCOMP_API int vmm_seccomp_configure(struct vmm_seccomp *ctx, const char *str);

/* vmm_seccomp_configure() with the value of the environment variable `var`
 * (VMM_SECCOMP_ENV when NULL).  An unset or empty variable changes nothing
 * and returns 0.  Errors: as vmm_seccomp_configure(). */
VMM_SECCOMP_API int vmm_seccomp_configure_from_env(struct vmm_seccomp *ctx, const char *var);

/*
 * Adds rules, written in the policy language (docs/POLICY.md), to one
 * layer.  `origin` names the text in error messages ("embedder:1:5").
 * Copies both strings.
 *
 * A role can never allow what the baseline does not: a rule that would is
 * an error (-EPERM), checked here against the baseline as extended so far
 * and again at compile time.  Extend the baseline first.
 *
 * Dangerous syscalls (execve, fork, ptrace, mount, setns, bpf, io_uring_*,
 * ...; vmm_seccomp_is_dangerous()) are refused in the baseline (-EPERM)
 * unless flags has VMM_SECCOMP_ALLOW_DANGEROUS.  Allowing one undoes much
 * of what this library is for: a compromised thread that can execve or
 * ptrace is no longer contained.
 *
 * Errors: -EINVAL (syntax, unknown syscall or constant: the message gives
 * origin:line:column), -EPERM (as above), -EBUSY (already compiled),
 * -ENOMEM.  On error the layer is unchanged.
 */
VMM_SECCOMP_API int vmm_seccomp_add_rules(struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
					  const char *policy_text, const char *origin,
					  unsigned int flags);

/*
 * Defines a role: `name` with the policy `policy_text` (the policy
 * language, docs/POLICY.md; "@include builtin/roles/vcpu.policy" starts
 * from a built-in role's).  The role is then used as a built-in one is:
 * vmm_seccomp_thread_create(), vmm_seccomp_enter_role(), its mode (by
 * value, or "NAME=MODE" in a configuration string), vmm_seccomp_add_rules()
 * and vmm_seccomp_allow_path() on it, reports and counters.  It is checked
 * against the baseline as extended so far, as vmm_seccomp_add_rules() is,
 * and again at compile time; it starts in the mode vmm_seccomp_set_mode()
 * last set (ENFORCE by default).
 *
 * A name is 1 to VMM_SECCOMP_ROLE_NAME_MAX characters of [a-z0-9_],
 * starting with a letter, and is neither a role's nor a word of the
 * configuration strings (a mode, "true", "false", "disable_seccomp").
 * `origin` names the text in messages (NULL: the role's name).  *role, if
 * not NULL, gets the new role's value.  Copies every string.
 *
 * Errors: -EINVAL (a bad name, saying why; syntax, unknown syscall or
 * constant: origin:line:column), -EEXIST (a role of that name exists),
 * -ENOSPC (VMM_SECCOMP_ROLE_MAX roles already), -EPERM (allows what the
 * baseline does not), -EBUSY (compiled), -ENOMEM.  On error no role is
 * defined.
 */
VMM_SECCOMP_API int vmm_seccomp_define_role(struct vmm_seccomp *ctx, const char *name,
					    const char *policy_text, const char *origin,
					    enum vmm_seccomp_role *role);

/*
 * Reads policies from directory `dir` (the library reads no file unless
 * asked): each ROLE.policy there ("vcpu.policy", "process.policy", ...)
 * replaces that role's built-in policy; a file named after no role
 * ("virtio_gpu.policy") defines that role, as vmm_seccomp_define_role()
 * would, under the same name rules.  To extend the built-in policy
 * instead, start the file with "@include builtin/roles/ROLE.policy".  Other
 * @include names are files under `dir` (no absolute paths, no ".."), kept
 * in subdirectories: every *.policy file directly in `dir` is a role's.
 * Every file is parsed, every name checked and every role checked against
 * the baseline before anything changes.  Borrows dir.
 *
 * A process.policy there is the baseline and obeys the same rule as
 * vmm_seccomp_add_rules() on it: a syscall on the dangerous list is
 * refused (-EPERM, naming the file and line) unless flags has
 * VMM_SECCOMP_ALLOW_DANGEROUS, which the embedder gives explicitly (never
 * derive it from the directory's contents).
 *
 * Errors: -EINVAL (a file name that is no valid role name, a syntax or
 * name error: the message gives file:line:column; unknown flags), -ENOSPC
 * (more roles than VMM_SECCOMP_ROLE_MAX), -EPERM (a role allows what the
 * baseline does not; a dangerous syscall, as above), -ENOENT etc. (the
 * directory), -EBUSY (compiled), -ENOMEM.
 */
VMM_SECCOMP_API int vmm_seccomp_load_policy_dir(struct vmm_seccomp *ctx, const char *dir,
						unsigned int flags);

/* Reports go to fd (default 2).  Every compiled filter allows write(2) on
 * exactly this descriptor so a report can be written from any role.
 * Errors: -EINVAL (fd < 0), -EBUSY (already compiled). */
VMM_SECCOMP_API int vmm_seccomp_set_report_fd(struct vmm_seccomp *ctx, int fd);

/* Reports go to fn(arg) instead of the descriptor (NULL restores it).
 * Borrows arg.  Errors: -EBUSY (already compiled). */
VMM_SECCOMP_API int vmm_seccomp_set_report_callback(struct vmm_seccomp *ctx,
						    vmm_seccomp_report_fn fn, void *arg);

/* ---- Landlock: what the process may reach (docs/LANDLOCK.md) ----------- */

/*
 * seccomp judges syscall numbers and arguments, never what a pointer or an
 * id names: which file is opened, which socket is connected to.  Landlock
 * confines those.  vmm_seccomp_apply_process() puts every thread of the
 * process into one Landlock domain that reaches only the paths declared
 * for the baseline (VMM_SECCOMP_ROLE_PROCESS), no TCP port, no abstract
 * Unix socket and no process outside the domain (scopes); entering a role
 * narrows the thread further to the paths declared for that role (none by
 * default: a role that opens nothing can open nothing; a role whose filter
 * lets no path or socket syscall run keeps the process's domain, which is
 * then the same).  A layer in mode
 * OFF gets no domain; in LOG mode the domain still refuses (Landlock has no
 * permissive mode) and the kernel audits each denial (ABI 7 and later);
 * in the other modes a refused access fails with EACCES (EPERM for a
 * scoped socket or signal).  File descriptors opened before keep working.
 */

/* Access of a path rule (vmm_seccomp_allow_path()).  A rule on a
 * directory covers everything beneath it. */
#define VMM_SECCOMP_PATH_READ 0x01u    /* open files to read, list directories */
#define VMM_SECCOMP_PATH_WRITE 0x02u   /* open files to write, truncate them */
#define VMM_SECCOMP_PATH_CREATE 0x04u  /* create, remove, rename, link entries (directories) */
#define VMM_SECCOMP_PATH_SOCKET 0x08u  /* bind Unix sockets (directories) */
#define VMM_SECCOMP_PATH_DEVICE 0x10u  /* ioctl on device files opened there (ABI 5) */
#define VMM_SECCOMP_PATH_CONNECT 0x20u /* connect to Unix sockets there (ABI 9) */
/* "ro" and "rw" in rule strings */
#define VMM_SECCOMP_PATH_RO VMM_SECCOMP_PATH_READ
#define VMM_SECCOMP_PATH_RW                                                         \
	(VMM_SECCOMP_PATH_READ | VMM_SECCOMP_PATH_WRITE | VMM_SECCOMP_PATH_CREATE | \
	 VMM_SECCOMP_PATH_SOCKET | VMM_SECCOMP_PATH_DEVICE | VMM_SECCOMP_PATH_CONNECT)

/* Whether the process needs Landlock (vmm_seccomp_set_landlock()). */
enum vmm_seccomp_landlock {
	/* Default: a kernel without Landlock makes apply fail (-EOPNOTSUPP);
	 * a kernel with an older ABI enforces what it has, as reported. */
	VMM_SECCOMP_LANDLOCK_REQUIRE = 0,
	/* Run without it where the kernel has none (reported). */
	VMM_SECCOMP_LANDLOCK_IF_AVAILABLE,
	/* No Landlock domain at all. */
	VMM_SECCOMP_LANDLOCK_OFF,
};

/* Errors: -EINVAL (out of range), -EBUSY (already compiled). */
VMM_SECCOMP_API int vmm_seccomp_set_landlock(struct vmm_seccomp *ctx,
					     enum vmm_seccomp_landlock landlock);

/*
 * Lets `role`'s threads reach `path` with `access` (VMM_SECCOMP_PATH_*).
 * For the baseline (PROCESS) the rule is added to the built-in ones (what
 * glibc and Rust's std read at run time: docs/LANDLOCK.md); for a role it
 * must lie within a baseline rule: at or beneath its path, with no access
 * it lacks (-EPERM otherwise, checked here and at compile time).  The path
 * must exist (it is opened again at apply time); CREATE and SOCKET need a
 * directory (VMM_SECCOMP_PATH_RW on a file means read, write, device and
 * connect).
 * Copies path.
 * Errors: -EINVAL (role, empty or relative path, unknown access bits, a
 * directory-only access on a file), -ENOENT etc. (the path), -EPERM (as
 * above), -EBUSY (compiled), -ENOMEM.  On error nothing is added.
 */
VMM_SECCOMP_API int vmm_seccomp_allow_path(struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
					   const char *path, unsigned int access);

/*
 * vmm_seccomp_allow_path() from a string "PATH:ACCESS" (split at the last
 * ':'), ACCESS being "ro", "rw", or names joined by '+': read, write,
 * create, socket, device, connect ("/run/vmm:read+socket").  Borrows rule.
 * Errors: as vmm_seccomp_allow_path(); -EINVAL names the bad part.
 */
VMM_SECCOMP_API int vmm_seccomp_add_path_rule(struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
					      const char *rule);

/* What Landlock enforces, or would on this kernel before apply. */
struct vmm_seccomp_landlock_info {
	int abi;	     /* the kernel's Landlock ABI; 0: none */
	bool enforced;	     /* apply put the process into a domain */
	uint64_t fs_rights;  /* LANDLOCK_ACCESS_FS_* the domain handles */
	uint64_t net_rights; /* LANDLOCK_ACCESS_NET_* (TCP bind/connect, ABI 4) */
	uint64_t scopes;     /* LANDLOCK_SCOPE_* (abstract sockets, signals, ABI 6) */
	bool audit;	     /* denials reach the kernel's audit log (ABI 7) */
};

/* Fills *out (probing the kernel once if not compiled yet).  With buf,
 * also writes one line saying the same in words ("landlock: abi 7,
 * enforced, fs read_file+..., net bind_tcp+connect_tcp, scopes
 * abstract_unix_socket+signal, audit"); returns the length it needed. */
VMM_SECCOMP_API size_t vmm_seccomp_landlock_status(struct vmm_seccomp *ctx,
						   struct vmm_seccomp_landlock_info *out, char *buf,
						   size_t len);

/* ---- staging: memory only ---------------------------------------------- */

/*
 * Resolves the policies and compiles every layer's BPF program, checking
 * each role against the baseline.  Touches no kernel state.  Called by
 * vmm_seccomp_apply_process() if not called before.  After it the
 * configuration is frozen.
 * Errors: -EINVAL (a policy does not resolve; message says where), -EPERM
 * (a role allows what the baseline does not), -ENOMEM, -EOPNOTSUPP (the
 * build does not know this architecture).
 */
VMM_SECCOMP_API int vmm_seccomp_compile(struct vmm_seccomp *ctx);

/* The compiled BPF program of a layer (NULL if not compiled or OFF).
 * Borrowed, valid until vmm_seccomp_free(); *len gets the instruction
 * count.  Each instruction is a struct sock_filter.  Comparisons with $pid
 * hold the id of the process that compiled, and of the one that applies
 * once vmm_seccomp_apply_process() has run (docs/POLICY.md). */
VMM_SECCOMP_API const void *vmm_seccomp_program(const struct vmm_seccomp *ctx,
						enum vmm_seccomp_role role, size_t *len);

/* ---- commit: kernel state ---------------------------------------------- */

/*
 * Installs the baseline on every thread of the process at once: sets
 * no_new_privs, installs the SIGSYS reporter, then one seccomp(2) call with
 * SECCOMP_FILTER_FLAG_TSYNC.  All or nothing: if a thread cannot be
 * synchronised (it has filters of its own), nothing is installed and the
 * error names the thread.  Threads created later inherit the baseline.
 * Call it before creating any thread that enters a role.  Only one context
 * per process can be applied.
 *
 * Under valgrind, which does not implement seccomp(2), the baseline is
 * installed with prctl(PR_SET_SECCOMP) on the calling thread only; the
 * process must then be single-threaded (else -EBUSY naming a thread), and
 * every filter also allows the syscalls valgrind itself makes on client
 * threads (docs/VALGRIND.md).
 *
 * Landlock (see above) in the same call: the rulesets are built first
 * (every declared path opened again), every other thread is parked by a
 * real-time signal no handler uses, the baseline goes in while they are
 * parked, then every thread enters the process's Landlock domain
 * (docs/LANDLOCK.md).  A thread that blocks that signal cannot be reached:
 * -EBUSY naming it, nothing installed.  The one failure that leaves some
 * threads in and some out is the kernel refusing a thread's entry after
 * the baseline is in (out of memory): the error says so; treat it as fatal.
 *
 * Errors: those of vmm_seccomp_compile(); -EALREADY (a context is already
 * applied in this process); -EBUSY (a thread cannot be synchronised or
 * reached); -ENOSYS / -EOPNOTSUPP (the kernel lacks seccomp filters, or
 * Landlock while it is required); -ENOENT etc. (a declared path is gone);
 * -EACCES; -ENOMEM.
 */
VMM_SECCOMP_API int vmm_seccomp_apply_process(struct vmm_seccomp *ctx);

/*
 * pthread_create() for a thread with a role.  The new thread names itself
 * `name` (truncated to 15 bytes; copied), records its role, and installs
 * its role filter on top of the baseline before start_routine runs.  The
 * call returns once the filter is in: 0 and *thread set, or a negative
 * errno, in which case the thread has already exited without running
 * start_routine and *thread is untouched.  The new thread inherits the
 * caller's filters too.  Borrows attr and arg.
 * Errors: -EINVAL (role out of range or PROCESS), -EPERM
 * (vmm_seccomp_apply_process() not called yet: it installs the reporter
 * every role relies on), pthread_create()'s errors negated, the install's
 * errors.
 */
VMM_SECCOMP_API int vmm_seccomp_thread_create(struct vmm_seccomp *ctx, pthread_t *thread,
					      const pthread_attr_t *attr,
					      enum vmm_seccomp_role role, const char *name,
					      void *(*start_routine)(void *), void *arg);

/*
 * Puts the calling thread into a role, for threads created by code that
 * does not use vmm_seccomp_thread_create().  Names the thread `name` if
 * not NULL (copied).  The role's Landlock domain first, if it has one (one
 * landlock_restrict_self(2)), then one seccomp(2) call; no allocation, no
 * libseccomp call.  A thread enters at most one role.
 * Errors: -EINVAL (role out of range or PROCESS), -EPERM
 * (vmm_seccomp_apply_process() not called yet), -EALREADY (this thread
 * already has a role), the install's errors.
 */
VMM_SECCOMP_API int vmm_seccomp_enter_role(struct vmm_seccomp *ctx, enum vmm_seccomp_role role,
					   const char *name);

/* ---- introspection ------------------------------------------------------ */

/* How many times `syscall_nr` (native ABI) was refused with a report
 * (ENFORCE, ERRNO) on threads of `role`, whichever layer refused.  Counts foreign-ABI syscalls under nr -1. */
VMM_SECCOMP_API uint64_t vmm_seccomp_violation_count(const struct vmm_seccomp *ctx,
						     enum vmm_seccomp_role role, int syscall_nr);

/* Sum of vmm_seccomp_violation_count() over every syscall of `role`. */
VMM_SECCOMP_API uint64_t vmm_seccomp_violation_total(const struct vmm_seccomp *ctx,
						     enum vmm_seccomp_role role);

/* Copies up to `max` registered threads into out; returns how many are
 * registered (may exceed max). */
VMM_SECCOMP_API size_t vmm_seccomp_threads(struct vmm_seccomp_thread_info *out, size_t max);

/* ---- names -------------------------------------------------------------- */

/* The name of a built-in role ("vcpu", "virtio_block", ...); NULL for any
 * other value.  For defined roles too: vmm_seccomp_get_role_name(). */
VMM_SECCOMP_API const char *vmm_seccomp_role_name(enum vmm_seccomp_role role);
/* The built-in role named `name`; -EINVAL if none.  For defined roles too:
 * vmm_seccomp_find_role(). */
VMM_SECCOMP_API int vmm_seccomp_role_from_name(const char *name, enum vmm_seccomp_role *role);
/* The name of a role of ctx, built-in or defined; NULL when ctx has no such
 * role.  Borrowed, valid until vmm_seccomp_free(). */
VMM_SECCOMP_API const char *vmm_seccomp_get_role_name(const struct vmm_seccomp *ctx,
						      enum vmm_seccomp_role role);
/* The role of ctx named `name` (exactly, lower case), built-in or defined.
 * Errors: -ENOENT (none), -EINVAL (ctx, name or role NULL). */
VMM_SECCOMP_API int vmm_seccomp_find_role(const struct vmm_seccomp *ctx, const char *name,
					  enum vmm_seccomp_role *role);
/* How many roles ctx has: they are the values 0 .. count-1 (the built-in
 * ones, then those defined, in order). */
VMM_SECCOMP_API unsigned int vmm_seccomp_role_count(const struct vmm_seccomp *ctx);
/* "enforce", "kill", "errno", "log", "off"; NULL when out of range. */
VMM_SECCOMP_API const char *vmm_seccomp_mode_name(enum vmm_seccomp_mode mode);
/* Whether the syscall named `name` is on the dangerous list. */
VMM_SECCOMP_API bool vmm_seccomp_is_dangerous(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* VMM_SECCOMP_H */
