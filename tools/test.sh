#!/usr/bin/env bash
# The whole test suite: unit, filter-verification and live tests natively
# and under valgrind memcheck, the install/consumer test, the same tests
# built with -fsanitize=address,undefined, and cppcheck.
#
# TEST_PURE_NATIVE_ONLY=1 (tools/matrix.sh sets it inside its chroots):
# the pure filter verification (test_filters, test_differential: policy
# text to BPF and the BPF simulated, no libc behaviour that differs between
# releases) runs natively only, not again under valgrind memcheck nor with
# the sanitizers; the host's suite runs it all three ways.  Those repeats
# are two thirds of the suite's work.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh cppcheck clang-tidy clang-format git groff-base || exit 1
jobs=$(nproc)
passed=0
failed=0

ctest_run() { # ctest_run BUILD_DIR [ctest args...]
  local dir=$1 out
  shift
  out=$(ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" 2>&1)
  local rc=$?
  echo "$out"
  local line
  line=$(echo "$out" | grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' | tail -1)
  if [ -n "$line" ]; then
    local total fails
    total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
    fails=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed.*/\1/')
    passed=$((passed + total - fails))
    failed=$((failed + fails))
  elif [ $rc -ne 0 ]; then
    failed=$((failed + 1))
  fi
}

build() { # build DIR [cmake args...]
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "$@" >/dev/null &&
    cmake --build "$dir" -j"$jobs" >/dev/null
}

echo "== build and test (native and valgrind memcheck)"
skip=()
[ -n "${TEST_PURE_NATIVE_ONLY:-}" ] && skip=(-E '^memcheck_test_(filters|differential)$')
if build build-test; then ctest_run build-test "${skip[@]}"; else failed=$((failed + 1)); echo "build failed"; fi

echo "== optimised build (as tools/run.sh builds): warnings that only -O2 sees"
if build build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMM_SECCOMP_TESTS=OFF; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "optimised build failed"
fi

echo "== build and test with -fsanitize=address,undefined"
if build build-sanitize -DVMM_SECCOMP_SANITIZE=ON; then
  sskip=()
  [ -n "${TEST_PURE_NATIVE_ONLY:-}" ] && sskip=(-E '^test_(filters|differential)$')
  ctest_run build-sanitize -L native "${sskip[@]}"
else
  failed=$((failed + 1)); echo "sanitizer build failed"
fi

echo "== layering: policy/ and threads/ include nothing of vmm_seccomp/ (README, Layout)"
if grep -nE '#include *"[^"]*(vmm_seccomp|internal\.h|bpf\.h)' policy/*.c policy/*.h threads/*.c threads/*.h; then
  failed=$((failed + 1)); echo "a lower module includes the boundary's headers"
elif grep -nE '#include *"[^"]*threads' policy/*.c policy/*.h; then
  failed=$((failed + 1)); echo "policy/ includes threads/"
else
  passed=$((passed + 1))
fi

echo "== cppcheck"
if cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
    --std=c11 -D_GNU_SOURCE -D__x86_64__ --inline-suppr \
    --suppressions-list=tools/cppcheck.supp \
    -I vmm_seccomp/include -I vmm_seccomp -I policy -I threads -I sample_vmm \
    policy vmm_seccomp threads tools sample_vmm bench; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "cppcheck found problems"
fi

echo "== clang-format (the tree stays formatted)"
fmt=$(clang-format --dry-run --Werror $(git ls-files vmm_seccomp policy threads tests tools sample_vmm bench |
  grep -E '\.[ch]$' | grep -v '^sample_vmm/guest/') 2>&1)
if [ -n "$fmt" ]; then
  echo "$fmt" | head -20
  failed=$((failed + 1)); echo "clang-format: files above need formatting (clang-format -i)"
else
  passed=$((passed + 1))
fi

echo "== clang-tidy (checks in .clang-tidy)"
# One clang-tidy per few files, on every CPU: a single run over all of them
# is two minutes of one CPU here.
tidy=$(printf '%s\n' policy/*.c vmm_seccomp/*.c threads/*.c tools/*.c sample_vmm/*.c bench/*.c |
  xargs -P "$jobs" -n 4 clang-tidy -p build-test --quiet 2>&1 | grep -E 'warning:|error:')
if [ -n "$tidy" ]; then
  echo "$tidy"
  failed=$((failed + 1)); echo "clang-tidy found problems"
else
  passed=$((passed + 1))
fi

echo "== rust: cargo test --offline (rust/: the bindings and the tokio/KVM example mini-dragonball, rust/README.md)"
if tools/rust-deps.sh; then
  PATH=$(tools/rust-deps.sh --path)
  # Cargo.lock pins Debian 12's packaged crates; another release resolves
  # its own in a copy of the workspace (tools/rust-deps.sh --workspace).
  read -r ws locked <<<"$(tools/rust-deps.sh --workspace)"
  [ -z "$locked" ] && echo "not Debian 12: Cargo.lock pins Debian 12's crates; resolving against this release's, in $ws"
  # The library and the sample guest under test are the ones built above.
  cargo_env=(env CARGO_TARGET_DIR="$PWD/build-rust/target" VMM_SECCOMP_LIB_DIR="$PWD/build-test"
    VMM_SECCOMP_INCLUDE_DIR="$PWD/vmm_seccomp/include"
    MINI_DRAGONBALL_GUEST="$PWD/build-test/sample_vmm/sample-guest.bin")
  out=$(cd "$ws" && "${cargo_env[@]}" cargo test --offline ${locked:+"$locked"} 2>&1)
  rc=$?
  echo "$out" | grep -E '^(test result|error|warning|SKIP)|panicked|FAILED|Running' || true
  rpass=$(echo "$out" | awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^passed/) n += $i } END { print n + 0 }')
  rfail=$(echo "$out" | awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^failed/) n += $i } END { print n + 0 }')
  echo "cargo test: ${rpass:-0} passed, ${rfail:-0} failed"
  if [ $rc -eq 0 ] && [ "${rpass:-0}" -gt 0 ]; then
    passed=$((passed + 1))
  else
    [ $rc -ne 0 ] || echo "cargo test ran no test"
    echo "$out" | tail -40
    failed=$((failed + 1)); echo "cargo test failed"
  fi
  if (cd "$ws" && cargo fmt --version) >/dev/null 2>&1; then
    if (cd "$ws" && cargo fmt --check); then passed=$((passed + 1)); else failed=$((failed + 1)); echo "rustfmt: run cargo fmt in rust/"; fi
  else
    echo "SKIP: rustfmt: this toolchain ($(cargo --version)) has no cargo fmt"
  fi
  if (cd "$ws" && cargo clippy --version) >/dev/null 2>&1; then
    if (cd "$ws" && "${cargo_env[@]}" cargo clippy --offline ${locked:+"$locked"} --all-targets -q -- -D warnings); then
      passed=$((passed + 1))
    else
      failed=$((failed + 1)); echo "clippy found problems"
    fi
  else
    echo "SKIP: clippy: this toolchain ($(cargo --version)) has no cargo clippy"
  fi
  # Every public item is documented (missing_docs is denied) and no
  # intra-doc link is broken.
  if (cd "$ws" && RUSTDOCFLAGS="-D warnings" "${cargo_env[@]}" cargo doc --offline ${locked:+"$locked"} --no-deps \
    --all-features -q); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "rustdoc found problems"
  fi
else
  failed=$((failed + 1)); echo "rust: no toolchain or packaged crates (tools/rust-deps.sh)"
fi

echo
echo "suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
