#!/usr/bin/env bash
# Runs every test: unit tests, and integration tests on a stack of their own
# (a private PostgreSQL cluster, a Temporal dev server, mailpit and Postfix's
# smtp-sink) under .pacer-test/, on ports apart from the demo's. Installs what
# is missing; services already running are used and left running. Extra arguments go to `go test`, e.g. scripts/test.sh -run E2E.
export STACK_DIR="${STACK_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.pacer-test}"
export PG_PORT="${TEST_PG_PORT:-5434}"
export TEMPORAL_PORT="${TEST_TEMPORAL_PORT:-7234}"
export TEMPORAL_UI_PORT="${TEST_TEMPORAL_UI_PORT:-8234}"
export MAILPIT_SMTP_PORT="${TEST_MAILPIT_SMTP_PORT:-1026}"
export MAILPIT_HTTP_PORT="${TEST_MAILPIT_HTTP_PORT:-8026}"
export TEMPORAL_UI=0
source "$(dirname "$0")/lib.sh"

ensure_tools
apt_install postfix swaks
apt_install chromium
pg_up
temporal_up
mailpit_up
trap 'stop_started' EXIT

export PACER_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export PACER_TEST_TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
export PACER_TEST_TEMPORAL_BIN="$ROOT/.tools/bin/temporal"
export PACER_TEST_MAILPIT_SMTP="127.0.0.1:$MAILPIT_SMTP_PORT"
export PACER_TEST_MAILPIT_API="http://127.0.0.1:$MAILPIT_HTTP_PORT"
export PACER_TEST_REQUIRE=1

log "running go vet"
(cd "$ROOT" && go vet ./...)
log "running tests"
(cd "$ROOT" && go test -count=1 -timeout 45m "$@" ./...)
