#!/usr/bin/env bash
# Benchmarks pacer on a stack of its own under .pacer-bench/ (PostgreSQL,
# the Temporal dev server, one worker, the server) against Postfix's
# smtp-sink, and prints JSON lines:
#   1. the raw SMTP limit: smtp-source -s 20 -m N -l 3000 against the sink;
#   2. a BENCH_RECIPIENTS campaign (default 50,000) with a 3 KB personalised
#      HTML body, from Send to Done, with one worker, and its ratio to 1;
#   3. unless BENCH_PACING=0, pacing mode: BENCH_RATE (default 200) messages
#      per second with BENCH_WORKERS (default "1 2 4") workers, and the rate
#      in every 10 s window.
# BENCH_THROUGHPUT=0 skips 1 and 2.
export STACK_DIR="${STACK_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.pacer-bench}"
export PG_PORT="${BENCH_PG_PORT:-5435}"
export TEMPORAL_PORT="${BENCH_TEMPORAL_PORT:-7235}"
export TEMPORAL_UI=0 NEED_MAILPIT=0
export API_PORT="${BENCH_API_PORT:-8085}"
export WORKER_HEALTH_PORT="${BENCH_WORKER_PORT:-9095}"
export BOUNCE_PORT="${BENCH_BOUNCE_PORT:-2527}"
source "$(dirname "$0")/lib.sh"

RECIPIENTS="${BENCH_RECIPIENTS:-50000}"
RATE="${BENCH_RATE:-200}"
SINK_PORT="${BENCH_SINK_PORT:-2526}"
PACING_SECONDS="${BENCH_PACING_SECONDS:-60}"

ensure_tools
apt_install postfix bc
cleanup() {
	for i in 2 3 4; do stop_bg "worker$i"; done
	stop_bg sink
	pacer_down
	stop_started
}
trap cleanup EXIT
pg_up
temporal_up
build_pacer

sink_user=()
[ "$(id -u)" = 0 ] && sink_user=(-u nobody) # smtp-sink refuses to run as root
start_bg sink smtp-sink "${sink_user[@]}" -c "127.0.0.1:$SINK_PORT" 512
wait_for "smtp-sink" 10 port_open "$SINK_PORT"
pacer_up
if [ ! -s "$STACK_DIR/api-token" ]; then
	"$STACK_DIR/bin/server" --config "$ROOT/temporal.yaml" token create bench | tr -d '\n' >"$STACK_DIR/api-token"
fi
bench() {
	local pids=(--worker-pid "$(cat "$STACK_DIR/run/worker.pid")")
	for i in 2 3 4; do
		pid_alive "$STACK_DIR/run/worker$i.pid" && pids+=(--worker-pid "$(cat "$STACK_DIR/run/worker$i.pid")")
	done
	(cd "$ROOT" && go run ./internal/tools/bench --api-url "http://127.0.0.1:$API_PORT" \
		--token-file "$STACK_DIR/api-token" --sink-port "$SINK_PORT" \
		--metrics-url "http://127.0.0.1:$WORKER_HEALTH_PORT/metrics" --server-pid "$(cat "$STACK_DIR/run/server.pid")" \
		--temporal-address "127.0.0.1:$TEMPORAL_PORT" --database-url "$DATABASE_URL" "${pids[@]}" "$@")
}

if [ "${BENCH_THROUGHPUT:-1}" = 1 ]; then
log "raw SMTP limit: smtp-source -s 20 -m $RECIPIENTS -l 3000"
raw_start=$(date +%s.%N)
smtp-source -s 20 -m "$RECIPIENTS" -l 3000 -f bench@pacer.localhost -t sink@example.com "127.0.0.1:$SINK_PORT"
raw_end=$(date +%s.%N)
raw_seconds=$(echo "$raw_end - $raw_start" | bc -l)
raw_rate=$(echo "$RECIPIENTS / $raw_seconds" | bc -l)
printf '{"mode":"raw_smtp","messages":%d,"seconds":%.2f,"messages_per_second":%.1f}\n' "$RECIPIENTS" "$raw_seconds" "$raw_rate"

log "pacer: $RECIPIENTS recipients, one worker, no rate limit"
line=$(bench --mode throughput --recipients "$RECIPIENTS" --connections "${BENCH_CONNECTIONS:-128}")
echo "$line"
rate=$(echo "$line" | sed -n 's/.*"sends_per_second":\([0-9.]*\).*/\1/p')
printf '{"mode":"ratio","pacer_per_second":%s,"raw_smtp_per_second":%.1f,"ratio":%.2f}\n' "$rate" "$raw_rate" "$(echo "$rate / $raw_rate" | bc -l)"
fi

if [ "${BENCH_PACING:-1}" = 1 ]; then
	pacer_env
	for n in ${BENCH_WORKERS:-1 2 4}; do
		for i in $(seq 2 "$n"); do
			start_bg "worker$i" "$STACK_DIR/bin/worker" --config "$ROOT/temporal.yaml" --listen "" --bounce-listen ""
		done
		sleep 2
		log "pacing: $RATE/s with $n worker(s) for ${PACING_SECONDS}s"
		# Batches of 500, so that every worker has batches to send.
		bench --mode pacing --rate "$RATE" --recipients "$((RATE * PACING_SECONDS))" --batch-size 500 \
			--label "$n workers"
	done
fi
