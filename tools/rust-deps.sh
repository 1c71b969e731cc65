#!/usr/bin/env bash
# The Rust side of the suite's dependencies (rust/README.md): Debian's
# packaged crates, which rust/.cargo/config.toml uses as the registry, and
# a cargo and rustc at least as new as rust/Cargo.toml's rust-version.
#
#   tools/rust-deps.sh             install what is missing (via tools/deps.sh)
#   tools/rust-deps.sh --path      print a PATH whose cargo is new enough
#   tools/rust-deps.sh --cross arm64
#                                  install Debian's toolchain and its
#                                  standard library for arm64 (cargo then
#                                  is /usr/bin/cargo), for cross builds
#   tools/rust-deps.sh --workspace print the workspace to build and the
#                                  cargo flag for its lock (see below)
#
# A toolchain already on PATH (rustup's, say) is used when it is new
# enough.  Otherwise Debian's: `cargo rustc` where the release's rustc is
# new enough (Debian 13 and later), else `cargo-web rustc-web` (Debian 12
# updates carry a current rustc under that name; its `rustc` is 1.63).
#
# Debian 12's packaged crates are the ones Cargo.lock pins (a stale lock is
# an error there: --locked).  Another release packages other versions,
# which cargo, offline, will not put in place of locked ones: there the
# workspace is a copy without the lock, in build-rust/tree, with the rest
# of the tree linked beside it (for the build scripts' ../..).
set -euo pipefail
cd "$(dirname "$0")/.."
crates=(librust-libc-dev librust-cc-dev librust-pkg-config-dev librust-tokio-dev)
need=$(sed -nE 's/^rust-version = "([0-9.]+)"/\1/p' rust/Cargo.toml)
[ -n "$need" ] || { echo "rust-deps: no rust-version in rust/Cargo.toml" >&2; exit 1; }

new_enough() { # new_enough CARGO: its rustc is at least $need
  local dir v
  dir=$(dirname "$1")
  [ -x "$dir/rustc" ] || return 1
  v=$("$dir/rustc" --version 2>/dev/null | awk '{ print $2 }')
  [ -n "$v" ] && dpkg --compare-versions "$v" ge "$need"
}

find_cargo() { # prints the first cargo that is new enough
  local c
  for c in "$(command -v cargo 2>/dev/null || true)" "$HOME/.cargo/bin/cargo" /usr/bin/cargo; do
    [ -n "$c" ] && [ -x "$c" ] && new_enough "$c" && { echo "$c"; return 0; }
  done
  return 1
}

# Debian's toolchain: `cargo rustc` where that rustc is new enough, else
# the -web one.
debian_toolchain() {
  local v
  v=$(apt-cache policy rustc 2>/dev/null | awk '/Candidate:/ { print $2 }')
  if [ -n "$v" ] && [ "$v" != "(none)" ] && dpkg --compare-versions "$v" ge "$need"; then
    echo "cargo rustc"
  else
    echo "cargo-web rustc-web"
  fi
}

case "${1:-}" in
--workspace)
  if grep -q '^VERSION_ID="12"' /etc/os-release 2>/dev/null; then
    echo "$PWD/rust --locked"
  else
    rm -rf build-rust/tree && mkdir -p build-rust/tree || exit 1
    for f in * .[!.]*; do
      case $f in rust | build* | .git) ;; *) ln -s "$PWD/$f" "build-rust/tree/$f" ;; esac
    done
    git ls-files rust | grep -v '^rust/Cargo.lock$' | tar -cf - -T - | tar -xf - -C build-rust/tree ||
      exit 1
    echo "$PWD/build-rust/tree/rust"
  fi
  exit 0
  ;;
--cross)
  [ "${2:-}" = arm64 ] || { echo "rust-deps: --cross arm64 (the one target)" >&2; exit 2; }
  read -ra tc <<<"$(debian_toolchain)"
  std=libstd-rust-dev:arm64
  [ "${tc[0]}" = cargo-web ] && std=libstd-rust-web-dev:arm64
  tools/deps.sh "${crates[@]}" "${tc[@]}" "$std"
  new_enough /usr/bin/cargo || { echo "rust-deps: /usr/bin/cargo's rustc is older than $need" >&2; exit 1; }
  exit 0
  ;;
esac

if [ "${1:-}" = --path ]; then
  c=$(find_cargo) || { echo "rust-deps: no cargo with rustc >= $need" >&2; exit 1; }
  echo "$(dirname "$c"):$PATH"
  exit 0
fi

toolchain=()
if ! find_cargo >/dev/null; then
  read -ra toolchain <<<"$(debian_toolchain)"
  echo "rust-deps: no cargo with rustc >= $need on PATH: installing ${toolchain[*]}"
fi
tools/deps.sh "${crates[@]}" "${toolchain[@]}"
find_cargo >/dev/null || { echo "rust-deps: still no cargo with rustc >= $need" >&2; exit 1; }
