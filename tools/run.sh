#!/usr/bin/env bash
# Builds the library and the sample VMM, then boots the default guest with
# every thread under its role's filter (enforce mode) and every device the
# host can give it: virtio-blk on a scratch disk (its I/O on two io_worker
# threads), virtio-rng, virtio-console on this script's output,
# virtio-balloon, virtio-vsock on a Unix socket in a scratch directory, and
# virtio-net on a tap in a network namespace of its own where the host
# allows one (root, /dev/net/tun), whose kernel answers the guest's ARP
# request.  Extra arguments go to sample-vmm (e.g. --vcpus 4, --seccomp log,
# --demo-exploit=virtio-net); see `sample-vmm --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh iproute2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target sample-vmm vmm-seccomp >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
truncate -s 8M "$work/disk.img"
args=(--vcpus 2 --disk "$work/disk.img" --disk-workers 2 --console stdio --balloon
  --vsock "cid=3,uds=$work/vsock.sock" --seccomp enforce)
net=""
# The tap, up with the peer's address (10.0.2.1/24), in a namespace that
# goes away with the VMM: nothing is left on the host.
if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] &&
  unshare --net ip tuntap add svmm0 mode tap 2>/dev/null; then
  net=", virtio-net on a tap in its own network namespace"
fi
echo "sample-vmm: 2 vCPUs, virtio-blk on a scratch 8 MiB image, virtio-rng, virtio-console," \
  "virtio-balloon, virtio-vsock$net; seccomp enforced"
set +e
if [ -n "$net" ]; then
  unshare --net sh -c 'ip tuntap add svmm0 mode tap && ip addr add 10.0.2.1/24 dev svmm0 &&
    ip link set svmm0 up && exec "$@"' sh \
    ./build/sample_vmm/sample-vmm "${args[@]}" --net tap=svmm0 "$@" </dev/null
else
  ./build/sample_vmm/sample-vmm "${args[@]}" "$@" </dev/null
fi
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
