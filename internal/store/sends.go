package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// QueueResult is what queuing a campaign produced.
type QueueResult struct {
	Total   int `json:"total"`
	Skipped int `json:"skipped"`
	Batches int `json:"batches"`
}

// QueueRecipients inserts one sends row per distinct subscriber of the
// campaign's lists, numbered into batches of batchSize. Subscribers that are
// not active get a skipped row with the reason, so the counts always add up
// to the total. It is idempotent: a second call adds nothing and returns the
// same result.
func (db *DB) QueueRecipients(ctx context.Context, campaignID int64, batchSize int) (QueueResult, error) {
	if batchSize <= 0 {
		return QueueResult{}, fmt.Errorf("store: batch size %d: must be positive", batchSize)
	}
	var res QueueResult
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		var listIDs []int64
		var batches int
		err := tx.QueryRow(ctx, `SELECT list_ids, batches FROM campaigns WHERE id = $1 FOR UPDATE`, campaignID).
			Scan(&listIDs, &batches)
		if err != nil {
			return notFound(err, "campaign", campaignID)
		}
		counted := false
		if batches == 0 {
			counted, res, err = insertSends(ctx, tx, campaignID, listIDs, batchSize)
			if err != nil {
				return fmt.Errorf("insert sends: %w", err)
			}
		}
		if !counted {
			err = tx.QueryRow(ctx, `
				SELECT count(*), count(*) FILTER (WHERE status = 'skipped'), COALESCE(max(batch_no) + 1, 0)
				FROM sends WHERE campaign_id = $1`, campaignID).Scan(&res.Total, &res.Skipped, &res.Batches)
			if err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE campaigns SET total = $2, batches = $3, updated_at = now() WHERE id = $1`,
			campaignID, res.Total, res.Batches)
		return err
	})
	if err != nil {
		return QueueResult{}, fmt.Errorf("store: queue campaign %d: %w", campaignID, err)
	}
	return res, nil
}

// insertSends inserts the sends rows of a campaign that has no batches yet.
// When the campaign has no sends rows at all, it also returns their counts
// with counted set. Otherwise it skips the subscribers that already have a
// row, and the caller counts the table.
func insertSends(ctx context.Context, tx pgx.Tx, campaignID int64, listIDs []int64, batchSize int) (counted bool, res QueueResult, err error) {
	// Subscribers are numbered in id order, and the rows are inserted in that
	// order, so both sends indexes grow at their right end. list_subscribers
	// may hold a subscriber in several lists, so DISTINCT makes one row per
	// person. With a single list, a plain equality lets the planner read that
	// list's members in subscriber order from the (list_id, subscriber_id)
	// primary key. With = ANY the planner cannot assume that order, and it
	// may instead walk list_subscribers_subscriber_idx through the members of
	// every list.
	members, listArg := `list_id = ANY($2)`, any(listIDs)
	if len(listIDs) == 1 {
		members, listArg = `list_id = $2`, listIDs[0]
	}
	insert := `
		INSERT INTO sends (campaign_id, subscriber_id, batch_no, status, reply, done_at)
		SELECT $1, m.subscriber_id,
		       ((row_number() OVER (ORDER BY m.subscriber_id)) - 1) / $3,
		       CASE WHEN s.status = 'active' THEN 'queued' ELSE 'skipped' END,
		       CASE WHEN s.status = 'active' THEN '' ELSE 'suppressed: subscriber is ' || s.status END,
		       CASE WHEN s.status = 'active' THEN NULL ELSE now() END
		FROM (SELECT DISTINCT subscriber_id FROM list_subscribers WHERE ` + members + `) m
		JOIN subscribers s ON s.id = m.subscriber_id`

	var exists bool
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sends WHERE campaign_id = $1)`, campaignID).Scan(&exists)
	if err != nil {
		return false, QueueResult{}, err
	}
	if exists {
		// Rows written some other way keep their batch numbers and are left
		// alone. ON CONFLICT makes PostgreSQL check the primary key before
		// each insert, which is why the common case below goes without it.
		_, err = tx.Exec(ctx, insert+` ON CONFLICT DO NOTHING`, campaignID, listArg, batchSize)
		return false, QueueResult{}, err
	}

	// No row can conflict under READ COMMITTED, the PostgreSQL default. The
	// caller holds the campaign row FOR UPDATE, and any other insert into
	// sends for this campaign waits for that lock, because the campaign_id
	// foreign key check takes FOR KEY SHARE on the same row. The counts come
	// from the inserted rows, not from a second scan of sends.
	err = tx.QueryRow(ctx, `
		WITH ins AS (`+insert+`
			RETURNING status, batch_no
		)
		SELECT count(*), count(*) FILTER (WHERE status = 'skipped'), COALESCE(max(batch_no) + 1, 0)
		FROM ins`, campaignID, listArg, batchSize).Scan(&res.Total, &res.Skipped, &res.Batches)
	if err != nil {
		return false, QueueResult{}, err
	}
	return true, res, nil
}

// Counts returns how many sends of a campaign are in each status.
func (db *DB) Counts(ctx context.Context, campaignID int64) (Counts, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT status, count(*) FROM sends WHERE campaign_id = $1 GROUP BY status`, campaignID)
	if err != nil {
		return Counts{}, fmt.Errorf("store: count sends of campaign %d: %w", campaignID, err)
	}
	defer rows.Close()
	var c Counts
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return Counts{}, err
		}
		c.add(status, n)
	}
	return c, rows.Err()
}

// Recipient is one pending send with the subscriber fields templates use.
type Recipient struct {
	SubscriberID int64
	Email        string
	Name         string
	Attribs      map[string]any
	Status       string // the subscriber's status, which may have changed since queuing
	Attempts     int
}

// PendingRecipients returns the queued sends of a batch. Sends waiting for a
// retry are left to the per-recipient SendEmail activity. A subscriber
// deleted while the campaign was queuing comes back with status "deleted",
// which the send loop skips.
func (db *DB) PendingRecipients(ctx context.Context, campaignID int64, batchNo int) ([]Recipient, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT s.subscriber_id, COALESCE(sub.email, ''), COALESCE(sub.name, ''),
		       COALESCE(sub.attribs, '{}'), COALESCE(sub.status, 'deleted'), s.attempts
		FROM sends s LEFT JOIN subscribers sub ON sub.id = s.subscriber_id
		WHERE s.campaign_id = $1 AND s.batch_no = $2
		  AND s.status = 'queued'
		ORDER BY s.subscriber_id`, campaignID, batchNo)
	if err != nil {
		return nil, fmt.Errorf("store: load batch %d of campaign %d: %w", batchNo, campaignID, err)
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var r Recipient
		if err := rows.Scan(&r.SubscriberID, &r.Email, &r.Name, &r.Attribs, &r.Status, &r.Attempts); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// BatchState summarises the sends of one batch that are not final yet.
type BatchState struct {
	Queued int
	Retry  int
	// NextRetry is the earliest time a retry row is due; zero when none.
	NextRetry time.Time
	// Committing counts rows claimed for the final dot without an outcome.
	Committing int
}

// GetBatchState returns what is left to do in a batch.
func (db *DB) GetBatchState(ctx context.Context, campaignID int64, batchNo int) (BatchState, error) {
	var st BatchState
	var next *time.Time
	err := db.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE status = 'queued'),
		       count(*) FILTER (WHERE status = 'retry'),
		       min(next_try_at) FILTER (WHERE status = 'retry'),
		       count(*) FILTER (WHERE status = 'committing')
		FROM sends WHERE campaign_id = $1 AND batch_no = $2`, campaignID, batchNo).
		Scan(&st.Queued, &st.Retry, &next, &st.Committing)
	if err != nil {
		return BatchState{}, fmt.Errorf("store: batch %d of campaign %d: %w", batchNo, campaignID, err)
	}
	if next != nil {
		st.NextRetry = *next
	}
	return st, nil
}

// UncertainReply is stored for sends whose connection was lost after the
// final dot, when the server may or may not have accepted the message.
const UncertainReply = "delivery uncertain: no reply after the final dot of DATA; not resent, re-dispatch to send again"

// ResolveStaleClaims marks sends of a batch that have been claimed for longer
// than olderThan without an outcome as uncertain: the process that claimed
// them died between the final dot and recording the reply (RFC 1047).
func (db *DB) ResolveStaleClaims(ctx context.Context, campaignID int64, batchNo int, olderThan time.Duration) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `
		WITH up AS (
			UPDATE sends SET status = 'uncertain', reply = $4, done_at = now(), attempts = attempts + 1
			WHERE campaign_id = $1 AND batch_no = $2 AND status = 'committing'
			  AND last_try_at < now() - make_interval(secs => $3)
			RETURNING subscriber_id, attempts, first_try_at, last_try_at
		), failed AS (
			INSERT INTO failed_sends (campaign_id, subscriber_id, reason, reply, attempts, first_try_at, last_try_at)
			SELECT $1, subscriber_id, 'uncertain', $4, attempts, first_try_at, last_try_at FROM up
			ON CONFLICT (campaign_id, subscriber_id) DO UPDATE SET reason = EXCLUDED.reason,
				reply = EXCLUDED.reply, attempts = EXCLUDED.attempts,
				last_try_at = EXCLUDED.last_try_at, redispatched_at = NULL
		)
		SELECT count(*) FROM up`, campaignID, batchNo, olderThan.Seconds(), UncertainReply).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: resolve stale claims of campaign %d batch %d: %w", campaignID, batchNo, err)
	}
	return n, nil
}

// CancelPending marks every send of a campaign that has not started as cancelled.
func (db *DB) CancelPending(ctx context.Context, campaignID int64) (int64, error) {
	tag, err := db.pool.Exec(ctx, `
		UPDATE sends SET status = 'cancelled', done_at = now()
		WHERE campaign_id = $1 AND status IN ('queued', 'retry')`, campaignID)
	if err != nil {
		return 0, fmt.Errorf("store: cancel sends of campaign %d: %w", campaignID, err)
	}
	return tag.RowsAffected(), nil
}

// RetryIDs returns the subscribers of a batch waiting for a per-recipient retry.
func (db *DB) RetryIDs(ctx context.Context, campaignID int64, batchNo int) ([]int64, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT subscriber_id FROM sends
		WHERE campaign_id = $1 AND batch_no = $2 AND status = 'retry'
		ORDER BY subscriber_id`, campaignID, batchNo)
	if err != nil {
		return nil, fmt.Errorf("store: retries of campaign %d batch %d: %w", campaignID, batchNo, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// GetRecipient returns one send with its subscriber, and the send status.
func (db *DB) GetRecipient(ctx context.Context, campaignID, subscriberID int64) (Recipient, string, error) {
	var r Recipient
	var status string
	err := db.pool.QueryRow(ctx, `
		SELECT s.subscriber_id, sub.email, sub.name, sub.attribs, sub.status, s.attempts, s.status
		FROM sends s JOIN subscribers sub ON sub.id = s.subscriber_id
		WHERE s.campaign_id = $1 AND s.subscriber_id = $2`, campaignID, subscriberID).
		Scan(&r.SubscriberID, &r.Email, &r.Name, &r.Attribs, &r.Status, &r.Attempts, &status)
	if err != nil {
		return Recipient{}, "", fmt.Errorf("send of campaign %d to subscriber %d: %w", campaignID, subscriberID, notFound(err, "send", subscriberID))
	}
	return r, status, nil
}

// AnalyzeSends refreshes the planner's statistics of the sends table.
// Queuing adds a campaign's rows in one statement, and until autovacuum
// next samples the table the planner takes the campaign for a few rows
// and may pick plans that scan all of them for every batch of outcomes.
// ANALYZE reads a fixed sample, so it costs well under a second at any
// table size.
func (db *DB) AnalyzeSends(ctx context.Context) error {
	if _, err := db.pool.Exec(ctx, `ANALYZE sends`); err != nil {
		return fmt.Errorf("store: analyze sends: %w", err)
	}
	return nil
}
