package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/testenv"
)

// assertOncePerRecipient fails for every recipient that got more than one
// message and reports how many got one.
func assertOncePerRecipient(t *testing.T, sink *testenv.SMTPServer) int {
	t.Helper()
	per := sink.CountByRecipient()
	for rcpt, n := range per {
		if n > 1 {
			t.Errorf("%s received %d messages, want at most 1", rcpt, n)
		}
	}
	return len(per)
}

func TestPauseResumeSendsEveryoneOnce(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(3000, "pause.example.com"))
	server := s.AddServer(sink.Port, 400, 8)
	id := s.CreateCampaign(listID, []int64{server}, 500)
	s.Send(id)

	waitDelivered(t, s, id, 400)
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/pause", id), nil, nil)
	s.WaitStatus(id, "Paused", 10*time.Second)
	// Pause stops new sends within 2 s; after that the count must not move.
	time.Sleep(2 * time.Second)
	before := len(sink.Messages())
	time.Sleep(2 * time.Second)
	if after := len(sink.Messages()); after != before {
		t.Errorf("%d messages sent while paused", after-before)
	}
	if before >= 3000 {
		t.Fatalf("campaign finished before the pause took effect; raise the list size")
	}
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/resume", id), nil, nil)
	c := s.WaitStatus(id, "Done", 2*time.Minute)
	if c.Counts.Delivered != 3000 {
		t.Errorf("delivered = %d, want 3000", c.Counts.Delivered)
	}
	if got := assertOncePerRecipient(t, sink); got != 3000 {
		t.Errorf("%d recipients got mail, want 3000", got)
	}
}

func TestCancelEndsWithCounts(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(3000, "cancel.example.com"))
	server := s.AddServer(sink.Port, 300, 4)
	id := s.CreateCampaign(listID, []int64{server}, 500)
	s.Send(id)
	waitDelivered(t, s, id, 300)
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/cancel", id), nil, nil)
	c := s.WaitStatus(id, "Cancelled", time.Minute)
	time.Sleep(time.Second)
	c = s.Campaign(id)
	if c.Counts.Cancelled == 0 {
		t.Errorf("no send was cancelled: %+v", c.Counts)
	}
	if sum := stacktest.SumCounts(c.Counts); sum != c.Counts.Total {
		t.Errorf("terminal counts add up to %d, total %d", sum, c.Counts.Total)
	}
	if got := int64(len(sink.Messages())); got != c.Counts.Delivered {
		t.Errorf("server holds %d messages, campaign counts %d delivered", got, c.Counts.Delivered)
	}
	// A cancelled campaign accepts no more commands.
	err := s.API.Do(t.Context(), "POST", fmt.Sprintf("/api/campaigns/%d/resume", id), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("resume after cancel: err = %v, want HTTP 409", err)
	}
}

func TestScheduledSendWaits(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(10, "later.example.com"))
	server := s.AddServer(sink.Port, 0, 2)
	var c struct {
		ID int64 `json:"id"`
	}
	at := time.Now().Add(4 * time.Second).UTC()
	s.Do("POST", "/api/campaigns", map[string]any{"name": "later", "subject": "Later", "from_email": "news@example.org",
		"text_body": "Hi", "list_ids": []int64{listID}, "server_ids": []int64{server}, "send_at": at}, &c)
	s.Send(c.ID)
	s.WaitStatus(c.ID, "Scheduled", 5*time.Second)
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d messages sent before the scheduled time", n)
	}
	done := s.WaitStatus(c.ID, "Done", time.Minute)
	if done.StartedAt == nil || done.StartedAt.Before(at) {
		t.Errorf("started at %v, before the scheduled %v", done.StartedAt, at)
	}
	if n := len(sink.Messages()); n != 10 {
		t.Errorf("%d messages sent, want 10", n)
	}
}

func TestRedispatchFailedSends(t *testing.T) {
	s := stacktest.New(t)
	// flaky-* recipients are blocked at the first try and accepted later.
	sink := testenv.NewSMTPServer(t, func(step, rcpt string, n int) error {
		if step == "rcpt" && strings.HasPrefix(rcpt, "flaky") && n == 1 {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected by policy"}
		}
		return nil
	})
	var csv strings.Builder
	csv.WriteString("email,name\n")
	for i := range 20 {
		prefix := "fine"
		if i%4 == 0 {
			prefix = "flaky"
		}
		fmt.Fprintf(&csv, "%s%d@redispatch.example.com,P%d\n", prefix, i, i)
	}
	listID, _ := s.ImportList(csv.String())
	server := s.AddServer(sink.Port, 0, 2)
	id := s.CreateCampaign(listID, []int64{server}, 100)
	s.Send(id)
	c := s.WaitStatus(id, "Done", time.Minute)
	if c.Counts.Failed != 5 || c.Counts.Delivered != 15 {
		t.Fatalf("counts = %+v, want 15 delivered and 5 failed", c.Counts)
	}
	var res struct {
		Redispatched int `json:"redispatched"`
	}
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/failed/redispatch", id), map[string]any{"reason": "blocked"}, &res)
	if res.Redispatched != 5 {
		t.Errorf("redispatched = %d, want 5", res.Redispatched)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		c = s.Campaign(id)
		if c.Status == "Done" && c.Counts.Delivered == 20 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if c.Counts.Delivered != 20 || c.Counts.Failed != 0 {
		t.Errorf("after re-dispatch counts = %+v, want 20 delivered", c.Counts)
	}
	if got := assertOncePerRecipient(t, sink); got != 20 {
		t.Errorf("%d recipients got mail, want 20", got)
	}
	var failed []any
	s.Do("GET", fmt.Sprintf("/api/campaigns/%d/failed", id), nil, &failed)
	if len(failed) != 0 {
		t.Errorf("failed list still has %d entries", len(failed))
	}
	err := s.API.Do(t.Context(), "POST", fmt.Sprintf("/api/campaigns/%d/failed/redispatch", id),
		map[string]any{"subscriber_ids": []int64{987654}}, nil)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "987654") {
		t.Errorf("re-dispatch of a send that is not failed: err = %v, want HTTP 400 naming 987654", err)
	}
}

func waitDelivered(t *testing.T, s *stacktest.Stack, id int64, n int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if c := s.Campaign(id); c.Counts.Delivered >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("campaign %d did not reach %d delivered", id, n)
}
