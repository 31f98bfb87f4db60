package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// EventReputationPause marks a pause by the reputation guard. Its detail
// holds the campaign's [ReputationCounts] at the pause, from which the guard
// counts again once the campaign resumes.
const EventReputationPause = "reputation_pause"

// ReputationCounts are the figures the reputation guard compares: messages
// sent, and the distinct subscribers who hard-bounced (at SMTP time or by a
// later bounce report) or complained.
type ReputationCounts struct {
	Sent        int64 `json:"sent"`
	HardBounces int64 `json:"hard_bounces"`
	Complaints  int64 `json:"complaints"`
}

// Sub returns c minus base.
func (c ReputationCounts) Sub(base ReputationCounts) ReputationCounts {
	return ReputationCounts{Sent: c.Sent - base.Sent, HardBounces: c.HardBounces - base.HardBounces,
		Complaints: c.Complaints - base.Complaints}
}

// Reputation returns a campaign's counts now, and those recorded at its
// last reputation pause (zero when it had none).
func (db *DB) Reputation(ctx context.Context, campaignID int64) (now, base ReputationCounts, err error) {
	var last *ReputationCounts
	// "Sent" is Counts.Sent: every send that left with a final answer.
	err = db.pool.QueryRow(ctx, `
		SELECT
			(SELECT count(*) FROM sends WHERE campaign_id = $1
			   AND status IN ('delivered', 'soft_bounced', 'hard_bounced', 'failed', 'uncertain')),
			(SELECT count(DISTINCT subscriber_id) FROM events
			 WHERE campaign_id = $1 AND kind = 'bounce' AND detail->>'type' = 'hard'),
			(SELECT count(DISTINCT subscriber_id) FROM events WHERE campaign_id = $1 AND kind = 'complaint'),
			(SELECT detail FROM events WHERE campaign_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1)`,
		campaignID, EventReputationPause).Scan(&now.Sent, &now.HardBounces, &now.Complaints, &last)
	if err != nil {
		return now, base, fmt.Errorf("store: reputation of campaign %d: %w", campaignID, err)
	}
	if last != nil {
		base = *last
	}
	return now, base, nil
}

// PauseForReputation pauses a campaign that is not paused, cancelled or
// done yet with reason, and records the counts it was paused at. It reports
// whether this call paused it, so of several batches that trip at once only
// one records the pause.
func (db *DB) PauseForReputation(ctx context.Context, campaignID int64, reason string,
	at ReputationCounts) (bool, error) {
	detail, err := json.Marshal(at)
	if err != nil {
		return false, err
	}
	var n int
	err = db.pool.QueryRow(ctx, `
		WITH up AS (
			UPDATE campaigns SET status = 'Paused', status_reason = $2, updated_at = now()
			WHERE id = $1 AND status NOT IN ('Paused', 'Cancelled', 'Done')
			RETURNING id
		), ev AS (
			INSERT INTO events (campaign_id, kind, detail)
			SELECT id, $3, $4::jsonb FROM up
		)
		SELECT count(*) FROM up`, campaignID, reason, EventReputationPause, string(detail)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: pause campaign %d for reputation: %w", campaignID, err)
	}
	return n == 1, nil
}
