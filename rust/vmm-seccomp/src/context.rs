//! The context and its builder.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Mutex;

use vmm_seccomp_sys as sys;

use crate::error::{check, cstring, Error, Result};
use crate::report::Reports;
use crate::role::{Landlock, Mode, PathAccess, Role};

/// A role given to the builder: a [`Role`] value, or a name resolved when
/// [`ContextBuilder::build`] reaches it (so a role defined earlier in the
/// same builder can be named).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleRef {
    /// A role value.
    Role(Role),
    /// A role's name, built-in or defined.
    Name(String),
}

impl From<Role> for RoleRef {
    fn from(r: Role) -> RoleRef {
        RoleRef::Role(r)
    }
}

impl From<&str> for RoleRef {
    fn from(s: &str) -> RoleRef {
        RoleRef::Name(s.to_owned())
    }
}

impl From<String> for RoleRef {
    fn from(s: String) -> RoleRef {
        RoleRef::Name(s)
    }
}

#[derive(Debug)]
enum Op {
    Mode(Mode),
    RoleMode(RoleRef, Mode),
    Configure(String),
    ConfigureFromEnv(Option<String>),
    Rules {
        role: RoleRef,
        text: String,
        origin: String,
        dangerous: bool,
    },
    DefineRole {
        name: String,
        text: String,
        origin: Option<String>,
    },
    PolicyDir {
        dir: PathBuf,
        dangerous: bool,
    },
    Landlock(Landlock),
    AllowPath {
        role: RoleRef,
        path: PathBuf,
        access: PathAccess,
    },
    PathRule {
        role: RoleRef,
        rule: String,
    },
    ReportFd(RawFd),
    ReportChannel,
}

/// Builds a [`Context`]: each call records one configuration step, and
/// [`build`](ContextBuilder::build) makes them in the order given, as the
/// C calls would be made (so a role must be defined before it is named, and
/// the baseline extended before a role relies on it).  The first step the
/// library refuses makes `build` fail with its message; nothing is kept.
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until build() is called"]
pub struct ContextBuilder {
    ops: Vec<Op>,
}

impl ContextBuilder {
    /// A builder with nothing configured: built-in policies, every layer in
    /// [`Mode::Enforce`], Landlock required, reports to stderr.
    pub fn new() -> ContextBuilder {
        ContextBuilder::default()
    }

    /// Sets the mode of every layer (`vmm_seccomp_set_mode`).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.ops.push(Op::Mode(mode));
        self
    }

    /// Sets the mode of one layer (`vmm_seccomp_set_role_mode`).
    pub fn role_mode(mut self, role: impl Into<RoleRef>, mode: Mode) -> Self {
        self.ops.push(Op::RoleMode(role.into(), mode));
        self
    }

    /// Applies a configuration string such as `"enforce,vcpu=log"`
    /// (`vmm_seccomp_configure`; the header lists the words).
    pub fn configure(mut self, config: &str) -> Self {
        self.ops.push(Op::Configure(config.to_owned()));
        self
    }

    /// Applies the configuration string in environment variable `var`, or
    /// in `VMM_SECCOMP` when `None`; unset or empty changes nothing
    /// (`vmm_seccomp_configure_from_env`).
    pub fn configure_from_env(mut self, var: Option<&str>) -> Self {
        self.ops.push(Op::ConfigureFromEnv(var.map(str::to_owned)));
        self
    }

    /// Adds rules in the policy language to one layer
    /// (`vmm_seccomp_add_rules`).  `origin` names the text in messages
    /// (`"embedder"` gives `embedder:LINE:COLUMN`).  A syscall on the
    /// dangerous list is refused in the baseline: see
    /// [`dangerous_rules`](ContextBuilder::dangerous_rules).
    pub fn rules(mut self, role: impl Into<RoleRef>, text: &str, origin: &str) -> Self {
        self.ops.push(Op::Rules {
            role: role.into(),
            text: text.to_owned(),
            origin: origin.to_owned(),
            dangerous: false,
        });
        self
    }

    /// [`rules`](ContextBuilder::rules) with `VMM_SECCOMP_ALLOW_DANGEROUS`:
    /// lets the baseline allow execve, fork, ptrace and the like, which
    /// undoes much of the containment.  Say so where you call it.
    pub fn dangerous_rules(mut self, role: impl Into<RoleRef>, text: &str, origin: &str) -> Self {
        self.ops.push(Op::Rules {
            role: role.into(),
            text: text.to_owned(),
            origin: origin.to_owned(),
            dangerous: true,
        });
        self
    }

    /// Defines a role `name` with the policy `text`
    /// (`vmm_seccomp_define_role`); `"@include builtin/roles/vcpu.policy"`
    /// starts from a built-in role's.  Find its value afterwards with
    /// [`Context::role`], or name it in later builder steps.
    pub fn define_role(mut self, name: &str, text: &str) -> Self {
        self.ops.push(Op::DefineRole {
            name: name.to_owned(),
            text: text.to_owned(),
            origin: None,
        });
        self
    }

    /// [`define_role`](ContextBuilder::define_role) with the name its
    /// policy text goes by in messages.
    pub fn define_role_with_origin(mut self, name: &str, text: &str, origin: &str) -> Self {
        self.ops.push(Op::DefineRole {
            name: name.to_owned(),
            text: text.to_owned(),
            origin: Some(origin.to_owned()),
        });
        self
    }

    /// Reads every `ROLE.policy` in `dir` (`vmm_seccomp_load_policy_dir`):
    /// each replaces that role's built-in policy, a file named after no role
    /// defines one.  A malformed file fails the build with
    /// `file:line:column` in the message.
    pub fn policy_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.ops.push(Op::PolicyDir {
            dir: dir.as_ref().to_owned(),
            dangerous: false,
        });
        self
    }

    /// [`policy_dir`](ContextBuilder::policy_dir) letting its
    /// `process.policy` allow dangerous syscalls.  Never derive this from
    /// the directory's contents.
    pub fn policy_dir_allow_dangerous(mut self, dir: impl AsRef<Path>) -> Self {
        self.ops.push(Op::PolicyDir {
            dir: dir.as_ref().to_owned(),
            dangerous: true,
        });
        self
    }

    /// Whether the process needs Landlock (`vmm_seccomp_set_landlock`);
    /// [`Landlock::Off`] turns it off.
    pub fn landlock(mut self, landlock: Landlock) -> Self {
        self.ops.push(Op::Landlock(landlock));
        self
    }

    /// Lets `role`'s threads reach `path` with `access`
    /// (`vmm_seccomp_allow_path`).  For a role, the rule must lie within a
    /// baseline ([`Role::PROCESS`]) rule.
    pub fn allow_path(
        mut self,
        role: impl Into<RoleRef>,
        path: impl AsRef<Path>,
        access: PathAccess,
    ) -> Self {
        self.ops.push(Op::AllowPath {
            role: role.into(),
            path: path.as_ref().to_owned(),
            access,
        });
        self
    }

    /// A path rule from a string `"PATH:ACCESS"` (`"/run/vmm:read+socket"`,
    /// `"/dev/kvm:rw"`; `vmm_seccomp_add_path_rule`).
    pub fn path_rule(mut self, role: impl Into<RoleRef>, rule: &str) -> Self {
        self.ops.push(Op::PathRule {
            role: role.into(),
            rule: rule.to_owned(),
        });
        self
    }

    /// Reports go to `fd` (`vmm_seccomp_set_report_fd`; default 2).  Every
    /// filter allows write(2) on exactly this descriptor; the caller keeps
    /// it open for as long as the process runs.
    pub fn report_fd(mut self, fd: RawFd) -> Self {
        self.ops.push(Op::ReportFd(fd));
        self
    }

    /// Reports go into a pipe the context creates, read back as
    /// [`Report`](crate::Report)s through [`Context::reports`].  The write
    /// end is non-blocking: a report that finds the pipe full (64 KiB
    /// unread) is dropped rather than leave the offending thread stuck in
    /// its signal handler; the counters still count it.
    ///
    /// This is the crate's report sink: a Rust callback
    /// (`vmm_seccomp_set_report_callback`) would run inside the SIGSYS
    /// handler, where allocating, locking or panicking is undefined
    /// behaviour, and under the offending thread's filter.  A pipe moves
    /// the report out of the handler with the one write(2) it makes anyway.
    pub fn report_channel(mut self) -> Self {
        self.ops.push(Op::ReportChannel);
        self
    }

    /// Makes the context: every step in order.  Compiles nothing yet (see
    /// [`Context::compile`]).
    pub fn build(self) -> Result<Context> {
        // SAFETY: plain allocation; NULL only when out of memory.
        let raw = NonNull::new(unsafe { sys::vmm_seccomp_new() }).ok_or(Error::Io {
            what: "vmm_seccomp_new",
            source: std::io::Error::from_raw_os_error(libc::ENOMEM),
        })?;
        let mut ctx = Context {
            raw,
            applied: false,
            report_write: None,
            report_read: Mutex::new(None),
        };
        for op in self.ops {
            ctx.run(op)?;
        }
        Ok(ctx)
    }
}

/// A vmm_seccomp context: the policies of the baseline and of every role,
/// their modes, the Landlock rules and the report sink.
///
/// Life cycle: [`Context::builder`] ... [`build`](ContextBuilder::build),
/// optionally [`compile`](Context::compile) (memory only), then
/// [`apply_process`](Context::apply_process) once, then threads with
/// roles: [`spawn`](Context::spawn), [`thread`](Context::thread),
/// [`enter_role`](Context::enter_role).
///
/// Once applied, a context is never freed: its filters stay installed and
/// its SIGSYS handler refers to it for as long as the process runs, so
/// dropping it leaks it (and its report pipe) on purpose.
pub struct Context {
    raw: NonNull<sys::vmm_seccomp>,
    applied: bool,
    report_write: Option<OwnedFd>,
    report_read: Mutex<Option<File>>,
}

// SAFETY: configuration needs `&mut self`; what takes `&self` (entering
// roles, spawning, counters, names) is what the library makes from any
// thread once applied, or only reads state frozen by compile.
unsafe impl Send for Context {}
unsafe impl Sync for Context {}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("applied", &self.applied)
            .field("roles", &self.role_count())
            .finish()
    }
}

impl Context {
    /// A [`ContextBuilder`].
    pub fn builder() -> ContextBuilder {
        ContextBuilder::new()
    }

    /// The C context, for calls this crate does not wrap.
    pub fn as_ptr(&self) -> *mut sys::vmm_seccomp {
        self.raw.as_ptr()
    }

    fn resolve(&self, role: &RoleRef) -> Result<Role> {
        match role {
            RoleRef::Role(r) => Ok(*r),
            RoleRef::Name(n) => self.role(n),
        }
    }

    fn run(&mut self, op: Op) -> Result<()> {
        let p = self.raw.as_ptr();
        // SAFETY (every call below): p is a live context, the strings are
        // valid C strings the library copies or borrows only for the call.
        match op {
            Op::Mode(m) => check(p, "vmm_seccomp_set_mode", unsafe {
                sys::vmm_seccomp_set_mode(p, m.raw())
            }),
            Op::RoleMode(r, m) => {
                let r = self.resolve(&r)?;
                check(p, "vmm_seccomp_set_role_mode", unsafe {
                    sys::vmm_seccomp_set_role_mode(p, r.0, m.raw())
                })
            }
            Op::Configure(s) => {
                let c = cstring("configuration string", &s)?;
                check(p, "vmm_seccomp_configure", unsafe {
                    sys::vmm_seccomp_configure(p, c.as_ptr())
                })
            }
            Op::ConfigureFromEnv(var) => {
                let c = var.map(|v| cstring("variable name", &v)).transpose()?;
                let cp = c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
                check(p, "vmm_seccomp_configure_from_env", unsafe {
                    sys::vmm_seccomp_configure_from_env(p, cp)
                })
            }
            Op::Rules {
                role,
                text,
                origin,
                dangerous,
            } => {
                let r = self.resolve(&role)?;
                let t = cstring("policy text", &text)?;
                let o = cstring("origin", &origin)?;
                let flags = if dangerous {
                    sys::VMM_SECCOMP_ALLOW_DANGEROUS
                } else {
                    0
                };
                check(p, "vmm_seccomp_add_rules", unsafe {
                    sys::vmm_seccomp_add_rules(p, r.0, t.as_ptr(), o.as_ptr(), flags)
                })
            }
            Op::DefineRole { name, text, origin } => {
                let n = cstring("role name", &name)?;
                let t = cstring("policy text", &text)?;
                let o = origin.map(|o| cstring("origin", &o)).transpose()?;
                let op = o.as_ref().map_or(std::ptr::null(), |o| o.as_ptr());
                check(p, "vmm_seccomp_define_role", unsafe {
                    sys::vmm_seccomp_define_role(
                        p,
                        n.as_ptr(),
                        t.as_ptr(),
                        op,
                        std::ptr::null_mut(),
                    )
                })
            }
            Op::PolicyDir { dir, dangerous } => {
                let d = path_cstring("policy directory", &dir)?;
                let flags = if dangerous {
                    sys::VMM_SECCOMP_ALLOW_DANGEROUS
                } else {
                    0
                };
                check(p, "vmm_seccomp_load_policy_dir", unsafe {
                    sys::vmm_seccomp_load_policy_dir(p, d.as_ptr(), flags)
                })
            }
            Op::Landlock(l) => check(p, "vmm_seccomp_set_landlock", unsafe {
                sys::vmm_seccomp_set_landlock(p, l.raw())
            }),
            Op::AllowPath { role, path, access } => {
                let r = self.resolve(&role)?;
                let c = path_cstring("path", &path)?;
                check(p, "vmm_seccomp_allow_path", unsafe {
                    sys::vmm_seccomp_allow_path(p, r.0, c.as_ptr(), access.bits())
                })
            }
            Op::PathRule { role, rule } => {
                let r = self.resolve(&role)?;
                let c = cstring("path rule", &rule)?;
                check(p, "vmm_seccomp_add_path_rule", unsafe {
                    sys::vmm_seccomp_add_path_rule(p, r.0, c.as_ptr())
                })
            }
            Op::ReportFd(fd) => check(p, "vmm_seccomp_set_report_fd", unsafe {
                sys::vmm_seccomp_set_report_fd(p, fd)
            }),
            Op::ReportChannel => {
                let (read, write) = report_pipe()?;
                check(p, "vmm_seccomp_set_report_fd", unsafe {
                    sys::vmm_seccomp_set_report_fd(p, write.as_raw_fd())
                })?;
                self.report_write = Some(write);
                *self.report_read.get_mut().unwrap() = Some(File::from(read));
                Ok(())
            }
        }
    }

    /// Resolves the policies and compiles every layer's BPF program
    /// (`vmm_seccomp_compile`).  Touches no kernel state; freezes the
    /// configuration.  [`apply_process`](Context::apply_process) does it if
    /// not done before.
    pub fn compile(&mut self) -> Result<()> {
        let p = self.raw.as_ptr();
        // SAFETY: p is a live context.
        check(p, "vmm_seccomp_compile", unsafe {
            sys::vmm_seccomp_compile(p)
        })
    }

    /// Installs the baseline on every thread of the process at once, and
    /// the process's Landlock domain (`vmm_seccomp_apply_process`).  All or
    /// nothing.  Threads created later inherit the baseline; call it before
    /// creating any thread that enters a role.  Only one context per process
    /// can be applied; from then on the context is never freed.
    pub fn apply_process(&mut self) -> Result<()> {
        let p = self.raw.as_ptr();
        // SAFETY: p is a live context.
        check(p, "vmm_seccomp_apply_process", unsafe {
            sys::vmm_seccomp_apply_process(p)
        })?;
        self.applied = true;
        Ok(())
    }

    /// Whether [`apply_process`](Context::apply_process) succeeded.
    pub fn is_applied(&self) -> bool {
        self.applied
    }

    /// Puts the calling thread into `role`, naming it `name` if given
    /// (`vmm_seccomp_enter_role`): for threads made by code that does not go
    /// through [`spawn`](Context::spawn), such as a tokio runtime's workers
    /// (call it from `on_thread_start`).  A thread enters at most one role.
    pub fn enter_role(&self, role: Role, name: Option<&str>) -> Result<()> {
        let n = name.map(|n| cstring("thread name", n)).transpose()?;
        let np = n.as_ref().map_or(std::ptr::null(), |n| n.as_ptr());
        let p = self.raw.as_ptr();
        // SAFETY: p is a live context, np NULL or a valid C string.
        check(p, "vmm_seccomp_enter_role", unsafe {
            sys::vmm_seccomp_enter_role(p, role.0, np)
        })
    }

    /// The role named `name`, built-in or defined (`vmm_seccomp_find_role`).
    pub fn role(&self, name: &str) -> Result<Role> {
        let c = cstring("role name", name)?;
        let mut r = 0;
        // SAFETY: live context, valid C string, valid out pointer.
        let rc = unsafe { sys::vmm_seccomp_find_role(self.raw.as_ptr(), c.as_ptr(), &mut r) };
        if rc < 0 {
            return Err(Error::NoSuchRole(name.to_owned()));
        }
        Ok(Role(r))
    }

    /// The name of a role of this context, built-in or defined.
    pub fn role_name(&self, role: Role) -> Option<&str> {
        // SAFETY: the string is borrowed until the context is freed, which
        // outlives &self.
        let p = unsafe { sys::vmm_seccomp_get_role_name(self.raw.as_ptr(), role.0) };
        if p.is_null() {
            return None;
        }
        unsafe { CStr::from_ptr(p) }.to_str().ok()
    }

    /// How many roles the context has, built-in and defined.
    pub fn role_count(&self) -> u32 {
        // SAFETY: live context.
        unsafe { sys::vmm_seccomp_role_count(self.raw.as_ptr()) }
    }

    /// Every role of the context: the built-in ones, then those defined,
    /// in order.
    pub fn roles(&self) -> impl Iterator<Item = Role> {
        (0..self.role_count()).map(Role)
    }

    /// The mode of one layer.
    pub fn mode(&self, role: Role) -> Option<Mode> {
        // SAFETY: live context; an out-of-range role gives an invalid mode.
        Mode::from_raw(unsafe { sys::vmm_seccomp_get_role_mode(self.raw.as_ptr(), role.0) })
    }

    /// The compiled BPF program of a layer; `None` before compiling or in
    /// [`Mode::Off`].
    pub fn program(&self, role: Role) -> Option<&[libc::sock_filter]> {
        let mut len = 0;
        // SAFETY: the program is borrowed until the context is freed; each
        // instruction is a struct sock_filter.
        let p = unsafe { sys::vmm_seccomp_program(self.raw.as_ptr(), role.0, &mut len) };
        if p.is_null() {
            return None;
        }
        Some(unsafe { std::slice::from_raw_parts(p.cast::<libc::sock_filter>(), len) })
    }

    /// How many times `syscall_nr` was refused with a report on threads of
    /// `role` (`-1` counts foreign-ABI syscalls).
    pub fn violation_count(&self, role: Role, syscall_nr: i32) -> u64 {
        // SAFETY: live context.
        unsafe { sys::vmm_seccomp_violation_count(self.raw.as_ptr(), role.0, syscall_nr) }
    }

    /// How many syscalls were refused with a report on threads of `role`.
    pub fn violation_total(&self, role: Role) -> u64 {
        // SAFETY: live context.
        unsafe { sys::vmm_seccomp_violation_total(self.raw.as_ptr(), role.0) }
    }

    /// What Landlock enforces (after apply), or would on this kernel.
    pub fn landlock_status(&mut self) -> LandlockStatus {
        let mut info = sys::vmm_seccomp_landlock_info::default();
        let mut buf = vec![0u8; 512];
        // SAFETY: live context; buf is writable for its length.
        let need = unsafe {
            sys::vmm_seccomp_landlock_status(
                self.raw.as_ptr(),
                &mut info,
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if need >= buf.len() {
            buf = vec![0u8; need + 1];
            unsafe {
                sys::vmm_seccomp_landlock_status(
                    self.raw.as_ptr(),
                    &mut info,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                )
            };
        }
        let summary = CStr::from_bytes_until_nul(&buf)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        LandlockStatus {
            abi: info.abi,
            enforced: info.enforced,
            fs_rights: info.fs_rights,
            net_rights: info.net_rights,
            scopes: info.scopes,
            audit: info.audit,
            summary,
        }
    }

    /// The reports of a context built with
    /// [`report_channel`](ContextBuilder::report_channel); `None` without
    /// one, or once taken (there is one reader).
    pub fn reports(&self) -> Option<Reports> {
        self.report_read.lock().ok()?.take().map(Reports::new)
    }

    /// The reports as [`AsyncReports`](crate::AsyncReports) for a tokio
    /// task ([`Reports::into_async`]); `None` as for
    /// [`reports`](Context::reports), `Some(Err)` if the descriptor cannot
    /// be registered (no runtime with I/O on this thread).
    #[cfg(feature = "tokio")]
    pub fn reports_async(&self) -> Option<std::io::Result<crate::AsyncReports>> {
        self.reports().map(Reports::into_async)
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if self.applied {
            // The filters and the SIGSYS handler still use the context and
            // the report descriptor: keep both for the process's life.
            if let Some(fd) = self.report_write.take() {
                std::mem::forget(fd);
            }
            return;
        }
        // SAFETY: never applied, so nothing refers to it any more.
        unsafe { sys::vmm_seccomp_free(self.raw.as_ptr()) };
    }
}

/// What Landlock enforces ([`Context::landlock_status`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LandlockStatus {
    /// The kernel's Landlock ABI; 0: none.
    pub abi: i32,
    /// Apply put the process into a domain.
    pub enforced: bool,
    /// `LANDLOCK_ACCESS_FS_*` the domain handles.
    pub fs_rights: u64,
    /// `LANDLOCK_ACCESS_NET_*` the domain handles.
    pub net_rights: u64,
    /// `LANDLOCK_SCOPE_*` the domain has.
    pub scopes: u64,
    /// Denials reach the kernel's audit log.
    pub audit: bool,
    /// The same in words, as the library says it.
    pub summary: String,
}

/// One thread the library knows ([`threads`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadInfo {
    /// The thread id.
    pub tid: i32,
    /// Its role.
    pub role: Role,
    /// Its name.
    pub name: String,
    /// A role filter is installed on it.
    pub filtered: bool,
}

/// The threads registered with the library (those made by
/// [`Context::spawn`] or that entered a role), a snapshot.
pub fn threads() -> Vec<ThreadInfo> {
    // SAFETY: with max 0 the library only counts.
    let n = unsafe { sys::vmm_seccomp_threads(std::ptr::null_mut(), 0) };
    let mut out: Vec<sys::vmm_seccomp_thread_info> = Vec::with_capacity(n + 8);
    // SAFETY: out has room for its capacity; the library writes at most
    // that many and returns how many are registered.
    let total = unsafe { sys::vmm_seccomp_threads(out.as_mut_ptr(), out.capacity()) };
    unsafe { out.set_len(total.min(out.capacity())) };
    out.iter()
        .map(|t| ThreadInfo {
            tid: t.tid,
            role: Role(t.role),
            name: {
                let bytes: Vec<u8> = t
                    .name
                    .iter()
                    .take_while(|&&c| c != 0)
                    .map(|&c| c as u8)
                    .collect();
                String::from_utf8_lossy(&bytes).into_owned()
            },
            filtered: t.filtered,
        })
        .collect()
}

/// Whether the syscall named `name` is on the library's dangerous list
/// (execve, fork, ptrace, mount, ...).
pub fn is_dangerous(name: &str) -> bool {
    match CString::new(name) {
        // SAFETY: valid C string.
        Ok(c) => unsafe { sys::vmm_seccomp_is_dangerous(c.as_ptr()) },
        Err(_) => false,
    }
}

fn path_cstring(what: &'static str, p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| Error::Nul { what })
}

fn report_pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(Error::Io {
            what: "creating the report pipe",
            source: std::io::Error::last_os_error(),
        });
    }
    // SAFETY: both descriptors are fresh and ours.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // Never block the offending thread inside its signal handler.
    // SAFETY: plain fcntl on our descriptor.
    let fl = unsafe { libc::fcntl(write.as_raw_fd(), libc::F_GETFL) };
    if fl < 0 || unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK) } < 0
    {
        return Err(Error::Io {
            what: "making the report pipe non-blocking",
            source: std::io::Error::last_os_error(),
        });
    }
    Ok((read, write))
}
