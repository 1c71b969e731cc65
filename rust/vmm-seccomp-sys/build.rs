//! Finds libvmm_seccomp.a, or builds it, and links it with libseccomp and
//! pthread.
//!
//! In this order:
//! 1. `VMM_SECCOMP_LIB_DIR`: the directory holding `libvmm_seccomp.a`; the
//!    header is looked for in `VMM_SECCOMP_INCLUDE_DIR`, else in
//!    `$VMM_SECCOMP_LIB_DIR/../include`.
//! 2. The installed pkg-config file `vmm_seccomp.pc` (`cmake --install`),
//!    unless `VMM_SECCOMP_NO_PKG_CONFIG` is set.
//! 3. The repository this crate lives in (`../..`): configured and built
//!    with cmake into `OUT_DIR`, only the `vmm_seccomp` target.
//!
//! The link lines are printed here rather than by the pkg-config crate:
//! pkg-config 0.3.25 with `.statik(true)` would still link libseccomp
//! dynamically, and with it the order of the libraries is ours to keep
//! (the static archive first, then what it needs).  libseccomp is linked
//! dynamically unless `VMM_SECCOMP_STATIC_LIBSECCOMP` is set.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Found {
    lib_dir: PathBuf,
    include_dir: PathBuf,
}

fn main() {
    for var in [
        "VMM_SECCOMP_LIB_DIR",
        "VMM_SECCOMP_INCLUDE_DIR",
        "VMM_SECCOMP_NO_PKG_CONFIG",
        "VMM_SECCOMP_STATIC_LIBSECCOMP",
        "PKG_CONFIG_PATH",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=csrc/layout.c");

    let found = match from_env().or_else(from_pkg_config) {
        Some(found) => {
            // An archive rebuilt or reinstalled (a policy changed: the
            // built-in policies are compiled into it) must relink what
            // links it.  (One built below is cmake's to keep current.)
            println!(
                "cargo:rerun-if-changed={}",
                found.lib_dir.join("libvmm_seccomp.a").display()
            );
            found
        }
        None => build_from_repository(),
    };

    let header = found.include_dir.join("vmm_seccomp.h");
    if !header.is_file() {
        panic!(
            "vmm-seccomp-sys: no vmm_seccomp.h in {} (set VMM_SECCOMP_INCLUDE_DIR)",
            found.include_dir.display()
        );
    }
    println!("cargo:rerun-if-changed={}", header.display());
    // Dependent crates' build scripts see it as DEP_VMM_SECCOMP_INCLUDE.
    println!("cargo:include={}", found.include_dir.display());
    // And DEP_VMM_SECCOMP_LIB_DIR: where the archive linked was found.
    println!("cargo:lib_dir={}", found.lib_dir.display());

    // The layout probe the tests compare the Rust declarations with: the
    // header's own sizes, offsets and constants, compiled by the C compiler.
    cc::Build::new()
        .file("csrc/layout.c")
        .include(&found.include_dir)
        .warnings(true)
        .extra_warnings(true)
        .flag_if_supported("-Werror")
        .compile("vmm_seccomp_sys_layout");

    println!("cargo:rustc-link-search=native={}", found.lib_dir.display());
    println!("cargo:rustc-link-lib=static=vmm_seccomp");
    if env::var_os("VMM_SECCOMP_STATIC_LIBSECCOMP").is_some() {
        println!("cargo:rustc-link-lib=static=seccomp");
        if let Some(dir) = libseccomp_dir() {
            println!("cargo:rustc-link-search=native={}", dir.display());
        }
    } else {
        println!("cargo:rustc-link-lib=dylib=seccomp");
    }
    println!("cargo:rustc-link-lib=dylib=pthread");
}

/// Step 1: VMM_SECCOMP_LIB_DIR.
fn from_env() -> Option<Found> {
    let lib_dir = PathBuf::from(env::var_os("VMM_SECCOMP_LIB_DIR")?);
    if !lib_dir.join("libvmm_seccomp.a").is_file() {
        panic!(
            "vmm-seccomp-sys: VMM_SECCOMP_LIB_DIR={} holds no libvmm_seccomp.a",
            lib_dir.display()
        );
    }
    let include_dir = env::var_os("VMM_SECCOMP_INCLUDE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| lib_dir.join("..").join("include"));
    Some(Found {
        lib_dir,
        include_dir,
    })
}

/// Step 2: the installed vmm_seccomp.pc.  Only its paths are used.
fn from_pkg_config() -> Option<Found> {
    if env::var_os("VMM_SECCOMP_NO_PKG_CONFIG").is_some() {
        return None;
    }
    let lib = pkg_config::Config::new()
        .cargo_metadata(false)
        .env_metadata(false)
        .probe("vmm_seccomp")
        .ok()?;
    let lib_dir = lib
        .link_paths
        .iter()
        .find(|d| d.join("libvmm_seccomp.a").is_file())?
        .clone();
    let include_dir = lib
        .include_paths
        .iter()
        .find(|d| d.join("vmm_seccomp.h").is_file())?
        .clone();
    Some(Found {
        lib_dir,
        include_dir,
    })
}

/// Step 3: cmake on the repository the crate sits in.
fn build_from_repository() -> Found {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let repo = manifest.join("..").join("..");
    let repo = repo.canonicalize().unwrap_or(repo);
    if !repo
        .join("vmm_seccomp")
        .join("include")
        .join("vmm_seccomp.h")
        .is_file()
    {
        panic!(
            "vmm-seccomp-sys: libvmm_seccomp not found: set VMM_SECCOMP_LIB_DIR, install it \
             (cmake --install) so pkg-config finds vmm_seccomp.pc, or build the crate inside \
             the vmm_seccomp repository (no repository at {})",
            repo.display()
        );
    }
    for dir in ["vmm_seccomp", "policy", "threads", "cmake", "tools"] {
        println!("cargo:rerun-if-changed={}", repo.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        repo.join("CMakeLists.txt").display()
    );

    let build = PathBuf::from(env::var_os("OUT_DIR").unwrap()).join("cmake-build");
    run(Command::new("cmake")
        .arg("-S")
        .arg(&repo)
        .arg("-B")
        .arg(&build)
        .arg("-DCMAKE_BUILD_TYPE=RelWithDebInfo")
        .arg("-DVMM_SECCOMP_TESTS=OFF"));
    let jobs = env::var("NUM_JOBS").unwrap_or_else(|_| "2".into());
    run(Command::new("cmake")
        .arg("--build")
        .arg(&build)
        .arg("--target")
        .arg("vmm_seccomp")
        .arg("-j")
        .arg(jobs));
    Found {
        lib_dir: build,
        include_dir: repo.join("vmm_seccomp").join("include"),
    }
}

fn run(cmd: &mut Command) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("vmm-seccomp-sys: cannot run {cmd:?}: {e}"));
    if !status.success() {
        panic!("vmm-seccomp-sys: {cmd:?} failed: {status}");
    }
}

/// Where libseccomp.a is, for VMM_SECCOMP_STATIC_LIBSECCOMP.
fn libseccomp_dir() -> Option<PathBuf> {
    let out = Command::new("pkg-config")
        .args(["--variable=libdir", "libseccomp"])
        .output()
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    let dir = Path::new(&dir);
    dir.join("libseccomp.a")
        .is_file()
        .then(|| dir.to_path_buf())
}
