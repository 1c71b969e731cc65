#!/usr/bin/env bash
# The sample VMM benchmark: VM-exit round trip and start-up time with
# seccomp enforced vs off, interleaved (docs/PERFORMANCE.md).
# Usage: bench/run.sh [--rounds R] [--exits N]
# A release build of its own, so debug code does not skew the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DVMM_SECCOMP_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" --target sample-vmm-bench filter-bench >/dev/null
echo "== the library's costs per role and hot syscall (filter-bench)"
build-bench/bench/filter-bench --rounds 15
echo
if [ ! -e /dev/kvm ]; then
  echo "SKIP bench: /dev/kvm absent"
  exit 0
fi
uname -srm
echo "== the sample VMM (sample-vmm-bench)"
exec build-bench/bench/sample-vmm-bench "$@"
