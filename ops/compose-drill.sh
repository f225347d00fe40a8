#!/usr/bin/env bash
# The image and the compose stack, run here with Podman (README, "Operations"):
#   1. base images from Debian's archive (no registry is reachable): debian:bookworm-slim by
#      debootstrap, and PostgreSQL from Debian's package with the official image's environment;
#   2. the service's image from its Dockerfile, fed the binary built on this host (target
#      `prebuilt`; the default target builds from source where a Rust image can be had);
#   3. docker-compose.yml up with podman-compose; waits for health, signs in, sets up a city and
#      registers a traveller, restarts the database container, and checks the traveller is still
#      there, served by the same running service; then takes the stack down, volumes and all.
# Usage: ops/compose-drill.sh [path/to/inbound-transfer]   (default: target/debug/inbound-transfer)
set -euo pipefail
cd "$(dirname "$0")/.."

export CONTAINERS_CONF="$PWD/ops/podman/containers.conf"
BINARY="${1:-target/debug/inbound-transfer}"
IMAGES="${IMAGES_DIR:-/var/tmp/inbound-transfer-images}"
PROJECT=inbound-drill
export APP_PORT="${APP_PORT:-18480}"
export POSTGRES_IMAGE=localhost/inbound-postgres:15
export APP_IMAGE=localhost/inbound-transfer:drill
APP__AUTH__JWT_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export APP__AUTH__JWT_SECRET
BASE="http://127.0.0.1:${APP_PORT}"
started=$(date +%s)
say() { echo "compose-drill: $*"; }

[ -x "$BINARY" ] || { echo "no binary at $BINARY: cargo build first" >&2; exit 1; }

if ! podman image exists localhost/debian:bookworm-slim; then
  say "making debian:bookworm-slim with debootstrap"
  rm -rf "$IMAGES/bookworm"
  mkdir -p "$IMAGES"
  debootstrap --variant=minbase bookworm "$IMAGES/bookworm" http://deb.debian.org/debian > "$IMAGES/debootstrap.log"
  tar -C "$IMAGES/bookworm" -c . | podman import -q - localhost/debian:bookworm-slim > /dev/null
fi
say "building $POSTGRES_IMAGE"
podman build --pull=never -q -t "$POSTGRES_IMAGE" ops/podman/postgres > /dev/null
say "building $APP_IMAGE from the Dockerfile (target prebuilt, $BINARY)"
context="$(mktemp -d)"
cp Dockerfile "$context/"
cp -r config "$context/config"
mkdir "$context/prebuilt"
cp "$BINARY" "$context/prebuilt/inbound-transfer"
podman build --pull=never -q --target prebuilt --build-arg BINARY=prebuilt/inbound-transfer \
  -t "$APP_IMAGE" "$context" > /dev/null
rm -rf "$context"

compose() { podman-compose -p "$PROJECT" "$@"; }
down() { compose down -v > /dev/null 2>&1 || true; }
trap down EXIT
down
say "up"
compose up -d --no-build > /dev/null 2>&1

wait_ready() {
  for _ in $(seq 1 120); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ]; then return 0; fi
    sleep 1
  done
  say "the service was not ready within two minutes"
  compose logs > /dev/stderr 2>&1 || true
  return 1
}
wait_ready
say "ready after $(( $(date +%s) - started )) s"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
call() { # METHOD PATH TOKEN [BODY]: prints the body, fails unless 2xx
  local out status
  out="$(mktemp)"
  status=$(curl -s -o "$out" -w '%{http_code}' -X "$1" "$BASE/api/v1$2" \
    -H "authorization: Bearer $3" -H 'content-type: application/json' \
    -H "idempotency-key: $(cat /proc/sys/kernel/random/uuid)" ${4:+-d "$4"})
  cat "$out"; rm -f "$out"
  case "$status" in 2*) ;; *) echo >&2; say "$1 $2 answered $status" >&2; return 1 ;; esac
}

# The first user, as the README says, then a city to register a traveller in.
echo 'drill-admin-password' | podman exec -i -e APP__LOG__LEVEL=warn "${PROJECT}_app_1" \
  inbound-transfer create-user --username root --password-stdin --role admin > /dev/null
admin=$(curl -s -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"root","password":"drill-admin-password"}' | json '["access_token"]')
city=$(call POST /units "$admin" '{"name":"常州市","code":"CZ","level":"city"}' | json '["id"]')
district=$(call POST /units "$admin" "{\"name\":\"天宁区\",\"code\":\"CZ-TN\",\"level\":\"district\",\"parent_id\":\"$city\"}" | json '["id"]')
community=$(call POST /units "$admin" "{\"name\":\"红梅街道\",\"code\":\"CZ-TN-HM\",\"level\":\"community\",\"parent_id\":\"$district\"}" | json '["id"]')
port=$(call POST /ports "$admin" '{"code":"CZX","name":"常州奔牛国际机场","kind":"airport","city_name":"常州"}' | json '["id"]')
call POST /users "$admin" "{\"username\":\"dispatcher\",\"password\":\"drill-dispatch-pass\",\"display_name\":\"Dispatcher\",\"role\":\"dispatcher\",\"unit_id\":\"$city\"}" > /dev/null
dispatcher=$(curl -s -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"dispatcher","password":"drill-dispatch-pass"}' | json '["access_token"]')
traveller=$(call POST /travellers "$dispatcher" "{\"full_name\":\"张伟\",\"document_type\":\"passport\",\"document_no\":\"E12345678\",\"nationality\":\"CHN\",\"flight_no\":\"MU5101\",\"port_id\":\"$port\",\"arrived_at\":\"$(date -u +%FT%TZ)\",\"destination_community_id\":\"$community\"}" | json '["id"]')
say "registered traveller $traveller"

say "restarting the database container"
restarted=$(date +%s)
# (Podman's timers for health checks need systemd, which these machines do not run: it says so.)
podman restart "${PROJECT}_db_1" > /dev/null 2>&1
wait_ready
say "ready again $(( $(date +%s) - restarted )) s after the restart"
name=$(call GET "/travellers/$traveller" "$dispatcher" | json '["full_name"]')
[ "$name" = "张伟" ] || { say "VIOLATED: the traveller is gone after the restart ($name)"; exit 1; }
app_restarts=$(podman inspect -f '{{.RestartCount}}' "${PROJECT}_app_1")
say "the traveller is still there, read by the service that never restarted (restarts: $app_restarts)"
down
trap - EXIT
say "done in $(( $(date +%s) - started )) s; the stack is down"
