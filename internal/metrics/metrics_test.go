package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
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
