#!/usr/bin/env bash
# Fuzzes one of the sample VMM's virtio devices with libFuzzer for a
# bounded time: its queues and requests driven through the transport
# without KVM (tests/fuzz/fuzz_device.c, targets in tests/fuzz/devices.cmake).
# Usage: tools/fuzz-devices.sh TARGET [SECONDS]   (default 60)
#   TARGET  virtio_blk, virtio_rng, ... (fuzz_TARGET; "virtio-blk" is taken too)
# Seeds: tests/fuzz/seeds/TARGET/.  A crashing input is copied into
# tests/fuzz/regressions-TARGET/, where the test suite replays it from then
# on (fuzz_replay_TARGET).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: tools/fuzz-devices.sh TARGET [SECONDS]   (TARGET: virtio_blk, virtio_rng, ...)" >&2
  exit 2
fi
target=${1//-/_}
target=${target#fuzz_}
secs=${2:-60}
seeds=tests/fuzz/seeds/$target
regressions=tests/fuzz/regressions-$target
if [ ! -d "$seeds" ]; then
  echo "tools/fuzz-devices.sh: no target $target (no $seeds/)" >&2
  exit 2
fi
tools/deps.sh clang libclang-rt-14-dev
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMM_SECCOMP_FUZZ=ON \
  -DVMM_SECCOMP_SANITIZE=ON -DVMM_SECCOMP_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "fuzz_$target" >/dev/null
corpus=build-fuzz/corpus-$target
artifacts=build-fuzz/artifacts-$target
mkdir -p "$corpus" "$artifacts" "$regressions"
for d in "$seeds" "$regressions"; do
  find "$d" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$corpus"/ \;
done
# An execution frees little (a device, a few KB): a small quarantine still
# catches a use after free within one.  Options given in ASAN_OPTIONS win.
export ASAN_OPTIONS="quarantine_size_mb=32${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# -close_fd_mask=2: the target's stderr is closed (the transport names every
# malformed queue there, thousands of lines a second); libFuzzer's and the
# sanitizers' reports still get through.  -max_len: a program of some
# dozens of ops.
set +e
./build-fuzz/fuzz_"$target" -max_total_time="$secs" -print_final_stats=1 -max_len=1024 \
  -close_fd_mask=2 -artifact_prefix="$artifacts"/ "$corpus" 2>&1 |
  tee build-fuzz/fuzz-"$target".log | tail -25
rc=${PIPESTATUS[0]}
set -e
for f in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-*; do
  [ -e "$f" ] || continue
  cp "$f" "$regressions"/
  echo "kept $f as a regression input in $regressions/"
done
exit "$rc"
