#!/usr/bin/env bash
# Fuzzes one target with libFuzzer for a bounded time.
# Usage: tools/fuzz.sh [TARGET] [SECONDS]   (default: policy, 60)
# Targets (tests/fuzz/CMakeLists.txt):
#   policy  the policy parser and compiler; seeds: the built-in policy
#           files; crashes kept in tests/fuzz/regressions/
#   http    the API server's HTTP parser and router, fed in reads as the
#           server gets them; seeds: tests/fuzz/seeds/http/; crashes kept
#           in tests/fuzz/regressions-http/
#   virtio_blk, virtio_rng, ...  a sample VMM device's queues and requests
#           driven through the transport without KVM (tests/fuzz/fuzz_device.c);
#           seeds: tests/fuzz/seeds/TARGET/; crashes kept in
#           tests/fuzz/regressions-TARGET/
# A crashing input is copied into the target's regressions directory,
# where the test suite replays it from then on (fuzz_replay,
# fuzz_replay_http).
set -euo pipefail
cd "$(dirname "$0")/.."
target=policy
case "${1:-}" in
policy | http | virtio_*)
  target=$1
  shift
  ;;
'' | *[!0-9]*)
  if [ -n "${1:-}" ]; then
    echo "usage: tools/fuzz.sh [policy|http|virtio_DEVICE] [SECONDS]" >&2
    exit 2
  fi
  ;;
esac
secs=${1:-60}
case "$target" in
policy)
  seeds=(policy/roles policy/groups)
  regressions=tests/fuzz/regressions
  opts=(-max_len=4096)
  ;;
http)
  seeds=(tests/fuzz/seeds/http)
  regressions=tests/fuzz/regressions-http
  # a request and its headers up to the server's buffer (HTTP_MAX_REQUEST)
  # and a bit over, after the first byte (the cut and the callbacks)
  opts=(-max_len=12800 -dict=tests/fuzz/http.dict)
  ;;
virtio_*)
  seeds=(tests/fuzz/seeds/"$target")
  regressions=tests/fuzz/regressions-$target
  if [ ! -d "${seeds[0]}" ]; then
    echo "tools/fuzz.sh: no target $target (no ${seeds[0]}/)" >&2
    exit 2
  fi
  # a program of some dozens of ops; the target's stderr closed
  # (-close_fd_mask=2): the transport names every malformed queue there,
  # thousands of lines a second, and libFuzzer's and the sanitizers'
  # reports still get through
  opts=(-max_len=1024 -close_fd_mask=2)
  ;;
esac
tools/deps.sh clang libclang-rt-14-dev
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMM_SECCOMP_FUZZ=ON \
  -DVMM_SECCOMP_SANITIZE=ON -DVMM_SECCOMP_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "fuzz_$target" >/dev/null
corpus=build-fuzz/corpus-$target
[ "$target" = policy ] && corpus=build-fuzz/corpus # where earlier runs left it
# artifacts of an earlier run were kept already (below)
rm -rf build-fuzz/artifacts-"$target"
mkdir -p "$corpus" build-fuzz/artifacts-"$target"
for d in "${seeds[@]}" "$regressions"; do
  find "$d" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$corpus"/ \;
done
# A smaller quarantine than ASan's 256 MB: a policy execution frees a few
# MB (the largest inputs ~20 MB), so a use after free within one is still
# caught, and cycling 256 MB of freed memory cost about 13 % of the rate.
# Options given in ASAN_OPTIONS win.
export ASAN_OPTIONS="quarantine_size_mb=32${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
set +e
./build-fuzz/fuzz_"$target" -max_total_time="$secs" -print_final_stats=1 "${opts[@]}" \
  -artifact_prefix=build-fuzz/artifacts-"$target"/ "$corpus" 2>&1 |
  tee build-fuzz/fuzz-"$target".log | tail -25
rc=${PIPESTATUS[0]}
set -e
for f in build-fuzz/artifacts-"$target"/crash-* build-fuzz/artifacts-"$target"/leak-* \
  build-fuzz/artifacts-"$target"/timeout-*; do
  [ -e "$f" ] || continue
  cp "$f" "$regressions"/
  echo "kept $f as a regression input in $regressions/"
done
exit "$rc"
