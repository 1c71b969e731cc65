//! The hand-written declarations against the header, as the C compiler
//! sees it (csrc/layout.c): every size, offset and constant the table
//! lists must be present here with the same value, and every value here
//! must be in the table.

use std::collections::HashMap;
use std::ffi::CStr;
use std::mem::{align_of, offset_of, size_of};

use vmm_seccomp_sys::*;

fn c_table() -> HashMap<String, u64> {
    let mut n = 0;
    let table = unsafe { layout::vmm_seccomp_sys_layout_table(&mut n) };
    let entries = unsafe { std::slice::from_raw_parts(table, n) };
    entries
        .iter()
        .map(|e| {
            let name = unsafe { CStr::from_ptr(e.name) };
            (name.to_str().unwrap().to_owned(), e.value)
        })
        .collect()
}

macro_rules! rust_table {
    ($($name:expr => $value:expr,)*) => {
        vec![$(($name.to_string(), $value as u64)),*]
    };
}

#[test]
fn layout_matches_header() {
    let c = c_table();
    type V = vmm_seccomp_violation;
    type T = vmm_seccomp_thread_info;
    type L = vmm_seccomp_landlock_info;
    let rust = rust_table! {
        "sizeof vmm_seccomp_violation" => size_of::<V>(),
        "alignof vmm_seccomp_violation" => align_of::<V>(),
        "vmm_seccomp_violation.tid" => offset_of!(V, tid),
        "vmm_seccomp_violation.thread_name" => offset_of!(V, thread_name),
        "vmm_seccomp_violation.role" => offset_of!(V, role),
        "vmm_seccomp_violation.mode" => offset_of!(V, mode),
        "vmm_seccomp_violation.arch" => offset_of!(V, arch),
        "vmm_seccomp_violation.arch_name" => offset_of!(V, arch_name),
        "vmm_seccomp_violation.syscall_nr" => offset_of!(V, syscall_nr),
        "vmm_seccomp_violation.syscall_name" => offset_of!(V, syscall_name),
        "vmm_seccomp_violation.args" => offset_of!(V, args),
        "vmm_seccomp_violation.ioctl_name" => offset_of!(V, ioctl_name),
        "vmm_seccomp_violation.layer" => offset_of!(V, layer),
        "vmm_seccomp_violation.unreviewed" => offset_of!(V, unreviewed),
        "vmm_seccomp_violation.role_name" => offset_of!(V, role_name),
        "vmm_seccomp_violation.layer_name" => offset_of!(V, layer_name),
        "sizeof vmm_seccomp_thread_info" => size_of::<T>(),
        "alignof vmm_seccomp_thread_info" => align_of::<T>(),
        "vmm_seccomp_thread_info.tid" => offset_of!(T, tid),
        "vmm_seccomp_thread_info.role" => offset_of!(T, role),
        "vmm_seccomp_thread_info.name" => offset_of!(T, name),
        "vmm_seccomp_thread_info.filtered" => offset_of!(T, filtered),
        "sizeof vmm_seccomp_landlock_info" => size_of::<L>(),
        "alignof vmm_seccomp_landlock_info" => align_of::<L>(),
        "vmm_seccomp_landlock_info.abi" => offset_of!(L, abi),
        "vmm_seccomp_landlock_info.enforced" => offset_of!(L, enforced),
        "vmm_seccomp_landlock_info.fs_rights" => offset_of!(L, fs_rights),
        "vmm_seccomp_landlock_info.net_rights" => offset_of!(L, net_rights),
        "vmm_seccomp_landlock_info.scopes" => offset_of!(L, scopes),
        "vmm_seccomp_landlock_info.audit" => offset_of!(L, audit),
        "sizeof enum vmm_seccomp_role" => size_of::<vmm_seccomp_role>(),
        "sizeof enum vmm_seccomp_mode" => size_of::<vmm_seccomp_mode>(),
        "sizeof enum vmm_seccomp_landlock" => size_of::<vmm_seccomp_landlock>(),
        "VMM_SECCOMP_ROLE_PROCESS" => VMM_SECCOMP_ROLE_PROCESS,
        "VMM_SECCOMP_ROLE_VMM" => VMM_SECCOMP_ROLE_VMM,
        "VMM_SECCOMP_ROLE_VCPU" => VMM_SECCOMP_ROLE_VCPU,
        "VMM_SECCOMP_ROLE_API" => VMM_SECCOMP_ROLE_API,
        "VMM_SECCOMP_ROLE_VIRTIO_BLOCK" => VMM_SECCOMP_ROLE_VIRTIO_BLOCK,
        "VMM_SECCOMP_ROLE_VIRTIO_NET" => VMM_SECCOMP_ROLE_VIRTIO_NET,
        "VMM_SECCOMP_ROLE_VIRTIO_CONSOLE" => VMM_SECCOMP_ROLE_VIRTIO_CONSOLE,
        "VMM_SECCOMP_ROLE_VIRTIO_RNG" => VMM_SECCOMP_ROLE_VIRTIO_RNG,
        "VMM_SECCOMP_ROLE_VIRTIO_VSOCK" => VMM_SECCOMP_ROLE_VIRTIO_VSOCK,
        "VMM_SECCOMP_ROLE_VIRTIO_FS" => VMM_SECCOMP_ROLE_VIRTIO_FS,
        "VMM_SECCOMP_ROLE_VIRTIO_BALLOON" => VMM_SECCOMP_ROLE_VIRTIO_BALLOON,
        "VMM_SECCOMP_ROLE_VHOST_USER" => VMM_SECCOMP_ROLE_VHOST_USER,
        "VMM_SECCOMP_ROLE_IO_WORKER" => VMM_SECCOMP_ROLE_IO_WORKER,
        "VMM_SECCOMP_ROLE_SIGNAL_HANDLER" => VMM_SECCOMP_ROLE_SIGNAL_HANDLER,
        "VMM_SECCOMP_ROLE_RUNTIME" => VMM_SECCOMP_ROLE_RUNTIME,
        "VMM_SECCOMP_ROLE_COUNT" => VMM_SECCOMP_ROLE_COUNT,
        "VMM_SECCOMP_ROLE_MAX" => VMM_SECCOMP_ROLE_MAX,
        "VMM_SECCOMP_ROLE_NAME_MAX" => VMM_SECCOMP_ROLE_NAME_MAX,
        "VMM_SECCOMP_MODE_ENFORCE" => VMM_SECCOMP_MODE_ENFORCE,
        "VMM_SECCOMP_MODE_KILL" => VMM_SECCOMP_MODE_KILL,
        "VMM_SECCOMP_MODE_ERRNO" => VMM_SECCOMP_MODE_ERRNO,
        "VMM_SECCOMP_MODE_LOG" => VMM_SECCOMP_MODE_LOG,
        "VMM_SECCOMP_MODE_OFF" => VMM_SECCOMP_MODE_OFF,
        "VMM_SECCOMP_MODE_COUNT" => VMM_SECCOMP_MODE_COUNT,
        "VMM_SECCOMP_ALLOW_DANGEROUS" => VMM_SECCOMP_ALLOW_DANGEROUS,
        "VMM_SECCOMP_PATH_READ" => VMM_SECCOMP_PATH_READ,
        "VMM_SECCOMP_PATH_WRITE" => VMM_SECCOMP_PATH_WRITE,
        "VMM_SECCOMP_PATH_CREATE" => VMM_SECCOMP_PATH_CREATE,
        "VMM_SECCOMP_PATH_SOCKET" => VMM_SECCOMP_PATH_SOCKET,
        "VMM_SECCOMP_PATH_DEVICE" => VMM_SECCOMP_PATH_DEVICE,
        "VMM_SECCOMP_PATH_CONNECT" => VMM_SECCOMP_PATH_CONNECT,
        "VMM_SECCOMP_PATH_RO" => VMM_SECCOMP_PATH_RO,
        "VMM_SECCOMP_PATH_RW" => VMM_SECCOMP_PATH_RW,
        "VMM_SECCOMP_LANDLOCK_REQUIRE" => VMM_SECCOMP_LANDLOCK_REQUIRE,
        "VMM_SECCOMP_LANDLOCK_IF_AVAILABLE" => VMM_SECCOMP_LANDLOCK_IF_AVAILABLE,
        "VMM_SECCOMP_LANDLOCK_OFF" => VMM_SECCOMP_LANDLOCK_OFF,
    };
    let mut bad = Vec::new();
    for (name, value) in &rust {
        match c.get(name) {
            None => bad.push(format!("{name}: not in csrc/layout.c")),
            Some(cv) if cv != value => bad.push(format!("{name}: C {cv}, Rust {value}")),
            _ => {}
        }
    }
    for name in c.keys() {
        if !rust.iter().any(|(n, _)| n == name) {
            bad.push(format!("{name}: in csrc/layout.c, not checked in Rust"));
        }
    }
    assert!(
        bad.is_empty(),
        "declarations differ from vmm_seccomp.h:\n{}",
        bad.join("\n")
    );
    assert!(rust.len() > 60, "the table lost entries: {}", rust.len());
}

/// The library's own names for the role and mode values: catches an enum
/// reordered in the header, whatever the probe says.
#[test]
fn names_match_values() {
    let roles = [
        (VMM_SECCOMP_ROLE_PROCESS, "process"),
        (VMM_SECCOMP_ROLE_VMM, "vmm"),
        (VMM_SECCOMP_ROLE_VCPU, "vcpu"),
        (VMM_SECCOMP_ROLE_API, "api"),
        (VMM_SECCOMP_ROLE_VIRTIO_BLOCK, "virtio_block"),
        (VMM_SECCOMP_ROLE_VIRTIO_NET, "virtio_net"),
        (VMM_SECCOMP_ROLE_VIRTIO_CONSOLE, "virtio_console"),
        (VMM_SECCOMP_ROLE_VIRTIO_RNG, "virtio_rng"),
        (VMM_SECCOMP_ROLE_VIRTIO_VSOCK, "virtio_vsock"),
        (VMM_SECCOMP_ROLE_VIRTIO_FS, "virtio_fs"),
        (VMM_SECCOMP_ROLE_VIRTIO_BALLOON, "virtio_balloon"),
        (VMM_SECCOMP_ROLE_VHOST_USER, "vhost_user"),
        (VMM_SECCOMP_ROLE_IO_WORKER, "io_worker"),
        (VMM_SECCOMP_ROLE_SIGNAL_HANDLER, "signal_handler"),
        (VMM_SECCOMP_ROLE_RUNTIME, "runtime"),
    ];
    assert_eq!(roles.len() as u32, VMM_SECCOMP_ROLE_COUNT);
    for (value, name) in roles {
        let got = unsafe { vmm_seccomp_role_name(value) };
        assert!(!got.is_null(), "no name for role {value}");
        assert_eq!(unsafe { CStr::from_ptr(got) }.to_str().unwrap(), name);
    }
    assert!(unsafe { vmm_seccomp_role_name(VMM_SECCOMP_ROLE_COUNT) }.is_null());
    let modes = [
        (VMM_SECCOMP_MODE_ENFORCE, "enforce"),
        (VMM_SECCOMP_MODE_KILL, "kill"),
        (VMM_SECCOMP_MODE_ERRNO, "errno"),
        (VMM_SECCOMP_MODE_LOG, "log"),
        (VMM_SECCOMP_MODE_OFF, "off"),
    ];
    for (value, name) in modes {
        let got = unsafe { vmm_seccomp_mode_name(value) };
        assert_eq!(unsafe { CStr::from_ptr(got) }.to_str().unwrap(), name);
    }
}

/// A context can be made, configured, compiled and freed through the raw
/// calls, and a failing call leaves its message in last_error.
#[test]
fn raw_life_cycle() {
    unsafe {
        let ctx = vmm_seccomp_new();
        assert!(!ctx.is_null());
        assert_eq!(vmm_seccomp_configure(ctx, c"enforce,vcpu=log".as_ptr()), 0);
        assert_eq!(
            vmm_seccomp_get_role_mode(ctx, VMM_SECCOMP_ROLE_VCPU),
            VMM_SECCOMP_MODE_LOG
        );
        assert_eq!(
            vmm_seccomp_configure(ctx, c"enforce,bogus".as_ptr()),
            -libc::EINVAL
        );
        let msg = CStr::from_ptr(vmm_seccomp_last_error(ctx)).to_string_lossy();
        assert!(msg.contains("bogus"), "message: {msg}");
        assert_eq!(vmm_seccomp_compile(ctx), 0);
        let mut len = 0;
        assert!(!vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_PROCESS, &mut len).is_null());
        assert!(len > 0);
        vmm_seccomp_free(ctx);
    }
}
