package store_test

import (
	"context"
	"testing"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
)

// TestReputationCounts checks what the reputation guard reads: sends with a
// final answer, distinct subscribers with a hard bounce (at SMTP time or by
// a later report) or a complaint, and the counts at the last pause.
func TestReputationCounts(t *testing.T) {
	db := testenv.DB(t)
	ctx := context.Background()
	var campaignID int64
	err := db.Pool().QueryRow(ctx, `
		INSERT INTO campaigns (name, subject, from_email, list_ids, server_ids, status)
		VALUES ('c', 's', 'news@example.org', '{1}', '{1}', 'Sending') RETURNING id`).Scan(&campaignID)
	if err != nil {
		t.Fatal(err)
	}
	// Subscribers 1..10: 6 delivered, 2 hard-bounced, 1 failed, 1 queued.
	_, err = db.Pool().Exec(ctx, `
		INSERT INTO subscribers (email, email_key) SELECT 'p' || i || '@example.com', 'p' || i || '@example.com'
		FROM generate_series(1, 10) i`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Pool().Exec(ctx, `
		INSERT INTO sends (campaign_id, subscriber_id, batch_no, status)
		SELECT $1, id, 0, CASE WHEN id <= 6 THEN 'delivered' WHEN id <= 8 THEN 'hard_bounced'
			WHEN id = 9 THEN 'failed' ELSE 'queued' END FROM subscribers`, campaignID)
	if err != nil {
		t.Fatal(err)
	}
	hard := func(sub int64, source string) store.Event {
		return store.Event{CampaignID: campaignID, SubscriberID: sub, Kind: store.EventBounce,
			Detail: map[string]any{"type": "hard", "source": source}}
	}
	err = db.AddEvents(ctx, []store.Event{
		hard(7, "smtp"), hard(8, "smtp"), hard(8, "dsn"), // one subscriber, twice
		hard(1, "dsn"), // delivered, then bounced by a report
		{CampaignID: campaignID, SubscriberID: 2, Kind: store.EventBounce, Detail: map[string]any{"type": "soft"}},
		{CampaignID: campaignID, SubscriberID: 3, Kind: store.EventComplaint},
		{CampaignID: campaignID, SubscriberID: 3, Kind: store.EventComplaint},
		{CampaignID: campaignID, SubscriberID: 4, Kind: store.EventComplaint},
	})
	if err != nil {
		t.Fatal(err)
	}
	now, base, err := db.Reputation(ctx, campaignID)
	want := store.ReputationCounts{Sent: 9, HardBounces: 3, Complaints: 2}
	if err != nil || now != want || base != (store.ReputationCounts{}) {
		t.Fatalf("Reputation = %+v, %+v, %v; want %+v and no base", now, base, err, want)
	}

	for i, wantPaused := range []bool{true, false} {
		paused, err := db.PauseForReputation(ctx, campaignID, "too many bounces", now)
		if err != nil || paused != wantPaused {
			t.Errorf("pause %d: paused = %v, %v; want %v", i+1, paused, err, wantPaused)
		}
	}
	status, reason, err := db.CampaignStatus(ctx, campaignID)
	if err != nil || status != store.StatusPaused || reason != "too many bounces" {
		t.Errorf("status = %s (%s), %v; want Paused with the reason", status, reason, err)
	}
	if _, base, _ = db.Reputation(ctx, campaignID); base != want {
		t.Errorf("base after the pause = %+v, want %+v", base, want)
	}
}
