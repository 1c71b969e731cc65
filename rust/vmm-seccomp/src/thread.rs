//! Threads with roles.
//!
//! # Why the role is entered by the new thread rather than through
//! `vmm_seccomp_thread_create`
//!
//! `vmm_seccomp_thread_create()` makes a raw pthread; a
//! [`std::thread::JoinHandle`] can only come from [`std::thread::Builder`],
//! and only a std thread gives a Rust embedder what it expects: a joinable
//! handle returning the closure's value, panics carried to `join()`,
//! [`std::thread::current`] with the name, thread-locals torn down at exit.
//! So [`Context::spawn`] makes a std thread whose first step, before the
//! closure, is `vmm_seccomp_enter_role()`, and the C call's guarantee is kept
//! in the same shape:
//!
//! - the closure never runs outside its role: if entering fails, the thread
//!   ends without calling it (it unwinds with a private payload through
//!   [`std::panic::resume_unwind`], which runs no panic hook, so nothing is
//!   printed);
//! - `spawn` returns only once the role's filter is in: it waits for the new
//!   thread's answer, and returns the library's error if there is one, as
//!   `vmm_seccomp_thread_create()` does;
//! - what runs in the new thread before the role is entered is std's thread
//!   start (naming the thread, its alternate signal stack), under the
//!   baseline every thread of an applied process has, so no thread is ever
//!   unconfined.  The baseline and role policies list what std's thread
//!   start and exit need (policy/groups/thread.policy).

use std::sync::mpsc;
use std::thread::JoinHandle;

use vmm_seccomp_sys as sys;

use crate::context::Context;
use crate::error::{cstring, last_error, Error, Result};
use crate::role::Role;

/// A thread-spawning builder for one role, in the manner of
/// [`std::thread::Builder`]: from [`Context::thread`].
#[derive(Debug)]
#[must_use = "a thread builder does nothing until spawn() is called"]
pub struct RoleThreadBuilder<'a> {
    ctx: &'a Context,
    role: Role,
    name: Option<String>,
    stack_size: Option<usize>,
}

/// The payload a thread that could not enter its role unwinds with.
struct EnterRoleFailed;

/// A context pointer a new thread may use while its spawner waits for it.
struct CtxPtr(*mut sys::vmm_seccomp);
// SAFETY: the spawner keeps the context borrowed until the new thread has
// answered, and the thread uses the pointer only before answering.
unsafe impl Send for CtxPtr {}

impl CtxPtr {
    fn get(&self) -> *mut sys::vmm_seccomp {
        self.0
    }
}

impl<'a> RoleThreadBuilder<'a> {
    pub(crate) fn new(ctx: &'a Context, role: Role) -> RoleThreadBuilder<'a> {
        RoleThreadBuilder {
            ctx,
            role,
            name: None,
            stack_size: None,
        }
    }

    /// Names the thread (the kernel keeps 15 bytes; the library's reports
    /// and `/proc` show it).  Without a name the thread is named after its
    /// role.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The new thread's stack size in bytes, as
    /// [`std::thread::Builder::stack_size`].
    pub fn stack_size(mut self, size: usize) -> Self {
        self.stack_size = Some(size);
        self
    }

    /// Spawns the thread: it enters the role, then runs `f`.  Returns once
    /// the role's filter is installed on the new thread, or with the
    /// library's error (the thread then ends without running `f`).  Needs
    /// [`Context::apply_process`] first.
    pub fn spawn<F, T>(self, f: F) -> Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let name = match self.name {
            Some(n) => n,
            None => self
                .ctx
                .role_name(self.role)
                .ok_or_else(|| Error::Library {
                    call: "vmm_seccomp_enter_role",
                    errno: libc::EINVAL,
                    message: format!("role {} is none of this context's", self.role.as_raw()),
                })?
                .to_owned(),
        };
        let cname = cstring("thread name", &name)?;
        let mut builder = std::thread::Builder::new().name(name);
        if let Some(size) = self.stack_size {
            builder = builder.stack_size(size);
        }
        let ctx = CtxPtr(self.ctx.as_ptr());
        let role = self.role;
        let (tx, rx) = mpsc::sync_channel::<std::result::Result<(), (i32, String)>>(1);
        let handle = builder
            .spawn(move || {
                let p = ctx.get();
                // SAFETY: the spawner holds the context until we answer.
                let rc = unsafe { sys::vmm_seccomp_enter_role(p, role.as_raw(), cname.as_ptr()) };
                if rc < 0 {
                    let message = last_error(p);
                    let _ = tx.send(Err((-rc, message)));
                    // Not f(): the thread may not run outside its role.
                    std::panic::resume_unwind(Box::new(EnterRoleFailed));
                }
                let _ = tx.send(Ok(()));
                drop(tx);
                f()
            })
            .map_err(|source| Error::Io {
                what: "spawning a thread",
                source,
            })?;
        match rx.recv() {
            Ok(Ok(())) => Ok(handle),
            Ok(Err((errno, message))) => {
                let _ = handle.join();
                Err(Error::Library {
                    call: "vmm_seccomp_enter_role",
                    errno,
                    message,
                })
            }
            Err(_) => {
                let _ = handle.join();
                Err(Error::Library {
                    call: "vmm_seccomp_enter_role",
                    errno: libc::ECHILD,
                    message: "the new thread ended before entering its role".into(),
                })
            }
        }
    }
}

impl Context {
    /// A builder for a thread in `role`: `ctx.thread(Role::VCPU).name("vcpu0")
    /// .spawn(|| ...)`.
    pub fn thread(&self, role: Role) -> RoleThreadBuilder<'_> {
        RoleThreadBuilder::new(self, role)
    }

    /// Spawns a thread named `name` in `role` running `f`, as
    /// [`std::thread::Builder::spawn`] does, with the role's filter
    /// installed before `f` runs (see [the module docs](crate::thread)).
    pub fn spawn<F, T>(&self, role: Role, name: &str, f: F) -> Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.thread(role).name(name).spawn(f)
    }
}
