package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// EventStats reports the tracking event writer's counters.
type EventStats func() (enqueued, written, dropped uint64, pending int)

// Server is the metrics of the API server process.
type Server struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
}

// NewServer registers the server metrics: HTTP requests by route and status
// class, the tracking event writer's counters, and the Go runtime and
// process collectors.
func NewServer(events EventStats) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{Registry: reg, requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pacer_http_requests_total",
		Help: "HTTP requests by route and status class (2xx, 3xx, 4xx, 5xx).",
	}, []string{"route", "status"})}
	reg.MustRegister(s.requests)
	if events != nil {
		counter := func(name, help string, pick func() float64) {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, pick))
		}
		counter("pacer_tracking_events_enqueued_total", "Open, click and unsubscribe events accepted by the tracking endpoints.",
			func() float64 { e, _, _, _ := events(); return float64(e) })
		counter("pacer_tracking_events_written_total", "Tracking events written to PostgreSQL.",
			func() float64 { _, w, _, _ := events(); return float64(w) })
		counter("pacer_tracking_events_dropped_total", "Tracking events dropped because the buffer stayed full.",
			func() float64 { _, _, d, _ := events(); return float64(d) })
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pacer_tracking_events_pending", Help: "Tracking events buffered and not yet written.",
		}, func() float64 { _, _, _, p := events(); return float64(p) }))
	}
	return s
}

// ObserveRequest counts one HTTP request.
func (s *Server) ObserveRequest(route string, status int) {
	if route == "" {
		route = "unmatched"
	}
	s.requests.WithLabelValues(route, string(rune('0'+status/100))+"xx").Inc()
}

// Handler serves the registry in the Prometheus text format.
func (s *Server) Handler() http.Handler {
	return promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{Registry: s.Registry})
}
