//! Safe Rust bindings for vmm_seccomp: syscall sandboxing for in-process
//! virtual machine monitors.
//!
//! Two layers of seccomp-BPF filters: the process baseline, installed on
//! every thread at once by [`Context::apply_process`], and one role filter
//! per thread (vCPU, a virtio device, the API server, an async runtime's
//! workers, a role of one's own), stacked on it by [`Context::spawn`] or
//! [`Context::enter_role`].  A syscall runs only if every layer on its
//! thread allows it.  Landlock confines the paths the process reaches.
//!
//! ```no_run
//! use vmm_seccomp::{Context, Mode, Role};
//!
//! # fn main() -> vmm_seccomp::Result<()> {
//! let mut ctx = Context::builder()
//!     .configure("enforce,vcpu=enforce")
//!     .rules(Role::VCPU, "getpid\n", "embedder")
//!     .path_rule(Role::PROCESS, "/dev/kvm:rw")
//!     .report_channel()
//!     .build()?;
//! ctx.apply_process()?;
//! let vcpu = ctx.spawn(Role::VCPU, "vcpu0", || {
//!     // KVM_RUN loop, under the vcpu role's filter
//!     0
//! })?;
//! assert_eq!(vcpu.join().unwrap(), 0);
//! # Ok(())
//! # }
//! ```
//!
//! Errors carry the library's own message ([`Error::Library`]), which names
//! what and where (`embedder:2:1: unknown syscall 'getpidd'`).
//!
//! Features: `tokio` adds `Context::reports_async` /
//! `Reports::into_async`, the reports read by a task of a tokio runtime.
#![deny(missing_docs)]

mod context;
mod error;
mod report;
mod role;
pub mod thread;

pub use context::{
    is_dangerous, threads, Context, ContextBuilder, LandlockStatus, RoleRef, ThreadInfo,
};
pub use error::{Error, Result};
#[cfg(feature = "tokio")]
pub use report::AsyncReports;
pub use report::{Report, Reports};
pub use role::{Landlock, Mode, PathAccess, Role};
pub use thread::RoleThreadBuilder;

/// The raw declarations this crate wraps.
pub use vmm_seccomp_sys as sys;
