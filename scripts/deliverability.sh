#!/usr/bin/env bash
# Scores the demo campaign with SpamAssassin. On the demo stack (the one
# `make demo` runs, started here when it is down), it registers a DKIM key
# for the demo's From domain, sends the demo campaign to
# DELIVERABILITY_RECIPIENTS people (default 50) through mailpit, fetches
# DELIVERABILITY_SAMPLE of the received messages (default 10) from mailpit's
# API, and runs Debian's SpamAssassin on each with local tests only: no
# network test and no DNS lookup, so DKIM is checked by the demo tool
# instead. It prints each score with the rules that hit and fails when a
# message scores above DELIVERABILITY_MAX (default 1.0).
source "$(dirname "$0")/lib.sh"

MAX="${DELIVERABILITY_MAX:-1.0}"
OUT="$STACK_DIR/deliverability"

ensure_tools
apt_install spamassassin
pg_up
temporal_up
mailpit_up
build_pacer
# Restart pacer so that the server and worker run the code just built.
pacer_down
pacer_up
api_token demo

log "sending the demo campaign to ${DELIVERABILITY_RECIPIENTS:-50} people"
STACK_DIR="$STACK_DIR" PACER_API_URL="http://127.0.0.1:$API_PORT" \
	MAILPIT_URL="http://127.0.0.1:$MAILPIT_HTTP_PORT" MAILPIT_SMTP_PORT="$MAILPIT_SMTP_PORT" \
	DELIVERABILITY_DIR="$OUT" go run "$ROOT/internal/tools/demo" deliverability

# Local tests only (-L), no DNS at all, no Bayes learning, no user files.
# The one relay is mailpit on loopback, which SpamAssassin trusts, so
# ALL_TRUSTED would take 1 point off every message; it scores 0 here, so that
# the score is the message's own.
sa_options=(-L -t -x --cf="dns_available no" --cf="skip_rbl_checks 1" --cf="use_bayes 0"
	--cf="bayes_auto_learn 0" --cf="use_razor2 0" --cf="use_pyzor 0" --cf="use_dcc 0"
	--cf="score ALL_TRUSTED 0")
log "spamassassin ${sa_options[*]}"
worst=0
printf '%-8s %6s  %s\n' message score "rules that hit"
for f in "$OUT"/*.eml; do
	spamassassin "${sa_options[@]}" <"$f" >"${f%.eml}.report" 2>/dev/null || true
	# X-Spam-Status: No, score=0.1 required=5.0 tests=A,B autolearn=... version=...
	status=$(sed -n '/^X-Spam-Status:/,/^[^ \t]/p' "${f%.eml}.report" | sed '$d' | tr -d '\n\t ')
	score=$(sed -n 's/.*score=\([-0-9.]*\).*/\1/p' <<<"$status")
	tests=$(sed -n 's/.*tests=\([^=]*\)autolearn=.*/\1/p; s/.*tests=\([^=]*\)version=.*/\1/p' <<<"$status" | head -1)
	[ -n "$score" ] || die "no X-Spam-Status in ${f%.eml}.report"
	printf '%-8s %6s  %s\n' "$(basename "$f" .eml)" "$score" "${tests:-none}"
	worst=$(awk -v a="$worst" -v b="$score" 'BEGIN { printf "%.1f", (b > a) ? b : a }')
done
log "highest score $worst; the full reports are in $OUT/*.report"
printf 'spamassassin %s on %s; highest score %s (limit %s)\n' \
	"$(spamassassin --version | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)" "$(date -u +%F)" "$worst" "$MAX"
awk -v w="$worst" -v m="$MAX" 'BEGIN { exit !(w <= m) }' || die "a demo message scores $worst, above $MAX"
