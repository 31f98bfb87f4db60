#!/usr/bin/env bash
# Benchmarks the tracking endpoints, the open pixel and the click redirect,
# of a server built from this tree. The server runs on a stack of its own
# under .pacer-bench/ (PostgreSQL, and the Temporal dev server, which the
# server dials at start; no worker is needed). wrk sends about BENCH_RATE
# (default 1,000) requests a second for BENCH_SECONDS (default 30) at each
# endpoint, rotating over 1,000 signed URLs, then a BENCH_BURST_SECONDS
# (default 10; 0 skips it) burst at the pixel as fast as 50 connections go.
# It prints p50/p90/p99 latency, throughput, and the events written against
# the requests answered: no event may be lost.
#
# wrk cannot hold a fixed rate (wrk2 can, and Debian does not package it).
# Instead each of BENCH_CONNECTIONS connections pauses a fixed delay after
# every response (bench-tracking.lua): the spacing of the target rate less
# one millisecond, about what a round trip and wrk's timer take here. The
# rate reached therefore moves with the latency; the script prints it.
# Latencies are per request, without wrk2's correction for coordinated
# omission, which matters only when the server stalls.
export STACK_DIR="${STACK_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.pacer-bench}"
export PG_PORT="${BENCH_PG_PORT:-5435}"
export TEMPORAL_PORT="${BENCH_TEMPORAL_PORT:-7235}"
export TEMPORAL_UI=0 NEED_MAILPIT=0
export API_PORT="${BENCH_TRACKING_PORT:-8086}"
source "$(dirname "$0")/lib.sh"

RATE="${BENCH_RATE:-1000}"
SECONDS_EACH="${BENCH_SECONDS:-30}"
CONNECTIONS="${BENCH_CONNECTIONS:-10}"
SUBSCRIBERS=1000
DELAY_MS=$((CONNECTIONS * 1000 / RATE - 1))
[ "$DELAY_MS" -ge 1 ] || die "BENCH_RATE $RATE is too high for $CONNECTIONS connections: raise BENCH_CONNECTIONS"

ensure_tools
apt_install wrk
pg_up
temporal_up
pacer_env
WORK="$STACK_DIR/bench-tracking"
mkdir -p "$WORK"
log "building the server"
(cd "$ROOT" && go build -o "$WORK/server" ./server)
cleanup() {
	stop_bg tracking-server
	stop_started
}
trap cleanup EXIT

LOG="$STACK_DIR/logs/tracking-server.log"
mkdir -p "$STACK_DIR/logs" && : >"$LOG"
start_bg tracking-server "$WORK/server" --config "$ROOT/temporal.yaml" --listen "127.0.0.1:$API_PORT"
wait_for "pacer server" 60 curl -fsS "http://127.0.0.1:$API_PORT/readyz"

# A campaign id no real campaign has: the events table has no foreign key,
# and the script deletes the events it made at the end.
CAMPAIGN=$((2000000000 + $(date +%s) % 100000000))
(cd "$ROOT" && go run ./internal/tools/benchtrack --secret-file "$PACER_SECRET_FILE" \
	--campaign "$CAMPAIGN" --subscribers "$SUBSCRIBERS" --out "$WORK")

declare -A REQUESTS
# run_wrk LABEL PATH_FILE CONNECTIONS PAUSE_MS SECONDS
run_wrk() {
	local label="$1" file="$2" conns="$3" pause="$4" secs="$5" out line
	log "wrk: $label for ${secs}s ($conns connections, ${pause} ms pause after each response)"
	out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$ROOT/scripts/bench-tracking.lua" \
		"http://127.0.0.1:$API_PORT" -- "$WORK/$file" "$pause")
	printf '%s\n' "$out" >"$WORK/wrk-$label.txt"
	line=$(grep '^SUMMARY ' <<<"$out") || die "wrk printed no summary: $out"
	local requests duration_us errors socket p50 p90 p99 max
	eval "$(sed -e 's/^SUMMARY //' -e 's/non_3xx_or_2xx/errors/' -e 's/socket_errors/socket/' \
		-e 's/p50_us/p50/' -e 's/p90_us/p90/' -e 's/p99_us/p99/' -e 's/max_us/max/' -e 's/mean_us=[0-9.]*//' <<<"$line")"
	REQUESTS[$label]=$requests
	printf '%-7s %8d requests  %7.1f req/s  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %7.2f ms  errors %d\n' \
		"$label" "$requests" "$(bc -l <<<"$requests * 1000000 / $duration_us")" \
		"$(bc -l <<<"$p50 / 1000")" "$(bc -l <<<"$p90 / 1000")" "$(bc -l <<<"$p99 / 1000")" \
		"$(bc -l <<<"$max / 1000")" "$((errors + socket))" >>"$WORK/results.txt"
}
apt_install bc
: >"$WORK/results.txt"
run_wrk opens opens.txt "$CONNECTIONS" "$DELAY_MS" "$SECONDS_EACH"
run_wrk clicks clicks.txt "$CONNECTIONS" "$DELAY_MS" "$SECONDS_EACH"
# A burst as fast as wrk goes, for the headroom and the buffer under load.
if [ "${BENCH_BURST_SECONDS:-10}" -gt 0 ]; then
	run_wrk burst opens.txt 50 0 "${BENCH_BURST_SECONDS:-10}"
fi

# Stopping the server flushes its event buffer; it logs the writer's counters.
stop_bg tracking-server
stats=$(grep '"server stopped"' "$LOG" | tail -1 | grep -o '"events":{[^}]*}') || die "the server logged no event counters; see $LOG"
counter() { grep -o "\"$1\":[0-9]*" <<<"$stats" | cut -d: -f2; }
written_db() {
	psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d pacer -qtAc \
		"SELECT count(*) FROM events WHERE campaign_id = $CAMPAIGN AND kind = '$1'"
}
opens_db=$(written_db open)
clicks_db=$(written_db click)
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d pacer -qc "DELETE FROM events WHERE campaign_id = $CAMPAIGN" >/dev/null

echo
echo "Tracking endpoints, $(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
cat "$WORK/results.txt"
pixels=$((REQUESTS[opens] + ${REQUESTS[burst]:-0}))
echo "events written: $opens_db opens for $pixels pixel requests, $clicks_db clicks for ${REQUESTS[clicks]} redirects"
echo "event writer: $stats"
sent=$((pixels + REQUESTS[clicks]))
written=$((opens_db + clicks_db))
enqueued=$(counter enqueued)
# wrk counts the responses it read; requests still in flight when it
# stopped were answered and recorded too, at most one per connection.
if [ "$written" -eq "$enqueued" ] && [ "$(counter dropped)" = 0 ] && [ "$(counter lost)" = 0 ] &&
	[ "$written" -ge "$sent" ] && [ "$written" -le $((sent + 2 * CONNECTIONS + 50)) ]; then
	echo "no event lost: $written written = $enqueued accepted, for $sent requests answered to wrk"
else
	die "events lost: $written written, $enqueued accepted, $sent requests answered to wrk"
fi
