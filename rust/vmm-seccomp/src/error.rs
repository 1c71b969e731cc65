//! The error type.

use std::ffi::CStr;
use std::io;

use vmm_seccomp_sys as sys;

/// What went wrong in a call of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The C library refused: its negative errno and the message it left in
    /// `vmm_seccomp_last_error()`, which names what and where (a policy's
    /// `file:line:column`, the bad token of a configuration string, the
    /// thread that could not be synchronised).  The call changed nothing.
    #[error("{call}: {message}")]
    Library {
        /// The C function that failed (`"vmm_seccomp_add_rules"`).
        call: &'static str,
        /// The positive errno (`libc::EINVAL`, `libc::EPERM`, ...).
        errno: i32,
        /// The library's message.
        message: String,
    },
    /// A string given to the library held a NUL byte.
    #[error("{what} holds a NUL byte")]
    Nul {
        /// Which argument.
        what: &'static str,
    },
    /// A role name that names no role of the context.
    #[error("no role named \"{0}\"")]
    NoSuchRole(String),
    /// An operating-system call made by this crate itself failed (creating
    /// the report pipe, spawning a thread).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// The errno of the failure, where there is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Library { errno, .. } => Some(*errno),
            Error::Io { source, .. } => source.raw_os_error(),
            Error::Nul { .. } | Error::NoSuchRole(_) => Some(libc::EINVAL),
        }
    }

    /// The library's message alone, for [`Error::Library`].
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Library { message, .. } => Some(message),
            _ => None,
        }
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The calling thread's last library message (it is per thread: read it on
/// the thread that made the failing call, right after).
pub(crate) fn last_error(ctx: *const sys::vmm_seccomp) -> String {
    // SAFETY: the library returns a valid NUL-terminated string (possibly
    // ""), borrowed until this thread's next failing call.
    unsafe {
        let p = sys::vmm_seccomp_last_error(ctx);
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

/// Turns a C return code into a `Result`.
pub(crate) fn check(ctx: *const sys::vmm_seccomp, call: &'static str, rc: i32) -> Result<()> {
    if rc >= 0 {
        return Ok(());
    }
    let mut message = last_error(ctx);
    if message.is_empty() {
        message = io::Error::from_raw_os_error(-rc).to_string();
    }
    Err(Error::Library {
        call,
        errno: -rc,
        message,
    })
}

/// A `CString` of `s`, or [`Error::Nul`].
pub(crate) fn cstring(what: &'static str, s: &str) -> Result<std::ffi::CString> {
    std::ffi::CString::new(s).map_err(|_| Error::Nul { what })
}
