package metrics

import (
	"strings"
	"testing"
	"time"
)

func TestTemporalHandlerExportsSDKMetrics(t *testing.T) {
	w := NewWorker()
	h := w.TemporalHandler().WithTags(map[string]string{"namespace": "default", "task_queue": "pacer-send",
		"not_a_label": "dropped"})
	h.Counter("temporal_request").Inc(3)
	h.WithTags(map[string]string{"operation": "PollActivityTaskQueue"}).Counter("temporal_request").Inc(1)
	h.Gauge("temporal_worker_task_slots_available").Update(7)
	h.Timer("temporal_activity_schedule_to_start_latency").Record(250 * time.Millisecond)

	body := scrape(t, w.Handler())
	for _, want := range []string{
		`temporal_request{activity_type="",cause="",client_name="",failure_reason="",namespace="default",operation="",poller_type="",task_queue="pacer-send",worker_type="",workflow_type=""} 3`,
		`operation="PollActivityTaskQueue",poller_type="",task_queue="pacer-send",worker_type="",workflow_type=""} 1`,
		`temporal_worker_task_slots_available{activity_type="",cause="",client_name="",failure_reason="",namespace="default",operation="",poller_type="",task_queue="pacer-send",worker_type="",workflow_type=""} 7`,
		`temporal_activity_schedule_to_start_latency_seconds_sum{activity_type="",cause="",client_name="",failure_reason="",namespace="default",operation="",poller_type="",task_queue="pacer-send",worker_type="",workflow_type=""} 0.25`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "not_a_label") {
		t.Error("a tag outside the SDK's label set was exported")
	}
}

func TestTemporalHandlerNameClashIsHarmless(t *testing.T) {
	w := NewWorker()
	h := w.TemporalHandler()
	h.Counter("temporal_clash").Inc(1)
	// The same name as a gauge cannot be registered; it must not panic.
	h.Gauge("temporal_clash").Update(5)
	h.Counter("go_goroutines").Inc(1)
	if body := scrape(t, w.Handler()); !strings.Contains(body, "temporal_clash{") {
		t.Error("the counter registered first is missing")
	}
}
