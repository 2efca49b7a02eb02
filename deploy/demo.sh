#!/usr/bin/env bash
# The fleet end to end, in one command, on this machine (no Docker):
#   starts a real Kafka broker and S3Proxy (deploy/stack.sh), writes the tiny checkpoint if missing,
#   starts one worker (the packaged Quarkus app) and the HTTP gateway (the same app, profile gateway),
#   submits a job with `fluxfleet submit`, waits for its completed event, prints where the image is in
#   S3 and its file inside S3Proxy's data dir, prints a curl line for the gateway and the operator
#   console's URL with a made-up operator key, then (with
#   FLUXFLEET_DEMO_WAIT=1) keeps everything running until Ctrl-C, and stops everything it started.
#
#   deploy/demo.sh ["a prompt"]
#
# Env:
#   FLUXFLEET_MODEL_DIR      a real FLUX.1 directory (default: the UNTRAINED tiny checkpoint in .demo/tiny-model)
#   FLUXFLEET_SUBMIT_ARGS    extra `fluxfleet submit` flags (default for the tiny model: 256x256;
#                            for real weights: the request defaults, 1024x1024 jit-4x)
#   FLUXFLEET_WORKER_JAVA_OPTS  JVM options of the worker (default -Xmx2g)
#   FLUXFLEET_WORKER_ARGS    extra -D options of the worker, e.g. "-Dfluxfleet.slots=cuda:0"
#   FLUXFLEET_DEMO_DIR       where the stack, logs and model go (default .demo, git-ignored)
#   FLUXFLEET_BUILD_DIR      Maven build dir (default target)
#   FLUXFLEET_GATEWAY_PORT   the gateway's HTTP port (default 8088)
#   FLUXFLEET_DEMO_WAIT      1: keep the stack, worker and gateway running after the job, until Ctrl-C
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/fleet-common.sh
. "$ROOT/deploy/lib/fleet-common.sh"

PROMPT="${1:-a lighthouse at dusk, oil painting}"
RUN_DIR="$(mkdir -p "${FLUXFLEET_DEMO_DIR:-$ROOT/.demo}" && cd "${FLUXFLEET_DEMO_DIR:-$ROOT/.demo}" && pwd)"
STACK_DIR="$RUN_DIR/stack"
GATEWAY_PID=""
demo_cleanup() {
  local status=$?
  if [[ -n "$GATEWAY_PID" ]] && kill -0 "$GATEWAY_PID" 2>/dev/null; then
    log "stopping the gateway (pid $GATEWAY_PID)"
    kill -TERM "$GATEWAY_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$GATEWAY_PID" 2>/dev/null || true
  fi
  (exit "$status")
  fleet_cleanup
}
trap demo_cleanup EXIT
trap 'exit 130' INT TERM

fleet_build

if [[ -n "${FLUXFLEET_MODEL_DIR:-}" ]]; then
  MODEL="$FLUXFLEET_MODEL_DIR"
  DEFAULT_SUBMIT_ARGS=""
else
  MODEL="$RUN_DIR/tiny-model"
  if [[ ! -f "$MODEL/transformer/config.json" ]]; then
    log "writing the UNTRAINED tiny checkpoint to $MODEL (set FLUXFLEET_MODEL_DIR for real FLUX weights)"
    fluxfleet_cli tiny-checkpoint "$MODEL" >&2
  fi
  DEFAULT_SUBMIT_ARGS="--width 256 --height 256"
fi

fleet_stack_start
# shellcheck disable=SC2086
fleet_worker_start "$MODEL" ${FLUXFLEET_WORKER_ARGS:-}

# The HTTP gateway: the same jar with the gateway profile, one demo tenant whose API key is made up here
# (the tenants file holds only its SHA-256).
GATEWAY_PORT="${FLUXFLEET_GATEWAY_PORT:-8088}"
API_KEY="demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
# The operator console (/console, docs/console.md): an operator key made up here too (only its hash is passed).
OPERATOR_KEY="operator-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
cat >"$RUN_DIR/tenants.yaml" <<YAML
tenants:
  - id: demo
    presign: {enabled: true, expiry: PT1H}
    webhookSecret: demo-webhook-secret-change-me
    apiKeySha256: [$(printf '%s' "$API_KEY" | sha256sum | cut -d' ' -f1)]
YAML
log "starting the gateway on http://127.0.0.1:$GATEWAY_PORT (log: $RUN_DIR/gateway.log)"
# shellcheck disable=SC2086
"$JAVA" -Xmx1g -Dquarkus.profile=gateway \
  -Dkafka.bootstrap.servers="$FLUXFLEET_KAFKA_BOOTSTRAP" \
  -Dquarkus.minio.host="$FLUXFLEET_S3_ENDPOINT" -Dquarkus.minio.access-key="$FLUXFLEET_S3_ACCESS_KEY" \
  -Dquarkus.minio.secret-key="$FLUXFLEET_S3_SECRET_KEY" -Dquarkus.minio.region="$FLUXFLEET_S3_REGION" \
  -Dfluxfleet.tenants.file="$RUN_DIR/tenants.yaml" -Dfluxfleet.gateway.state.dir="$RUN_DIR/gateway-state" \
  -Dfluxfleet.gateway.webhooks.allow-http=true \
  -Dfluxfleet.console.operator-key-sha256="$(printf '%s' "$OPERATOR_KEY" | sha256sum | cut -d' ' -f1)" \
  -Dfluxfleet.console.secure-cookie=false \
  -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$GATEWAY_PORT" \
  -jar "$WORKER_JAR" >"$RUN_DIR/gateway.log" 2>&1 &
GATEWAY_PID=$!
for _ in $(seq 1 240); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GATEWAY_PORT/q/health/ready" 2>/dev/null)" == 200 ]] && break
  kill -0 "$GATEWAY_PID" 2>/dev/null || { echo "the gateway exited; see $RUN_DIR/gateway.log" >&2; tail -20 "$RUN_DIR/gateway.log" >&2; exit 1; }
  sleep 0.5
done

log "submitting a job: \"$PROMPT\""
set +e
# shellcheck disable=SC2086
LOCATION="$(fluxfleet_cli submit --bootstrap "$FLUXFLEET_KAFKA_BOOTSTRAP" --prompt "$PROMPT" \
  ${FLUXFLEET_SUBMIT_ARGS:-$DEFAULT_SUBMIT_ARGS} --timeout "${FLUXFLEET_SUBMIT_TIMEOUT:-3600}")"
STATUS=$?
set -e
if [[ $STATUS -ne 0 || "$LOCATION" != s3://* ]]; then
  echo "the job did not complete (exit $STATUS); worker log: $RUN_DIR/worker.log" >&2
  exit 1
fi
BUCKET_AND_KEY="${LOCATION#s3://}"
FILE="$STACK_DIR/s3/data/$BUCKET_AND_KEY"
[[ -f "$FILE" ]] || { echo "completed, but $FILE is missing" >&2; exit 1; }
cp "$FILE" "$RUN_DIR/last-image.${FILE##*.}"
echo
echo "image in S3:   $LOCATION   (endpoint $FLUXFLEET_S3_ENDPOINT, bucket ${BUCKET_AND_KEY%%/*})"
echo "local file:    $FILE"
echo "sidecar:       ${FILE%.*}.json"
echo "copy kept at:  $RUN_DIR/last-image.${FILE##*.}   (the stack's data stays in $STACK_DIR)"
echo
SIZE_JSON='"acceleration": "jit-4x"'
[[ -n "${FLUXFLEET_MODEL_DIR:-}" ]] || SIZE_JSON='"width": 256, "height": 256'
echo "HTTP gateway:  http://127.0.0.1:$GATEWAY_PORT   (Swagger UI: http://127.0.0.1:$GATEWAY_PORT/q/swagger-ui)"
echo "submit over HTTP and follow it (docs/integration-guide.md):"
echo "  curl -s -H 'Authorization: Bearer $API_KEY' -H 'Content-Type: application/json' \\"
echo "    -d '{\"jobId\": \"demo-'\$RANDOM'\", \"prompt\": \"$PROMPT\", $SIZE_JSON}' \\"
echo "    http://127.0.0.1:$GATEWAY_PORT/v1/jobs"
echo "  curl -N -H 'Authorization: Bearer $API_KEY' http://127.0.0.1:$GATEWAY_PORT/v1/jobs/<jobId>/events"
echo
echo "operator console: http://127.0.0.1:$GATEWAY_PORT/console   (docs/console.md; FLUXFLEET_DEMO_WAIT=1 keeps it up)"
echo "  operator key:   $OPERATOR_KEY   (every tenant, dead letters, fleet)"
echo "  tenant key:     $API_KEY   (tenant demo's jobs only)"
if [[ "${FLUXFLEET_DEMO_WAIT:-0}" == 1 ]]; then
  log "running until Ctrl-C"
  while kill -0 "$GATEWAY_PID" 2>/dev/null; do sleep 1; done
fi
