#!/usr/bin/env bash
# Fleet overhead benchmark (docs/fleet-benchmark.md): the local stack, one worker on the tiny
# checkpoint, N small jobs sent one after another with `fluxfleet submit --repeat`; prints
#   1. client-observed figures (send -> completed event received, minus the render), from `submit`;
#   2. the worker's own per-job overhead (pickup -> completed event acked by Kafka, minus the
#      engine render), exact values from its log, warm-up jobs left out;
#   3. the worker's Micrometer summary of the same (fluxfleet_job_overhead_seconds).
# Then stops everything it started.
#
#   deploy/fleet-bench.sh [jobs (200)] [warm-up jobs left out (20)]
# Env: FLUXFLEET_BENCH_SUBMIT_ARGS (default: 64x64, 2 steps, acceleration none), FLUXFLEET_BUILD_DIR,
#      FLUXFLEET_DEMO_DIR (default .demo-bench).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/fleet-common.sh
. "$ROOT/deploy/lib/fleet-common.sh"

JOBS="${1:-200}"
WARMUP="${2:-20}"
RUN_DIR="$(mkdir -p "${FLUXFLEET_DEMO_DIR:-$ROOT/.demo-bench}" && cd "${FLUXFLEET_DEMO_DIR:-$ROOT/.demo-bench}" && pwd)"
STACK_DIR="$RUN_DIR/stack"
rm -rf "$STACK_DIR"
trap fleet_cleanup EXIT
trap 'exit 130' INT TERM

fleet_build
MODEL="$RUN_DIR/tiny-model"
[[ -f "$MODEL/transformer/config.json" ]] || fluxfleet_cli tiny-checkpoint "$MODEL" >&2
fleet_stack_start
fleet_worker_start "$MODEL" -Dfluxfleet.worker-id=bench-worker

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $JOBS jobs ($WARMUP warm-up), $(java -version 2>&1 | head -1)"
# shellcheck disable=SC2086
fluxfleet_cli submit --bootstrap "$FLUXFLEET_KAFKA_BOOTSTRAP" --prompt "a lighthouse at dusk" \
  ${FLUXFLEET_BENCH_SUBMIT_ARGS:---width 64 --height 64 --steps 2 --acceleration none} \
  --job-id "bench-$$" --repeat "$JOBS" --warmup "$WARMUP" --quiet

echo
echo "worker log, per job (pickup -> completed acked, minus the engine render), warm-up left out:"
grep -o 'job bench-[^ ]* completed.*overhead [0-9.]* ms' "$RUN_DIR/worker.log" \
  | sed 's/.*overhead \([0-9.]*\) ms/\1/' | tail -n +"$((WARMUP + 1))" | sort -g > "$RUN_DIR/overhead-ms.txt"
awk '{ v[NR] = $1; sum += $1 } END {
  if (NR == 0) { print "  no jobs found in the worker log"; exit }
  p50 = v[int(NR * 0.50 + 0.999999)]; p90 = v[int(NR * 0.90 + 0.999999)]; p99 = v[int(NR * 0.99 + 0.999999)];
  printf "| worker overhead, exact (%d jobs) | p50 %.1f | p90 %.1f | p99 %.1f | max %.1f | mean %.1f |\n", NR, p50, p90, p99, v[NR], sum / NR }' \
  "$RUN_DIR/overhead-ms.txt"

echo
echo "worker /q/metrics (Micrometer, all jobs incl. warm-up; quantiles over the last ~2 minutes):"
if command -v curl >/dev/null 2>&1; then
  curl -s "http://127.0.0.1:$WORKER_PORT/q/metrics" | grep -E '^fluxfleet_job_overhead_seconds(\{quantile|_count|_sum|_max)' || true
fi
