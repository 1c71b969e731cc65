#!/usr/bin/env bash
# Builds the library and the sample VMM, then boots the default guest with
# every thread under its role's filter (enforce mode) on a scratch disk.
# Extra arguments go to sample-vmm (e.g. --vcpus 4, --seccomp log,
# --demo-exploit); see `sample-vmm --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target sample-vmm vmm-seccomp >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
truncate -s 8M "$work/disk.img"
echo "sample-vmm: 2 vCPUs, virtio-blk on a scratch 8 MiB image, virtio-rng, seccomp enforced"
set +e
./build/sample_vmm/sample-vmm --vcpus 2 --disk "$work/disk.img" --seccomp enforce "$@"
rc=$?
set -e
if [ $rc -eq 0 ]; then
  echo "sample-vmm: exit status 0: the guest passed its tests and powered off; no thread was stopped"
elif [ $rc -gt 128 ]; then
  echo "sample-vmm: killed by signal $((rc - 128)) (31 = SIGSYS: a filter stopped a thread, see the report above)"
else
  echo "sample-vmm: exit status $rc (see sample-vmm --help)"
fi
exit $rc
