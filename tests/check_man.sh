#!/usr/bin/env bash
# The man pages are kept in step with what they document:
#   vmm_seccomp(3)  names every function of the public header, and no other;
#   vmm-seccomp(1)  has every command and option of docs/TOOL.md and of the
#                   tool's --help, no other option, and the exit codes of
#                   docs/TOOL.md;
#   both            render without a groff warning.
# Usage: tests/check_man.sh SOURCE_DIR VMM_SECCOMP_TOOL
set -u
src=$1
tool=$2
man1=$src/docs/man/vmm-seccomp.1
man3=$src/docs/man/vmm_seccomp.3
header=$src/vmm_seccomp/include/vmm_seccomp.h
toolmd=$src/docs/TOOL.md
failed=0
problem() {
  echo "check_man: $*"
  failed=1
}
# the pages with roff's escaped hyphens as plain ones
plain() { sed 's/\\-/-/g' "$1"; }

# vmm_seccomp(3): the header's functions, as the page names them
api=$(grep -oE 'VMM_SECCOMP_API [^(]*\bvmm_seccomp_[a-z_]+\(' "$header" |
  grep -oE 'vmm_seccomp_[a-z_]+\($' | tr -d '(' | sort -u)
[ -n "$api" ] || problem "no function found in $header"
named=$(grep -oE 'vmm_seccomp_[a-z_]+( "?\(\)|"?\(\)|\()' "$man3" | grep -oE 'vmm_seccomp_[a-z_]+' |
  sort -u)
for f in $api; do
  grep -qx "$f" <<<"$named" || problem "vmm_seccomp.3 does not document $f() (in $header)"
done
for f in $named; do
  grep -qx "$f" <<<"$api" || problem "vmm_seccomp.3 names $f(), which $header does not declare"
done

# vmm-seccomp(1): commands
help=$("$tool" --help 2>&1)
commands=$( (grep -oE '^vmm-seccomp [a-z]+' "$toolmd" | cut -d' ' -f2
  grep -oE '^  [a-z]+ ' <<<"$help" | tr -d ' ') | sort -u)
[ -n "$commands" ] || problem "no command found in $toolmd or the tool's --help"
for c in $commands; do
  plain "$man1" | grep -q "^\.BR \"vmm-seccomp $c\"" ||
    problem "vmm-seccomp.1's SYNOPSIS lacks the command $c"
  plain "$man1" | grep -qE "^\.B[IR]? \"?$c\b" ||
    problem "vmm-seccomp.1's COMMANDS lacks $c"
done
# options: every one of docs/TOOL.md and --help in the page, and the
# page's all in one of them
# (the tool's, not cmake's: lines naming cmake are left out; nor the
# options of a program in the page's EXAMPLES)
documented=$( (grep -v cmake "$toolmd" | grep -oE -- '--[a-z][a-z-]+'
  grep -oE -- '--[a-z][a-z-]+' <<<"$help") | sort -u)
paged=$(plain "$man1" | sed '/^\.SH EXAMPLES/,/^\.SH /d' | grep -oE -- '--[a-z][a-z-]+' | sort -u)
for o in $documented; do
  grep -qx -- "$o" <<<"$paged" || problem "vmm-seccomp.1 lacks the option $o"
done
for o in $paged; do
  grep -qx -- "$o" <<<"$documented" ||
    problem "vmm-seccomp.1 has the option $o, which neither docs/TOOL.md nor --help has"
done
# exit codes: docs/TOOL.md's table rows
for code in $(sed -n '/^## Exit codes/,/^## /p' "$toolmd" | grep -oE '^\| [0-9]+ ' | tr -d '| '); do
  sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man1" | grep -qx "\.B $code" ||
    problem "vmm-seccomp.1's EXIT STATUS lacks $code"
done

# both render cleanly
if command -v groff >/dev/null; then
  for page in "$man1" "$man3"; do
    out=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$out" ] || problem "$(basename "$page"): groff: $out"
  done
else
  echo "SKIP rendering the pages: no groff (package groff-base)"
fi

[ "$failed" -eq 0 ] && echo "check_man: vmm_seccomp.3 and vmm-seccomp.1 match the header, docs/TOOL.md and --help"
exit "$failed"
