#!/usr/bin/env bash
# Starts the throwaway Redis and PostgreSQL servers the integration tests
# use, on loopback ports of their own, with data in a temp directory, and
# exports NEXUS_TEST_REDIS / NEXUS_TEST_POSTGRES for the tests. Source it:
#   source scripts/services.sh && start_services && trap stop_services EXIT
# Tests that need a service skip when its variable is unset, except under
# CI=true where a missing service is a failure.

SERVICES_DIR="${SERVICES_DIR:-$(mktemp -d /tmp/nexus-services.XXXXXX)}"
REDIS_PORT="${REDIS_PORT:-16379}"
PG_PORT="${PG_PORT:-15432}"

start_services() {
  mkdir -p "$SERVICES_DIR"
  if command -v redis-server >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
      --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log" --dir "$SERVICES_DIR"
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    export NEXUS_TEST_REDIS="redis://127.0.0.1:$REDIS_PORT/0"
    export NEXUS_TEST_REDIS_PIDFILE="$SERVICES_DIR/redis.pid"
    echo "redis on $NEXUS_TEST_REDIS"
  else
    echo "redis-server not installed: Redis tests will skip" >&2
  fi

  local pgbin
  pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -n "$pgbin" ] && id postgres >/dev/null 2>&1; then
    local data="$SERVICES_DIR/pg"
    mkdir -p "$data" && chown postgres:postgres "$SERVICES_DIR" "$data" && chmod 755 "$SERVICES_DIR"
    # PostgreSQL refuses to run as root: run it as the postgres user, from
    # a directory that user can enter (the checkout may live under /root).
    (cd "$SERVICES_DIR" &&
      runuser -u postgres -- "$pgbin/initdb" -D "$data" -A trust -U nexus >"$SERVICES_DIR/initdb.log" 2>&1 &&
      runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -l "$SERVICES_DIR/pg.log" -w \
        -o "-p $PG_PORT -k $SERVICES_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null &&
      runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U nexus nexus_test)
    export NEXUS_TEST_POSTGRES="postgres://nexus@127.0.0.1:$PG_PORT/nexus_test?sslmode=disable"
    export NEXUS_TEST_PGBIN="$pgbin"
    echo "postgres on $NEXUS_TEST_POSTGRES"
  else
    echo "PostgreSQL not installed: PostgreSQL tests will skip" >&2
  fi
}

stop_services() {
  if [ -f "$SERVICES_DIR/redis.pid" ]; then kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true; fi
  if [ -n "${NEXUS_TEST_PGBIN:-}" ]; then
    (cd "$SERVICES_DIR" && runuser -u postgres -- "$NEXUS_TEST_PGBIN/pg_ctl" -D "$SERVICES_DIR/pg" -m immediate stop >/dev/null 2>&1) || true
  fi
  rm -rf "$SERVICES_DIR"
}
