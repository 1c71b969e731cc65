//! Raw FFI declarations for libvmm_seccomp, written by hand from
//! `vmm_seccomp/include/vmm_seccomp.h` (no bindgen: it is not packaged
//! where this is built offline).
//!
//! Every item mirrors the header one for one, under the header's names; the
//! header's comments are the reference for what each call does, its errors
//! and its borrowing rules.  `tests/layout.rs` checks the sizes, offsets and
//! constants here against the C compiler's view of the header.
//!
//! The safe interface is the `vmm-seccomp` crate.
#![allow(non_camel_case_types)]
#![no_std]
#![deny(missing_docs)]

use libc::{c_char, c_int, c_uint, c_void, pthread_attr_t, pthread_t, size_t};

/// `enum vmm_seccomp_role`: a role's value in a context (built-in roles
/// below, defined ones from [`VMM_SECCOMP_ROLE_COUNT`] on).
pub type vmm_seccomp_role = c_uint;
/// The baseline every thread has.
pub const VMM_SECCOMP_ROLE_PROCESS: vmm_seccomp_role = 0;
/// The VMM's main event loop.
pub const VMM_SECCOMP_ROLE_VMM: vmm_seccomp_role = 1;
/// A vCPU thread.
pub const VMM_SECCOMP_ROLE_VCPU: vmm_seccomp_role = 2;
/// The API server.
pub const VMM_SECCOMP_ROLE_API: vmm_seccomp_role = 3;
/// A virtio-blk device thread.
pub const VMM_SECCOMP_ROLE_VIRTIO_BLOCK: vmm_seccomp_role = 4;
/// A virtio-net device thread.
pub const VMM_SECCOMP_ROLE_VIRTIO_NET: vmm_seccomp_role = 5;
/// A virtio-console device thread.
pub const VMM_SECCOMP_ROLE_VIRTIO_CONSOLE: vmm_seccomp_role = 6;
/// A virtio-rng device thread.
pub const VMM_SECCOMP_ROLE_VIRTIO_RNG: vmm_seccomp_role = 7;
/// A virtio-vsock device thread.
pub const VMM_SECCOMP_ROLE_VIRTIO_VSOCK: vmm_seccomp_role = 8;
/// A virtio-fs device thread.
pub const VMM_SECCOMP_ROLE_VIRTIO_FS: vmm_seccomp_role = 9;
/// A virtio-balloon device thread.
pub const VMM_SECCOMP_ROLE_VIRTIO_BALLOON: vmm_seccomp_role = 10;
/// A vhost-user backend thread.
pub const VMM_SECCOMP_ROLE_VHOST_USER: vmm_seccomp_role = 11;
/// An I/O worker thread.
pub const VMM_SECCOMP_ROLE_IO_WORKER: vmm_seccomp_role = 12;
/// A dedicated signal-handling thread.
pub const VMM_SECCOMP_ROLE_SIGNAL_HANDLER: vmm_seccomp_role = 13;
/// An async runtime's worker thread (tokio).
pub const VMM_SECCOMP_ROLE_RUNTIME: vmm_seccomp_role = 14;
/// How many roles are built in.
pub const VMM_SECCOMP_ROLE_COUNT: vmm_seccomp_role = 15;

/// How many roles a context holds, built-in and defined together.
pub const VMM_SECCOMP_ROLE_MAX: c_uint = 64;
/// The longest role name, in bytes.
pub const VMM_SECCOMP_ROLE_NAME_MAX: c_uint = 31;

/// `enum vmm_seccomp_mode`: what a layer does with a syscall it refuses.
pub type vmm_seccomp_mode = c_uint;
/// Refuse, report, kill the process by SIGSYS (default).
pub const VMM_SECCOMP_MODE_ENFORCE: vmm_seccomp_mode = 0;
/// SECCOMP_RET_KILL_PROCESS, no report.
pub const VMM_SECCOMP_MODE_KILL: vmm_seccomp_mode = 1;
/// Fail with EPERM, report, go on.
pub const VMM_SECCOMP_MODE_ERRNO: vmm_seccomp_mode = 2;
/// Run it; the kernel logs it.
pub const VMM_SECCOMP_MODE_LOG: vmm_seccomp_mode = 3;
/// No filter for this layer.
pub const VMM_SECCOMP_MODE_OFF: vmm_seccomp_mode = 4;
/// How many modes there are.
pub const VMM_SECCOMP_MODE_COUNT: vmm_seccomp_mode = 5;

/// Flag of `vmm_seccomp_add_rules()` / `vmm_seccomp_load_policy_dir()`:
/// let the baseline allow a syscall on the dangerous list.
pub const VMM_SECCOMP_ALLOW_DANGEROUS: c_uint = 0x1;

/// The environment variable `vmm_seccomp_configure_from_env()` reads.
pub const VMM_SECCOMP_ENV: &str = "VMM_SECCOMP";

/// Path access: open files to read, list directories.
pub const VMM_SECCOMP_PATH_READ: c_uint = 0x01;
/// Path access: open files to write, truncate them.
pub const VMM_SECCOMP_PATH_WRITE: c_uint = 0x02;
/// Path access: create, remove, rename, link entries (directories).
pub const VMM_SECCOMP_PATH_CREATE: c_uint = 0x04;
/// Path access: bind Unix sockets (directories).
pub const VMM_SECCOMP_PATH_SOCKET: c_uint = 0x08;
/// Path access: ioctl on device files opened there (Landlock ABI 5).
pub const VMM_SECCOMP_PATH_DEVICE: c_uint = 0x10;
/// Path access: connect to Unix sockets there (Landlock ABI 9).
pub const VMM_SECCOMP_PATH_CONNECT: c_uint = 0x20;
/// "ro" in rule strings.
pub const VMM_SECCOMP_PATH_RO: c_uint = VMM_SECCOMP_PATH_READ;
/// "rw" in rule strings: every access.
pub const VMM_SECCOMP_PATH_RW: c_uint = VMM_SECCOMP_PATH_READ
    | VMM_SECCOMP_PATH_WRITE
    | VMM_SECCOMP_PATH_CREATE
    | VMM_SECCOMP_PATH_SOCKET
    | VMM_SECCOMP_PATH_DEVICE
    | VMM_SECCOMP_PATH_CONNECT;

/// `enum vmm_seccomp_landlock`: whether the process needs Landlock.
pub type vmm_seccomp_landlock = c_uint;
/// Apply fails without Landlock (default).
pub const VMM_SECCOMP_LANDLOCK_REQUIRE: vmm_seccomp_landlock = 0;
/// Run without it where the kernel has none.
pub const VMM_SECCOMP_LANDLOCK_IF_AVAILABLE: vmm_seccomp_landlock = 1;
/// No Landlock domain at all.
pub const VMM_SECCOMP_LANDLOCK_OFF: vmm_seccomp_landlock = 2;

/// `struct vmm_seccomp`: the opaque context.
#[repr(C)]
pub struct vmm_seccomp {
    _opaque: [u8; 0],
    _not_send_sync: core::marker::PhantomData<*mut u8>,
}

/// `struct vmm_seccomp_violation`: a refused syscall as given to a report
/// callback.  Every pointer borrows storage valid only during the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vmm_seccomp_violation {
    /// The thread's id.
    pub tid: c_int,
    /// The thread's name.
    pub thread_name: *const c_char,
    /// The thread's role (PROCESS if none).
    pub role: vmm_seccomp_role,
    /// The refusing layer's mode.
    pub mode: vmm_seccomp_mode,
    /// AUDIT_ARCH_* of the syscall's ABI.
    pub arch: u32,
    /// "x86_64", "i386", "x32".
    pub arch_name: *const c_char,
    /// The syscall number, without the x32 bit.
    pub syscall_nr: c_int,
    /// The syscall's name, or "?".
    pub syscall_name: *const c_char,
    /// The syscall's arguments.
    pub args: [u64; 6],
    /// For ioctl: the request's name, or NULL.
    pub ioctl_name: *const c_char,
    /// The layer whose filter refused.
    pub layer: vmm_seccomp_role,
    /// A syscall no policy has reviewed: it failed with ENOSYS.
    pub unreviewed: bool,
    /// The name of `role`.
    pub role_name: *const c_char,
    /// The name of `layer`.
    pub layer_name: *const c_char,
}

/// `vmm_seccomp_report_fn`: called from the SIGSYS handler of the
/// offending thread; must be async-signal-safe.
pub type vmm_seccomp_report_fn = Option<
    unsafe extern "C" fn(v: *const vmm_seccomp_violation, line: *const c_char, arg: *mut c_void),
>;

/// `struct vmm_seccomp_thread_info`: one registered thread.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vmm_seccomp_thread_info {
    /// The thread's id.
    pub tid: c_int,
    /// Its role.
    pub role: vmm_seccomp_role,
    /// Its name, NUL-terminated.
    pub name: [c_char; 16],
    /// A role filter is installed on it.
    pub filtered: bool,
}

/// `struct vmm_seccomp_landlock_info`: what Landlock enforces.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct vmm_seccomp_landlock_info {
    /// The kernel's Landlock ABI; 0: none.
    pub abi: c_int,
    /// Apply put the process into a domain.
    pub enforced: bool,
    /// LANDLOCK_ACCESS_FS_* the domain handles.
    pub fs_rights: u64,
    /// LANDLOCK_ACCESS_NET_* the domain handles.
    pub net_rights: u64,
    /// LANDLOCK_SCOPE_* the domain has.
    pub scopes: u64,
    /// Denials reach the kernel's audit log.
    pub audit: bool,
}

extern "C" {
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_new() -> *mut vmm_seccomp;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_free(ctx: *mut vmm_seccomp);
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_last_error(ctx: *const vmm_seccomp) -> *const c_char;

    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_set_mode(ctx: *mut vmm_seccomp, mode: vmm_seccomp_mode) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_set_role_mode(
        ctx: *mut vmm_seccomp,
        role: vmm_seccomp_role,
        mode: vmm_seccomp_mode,
    ) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_get_role_mode(
        ctx: *const vmm_seccomp,
        role: vmm_seccomp_role,
    ) -> vmm_seccomp_mode;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_configure(ctx: *mut vmm_seccomp, str_: *const c_char) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_configure_from_env(ctx: *mut vmm_seccomp, var: *const c_char) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_add_rules(
        ctx: *mut vmm_seccomp,
        role: vmm_seccomp_role,
        policy_text: *const c_char,
        origin: *const c_char,
        flags: c_uint,
    ) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_define_role(
        ctx: *mut vmm_seccomp,
        name: *const c_char,
        policy_text: *const c_char,
        origin: *const c_char,
        role: *mut vmm_seccomp_role,
    ) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_load_policy_dir(
        ctx: *mut vmm_seccomp,
        dir: *const c_char,
        flags: c_uint,
    ) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_set_report_fd(ctx: *mut vmm_seccomp, fd: c_int) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_set_report_callback(
        ctx: *mut vmm_seccomp,
        fn_: vmm_seccomp_report_fn,
        arg: *mut c_void,
    ) -> c_int;

    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_set_landlock(ctx: *mut vmm_seccomp, landlock: vmm_seccomp_landlock)
        -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_allow_path(
        ctx: *mut vmm_seccomp,
        role: vmm_seccomp_role,
        path: *const c_char,
        access: c_uint,
    ) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_add_path_rule(
        ctx: *mut vmm_seccomp,
        role: vmm_seccomp_role,
        rule: *const c_char,
    ) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_landlock_status(
        ctx: *mut vmm_seccomp,
        out: *mut vmm_seccomp_landlock_info,
        buf: *mut c_char,
        len: size_t,
    ) -> size_t;

    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_compile(ctx: *mut vmm_seccomp) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_program(
        ctx: *const vmm_seccomp,
        role: vmm_seccomp_role,
        len: *mut size_t,
    ) -> *const c_void;

    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_apply_process(ctx: *mut vmm_seccomp) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_thread_create(
        ctx: *mut vmm_seccomp,
        thread: *mut pthread_t,
        attr: *const pthread_attr_t,
        role: vmm_seccomp_role,
        name: *const c_char,
        start_routine: Option<unsafe extern "C" fn(*mut c_void) -> *mut c_void>,
        arg: *mut c_void,
    ) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_enter_role(
        ctx: *mut vmm_seccomp,
        role: vmm_seccomp_role,
        name: *const c_char,
    ) -> c_int;

    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_violation_count(
        ctx: *const vmm_seccomp,
        role: vmm_seccomp_role,
        syscall_nr: c_int,
    ) -> u64;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_violation_total(ctx: *const vmm_seccomp, role: vmm_seccomp_role) -> u64;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_threads(out: *mut vmm_seccomp_thread_info, max: size_t) -> size_t;

    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_role_name(role: vmm_seccomp_role) -> *const c_char;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_role_from_name(name: *const c_char, role: *mut vmm_seccomp_role) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_get_role_name(
        ctx: *const vmm_seccomp,
        role: vmm_seccomp_role,
    ) -> *const c_char;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_find_role(
        ctx: *const vmm_seccomp,
        name: *const c_char,
        role: *mut vmm_seccomp_role,
    ) -> c_int;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_role_count(ctx: *const vmm_seccomp) -> c_uint;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_mode_name(mode: vmm_seccomp_mode) -> *const c_char;
    /// See vmm_seccomp.h.
    pub fn vmm_seccomp_is_dangerous(name: *const c_char) -> bool;
}

/// The layout probe compiled from `csrc/layout.c`, for the tests.
#[doc(hidden)]
pub mod layout {
    use libc::{c_char, size_t};

    /// One entry: a name ("sizeof vmm_seccomp_violation",
    /// "vmm_seccomp_violation.args", "VMM_SECCOMP_PATH_RW") and its value
    /// as the C compiler has it.
    #[repr(C)]
    pub struct Entry {
        /// What is measured.
        pub name: *const c_char,
        /// Its value in C.
        pub value: u64,
    }

    extern "C" {
        /// The table and its length.
        pub fn vmm_seccomp_sys_layout_table(n: *mut size_t) -> *const Entry;
    }
}
