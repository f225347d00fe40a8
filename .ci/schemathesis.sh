#!/usr/bin/env bash
# Schemathesis with every check against a PostgreSQL-backed server, signed in as the demo
# dispatcher. Logout and refresh are left out so that the run's token survives; nothing else is.
# Event streams end after two seconds here (stream.max_seconds), so that reading one ends.
# Usage: .ci/schemathesis.sh POSTGRES_ADMIN_URL (a database the script may create others beside)
set -euo pipefail
cd "$(dirname "$0")/.."

ADMIN_URL="$1"
BIN=target/debug/inbound-transfer
PORT="${SCHEMATHESIS_PORT:-18089}"
DB="st_$(date +%s)_$$"
BASE_URL="${ADMIN_URL%/*}"
psql -q "$ADMIN_URL" -c "CREATE DATABASE $DB"
cleanup() {
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
}
trap cleanup EXIT

APP__DATABASE__URL="$BASE_URL/$DB" \
APP__SERVER__BIND="127.0.0.1:$PORT" \
APP__DEMO__SEED=true \
APP__LOG__LEVEL=warn \
APP__AUTH__ACCESS_TTL_SECS=7200 \
APP__STREAM__MAX_SECONDS=2 \
  "$BIN" serve > target/schemathesis-server.log 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 1
done
TOKEN=$(curl -fsS "http://127.0.0.1:$PORT/api/v1/auth/login" \
  -H 'content-type: application/json' \
  -d '{"username":"cz.dispatcher","password":"dispatch-demo-pass"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

python3 -c "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'st'; sys.exit(schemathesis())" run "http://127.0.0.1:$PORT/api-docs/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $TOKEN" \
  --exclude-path /api/v1/auth/logout \
  --exclude-path /api/v1/auth/refresh \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" \
  --seed "${SCHEMATHESIS_SEED:-20201}" \
  --request-timeout 20 \
  --no-color
