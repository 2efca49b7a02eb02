#!/usr/bin/env bash
# The fleet end to end, in one command, on this machine (no Docker):
#   starts a real Kafka broker and S3Proxy (deploy/stack.sh), writes the tiny checkpoint if missing,
#   starts one worker (the packaged Quarkus app), submits a job with `fluxfleet submit`, waits for its
#   completed event, prints where the image is in S3 and its file inside S3Proxy's data dir,
#   then stops everything it started.
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
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/fleet-common.sh
. "$ROOT/deploy/lib/fleet-common.sh"

PROMPT="${1:-a lighthouse at dusk, oil painting}"
RUN_DIR="$(mkdir -p "${FLUXFLEET_DEMO_DIR:-$ROOT/.demo}" && cd "${FLUXFLEET_DEMO_DIR:-$ROOT/.demo}" && pwd)"
STACK_DIR="$RUN_DIR/stack"
trap fleet_cleanup EXIT
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
