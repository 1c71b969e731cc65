//! Roles and modes.

use std::ffi::CStr;
use std::fmt;

use vmm_seccomp_sys as sys;

use crate::error::{cstring, Error, Result};

/// A role a thread can play: one of the built-in ones (the associated
/// constants) or one a context defines (look it up by name with
/// [`Context::role`](crate::Context::role)).
///
/// A role is a value of one context: a defined role's value means nothing
/// to another context.  The built-in values are the same in every context.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Role(pub(crate) sys::vmm_seccomp_role);

impl Role {
    /// The baseline every thread has (`process`).
    pub const PROCESS: Role = Role(sys::VMM_SECCOMP_ROLE_PROCESS);
    /// The VMM's main event loop (`vmm`).
    pub const VMM: Role = Role(sys::VMM_SECCOMP_ROLE_VMM);
    /// A vCPU thread (`vcpu`).
    pub const VCPU: Role = Role(sys::VMM_SECCOMP_ROLE_VCPU);
    /// The API server (`api`).
    pub const API: Role = Role(sys::VMM_SECCOMP_ROLE_API);
    /// A virtio-blk device thread (`virtio_block`).
    pub const VIRTIO_BLOCK: Role = Role(sys::VMM_SECCOMP_ROLE_VIRTIO_BLOCK);
    /// A virtio-net device thread (`virtio_net`).
    pub const VIRTIO_NET: Role = Role(sys::VMM_SECCOMP_ROLE_VIRTIO_NET);
    /// A virtio-console device thread (`virtio_console`).
    pub const VIRTIO_CONSOLE: Role = Role(sys::VMM_SECCOMP_ROLE_VIRTIO_CONSOLE);
    /// A virtio-rng device thread (`virtio_rng`).
    pub const VIRTIO_RNG: Role = Role(sys::VMM_SECCOMP_ROLE_VIRTIO_RNG);
    /// A virtio-vsock device thread (`virtio_vsock`).
    pub const VIRTIO_VSOCK: Role = Role(sys::VMM_SECCOMP_ROLE_VIRTIO_VSOCK);
    /// A virtio-fs device thread (`virtio_fs`).
    pub const VIRTIO_FS: Role = Role(sys::VMM_SECCOMP_ROLE_VIRTIO_FS);
    /// A virtio-balloon device thread (`virtio_balloon`).
    pub const VIRTIO_BALLOON: Role = Role(sys::VMM_SECCOMP_ROLE_VIRTIO_BALLOON);
    /// A vhost-user backend thread (`vhost_user`).
    pub const VHOST_USER: Role = Role(sys::VMM_SECCOMP_ROLE_VHOST_USER);
    /// An I/O worker thread (`io_worker`).
    pub const IO_WORKER: Role = Role(sys::VMM_SECCOMP_ROLE_IO_WORKER);
    /// A dedicated signal-handling thread (`signal_handler`).
    pub const SIGNAL_HANDLER: Role = Role(sys::VMM_SECCOMP_ROLE_SIGNAL_HANDLER);
    /// An async runtime's worker thread, such as tokio's (`runtime`).
    pub const RUNTIME: Role = Role(sys::VMM_SECCOMP_ROLE_RUNTIME);

    /// The built-in role named `name` ("vcpu", "virtio_block", ...).  For
    /// roles a context defines, use [`Context::role`](crate::Context::role).
    pub fn builtin(name: &str) -> Result<Role> {
        let c = cstring("role name", name)?;
        let mut role = 0;
        // SAFETY: c is a valid C string, role a valid out pointer.
        let rc = unsafe { sys::vmm_seccomp_role_from_name(c.as_ptr(), &mut role) };
        if rc < 0 {
            return Err(Error::NoSuchRole(name.to_owned()));
        }
        Ok(Role(role))
    }

    /// The name of a built-in role; `None` for a defined role (ask its
    /// context: [`Context::role_name`](crate::Context::role_name)).
    pub fn builtin_name(self) -> Option<&'static str> {
        // SAFETY: the library returns a static string or NULL.
        let p = unsafe { sys::vmm_seccomp_role_name(self.0) };
        if p.is_null() {
            return None;
        }
        unsafe { CStr::from_ptr(p) }.to_str().ok()
    }

    /// Whether this is one of the built-in roles.
    pub fn is_builtin(self) -> bool {
        self.0 < sys::VMM_SECCOMP_ROLE_COUNT
    }

    /// The C value (`enum vmm_seccomp_role`).
    pub fn as_raw(self) -> u32 {
        self.0
    }

    /// A role from its C value.  The value is checked by each call that
    /// takes it, against the context it is given to.
    pub fn from_raw(raw: u32) -> Role {
        Role(raw)
    }
}

impl fmt::Debug for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.builtin_name() {
            Some(name) => write!(f, "Role({name})"),
            None => write!(f, "Role(#{})", self.0),
        }
    }
}

/// What a layer does with a syscall its policy does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// The syscall never runs; a report is written; the process dies by
    /// SIGSYS.  The default.
    #[default]
    Enforce,
    /// The kernel kills the process at once (SECCOMP_RET_KILL_PROCESS);
    /// only the kernel's audit log records it.
    Kill,
    /// The syscall fails with EPERM, a report is written, the thread goes
    /// on: for finding what a policy lacks.
    Errno,
    /// The syscall runs; the kernel logs it.
    Log,
    /// No filter is installed for this layer.
    Off,
}

impl Mode {
    pub(crate) fn raw(self) -> sys::vmm_seccomp_mode {
        match self {
            Mode::Enforce => sys::VMM_SECCOMP_MODE_ENFORCE,
            Mode::Kill => sys::VMM_SECCOMP_MODE_KILL,
            Mode::Errno => sys::VMM_SECCOMP_MODE_ERRNO,
            Mode::Log => sys::VMM_SECCOMP_MODE_LOG,
            Mode::Off => sys::VMM_SECCOMP_MODE_OFF,
        }
    }

    pub(crate) fn from_raw(raw: sys::vmm_seccomp_mode) -> Option<Mode> {
        Some(match raw {
            sys::VMM_SECCOMP_MODE_ENFORCE => Mode::Enforce,
            sys::VMM_SECCOMP_MODE_KILL => Mode::Kill,
            sys::VMM_SECCOMP_MODE_ERRNO => Mode::Errno,
            sys::VMM_SECCOMP_MODE_LOG => Mode::Log,
            sys::VMM_SECCOMP_MODE_OFF => Mode::Off,
            _ => return None,
        })
    }

    /// The mode's name in configuration strings ("enforce", "errno", ...).
    pub fn name(self) -> &'static str {
        // SAFETY: in range, so the library returns a static string.
        let p = unsafe { sys::vmm_seccomp_mode_name(self.raw()) };
        unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("?")
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether the process needs Landlock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Landlock {
    /// A kernel without Landlock makes apply fail; an older ABI enforces
    /// what it has.  The default.
    #[default]
    Require,
    /// Run without Landlock where the kernel has none.
    IfAvailable,
    /// No Landlock domain at all.
    Off,
}

impl Landlock {
    pub(crate) fn raw(self) -> sys::vmm_seccomp_landlock {
        match self {
            Landlock::Require => sys::VMM_SECCOMP_LANDLOCK_REQUIRE,
            Landlock::IfAvailable => sys::VMM_SECCOMP_LANDLOCK_IF_AVAILABLE,
            Landlock::Off => sys::VMM_SECCOMP_LANDLOCK_OFF,
        }
    }
}

/// The access a path rule grants (`VMM_SECCOMP_PATH_*`), combined with `|`.
/// A rule on a directory covers everything beneath it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PathAccess(u32);

impl PathAccess {
    /// Open files to read, list directories.
    pub const READ: PathAccess = PathAccess(sys::VMM_SECCOMP_PATH_READ);
    /// Open files to write, truncate them.
    pub const WRITE: PathAccess = PathAccess(sys::VMM_SECCOMP_PATH_WRITE);
    /// Create, remove, rename, link entries (directories only).
    pub const CREATE: PathAccess = PathAccess(sys::VMM_SECCOMP_PATH_CREATE);
    /// Bind Unix sockets (directories only).
    pub const SOCKET: PathAccess = PathAccess(sys::VMM_SECCOMP_PATH_SOCKET);
    /// ioctl on device files opened there (Landlock ABI 5).
    pub const DEVICE: PathAccess = PathAccess(sys::VMM_SECCOMP_PATH_DEVICE);
    /// Connect to Unix sockets there (Landlock ABI 9).
    pub const CONNECT: PathAccess = PathAccess(sys::VMM_SECCOMP_PATH_CONNECT);
    /// "ro": read only.
    pub const RO: PathAccess = PathAccess(sys::VMM_SECCOMP_PATH_RO);
    /// "rw": every access.
    pub const RW: PathAccess = PathAccess(sys::VMM_SECCOMP_PATH_RW);

    /// The C bits.
    pub fn bits(self) -> u32 {
        self.0
    }
}

impl std::ops::BitOr for PathAccess {
    type Output = PathAccess;
    fn bitor(self, rhs: PathAccess) -> PathAccess {
        PathAccess(self.0 | rhs.0)
    }
}
