package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
)

// fanoutFixture is a campaign with three queued sends on a fresh database.
type fanoutFixture struct {
	db       *store.DB
	campaign int64
	subs     []int64 // a@, b@, c@example.com
}

func newFanoutFixture(t *testing.T) fanoutFixture {
	t.Helper()
	ctx := context.Background()
	f := fanoutFixture{db: testenv.DB(t)}
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		var id int64
		err := f.db.Pool().QueryRow(ctx,
			`INSERT INTO subscribers (email, email_key) VALUES ($1, $1) RETURNING id`, email).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		f.subs = append(f.subs, id)
	}
	c, err := f.db.CreateCampaign(ctx, store.Campaign{Name: "n", Subject: "s", FromEmail: "news@example.org",
		ListIDs: []int64{}, ServerIDs: []int64{}, BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	f.campaign = c.ID
	_, err = f.db.Pool().Exec(ctx,
		`INSERT INTO sends (campaign_id, subscriber_id, batch_no) SELECT $1, unnest($2::bigint[]), 0`,
		f.campaign, f.subs)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// happen makes every kind of event happen once through the store's own
// code paths: a delivery and a hard bounce recorded as send outcomes, the
// tracking and complaint events, two events no webhook carries, and a
// campaign status change.
func (f fanoutFixture) happen(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.db.Claim(ctx, f.campaign, "claim-1", f.subs[:2]); err != nil {
		t.Fatal(err)
	}
	_, err := f.db.RecordOutcomes(ctx, f.campaign, "claim-1", 0, []store.Outcome{
		{SubscriberID: f.subs[0], Status: store.SendDelivered, Attempts: 1, Code: 250,
			Reply: "250 2.0.0 queued as X1"},
		{SubscriberID: f.subs[1], Status: store.SendHardBounced, Attempts: 1, Code: 550, EnhancedCode: "5.1.1",
			Reply: "550 5.1.1 unknown user"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, sub := f.campaign, f.subs[2]
	err = f.db.AddEvents(ctx, []store.Event{
		{CampaignID: c, SubscriberID: sub, Kind: store.EventOpen, Machine: true},
		{CampaignID: c, SubscriberID: sub, Kind: store.EventClick,
			Detail: map[string]any{"url": "https://example.com/a?b=1"}},
		{CampaignID: c, SubscriberID: sub, Kind: store.EventUnsubscribe},
		{CampaignID: c, SubscriberID: sub, Kind: store.EventComplaint,
			Detail: map[string]any{"feedback_type": "abuse"}},
		{CampaignID: c, Kind: store.EventThrottle, Detail: map[string]any{"reply": "421 slow down"}},
		{CampaignID: c, SubscriberID: sub, Kind: store.EventBounceReport},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetCampaignStatus(ctx, f.campaign, store.StatusSending, ""); err != nil {
		t.Fatal(err)
	}
}

func (f fanoutFixture) deliveries(t *testing.T, endpointID int64) map[string]store.WebhookDelivery {
	t.Helper()
	list, err := f.db.ListWebhookDeliveries(context.Background(), endpointID, store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string]store.WebhookDelivery{}
	for _, d := range list {
		if _, dup := byType[d.EventType]; dup {
			t.Errorf("endpoint %d got two %s deliveries", endpointID, d.EventType)
		}
		byType[d.EventType] = d
	}
	return byType
}

func (f fanoutFixture) endpoint(t *testing.T, enabled bool, types ...string) int64 {
	t.Helper()
	ep, err := f.db.CreateWebhookEndpoint(context.Background(), store.WebhookEndpoint{
		URL:    "https://hooks.example.com/" + strings.Join(types, "-"),
		Secret: "whsec_test_0123456789", EventTypes: types, Enabled: enabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ep.ID
}

func TestWebhookFanOutEachType(t *testing.T) {
	f := newFanoutFixture(t)
	all := f.endpoint(t, true)
	clicks := f.endpoint(t, true, "clicked", "campaign_status")
	disabled := f.endpoint(t, false)
	f.happen(t)

	got := f.deliveries(t, all)
	want := map[string]map[string]any{
		"sent": {"subscriber_id": f.subs[0], "email": "a@example.com", "status": "delivered",
			"smtp_code": 250},
		"bounced":         {"subscriber_id": f.subs[1], "email": "b@example.com", "type": "hard", "status": "5.1.1"},
		"opened":          {"subscriber_id": f.subs[2], "email": "c@example.com", "machine": true},
		"clicked":         {"subscriber_id": f.subs[2], "email": "c@example.com", "url": "https://example.com/a?b=1"},
		"unsubscribed":    {"subscriber_id": f.subs[2], "email": "c@example.com"},
		"complained":      {"subscriber_id": f.subs[2], "email": "c@example.com", "feedback_type": "abuse"},
		"campaign_status": {"status": "Sending", "previous_status": "Draft", "name": "n"},
	}
	if len(got) != len(want) {
		t.Errorf("delivery types = %v, want the %d of %v", keys(got), len(want), keys(want))
	}
	for typ, fields := range want {
		d, ok := got[typ]
		if !ok {
			t.Errorf("no %s delivery", typ)
			continue
		}
		if d.Status != store.DeliveryPending || d.EventID == "" {
			t.Errorf("%s delivery is %q with event id %q, want pending with an id", typ, d.Status, d.EventID)
		}
		var data map[string]any
		if err := json.Unmarshal(d.Payload, &data); err != nil {
			t.Fatalf("%s payload %s: %v", typ, d.Payload, err)
		}
		fields["campaign_id"] = f.campaign
		for k, v := range fields {
			if gotV, _ := json.Marshal(data[k]); string(gotV) != mustJSON(v) {
				t.Errorf("%s data.%s = %s, want %s (payload %s)", typ, k, gotV, mustJSON(v), d.Payload)
			}
		}
	}

	sub := f.deliveries(t, clicks)
	if len(sub) != 2 || sub["clicked"].EventID != got["clicked"].EventID ||
		sub["campaign_status"].EventID != got["campaign_status"].EventID {
		t.Errorf("the clicked+campaign_status endpoint got %v, want the same two events as the catch-all one",
			keys(sub))
	}
	if n := len(f.deliveries(t, disabled)); n != 0 {
		t.Errorf("the disabled endpoint got %d deliveries", n)
	}
}

func TestWebhookFanOutDeduplicates(t *testing.T) {
	f := newFanoutFixture(t)
	ep := f.endpoint(t, true)
	f.happen(t)
	before := f.deliveries(t, ep)
	ctx := context.Background()

	// Updating a delivered send again, re-queuing recipients (campaign
	// row updated, status unchanged) and setting the same status again
	// are no new events.
	_, err := f.db.Pool().Exec(ctx, `UPDATE sends SET reply = reply || ' (again)' WHERE status = 'delivered'`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.QueueRecipients(ctx, f.campaign, 10); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetCampaignStatus(ctx, f.campaign, store.StatusSending, "still"); err != nil {
		t.Fatal(err)
	}
	after := f.deliveries(t, ep)
	if len(after) != len(before) {
		t.Errorf("deliveries went from %v to %v, want no new ones", keys(before), keys(after))
	}

	// A status that changes back and forth is an event each time, each
	// with its own id.
	for _, st := range []string{store.StatusPaused, store.StatusSending} {
		if err := f.db.SetCampaignStatus(ctx, f.campaign, st, ""); err != nil {
			t.Fatal(err)
		}
	}
	list, err := f.db.ListWebhookDeliveries(ctx, ep, store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	var statuses []string
	for _, d := range list {
		if ids[d.EventID] {
			t.Errorf("event id %s appears twice", d.EventID)
		}
		ids[d.EventID] = true
		if d.EventType == "campaign_status" {
			var data struct{ Status string }
			_ = json.Unmarshal(d.Payload, &data)
			statuses = append(statuses, data.Status)
		}
	}
	if strings.Join(statuses, ",") != "Sending,Paused,Sending" {
		t.Errorf("campaign_status events, newest first = %v, want Sending, Paused, Sending", statuses)
	}
}

func TestWebhookFanOutWithoutEndpoints(t *testing.T) {
	f := newFanoutFixture(t)
	f.endpoint(t, false)
	f.happen(t)
	var n int
	err := f.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM webhook_deliveries`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d deliveries with no enabled endpoint, want 0", n)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
