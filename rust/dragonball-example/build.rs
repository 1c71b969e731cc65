//! The sample guest (`sample_vmm/guest/`, a flat image loaded at 1 MiB)
//! for `include_bytes!`: the file `MINI_DRAGONBALL_GUEST` names, else the
//! repository's cmake target `sample-guest` built in `OUT_DIR`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MINI_DRAGONBALL_GUEST");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let image = match env::var_os("MINI_DRAGONBALL_GUEST") {
        Some(path) => {
            let path = PathBuf::from(path);
            if !path.is_file() {
                panic!(
                    "MINI_DRAGONBALL_GUEST={}: no such file (a flat sample guest image, \
                     e.g. build/sample_vmm/sample-guest.bin)",
                    path.display()
                );
            }
            println!("cargo:rerun-if-changed={}", path.display());
            path
        }
        None => build_guest(&out),
    };
    println!(
        "cargo:rustc-env=MINI_DRAGONBALL_GUEST_IMAGE={}",
        image.display()
    );
}

fn build_guest(out: &Path) -> PathBuf {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let repo = manifest
        .ancestors()
        .nth(2)
        .filter(|r| r.join("sample_vmm/guest/abi.h").is_file())
        .unwrap_or_else(|| {
            panic!(
                "{}: not inside the vmm_seccomp repository (no sample_vmm/guest/abi.h two \
                 levels up); set MINI_DRAGONBALL_GUEST to a sample guest image",
                manifest.display()
            )
        })
        .to_path_buf();
    println!(
        "cargo:rerun-if-changed={}",
        repo.join("sample_vmm/guest").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        repo.join("sample_vmm/CMakeLists.txt").display()
    );
    let build = out.join("cmake-build");
    run(Command::new("cmake")
        .arg("-S")
        .arg(&repo)
        .arg("-B")
        .arg(&build)
        .arg("-DVMM_SECCOMP_TESTS=OFF"));
    run(Command::new("cmake")
        .arg("--build")
        .arg(&build)
        .args(["--target", "sample-guest"]));
    let image = build.join("sample_vmm/sample-guest.bin");
    if !image.is_file() {
        panic!(
            "cmake built target sample-guest but {} is missing",
            image.display()
        );
    }
    image
}

fn run(cmd: &mut Command) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (is cmake installed?)"));
    if !status.success() {
        panic!("{cmd:?} failed: {status}");
    }
}
