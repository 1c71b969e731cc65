#!/usr/bin/env bash
# The Rust side of the suite's dependencies (rust/README.md): Debian's
# packaged crates, which rust/.cargo/config.toml uses as the registry, and
# a cargo and rustc at least as new as rust/Cargo.toml's rust-version.
#
#   tools/rust-deps.sh           install what is missing (via tools/deps.sh)
#   tools/rust-deps.sh --path    print a PATH whose cargo is new enough
#
# A toolchain already on PATH (rustup's, say) is used when it is new
# enough.  Otherwise Debian's: `cargo rustc` where the release's rustc is
# new enough (Debian 13 and later), else `cargo-web rustc-web` (Debian 12
# updates carry a current rustc under that name; its `rustc` is 1.63).
set -euo pipefail
cd "$(dirname "$0")/.."
crates=(librust-libc-dev librust-cc-dev librust-pkg-config-dev librust-thiserror-dev
  librust-tokio-dev)
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

if [ "${1:-}" = --path ]; then
  c=$(find_cargo) || { echo "rust-deps: no cargo with rustc >= $need" >&2; exit 1; }
  echo "$(dirname "$c"):$PATH"
  exit 0
fi

toolchain=()
if ! find_cargo >/dev/null; then
  candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'; }
  v=$(candidate rustc)
  if [ -n "$v" ] && [ "$v" != "(none)" ] && dpkg --compare-versions "$v" ge "$need"; then
    toolchain=(cargo rustc)
  else
    toolchain=(cargo-web rustc-web)
  fi
  echo "rust-deps: no cargo with rustc >= $need on PATH: installing ${toolchain[*]}"
fi
tools/deps.sh "${crates[@]}" "${toolchain[@]}"
find_cargo >/dev/null || { echo "rust-deps: still no cargo with rustc >= $need" >&2; exit 1; }
