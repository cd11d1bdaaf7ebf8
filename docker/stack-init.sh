#!/usr/bin/env bash
# One-shot initialisation steps of the compose stack, run inside the Elasticsearch image.
#   check            refuse empty, placeholder, short or unquotable secrets from .env
#   certs            check, then create the stack's CA and the Elasticsearch certificate once
#   kibana-password  check, then set the kibana_system password Kibana logs in with
# Secrets never appear on a command line or in output: curl reads them from stdin/fd.
set -euo pipefail

CERTS=${CERTS_DIR:-/usr/share/elasticsearch/config/certs}
ES_URL=${ES_URL:-https://elasticsearch:9200}

fail() { echo "dropship stack: $*" >&2; exit 1; }

# check_secret NAME MIN_LENGTH
check_secret() {
  local name=$1 min=$2 value=${!1:-}
  [ -n "$value" ] || fail "$name is empty; set it in .env (see .env.example)"
  case "${value,,}" in
    *change_me* | *changeme* | *change-me* | password | elastic | kibana | secret)
      fail "$name still has a placeholder value; set a real secret in .env" ;;
  esac
  [ "${#value}" -ge "$min" ] || fail "$name must be at least $min characters long"
  case "$value" in
    *'"'* | *'\'* | *' '*) fail "$name must not contain quotes, backslashes or spaces" ;;
  esac
}

check() {
  check_secret ELASTIC_PASSWORD 12
  check_secret KIBANA_PASSWORD 12
  check_secret KIBANA_ENCRYPTION_KEY 32
  [ "$ELASTIC_PASSWORD" != "$KIBANA_PASSWORD" ] || fail "KIBANA_PASSWORD must differ from ELASTIC_PASSWORD"
  echo "dropship stack: secrets in .env look set"
}

certs() {
  check
  cd /usr/share/elasticsearch
  mkdir -p "$CERTS"
  if [ ! -f "$CERTS/ca/ca.crt" ]; then
    echo "dropship stack: creating the stack CA"
    bin/elasticsearch-certutil ca --silent --pem -out "$CERTS/ca.zip"
    unzip -q -o "$CERTS/ca.zip" -d "$CERTS" && rm "$CERTS/ca.zip"
  fi
  if [ ! -f "$CERTS/elasticsearch/elasticsearch.crt" ]; then
    echo "dropship stack: creating the Elasticsearch certificate"
    printf 'instances:\n  - name: elasticsearch\n    dns: [elasticsearch, localhost]\n    ip: [127.0.0.1]\n' > "$CERTS/instances.yml"
    bin/elasticsearch-certutil cert --silent --pem --in "$CERTS/instances.yml" -out "$CERTS/certs.zip" \
      --ca-cert "$CERTS/ca/ca.crt" --ca-key "$CERTS/ca/ca.key"
    unzip -q -o "$CERTS/certs.zip" -d "$CERTS" && rm "$CERTS/certs.zip"
  fi
  # Elasticsearch and Kibana run as uid 1000, gid 0: keys readable by group root only.
  # The CA certificate is public and dropship (another uid) must read it.
  chown -R root:root "$CERTS"
  find "$CERTS" -type d -exec chmod 755 {} +
  find "$CERTS" -type f -exec chmod 640 {} +
  chmod 644 "$CERTS/ca/ca.crt"
}

kibana_password() {
  check
  local status
  for _ in $(seq 1 60); do
    status=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CERTS/ca/ca.crt" \
      -K <(printf 'user = "elastic:%s"\n' "$ELASTIC_PASSWORD") \
      -H 'Content-Type: application/json' --data-binary @- \
      -X POST "$ES_URL/_security/user/kibana_system/_password" \
      <<<"{\"password\":\"$KIBANA_PASSWORD\"}") || status=000
    case "$status" in
      200) echo "dropship stack: kibana_system password set"; return 0 ;;
      401) fail "Elasticsearch rejected ELASTIC_PASSWORD (it only takes effect on a fresh data volume)" ;;
    esac
    sleep 2
  done
  fail "could not set the kibana_system password (last HTTP status $status)"
}

case "${1:-}" in
  check) check ;;
  certs) certs ;;
  kibana-password) kibana_password ;;
  *) fail "usage: stack-init.sh check|certs|kibana-password" ;;
esac
