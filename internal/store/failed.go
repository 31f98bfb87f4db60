package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// FailedSend is one send that did not reach its recipient.
type FailedSend struct {
	SubscriberID   int64      `json:"subscriber_id"`
	Email          string     `json:"email"`
	Reason         string     `json:"reason"`
	SMTPCode       int        `json:"smtp_code"`
	EnhancedCode   string     `json:"enhanced_code"`
	Reply          string     `json:"reply"`
	Attempts       int        `json:"attempts"`
	FirstTryAt     *time.Time `json:"first_try_at"`
	LastTryAt      *time.Time `json:"last_try_at"`
	RedispatchedAt *time.Time `json:"redispatched_at,omitempty"`
}

// FailedFilter narrows ListFailed and Redispatch. Empty fields match all.
type FailedFilter struct {
	Reason        string
	SubscriberIDs []int64
	Limit, Offset uint64
}

// ListFailed returns a campaign's failed sends that were not re-dispatched.
func (db *DB) ListFailed(ctx context.Context, campaignID int64, f FailedFilter) ([]FailedSend, error) {
	q := psql.Select("f.subscriber_id", "s.email", "f.reason", "f.smtp_code", "f.enhanced_code",
		"f.reply", "f.attempts", "f.first_try_at", "f.last_try_at", "f.redispatched_at").
		From("failed_sends f").Join("subscribers s ON s.id = f.subscriber_id").
		Where("f.campaign_id = ? AND f.redispatched_at IS NULL", campaignID).
		OrderBy("f.subscriber_id")
	if f.Reason != "" {
		q = q.Where("f.reason = ?", f.Reason)
	}
	if len(f.SubscriberIDs) > 0 {
		q = q.Where("f.subscriber_id = ANY(?)", f.SubscriberIDs)
	}
	limit := f.Limit
	if limit == 0 || limit > 10000 {
		limit = 1000
	}
	sql, args, err := q.Limit(limit).Offset(f.Offset).ToSql()
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list failed sends of campaign %d: %w", campaignID, err)
	}
	defer rows.Close()
	out := []FailedSend{}
	for rows.Next() {
		var fs FailedSend
		if err := rows.Scan(&fs.SubscriberID, &fs.Email, &fs.Reason, &fs.SMTPCode, &fs.EnhancedCode,
			&fs.Reply, &fs.Attempts, &fs.FirstTryAt, &fs.LastTryAt, &fs.RedispatchedAt); err != nil {
			return nil, err
		}
		out = append(out, fs)
	}
	return out, rows.Err()
}

// Redispatch puts failed sends back in the queue with a fresh attempt count
// and returns the batches that now have work. Subscribers that bounced,
// complained or unsubscribed meanwhile are left out.
func (db *DB) Redispatch(ctx context.Context, campaignID int64, f FailedFilter) (int, []int, error) {
	q := psql.Update("failed_sends f").Set("redispatched_at", sqlNow).
		Where("f.campaign_id = ? AND f.redispatched_at IS NULL", campaignID).
		Where("EXISTS (SELECT 1 FROM subscribers s WHERE s.id = f.subscriber_id AND s.status = 'active')").
		Suffix("RETURNING f.subscriber_id")
	if f.Reason != "" {
		q = q.Where("f.reason = ?", f.Reason)
	}
	if len(f.SubscriberIDs) > 0 {
		q = q.Where("f.subscriber_id = ANY(?)", f.SubscriberIDs)
	}
	sql, args, err := q.ToSql()
	if err != nil {
		return 0, nil, err
	}
	var n int
	var batches []int
	err = db.Transact(ctx, func(tx pgx.Tx) error {
		n, batches = 0, nil
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		rows, err = tx.Query(ctx, `
			UPDATE sends SET status = 'queued', attempts = 0, next_try_at = NULL, done_at = NULL, claim = ''
			WHERE campaign_id = $1 AND subscriber_id = ANY($2)
			  AND status IN ('failed', 'soft_bounced', 'uncertain')
			RETURNING batch_no`, campaignID, ids)
		if err != nil {
			return err
		}
		nos, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return err
		}
		n = len(nos)
		seen := map[int32]bool{}
		for _, b := range nos {
			if !seen[b] {
				seen[b] = true
				batches = append(batches, int(b))
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("store: re-dispatch failed sends of campaign %d: %w", campaignID, err)
	}
	return n, batches, nil
}
