#!/usr/bin/env bash
# The long differential run of the whole policy-text -> BPF path
# (tests/test_differential.c, in the manner of gVisor's secfuzz): random
# policies through the parser, the role check and the generator, their
# programs stacked in the simulator, compared with an independent reference.
# Usage: tools/fuzz-filters.sh [SECONDS]   (default 600)
# The seed is the time unless DIFF_SEED is set; it is printed, and a
# mismatch prints `test_differential --seed S --config I` to replay it.
# Exits non-zero on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
seed=${DIFF_SEED:-$(date +%s)}
cmake -S . -B build-fuzz-filters -DCMAKE_BUILD_TYPE=Release -DVMM_SECCOMP_MEMCHECK=OFF >/dev/null
cmake --build build-fuzz-filters -j"$(nproc)" --target test_differential >/dev/null
echo "fuzz-filters: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(git rev-parse --short HEAD 2>/dev/null ||
  echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo '+changes'), seed $seed, $secs s"
set +e
./build-fuzz-filters/tests/test_differential --seed "$seed" --seconds "$secs"
rc=$?
set -e
[ "$rc" -eq 0 ] && echo "fuzz-filters: no mismatch" || echo "fuzz-filters: MISMATCHES (see above)"
exit "$rc"
