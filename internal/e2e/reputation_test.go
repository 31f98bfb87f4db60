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

// TestReputationGuardPausesCampaign sends to a list where one address in
// ten does not exist: once 1,000 messages went out, the hard bounces (10%)
// pass the 5% limit and the guard pauses the campaign with the reason in
// GET /api/campaigns/{id}. A resume counts again from the pause, so the
// campaign pauses again after 1,000 more messages.
func TestReputationGuardPausesCampaign(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, func(step, rcpt string, _ int) error {
		if step == "rcpt" && strings.Contains(rcpt, ".gone@") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	})
	var csv strings.Builder
	csv.WriteString("email,name\n")
	const total = 6000
	for i := range total {
		// Subscribers are numbered in address order: the gone ones stay
		// spread over the batches.
		suffix := ""
		if i%10 == 0 {
			suffix = ".gone"
		}
		fmt.Fprintf(&csv, "p%05d%s@example.com,Person %d\n", i, suffix, i)
	}
	listID, _ := s.ImportList(csv.String())
	// 300 messages a second: the guard, reading every 5 s, sees the first
	// 1,000 sends well before the list is done.
	server := s.AddServer(sink.Port, 300, 8)
	id := s.CreateCampaign(listID, []int64{server}, 1000)
	s.Send(id)

	c := s.WaitStatus(id, "Paused", time.Minute)
	if !strings.Contains(c.StatusReason, "hard bounces") || !strings.Contains(c.StatusReason, "5.0% limit") {
		t.Errorf("status reason = %q, want the hard-bounce rate and the 5%% limit", c.StatusReason)
	}
	sent := c.Counts.Delivered + c.Counts.HardBounced
	if rate := float64(c.Counts.HardBounced) / float64(sent); rate < 0.08 || rate > 0.12 {
		t.Errorf("hard bounces are %.1f%% of the sends, want the list's 10%%", 100*rate)
	}
	if sent < 1000 || sent >= total {
		t.Errorf("paused after %d sends, want at least 1,000 and fewer than %d", sent, total)
	}
	time.Sleep(time.Second) // let sends in flight finish
	paused := len(sink.Messages())
	time.Sleep(2 * time.Second)
	if n := len(sink.Messages()); n != paused {
		t.Errorf("the server got %d messages while the campaign was paused", n-paused)
	}

	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/resume", id), nil, nil)
	if c := s.Campaign(id); c.Status != "Sending" {
		t.Errorf("after resume the campaign is %s (%s), want Sending", c.Status, c.StatusReason)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		c = s.Campaign(id)
		if c.Status != "Sending" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if c.Status != "Paused" || !strings.Contains(c.StatusReason, "since the campaign resumed") {
		t.Fatalf("after resume the campaign is %s (%q), want Paused again for the new sends", c.Status, c.StatusReason)
	}
	if resent := c.Counts.Delivered + c.Counts.HardBounced; resent < sent+1000 {
		t.Errorf("paused again after %d more sends, want at least 1,000", resent-sent)
	}
	for rcpt, n := range sink.CountByRecipient() {
		if n != 1 {
			t.Errorf("%s got %d messages, want 1", rcpt, n)
		}
	}
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/cancel", id), nil, nil)
}
