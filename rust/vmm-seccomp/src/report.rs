//! Violation reports read from the library's report descriptor.

use std::fs::File;
use std::io::{self, BufRead, BufReader};

/// One report line the library wrote for a refused (or unreviewed)
/// syscall, with its fields picked out.  The library's line is
/// `vmm_seccomp: violation thread=NAME tid=N role=ROLE [layer=LAYER]
/// syscall=NAME nr=N arch=ARCH args=... [request=...] mode=MODE
/// action=ACTION`; a field the line lacks is left empty (or 0).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Report {
    /// The whole line, without its newline.
    pub line: String,
    /// The offending thread's name ("vcpu0").
    pub thread: String,
    /// Its thread id.
    pub tid: i32,
    /// Its role's name.
    pub role: String,
    /// The name of the layer that refused: the role's, or "process" when
    /// the baseline alone checks what refused.
    pub layer: String,
    /// The syscall's name ("execve", or "?").
    pub syscall: String,
    /// The syscall's number (-1 when the line has none).
    pub nr: i64,
    /// The refusing layer's mode ("enforce", "errno").
    pub mode: String,
    /// What happened: "kill-process", "EPERM" or "ENOSYS".
    pub action: String,
    /// A syscall no policy has reviewed: it failed with ENOSYS and the
    /// thread went on, whatever the mode.
    pub unreviewed: bool,
}

impl Report {
    /// Picks the fields out of one report line.  `None` if the line is no
    /// report of this library.
    pub fn parse(line: &str) -> Option<Report> {
        let line = line.trim_end_matches('\n');
        let (unreviewed, rest) = if let Some(r) = line.strip_prefix("vmm_seccomp: violation ") {
            (false, r)
        } else if let Some(r) = line.strip_prefix("vmm_seccomp: unreviewed syscall ") {
            (true, r)
        } else {
            return None;
        };
        let mut r = Report {
            line: line.to_owned(),
            unreviewed,
            nr: -1,
            ..Report::default()
        };
        for field in rest.split(' ') {
            let Some((key, value)) = field.split_once('=') else {
                continue;
            };
            match key {
                "thread" => r.thread = value.to_owned(),
                "tid" => r.tid = value.parse().unwrap_or(0),
                "role" => r.role = value.to_owned(),
                "layer" => r.layer = value.to_owned(),
                "syscall" => r.syscall = value.to_owned(),
                "nr" => r.nr = value.parse().unwrap_or(-1),
                "mode" => r.mode = value.to_owned(),
                "action" => r.action = value.to_owned(),
                _ => {}
            }
        }
        if r.layer.is_empty() {
            r.layer = r.role.clone();
        }
        Some(r)
    }
}

/// The reports of a context built with
/// [`ContextBuilder::report_channel`](crate::ContextBuilder::report_channel),
/// as a blocking iterator: each `next()` waits for the next report line.
///
/// The library writes each report with one write(2) from the SIGSYS
/// handler of the offending thread, the only thing a signal handler can
/// safely do; this reads them on whichever thread iterates, in ordinary
/// Rust.  The iterator ends when the write end is closed.  In
/// [`Mode::Enforce`](crate::Mode::Enforce) the process dies right after the
/// report is written, so in-process reading mostly serves
/// [`Mode::Errno`](crate::Mode::Errno) and unreviewed syscalls; a parent
/// process can read the same pipe across a fork.
///
/// The thread that iterates makes read(2) on the pipe: it must run under a
/// role whose policy allows it (the baseline does).
#[derive(Debug)]
pub struct Reports {
    reader: BufReader<File>,
}

impl Reports {
    pub(crate) fn new(file: File) -> Reports {
        Reports {
            reader: BufReader::new(file),
        }
    }

    /// The pipe's read end, to poll it with an event loop.
    pub fn get_ref(&self) -> &File {
        self.reader.get_ref()
    }

    /// The same reports for a tokio runtime: the pipe's read end is made
    /// non-blocking and registered with the runtime's reactor
    /// ([`tokio::io::unix::AsyncFd`]), so a task awaits the next report
    /// instead of a thread blocking in read(2).  What this iterator had
    /// already buffered is carried over.  Must be called within a runtime
    /// with I/O enabled (`enable_io`/`enable_all`), like any `AsyncFd`.
    #[cfg(feature = "tokio")]
    pub fn into_async(self) -> io::Result<AsyncReports> {
        let pending = self.reader.buffer().to_vec();
        AsyncReports::with_pending(self.reader.into_inner(), pending)
    }
}

/// The reports of a context's channel read by a tokio task: see
/// [`Reports::into_async`] and [`Context::reports_async`](crate::Context::reports_async).
///
/// [`next`](AsyncReports::next) is cancel safe: bytes read before a
/// cancelled call stay here and make the next report of the following
/// call, so it can sit in `tokio::select!` or under a timeout.  The reading
/// task's worker makes read(2) and epoll_ctl(2) on the pipe (the baseline
/// and the `runtime` role allow both).
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct AsyncReports {
    fd: tokio::io::unix::AsyncFd<File>,
    pending: Vec<u8>,
    eof: bool,
}

#[cfg(feature = "tokio")]
impl AsyncReports {
    pub(crate) fn with_pending(file: File, pending: Vec<u8>) -> io::Result<AsyncReports> {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        // SAFETY: fcntl on a descriptor `file` owns; no memory involved.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(AsyncReports {
            fd: tokio::io::unix::AsyncFd::new(file)?,
            pending,
            eof: false,
        })
    }

    /// The next report, once one has arrived; `None` when the write end is
    /// closed and every complete line has been returned.  Lines that are no
    /// report of this library are skipped, as the blocking iterator does.
    pub async fn next(&mut self) -> Option<io::Result<Report>> {
        use std::io::Read;
        loop {
            while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                if let Some(r) = Report::parse(&String::from_utf8_lossy(&line)) {
                    return Some(Ok(r));
                }
            }
            if self.eof {
                // A line cut short by the writer's end is no report.
                return None;
            }
            let mut guard = match self.fd.readable().await {
                Ok(g) => g,
                Err(e) => return Some(Err(e)),
            };
            let mut buf = [0u8; 4096];
            match guard.try_io(|f| f.get_ref().read(&mut buf)) {
                Ok(Ok(0)) => self.eof = true,
                Ok(Ok(n)) => self.pending.extend_from_slice(&buf[..n]),
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(Err(e)) => return Some(Err(e)),
                // Readiness was stale: try_io cleared it, wait again.
                Err(_would_block) => {}
            }
        }
    }
}

impl Iterator for Reports {
    type Item = io::Result<Report>;

    fn next(&mut self) -> Option<io::Result<Report>> {
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) => {
                    if let Some(r) = Report::parse(&line) {
                        return Some(Ok(r));
                    }
                    // Not a report line: nothing else writes there, but
                    // skip rather than fail.
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "tokio")]
    #[test]
    fn async_reports_split_lines_skip_noise_and_end() {
        use std::io::Write;
        use std::os::fd::FromRawFd;

        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        let read = unsafe { File::from_raw_fd(fds[0]) };
        let mut write = unsafe { File::from_raw_fd(fds[1]) };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut reports = AsyncReports::with_pending(
                read,
                b"vmm_seccomp: violation thread=a tid=1 role=vcpu syscall=read nr=0 mode=errno action=EPERM\n"
                    .to_vec(),
            )
            .unwrap();
            // Carried over from the blocking reader's buffer.
            let r = reports.next().await.unwrap().unwrap();
            assert_eq!((r.thread.as_str(), r.syscall.as_str()), ("a", "read"));
            // Nothing there yet: the call waits (and a timeout cancels it).
            let waited =
                tokio::time::timeout(std::time::Duration::from_millis(50), reports.next()).await;
            assert!(waited.is_err(), "a report out of nothing: {waited:?}");
            // Half a line, then noise and the rest: one report, in order.
            write.write_all(b"vmm_seccomp: violation thread=b tid=2 role=api ").unwrap();
            let waited =
                tokio::time::timeout(std::time::Duration::from_millis(50), reports.next()).await;
            assert!(waited.is_err(), "half a line made a report: {waited:?}");
            write
                .write_all(b"syscall=execve nr=59 mode=errno action=EPERM\nnot a report\n")
                .unwrap();
            let r = reports.next().await.unwrap().unwrap();
            assert_eq!((r.thread.as_str(), r.role.as_str()), ("b", "api"));
            assert_eq!((r.syscall.as_str(), r.nr, r.action.as_str()), ("execve", 59, "EPERM"));
            // A cut line at the end is no report; then the end.
            write.write_all(b"vmm_seccomp: violation thread=c").unwrap();
            drop(write);
            assert!(reports.next().await.is_none());
        });
    }

    #[test]
    fn parses_a_report_line() {
        let r = Report::parse(
            "vmm_seccomp: violation thread=vcpu0 tid=42 role=vcpu syscall=execve nr=59 \
             arch=x86_64 args=0x0,0x0,0x0,0x0,0x0,0x0 mode=enforce action=kill-process\n",
        )
        .unwrap();
        assert_eq!(r.thread, "vcpu0");
        assert_eq!(r.tid, 42);
        assert_eq!(r.role, "vcpu");
        assert_eq!(r.layer, "vcpu");
        assert_eq!(r.syscall, "execve");
        assert_eq!(r.nr, 59);
        assert_eq!(r.mode, "enforce");
        assert_eq!(r.action, "kill-process");
        assert!(!r.unreviewed);
        assert!(!r.line.ends_with('\n'));
    }

    #[test]
    fn parses_layer_and_unreviewed() {
        let r = Report::parse(
            "vmm_seccomp: unreviewed syscall thread=t tid=1 role=api layer=process \
             syscall=? nr=999 arch=x86_64 args=0x0 mode=errno action=ENOSYS",
        )
        .unwrap();
        assert!(r.unreviewed);
        assert_eq!(r.layer, "process");
        assert_eq!(r.action, "ENOSYS");
        assert!(Report::parse("something else").is_none());
    }
}
