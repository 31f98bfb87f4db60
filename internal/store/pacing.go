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

// Grant is the result of a token request.
type Grant struct {
	// Tokens is how many messages may be sent now.
	Tokens int
	// Rate is the effective rate in messages per second: the set rate times
	// the throttle factor; 0 means no rate limit.
	Rate float64
	// Limited is false when the server has neither a rate nor a quota, so
	// callers may stop asking for a while.
	Limited bool
	// QuotaReset is when the exhausted quota (per minute, hour or day)
	// starts over; zero when no quota stopped the grant.
	QuotaReset time.Time
}

// TakeTokens takes up to want send tokens from the server's token bucket,
// which every worker shares through its smtp_servers row. The bucket holds
// at most a tenth of a second of tokens, so no worker can burst above the
// rate. The per-minute, per-hour and per-day quotas are counted in the same
// row and cap the grant.
func (db *DB) TakeTokens(ctx context.Context, serverID int64, want int) (Grant, error) {
	var g Grant
	var reset *time.Time
	err := db.pool.QueryRow(ctx, `
		WITH cur AS (
			SELECT id, bucket_tokens, bucket_at, quota_per_minute, quota_per_hour, quota_per_day,
			       rate_per_second * LEAST(1, throttle_factor +
			           COALESCE(extract(epoch FROM clock_timestamp() - throttled_at), 0) / $3) AS rate,
			       date_trunc('minute', clock_timestamp()) AS m, date_trunc('hour', clock_timestamp()) AS h,
			       date_trunc('day', clock_timestamp()) AS d,
			       CASE WHEN minute_start = date_trunc('minute', clock_timestamp()) THEN minute_used ELSE 0 END AS mu,
			       CASE WHEN hour_start = date_trunc('hour', clock_timestamp()) THEN hour_used ELSE 0 END AS hu,
			       CASE WHEN day_start = date_trunc('day', clock_timestamp()) THEN day_used ELSE 0 END AS du
			FROM smtp_servers WHERE id = $1 FOR UPDATE
		), calc AS (
			SELECT *,
			       CASE WHEN rate <= 0 THEN $2::float8
			            ELSE LEAST(GREATEST(rate * 0.1, 1),
			                       bucket_tokens + extract(epoch FROM clock_timestamp() - bucket_at) * rate)
			       END AS avail,
			       LEAST(CASE WHEN quota_per_minute > 0 THEN quota_per_minute - mu ELSE $2 END,
			             CASE WHEN quota_per_hour > 0 THEN quota_per_hour - hu ELSE $2 END,
			             CASE WHEN quota_per_day > 0 THEN quota_per_day - du ELSE $2 END) AS left_in_quota
			FROM cur
		), g AS (
			SELECT *, GREATEST(LEAST(floor(avail)::int, $2, left_in_quota), 0) AS granted FROM calc
		)
		UPDATE smtp_servers s
		SET bucket_tokens = CASE WHEN g.rate <= 0 THEN 0 ELSE g.avail - g.granted END,
		    bucket_at = clock_timestamp(),
		    minute_start = g.m, minute_used = g.mu + g.granted,
		    hour_start = g.h, hour_used = g.hu + g.granted,
		    day_start = g.d, day_used = g.du + g.granted
		FROM g WHERE s.id = g.id
		RETURNING g.granted, g.rate,
		          g.rate > 0 OR g.quota_per_minute > 0 OR g.quota_per_hour > 0 OR g.quota_per_day > 0,
		          CASE WHEN g.granted > 0 OR g.left_in_quota > 0 THEN NULL
		               WHEN g.quota_per_day > 0 AND g.du >= g.quota_per_day THEN g.d + interval '1 day'
		               WHEN g.quota_per_hour > 0 AND g.hu >= g.quota_per_hour THEN g.h + interval '1 hour'
		               ELSE g.m + interval '1 minute' END`,
		serverID, want, throttleRecovery.Seconds()).Scan(&g.Tokens, &g.Rate, &g.Limited, &reset)
	if err != nil {
		return Grant{}, fmt.Errorf("store: take tokens of server %d: %w", serverID, notFound(err, "server", serverID))
	}
	if reset != nil {
		g.QuotaReset = *reset
	}
	return g, nil
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
