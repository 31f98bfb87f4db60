package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// throttleRecovery is how long the pace takes to climb from a throttle
// factor of 0 back to the full rate, linearly.
const throttleRecovery = 120 * time.Second

// Reservation is the result of a slot request.
type Reservation struct {
	// Slots is how many messages the caller may send, one every 1/Rate
	// seconds from Start on (all at once when Rate is 0).
	Slots int
	// Start is how long from now the first slot begins.
	Start time.Duration
	// Rate is the effective rate in messages per second: the set rate times
	// the throttle factor; 0 means no rate limit.
	Rate float64
	// Limited is false when the server has neither a rate nor a quota, so
	// callers may stop asking for a while.
	Limited bool
	// QuotaReset is when the exhausted quota (per minute, hour or day)
	// starts over; zero when no quota stopped the reservation.
	QuotaReset time.Time
}

// MaxReserveAhead is how far ahead of now the server's next free slot may
// be for a reservation to succeed. It bounds how long a rate change, a
// throttle or a pause waits behind slots already handed out.
const MaxReserveAhead = time.Second

// ReserveSlots reserves up to want consecutive send slots of a server. The
// server's row keeps the start of its next free slot, shared by every
// worker: a reservation starts there (or now, if that is past) and moves it
// on by want/rate seconds. Slots that no worker requests pass unused without
// carrying over, so no worker can burst above the rate, and a slot is never
// lost while workers wait for one. When the next free slot is more than
// MaxReserveAhead away, nothing is reserved and Start is the wait before
// the next request. One reservation covers at most MaxReserveAhead of
// slots. The per-minute, per-hour and per-day quotas are counted in the
// same row and cap the reservation.
func (db *DB) ReserveSlots(ctx context.Context, serverID int64, want int) (Reservation, error) {
	var r Reservation
	var startSecs float64
	var reset *time.Time
	err := db.pool.QueryRow(ctx, `
		WITH cur AS (
			SELECT id, slot_at, quota_per_minute, quota_per_hour, quota_per_day, clock_timestamp() AS now,
			       rate_per_second * LEAST(1, throttle_factor +
			           COALESCE(extract(epoch FROM clock_timestamp() - throttled_at), 0) / $3) AS rate,
			       date_trunc('minute', clock_timestamp()) AS m, date_trunc('hour', clock_timestamp()) AS h,
			       date_trunc('day', clock_timestamp()) AS d,
			       CASE WHEN minute_start = date_trunc('minute', clock_timestamp()) THEN minute_used ELSE 0 END AS mu,
			       CASE WHEN hour_start = date_trunc('hour', clock_timestamp()) THEN hour_used ELSE 0 END AS hu,
			       CASE WHEN day_start = date_trunc('day', clock_timestamp()) THEN day_used ELSE 0 END AS du
			FROM smtp_servers WHERE id = $1 FOR UPDATE
		), calc AS (
			SELECT *, CASE WHEN rate > 0 THEN GREATEST(slot_at, now) ELSE now END AS start,
			       LEAST(CASE WHEN quota_per_minute > 0 THEN quota_per_minute - mu ELSE $2 END,
			             CASE WHEN quota_per_hour > 0 THEN quota_per_hour - hu ELSE $2 END,
			             CASE WHEN quota_per_day > 0 THEN quota_per_day - du ELSE $2 END) AS left_in_quota
			FROM cur
		), g AS (
			SELECT *, CASE WHEN start > now + make_interval(secs => $4) THEN 0
			               WHEN rate > 0 THEN GREATEST(LEAST($2, left_in_quota, GREATEST(floor(rate * $4), 1)), 0)
			               ELSE GREATEST(LEAST($2, left_in_quota), 0) END AS granted
			FROM calc
		)
		UPDATE smtp_servers s
		SET slot_at = CASE WHEN g.rate > 0 THEN g.start + make_interval(secs => g.granted / g.rate)
		                   ELSE g.now END,
		    minute_start = g.m, minute_used = g.mu + g.granted,
		    hour_start = g.h, hour_used = g.hu + g.granted,
		    day_start = g.d, day_used = g.du + g.granted
		FROM g WHERE s.id = g.id
		RETURNING g.granted, g.rate,
		          g.rate > 0 OR g.quota_per_minute > 0 OR g.quota_per_hour > 0 OR g.quota_per_day > 0,
		          extract(epoch FROM g.start - g.now)::float8 - CASE WHEN g.granted > 0 THEN 0 ELSE $4 END,
		          CASE WHEN g.granted > 0 OR g.left_in_quota > 0 THEN NULL
		               WHEN g.quota_per_day > 0 AND g.du >= g.quota_per_day THEN g.d + interval '1 day'
		               WHEN g.quota_per_hour > 0 AND g.hu >= g.quota_per_hour THEN g.h + interval '1 hour'
		               ELSE g.m + interval '1 minute' END`,
		serverID, want, throttleRecovery.Seconds(), MaxReserveAhead.Seconds()).
		Scan(&r.Slots, &r.Rate, &r.Limited, &startSecs, &reset)
	if err != nil {
		return Reservation{}, fmt.Errorf("store: reserve send slots of server %d: %w", serverID, notFound(err, "server", serverID))
	}
	r.Start = time.Duration(max(startSecs, 0) * float64(time.Second))
	if reset != nil {
		r.QuotaReset = *reset
	}
	return r, nil
}

// Throttle halves a server's effective pace after a throttle reply. Replies
// within one second of the last throttle count once, so a burst of replies
// from parallel connections does not cut the pace to nothing.
func (db *DB) Throttle(ctx context.Context, serverID int64) (float64, error) {
	var factor float64
	err := db.pool.QueryRow(ctx, `
		UPDATE smtp_servers SET
			throttle_factor = GREATEST(0.05, LEAST(1, throttle_factor +
				COALESCE(extract(epoch FROM clock_timestamp() - throttled_at), 0) / $2) * 0.5),
			throttled_at = clock_timestamp()
		WHERE id = $1 AND (throttled_at IS NULL OR throttled_at < clock_timestamp() - interval '1 second')
		RETURNING throttle_factor`, serverID, throttleRecovery.Seconds()).Scan(&factor)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil // throttled within the last second already
	}
	if err != nil {
		return 0, fmt.Errorf("store: throttle server %d: %w", serverID, err)
	}
	return factor, nil
}

// ResetThrottle restores a server's full pace, for operators.
func (db *DB) ResetThrottle(ctx context.Context, serverID int64) error {
	_, err := db.pool.Exec(ctx, `UPDATE smtp_servers SET throttle_factor = 1, throttled_at = NULL WHERE id = $1`, serverID)
	return err
}
