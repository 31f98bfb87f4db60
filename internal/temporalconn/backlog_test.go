package temporalconn_test

import (
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/pacer-email/pacer/internal/temporalconn"
	"github.com/pacer-email/pacer/internal/testenv"
)

func TestDescribeQueueSeesBacklog(t *testing.T) {
	tc := testenv.Temporal(t)
	queue := "backlog-" + testenv.RandomSuffix()
	// No worker polls queue, so the workflow's first task waits there.
	run, err := tc.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{
		ID: queue, TaskQueue: queue, WorkflowExecutionTimeout: time.Minute,
	}, "NoSuchWorkflow")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tc.TerminateWorkflow(t.Context(), run.GetID(), "", "test done") }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		stats, err := temporalconn.DescribeQueue(t.Context(), tc, "default", queue)
		if err != nil {
			t.Fatal(err)
		}
		if len(stats) != 2 || stats[0].Kind != "workflow" || stats[1].Kind != "activity" {
			t.Fatalf("stats %+v, want one workflow and one activity entry", stats)
		}
		if stats[0].Backlog >= 1 {
			if stats[0].Pollers != 0 {
				t.Errorf("%d pollers on a queue no worker polls", stats[0].Pollers)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow backlog still %d after 20 s, want at least 1", stats[0].Backlog)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
