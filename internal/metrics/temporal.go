package metrics

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// sdkLabels are the tags the Temporal Go SDK puts on its metrics.
// Prometheus wants one label set per metric name, so each SDK metric
// carries all of them, empty where the SDK gave none. Other tags are left
// out.
var sdkLabels = []string{"namespace", "task_queue", "workflow_type", "activity_type", "worker_type",
	"poller_type", "operation", "cause", "failure_reason", "client_name"}

// sdkVecs holds the collectors of the SDK's metrics, made on first use.
type sdkVecs struct {
	reg *prometheus.Registry

	mu       sync.Mutex
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
	timers   map[string]*prometheus.HistogramVec
}

// sdkHandler is the Temporal SDK's metrics handler (client.MetricsHandler)
// on a Prometheus registry: task poll and schedule-to-start latencies,
// worker slots, sticky cache hits and request failures, so operators see
// the Temporal side of a worker next to pacer's own metrics.
type sdkHandler struct {
	vecs   *sdkVecs
	labels prometheus.Labels
}

// TemporalHandler returns the handler to pass as client.Options'
// MetricsHandler, registering the SDK's metrics on w's registry.
func (w *Worker) TemporalHandler() client.MetricsHandler {
	labels := prometheus.Labels{}
	for _, l := range sdkLabels {
		labels[l] = ""
	}
	return &sdkHandler{vecs: &sdkVecs{reg: w.Registry, counters: map[string]*prometheus.CounterVec{},
		gauges: map[string]*prometheus.GaugeVec{}, timers: map[string]*prometheus.HistogramVec{}}, labels: labels}
}

func (h *sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	labels := make(prometheus.Labels, len(h.labels))
	for k, v := range h.labels {
		labels[k] = v
	}
	for k, v := range tags {
		if slices.Contains(sdkLabels, k) {
			labels[k] = v
		}
	}
	return &sdkHandler{vecs: h.vecs, labels: labels}
}

// vecFor returns the collector cached under name, registering the one
// newVec makes on first use. It reports false when the registry already
// has the name as another kind of metric.
func vecFor[V prometheus.Collector](vecs *sdkVecs, cache map[string]V, name string, newVec func() V) (V, bool) {
	vecs.mu.Lock()
	defer vecs.mu.Unlock()
	if v, ok := cache[name]; ok {
		return v, true
	}
	v := newVec()
	if err := vecs.reg.Register(v); err != nil {
		return v, false
	}
	cache[name] = v
	return v, true
}

func (h *sdkHandler) Counter(name string) client.MetricsCounter {
	v, ok := vecFor(h.vecs, h.vecs.counters, name, func() *prometheus.CounterVec {
		opts := prometheus.CounterOpts{Name: name, Help: "Temporal Go SDK counter " + name + "."}
		return prometheus.NewCounterVec(opts, sdkLabels)
	})
	if !ok {
		return counterFunc(func(int64) {})
	}
	c := v.With(h.labels)
	return counterFunc(func(n int64) { c.Add(float64(n)) })
}

func (h *sdkHandler) Gauge(name string) client.MetricsGauge {
	v, ok := vecFor(h.vecs, h.vecs.gauges, name, func() *prometheus.GaugeVec {
		opts := prometheus.GaugeOpts{Name: name, Help: "Temporal Go SDK gauge " + name + "."}
		return prometheus.NewGaugeVec(opts, sdkLabels)
	})
	if !ok {
		return gaugeFunc(func(float64) {})
	}
	return gaugeFunc(v.With(h.labels).Set)
}

func (h *sdkHandler) Timer(name string) client.MetricsTimer {
	v, ok := vecFor(h.vecs, h.vecs.timers, name, func() *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name + "_seconds",
			Help: "Temporal Go SDK timer " + name + ", in seconds."}, sdkLabels)
	})
	if !ok {
		return timerFunc(func(time.Duration) {})
	}
	o := v.With(h.labels)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type (
	counterFunc func(int64)
	gaugeFunc   func(float64)
	timerFunc   func(time.Duration)
)

func (f counterFunc) Inc(n int64)          { f(n) }
func (f gaugeFunc) Update(v float64)       { f(v) }
func (f timerFunc) Record(d time.Duration) { f(d) }
