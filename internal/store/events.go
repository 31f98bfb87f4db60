package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Event kinds stored in the events table.
const (
	EventBounce      = "bounce"
	EventComplaint   = "complaint"
	EventOpen        = "open"
	EventClick       = "click"
	EventUnsubscribe = "unsubscribe"
	EventThrottle    = "throttle"
	// EventBounceReport marks every report the bounce processor received
	// for a campaign, whatever its verdict.
	EventBounceReport = "bounce_report"
)

// Event is one thing that happened to a campaign or subscriber.
type Event struct {
	ID           int64          `json:"id"`
	CampaignID   int64          `json:"campaign_id,omitempty"`
	SubscriberID int64          `json:"subscriber_id,omitempty"`
	Kind         string         `json:"kind"`
	Detail       map[string]any `json:"detail"`
	Machine      bool           `json:"machine"`
	CreatedAt    time.Time      `json:"created_at"`
}

// AddEvents inserts events in one statement. A zero CampaignID or
// SubscriberID is stored as NULL.
func (db *DB) AddEvents(ctx context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	campaigns := make([]*int64, len(events))
	subscribers := make([]*int64, len(events))
	kinds := make([]string, len(events))
	details := make([]string, len(events))
	machine := make([]bool, len(events))
	at := make([]time.Time, len(events))
	for i, e := range events {
		if e.CampaignID != 0 {
			campaigns[i] = &events[i].CampaignID
		}
		if e.SubscriberID != 0 {
			subscribers[i] = &events[i].SubscriberID
		}
		d, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("store: event detail: %w", err)
		}
		if e.Detail == nil {
			d = []byte("{}")
		}
		kinds[i], details[i], machine[i] = e.Kind, string(d), e.Machine
		at[i] = e.CreatedAt
		if at[i].IsZero() {
			at[i] = time.Now()
		}
	}
	_, err := db.pool.Exec(ctx, `
		INSERT INTO events (campaign_id, subscriber_id, kind, detail, machine, created_at)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::jsonb[], $5::bool[], $6::timestamptz[])`,
		campaigns, subscribers, kinds, details, machine, at)
	if err != nil {
		return fmt.Errorf("store: insert %d events: %w", len(events), err)
	}
	return nil
}

// RecentEvents returns how many events of kind a campaign had since t.
func (db *DB) RecentEvents(ctx context.Context, campaignID int64, kind string, since time.Time) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `
		SELECT count(*) FROM events WHERE campaign_id = $1 AND kind = $2 AND created_at >= $3`,
		campaignID, kind, since).Scan(&n)
	return n, err
}
