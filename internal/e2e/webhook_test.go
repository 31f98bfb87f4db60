package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/apiclient"
	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
	"github.com/pacer-email/pacer/internal/webhook"
	"github.com/pacer-email/pacer/workflows"
)

// TestWebhookReceiverDownThenUp sends a campaign while the receiver answers
// 503, as a receiver that is down does, then brings it back: every event
// arrives, signed, exactly once.
func TestWebhookReceiverDownThenUp(t *testing.T) {
	s := newWebhookStack(t, fastWebhookRetries, true)
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	ep := s.createWebhook(map[string]any{"url": rcv.URL + "/pacer"})
	if !strings.HasPrefix(ep.Secret, "whsec_") || !ep.Enabled || len(ep.EventTypes) != 0 {
		t.Fatalf("created webhook = %+v, want an enabled endpoint for every type with a generated secret", ep)
	}
	rcv.setSecret(ep.Secret)
	assertNoSecretListed(t, s.Stack)

	sink := testenv.NewSMTPServer(t, nil)
	const n = 40
	listID, _ := s.ImportList(stacktest.SubscribersCSV(n, "hooks.example.com"))
	id := s.CreateCampaign(listID, []int64{s.AddServer(sink.Port, 0, 4)}, 10)
	s.Send(id)
	s.WaitStatus(id, "Done", 2*time.Minute)

	var statuses int
	if err := s.DB.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM webhook_deliveries WHERE event_type = 'campaign_status'`).Scan(&statuses); err != nil {
		t.Fatal(err)
	}
	want := n + statuses
	// Down while the campaign ran, and until every event was refused twice.
	waitUntil(t, "every event refused twice", time.Minute, func() bool {
		ds := s.deliveries(ep.ID, "")
		for _, d := range ds {
			if d.Attempts < 2 || d.LastStatusCode != http.StatusServiceUnavailable {
				return false
			}
		}
		return len(ds) == want
	})
	rcv.setAnswer(http.StatusOK)
	ds := s.waitDeliveries(ep.ID, store.DeliveryDelivered, want, time.Minute)

	answered, ok, events, problems := rcv.snapshot()
	for _, p := range problems {
		t.Errorf("receiver: %s", p)
	}
	for _, d := range ds {
		if got := ok[d.EventID]; got != 1 {
			t.Errorf("event %s (%s) was accepted %d times, want exactly 1", d.EventID, d.EventType, got)
		}
		if d.Attempts < 3 || d.LastStatusCode != http.StatusOK || d.DeliveredAt == nil {
			t.Errorf("delivery %d: %d attempts, last status %d, delivered at %v; want 3 or more, the last a 200",
				d.ID, d.Attempts, d.LastStatusCode, d.DeliveredAt)
		}
	}
	if len(ok) != want || answered[http.StatusOK] != want {
		t.Errorf("the receiver accepted %d distinct events in %d requests, want %d",
			len(ok), answered[http.StatusOK], want)
	}
	checkSentEvents(t, events, id, n)
	t.Logf("%d events (%d sent, %d campaign_status); answers %v", want, n, statuses, answered)
}

// TestWebhookReceiverUnreachableThenBack delivers to a port where nothing
// listens at first: connection errors are retried like 5xx answers.
func TestWebhookReceiverUnreachableThenBack(t *testing.T) {
	s := newWebhookStack(t, fastWebhookRetries, true)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ep := s.createWebhook(map[string]any{"url": "http://" + addr + "/hook"})
	changeStatus(t, s, store.StatusScheduled)
	changeStatus(t, s, store.StatusQueued)

	waitUntil(t, "two failed attempts per delivery", 30*time.Second, func() bool {
		ds := s.deliveries(ep.ID, "")
		for _, d := range ds {
			if d.Attempts < 2 || !strings.Contains(d.LastError, "connection refused") {
				return false
			}
		}
		return len(ds) == 2
	})
	rcv := newReceiverAt(t, addr, http.StatusOK)
	rcv.setSecret(ep.Secret)
	s.waitDeliveries(ep.ID, store.DeliveryDelivered, 2, 30*time.Second)
	_, ok, _, problems := rcv.snapshot()
	if len(ok) != 2 || len(problems) > 0 {
		t.Errorf("the receiver accepted %v with problems %v, want 2 events once each", ok, problems)
	}
	for id, n := range ok {
		if n != 1 {
			t.Errorf("event %s accepted %d times, want 1", id, n)
		}
	}
}

func assertNoSecretListed(t *testing.T, s *stacktest.Stack) {
	t.Helper()
	var list []map[string]any
	s.Do("GET", "/api/webhooks", nil, &list)
	if len(list) == 0 {
		t.Fatal("GET /api/webhooks lists nothing")
	}
	for _, ep := range list {
		if _, ok := ep["secret"]; ok {
			t.Errorf("GET /api/webhooks shows a secret: %v", ep)
		}
	}
}

// checkSentEvents checks the sent events: one per recipient, with the
// address and the campaign in data.
func checkSentEvents(t *testing.T, events map[string]webhook.Event, campaignID int64, n int) {
	t.Helper()
	emails := map[string]bool{}
	for _, ev := range events {
		if ev.Type != webhook.EventSent {
			continue
		}
		var data struct {
			CampaignID int64  `json:"campaign_id"`
			Email      string `json:"email"`
			Status     string `json:"status"`
		}
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.CampaignID != campaignID || data.Status != store.SendDelivered || ev.CreatedAt.IsZero() {
			t.Errorf("sent event %s: %s at %v", ev.ID, ev.Data, ev.CreatedAt)
		}
		emails[data.Email] = true
	}
	if len(emails) != n {
		t.Errorf("sent events name %d addresses, want %d", len(emails), n)
	}
}

func waitUntil(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// changeStatus makes a campaign_status event: the trigger sees any update
// of campaigns.status.
func changeStatus(t *testing.T, s *webhookStack, status string) int64 {
	t.Helper()
	c, err := s.DB.CreateCampaign(context.Background(), store.Campaign{Name: "hooks", Subject: "s",
		FromEmail: "news@example.org", ListIDs: []int64{}, ServerIDs: []int64{}, BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DB.SetCampaignStatus(context.Background(), c.ID, status, "test"); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func TestWebhookRetriesExhaustedThenReplay(t *testing.T) {
	opts := fastWebhookRetries
	opts.ScheduleToClose = 3 * time.Second
	s := newWebhookStack(t, opts, true)
	rcv := newReceiver(t, http.StatusInternalServerError)
	const secret = "my-own-secret-0123456789"
	ep := s.createWebhook(map[string]any{
		"url": rcv.URL, "secret": secret, "event_types": []string{"campaign_status"},
	})
	if ep.Secret != "" {
		t.Errorf("the answer repeats a secret the caller chose")
	}
	rcv.setSecret(secret)
	changeStatus(t, s, store.StatusScheduled)

	d := s.waitDeliveries(ep.ID, store.DeliveryFailed, 1, 30*time.Second)[0]
	if d.Attempts < 3 || d.LastStatusCode != 500 || !strings.Contains(d.LastError, "500") {
		t.Errorf("failed delivery: %d attempts, last status %d, error %q; want 3 or more 500s",
			d.Attempts, d.LastStatusCode, d.LastError)
	}
	if failed := s.deliveries(ep.ID, store.DeliveryFailed); len(failed) != 1 || failed[0].ID != d.ID {
		t.Errorf("?status=failed lists %v, want delivery %d", failed, d.ID)
	}

	rcv.setAnswer(http.StatusNoContent)
	var replayed store.WebhookDelivery
	s.Do("POST", fmt.Sprintf("/api/webhooks/%d/deliveries/%d/replay", ep.ID, d.ID), nil, &replayed)
	if replayed.Status != store.DeliveryPending {
		t.Errorf("replayed delivery is %s, want pending", replayed.Status)
	}
	got := s.waitDeliveries(ep.ID, store.DeliveryDelivered, 1, 30*time.Second)[0]
	_, ok, _, problems := rcv.snapshot()
	if ok[d.EventID] != 1 || len(problems) > 0 || got.EventID != d.EventID || got.Attempts != d.Attempts+1 {
		t.Errorf("after replay: accepted %d times, attempts %d (were %d), problems %v; want once, one more attempt",
			ok[d.EventID], got.Attempts, d.Attempts, problems)
	}
}

// TestWebhookReplayInFlight refuses to replay a delivery whose workflow
// runs, and takes one whose workflow an operator terminated.
func TestWebhookReplayInFlight(t *testing.T) {
	s := newWebhookStack(t, fastWebhookRetries, true)
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	ep := s.createWebhook(map[string]any{"url": rcv.URL})
	rcv.setSecret(ep.Secret)
	changeStatus(t, s, store.StatusScheduled)
	var d store.WebhookDelivery
	waitUntil(t, "a refused attempt", 30*time.Second, func() bool {
		ds := s.deliveries(ep.ID, store.DeliveryDelivering)
		if len(ds) == 1 && ds[0].Attempts > 0 {
			d = ds[0]
			return true
		}
		return false
	})
	ctx := context.Background()
	replay := fmt.Sprintf("/api/webhooks/%d/deliveries/%d/replay", ep.ID, d.ID)
	err := s.API.Do(ctx, "POST", replay, nil, nil)
	if apiErr := (*apiclient.Error)(nil); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		t.Errorf("replaying a delivery in flight: %v, want 409", err)
	}

	err = s.Server.Temporal.TerminateWorkflow(ctx, workflows.WebhookWorkflowID(d.ID), "", "test: operator stops it")
	if err != nil {
		t.Fatal(err)
	}
	rcv.setAnswer(http.StatusOK)
	s.Do("POST", replay, nil, nil)
	s.waitDeliveries(ep.ID, store.DeliveryDelivered, 1, 30*time.Second)
	if _, ok, _, _ := rcv.snapshot(); ok[d.EventID] != 1 {
		t.Errorf("event %s accepted %d times after the replay, want 1", d.EventID, ok[d.EventID])
	}
}

func TestWebhookGoneFailsAtOnceAndReplayFailed(t *testing.T) {
	s := newWebhookStack(t, fastWebhookRetries, true)
	rcv := newReceiver(t, http.StatusGone)
	ep := s.createWebhook(map[string]any{"url": rcv.URL})
	rcv.setSecret(ep.Secret)
	changeStatus(t, s, store.StatusScheduled)
	changeStatus(t, s, store.StatusQueued)

	for _, d := range s.waitDeliveries(ep.ID, store.DeliveryFailed, 2, 30*time.Second) {
		if d.Attempts != 1 || d.LastStatusCode != http.StatusGone {
			t.Errorf("delivery %d: %d attempts, last status %d; want one 410", d.ID, d.Attempts, d.LastStatusCode)
		}
	}
	var list []createdWebhook
	s.Do("GET", "/api/webhooks", nil, &list)
	if len(list) != 1 || !list[0].Enabled {
		t.Errorf("after a 410 the endpoints are %+v, want the endpoint still enabled", list)
	}

	rcv.setAnswer(http.StatusOK)
	var res struct {
		Replayed int `json:"replayed"`
	}
	s.Do("POST", fmt.Sprintf("/api/webhooks/%d/replay-failed", ep.ID), nil, &res)
	if res.Replayed != 2 {
		t.Errorf("replay-failed replayed %d, want 2", res.Replayed)
	}
	s.waitDeliveries(ep.ID, store.DeliveryDelivered, 2, 30*time.Second)
	if _, ok, _, _ := rcv.snapshot(); len(ok) != 2 {
		t.Errorf("the receiver accepted %d events, want 2", len(ok))
	}
}

// TestWebhookRefusesInternalAddresses checks both guards with
// webhooks.allow_private off: the API refuses the URLs before any
// connection, and the worker refuses to connect to a name that resolves to
// loopback when it delivers. No traffic goes to 10.x or 169.254.169.254:
// the API only parses them.
func TestWebhookRefusesInternalAddresses(t *testing.T) {
	s := newWebhookStack(t, fastWebhookRetries, false)
	rcv := newReceiver(t, http.StatusOK)
	port := rcv.URL[strings.LastIndex(rcv.URL, ":")+1:]
	for _, u := range []string{
		rcv.URL + "/hook",
		"http://10.0.0.1/hook",
		"http://169.254.169.254/latest/meta-data/",
		"http://localhost:" + port + "/hook",
	} {
		err := s.API.Do(context.Background(), "POST", "/api/webhooks", map[string]any{"url": u}, nil)
		apiErr := (*apiclient.Error)(nil)
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest ||
			!strings.Contains(apiErr.Message, "loopback, private or link-local") {
			t.Errorf("POST /api/webhooks %s: %v, want 400 naming the address class", u, err)
		}
	}
	ftp := map[string]any{"url": "ftp://hooks.example.com/"}
	err := s.API.Do(context.Background(), "POST", "/api/webhooks", ftp, nil)
	if apiErr := (*apiclient.Error)(nil); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Errorf("POST /api/webhooks ftp://: %v, want 400", err)
	}

	// An endpoint whose name pointed elsewhere when it was created.
	ep, err := s.DB.CreateWebhookEndpoint(context.Background(), store.WebhookEndpoint{
		URL: "http://localhost:" + port + "/hook", Secret: "whsec_test_0123456789", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	changeStatus(t, s, store.StatusScheduled)
	d := s.waitDeliveries(ep.ID, store.DeliveryFailed, 1, 30*time.Second)[0]
	refused := strings.Contains(d.LastError, "127.0.0.1") && strings.Contains(d.LastError, "allow_private")
	if d.Attempts != 1 || !refused {
		t.Errorf("delivery to localhost: %d attempts, error %q; want one refused attempt", d.Attempts, d.LastError)
	}
	if n := rcv.conns.Load(); n != 0 {
		t.Errorf("the receiver on 127.0.0.1 got %d connections, want none", n)
	}
}

func TestWebhookAPIValidation(t *testing.T) {
	s := newWebhookStack(t, fastWebhookRetries, true)
	for _, body := range []map[string]any{
		{"url": "http://127.0.0.1:1/", "event_types": []string{"delivered"}},
		{"url": "http://127.0.0.1:1/", "secret": "short"},
		{"url": ""},
	} {
		err := s.API.Do(context.Background(), "POST", "/api/webhooks", body, nil)
		if apiErr := (*apiclient.Error)(nil); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
			t.Errorf("POST /api/webhooks %v: %v, want 400", body, err)
		}
	}
	ep := s.createWebhook(map[string]any{"url": "http://127.0.0.1:1/", "enabled": false})
	for _, path := range []string{
		"/api/webhooks/" + strconv.FormatInt(ep.ID, 10) + "/deliveries?status=lost",
		"/api/webhooks/999999/deliveries",
	} {
		if err := s.API.Do(context.Background(), "GET", path, nil, nil); err == nil {
			t.Errorf("GET %s succeeded", path)
		}
	}
	s.Do("DELETE", fmt.Sprintf("/api/webhooks/%d", ep.ID), nil, nil)
	err := s.API.Do(context.Background(), "DELETE", fmt.Sprintf("/api/webhooks/%d", ep.ID), nil, nil)
	if apiErr := (*apiclient.Error)(nil); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("deleting twice: %v, want 404", err)
	}
}
