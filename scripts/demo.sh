#!/usr/bin/env bash
# Sets up the embedded stack (PostgreSQL, Temporal dev server with its Web
# UI, mailpit, pacer's worker and server) on loopback, installing what is
# missing, then sends a DEMO_RECIPIENTS-recipient campaign (default 50,000)
# to mailpit and shows its progress. The stack stays up; `make down` stops it.
source "$(dirname "$0")/lib.sh"

ensure_tools
pg_up
temporal_up
mailpit_up
build_pacer
pacer_up
api_token demo
log "stack is up; running the demo campaign"
STACK_DIR="$STACK_DIR" PACER_API_URL="http://127.0.0.1:$API_PORT" \
	MAILPIT_URL="http://127.0.0.1:$MAILPIT_HTTP_PORT" MAILPIT_SMTP_PORT="$MAILPIT_SMTP_PORT" \
	TEMPORAL_UI_URL="http://127.0.0.1:$TEMPORAL_UI_PORT" \
	go run "$ROOT/internal/tools/demo"
