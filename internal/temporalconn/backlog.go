package temporalconn

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// QueueStat is the state of one task queue for one kind of task, as the
// Temporal server reports it.
type QueueStat struct {
	Queue string
	// Kind is "workflow" or "activity".
	Kind string
	// Backlog is the approximate number of tasks waiting for a worker, and
	// BacklogAge how long the oldest of them has waited.
	Backlog    int64
	BacklogAge time.Duration
	// Pollers counts the workers that polled the queue within
	// pollerMaxAge.
	Pollers int
}

// pollerMaxAge is the age of a worker's last poll beyond which it no longer
// counts: a little over the 60 s long poll of an idle worker.
const pollerMaxAge = 70 * time.Second

// DescribeQueue returns the backlog and pollers of queue for workflow and
// activity tasks. Operators scale a queue's worker fleet by these figures.
func DescribeQueue(ctx context.Context, c client.Client, namespace, queue string) ([]QueueStat, error) {
	kinds := []struct {
		name string
		typ  enumspb.TaskQueueType
	}{{"workflow", enumspb.TASK_QUEUE_TYPE_WORKFLOW}, {"activity", enumspb.TASK_QUEUE_TYPE_ACTIVITY}}
	out := make([]QueueStat, 0, len(kinds))
	for _, k := range kinds {
		resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace:     namespace,
			TaskQueue:     &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: k.typ,
			ReportStats:   true,
		})
		if err != nil {
			return nil, fmt.Errorf("describe task queue %q (%s tasks): %w", queue, k.name, err)
		}
		st := QueueStat{Queue: queue, Kind: k.name}
		for _, p := range resp.GetPollers() {
			// The server lists a stopped worker for minutes; a live one
			// polls again within its long poll of about a minute.
			if t := p.GetLastAccessTime(); t != nil && time.Since(t.AsTime()) <= pollerMaxAge {
				st.Pollers++
			}
		}
		if s := resp.GetStats(); s != nil {
			st.Backlog = s.GetApproximateBacklogCount()
			st.BacklogAge = s.GetApproximateBacklogAge().AsDuration()
		}
		out = append(out, st)
	}
	return out, nil
}
