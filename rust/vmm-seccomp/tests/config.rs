//! Configuration and bad input, without applying anything (these run in
//! the test process itself).

use std::path::PathBuf;

use vmm_seccomp::{is_dangerous, Context, Error, Mode, PathAccess, Role};

/// A fresh empty directory under the system's temporary directory.
fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vmm-seccomp-rs-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn library_error(e: Error) -> (&'static str, i32, String) {
    match e {
        Error::Library {
            call,
            errno,
            message,
        } => (call, errno, message),
        other => panic!("not a library error: {other:?}"),
    }
}

#[test]
fn malformed_policy_file_gives_file_and_line() {
    let dir = temp_dir("baddir");
    std::fs::write(
        dir.join("vcpu.policy"),
        "@include builtin/roles/vcpu.policy\nread\nnot_a_syscall_at_all\n",
    )
    .unwrap();
    let e = Context::builder().policy_dir(&dir).build().unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    let shown = e.to_string();
    let (call, errno, message) = library_error(e);
    assert_eq!(call, "vmm_seccomp_load_policy_dir");
    assert_eq!(errno, libc::EINVAL);
    assert!(message.contains("vcpu.policy:3"), "message: {message}");
    assert!(
        message.contains("not_a_syscall_at_all"),
        "message: {message}"
    );
    assert!(shown.contains(&message), "Display: {shown}");
}

#[test]
fn policy_dir_defines_roles_by_file_name() {
    let dir = temp_dir("gooddir");
    std::fs::write(
        dir.join("virtio_gpu.policy"),
        "@include builtin/roles/virtio_rng.policy\n",
    )
    .unwrap();
    let ctx = Context::builder().policy_dir(&dir).build().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let gpu = ctx.role("virtio_gpu").unwrap();
    assert!(!gpu.is_builtin());
    assert_eq!(ctx.role_name(gpu), Some("virtio_gpu"));
    assert!(ctx.roles().any(|r| r == gpu));
}

#[test]
fn malformed_rules_give_origin_line_and_column() {
    let e = Context::builder()
        .rules(Role::VCPU, "read\ngetpidd\n", "embedder")
        .build()
        .unwrap_err();
    let (call, errno, message) = library_error(e);
    assert_eq!(call, "vmm_seccomp_add_rules");
    assert_eq!(errno, libc::EINVAL);
    assert!(message.contains("embedder:2:"), "message: {message}");
}

#[test]
fn bad_configuration_token_is_named() {
    let e = Context::builder()
        .configure("enforce,vcpu=sometimes")
        .build()
        .unwrap_err();
    let (_, errno, message) = library_error(e);
    assert_eq!(errno, libc::EINVAL);
    assert!(message.contains("sometimes"), "message: {message}");
}

#[test]
fn dangerous_syscall_in_baseline_needs_the_flag() {
    assert!(is_dangerous("execve"));
    assert!(!is_dangerous("read"));
    let e = Context::builder()
        .rules(Role::PROCESS, "execve\n", "embedder")
        .build()
        .unwrap_err();
    assert_eq!(e.errno(), Some(libc::EPERM), "{e}");
    Context::builder()
        .dangerous_rules(Role::PROCESS, "execve\n", "embedder")
        .build()
        .unwrap();
}

#[test]
fn role_may_not_exceed_the_baseline() {
    // The baseline has no rule for execve; a role allowing it is refused.
    let e = Context::builder()
        .rules(Role::VCPU, "execve\n", "embedder")
        .build()
        .unwrap_err();
    assert_eq!(e.errno(), Some(libc::EPERM), "{e}");
}

#[test]
fn roles_by_name() {
    assert_eq!(Role::builtin("vcpu").unwrap(), Role::VCPU);
    assert_eq!(Role::builtin("runtime").unwrap(), Role::RUNTIME);
    assert_eq!(Role::VIRTIO_BLOCK.builtin_name(), Some("virtio_block"));
    assert!(matches!(Role::builtin("nope"), Err(Error::NoSuchRole(_))));
    let ctx = Context::builder()
        .define_role("gpu_worker", "@include builtin/roles/io_worker.policy\n")
        .role_mode("gpu_worker", Mode::Log)
        .build()
        .unwrap();
    let r = ctx.role("gpu_worker").unwrap();
    assert_eq!(ctx.role_name(r), Some("gpu_worker"));
    assert_eq!(ctx.mode(r), Some(Mode::Log));
    assert_eq!(ctx.role("vcpu").unwrap(), Role::VCPU);
    assert!(matches!(ctx.role("nope"), Err(Error::NoSuchRole(_))));
    // Naming a role before it is defined fails at that step.
    let e = Context::builder()
        .role_mode("later", Mode::Log)
        .define_role("later", "read\n")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::NoSuchRole(ref n) if n == "later"), "{e}");
}

#[test]
fn bad_role_name_is_explained() {
    let e = Context::builder()
        .define_role("Bad-Name", "read\n")
        .build()
        .unwrap_err();
    let (call, errno, message) = library_error(e);
    assert_eq!(call, "vmm_seccomp_define_role");
    assert_eq!(errno, libc::EINVAL);
    assert!(!message.is_empty());
}

#[test]
fn bad_path_rules() {
    let e = Context::builder()
        .allow_path(Role::PROCESS, "relative/path", PathAccess::READ)
        .build()
        .unwrap_err();
    assert_eq!(e.errno(), Some(libc::EINVAL), "{e}");
    let e = Context::builder()
        .path_rule(Role::PROCESS, "/tmp:read+fly")
        .build()
        .unwrap_err();
    let (_, errno, message) = library_error(e);
    assert_eq!(errno, libc::EINVAL);
    assert!(message.contains("fly"), "message: {message}");
    Context::builder()
        .path_rule(Role::PROCESS, "/tmp:read+write")
        .allow_path(
            Role::PROCESS,
            "/dev/null",
            PathAccess::READ | PathAccess::WRITE,
        )
        .build()
        .unwrap();
}

#[test]
fn nul_in_a_string_is_caught_before_the_library() {
    let e = Context::builder().configure("log\0x").build().unwrap_err();
    assert!(matches!(e, Error::Nul { .. }), "{e}");
}

#[test]
fn compile_gives_programs_and_freezes() {
    let mut ctx = Context::builder()
        .configure("enforce,vcpu=off")
        .build()
        .unwrap();
    assert!(ctx.program(Role::PROCESS).is_none());
    ctx.compile().unwrap();
    assert!(ctx.program(Role::PROCESS).map_or(0, <[_]>::len) > 0);
    assert!(ctx.program(Role::VCPU).is_none(), "vcpu is off");
    assert!(!ctx.is_applied());
}

#[test]
fn spawn_before_apply_is_refused() {
    let ctx = Context::builder().build().unwrap();
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r2 = ran.clone();
    let e = ctx
        .spawn(Role::VCPU, "vcpu0", move || {
            r2.store(true, std::sync::atomic::Ordering::SeqCst)
        })
        .unwrap_err();
    let (call, errno, message) = library_error(e);
    assert_eq!(call, "vmm_seccomp_enter_role");
    assert_eq!(errno, libc::EPERM);
    assert!(!message.is_empty());
    assert!(
        !ran.load(std::sync::atomic::Ordering::SeqCst),
        "the closure ran unconfined"
    );
}
