//! The error type.

use std::ffi::CStr;
use std::io;

use vmm_seccomp_sys as sys;

/// What went wrong in a call of this crate.
#[derive(Debug)]
pub enum Error {
    /// The C library refused: its negative errno and the message it left in
    /// `vmm_seccomp_last_error()`, which names what and where (a policy's
    /// `file:line:column`, the bad token of a configuration string, the
    /// thread that could not be synchronised).  The call changed nothing.
    Library {
        /// The C function that failed (`"vmm_seccomp_add_rules"`).
        call: &'static str,
        /// The positive errno (`libc::EINVAL`, `libc::EPERM`, ...).
        errno: i32,
        /// The library's message.
        message: String,
    },
    /// A string given to the library held a NUL byte.
    Nul {
        /// Which argument.
        what: &'static str,
    },
    /// A role name that names no role of the context.
    NoSuchRole(String),
    /// An operating-system call made by this crate itself failed (creating
    /// the report pipe, spawning a thread).
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: io::Error,
    },
}

// By hand rather than derived: the crate depends on nothing that Debian
// releases package at incompatible major versions (thiserror is 1.x in
// Debian 12, 2.x from Debian 13 on).
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Library { call, message, .. } => write!(f, "{call}: {message}"),
            Error::Nul { what } => write!(f, "{what} holds a NUL byte"),
            Error::NoSuchRole(name) => write!(f, "no role named \"{name}\""),
            Error::Io { what, source } => write!(f, "{what}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_what_and_where() {
        let e = Error::Library {
            call: "vmm_seccomp_add_rules",
            errno: libc::EINVAL,
            message: "embedder:2:1: unknown syscall 'getpidd'".into(),
        };
        assert_eq!(
            e.to_string(),
            "vmm_seccomp_add_rules: embedder:2:1: unknown syscall 'getpidd'"
        );
        assert!(std::error::Error::source(&e).is_none());
        assert_eq!(e.message(), Some("embedder:2:1: unknown syscall 'getpidd'"));
        assert_eq!(
            Error::NoSuchRole("gpu".into()).to_string(),
            "no role named \"gpu\""
        );
        let io = Error::Io {
            what: "pipe",
            source: io::Error::from_raw_os_error(libc::EMFILE),
        };
        assert!(io.to_string().starts_with("pipe: "), "{io}");
        assert_eq!(io.errno(), Some(libc::EMFILE));
        assert!(std::error::Error::source(&io).is_some());
    }
}
