package store

import (
	"context"
	"fmt"
	"time"
)

// SendKey names one message: a campaign and the subscriber it went to.
type SendKey struct {
	CampaignID   int64
	SubscriberID int64
}

// DoneAt returns when each of the given sends got its final outcome
// (sends.done_at), for those that have one. For a delivered message that is
// the moment the receiving server accepted it. One query answers a whole
// batch of keys, each a primary-key lookup.
func (db *DB) DoneAt(ctx context.Context, keys []SendKey) (map[SendKey]time.Time, error) {
	out := make(map[SendKey]time.Time, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	campaigns := make([]int64, len(keys))
	subscribers := make([]int64, len(keys))
	for i, k := range keys {
		campaigns[i], subscribers[i] = k.CampaignID, k.SubscriberID
	}
	rows, err := db.pool.Query(ctx, `
		SELECT s.campaign_id, s.subscriber_id, s.done_at
		FROM unnest($1::bigint[], $2::bigint[]) AS k(campaign_id, subscriber_id)
		JOIN sends s ON s.campaign_id = k.campaign_id AND s.subscriber_id = k.subscriber_id
		WHERE s.done_at IS NOT NULL`, campaigns, subscribers)
	if err != nil {
		return nil, fmt.Errorf("store: read done_at of %d sends: %w", len(keys), err)
	}
	defer rows.Close()
	for rows.Next() {
		var k SendKey
		var at time.Time
		if err := rows.Scan(&k.CampaignID, &k.SubscriberID, &at); err != nil {
			return nil, fmt.Errorf("store: read done_at: %w", err)
		}
		out[k] = at
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read done_at: %w", err)
	}
	return out, nil
}
