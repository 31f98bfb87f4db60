package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/pacer-email/pacer/activities"
)

// BounceWorkflowName is the registered name of BounceWorkflow.
const BounceWorkflowName = "BounceWorkflow"

// BounceInput names the stored inbound message to process.
type BounceInput struct {
	InboundID int64
}

// BounceWorkflowID returns the workflow id of one inbound message.
func BounceWorkflowID(inboundID int64) string {
	return fmt.Sprintf("bounce-%d", inboundID)
}

// BounceWorkflow processes one stored inbound message on the bounce task
// queue: a ProcessInbound activity classifies it, applies its effects and
// stores its verdicts and status in one transaction. The activity is
// retried without limit, at most one minute apart. From attempt
// activities.ProcessInboundAttempts on, a failure marks the row failed
// instead of failing again, so only an unreachable database keeps the
// workflow retrying.
func BounceWorkflow(ctx workflow.Context, in BounceInput) (activities.InboundOutcome, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
	var out activities.InboundOutcome
	err := workflow.ExecuteActivity(actx, (*activities.Activities).ProcessInbound,
		activities.InboundInput{InboundID: in.InboundID}).Get(ctx, &out)
	return out, err
}

// StartBounce starts the BounceWorkflow of one inbound message on queue. A
// workflow already running for the message counts as started. A closed one
// is started again: callers start only messages still received, so a
// closed workflow of the same id processed another row with that id (the
// database was restored, say), and the activity leaves a processed row
// alone anyway.
func StartBounce(ctx context.Context, c client.Client, queue string, inboundID int64) error {
	opts := client.StartWorkflowOptions{
		ID:                       BounceWorkflowID(inboundID),
		TaskQueue:                queue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	_, err := c.ExecuteWorkflow(ctx, opts, BounceWorkflowName, BounceInput{InboundID: inboundID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start workflow %s: %w", opts.ID, err)
	}
	return nil
}
