#!/usr/bin/env bash
# A real local Kafka broker + S3 server (S3Proxy) without Docker, for tests, scripts and demos.
#
#   deploy/stack.sh start  [dir]   start both on free loopback ports, write <dir>/stack.env, return (they keep running)
#   deploy/stack.sh status [dir]   pids, ports, exit 0 only when both are up
#   deploy/stack.sh stop   [dir]   stop both; data and logs stay in <dir>
#
# dir defaults to .stack at the repo root (git-ignored). Use the servers from a shell:
#   set -a; . .stack/stack.env; set +a; echo "$FLUXFLEET_KAFKA_BOOTSTRAP $FLUXFLEET_S3_ENDPOINT"
# Env: FLUXFLEET_BUILD_DIR (default target), FLUXFLEET_STACK_PARTITIONS (default partitions of auto-created topics, 1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${FLUXFLEET_BUILD_DIR:-target}"
COMMAND="${1:-}"
STACK_DIR="${2:-$ROOT/.stack}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

case "$COMMAND" in
  start|stop|status) ;;
  *) echo "usage: $0 start|stop|status [dir]   (dir defaults to $ROOT/.stack)" >&2; exit 2 ;;
esac

# Compile when LocalStack is missing or a main source or the pom is newer than it.
CLASSES="$ROOT/$BUILD_DIR/classes"
LOCAL_STACK_CLASS="$CLASSES/io/fluxfleet/devstack/LocalStack.class"
if [[ ! -f "$LOCAL_STACK_CLASS" ]] || [[ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$LOCAL_STACK_CLASS" -print -quit)" ]]; then
  echo "compiling fluxfleet into $BUILD_DIR/ ..."
  (cd "$ROOT" && mvn -q -B -DbuildDir="$BUILD_DIR" compile)
fi

# The project's runtime classpath (kafka-clients from the Quarkus BOM, MinIO, ...), cached until pom.xml changes.
# The servers themselves get their own classpaths from deploy/stack/{kafka,s3proxy}/pom.xml, resolved by LocalStack.
APP_CLASSPATH_FILE="$ROOT/deploy/stack/.cache/app-runtime.classpath"
if [[ ! -s "$APP_CLASSPATH_FILE" || "$ROOT/pom.xml" -nt "$APP_CLASSPATH_FILE" ]]; then
  mkdir -p "$(dirname "$APP_CLASSPATH_FILE")"
  (cd "$ROOT" && mvn -q -B -DbuildDir="$BUILD_DIR" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.includeScope=runtime -Dmdep.outputFile="$APP_CLASSPATH_FILE")
fi

echo "stack dir: $STACK_DIR"
exec "$JAVA" \
  -Dfluxfleet.root="$ROOT" \
  -Dfluxfleet.stack.partitions="${FLUXFLEET_STACK_PARTITIONS:-1}" \
  -Dslf4j.internal.verbosity=ERROR \
  -cp "$CLASSES:$(cat "$APP_CLASSPATH_FILE")" \
  io.fluxfleet.devstack.LocalStack "$COMMAND" "$STACK_DIR"
