package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/testenv"
)

// TestConnectionResetsSendEveryoneOnce drops the connection twice in a row
// in the middle of a campaign, then pauses and resumes it: messages in
// flight when the connection dropped are retried, and every recipient gets
// exactly one message.
func TestConnectionResetsSendEveryoneOnce(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	var mu sync.Mutex
	drops := 0
	sink.Drop = func(accepted int) bool {
		mu.Lock()
		defer mu.Unlock()
		if accepted >= 800 && drops < 2 {
			drops++
			return true
		}
		return false
	}
	const total = 3000
	listID, _ := s.ImportList(stacktest.SubscribersCSV(total, "reset.example.com"))
	server := s.AddServer(sink.Port, 500, 4)
	id := s.CreateCampaign(listID, []int64{server}, 500)
	s.Send(id)
	waitDelivered(t, s, id, 1200)
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/pause", id), nil, nil)
	s.WaitStatus(id, "Paused", 10*time.Second)
	time.Sleep(time.Second)
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/resume", id), nil, nil)
	c := s.WaitStatus(id, "Done", 2*time.Minute)

	mu.Lock()
	if drops != 2 {
		t.Errorf("server dropped %d connections, want 2", drops)
	}
	mu.Unlock()
	if c.Counts.Delivered != total {
		t.Errorf("delivered = %d, want %d (counts %+v)", c.Counts.Delivered, total, c.Counts)
	}
	if got := assertOncePerRecipient(t, sink); got != total {
		t.Errorf("%d recipients got mail, want %d", got, total)
	}
}

// TestNoReplyAfterDotIsUncertain has the server keep a message but never
// answer the final dot in time. The send becomes delivery-uncertain and is
// not sent again; it is not a bounce.
func TestNoReplyAfterDotIsUncertain(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, func(step, rcpt string, n int) error {
		if step == "data" && strings.HasPrefix(rcpt, "wendy") {
			time.Sleep(7 * time.Second) // the client gives up after 5 s
		}
		return nil
	})
	csv := "email,name\nwendy@example.com,Wendy\nvictor@example.com,Victor\n"
	listID, _ := s.ImportList(csv)
	server := s.AddServer(sink.Port, 0, 1)
	id := s.CreateCampaign(listID, []int64{server}, 100)
	s.Send(id)
	c := s.WaitStatus(id, "Done", time.Minute)
	if c.Counts.Uncertain != 1 || c.Counts.Delivered != 1 {
		t.Errorf("counts = %+v, want 1 uncertain and 1 delivered", c.Counts)
	}
	if c.Counts.HardBounced+c.Counts.SoftBounced != 0 {
		t.Errorf("an uncertain delivery was counted as a bounce: %+v", c.Counts)
	}
	time.Sleep(3 * time.Second)
	if n := sink.CountByRecipient()["wendy@example.com"]; n != 1 {
		t.Errorf("wendy received %d messages, want exactly the one the server kept", n)
	}
	var failed []struct {
		Email  string `json:"email"`
		Reason string `json:"reason"`
	}
	s.Do("GET", fmt.Sprintf("/api/campaigns/%d/failed?reason=uncertain", id), nil, &failed)
	if len(failed) != 1 || failed[0].Email != "wendy@example.com" {
		t.Errorf("uncertain failed sends = %+v, want wendy", failed)
	}
}

// sesRelay imitates a provider relay with a per-second rate and a daily
// quota, replying as Amazon SES does.
type sesRelay struct {
	mu       sync.Mutex
	perSec   int
	quota    int
	window   time.Time
	inWindow int
	accepted int
	throttle int
}

func (r *sesRelay) script(step, _ string, _ int) error {
	if step != "data" {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.accepted >= r.quota {
		return &smtp.SMTPError{Code: 454, Message: "Throttling failure: Daily message quota exceeded."}
	}
	now := time.Now().Truncate(time.Second)
	if !now.Equal(r.window) {
		r.window, r.inWindow = now, 0
	}
	if r.inWindow >= r.perSec {
		r.throttle++
		return &smtp.SMTPError{Code: 454, Message: "Throttling failure: Maximum sending rate exceeded."}
	}
	r.inWindow++
	r.accepted++
	return nil
}

// TestProviderThrottleAndQuota sends through a relay that throttles above
// 20 messages per second and stops after a daily quota of 300. Throttle
// replies never fail or bounce a recipient; the quota reply pauses the
// campaign at exactly the quota, and after the quota is raised a resume
// sends the rest without duplicates.
func TestProviderThrottleAndQuota(t *testing.T) {
	s := stacktest.New(t)
	relay := &sesRelay{perSec: 20, quota: 300}
	sink := testenv.NewSMTPServer(t, relay.script)
	const total = 450
	listID, _ := s.ImportList(stacktest.SubscribersCSV(total, "ses.example.com"))
	server := s.AddServer(sink.Port, 40, 6) // twice what the relay allows
	id := s.CreateCampaign(listID, []int64{server}, 100)
	s.Send(id)
	c := s.WaitStatus(id, "Paused", 2*time.Minute)
	if !strings.Contains(c.StatusReason, "quota") {
		t.Errorf("pause reason %q does not name the quota", c.StatusReason)
	}
	time.Sleep(2 * time.Second)
	c = s.Campaign(id)
	if c.Counts.Delivered != 300 {
		t.Errorf("delivered when paused = %d, want the quota of 300", c.Counts.Delivered)
	}
	if n := c.Counts.Failed + c.Counts.SoftBounced + c.Counts.HardBounced; n != 0 {
		t.Errorf("%d recipients failed or bounced because of 454 replies", n)
	}
	relay.mu.Lock()
	throttled := relay.throttle
	relay.quota = 1000
	relay.mu.Unlock()
	if throttled == 0 {
		t.Errorf("the relay never throttled; the test does not exercise the throttle path")
	}
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/resume", id), nil, nil)
	c = s.WaitStatus(id, "Done", 2*time.Minute)
	if c.Counts.Delivered != total {
		t.Errorf("delivered = %d, want %d (counts %+v)", c.Counts.Delivered, total, c.Counts)
	}
	if got := assertOncePerRecipient(t, sink); got != total {
		t.Errorf("%d recipients got mail, want %d", got, total)
	}
}
