#!/usr/bin/env bash
# Builds the image and runs it as docker-compose.yml does (release, api, worker) against the
# PostgreSQL and Redis on this host, as the non-superuser role ops/db/init creates: migrations, a
# key from the CLI inside the image, one ingest job to completion, the compose health check, and
# SIGTERM through tini (exit 0). Exits non-zero at the first step that fails.
#   CONTAINER="podman" ops/image-smoke.sh        (default: docker; SKIP_BUILD=1 reuses IMAGE)
# Needs psql, redis-cli, curl and python3 on the host, and a container engine with host networking.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a C <<< "${CONTAINER:-docker}"
IMAGE=${IMAGE:-noctis:smoke}
PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
DB=noctis_image_smoke ROLE=noctis_image_smoke PASS=image-smoke-password PREFIX=image-smoke
API_PORT=${API_PORT:-18000} METRICS_PORT=${METRICS_PORT:-19464}
API=http://127.0.0.1:$API_PORT
export PGHOST PGUSER

step() { echo "== $*"; }
fail() {
  echo "image smoke FAILED: $*" >&2
  for name in noctis-smoke-api noctis-smoke-worker; do "${C[@]}" logs "$name" 2>&1 | tail -20 | sed "s/^/$name: /" >&2 || true; done
  exit 1
}
pick() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
cleanup() {
  "${C[@]}" rm -f noctis-smoke-api noctis-smoke-worker >/dev/null 2>&1 || true
  psql -qc "DROP DATABASE IF EXISTS $DB" -c "DROP ROLE IF EXISTS $ROLE" >/dev/null 2>&1 || true
  redis-cli --scan --pattern "$PREFIX*" | xargs -r redis-cli del >/dev/null || true
}
trap cleanup EXIT

[[ "${SKIP_BUILD:-0}" == 1 ]] || { step "build $IMAGE"; "${C[@]}" build -t "$IMAGE" .; }
cleanup
psql -qc "CREATE DATABASE $DB" >/dev/null
POSTGRES_USER=$PGUSER POSTGRES_DB=$DB NOCTIS_DB_USER=$ROLE NOCTIS_DB_PASSWORD=$PASS bash ops/db/init/100_noctis_role.sh >/dev/null
ENV=(-e "DATABASE_URL=postgres://$ROLE:$PASS@$PGHOST:${PGPORT:-5432}/$DB" -e REDIS_URL=redis://127.0.0.1:6379/0 -e QUEUE_PREFIX=$PREFIX
  -e MODELS_DIR=/app/models -e LOG_LEVEL=warn -e METRICS_TOKEN=image-smoke-metrics-token)
RUN=("${C[@]}" run --network host "${ENV[@]}")

step "release (migrations as $ROLE)"
"${RUN[@]}" --rm "$IMAGE" node dist/src/entry/migrate.js >/dev/null || fail "release exited $?"
"${RUN[@]}" -d --name noctis-smoke-api -e PORT=$API_PORT "$IMAGE" >/dev/null
"${RUN[@]}" -d --name noctis-smoke-worker -e METRICS_PORT=$METRICS_PORT "$IMAGE" node dist/workers/main.js >/dev/null
for _ in $(seq 1 60); do curl -sf "$API/readyz" >/dev/null && break; sleep 1; done
step "readiness and the compose health check"
curl -sf "$API/readyz" >/dev/null || fail "API not ready: $(curl -s "$API/readyz")"
"${C[@]}" exec noctis-smoke-api node -e "fetch('http://127.0.0.1:$API_PORT/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" || fail "health check"

step "a key from the CLI in the image, one ingest to completion"
KEY=$("${C[@]}" exec noctis-smoke-api node dist/src/entry/cli.js keys create --tenant smoke --scopes ingest,read | tail -1)
AUTH="Authorization: Bearer $KEY"
DEVICE=$(curl -sf -X POST "$API/v1/devices" -H "$AUTH" -H 'content-type: application/json' -d '{"external_id":"smoke-1"}' | pick '["id"]')
REC=$(curl -sf -X POST "$API/v1/recordings" -H "$AUTH" -H 'content-type: application/json' \
  -d "{\"device_id\":\"$DEVICE\",\"started_at\":\"2026-11-25T22:30:00Z\",\"feature_schema_version\":\"sleep-accel-v1\"}" | pick '["id"]')
JOB=$(curl -sf -X POST "$API/v1/epochs:ingest" -H "$AUTH" -H 'content-type: application/json' \
  -d "{\"recording_id\":\"$REC\",\"feature_schema_version\":\"sleep-accel-v1\",\"epochs\":[{\"epoch_index\":0,\"features\":[38.6,0.52,-0.26,0.0,0.0]},{\"epoch_index\":1,\"features\":[31.6,0.51,-0.26,0.008,0.002]}]}" | pick '["job_id"]')
for _ in $(seq 1 30); do
  STATE=$(curl -sf -H "$AUTH" "$API/v1/jobs/$JOB" | pick '["state"]') || fail "GET /v1/jobs/$JOB"
  [[ "$STATE" == completed || "$STATE" == failed ]] && break; sleep 1
done
[[ "$STATE" == completed ]] || fail "job $JOB is $STATE"
PREDICTED=$(curl -sf -H "$AUTH" "$API/v1/jobs/$JOB" | pick '["result"]["predicted"]')
[[ "$PREDICTED" == 2 ]] || fail "job predicted $PREDICTED epochs, expected 2"
curl -sf -H "Authorization: Bearer image-smoke-metrics-token" "http://127.0.0.1:$METRICS_PORT/metrics" | grep -q '^noctis_epochs_ingested_total{role="worker"} 2$' || fail "worker metrics"

step "SIGTERM through tini: both drain and exit 0"
"${C[@]}" stop -t 45 noctis-smoke-worker noctis-smoke-api >/dev/null
for name in noctis-smoke-api noctis-smoke-worker; do
  CODE=$("${C[@]}" inspect -f '{{.State.ExitCode}}' "$name")
  [[ "$CODE" == 0 ]] || fail "$name exited $CODE"
done
echo "image smoke passed: $IMAGE"
