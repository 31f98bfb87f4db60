package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/testenv"
)

// TestRateHoldsAndChangesLive sends at 40 messages per second, checks that
// no window exceeds the rate, then raises the rate through the API while
// the campaign sends and sees the new pace within 5 seconds.
func TestRateHoldsAndChangesLive(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(1500, "pace.example.com"))
	server := s.AddServer(sink.Port, 40, 4)
	id := s.CreateCampaign(listID, []int64{server}, 250)
	s.Send(id)
	waitDelivered(t, s, id, 40)

	start := time.Now()
	time.Sleep(5 * time.Second)
	slow := float64(sink.CountBetween(start, start.Add(5*time.Second))) / 5
	// Load on the machine can only slow sending down, so the upper bound
	// is strict; the bucket allows a burst of a tenth of a second.
	if slow > 40*1.1 {
		t.Errorf("sent %.1f/s in a 5 s window, above the 40/s rate", slow)
	}

	s.Do("PATCH", fmt.Sprintf("/api/servers/%d", server), map[string]any{"rate_per_second": 160}, nil)
	changed := time.Now()
	time.Sleep(8 * time.Second)
	fast := float64(sink.CountBetween(changed.Add(5*time.Second), changed.Add(8*time.Second))) / 3
	if fast <= 1.5*slow {
		t.Errorf("rate %.1f/s from 5 s after the change to 160/s, not above 1.5 × the earlier %.1f/s", fast, slow)
	}
	if fast > 160*1.1 {
		t.Errorf("sent %.1f/s, above the new 160/s rate", fast)
	}
	s.WaitStatus(id, "Done", 2*time.Minute)
	if got := assertOncePerRecipient(t, sink); got != 1500 {
		t.Errorf("%d recipients got mail, want 1500", got)
	}
}

// TestDailyQuotaPausesCampaign sends through a server with a daily quota of
// 60: the campaign pauses at exactly 60 delivered with a reason naming the
// quota, and nothing more is sent.
func TestDailyQuotaPausesCampaign(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(100, "quota.example.com"))
	var srv struct {
		ID int64 `json:"id"`
	}
	s.Do("POST", "/api/servers", map[string]any{"name": "quota " + testenv.RandomSuffix(), "host": "127.0.0.1",
		"port": sink.Port, "quota_per_day": 60, "max_connections": 3, "task_queue": s.SendQueue}, &srv)
	id := s.CreateCampaign(listID, []int64{srv.ID}, 40)
	s.Send(id)
	c := s.WaitStatus(id, "Paused", time.Minute)
	if !strings.Contains(c.StatusReason, "quota") {
		t.Errorf("pause reason %q does not name the quota", c.StatusReason)
	}
	time.Sleep(2 * time.Second)
	if n := len(sink.Messages()); n != 60 {
		t.Errorf("server received %d messages, want the daily quota of 60", n)
	}
	if c = s.Campaign(id); c.Counts.Delivered != 60 || c.Counts.Queued != 40 {
		t.Errorf("counts = %+v, want 60 delivered and 40 still queued", c.Counts)
	}
}
