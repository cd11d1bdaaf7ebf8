#!/bin/sh
# Writes .env for the compose stack from .env.example: every value that is CHANGE_ME becomes a
# freshly generated secret (32 random letters and digits, different for each), every other line
# is copied as it is. The file is created 0600; an existing .env is left alone unless --force.
# Secrets are never printed.
#   sh scripts/make-env.sh [--force] [--example FILE] [--out FILE]
set -eu
root=$(cd -- "$(dirname -- "$0")/.." && pwd)
example="$root/.env.example"
out="$root/.env"
force=no
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=yes ;;
    --example) example=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "usage: sh scripts/make-env.sh [--force] [--example FILE] [--out FILE]" >&2; exit 2 ;;
  esac
  shift
done

[ -r "$example" ] || { echo "make-env: cannot read $example" >&2; exit 1; }
if [ -e "$out" ] && [ "$force" = no ]; then
  echo "make-env: $out exists; keeping it (run with --force to replace it, which changes every secret)" >&2
  exit 1
fi

secret() {
  # LC_ALL=C: tr must see bytes, not characters, to take every byte of /dev/urandom.
  value=$(LC_ALL=C tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 32)
  [ ${#value} -eq 32 ] || { echo "make-env: could not read 32 random characters from /dev/urandom" >&2; exit 1; }
  printf '%s' "$value"
}

umask 077
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
generated=0
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    [A-Za-z_]*=CHANGE_ME)
      printf '%s=%s\n' "${line%%=*}" "$(secret)" >> "$tmp"
      generated=$((generated + 1)) ;;
    *) printf '%s\n' "$line" >> "$tmp" ;;
  esac
done < "$example"
if grep -q '^[A-Za-z_][A-Za-z0-9_]*=.*CHANGE_ME' "$tmp"; then
  echo "make-env: a placeholder is left in $tmp; not writing $out" >&2
  exit 1
fi
mv -f "$tmp" "$out"
trap - EXIT
echo "make-env: wrote $out ($generated secrets generated; keep the file private, it is mode 0600)"
