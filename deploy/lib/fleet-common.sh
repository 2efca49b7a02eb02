#!/usr/bin/env bash
# Shared by deploy/demo.sh and deploy/fleet-bench.sh: build, local stack, one worker, cleanup.
# Sourced, not run. Expects ROOT; sets BUILD_DIR, RUN_DIR, STACK_DIR, JAVA, CLI_CLASSPATH, WORKER_PID, WORKER_PORT.

BUILD_DIR="${FLUXFLEET_BUILD_DIR:-target}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
WORKER_PID=""
WORKER_PORT=""
STACK_STARTED=""

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Packages the worker (target/quarkus-app) and resolves the CLI's classpath when missing or stale.
fleet_build() {
  local jar="$ROOT/$BUILD_DIR/quarkus-app/quarkus-run.jar"
  local cp_file="$ROOT/$BUILD_DIR/fleet-runtime.classpath"
  if [[ ! -f "$jar" || ! -s "$cp_file" ]] \
     || [[ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$jar" -print -quit)" ]]; then
    log "building the worker and the CLI into $BUILD_DIR/ (first time: a few minutes)"
    (cd "$ROOT" && mvn -q -B -DbuildDir="$BUILD_DIR" -DskipTests package \
        dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$cp_file") >&2
    touch "$jar"
  fi
  WORKER_JAR="$jar"
  CLI_CLASSPATH="$ROOT/$BUILD_DIR/classes:$(cat "$cp_file")"
}

# Starts Kafka + S3Proxy in $STACK_DIR (deploy/stack.sh) and loads their addresses.
fleet_stack_start() {
  log "starting the local stack (Kafka broker + S3Proxy) in $STACK_DIR"
  FLUXFLEET_BUILD_DIR="$BUILD_DIR" FLUXFLEET_STACK_PARTITIONS="${FLUXFLEET_STACK_PARTITIONS:-4}" \
    "$ROOT/deploy/stack.sh" start "$STACK_DIR" >&2
  STACK_STARTED=1
  # shellcheck disable=SC1091
  set -a; . "$STACK_DIR/stack.env"; set +a
}

# Starts one packaged worker on $1 (model dir); extra -D options follow. Waits until it is ready.
fleet_worker_start() {
  local model="$1"; shift
  local worker_log="$RUN_DIR/worker.log"
  log "starting a worker on $model (log: $worker_log)"
  # shellcheck disable=SC2086
  "$JAVA" ${FLUXFLEET_WORKER_JAVA_OPTS:--Xmx2g} -Dai.djl.offline=true \
    -Dfluxfleet.model-dir="$model" \
    -Dkafka.bootstrap.servers="$FLUXFLEET_KAFKA_BOOTSTRAP" \
    -Dquarkus.minio.host="$FLUXFLEET_S3_ENDPOINT" \
    -Dquarkus.minio.access-key="$FLUXFLEET_S3_ACCESS_KEY" \
    -Dquarkus.minio.secret-key="$FLUXFLEET_S3_SECRET_KEY" \
    -Dquarkus.minio.region="$FLUXFLEET_S3_REGION" \
    -Dquarkus.profile="${FLUXFLEET_WORKER_PROFILE:-demo}" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port=0 \
    "$@" -jar "$WORKER_JAR" >"$worker_log" 2>&1 &
  WORKER_PID=$!
  local deadline=$((SECONDS + ${FLUXFLEET_WORKER_START_TIMEOUT:-900}))
  while [[ -z "$WORKER_PORT" ]]; do
    WORKER_PORT="$(sed -n 's#.*Listening on: http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$worker_log" | head -1)"
    fleet_worker_alive_or_die "$worker_log" "$deadline"
    [[ -n "$WORKER_PORT" ]] || sleep 0.5
  done
  log "worker pid $WORKER_PID on http://127.0.0.1:$WORKER_PORT; loading the model and warming up"
  until [[ "$(http_status "/q/health/ready")" == 200 ]]; do
    fleet_worker_alive_or_die "$worker_log" "$deadline"
    sleep 1
  done
  log "worker ready ($(grep -o 'slot [0-9]* ([^)]*) ready[^"]*' "$worker_log" | head -3 | tr '\n' ' '))"
}

fleet_worker_alive_or_die() {
  if ! kill -0 "$WORKER_PID" 2>/dev/null; then
    echo "the worker exited; last lines of $1:" >&2; tail -40 "$1" >&2; WORKER_PID=""; exit 1
  fi
  if (( SECONDS > $2 )); then
    echo "the worker was not ready in time; last lines of $1:" >&2; tail -40 "$1" >&2; exit 1
  fi
}

# HTTP status of GET $1 on the worker: curl if present, else bash's /dev/tcp.
http_status() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WORKER_PORT$1" || true
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$WORKER_PORT" && printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3 \
      && head -1 <&3 | cut -d' ' -f2) 2>/dev/null || true
  fi
}

fluxfleet_cli() {
  "$JAVA" -Xmx512m -cp "$CLI_CLASSPATH" io.fluxfleet.cli.FluxfleetCli "$@"
}

# Stops what this script started, newest first: the worker (SIGTERM, then SIGKILL), then the stack.
fleet_cleanup() {
  local status=$?
  if [[ -n "$WORKER_PID" ]] && kill -0 "$WORKER_PID" 2>/dev/null; then
    log "stopping the worker (pid $WORKER_PID)"
    kill -TERM "$WORKER_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$WORKER_PID" 2>/dev/null || true
  fi
  if [[ -n "$STACK_STARTED" ]]; then
    log "stopping the local stack"
    FLUXFLEET_BUILD_DIR="$BUILD_DIR" "$ROOT/deploy/stack.sh" stop "$STACK_DIR" >&2 || true
  fi
  exit "$status"
}
