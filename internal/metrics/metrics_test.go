package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/temporalconn"
)

func get(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWorkerMetricsCount(t *testing.T) {
	w := NewWorker()
	w.ObserveSend("relay", "delivered")
	w.ObserveSend("relay", "delivered")
	w.ObserveSend("relay", "throttled")
	w.ObserveActivity("SendEmails")
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	out := get(t, srv)
	for _, want := range []string{
		`pacer_sends_total{outcome="delivered",server="relay"} 2`,
		`pacer_sends_total{outcome="throttled",server="relay"} 1`,
		`pacer_activities_total{activity="SendEmails"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestServerMetricsCount(t *testing.T) {
	s := NewServer(func() (uint64, uint64, uint64, int) { return 7, 5, 1, 2 })
	s.ObserveRequest("/t/c/:token", 302)
	s.ObserveRequest("", 404)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	out := get(t, srv)
	for _, want := range []string{
		`pacer_http_requests_total{route="/t/c/:token",status="3xx"} 1`,
		`pacer_http_requests_total{route="unmatched",status="4xx"} 1`,
		"pacer_tracking_events_enqueued_total 7",
		"pacer_tracking_events_written_total 5",
		"pacer_tracking_events_dropped_total 1",
		"pacer_tracking_events_pending 2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestQueueGaugesFromStats(t *testing.T) {
	calls := 0
	s := NewServer(nil)
	s.WatchQueues(func(context.Context) ([]temporalconn.QueueStat, error) {
		calls++
		return []temporalconn.QueueStat{{Queue: "pacer-send", Kind: "activity", Backlog: 42,
			BacklogAge: 3 * time.Second, Pollers: 2}}, nil
	})
	body := scrape(t, s.Handler())
	for _, want := range []string{
		`pacer_task_queue_backlog{kind="activity",task_queue="pacer-send"} 42`,
		`pacer_task_queue_backlog_age_seconds{kind="activity",task_queue="pacer-send"} 3`,
		`pacer_task_queue_pollers{kind="activity",task_queue="pacer-send"} 2`,
		`pacer_task_queue_describe_failed 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	scrape(t, s.Handler())
	if calls != 1 {
		t.Errorf("two scrapes within 5 s asked Temporal %d times, want 1", calls)
	}
}

func TestQueueGaugesReportFailure(t *testing.T) {
	s := NewServer(nil)
	s.WatchQueues(func(context.Context) ([]temporalconn.QueueStat, error) {
		return nil, errors.New("temporal is down")
	})
	if body := scrape(t, s.Handler()); !strings.Contains(body, "pacer_task_queue_describe_failed 1") {
		t.Errorf("a failed describe is not reported:\n%s", body)
	}
}

// scrape serves h once and returns what a Prometheus scrape reads.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	return get(t, srv)
}
