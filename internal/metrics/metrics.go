// Package metrics holds pacer's Prometheus metrics (client_golang) and the
// /metrics handler each process serves.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Worker is the metrics of a worker process.
type Worker struct {
	Registry   *prometheus.Registry
	sends      *prometheus.CounterVec
	activities *prometheus.CounterVec
}

// NewWorker registers the worker metrics and the Go runtime and process
// collectors on a new registry.
func NewWorker() *Worker {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	w := &Worker{
		Registry: reg,
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_sends_total",
			Help: "SMTP send attempts by sending server and outcome class (delivered, retry, hard, throttled, ...).",
		}, []string{"server", "outcome"}),
		activities: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_activities_total",
			Help: "Temporal activity executions run by this worker, by activity type.",
		}, []string{"activity"}),
	}
	reg.MustRegister(w.sends, w.activities)
	return w
}

// ObserveSend counts one send attempt.
func (w *Worker) ObserveSend(server, outcome string) {
	w.sends.WithLabelValues(server, outcome).Inc()
}

// ObserveActivity counts one activity execution.
func (w *Worker) ObserveActivity(name string) {
	w.activities.WithLabelValues(name).Inc()
}

// Handler serves the registry in the Prometheus text format.
func (w *Worker) Handler() http.Handler {
	return promhttp.HandlerFor(w.Registry, promhttp.HandlerOpts{Registry: w.Registry})
}
