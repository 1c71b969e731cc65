#!/usr/bin/env bash
# Fuzzes the policy parser and compiler with libFuzzer for a bounded time.
# Usage: tools/fuzz.sh [SECONDS]   (default 60)
# Seeds: the built-in policy files.  A crashing input is copied into
# tests/fuzz/regressions/, where the test suite replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
tools/deps.sh clang libclang-rt-14-dev
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMM_SECCOMP_FUZZ=ON \
  -DVMM_SECCOMP_SANITIZE=ON -DVMM_SECCOMP_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_policy >/dev/null
corpus=build-fuzz/corpus
mkdir -p "$corpus" build-fuzz/artifacts
cp policy/roles/*.policy policy/groups/*.policy tests/fuzz/regressions/* "$corpus"/
# A smaller quarantine than ASan's 256 MB: an execution frees a few MB (the
# largest inputs ~20 MB), so a use after free within one is still caught,
# and cycling 256 MB of freed memory cost about 13 % of the rate.  Options
# given in ASAN_OPTIONS win.
export ASAN_OPTIONS="quarantine_size_mb=32${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
set +e
./build-fuzz/fuzz_policy -max_total_time="$secs" -print_final_stats=1 -max_len=4096 \
  -artifact_prefix=build-fuzz/artifacts/ "$corpus" 2>&1 | tee build-fuzz/fuzz.log | tail -25
rc=${PIPESTATUS[0]}
set -e
for f in build-fuzz/artifacts/crash-* build-fuzz/artifacts/leak-* build-fuzz/artifacts/timeout-*; do
  [ -e "$f" ] || continue
  cp "$f" tests/fuzz/regressions/
  echo "kept $f as a regression input in tests/fuzz/regressions/"
done
exit "$rc"
