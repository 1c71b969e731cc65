#!/usr/bin/env bash
# Builds the library and runs the demo with every filter enforced.
# Usage: tools/demo.sh [CONFIG]   (default "enforce"; e.g. errno, log, "enforce,vcpu=log")
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target vmm-seccomp-demo >/dev/null
exec ./build/vmm-seccomp-demo "${1:-enforce}"
