#!/usr/bin/env bash
# The distribution matrix: the whole suite (tools/test.sh) inside chroots of
# newer Debian releases, and the sample VMM built here (on the host's Debian)
# run enforced inside each, against that release's glibc.
#
#   tools/matrix.sh [SUITE...]      default: trixie sid (Debian 13, unstable)
#
# Per suite, under build-matrix/SUITE (kept and reused; /build*/ is ignored):
#   setup      debootstrap --variant=minbase from the host's configured Debian
#              mirror (only when the chroot is new), then tools/deps.sh with
#              what tools/test.sh asks for, and tools/rust-deps.sh
#   test.sh    a fresh copy of the checkout in /src, tools/test.sh there (but
#              the memcheck and sanitizer runs of the pure filter
#              verification, which the host's suite has: TEST_PURE_NATIVE_ONLY)
#   sample-vmm the host-built build-matrix/host/sample_vmm/sample-vmm, copied
#              to /opt/matrix in the chroot: 2 vCPUs, enforce; then errno;
#              neither may print a report (no violation, nothing unreviewed)
#   test_live  the host-built live tests (every role's work, thread start and
#              exit, malloc, stdio to a terminal and to a pipe, time by the
#              syscalls glibc uses without the vDSO, the newer glibc rules),
#              copied to /opt/matrix, against that release's glibc
# Each step prints one line; the last line is `matrix: N passed, N failed`.
# Full logs: build-matrix/logs/SUITE-STEP.log.
#
# Environment:
#   MATRIX_DIR      where the chroots, logs and host build go (build-matrix)
#   MATRIX_MIRROR   the Debian mirror (default: read from the host's apt sources)
#   MATRIX_SOURCE   worktree (default: tracked and untracked, not ignored files
#                   as they are now) or head (the last commit only)
#   MATRIX_TEST_TIMEOUT   seconds for one tools/test.sh run (1800)
#   MATRIX_UPGRADE=1      apt-get dist-upgrade a chroot that is reused
#
# Needs root (chroot, mount).  Everything runs in a private mount namespace
# when unshare(1) can make one, so no mount outlives the script even if it
# is killed; the EXIT trap unmounts all the same.
set -uo pipefail

usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; }
case "${1:-}" in -h | --help) usage; exit 0 ;; esac

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "matrix: needs root (chroot, mount)" >&2; exit 1; }
  exec sudo -E "$0" "$@"
fi
if [ -z "${MATRIX_IN_NS:-}" ] && unshare --mount --propagation private true 2>/dev/null; then
  exec env MATRIX_IN_NS=1 unshare --mount --propagation private -- "$0" "$@"
fi

cd "$(dirname "$0")/.." || exit 1
root=$PWD
top=${MATRIX_DIR:-$root/build-matrix}
case "$top" in /*) ;; *) top=$root/$top ;; esac
suites=("$@")
((${#suites[@]})) || suites=(trixie sid)
for s in "${suites[@]}"; do
  [[ $s =~ ^[a-z]+$ ]] || { echo "matrix: bad suite name '$s'" >&2; exit 1; }
done
test_timeout=${MATRIX_TEST_TIMEOUT:-1800}
mkdir -p "$top/logs" "$top/cache" || exit 1
exec 9>"$top/.lock"
flock -n 9 || { echo "matrix: another tools/matrix.sh uses $top" >&2; exit 1; }

passed=0
failed=0
t_start=$SECONDS

# ---- mounts: found from mountinfo, so leftovers of a killed run go too ----
mounts_under() { # deepest first
  awk -v p="$1/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}
unmount_under() {
  local m
  for m in $(mounts_under "$1"); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "matrix: cannot unmount $m" >&2
  done
}
mount_chroot() {
  local c=$1 d
  unmount_under "$c"
  mount -t proc proc "$c/proc" || return 1
  for d in dev sys; do
    mount --rbind "/$d" "$c/$d" && mount --make-rslave "$c/$d" || return 1
  done
  # Name resolution as on the host (the mirror may be reached only so).
  cp -L /etc/resolv.conf "$c/etc/resolv.conf" 2>/dev/null
  cp -L /etc/hosts "$c/etc/hosts" 2>/dev/null
  return 0
}
cleanup() {
  local s pids
  trap - EXIT INT TERM HUP
  pids=$(jobs -pr)
  [ -n "$pids" ] && kill $pids 2>/dev/null && wait 2>/dev/null
  for s in "${suites[@]}"; do unmount_under "$top/$s"; done
}
trap cleanup EXIT
trap 'echo "matrix: interrupted" >&2; exit 130' INT TERM HUP

# ---- running and reporting steps -----------------------------------------
# run_bg LOG SECONDS CMD...: runs CMD with a time limit, in the background
# so that a signal reaches the trap at once; returns CMD's status.
run_bg() {
  local log=$1 limit=$2
  shift 2
  timeout -k 30 "$limit" "$@" >>"$log" 2>&1 </dev/null &
  { wait $!; } 2>/dev/null # (no "Bad system call" job notice: the log has it)
}
# in_chroot DIR LOG SECONDS SCRIPT: SCRIPT in bash in the chroot, clean env.
in_chroot() {
  local c=$1 log=$2 limit=$3
  run_bg "$log" "$limit" env -i HOME=/root LANG=C.UTF-8 TERM=dumb ${CI:+CI=$CI} \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /usr/sbin/chroot "$c" /bin/bash -c "$4"
}
result() { # result SUITE STEP RC SECONDS [DETAIL]
  local word=passed
  if [ "$3" -eq 0 ]; then passed=$((passed + 1)); else word=failed; failed=$((failed + 1)); fi
  printf '%-7s %-22s %s (%ds)%s\n' "$1" "$2" "$word" "$4" "${5:+  $5}"
}
digest() { # digest LOG [LINES]: the decisive lines of a failed step's log, each once
  grep -aE 'vmm_seccomp: (violation|unreviewed)|Assertion|valgrind: |VALGRIND INTERNAL ERROR|==[0-9]+== (Process terminating|Invalid|Syscall param|Conditional|Use of|.* lost)|\(Failed\)|\(Subprocess aborted\)|\(Timeout\)|\*\*\*Failed|Required regular expression|ERROR  *\]|warning:|error:|^[^ ]+:[0-9]+:[0-9]+: (information|portability|performance|style):|need formatting|found problems|failed$|^E: |killed by signal|exit status|sample-guest: ' "$1" |
    sed -E 's/^[^ ]+:0:0: (information: )/\1/' |
    awk '{ k = $0; gsub(/tid=[0-9]+|0x[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]+|[-=][-=][0-9]+[-=][-=]/, "#", k) } !seen[k]++' |
    head -n "${2:-60}" | sed 's/^/    | /'
}

# ---- the host's mirror ----------------------------------------------------
host_mirror() {
  local codename f uri
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  # One-line sources: deb [opts] URI SUITE COMPONENTS...
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    uri=$(awk -v cn="$codename" '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == cn) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  # deb822 sources: the stanza whose Suites hold the host's codename.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    uri=$(awk -v cn="$codename" 'BEGIN { deb = 1 }
        /^[ \t]*$/ { if (ok && u != "" && deb) { print u; found = 1; exit } ok = 0; u = ""; deb = 1; next }
        /^Types:/ { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
        /^URIs:/ { u = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == cn) ok = 1 }
        /^Enabled:[ \t]*no/ { ok = 0; u = "" }
        END { if (!found && ok && u != "" && deb) print u }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
}
mirror=${MATRIX_MIRROR:-$(host_mirror)}
if [ -z "$mirror" ]; then
  echo "matrix: no Debian mirror in /etc/apt/sources.list{,.d} (set MATRIX_MIRROR)" >&2
  exit 1
fi
echo "matrix: suites ${suites[*]}, mirror $mirror, in $top"

# ---- the checkout, once, for the host build and every chroot --------------
snapshot() { # snapshot DEST: a git clone of the checkout (+ the work tree's changes)
  local dest=$1
  rm -rf --one-file-system "$dest"
  git clone -q --no-hardlinks "$root" "$dest" || return 1
  if [ "${MATRIX_SOURCE:-worktree}" = worktree ]; then
    (cd "$root" && git ls-files -z --deleted) | (cd "$dest" && xargs -0r rm -f --)
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
      tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$dest" || return 1
    git -C "$dest" add -A || return 1 # test.sh lists the files with git ls-files
  fi
}
t=$SECONDS
log=$top/logs/host.log
: >"$log"
if snapshot "$top/src" >>"$log" 2>&1; then
  echo "host    source                 $(git -C "$top/src" rev-parse --short HEAD)$(
    [ -n "$(git -C "$top/src" status --porcelain)" ] && echo ' + work-tree changes')"
else
  echo "matrix: cannot copy the checkout (see $log)" >&2
  exit 1
fi

# ---- the sample VMM built on the host, as tools/run.sh builds it ----------
host_vmm=$top/host/sample_vmm/sample-vmm
rm -f "$host_vmm" "$top/host/tests/test_live"
(cd "$top/src" && tools/deps.sh debootstrap) >>"$log" 2>&1 &&
  run_bg "$log" 900 cmake -S "$top/src" -B "$top/host" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
  run_bg "$log" 900 cmake --build "$top/host" -j"$(nproc)" --target sample-vmm test_live
host_rc=$?
host_live=$top/host/tests/test_live
if [ $host_rc -eq 0 ] && [ -x "$host_vmm" ] && [ -x "$host_live" ]; then
  echo "host    build sample-vmm       done ($((SECONDS - t))s)  $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -1 | awk '{print $NF}'); needs: $(ldd "$host_vmm" | awk '{print $1}' | grep -v -e vdso -e ld-linux | tr '\n' ' ')"
else
  host_rc=1
  echo "host    build sample-vmm       FAILED ($((SECONDS - t))s), see $log"
  digest "$log" 20
fi

# ---- setup of every chroot, at once (network- and disk-bound) -------------
apt_conf='Acquire::Retries "5";
Acquire::http::Timeout "60";
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
Dpkg::Use-Pty "false";'
# What tools/test.sh installs, installed ahead so that its time is setup's.
test_deps=$(sed -n 's/^tools\/deps\.sh \(.*\) || exit 1$/\1/p' "$top/src/tools/test.sh")

setup() { # setup SUITE: runs in the background, writes its log, returns its status
  local s=$1 c=$top/$1 log=$top/logs/$1-setup.log try
  trap 'kill $(jobs -pr) 2>/dev/null; exit 143' TERM
  : >"$log"
  if [ ! -e "$c/.matrix-bootstrapped" ]; then
    for try in 1 2 3; do
      echo "== debootstrap $s, try $try ($(date -u +%T))" >>"$log"
      unmount_under "$c"
      [ -n "$(mounts_under "$c")" ] && { echo "mounts left under $c" >>"$log"; return 1; }
      rm -rf --one-file-system "$c"
      mkdir -p "$top/cache/$s"
      if run_bg "$log" 1200 debootstrap --variant=minbase --cache-dir="$top/cache/$s" \
          "$s" "$c" "$mirror"; then
        date -u +"%F %T $mirror" >"$c/.matrix-bootstrapped"
        break
      fi
      sleep $((try * 10))
    done
    [ -e "$c/.matrix-bootstrapped" ] || return 1
  fi
  echo "== debootstrap done at $(date -u +%T)" >>"$log"
  printf '%s\n' "$apt_conf" >"$c/etc/apt/apt.conf.d/99matrix"
  mount_chroot "$c" >>"$log" 2>&1 || return 1
  if [ "${MATRIX_UPGRADE:-0}" = 1 ]; then
    echo "== apt-get dist-upgrade ($(date -u +%T))" >>"$log"
    in_chroot "$c" "$log" 1200 "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y -qq" || return 1
  fi
  rm -rf --one-file-system "$c/src" && cp -a "$top/src" "$c/src" || return 1
  for try in 1 2 3; do
    echo "== tools/deps.sh $test_deps; tools/rust-deps.sh, try $try ($(date -u +%T))" >>"$log"
    in_chroot "$c" "$log" 1200 "cd /src && tools/deps.sh $test_deps && tools/rust-deps.sh" && return 0
    in_chroot "$c" "$log" 300 "dpkg --configure -a; apt-get -f install -y -qq" # an interrupted install
    sleep $((try * 10))
  done
  return 1
}
declare -A setup_pid setup_t
for s in "${suites[@]}"; do
  setup_t[$s]=$SECONDS
  setup "$s" &
  setup_pid[$s]=$!
done
declare -A setup_rc
for s in "${suites[@]}"; do
  wait "${setup_pid[$s]}"
  setup_rc[$s]=$?
  setup_t[$s]=$((SECONDS - setup_t[$s]))
done

# ---- the steps in each chroot, one after the other (they share 2 CPUs) ----
for s in "${suites[@]}"; do
  c=$top/$s
  slog=$top/logs/$s-setup.log
  if [ "${setup_rc[$s]}" -ne 0 ]; then
    result "$s" setup 1 "${setup_t[$s]}" "see $slog"
    digest "$slog" 30
    for step in test.sh "sample-vmm enforce" "sample-vmm errno" test_live; do result "$s" "$step" 1 0 "not run: setup failed"; done
    continue
  fi
  vers=$(in_chroot "$c" /dev/stdout 60 'dpkg-query -W -f "\${Package} \${Version}\n" libc6 gcc valgrind libseccomp2 clang-tidy cppcheck cmake rustc librust-tokio-dev 2>/dev/null | sed -E "s/ ([0-9]+:)?/ /" | tr "\n" " "')
  result "$s" setup 0 "${setup_t[$s]}" "$(cat "$c/etc/debian_version"): $vers"

  t=$SECONDS
  log=$top/logs/$s-test.log
  : >"$log"
  # the pure filter verification's memcheck and sanitizer runs are the
  # host's (tools/test.sh's TEST_PURE_NATIVE_ONLY)
  in_chroot "$c" "$log" "$test_timeout" "cd /src && TEST_PURE_NATIVE_ONLY=1 tools/test.sh"
  rc=$?
  line=$(grep -aE '^suite: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  [ $rc -eq 124 ] && line="timed out after ${test_timeout}s; $line"
  result "$s" test.sh $rc $((SECONDS - t)) "${line:-no summary, see $log}"
  [ $rc -eq 0 ] || digest "$log" 80

  for mode in enforce errno; do
    t=$SECONDS
    log=$top/logs/$s-sample-vmm-$mode.log
    : >"$log"
    if [ $host_rc -ne 0 ]; then
      result "$s" "sample-vmm $mode" 1 0 "not run: the host build failed"
      continue
    fi
    mkdir -p "$c/opt/matrix" && cp "$host_vmm" "$c/opt/matrix/sample-vmm"
    in_chroot "$c" "$log" 120 "ldd /opt/matrix/sample-vmm | sed 's/^/ldd: /'
      rm -f /tmp/matrix-disk.img && truncate -s 8M /tmp/matrix-disk.img &&
      /opt/matrix/sample-vmm --vcpus 2 --disk /tmp/matrix-disk.img --seccomp $mode"
    rc=$?
    what="exit status $rc"
    [ $rc -gt 128 ] && what="killed by signal $((rc - 128))"
    [ $rc -eq 124 ] && what="timed out"
    nviol=$(grep -acE 'vmm_seccomp: (violation|unreviewed)' "$log")
    if [ $rc -eq 0 ] && ! grep -aq 'sample-guest: all tests passed' "$log"; then rc=1; fi
    if [ $rc -eq 0 ] && [ "$nviol" -ne 0 ]; then rc=1; fi
    result "$s" "sample-vmm $mode" $rc $((SECONDS - t)) "$what, $nviol report(s)"
    [ $rc -eq 0 ] || digest "$log" 20
  done

  # The host-built live tests, against this release's glibc.
  t=$SECONDS
  log=$top/logs/$s-test_live.log
  : >"$log"
  if [ $host_rc -ne 0 ]; then
    result "$s" test_live 1 0 "not run: the host build failed"
  else
    cp "$host_live" "$c/opt/matrix/test_live"
    in_chroot "$c" "$log" 600 "cd /tmp && /opt/matrix/test_live"
    rc=$?
    line=$(grep -aE '^\[  PASSED  \] [0-9]+ test' "$log" | tail -1)
    [ $rc -eq 124 ] && line="timed out; $line"
    result "$s" test_live $rc $((SECONDS - t)) "${line:-exit status $rc, see $log}"
    [ $rc -eq 0 ] || digest "$log" 40
  fi
  unmount_under "$c"
done

echo "matrix: total $((SECONDS - t_start))s"
echo "matrix: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
