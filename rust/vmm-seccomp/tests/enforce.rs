//! Enforcement: each test forks a child that applies filters (they cannot
//! be removed, so never in the test process itself), and the parent checks
//! how the child ended and what the library reported.
//!
//! The child reports its own failures with a raw write(2) to stderr (the
//! test harness's output capture does not reach a forked child) and an exit
//! code; `0` means every check in the child passed.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use vmm_seccomp::{Context, Landlock, Mode, PathAccess, Report, Role};

/// How a forked child ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Exited(i32),
    Signaled(i32),
}

/// Writes a message from a forked child straight to fd 2.
fn child_say(msg: &str) {
    let line = format!("child: {msg}\n");
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}

/// Runs `f` in a forked child; its `Err` becomes exit code 1 (after saying
/// why), a panic exit code 101.  Returns how the child ended.
fn in_child(f: impl FnOnce() -> Result<(), String>) -> End {
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(Ok(())) => 0,
            Ok(Err(msg)) => {
                child_say(&msg);
                1
            }
            Err(_) => {
                child_say("panicked");
                101
            }
        };
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(rc, pid, "waitpid: {}", std::io::Error::last_os_error());
    if libc::WIFSIGNALED(status) {
        End::Signaled(libc::WTERMSIG(status))
    } else {
        End::Exited(libc::WEXITSTATUS(status))
    }
}

/// A pipe whose write end a child gives the library as its report
/// descriptor; the parent reads the reports after the child is gone.
fn report_pipe() -> (File, OwnedFd) {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn reports_from(read: &mut File, write: OwnedFd) -> Vec<Report> {
    drop(write);
    let mut text = String::new();
    read.read_to_string(&mut text).unwrap();
    text.lines().filter_map(Report::parse).collect()
}

/// getppid: the baseline allows it, the vcpu role does not (neither
/// policy/roles/vcpu.policy nor groups/thread.policy lists it).
fn getppid_raw() -> i64 {
    unsafe { libc::syscall(libc::SYS_getppid) }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// The built-in policies, enforced, applied to the process, reports written
/// to `fd`.
fn applied_reporting_to(fd: RawFd) -> Result<Context, String> {
    let mut ctx = Context::builder()
        .landlock(Landlock::IfAvailable)
        .report_fd(fd)
        .build()
        .map_err(|e| e.to_string())?;
    ctx.apply_process().map_err(|e| e.to_string())?;
    Ok(ctx)
}

#[test]
fn spawned_role_thread_dies_by_sigsys_on_refused_syscall() {
    let (mut read, write) = report_pipe();
    let wfd = write.as_raw_fd();
    let end = in_child(|| {
        let ctx = applied_reporting_to(wfd)?;
        // The baseline alone lets the main thread make it.
        if getppid_raw() < 0 {
            return Err(format!(
                "getppid refused under the baseline: errno {}",
                errno()
            ));
        }
        let t = ctx
            .spawn(Role::VCPU, "vcpu0", getppid_raw)
            .map_err(|e| e.to_string())?;
        let _ = t.join();
        Err("the vcpu thread's getppid did not kill the process".into())
    });
    assert_eq!(end, End::Signaled(libc::SIGSYS));
    let reports = reports_from(&mut read, write);
    assert_eq!(reports.len(), 1, "reports: {reports:?}");
    let r = &reports[0];
    assert_eq!(r.thread, "vcpu0");
    assert_eq!(r.role, "vcpu");
    assert_eq!(r.syscall, "getppid");
    assert_eq!(r.nr, libc::SYS_getppid);
    assert_eq!(r.mode, "enforce");
    assert_eq!(r.action, "kill-process");
}

#[test]
fn entered_role_dies_by_sigsys_on_refused_syscall() {
    let (mut read, write) = report_pipe();
    let wfd = write.as_raw_fd();
    let end = in_child(|| {
        let ctx = applied_reporting_to(wfd)?;
        ctx.enter_role(Role::VCPU, Some("entered"))
            .map_err(|e| e.to_string())?;
        // A second role is refused, with the library's message.
        match ctx.enter_role(Role::API, None) {
            Err(e) if e.errno() == Some(libc::EALREADY) => {}
            other => return Err(format!("second enter_role: {other:?}")),
        }
        getppid_raw();
        Err("getppid in role vcpu did not kill the process".into())
    });
    assert_eq!(end, End::Signaled(libc::SIGSYS));
    let reports = reports_from(&mut read, write);
    assert_eq!(reports.len(), 1, "reports: {reports:?}");
    assert_eq!(reports[0].thread, "entered");
    assert_eq!(reports[0].role, "vcpu");
    assert_eq!(reports[0].syscall, "getppid");
}

#[test]
fn baseline_kills_execve_on_a_plain_thread() {
    let (mut read, write) = report_pipe();
    let wfd = write.as_raw_fd();
    let end = in_child(|| {
        let _ctx = applied_reporting_to(wfd)?;
        let argv = [c"/bin/true".as_ptr(), std::ptr::null()];
        unsafe { libc::execv(c"/bin/true".as_ptr(), argv.as_ptr()) };
        Err(format!("execve returned, errno {}", errno()))
    });
    assert_eq!(end, End::Signaled(libc::SIGSYS));
    let reports = reports_from(&mut read, write);
    assert_eq!(reports.len(), 1, "reports: {reports:?}");
    assert_eq!(reports[0].role, "process");
    assert_eq!(reports[0].syscall, "execve");
}

/// Role vcpu in errno mode, the others enforcing, reports to the channel.
fn vcpu_errno_context() -> Result<Context, String> {
    Context::builder()
        .landlock(Landlock::IfAvailable)
        .configure("enforce,vcpu=errno")
        .report_channel()
        .build()
        .map_err(|e| e.to_string())
}

#[test]
fn errno_mode_refuses_and_reports_through_the_channel() {
    let end = in_child(|| {
        let mut ctx = vcpu_errno_context()?;
        if ctx.mode(Role::VCPU) != Some(Mode::Errno) {
            return Err(format!("vcpu mode {:?}", ctx.mode(Role::VCPU)));
        }
        let mut reports = ctx.reports().ok_or("no report channel")?;
        if ctx.reports().is_some() {
            return Err("the reports were handed out twice".into());
        }
        ctx.apply_process().map_err(|e| e.to_string())?;
        let t = ctx
            .spawn(Role::VCPU, "vcpu1", || (getppid_raw(), errno()))
            .map_err(|e| e.to_string())?;
        let (rc, err) = t.join().map_err(|_| "the vcpu thread panicked")?;
        if rc != -1 || err != libc::EPERM {
            return Err(format!("getppid in errno mode: rc {rc} errno {err}"));
        }
        let r = reports
            .next()
            .ok_or("no report")?
            .map_err(|e| e.to_string())?;
        if r.thread != "vcpu1" || r.role != "vcpu" || r.syscall != "getppid" || r.action != "EPERM"
        {
            return Err(format!("report: {r:?}"));
        }
        let n = ctx.violation_count(Role::VCPU, libc::SYS_getppid as i32);
        if n != 1 || ctx.violation_total(Role::VCPU) != 1 {
            return Err(format!("counters: {n}"));
        }
        Ok(())
    });
    assert_eq!(end, End::Exited(0));
}

/// The same report read by a tokio task: the runtime is built before the
/// filters go in, the task awaits the report while the vcpu thread is
/// refused (the read happens under the baseline, on the runtime's thread).
#[cfg(feature = "tokio")]
#[test]
fn errno_reports_arrive_through_the_async_reader() {
    let end = in_child(|| {
        let mut ctx = vcpu_errno_context()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| e.to_string())?;
        ctx.apply_process().map_err(|e| e.to_string())?;
        let ctx = std::sync::Arc::new(ctx);
        let c2 = ctx.clone();
        rt.block_on(async move {
            let mut reports = c2
                .reports_async()
                .ok_or("no report channel")?
                .map_err(|e| format!("reports_async: {e}"))?;
            if c2.reports_async().is_some() {
                return Err("the reports were handed out twice".to_string());
            }
            let t = c2
                .spawn(Role::VCPU, "vcpu2", || {
                    // Refused after the reader is already waiting.
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    (getppid_raw(), errno())
                })
                .map_err(|e| e.to_string())?;
            let r = tokio::time::timeout(std::time::Duration::from_secs(10), reports.next())
                .await
                .map_err(|_| "no report within 10 s")?
                .ok_or("the channel ended")?
                .map_err(|e| e.to_string())?;
            let (rc, err) = t.join().map_err(|_| "the vcpu thread panicked")?;
            if rc != -1 || err != libc::EPERM {
                return Err(format!("getppid in errno mode: rc {rc} errno {err}"));
            }
            if r.thread != "vcpu2"
                || r.role != "vcpu"
                || r.syscall != "getppid"
                || r.action != "EPERM"
            {
                return Err(format!("report: {r:?}"));
            }
            Ok(())
        })
    });
    assert_eq!(end, End::Exited(0));
}

#[test]
fn role_threads_run_join_and_are_registered() {
    let end = in_child(|| {
        let mut ctx = Context::builder()
            .landlock(Landlock::IfAvailable)
            .define_role("worker", "@include builtin/roles/io_worker.policy\n")
            .build()
            .map_err(|e| e.to_string())?;
        let worker = ctx.role("worker").map_err(|e| e.to_string())?;
        ctx.apply_process().map_err(|e| e.to_string())?;
        // std's thread start and exit (names, the alternate signal stack,
        // thread-locals) must all pass the role filter.
        let a = ctx
            .spawn(Role::VCPU, "vcpu0", || 6 * 7)
            .map_err(|e| e.to_string())?;
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let b = ctx
            .thread(worker)
            .name("worker0")
            .stack_size(256 * 1024)
            .spawn(move || {
                let _ = rx.recv();
                std::thread::current().name().map(str::to_owned)
            })
            .map_err(|e| e.to_string())?;
        let seen = vmm_seccomp::threads();
        let w = seen
            .iter()
            .find(|t| t.name == "worker0")
            .ok_or(format!("worker0 not registered: {seen:?}"))?;
        if w.role != worker || !w.filtered {
            return Err(format!("worker0: {w:?}"));
        }
        tx.send(()).unwrap();
        if a.join().map_err(|_| "vcpu0 panicked")? != 42 {
            return Err("vcpu0's value".into());
        }
        if b.join().map_err(|_| "worker0 panicked")?.as_deref() != Some("worker0") {
            return Err("worker0's name".into());
        }
        // A thread may not run in the baseline alone through spawn.
        match ctx.spawn(Role::PROCESS, "nope", || ()) {
            Err(e) if e.errno() == Some(libc::EINVAL) => {}
            other => return Err(format!("spawn in PROCESS: {other:?}")),
        }
        Ok(())
    });
    assert_eq!(end, End::Exited(0));
}

#[test]
fn landlock_refuses_a_path_outside_the_rules() {
    let abi = Context::builder().build().unwrap().landlock_status().abi;
    if abi == 0 {
        println!(
            "SKIP landlock_refuses_a_path_outside_the_rules because the kernel has no Landlock"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("vmm-seccomp-rs-ll-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let allowed = dir.join("allowed");
    std::fs::write(&allowed, b"yes").unwrap();
    let denied =
        std::env::temp_dir().join(format!("vmm-seccomp-rs-ll-{}.denied", std::process::id()));
    std::fs::write(&denied, b"no").unwrap();
    let end = in_child(|| {
        let mut ctx = Context::builder()
            .allow_path(Role::PROCESS, &dir, PathAccess::READ)
            .build()
            .map_err(|e| e.to_string())?;
        ctx.apply_process().map_err(|e| e.to_string())?;
        let st = ctx.landlock_status();
        if !st.enforced {
            return Err(format!("not enforced: {}", st.summary));
        }
        std::fs::read(&allowed).map_err(|e| format!("allowed file: {e}"))?;
        match std::fs::read(&denied) {
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => Ok(()),
            other => Err(format!("file outside the rules: {other:?}")),
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&denied);
    assert_eq!(end, End::Exited(0));
}

/// The tokio pattern: threads someone else creates (a runtime's workers)
/// enter their role themselves, here from a plain std thread sharing the
/// context through an Arc, as `on_thread_start` would.
#[test]
fn foreign_thread_enters_the_runtime_role() {
    let end = in_child(|| {
        let mut ctx = Context::builder()
            .landlock(Landlock::IfAvailable)
            .build()
            .map_err(|e| e.to_string())?;
        ctx.apply_process().map_err(|e| e.to_string())?;
        let ctx = std::sync::Arc::new(ctx);
        let c2 = ctx.clone();
        let t = std::thread::spawn(move || -> Result<Vec<vmm_seccomp::ThreadInfo>, String> {
            c2.enter_role(Role::RUNTIME, Some("rt-worker-0"))
                .map_err(|e| e.to_string())?;
            Ok(vmm_seccomp::threads())
        });
        let seen = t.join().map_err(|_| "the worker panicked")??;
        let w = seen
            .iter()
            .find(|t| t.name == "rt-worker-0")
            .ok_or(format!("rt-worker-0 not registered: {seen:?}"))?;
        if w.role != Role::RUNTIME || !w.filtered {
            return Err(format!("rt-worker-0: {w:?}"));
        }
        if ctx.role_name(w.role) != Some("runtime") {
            return Err("runtime's name".into());
        }
        Ok(())
    });
    assert_eq!(end, End::Exited(0));
}
