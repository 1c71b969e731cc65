#!/usr/bin/env bash
# Installs the Debian packages the build, the demo and the tests need, if
# any is missing.  Extra package names may be given as arguments.
set -euo pipefail
pkgs=(gcc make cmake pkg-config libseccomp-dev libcmocka-dev valgrind "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
