package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/testenv"
)

func TestMisspeltFieldIsRejected(t *testing.T) {
	s := stacktest.New(t)
	err := s.API.Do(t.Context(), "POST", "/api/servers", map[string]any{"name": "relay", "host": "127.0.0.1",
		"port": 2525, "rate_per_sec": 5}, nil)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "rate_per_sec") {
		t.Errorf("misspelt rate field: err = %v, want HTTP 400 naming rate_per_sec", err)
	}
	var servers []any
	s.Do("GET", "/api/servers", nil, &servers)
	if len(servers) != 0 {
		t.Errorf("%d servers stored after a rejected request, want 0", len(servers))
	}
	err = s.API.Do(t.Context(), "POST", "/api/campaigns/999999/pause", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("pause of an unknown campaign: err = %v, want HTTP 404", err)
	}
}

func TestPauseWhileScheduledStaysPaused(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(5, "held.example.com"))
	server := s.AddServer(sink.Port, 0, 1)
	var c struct {
		ID int64 `json:"id"`
	}
	s.Do("POST", "/api/campaigns", map[string]any{"name": "held", "subject": "Held", "from_email": "news@example.org",
		"text_body": "Hi", "list_ids": []int64{listID}, "server_ids": []int64{server},
		"send_at": time.Now().Add(3 * time.Second).UTC()}, &c)
	s.Send(c.ID)
	s.WaitStatus(c.ID, "Scheduled", 5*time.Second)
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/pause", c.ID), nil, nil)
	time.Sleep(6 * time.Second) // past send_at: the campaign queues but must stay paused
	got := s.Campaign(c.ID)
	if got.Status != "Paused" {
		t.Errorf("status after send_at = %s (%s), want Paused", got.Status, got.StatusReason)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d messages sent while paused", n)
	}
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/resume", c.ID), nil, nil)
	s.WaitStatus(c.ID, "Done", time.Minute)
	if n := len(sink.Messages()); n != 5 {
		t.Errorf("%d messages sent after resume, want 5", n)
	}
}

func TestBrokenTemplatePausesCampaign(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(40, "broken.example.com"))
	server := s.AddServer(sink.Port, 0, 1)
	var c struct {
		ID int64 `json:"id"`
	}
	// Passes the check at creation, fails for every subscriber at send time.
	s.Do("POST", "/api/campaigns", map[string]any{"name": "broken", "subject": "Hi", "from_email": "news@example.org",
		"html_body": "<p>{{ .Subscriber.Attribs.city.foo }}</p>", "list_ids": []int64{listID},
		"server_ids": []int64{server}}, &c)
	s.Send(c.ID)
	got := s.WaitStatus(c.ID, "Paused", time.Minute)
	if !strings.Contains(got.StatusReason, "template") {
		t.Errorf("pause reason %q does not name the template", got.StatusReason)
	}
	time.Sleep(time.Second)
	got = s.Campaign(c.ID)
	if got.Counts.Failed > 20 {
		t.Errorf("%d sends failed before the pause, want the pause to stop it early", got.Counts.Failed)
	}
	if got.Counts.Queued == 0 {
		t.Errorf("no send left queued: %+v", got.Counts)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d broken messages sent", n)
	}
}

func TestPatchServerChangesOnlyNamedFields(t *testing.T) {
	s := stacktest.New(t)
	id := s.AddServer(2525, 7, 3)
	var srv struct {
		RatePerSecond  float64 `json:"rate_per_second"`
		MaxConnections int     `json:"max_connections"`
		QuotaPerHour   int     `json:"quota_per_hour"`
	}
	s.Do("PATCH", fmt.Sprintf("/api/servers/%d", id), map[string]any{"max_connections": 5, "quota_per_hour": 100}, &srv)
	if srv.MaxConnections != 5 || srv.QuotaPerHour != 100 {
		t.Errorf("after PATCH: max_connections %d, quota_per_hour %d, want 5 and 100", srv.MaxConnections, srv.QuotaPerHour)
	}
	if srv.RatePerSecond != 7 {
		t.Errorf("a PATCH without rate_per_second changed the rate to %g, want 7", srv.RatePerSecond)
	}
	for _, bad := range []struct {
		body map[string]any
		name string
	}{
		{map[string]any{"quota_per_day": -3}, "quota_per_day -3"},
		{map[string]any{"max_connections": 0}, "max_connections 0"},
		{map[string]any{"name": "other"}, `name "other"`},
		{map[string]any{}, "nothing to change"},
	} {
		err := s.API.Do(t.Context(), "PATCH", fmt.Sprintf("/api/servers/%d", id), bad.body, nil)
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), bad.name) {
			t.Errorf("PATCH %v: err = %v, want HTTP 400 naming %s", bad.body, err, bad.name)
		}
	}
	err := s.API.Do(t.Context(), "POST", "/api/servers", map[string]any{"name": "neg", "host": "127.0.0.1",
		"port": 2525, "quota_per_hour": -1}, nil)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "quota_per_hour -1") {
		t.Errorf("POST with a negative quota: err = %v, want HTTP 400 naming quota_per_hour -1", err)
	}
}

func TestDiagnosisNamesQueueWithoutWorker(t *testing.T) {
	s := stacktest.New(t)
	queue := "nobody-" + testenv.RandomSuffix()
	var srv struct {
		ID int64 `json:"id"`
	}
	s.Do("POST", "/api/servers", map[string]any{"name": "unpolled " + queue, "host": "127.0.0.1",
		"port": 2525, "task_queue": queue}, &srv)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(3, "diag.example.com"))
	id := s.CreateCampaign(listID, []int64{srv.ID}, 100)
	s.Send(id)
	want := "no worker is polling task queue " + queue
	deadline := time.Now().Add(20 * time.Second)
	for {
		var c struct {
			Diagnosis []string `json:"diagnosis"`
		}
		s.Do("GET", fmt.Sprintf("/api/campaigns/%d", id), nil, &c)
		if strings.Contains(strings.Join(c.Diagnosis, "\n"), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("diagnosis %q 20 s after Send, want %q", c.Diagnosis, want)
		}
		time.Sleep(time.Second)
	}
}

func TestOverlongNamesAndRatesAreRejected(t *testing.T) {
	s := stacktest.New(t)
	long := strings.Repeat("n", 201)
	for _, c := range []struct {
		path string
		body map[string]any
		want string
	}{
		{"/api/lists", map[string]any{"name": long}, "201 bytes"},
		{"/api/servers", map[string]any{"name": long, "host": "127.0.0.1", "port": 2525}, "201 bytes"},
		{"/api/servers", map[string]any{"name": "fast", "host": "127.0.0.1", "port": 2525, "rate_per_second": 1e12},
			"rate_per_second 1e+12"},
	} {
		err := s.API.Do(t.Context(), "POST", c.path, c.body, nil)
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("POST %s: err = %v, want HTTP 400 naming %s", c.path, err, c.want)
		}
	}
	var lists []any
	s.Do("GET", "/api/lists", nil, &lists)
	if len(lists) != 0 {
		t.Errorf("%d lists stored after rejected requests, want 0", len(lists))
	}
}

func TestBadHostQueueAndStatusFilterAreRejected(t *testing.T) {
	s := stacktest.New(t)
	for _, c := range []struct {
		method, path string
		body         map[string]any
		want         string
	}{
		{"POST", "/api/servers", map[string]any{"name": "h", "host": "bad host", "port": 2525}, `host "bad host"`},
		{"POST", "/api/servers", map[string]any{"name": "q", "host": "127.0.0.1", "port": 2525, "task_queue": "has space"},
			`task_queue "has space"`},
		{"GET", "/api/campaigns?status=sending", nil, `status "sending"`},
	} {
		err := s.API.Do(t.Context(), c.method, c.path, c.body, nil)
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: err = %v, want HTTP 400 naming %s", c.method, c.path, err, c.want)
		}
	}
}
