//! mini-dragonball end to end: each case runs the binary as a child
//! process, talks to its API socket, and checks how it ended (exit status
//! or the signal that killed it), what it printed, and the seccomp filters
//! the kernel shows for its threads in /proc.  The cases that boot the VM
//! skip, saying so, when /dev/kvm cannot be opened.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use vmm_seccomp::Report;

const BIN: &str = env!("CARGO_BIN_EXE_mini-dragonball");
/// The guest runs emulated on some hosts (a few million instructions a
/// second): generous.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Whether the VM cases can run; says why not.
fn kvm(test: &str) -> bool {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        Ok(_) => true,
        Err(e) => {
            // Straight to the descriptor: the test harness captures what
            // eprintln! prints of a passing test, and a skip must show.
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIP: {test}: cannot open /dev/kvm ({e})"
            );
            false
        }
    }
}

/// A running mini-dragonball, killed if a test fails half-way.
struct Vmm {
    child: Option<Child>,
    sock: PathBuf,
    dir: PathBuf,
    out: Option<JoinHandle<String>>,
    err: Option<JoinHandle<String>>,
}

/// How it ended and everything it printed.
struct Ended {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Ended {
    /// The report lines on stderr, parsed.
    fn reports(&self) -> Vec<Report> {
        self.stderr.lines().filter_map(Report::parse).collect()
    }

    fn show(&self) -> String {
        format!(
            "status {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = r.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    })
}

impl Vmm {
    fn start(args: &[&str]) -> Vmm {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mini-dragonball-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("api.sock");
        let mut child = Command::new(BIN)
            .arg("--api-sock")
            .arg(&sock)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{BIN}: {e}"));
        let out = drain(child.stdout.take().unwrap());
        let err = drain(child.stderr.take().unwrap());
        Vmm {
            child: Some(child),
            sock,
            dir,
            out: Some(out),
            err: Some(err),
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// One request; the whole reply, or the error of a connection the
    /// process dropped.
    fn request(&self, text: &str) -> std::io::Result<String> {
        let mut s = UnixStream::connect(&self.sock)?;
        s.set_read_timeout(Some(TIMEOUT))?;
        s.write_all(text.as_bytes())?;
        s.shutdown(std::net::Shutdown::Write)?;
        let mut reply = Vec::new();
        s.read_to_end(&mut reply)?;
        Ok(String::from_utf8_lossy(&reply).into_owned())
    }

    /// Waits until GET /vm shows the guest's tests passed and it stays up.
    fn wait_up(&mut self) -> String {
        let start = Instant::now();
        loop {
            if let Ok(r) = self.request("GET /vm HTTP/1.1\r\n\r\n") {
                if r.contains("sample-guest: staying up") {
                    return r;
                }
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                let ended = self.finish_with(status);
                panic!("ended before the guest was up:\n{}", ended.show());
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "the guest was not up within {TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn finish_with(&mut self, status: ExitStatus) -> Ended {
        self.child = None;
        Ended {
            status,
            stdout: self.out.take().unwrap().join().unwrap(),
            stderr: self.err.take().unwrap().join().unwrap(),
        }
    }

    /// Waits for the process to end (killing it after TIMEOUT).
    fn wait(mut self) -> Ended {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                return self.finish_with(status);
            }
            if start.elapsed() > TIMEOUT {
                let _ = self.child.as_mut().unwrap().kill();
                let status = self.child.as_mut().unwrap().wait().unwrap();
                let ended = self.finish_with(status);
                panic!("did not end within {TIMEOUT:?}:\n{}", ended.show());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// (thread name, Seccomp_filters) of every thread, from /proc.
    fn filters(&self) -> Vec<(String, u32)> {
        let task = PathBuf::from(format!("/proc/{}/task", self.pid()));
        let mut all = Vec::new();
        for t in std::fs::read_dir(&task).unwrap() {
            let t = t.unwrap().path();
            let (Ok(comm), Ok(status)) = (
                std::fs::read_to_string(t.join("comm")),
                std::fs::read_to_string(t.join("status")),
            ) else {
                continue; // a thread that just ended
            };
            let n = status
                .lines()
                .find_map(|l| l.strip_prefix("Seccomp_filters:"))
                .unwrap_or_else(|| panic!("{}: no Seccomp_filters line", t.display()))
                .trim()
                .parse()
                .unwrap();
            all.push((comm.trim().to_string(), n));
        }
        all
    }
}

impl Drop for Vmm {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn status_line(reply: &str) -> &str {
    reply.lines().next().unwrap_or("")
}

fn body(reply: &str) -> &str {
    reply.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

fn no_reports(e: &Ended) {
    assert!(
        !e.stdout.contains("vmm_seccomp:") && !e.stderr.contains("vmm_seccomp:"),
        "a report:\n{}",
        e.show()
    );
}

/// Exit status 0, the guest's tests passed, no report anywhere.
fn passed_cleanly(e: &Ended) {
    assert_eq!(e.status.code(), Some(0), "{}", e.show());
    assert!(
        e.stdout.contains("sample-guest: all tests passed"),
        "{}",
        e.show()
    );
    no_reports(e);
}

fn boots_to_power_off(vcpus: &str) {
    let e = Vmm::start(&["--vcpus", vcpus]).wait();
    assert!(
        e.stdout
            .contains(&format!("sample-guest: {vcpus} vCPUs online")),
        "{}",
        e.show()
    );
    assert!(e.stdout.contains("virtio-rng: 32 bytes"), "{}", e.show());
    passed_cleanly(&e);
}

#[test]
fn boots_to_power_off_with_1_vcpu() {
    if kvm("boots_to_power_off_with_1_vcpu") {
        boots_to_power_off("1");
    }
}

#[test]
fn boots_to_power_off_with_2_vcpus() {
    if kvm("boots_to_power_off_with_2_vcpus") {
        boots_to_power_off("2");
    }
}

/// While the guest stays up: every vCPU thread and the device thread have
/// the baseline and their role's filter, the tokio workers the baseline
/// (plus role runtime with --runtime-role); then PUT /shutdown ends it
/// with 0 and no report.
fn filters_while_up(vcpus: u32, runtime_role: bool) {
    let n = vcpus.to_string();
    let mut args = vec!["--vcpus", &n, "--stay"];
    if runtime_role {
        args.push("--runtime-role");
    }
    let mut vmm = Vmm::start(&args);
    let info = vmm.wait_up();
    assert!(info.contains(&format!("vcpus: {vcpus}\n")), "{info}");
    let threads = vmm.filters();
    let of = |name: &str| {
        threads
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no thread {name}: {threads:?}"))
            .1
    };
    for i in 0..vcpus {
        assert_eq!(of(&format!("vcpu{i}")), 2, "{threads:?}");
    }
    assert_eq!(of("virtio-rng"), 2, "{threads:?}");
    let workers: Vec<_> = threads
        .iter()
        .filter(|(n, _)| n.starts_with("tokio-worker-"))
        .collect();
    assert!(workers.len() >= 2, "{threads:?}");
    let want = if runtime_role { 2 } else { 1 };
    assert!(workers.iter().all(|(_, f)| *f == want), "{threads:?}");
    // The main thread, which made the VM, has the baseline.
    assert!(threads.iter().all(|(_, f)| *f >= 1), "{threads:?}");

    let r = vmm.request("PUT /shutdown HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(status_line(&r), "HTTP/1.1 200 OK", "{r}");
    passed_cleanly(&vmm.wait());
}

#[test]
fn filters_on_every_thread_with_1_vcpu() {
    if kvm("filters_on_every_thread_with_1_vcpu") {
        filters_while_up(1, false);
    }
}

#[test]
fn filters_on_every_thread_with_2_vcpus() {
    if kvm("filters_on_every_thread_with_2_vcpus") {
        filters_while_up(2, false);
    }
}

#[test]
fn workers_in_the_runtime_role() {
    if kvm("workers_in_the_runtime_role") {
        filters_while_up(1, true);
    }
}

/// Enforce: the execve a tokio task attempts kills the process by SIGSYS;
/// the report names the worker, its role and the syscall.
fn exec_is_killed(runtime_role: bool, role: &str) {
    let mut args = vec!["--stay"];
    if runtime_role {
        args.push("--runtime-role");
    }
    let mut vmm = Vmm::start(&args);
    vmm.wait_up();
    // No reply: the process dies in the middle of the request.
    let reply = vmm.request("POST /exec HTTP/1.1\r\n\r\n");
    assert!(
        reply.as_ref().map_or(true, |r| r.is_empty()),
        "a reply from a process that should be dead: {reply:?}"
    );
    let e = vmm.wait();
    assert_eq!(e.status.signal(), Some(libc::SIGSYS), "{}", e.show());
    let reports = e.reports();
    assert_eq!(reports.len(), 1, "{}", e.show());
    let r = &reports[0];
    assert!(r.thread.starts_with("tokio-worker-"), "{}", r.line);
    assert_eq!(r.role, role, "{}", r.line);
    assert_eq!(r.syscall, "execve", "{}", r.line);
    assert_eq!(r.mode, "enforce", "{}", r.line);
    assert_eq!(r.action, "kill-process", "{}", r.line);
}

#[test]
fn enforce_exec_kills_the_process() {
    if kvm("enforce_exec_kills_the_process") {
        exec_is_killed(false, "process");
    }
}

#[test]
fn enforce_exec_in_the_runtime_role_kills_the_process() {
    if kvm("enforce_exec_in_the_runtime_role_kills_the_process") {
        exec_is_killed(true, "runtime");
    }
}

/// Errno: execve fails with EPERM, the reply carries the report (read
/// from the channel by a task), and the VM and the API go on.
#[test]
fn errno_exec_replies_with_the_report() {
    if !kvm("errno_exec_replies_with_the_report") {
        return;
    }
    let mut vmm = Vmm::start(&["--stay", "--seccomp", "errno", "--vcpus", "2"]);
    vmm.wait_up();
    let reply = vmm.request("POST /exec HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(status_line(&reply), "HTTP/1.1 200 OK", "{reply}");
    assert!(body(&reply).contains("Operation not permitted"), "{reply}");
    let line = body(&reply)
        .lines()
        .find_map(|l| l.strip_prefix("report: "))
        .unwrap_or_else(|| panic!("no report in {reply}"));
    let r = Report::parse(line).unwrap_or_else(|| panic!("not a report: {line}"));
    assert!(r.thread.starts_with("tokio-worker-"), "{line}");
    assert!(
        body(&reply).contains(&format!("on thread {} ", r.thread)),
        "{reply}"
    );
    assert_eq!(
        (
            r.role.as_str(),
            r.syscall.as_str(),
            r.mode.as_str(),
            r.action.as_str()
        ),
        ("process", "execve", "errno", "EPERM"),
        "{line}"
    );
    // The VM still runs and the API still answers.
    let info = vmm.request("GET /vm HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(status_line(&info), "HTTP/1.1 200 OK", "{info}");
    assert!(
        info.contains("vcpus: 2\n") && info.contains("staying up"),
        "{info}"
    );
    assert!(vmm.filters().iter().any(|(n, f)| n == "vcpu1" && *f == 2));
    let r = vmm.request("PUT /shutdown\r\n\r\n").unwrap();
    assert_eq!(status_line(&r), "HTTP/1.1 200 OK", "{r}");
    let e = vmm.wait();
    assert_eq!(e.status.code(), Some(0), "{}", e.show());
    // The one report, copied to stderr by the reader task.
    let reports = e.reports();
    assert_eq!(reports.len(), 1, "{}", e.show());
    assert_eq!(reports[0].line, line);
}

/// A malformed request gets a reply saying what is wrong; the process
/// goes on serving.
#[test]
fn malformed_requests_get_an_error_and_the_process_goes_on() {
    if !kvm("malformed_requests_get_an_error_and_the_process_goes_on") {
        return;
    }
    let mut vmm = Vmm::start(&["--stay"]);
    vmm.wait_up();
    for (request, status, says) in [
        (
            "BLAH\r\n\r\n",
            "400 Bad Request",
            "'BLAH': expected 'METHOD PATH",
        ),
        (
            "GET /vm SPDY/3\r\n\r\n",
            "400 Bad Request",
            "'SPDY/3' is not HTTP/1.x",
        ),
        (
            "GET /nothing HTTP/1.1\r\n\r\n",
            "404 Not Found",
            "no endpoint '/nothing'",
        ),
        (
            "GET /exec HTTP/1.1\r\n\r\n",
            "405 Method Not Allowed",
            "/exec takes POST",
        ),
        ("", "400 Bad Request", "empty request"),
    ] {
        let r = vmm.request(request).unwrap();
        assert_eq!(
            status_line(&r),
            format!("HTTP/1.1 {status}"),
            "{request:?}: {r}"
        );
        assert!(body(&r).contains(says), "{request:?}: {r}");
    }
    let long = format!("GET /vm HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(5000));
    let r = vmm.request(&long).unwrap();
    assert!(status_line(&r).contains("413"), "{r}");
    let info = vmm.request("GET /vm HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(status_line(&info), "HTTP/1.1 200 OK", "{info}");
    vmm.request("PUT /shutdown\r\n\r\n").unwrap();
    let e = vmm.wait();
    assert_eq!(e.status.code(), Some(0), "{}", e.show());
    no_reports(&e);
}

/// Bad flags and a bad configuration string: errors naming what is wrong,
/// before anything is applied (no KVM needed).
#[test]
fn bad_flags_and_configuration_are_errors() {
    let e = Vmm::start(&["--vcpus", "9"]).wait();
    assert_eq!(e.status.code(), Some(2), "{}", e.show());
    assert!(e.stderr.contains("--vcpus '9'"), "{}", e.show());
    let e = Vmm::start(&["--seccomp", "enforce,vcpu=sometimes"]).wait();
    assert_eq!(e.status.code(), Some(1), "{}", e.show());
    assert!(
        e.stderr.contains("--seccomp 'enforce,vcpu=sometimes'") && e.stderr.contains("sometimes"),
        "{}",
        e.show()
    );
}
