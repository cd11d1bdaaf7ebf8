#!/bin/sh
# Writes .env for the compose stack from .env.example, the one command the docs name for it:
#   sh scripts/make-env.sh [--timezone <IANA zone>] [--force] [--example FILE] [--out FILE]
# - every secret that is CHANGE_ME (a name with PASSWORD, KEY, SECRET or TOKEN) becomes a freshly
#   generated one: 32 random letters and digits, different for each; secrets are never printed;
# - ROUTER_TIMEZONE: --timezone, else this machine's zone (TZ, /etc/timezone, /etc/localtime);
# - any other CHANGE_ME stops the script, naming the variable; every other line is copied.
# The file is created 0600; an existing .env is left alone unless --force (new secrets then).
set -eu
root=$(cd -- "$(dirname -- "$0")/.." && pwd)
example="$root/.env.example"
out="$root/.env"
force=no
timezone=''
usage() { echo "usage: sh scripts/make-env.sh [--timezone <IANA zone>] [--force] [--example FILE] [--out FILE]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=yes ;;
    --timezone) [ $# -ge 2 ] || usage; timezone=$2; shift ;;
    --example) [ $# -ge 2 ] || usage; example=$2; shift ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift ;;
    *) usage ;;
  esac
  shift
done

[ -r "$example" ] || { echo "make-env: cannot read $example" >&2; exit 1; }
if [ -e "$out" ] && [ "$force" = no ]; then
  echo "make-env: $out exists; keeping it (run with --force to replace it, which changes every secret)" >&2
  exit 1
fi

# This machine's IANA zone, or nothing.
host_zone() {
  if [ -n "${TZ:-}" ]; then printf '%s' "${TZ#:}"; return; fi
  if [ -r /etc/timezone ]; then head -n 1 /etc/timezone; return; fi
  link=$(readlink /etc/localtime 2>/dev/null || true)
  case "$link" in */zoneinfo/*) printf '%s' "${link##*/zoneinfo/}" ;; esac
}

if [ -z "$timezone" ]; then
  timezone=$(host_zone)
  zone_note="this machine's zone; pass --timezone to choose another"
else
  zone_note='from --timezone'
fi
case "$timezone" in
  '' | *' '* | *'"'* | *"'"*) timezone='' ;;
esac

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
      name=${line%%=*}
      case "$name" in
        *PASSWORD* | *KEY* | *SECRET* | *TOKEN*)
          printf '%s=%s\n' "$name" "$(secret)" >> "$tmp"
          generated=$((generated + 1)) ;;
        ROUTER_TIMEZONE)
          [ -n "$timezone" ] || { echo "make-env: ROUTER_TIMEZONE: cannot tell this machine's time zone; pass the router's, e.g. --timezone Europe/Berlin" >&2; exit 1; }
          printf '%s=%s\n' "$name" "$timezone" >> "$tmp"
          echo "make-env: ROUTER_TIMEZONE=$timezone ($zone_note)" ;;
        *)
          echo "make-env: $name has no value in $example and is no secret this script can generate; set it there or in $out by hand" >&2
          exit 1 ;;
      esac ;;
    *) printf '%s\n' "$line" >> "$tmp" ;;
  esac
done < "$example"
if grep -q '^[A-Za-z_][A-Za-z0-9_]*=.*CHANGE_ME' "$tmp"; then
  echo "make-env: a placeholder is left; not writing $out" >&2
  exit 1
fi
mv -f "$tmp" "$out"
trap - EXIT
echo "make-env: wrote $out ($generated secrets generated; keep the file private, it is mode 0600)"
