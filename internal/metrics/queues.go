package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pacer-email/pacer/internal/temporalconn"
)

// QueueStats returns the current state of every task queue pacer uses.
type QueueStats func(ctx context.Context) ([]temporalconn.QueueStat, error)

// queueCacheFor is how long one result of QueueStats serves scrapes, so
// frequent scrapes do not turn into a stream of Temporal requests.
const queueCacheFor = 5 * time.Second

// queueCollector exports the task queues' backlog, backlog age and pollers.
type queueCollector struct {
	stats   QueueStats
	backlog *prometheus.Desc
	age     *prometheus.Desc
	pollers *prometheus.Desc
	failed  *prometheus.Desc

	mu     sync.Mutex
	at     time.Time
	cached []temporalconn.QueueStat
	err    error
}

func newQueueCollector(stats QueueStats) *queueCollector {
	labels := []string{"task_queue", "kind"}
	return &queueCollector{
		stats: stats,
		backlog: prometheus.NewDesc("pacer_task_queue_backlog",
			"Tasks waiting for a worker on a Temporal task queue (approximate), by queue and task kind.", labels, nil),
		age: prometheus.NewDesc("pacer_task_queue_backlog_age_seconds",
			"How long the oldest waiting task of a task queue has waited.", labels, nil),
		pollers: prometheus.NewDesc("pacer_task_queue_pollers",
			"Workers that polled a task queue within the last 70 s (an idle worker polls about once a minute).", labels, nil),
		failed: prometheus.NewDesc("pacer_task_queue_describe_failed",
			"1 when the last request for the task queues' state failed (see the server log), else 0.", nil, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.backlog
	ch <- c.age
	ch <- c.pollers
	ch <- c.failed
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if time.Since(c.at) > queueCacheFor {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		c.cached, c.err = c.stats(ctx)
		cancel()
		c.at = time.Now()
	}
	stats, err := c.cached, c.err
	c.mu.Unlock()
	failed := 0.0
	if err != nil {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, failed)
	for _, s := range stats {
		ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(s.Backlog), s.Queue, s.Kind)
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, s.BacklogAge.Seconds(), s.Queue, s.Kind)
		ch <- prometheus.MustNewConstMetric(c.pollers, prometheus.GaugeValue, float64(s.Pollers), s.Queue, s.Kind)
	}
}

// WatchQueues adds the task queue gauges to the server's metrics.
func (s *Server) WatchQueues(stats QueueStats) {
	s.Registry.MustRegister(newQueueCollector(stats))
}
