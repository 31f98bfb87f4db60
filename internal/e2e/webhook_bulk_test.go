package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/workflows"
)

// insertDeliveries writes n pending outbox rows for an endpoint, as the
// triggers do, with event ids prefix_1 to prefix_n.
func insertDeliveries(t *testing.T, s *webhookStack, endpointID int64, prefix string, n int) {
	t.Helper()
	_, err := s.DB.Pool().Exec(context.Background(), `
		INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload)
		SELECT $1, $2 || '_' || i, 'sent', jsonb_build_object('n', i)
		FROM generate_series(1, $3) AS i`, endpointID, prefix, n)
	if err != nil {
		t.Fatal(err)
	}
}

// workflowStarted reports whether a WebhookWorkflow was ever started for
// the delivery, running or closed.
func workflowStarted(t *testing.T, s *webhookStack, deliveryID int64) bool {
	t.Helper()
	_, err := s.Server.Temporal.DescribeWorkflowExecution(context.Background(),
		workflows.WebhookWorkflowID(deliveryID), "")
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		return true
	case errors.As(err, &notFound):
		return false
	default:
		t.Fatalf("describe the workflow of delivery %d: %v", deliveryID, err)
		return false
	}
}

// TestWebhookBulkFirstAttempt delivers a backlog to an endpoint that accepts
// everything: one signed POST per event, every row delivered at its first
// attempt, and no delivery workflow.
func TestWebhookBulkFirstAttempt(t *testing.T) {
	s := newWebhookStack(t, fastWebhookRetries, true)
	rcv := newReceiver(t, http.StatusOK)
	ep := s.createWebhook(map[string]any{"url": rcv.URL})
	rcv.setSecret(ep.Secret)
	const n = 700 // more than one round of 500
	insertDeliveries(t, s, ep.ID, "bulk", n)

	ds := s.waitDeliveries(ep.ID, store.DeliveryDelivered, n, time.Minute)
	answered, ok, events, problems := rcv.snapshot()
	for _, p := range problems {
		t.Errorf("receiver: %s", p)
	}
	if answered[http.StatusOK] != n || len(ok) != n {
		t.Errorf("the receiver got %d requests for %d distinct events, want %d of each",
			answered[http.StatusOK], len(ok), n)
	}
	for _, d := range ds {
		if ok[d.EventID] != 1 {
			t.Errorf("event %s was accepted %d times, want 1", d.EventID, ok[d.EventID])
		}
		if d.Attempts != 1 || d.LastStatusCode != http.StatusOK || d.DeliveredAt == nil || d.LastError != "" {
			t.Errorf("delivery %d: %d attempts, last status %d, error %q, delivered at %v; want one 200",
				d.ID, d.Attempts, d.LastStatusCode, d.LastError, d.DeliveredAt)
		}
		if string(events[d.EventID].Data) != string(d.Payload) {
			t.Errorf("event %s carried data %s, want %s", d.EventID, events[d.EventID].Data, d.Payload)
		}
		if workflowStarted(t, s, d.ID) {
			t.Errorf("delivery %d has a WebhookWorkflow, want its first attempt made by the dispatcher", d.ID)
		}
	}
}

// TestWebhookFirstAttemptFailsThenRetried sends a backlog to an endpoint
// that answers 503: every row gets one attempt from the dispatcher and then
// a WebhookWorkflow, which delivers it once the endpoint recovers. With 40
// rows the dispatcher also stops its round after 16 failures and pauses the
// endpoint, so some rows wait for a later round.
func TestWebhookFirstAttemptFailsThenRetried(t *testing.T) {
	s := newWebhookStack(t, fastWebhookRetries, true)
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	ep := s.createWebhook(map[string]any{"url": rcv.URL})
	rcv.setSecret(ep.Secret)
	const n = 40
	insertDeliveries(t, s, ep.ID, "retry", n)

	waitUntil(t, "every row handed to a workflow after a refused attempt", time.Minute, func() bool {
		ds := s.deliveries(ep.ID, store.DeliveryDelivering)
		for _, d := range ds {
			if d.Attempts < 1 || d.LastStatusCode != http.StatusServiceUnavailable {
				return false
			}
		}
		return len(ds) == n
	})
	rcv.setAnswer(http.StatusOK)
	ds := s.waitDeliveries(ep.ID, store.DeliveryDelivered, n, time.Minute)

	_, ok, _, problems := rcv.snapshot()
	for _, p := range problems {
		t.Errorf("receiver: %s", p)
	}
	for _, d := range ds {
		if ok[d.EventID] != 1 {
			t.Errorf("event %s was accepted %d times, want 1", d.EventID, ok[d.EventID])
		}
		if d.Attempts < 2 || d.LastStatusCode != http.StatusOK {
			t.Errorf("delivery %d: %d attempts, last status %d; want a 503 then a 200", d.ID, d.Attempts, d.LastStatusCode)
		}
		if !workflowStarted(t, s, d.ID) {
			t.Errorf("delivery %d has no WebhookWorkflow, want one for its retries", d.ID)
		}
	}
}

// TestWebhookFirstAttemptPermanentFailures ends rows failed at the
// dispatcher, with no workflow: a 410 after one attempt, and a disabled
// endpoint with no attempt at all.
func TestWebhookFirstAttemptPermanentFailures(t *testing.T) {
	s := newWebhookStack(t, fastWebhookRetries, true)
	gone := newReceiver(t, http.StatusGone)
	ep := s.createWebhook(map[string]any{"url": gone.URL})
	gone.setSecret(ep.Secret)
	off := newReceiver(t, http.StatusOK)
	disabled, err := s.DB.CreateWebhookEndpoint(context.Background(),
		store.WebhookEndpoint{URL: off.URL, Secret: "whsec_disabled"})
	if err != nil {
		t.Fatal(err)
	}
	insertDeliveries(t, s, ep.ID, "gone", 5)
	insertDeliveries(t, s, disabled.ID, "off", 3)

	for _, d := range s.waitDeliveries(ep.ID, store.DeliveryFailed, 5, 30*time.Second) {
		if d.Attempts != 1 || d.LastStatusCode != http.StatusGone {
			t.Errorf("delivery %d: %d attempts, last status %d; want one 410", d.ID, d.Attempts, d.LastStatusCode)
		}
		if workflowStarted(t, s, d.ID) {
			t.Errorf("delivery %d to a 410 endpoint has a WebhookWorkflow, want none", d.ID)
		}
	}
	for _, d := range s.waitDeliveries(disabled.ID, store.DeliveryFailed, 3, 30*time.Second) {
		want := fmt.Sprintf("webhook %d is disabled", disabled.ID)
		if d.Attempts != 0 || d.LastError != want {
			t.Errorf("delivery %d: %d attempts, error %q; want none and %q", d.ID, d.Attempts, d.LastError, want)
		}
	}
	if answered, _, _, _ := off.snapshot(); len(answered) != 0 {
		t.Errorf("the disabled endpoint got requests %v, want none", answered)
	}
}

// TestWebhookSlowEndpointDoesNotDelayFast holds every request to one
// endpoint until the test lets go, while a second endpoint takes a backlog:
// the second endpoint's rows are all delivered before any attempt to the
// first one has ended, so its rounds did not wait for the held ones.
func TestWebhookSlowEndpointDoesNotDelayFast(t *testing.T) {
	s := newWebhookStack(t, fastWebhookRetries, true)
	slow := newReceiver(t, http.StatusOK)
	release := make(chan struct{})
	held := heldReceiver{next: slow, release: release}
	slowURL := startHeld(t, &held)
	var once sync.Once
	let := func() { once.Do(func() { close(release) }) }
	// Registered after the server's cleanup, so it runs first and the
	// server can close.
	t.Cleanup(let)
	slowEP := s.createWebhook(map[string]any{"url": slowURL})
	slow.setSecret(slowEP.Secret)
	fast := newReceiver(t, http.StatusOK)
	fastEP := s.createWebhook(map[string]any{"url": fast.URL})
	fast.setSecret(fastEP.Secret)

	// The slow endpoint's rows are older, so a dispatcher that served rows
	// in id order alone would reach them first.
	const nSlow, nFast = 40, 400
	insertDeliveries(t, s, slowEP.ID, "slow", nSlow)
	waitUntil(t, "requests held by the slow endpoint", 30*time.Second, func() bool { return held.waiting() > 0 })
	insertDeliveries(t, s, fastEP.ID, "fast", nFast)

	s.waitDeliveries(fastEP.ID, store.DeliveryDelivered, nFast, time.Minute)
	for _, d := range s.deliveries(slowEP.ID, "") {
		if d.Attempts != 0 || d.Status != store.DeliveryPending {
			t.Errorf("slow delivery %d is %s after %d attempts when the fast endpoint was done; want pending, none",
				d.ID, d.Status, d.Attempts)
		}
	}
	if n := held.waiting(); n < 1 || n > 16 {
		t.Errorf("the slow endpoint holds %d requests, want 1 to 16 (its endpoint_concurrency)", n)
	}

	let()
	s.waitDeliveries(slowEP.ID, store.DeliveryDelivered, nSlow, time.Minute)
	_, ok, _, problems := slow.snapshot()
	for _, p := range problems {
		t.Errorf("slow receiver: %s", p)
	}
	if len(ok) != nSlow {
		t.Errorf("the slow endpoint accepted %d distinct events, want %d", len(ok), nSlow)
	}
	_, ok, _, problems = fast.snapshot()
	if len(ok) != nFast || len(problems) > 0 {
		t.Errorf("the fast endpoint accepted %d distinct events with problems %v, want %d", len(ok), problems, nFast)
	}
}

// heldReceiver passes each request on to next once release is closed.
type heldReceiver struct {
	next    http.Handler
	release chan struct{}
	mu      sync.Mutex
	held    int
}

func (h *heldReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.held++
	h.mu.Unlock()
	<-h.release
	h.mu.Lock()
	h.held--
	h.mu.Unlock()
	h.next.ServeHTTP(w, r)
}

// waiting returns how many requests are held now.
func (h *heldReceiver) waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held
}

// startHeld serves h on 127.0.0.1 and returns its URL. The server closes
// when the test ends, after cleanups registered later, such as the one that
// lets the held requests go.
func startHeld(t *testing.T, h *heldReceiver) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
