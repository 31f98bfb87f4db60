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

// TakeTokens takes up to want send tokens from the server's token bucket,
// which every worker shares through its smtp_servers row. It returns the
// tokens granted and the effective rate in messages per second (the set rate
// times the throttle factor). A rate of 0 means no limit: every token is
// granted. The bucket holds at most a tenth of a second of tokens, so no
// worker can burst above the rate.
func (db *DB) TakeTokens(ctx context.Context, serverID int64, want int) (int, float64, error) {
	var granted int
	var rate float64
	err := db.pool.QueryRow(ctx, `
		WITH cur AS (
			SELECT id, bucket_tokens, bucket_at,
			       rate_per_second * LEAST(1, throttle_factor +
			           COALESCE(extract(epoch FROM clock_timestamp() - throttled_at), 0) / $3) AS rate
			FROM smtp_servers WHERE id = $1 FOR UPDATE
		), calc AS (
			SELECT id, rate,
			       CASE WHEN rate <= 0 THEN $2::float8
			            ELSE LEAST(GREATEST(rate * 0.1, 1),
			                       bucket_tokens + extract(epoch FROM clock_timestamp() - bucket_at) * rate)
			       END AS avail
			FROM cur
		)
		UPDATE smtp_servers s
		SET bucket_tokens = CASE WHEN calc.rate <= 0 THEN 0 ELSE calc.avail - LEAST(floor(calc.avail), $2) END,
		    bucket_at = clock_timestamp()
		FROM calc WHERE s.id = calc.id
		RETURNING GREATEST(LEAST(floor(calc.avail), $2), 0)::int, calc.rate`,
		serverID, want, throttleRecovery.Seconds()).Scan(&granted, &rate)
	if err != nil {
		return 0, 0, fmt.Errorf("store: take tokens of server %d: %w", serverID, notFound(err, "server", serverID))
	}
	return granted, rate, nil
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
