#!/usr/bin/env bash
# Shared functions of pacer's scripts: install missing tools and start or
# stop the embedded stack (PostgreSQL, Temporal dev server, mailpit, pacer)
# on loopback. Every service keeps its data and logs under $STACK_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export PATH="$ROOT/.tools/bin:/usr/lib/postgresql/15/bin:$PATH"

STACK_DIR="${STACK_DIR:-$ROOT/.pacer}"
PG_PORT="${PG_PORT:-5433}"
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
MAILPIT_SMTP_PORT="${MAILPIT_SMTP_PORT:-1025}"
MAILPIT_HTTP_PORT="${MAILPIT_HTTP_PORT:-8025}"
API_PORT="${API_PORT:-8080}"
WORKER_HEALTH_PORT="${WORKER_HEALTH_PORT:-9091}"
BOUNCE_PORT="${BOUNCE_PORT:-2525}"

TEMPORAL_VERSION="v1.5.1"
MAILPIT_VERSION="v1.33.1"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_install PACKAGE... installs Debian packages that are missing.
apt_install() {
	local missing=()
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian packages: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
		{ as_root apt-get update -q >/dev/null 2>&1 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

# ensure_tools installs the Temporal CLI, mailpit and the PostgreSQL server
# when they are missing. The Go builds take about 3 and 1 minutes.
ensure_tools() {
	mkdir -p "$ROOT/.tools/bin"
	command -v initdb >/dev/null 2>&1 || apt_install postgresql
	if [ ! -x "$ROOT/.tools/bin/temporal" ]; then
		log "building the Temporal CLI $TEMPORAL_VERSION (about 3 minutes, once)"
		GOBIN="$ROOT/.tools/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_VERSION"
	fi
	if [ "${NEED_MAILPIT:-1}" = 1 ] && [ ! -x "$ROOT/.tools/bin/mailpit" ]; then
		log "building mailpit $MAILPIT_VERSION (about 1 minute, once)"
		GOBIN="$ROOT/.tools/bin" go install "github.com/axllent/mailpit@$MAILPIT_VERSION"
	fi
}

# wait_for DESCRIPTION SECONDS COMMAND... retries COMMAND until it succeeds.
wait_for() {
	local what="$1" secs="$2"; shift 2
	for _ in $(seq "$((secs * 4))"); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.25
	done
	die "$what did not come up within ${secs}s; see the logs in $STACK_DIR/logs"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# STARTED lists the services this shell started, so a script can stop only
# those and leave running ones it found alone.
STARTED=()

# start_bg NAME COMMAND... runs COMMAND in the background with its log and pid
# file under $STACK_DIR, unless it already runs.
start_bg() {
	local name="$1"; shift
	mkdir -p "$STACK_DIR/logs" "$STACK_DIR/run"
	if pid_alive "$STACK_DIR/run/$name.pid"; then return 0; fi
	nohup "$@" >>"$STACK_DIR/logs/$name.log" 2>&1 &
	echo $! >"$STACK_DIR/run/$name.pid"
}

stop_bg() {
	local pidfile="$STACK_DIR/run/$1.pid"
	if pid_alive "$pidfile"; then
		kill "$(cat "$pidfile")" 2>/dev/null || true
		for _ in $(seq 40); do pid_alive "$pidfile" || break; sleep 0.25; done
		pid_alive "$pidfile" && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

# PostgreSQL runs as the postgres user when the scripts run as root, because
# initdb refuses root.
pg_run() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

DATABASE_URL="postgres://pacer@127.0.0.1:$PG_PORT/pacer?sslmode=disable"

pg_up() {
	local data="$STACK_DIR/pg"
	mkdir -p "$STACK_DIR"
	if [ ! -f "$data/PG_VERSION" ]; then
		log "creating a PostgreSQL cluster in $data"
		mkdir -p "$data"
		[ "$(id -u)" = 0 ] && chown postgres: "$data" && chmod o+x "$STACK_DIR" "$ROOT"
		pg_run initdb -D "$data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
		cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
shared_buffers = 256MB
wal_buffers = 16MB
max_wal_size = 2GB
checkpoint_timeout = 15min
fsync = on
synchronous_commit = on
CONF
	fi
	if ! pg_run pg_ctl -D "$data" status >/dev/null 2>&1; then
		log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
		pg_run pg_ctl -D "$data" -l "$data/server.log" -w start >/dev/null
		STARTED+=(pg)
	fi
	psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qtAc "SELECT 1 FROM pg_roles WHERE rolname='pacer'" | grep -q 1 ||
		psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE ROLE pacer LOGIN SUPERUSER"
	psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='pacer'" | grep -q 1 ||
		psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE pacer OWNER pacer"
}

pg_down() {
	[ -f "$STACK_DIR/pg/PG_VERSION" ] || return 0
	pg_run pg_ctl -D "$STACK_DIR/pg" status >/dev/null 2>&1 || return 0
	pg_run pg_ctl -D "$STACK_DIR/pg" -m fast -w stop >/dev/null || true
}

temporal_up() {
	local headless=()
	[ "${TEMPORAL_UI:-1}" = 1 ] || headless=(--headless)
	if ! port_open "$TEMPORAL_PORT"; then
		log "starting the Temporal dev server on 127.0.0.1:$TEMPORAL_PORT (Web UI :$TEMPORAL_UI_PORT)"
		start_bg temporal temporal server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
			--ui-port "$TEMPORAL_UI_PORT" "${headless[@]}" \
			--db-filename "$STACK_DIR/temporal.db" \
			--sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=NORMAL \
			--search-attribute CampaignStatus=Keyword --search-attribute CampaignID=Keyword \
			--log-level warn
		STARTED+=(temporal)
	fi
	wait_for "Temporal" 90 temporal operator cluster health --address "127.0.0.1:$TEMPORAL_PORT"
	# A database file created by an older setup may lack the attributes.
	for sa in CampaignStatus CampaignID; do
		temporal operator search-attribute create --address "127.0.0.1:$TEMPORAL_PORT" \
			--name "$sa" --type Keyword >/dev/null 2>&1 || true
	done
}

temporal_down() { stop_bg temporal; }

mailpit_up() {
	if ! port_open "$MAILPIT_SMTP_PORT"; then
		log "starting mailpit: SMTP 127.0.0.1:$MAILPIT_SMTP_PORT, web 127.0.0.1:$MAILPIT_HTTP_PORT"
		start_bg mailpit mailpit --smtp "127.0.0.1:$MAILPIT_SMTP_PORT" --listen "127.0.0.1:$MAILPIT_HTTP_PORT" \
			--max 0 --database "$STACK_DIR/mailpit.db" --smtp-disable-rdns --disable-version-check
		STARTED+=(mailpit)
	fi
	wait_for "mailpit" 30 port_open "$MAILPIT_HTTP_PORT"
}

mailpit_down() { stop_bg mailpit; }

# pacer_env exports the configuration the pacer binaries read.
pacer_env() {
	mkdir -p "$STACK_DIR"
	[ -s "$STACK_DIR/secret" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STACK_DIR/secret"
	chmod 600 "$STACK_DIR/secret"
	export PACER_DATABASE_URL="$DATABASE_URL"
	export PACER_TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
	export PACER_SECRET_FILE="$STACK_DIR/secret"
	export PACER_PUBLIC_URL="http://127.0.0.1:$API_PORT"
}

build_pacer() {
	log "building pacer"
	mkdir -p "$STACK_DIR/bin"
	(cd "$ROOT" && go build -o "$STACK_DIR/bin/" ./worker ./server)
}

pacer_up() {
	pacer_env
	start_bg worker "$STACK_DIR/bin/worker" --config "$ROOT/temporal.yaml" --listen "127.0.0.1:$WORKER_HEALTH_PORT" \
		--bounce-listen "127.0.0.1:$BOUNCE_PORT"
	start_bg server "$STACK_DIR/bin/server" --config "$ROOT/temporal.yaml" --listen "127.0.0.1:$API_PORT"
	wait_for "pacer server" 60 curl -fsS "http://127.0.0.1:$API_PORT/readyz"
	wait_for "pacer worker" 60 curl -fsS "http://127.0.0.1:$WORKER_HEALTH_PORT/readyz"
}

pacer_down() {
	stop_bg server
	stop_bg worker
}

# api_token creates the API token of $STACK_DIR/api-token once.
api_token() {
	[ -s "$STACK_DIR/api-token" ] && return 0
	"$STACK_DIR/bin/server" --config "$ROOT/temporal.yaml" token create "${1:-demo}" | tr -d '\n' >"$STACK_DIR/api-token.tmp"
	mv "$STACK_DIR/api-token.tmp" "$STACK_DIR/api-token"
	chmod 600 "$STACK_DIR/api-token"
}

# stop_started stops the services this shell started.
stop_started() {
	for svc in "${STARTED[@]}"; do
		case "$svc" in
		pg) pg_down ;;
		temporal) temporal_down ;;
		mailpit) mailpit_down ;;
		esac
	done
}

stack_down() {
	pacer_down
	mailpit_down
	temporal_down
	pg_down
}
