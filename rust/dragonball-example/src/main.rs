//! mini-dragonball: a VMM in the Dragonball style, one process holding both
//! an async runtime and a VM.
//!
//! A tokio multi-threaded runtime serves a small API on a Unix socket; in
//! the same process a KVM VM runs the sample guest (sample_vmm/guest/),
//! its vCPU threads in role `vcpu` and a virtio-rng device thread in role
//! `virtio_rng`, all through the `vmm-seccomp` crate.  The runtime's
//! workers are already running when the baseline goes in: `apply_process`
//! puts it on every thread at once (TSYNC).  With `--runtime-role` the
//! context is applied first and the workers, created after, enter role
//! `runtime` from `on_thread_start`.
//!
//! Run `mini-dragonball --help` for the flags; rust/README.md shows a
//! session.

mod api;
mod kvm;
mod serial;
mod virtio_rng;

use std::ffi::CString;
use std::io::{self, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use vmm_seccomp::{Context, Landlock, Mode, Report, Role};

use crate::kvm::{Exit, Vcpu, Vm};
use crate::serial::Serial;
use crate::virtio_rng::VirtioRng;

/// The sample guest, built by build.rs (cmake target `sample-guest`).
static GUEST: &[u8] = include_bytes!(env!("MINI_DRAGONBALL_GUEST_IMAGE"));

/// The applied context: the runtime's thread-start hook and every thread
/// spawner reach it here, and an applied context lives as long as the
/// process anyway.
static CTX: OnceLock<Context> = OnceLock::new();

const PORT_SERIAL: u16 = 0x3f8;
const PORT_POWER_OFF: u16 = 0x501;
/// virtio-mmio slot 0 and its interrupt (abi.h: VIRTIO_MMIO_SLOT_BASE(0),
/// VIRTIO_MMIO_SLOT_GSI(0)); the other slots stay empty.
const RNG_BASE: u64 = 0xd000_0000;
const RNG_GSI: u32 = 5;
const SLOT_SIZE: u64 = 0x1000;
/// Exit status when the VM cannot go on (guest verdicts are small).
const EXIT_CRASH: i32 = 125;

const USAGE: &str = "\
usage: mini-dragonball --api-sock PATH [options]
  --api-sock PATH       serve the API on this Unix socket (GET /vm, POST /exec,
                        PUT /shutdown)
  --vcpus N             vCPUs, 1 to 8 (default 1)
  --mem MIB             guest memory in MiB, 4 to 4096 (default 32)
  --seccomp CONFIG      the library's configuration string: enforce, errno,
                        log, or per layer as \"enforce,vcpu=log\" (default enforce)
  --reports SINK        where reports go: stderr, channel (read by a tokio task,
                        copied to stderr, and returned by POST /exec) or auto:
                        channel if a layer is in errno mode (default auto)
  --stay                the guest stays up after its tests instead of powering off
  --runtime-role        apply before the runtime starts; its workers enter role
                        runtime from on_thread_start
  --workers N           tokio worker threads, 2 to 64 (default 2)
Exit status: the guest's verdict (0: all its tests passed), 0 after PUT /shutdown,
1 for a set-up error, 2 for a usage error, 125 if the VM crashed.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sink {
    Auto,
    Stderr,
    Channel,
}

#[derive(Debug)]
struct Options {
    api_sock: PathBuf,
    vcpus: u32,
    mem_mib: u64,
    seccomp: String,
    reports: Sink,
    stay: bool,
    runtime_role: bool,
    workers: usize,
}

fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
    flag: &str,
    value: &str,
    min: T,
    max: T,
) -> Result<T, String> {
    match value.parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(format!(
            "{flag} '{value}': expected a number from {min} to {max}"
        )),
    }
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options {
        api_sock: PathBuf::new(),
        vcpus: 1,
        mem_mib: 32,
        seccomp: "enforce".into(),
        reports: Sink::Auto,
        stay: false,
        runtime_role: false,
        workers: 2,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag}: needs a value"));
        match flag.as_str() {
            "--help" | "-h" => return Ok(None),
            "--api-sock" => o.api_sock = PathBuf::from(value()?),
            "--vcpus" => o.vcpus = number(&flag, &value()?, 1, kvm::GUEST_MAX_VCPUS)?,
            "--mem" => o.mem_mib = number(&flag, &value()?, 4, 4096)?,
            "--seccomp" => o.seccomp = value()?,
            "--reports" => {
                o.reports = match value()?.as_str() {
                    "auto" => Sink::Auto,
                    "stderr" => Sink::Stderr,
                    "channel" => Sink::Channel,
                    v => return Err(format!("--reports '{v}': expected stderr, channel or auto")),
                }
            }
            "--stay" => o.stay = true,
            "--runtime-role" => o.runtime_role = true,
            "--workers" => o.workers = number(&flag, &value()?, 2, 64)?,
            _ => return Err(format!("unknown argument '{flag}'")),
        }
    }
    if o.api_sock.as_os_str().is_empty() {
        return Err("--api-sock PATH is required".into());
    }
    Ok(Some(o))
}

fn main() {
    let o = match parse_args(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("mini-dragonball: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let code = match run(o) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mini-dragonball: {e}");
            1
        }
    };
    let _ = io::stdout().flush();
    // The vCPU threads are still in KVM_RUN: only the process's exit ends
    // them.
    std::process::exit(code);
}

/// The configured context, reports to the channel or to stderr.
fn build_context(o: &Options) -> Result<Context, String> {
    let builder = |channel: bool| {
        let b = Context::builder()
            .configure(&o.seccomp)
            .landlock(Landlock::IfAvailable)
            // The VM is created after apply, as Dragonball does.
            .path_rule(Role::PROCESS, "/dev/kvm:rw");
        if channel {
            b.report_channel()
        } else {
            b
        }
    };
    let bad = |e: vmm_seccomp::Error| format!("--seccomp '{}': {e}", o.seccomp);
    let channel = match o.reports {
        Sink::Stderr => false,
        Sink::Channel => true,
        Sink::Auto => {
            // A refused syscall only comes back to be answered in errno
            // mode; in enforce mode the process dies as the report is
            // written, so only stderr would still show it.
            let probe = builder(false).build().map_err(bad)?;
            std::iter::once(Role::PROCESS)
                .chain(probe.roles())
                .any(|r| probe.mode(r) == Some(Mode::Errno))
        }
    };
    builder(channel).build().map_err(bad)
}

fn build_runtime(o: &Options) -> Result<tokio::runtime::Runtime, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let runtime_role = o.runtime_role;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.workers)
        .thread_name_fn(move || format!("tokio-worker-{}", next.fetch_add(1, Ordering::Relaxed)))
        .on_thread_start(move || {
            if !runtime_role {
                return;
            }
            let Some(ctx) = CTX.get() else { return };
            // Fail closed: a worker that cannot enter its role must not
            // serve anything.
            if let Err(e) = ctx.enter_role(Role::RUNTIME, None) {
                eprintln!("mini-dragonball: a worker cannot enter role runtime: {e}");
                std::process::abort();
            }
        })
        .enable_all()
        .build()
        .map_err(|e| format!("the tokio runtime: {e}"))
}

fn run(o: Options) -> Result<i32, String> {
    let sock = o.api_sock.display().to_string();
    // The socket first: binding makes a file, which Landlock refuses once
    // the process is in its domain.  A stale socket of a dead server goes.
    if let Ok(meta) = std::fs::symlink_metadata(&o.api_sock) {
        if meta.file_type().is_socket() {
            let _ = std::fs::remove_file(&o.api_sock);
        }
    }
    let listener = std::os::unix::net::UnixListener::bind(&o.api_sock)
        .map_err(|e| format!("--api-sock {sock}: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("--api-sock {sock}: {e}"))?;

    let mut ctx = build_context(&o)?;
    let runtime = if o.runtime_role {
        ctx.apply_process().map_err(|e| format!("apply: {e}"))?;
        let _ = CTX.set(ctx);
        build_runtime(&o)?
    } else {
        // The workers start here and idle in epoll; the baseline reaches
        // them in apply_process through TSYNC.
        let runtime = build_runtime(&o)?;
        ctx.apply_process().map_err(|e| format!("apply: {e}"))?;
        let _ = CTX.set(ctx);
        runtime
    };
    runtime.block_on(serve(o, listener))
}

enum End {
    PowerOff(u8),
    Crash(String),
    Shutdown,
}

/// What the API's tasks and the VM's threads share.
struct Shared {
    serial: Mutex<Serial>,
    rng: Arc<VirtioRng>,
    vcpus: u32,
    config: String,
    /// Reports read from the channel; None when they go to stderr.
    reports: Option<Mutex<Vec<Report>>>,
    end: UnboundedSender<End>,
}

async fn serve(o: Options, listener: std::os::unix::net::UnixListener) -> Result<i32, String> {
    let ctx = CTX.get().expect("applied");
    let (end, mut ended) = unbounded_channel();

    // The VM, made on the main thread under the baseline alone.
    let vm = Vm::new(o.mem_mib << 20).map_err(|e| e.to_string())?;
    vm.write_boot_tables().map_err(|e| e.to_string())?;
    let rng = Arc::new(
        VirtioRng::new(&vm, vm.mem.clone(), RNG_BASE, RNG_GSI)
            .map_err(|e| format!("virtio-rng: {e}"))?,
    );
    let flags = if o.stay { kvm::GUEST_FLAG_STAY } else { 0 };
    let entry = vm
        .load_guest(GUEST, o.vcpus, flags)
        .map_err(|e| e.to_string())?;
    let vcpus = (0..o.vcpus)
        .map(|i| vm.create_vcpu(i, o.vcpus, entry))
        .collect::<io::Result<Vec<Vcpu>>>()
        .map_err(|e| e.to_string())?;

    let channel = ctx
        .reports_async()
        .transpose()
        .map_err(|e| format!("reports: {e}"))?;
    let shared = Arc::new(Shared {
        serial: Mutex::new(Serial::new(true)),
        rng: rng.clone(),
        vcpus: o.vcpus,
        config: o.seccomp.clone(),
        reports: channel.as_ref().map(|_| Mutex::new(Vec::new())),
        end: end.clone(),
    });
    if let Some(mut reports) = channel {
        let shared = shared.clone();
        tokio::spawn(async move {
            while let Some(r) = reports.next().await {
                match r {
                    Ok(r) => {
                        eprintln!("{}", r.line);
                        shared.reports.as_ref().unwrap().lock().unwrap().push(r);
                    }
                    Err(e) => {
                        eprintln!("mini-dragonball: reading reports: {e}");
                        break;
                    }
                }
            }
        });
    }

    let e = end.clone();
    ctx.spawn(
        Role::builtin("virtio_rng").map_err(|e| e.to_string())?,
        "virtio-rng",
        move || {
            let why = rng.run();
            let _ = e.send(End::Crash(format!("virtio-rng: {why}")));
        },
    )
    .map_err(|e| format!("virtio-rng thread: {e}"))?;
    for v in vcpus {
        let name = format!("vcpu{}", v.id);
        let shared = shared.clone();
        ctx.spawn(Role::VCPU, &name, move || vcpu_loop(v, &shared))
            .map_err(|e| format!("{name} thread: {e}"))?;
    }

    let listener = tokio::net::UnixListener::from_std(listener)
        .map_err(|e| format!("--api-sock {}: {e}", o.api_sock.display()))?;
    let api = shared.clone();
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(handle(stream, api.clone()));
                }
                Err(e) => {
                    eprintln!("mini-dragonball: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });

    let code = match ended.recv().await {
        Some(End::PowerOff(verdict)) => {
            if verdict != 0 {
                eprintln!("mini-dragonball: the guest powered off with verdict {verdict}");
            }
            verdict as i32
        }
        Some(End::Shutdown) | None => 0,
        Some(End::Crash(why)) => {
            eprintln!("mini-dragonball: the VM crashed: {why}");
            EXIT_CRASH
        }
    };
    drop(vm);
    Ok(code)
}

/// A vCPU thread's loop, in role vcpu: KVM_RUN and the exits the serial
/// port, the power-off port and the virtio-mmio slots make.
fn vcpu_loop(mut v: Vcpu, shared: &Shared) {
    let id = v.id;
    loop {
        let r = v.run(|exit| match exit {
            Exit::Io { port, out, data } => {
                if (PORT_SERIAL..PORT_SERIAL + 8).contains(&port) && data.len() == 1 {
                    shared
                        .serial
                        .lock()
                        .unwrap()
                        .io(port - PORT_SERIAL, out, &mut data[0]);
                    true
                } else if port == PORT_POWER_OFF && out {
                    let _ = shared.end.send(End::PowerOff(data[0]));
                    false
                } else {
                    if !out {
                        // Nothing there: the bus floats high.
                        data.fill(0xff);
                    }
                    true
                }
            }
            Exit::Mmio { addr, write, data } => {
                if (RNG_BASE..RNG_BASE + SLOT_SIZE).contains(&addr) {
                    if write {
                        shared.rng.write(addr - RNG_BASE, data);
                    } else {
                        shared.rng.read(addr - RNG_BASE, data);
                    }
                } else if !write {
                    // An empty slot (or no device at all) reads all ones.
                    data.fill(0xff);
                }
                true
            }
            Exit::Again => true,
            Exit::Fatal(why) => {
                let _ = shared.end.send(End::Crash(format!("vcpu{id}: {why}")));
                false
            }
        });
        match r {
            Ok(true) => continue,
            Ok(false) => {}
            Err(why) => {
                let _ = shared.end.send(End::Crash(why));
            }
        }
        // The vCPU's descriptor and kvm_run stay until the process exits,
        // right after this: closing them is not the vcpu role's business
        // (close(2) is not in its policy).
        std::mem::forget(v);
        return;
    }
}

/// Reads a request head: up to its blank line, the end of the stream, or
/// api::MAX_REQUEST bytes.
async fn read_head(stream: &mut UnixStream) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !api::complete(&buf) && buf.len() <= api::MAX_REQUEST {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf)
}

/// One connection: a request, its reply, the end.
async fn handle(mut stream: UnixStream, shared: Arc<Shared>) {
    let (status, body) =
        match tokio::time::timeout(Duration::from_secs(5), read_head(&mut stream)).await {
            Err(_) => (400, "request head not complete within 5 s".to_string()),
            Ok(Err(e)) => {
                eprintln!("mini-dragonball: reading a request: {e}");
                return;
            }
            Ok(Ok(buf)) if buf.len() > api::MAX_REQUEST => (
                413,
                format!("request head longer than {} bytes", api::MAX_REQUEST),
            ),
            Ok(Ok(buf)) => match api::parse(&buf) {
                Ok(api::Request::GetVm) => (200, vm_info(&shared)),
                Ok(api::Request::PostExec) => exec(&shared).await,
                Ok(api::Request::PutShutdown) => {
                    let _ = stream.write_all(&api::reply(200, "shutting down\n")).await;
                    let _ = stream.shutdown().await;
                    let _ = shared.end.send(End::Shutdown);
                    return;
                }
                Err((status, msg)) => (status, msg),
            },
        };
    let mut body = body;
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let _ = stream.write_all(&api::reply(status, &body)).await;
    let _ = stream.shutdown().await;
}

fn vm_info(shared: &Shared) -> String {
    let serial = shared.serial.lock().unwrap().output();
    let state = if serial.contains("sample-guest: staying up") {
        "running (guest tests passed, staying up)"
    } else {
        "running"
    };
    format!(
        "state: {state}\nvcpus: {}\nseccomp: {}\nvirtio-rng: {} bytes served\nserial:\n{serial}",
        shared.vcpus,
        shared.config,
        shared.rng.served()
    )
}

/// The execve(2) POST /exec attempts, on the calling thread: its name, its
/// tid and how the call failed.  Not std::process::Command: its
/// clone(2)/vfork would be refused first and the report would name that
/// syscall instead.
fn attempt_execve() -> (String, i32, io::Error) {
    let thread = std::thread::current()
        .name()
        .unwrap_or("(unnamed)")
        .to_string();
    // SAFETY: gettid has no arguments and cannot fail.
    let tid = unsafe { libc::gettid() };
    let path = CString::new("/bin/true").unwrap();
    let argv = [path.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null()];
    // SAFETY: NUL-terminated path and argument arrays that outlive the
    // call.  If the sandbox let it run, this process would become
    // /bin/true (and the client would see the connection close).
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    (thread, tid, io::Error::last_os_error())
}

/// POST /exec: this task, on whichever worker runs it, calls execve.
async fn exec(shared: &Shared) -> (u16, String) {
    let before = shared
        .reports
        .as_ref()
        .map_or(0, |r| r.lock().unwrap().len());
    let (thread, tid, err) = attempt_execve();
    let said = format!("execve(\"/bin/true\") on thread {thread} (tid {tid}) failed: {err}");
    let Some(reports) = &shared.reports else {
        return (500, format!("{said}\nthe report went to stderr\n"));
    };
    // The report was written before execve returned (by the SIGSYS
    // handler); the reader task picks it up from the pipe.
    for _ in 0..200 {
        if let Some(r) = reports.lock().unwrap()[before..]
            .iter()
            .find(|r| r.tid == tid && r.syscall == "execve")
        {
            return (200, format!("{said}\nreport: {}\n", r.line));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (500, format!("{said}\nno report arrived within 2 s\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Option<Options>, String> {
        parse_args(s.split_whitespace().map(String::from))
    }

    #[test]
    fn flags() {
        let o = args("--api-sock /tmp/s --vcpus 2 --seccomp errno --stay --runtime-role")
            .unwrap()
            .unwrap();
        assert_eq!((o.vcpus, o.seccomp.as_str(), o.stay), (2, "errno", true));
        assert!(o.runtime_role && o.reports == Sink::Auto && o.workers == 2);
        assert!(args("--help").unwrap().is_none());
    }

    #[test]
    fn bad_flags_are_named() {
        let e = args("--vcpus 2").unwrap_err();
        assert!(e.contains("--api-sock"), "{e}");
        let e = args("--api-sock s --vcpus 9").unwrap_err();
        assert!(e.contains("--vcpus '9'") && e.contains("1 to 8"), "{e}");
        let e = args("--api-sock s --workers 1").unwrap_err();
        assert!(e.contains("--workers '1'"), "{e}");
        let e = args("--api-sock s --reports pipe").unwrap_err();
        assert!(e.contains("--reports 'pipe'"), "{e}");
        let e = args("--api-sock s --bogus").unwrap_err();
        assert!(e.contains("'--bogus'"), "{e}");
        let e = args("--api-sock").unwrap_err();
        assert!(e.contains("--api-sock: needs a value"), "{e}");
    }
}
