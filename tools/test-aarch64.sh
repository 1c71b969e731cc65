#!/usr/bin/env bash
# The library on a real arm64 kernel: cross-builds it and its tests for
# arm64, packs them into an initramfs, boots Debian's arm64 kernel under
# qemu (virt machine with EL2, so /dev/kvm exists in the guest), runs the
# unit, verification and live enforcement tests and the arm64 KVM test
# there, and prints "aarch64: N passed, N failed" from what the guest
# reported on its console.  Fails on a failed test, on a missing summary
# (the guest crashed or ran out of time) and on zero tests run.
#
#   tools/test-aarch64.sh              the run
#   tools/test-aarch64.sh --self-test  the verdict parsing: a real guest
#                                      reporting a failure, and transcripts
#                                      without a summary, without tests or
#                                      hiding a failure, must each make it
#                                      fail; a good transcript must pass
#
# Installs what it needs (arm64 multiarch, qemu, the cross compiler, the
# arm64 libseccomp and cmocka) and caches Debian's arm64 kernel in
# build-aarch64/kernel/.  AARCH64_TESTS (names) runs only those tests;
# QEMU_TIMEOUT (seconds, default 170) bounds the boot.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=$top/build-aarch64
build=$out/build
QEMU_TIMEOUT=${QEMU_TIMEOUT:-170}
# What the guest runs (tests/aarch64/init.c: one program per CPU at a time,
# in this order, the longest first): the tests, and the demo, whose
# supervisor exits 0 only if the compromised device thread was contained
# (SIGSYS, nothing failed before).
# An entry is a program, its arguments, and before them any NAME=VALUE for
# its environment; HELPERS are programs the tests run, put beside them.
TESTS=(test_filters test_differential test_live test_landlock test_roles test_kvm_arm64
  "VMM_SECCOMP_TOOL=/tests/vmm-seccomp PROFILE_TARGET=/tests/profile_target test_tool"
  test_policy test_config test_policy_dir test_noalloc "vmm-seccomp-demo enforce")
HELPERS=(vmm-seccomp profile_target)
# AARCH64_TESTS="test_live ..." runs only those
if [ -n "${AARCH64_TESTS:-}" ]; then read -ra TESTS <<<"$AARCH64_TESTS"; fi

say() { printf 'test-aarch64: %s\n' "$*"; }

# ---- verdict: the guest's console lines -> counts, exit status ------------
# Prints each test's line and "aarch64: N passed, N failed[, N skipped]";
# returns 0 only for a summary with tests run and none failed.
verdict() {
  local log=$1 passed failed skipped summary
  grep -a '^AARCH64-TEST ' "$log" | sed 's/\r$//' || true
  summary=$(tr -d '\r' <"$log" |
    grep -aE '^AARCH64-SUMMARY passed=[0-9]+ failed=[0-9]+ skipped=[0-9]+$' | tail -n1 || true)
  if [ -z "$summary" ]; then
    echo "aarch64: no summary from the guest (it crashed, hung or timed out): FAILED (console: $log)"
    return 1
  fi
  passed=$(sed -n 's/.*passed=\([0-9]*\).*/\1/p' <<<"$summary")
  failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$summary")
  skipped=$(sed -n 's/.*skipped=\([0-9]*\).*/\1/p' <<<"$summary")
  echo "aarch64: $passed passed, $failed failed, $skipped skipped"
  # the summary must agree with the lines, verdict by verdict
  local v n
  for v in PASS:$passed FAIL:$failed SKIP:$skipped; do
    n=$(grep -ac "^AARCH64-TEST [^ ]* ${v%%:*} " "$log" || true)
    if [ "$n" -ne "${v#*:}" ]; then
      echo "aarch64: the summary counts ${v#*:} ${v%%:*}, the console shows $n: FAILED"
      return 1
    fi
  done
  if [ "$passed" -eq 0 ]; then
    echo "aarch64: no test passed: FAILED"
    return 1
  fi
  [ "$failed" -eq 0 ]
}

# ---- dependencies -----------------------------------------------------------
deps() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "adding the arm64 architecture to dpkg (dpkg --add-architecture arm64, apt-get update)"
    $sudo dpkg --add-architecture arm64
    $sudo apt-get update -qq
  fi
  tools/deps.sh qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
    libseccomp-dev:arm64 libcmocka-dev:arm64 cpio
  # Debian's Rust and its arm64 standard library (rustup's toolchain here
  # has no arm64 target and cannot fetch one offline)
  tools/rust-deps.sh --cross arm64
}

# Debian's arm64 kernel: the package linux-image-arm64 points to; its
# vmlinuz is a raw arm64 Image.  Cached; without the registry the newest
# cached one is used.
kernel() {
  local pkg deb
  mkdir -p "$out/kernel"
  pkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\):arm64$/\1/p' | head -n1 || true)
  if [ -n "$pkg" ] && [ ! -f "$out/kernel/$pkg.Image" ]; then
    say "downloading Debian's arm64 kernel $pkg"
    if (cd "$out/kernel" && apt-get download -qq "$pkg:arm64" 2>/dev/null); then
      deb=$(printf "%s\n" "$out/kernel/${pkg}"_*.deb | head -n1)
      dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './boot/vmlinuz-*' \
        >"$out/kernel/$pkg.Image.tmp"
      mv "$out/kernel/$pkg.Image.tmp" "$out/kernel/$pkg.Image"
      rm -f "$deb"
    else
      say "could not download $pkg: using the newest cached kernel, if any"
    fi
  fi
  KERNEL=$( (ls -t "$out/kernel/"*.Image 2>/dev/null || true) | head -n1)
  [ -n "$KERNEL" ] || { say "no arm64 kernel (package lookup gave '${pkg}')"; exit 1; }
}

# ---- the cross build -----------------------------------------------------------
cross_build() {
  # the built-in policies compiled to BPF at build time, as in a native
  # build, by a host build of the compiler (it runs here, for arm64)
  say "building the policy compiler for this machine in $out/host"
  { cmake -S "$top" -B "$out/host" -DVMM_SECCOMP_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
    cmake --build "$out/host" -j2 --target vmm-seccomp-prebuild; } >"$out/host.log" 2>&1 ||
    { tail -n 40 "$out/host.log"; exit 1; }
  say "cross-building for arm64 in $build"
  cmake -S "$top" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/aarch64-linux-gnu.cmake" \
    -DVMM_SECCOMP_PREBUILD_TOOL="$out/host/vmm-seccomp-prebuild" \
    -DVMM_SECCOMP_MEMCHECK=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$out/cmake.log" ||
    { cat "$out/cmake.log"; exit 1; }
  local t targets=("${HELPERS[@]}")
  for t in "${TESTS[@]}"; do targets+=("$(entry_program "$t")"); done
  cmake --build "$build" -j2 --target aarch64-init vmm_seccomp "${targets[@]}" >"$out/build.log" 2>&1 ||
    { tail -n 40 "$out/build.log"; exit 1; }
}

# The Rust crates' tests (rust/: vmm-seccomp-sys's layout against the
# header as the arm64 C compiler sees it, vmm-seccomp's configuration,
# enforcement in forked children, reports, the async reader), cross-built
# against the library built above by Debian's Rust; the tokio/KVM example
# is x86-64's, like the sample VMM.  Their programs join TESTS.
rust_build() {
  local ws locked exe name n=0
  read -r ws locked <<<"$(tools/rust-deps.sh --workspace)"
  say "cross-building the Rust crates' tests for arm64 in $out/rust"
  (cd "$ws" && PATH=/usr/bin:$PATH CARGO_TARGET_DIR="$out/rust" \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
    VMM_SECCOMP_LIB_DIR="$build" VMM_SECCOMP_INCLUDE_DIR="$top/vmm_seccomp/include" \
    cargo test --offline ${locked:+"$locked"} --no-run --target aarch64-unknown-linux-gnu \
    -p vmm-seccomp-sys -p vmm-seccomp --features vmm-seccomp/tokio \
    --message-format=json) >"$out/rust.json" 2>"$out/rust.log" ||
    { tail -n 40 "$out/rust.log"; exit 1; }
  while read -r exe; do
    # rust-<crate or test file>: cargo's hash dropped
    name=rust-$(basename "$exe" | sed 's/-[0-9a-f]*$//')
    cp "$exe" "$build/tests/$name"
    TESTS+=("$name")
    n=$((n + 1))
  done < <(grep -o '"executable":"[^"]*"' "$out/rust.json" | sed 's/.*:"\(.*\)"$/\1/')
  [ "$n" -gt 0 ] || { say "no Rust test program was built"; exit 1; }
}

# The libraries a dynamic arm64 program needs, from the arm64 multiarch
# and cross directories (the tests link Debian's libcmocka.so: there is no
# static libcmocka for arm64).
copy_libs() {
  local root=$1 bin=$2 lib dir found
  # (libgcc_s: glibc loads it for pthread_exit's unwinding, not NEEDED)
  for lib in $(aarch64-linux-gnu-readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p') \
    ld-linux-aarch64.so.1 libgcc_s.so.1; do
    [ -e "$root/lib/$lib" ] && continue
    found=""
    for dir in /usr/aarch64-linux-gnu/lib /usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu; do
      if [ -e "$dir/$lib" ]; then
        cp -L "$dir/$lib" "$root/lib/$lib"
        found=1
        copy_libs "$root" "$dir/$lib"
        break
      fi
    done
    [ -n "$found" ] || { say "no arm64 $lib for $bin"; exit 1; }
  done
}

# The program of a TESTS entry: its first word without a '='.
entry_program() {
  local w
  for w in $1; do
    case $w in
      *=*) ;;
      *) echo "$w"; return ;;
    esac
  done
}

# put_program <root> <name>: a program built in $build/tests or $build, in
# /tests, with its libraries; fails if there is none.
put_program() {
  local root=$1 prog=$2 bin
  bin=$build/tests/$prog
  [ -f "$bin" ] || bin=$build/$prog
  [ -f "$bin" ] || return 1
  cp "$bin" "$root/tests/$prog"
  aarch64-linux-gnu-strip --strip-debug "$root/tests/$prog"
  copy_libs "$root" "$root/tests/$prog"
}

# initramfs <dir> <image> <list entries...>: /init, the listed programs
# (a program built in $build/tests or $build, with its arguments, or a path
# inside the guest), their libraries.
initramfs() {
  local root=$1 image=$2 t prog h
  shift 2
  rm -rf "$root"
  # (/etc: a path the role tests refuse to a role, so it must exist)
  mkdir -p "$root/tests" "$root/lib" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/etc"
  cp "$build/tests/aarch64-init" "$root/init"
  : >"$root/tests/list"
  for h in "${HELPERS[@]}"; do
    put_program "$root" "$h" || { say "no $h in $build"; exit 1; }
  done
  for t in "$@"; do
    prog=$(entry_program "$t")
    if put_program "$root" "$prog"; then
      # the CPU is emulated: the slow tests run a subset (the whole set
      # runs natively on x86_64)
      echo "VMM_SECCOMP_SLOW_CPU=1 ${t/$prog//tests/$prog}" >>"$root/tests/list"
    else
      echo "$t" >>"$root/tests/list"
    fi
  done
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$image"
}

# boot <image> <console log>: qemu's status says nothing (0 whenever the
# guest powers off); the console does.
boot() {
  local image=$1 log=$2 rc=0 start=$SECONDS
  say "booting $(basename "$KERNEL") under qemu (timeout ${QEMU_TIMEOUT}s)"
  timeout -k 5 "$QEMU_TIMEOUT" qemu-system-aarch64 -M virt,virtualization=on -cpu cortex-a57 \
    -smp 2 -m 1024 -nographic -nic none -no-reboot -kernel "$KERNEL" -initrd "$image" \
    -append 'console=ttyAMA0 panic=-1 quiet' </dev/null >"$log" 2>&1 || rc=$?
  say "guest ran $((SECONDS - start))s, qemu status $rc, console in $log"
}

self_test() {
  local fake=$out/selftest
  mkdir -p "$fake"
  # a transcript without a summary (a guest that died) and one with none run
  printf 'AARCH64-TEST test_policy PASS exit=0 0.1s\n' >"$fake/no-summary.log"
  printf 'AARCH64-SUMMARY passed=0 failed=0 skipped=0\n' >"$fake/no-tests.log"
  printf 'AARCH64-TEST a PASS exit=0 0.1s\nAARCH64-SUMMARY passed=2 failed=0 skipped=0\n' \
    >"$fake/miscounted.log"
  printf 'AARCH64-TEST a PASS exit=0 0.1s\nAARCH64-TEST b FAIL exit=1 0.1s\nAARCH64-SUMMARY passed=2 failed=0 skipped=0\n' \
    >"$fake/failure-hidden.log"
  for t in no-summary no-tests miscounted failure-hidden; do
    if verdict "$fake/$t.log" >/dev/null; then
      echo "self-test: the $t transcript passed: FAILED"
      exit 1
    fi
    echo "self-test: the $t transcript fails the run, as it must"
  done
  # and one that passes must pass (a parser failing everything proves nothing)
  printf 'AARCH64-TEST a PASS exit=0 0.1s\r\nAARCH64-TEST b SKIP exit=77 0.1s\r\nAARCH64-SUMMARY passed=1 failed=0 skipped=1\r\n' \
    >"$fake/good.log"
  if ! verdict "$fake/good.log" >/dev/null; then
    echo "self-test: a good transcript failed: FAILED"
    exit 1
  fi
  echo "self-test: a good transcript passes"
  # a real guest: one test that passes, then one that fails (a program
  # that is not there: exec fails, exit 127)
  deps
  kernel
  cross_build
  initramfs "$fake/root" "$fake/initramfs.gz" test_policy /tests/injected-failure
  boot "$fake/initramfs.gz" "$fake/console.log"
  if verdict "$fake/console.log"; then
    echo "self-test: a guest reporting a failure passed: FAILED"
    exit 1
  fi
  if ! grep -aq '^AARCH64-TEST injected-failure FAIL exit=127' "$fake/console.log" ||
    ! grep -aq '^AARCH64-TEST test_policy PASS' "$fake/console.log"; then
    echo "self-test: the guest did not report what was injected: FAILED"
    exit 1
  fi
  echo "self-test: a guest reporting a failure fails the run, as it must"
  echo "self-test: passed"
}

main() {
  local start=$SECONDS rc=0
  deps
  kernel
  cross_build
  rust_build
  initramfs "$out/root" "$out/initramfs.gz" "${TESTS[@]}"
  boot "$out/initramfs.gz" "$out/console.log"
  verdict "$out/console.log" || rc=1
  if [ "$rc" -ne 0 ]; then
    say "failing programs' output: $out/console.log"
  fi
  say "total $((SECONDS - start))s"
  exit "$rc"
}

case "${1:-}" in
  --self-test) self_test ;;
  "") main ;;
  *) echo "usage: $0 [--self-test]" >&2; exit 2 ;;
esac
