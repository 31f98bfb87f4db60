package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Claim marks sends as committing under claim, right before the final dot of
// DATA. Only queued or retry rows are claimed. The returned ids are the rows
// this caller now owns, so a row that another worker or an earlier attempt
// already finished is never sent twice.
func (db *DB) Claim(ctx context.Context, campaignID int64, claim string, ids []int64) ([]int64, error) {
	return claimSends(ctx, db.pool, campaignID, claim, ids)
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// RecordAndClaim stores outcomes and claims sends in one round trip: both
// statements go in one pipeline, which PostgreSQL runs as one implicit
// transaction, so one commit (one WAL flush) serves both. The send loop
// records a message's outcome together with the claim of the next one.
func (db *DB) RecordAndClaim(ctx context.Context, campaignID int64, claim string, serverID int64, outs []Outcome, ids []int64) ([]int64, error) {
	var b pgx.Batch
	if len(outs) > 0 {
		b.Queue(recordSQL, recordArgs(campaignID, claim, serverID, outs)...)
	}
	b.Queue(claimSQL, campaignID, claim, ids)
	br := db.pool.SendBatch(ctx, &b)
	defer br.Close()
	if len(outs) > 0 {
		var n int
		if err := br.QueryRow().Scan(&n); err != nil {
			return nil, fmt.Errorf("store: record %d outcomes of campaign %d: %w", len(outs), campaignID, err)
		}
	}
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("store: claim sends of campaign %d: %w", campaignID, err)
	}
	claimed, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: claim sends of campaign %d: %w", campaignID, err)
	}
	return claimed, br.Close()
}

func claimSends(ctx context.Context, q querier, campaignID int64, claim string, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, claimSQL, campaignID, claim, ids)
	if err != nil {
		return nil, fmt.Errorf("store: claim sends of campaign %d: %w", campaignID, err)
	}
	defer rows.Close()
	claimed := make([]int64, 0, len(ids))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		claimed = append(claimed, id)
	}
	return claimed, rows.Err()
}

// claimSQL claims the queued or retry sends among $3 for claim $2.
const claimSQL = `
		UPDATE sends SET status = 'committing', claim = $2, last_try_at = now(),
			first_try_at = COALESCE(first_try_at, now())
		WHERE campaign_id = $1 AND subscriber_id = ANY($3) AND status IN ('queued', 'retry')
		RETURNING subscriber_id`

// Failure reasons stored in failed_sends.reason.
const (
	ReasonSoftBounce       = "soft_bounce"
	ReasonBlocked          = "blocked"
	ReasonRetriesExhausted = "retries_exhausted"
	ReasonUncertain        = "uncertain"
	ReasonRejected         = "rejected"
	ReasonInvalid          = "invalid"
)

// Outcome is the result of one send attempt.
type Outcome struct {
	SubscriberID int64
	// Status is the new send status: retry, or a terminal status.
	Status   string
	Attempts int
	// NextTry is when a retry is due; ignored for other statuses.
	NextTry      time.Time
	Code         int
	EnhancedCode string
	Reply        string
	// Reason is stored in failed_sends for failed, soft-bounced and
	// uncertain sends.
	Reason string
}

// RecordOutcomes stores the outcomes of a group of attempts in one statement:
// the sends rows, the failed_sends rows, hard-bounced subscribers and bounce
// events. A row is updated only while it is unclaimed or claimed by claim, so
// a late writer from a dead attempt cannot overwrite a newer outcome.
func (db *DB) RecordOutcomes(ctx context.Context, campaignID int64, claim string, serverID int64, outs []Outcome) (int, error) {
	return recordOutcomes(ctx, db.pool, campaignID, claim, serverID, outs)
}

func recordOutcomes(ctx context.Context, q querier, campaignID int64, claim string, serverID int64, outs []Outcome) (int, error) {
	if len(outs) == 0 {
		return 0, nil
	}
	var n int
	err := q.QueryRow(ctx, recordSQL, recordArgs(campaignID, claim, serverID, outs)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: record %d outcomes of campaign %d: %w", len(outs), campaignID, err)
	}
	return n, nil
}

// ReleaseClaim returns a claimed send to the queue without charging an
// attempt. It is for replies about the sender, not the recipient
// (throttling, a used-up quota), and for a connection lost before the final
// dot was written.
func (db *DB) ReleaseClaim(ctx context.Context, campaignID int64, claim string, subscriberID int64) error {
	_, err := db.pool.Exec(ctx, `
		UPDATE sends SET status = CASE WHEN attempts > 0 THEN 'retry' ELSE 'queued' END, claim = ''
		WHERE campaign_id = $1 AND subscriber_id = $2 AND status = 'committing' AND claim = $3`,
		campaignID, subscriberID, claim)
	if err != nil {
		return fmt.Errorf("store: release claim of campaign %d subscriber %d: %w", campaignID, subscriberID, err)
	}
	return nil
}

// recordSQL stores outcomes: the sends rows, failed_sends, hard-bounced
// subscribers and bounce events. A row is updated only while unclaimed or
// claimed by $2. The ids also filter sends directly, so the rows are found
// through the primary key even when the table's statistics predate the
// campaign: joining through o alone once let the planner scan all of a
// 50,000-row campaign for every group of outcomes.
const recordSQL = `
		WITH o AS (
			SELECT * FROM unnest($3::bigint[], $4::text[], $5::int[], $6::timestamptz[],
			                     $7::int[], $8::text[], $9::text[], $10::text[])
				AS o(sid, status, attempts, next_try_at, code, enhanced, reply, reason)
		), up AS (
			UPDATE sends s SET status = o.status, attempts = o.attempts,
				next_try_at = o.next_try_at, smtp_code = o.code, enhanced_code = o.enhanced,
				reply = o.reply, server_id = $11, claim = '',
				first_try_at = COALESCE(s.first_try_at, now()), last_try_at = now(),
				done_at = CASE WHEN o.status IN ('queued', 'retry') THEN NULL ELSE now() END
			FROM o
			WHERE s.campaign_id = $1 AND s.subscriber_id = ANY($3::bigint[]) AND s.subscriber_id = o.sid
			  AND (s.status IN ('queued', 'retry') OR (s.status = 'committing' AND s.claim = $2))
			RETURNING s.subscriber_id, s.status, s.attempts, s.first_try_at, s.last_try_at,
				s.smtp_code, s.enhanced_code, s.reply, o.reason
		), failed AS (
			INSERT INTO failed_sends (campaign_id, subscriber_id, reason, smtp_code, enhanced_code,
				reply, attempts, first_try_at, last_try_at)
			SELECT $1, subscriber_id, reason, smtp_code, enhanced_code, reply, attempts,
				first_try_at, last_try_at
			FROM up WHERE status IN ('failed', 'soft_bounced', 'uncertain')
			ON CONFLICT (campaign_id, subscriber_id) DO UPDATE SET reason = EXCLUDED.reason,
				smtp_code = EXCLUDED.smtp_code, enhanced_code = EXCLUDED.enhanced_code,
				reply = EXCLUDED.reply, attempts = EXCLUDED.attempts,
				last_try_at = EXCLUDED.last_try_at, redispatched_at = NULL
		), bounced AS (
			UPDATE subscribers sub SET status = 'bounced', status_reason = up.reply, updated_at = now()
			FROM up WHERE sub.id = up.subscriber_id AND up.status = 'hard_bounced'
			  AND sub.status = 'active'
		), ev AS (
			INSERT INTO events (campaign_id, subscriber_id, kind, detail)
			SELECT $1, subscriber_id, 'bounce', jsonb_build_object(
				'type', CASE status WHEN 'hard_bounced' THEN 'hard' ELSE 'soft' END,
				'source', 'smtp', 'smtp_code', smtp_code, 'status', enhanced_code, 'reply', reply)
			FROM up WHERE status IN ('hard_bounced', 'soft_bounced')
		)
		SELECT count(*) FROM up`

func recordArgs(campaignID int64, claim string, serverID int64, outs []Outcome) []any {
	ids := make([]int64, len(outs))
	statuses := make([]string, len(outs))
	attempts := make([]int32, len(outs))
	next := make([]*time.Time, len(outs))
	codes := make([]int32, len(outs))
	enhanced := make([]string, len(outs))
	replies := make([]string, len(outs))
	reasons := make([]string, len(outs))
	for i, o := range outs {
		ids[i], statuses[i], attempts[i] = o.SubscriberID, o.Status, int32(o.Attempts)
		if o.Status == SendRetry {
			t := o.NextTry
			next[i] = &t
		}
		codes[i], enhanced[i], replies[i], reasons[i] = int32(o.Code), o.EnhancedCode, o.Reply, o.Reason
	}
	return []any{campaignID, claim, ids, statuses, attempts, next, codes, enhanced, replies, reasons, serverID}
}
