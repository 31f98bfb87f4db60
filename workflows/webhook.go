package workflows

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/pacer-email/pacer/activities"
)

// WebhookWorkflowName is the registered name of WebhookWorkflow.
const WebhookWorkflowName = "WebhookWorkflow"

// WebhookWorkflowID returns the workflow id of one outbox row. Starting a
// second workflow with the id fails while the first runs, so a row is never
// delivered by two workflows at once.
func WebhookWorkflowID(deliveryID int64) string {
	return fmt.Sprintf("webhook-%d", deliveryID)
}

// WebhookOptions is the retry policy of a delivery, taken from the
// webhooks section of the configuration when the dispatcher starts it.
type WebhookOptions struct {
	// AttemptTimeout bounds one attempt; it must exceed the HTTP client's
	// timeout so the attempt can record why it failed.
	AttemptTimeout time.Duration
	// InitialInterval, BackoffCoefficient and MaximumInterval space the
	// attempts; ScheduleToClose bounds all of them together.
	InitialInterval    time.Duration
	BackoffCoefficient float64
	MaximumInterval    time.Duration
	ScheduleToClose    time.Duration
}

// DefaultWebhookOptions returns the defaults documented in temporal.yaml:
// attempts 5 s apart at first, doubling up to 30 minutes, for 24 hours.
func DefaultWebhookOptions() WebhookOptions {
	return WebhookOptions{
		AttemptTimeout:     20 * time.Second,
		InitialInterval:    5 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    30 * time.Minute,
		ScheduleToClose:    24 * time.Hour,
	}
}

// WebhookInput starts the delivery of one outbox row.
type WebhookInput struct {
	DeliveryID int64
	Options    WebhookOptions
	// Attempts is how many attempts the dispatcher made before it started
	// the workflow. The workflow waits the backoff that follows them and
	// continues the retry policy from there, as if it had made them.
	Attempts int
}

// retryDelay returns the wait after attempt n (counting from 1) under o:
// InitialInterval multiplied by BackoffCoefficient n-1 times, at most
// MaximumInterval. Temporal spaces activity retries the same way.
func retryDelay(o WebhookOptions, n int) time.Duration {
	d := float64(o.InitialInterval)
	for range n - 1 {
		d *= o.BackoffCoefficient
		if d >= float64(o.MaximumInterval) {
			return o.MaximumInterval
		}
	}
	return min(time.Duration(d), o.MaximumInterval)
}

// WebhookWorkflow delivers one outbox row: DeliverWebhook runs under a
// retry policy that backs off for hours, and when it gives up (retries
// exhausted, 410, refused address) FailWebhook marks the row failed, to be
// replayed from the API. The workflow itself always completes, so its id
// can be used again by a replay.
//
// When in.Attempts is positive the dispatcher already made that many
// attempts: the workflow first sleeps the backoff that follows them, then
// retries with the next interval, within what is left of ScheduleToClose.
func WebhookWorkflow(ctx workflow.Context, in WebhookInput) error {
	o := in.Options
	if in.Attempts > 0 {
		wait := retryDelay(o, in.Attempts)
		if err := workflow.Sleep(ctx, wait); err != nil {
			return err
		}
		o.InitialInterval = retryDelay(o, in.Attempts+1)
		// Zero would mean no limit: a second is left when schedule_to_close
		// equals initial_interval.
		o.ScheduleToClose = max(o.ScheduleToClose-wait, time.Second)
	}
	deliver := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    o.AttemptTimeout,
		ScheduleToCloseTimeout: o.ScheduleToClose,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    o.InitialInterval,
			BackoffCoefficient: o.BackoffCoefficient,
			MaximumInterval:    o.MaximumInterval,
			NonRetryableErrorTypes: []string{
				activities.ErrTypeWebhookGone, activities.ErrTypeWebhookForbidden, activities.ErrTypeWebhookDisabled,
			},
		},
	})
	// Marking the row failed is bookkeeping: retry it until the database is back.
	bookkeeping := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})

	err := workflow.ExecuteActivity(deliver, (*activities.Activities).DeliverWebhook,
		activities.WebhookInput{DeliveryID: in.DeliveryID}).Get(ctx, nil)
	if err == nil {
		return nil
	}
	workflow.GetLogger(ctx).Info("webhook delivery failed for good", "delivery_id", in.DeliveryID, "error", err)
	fail := activities.WebhookFailInput{DeliveryID: in.DeliveryID, Reason: err.Error()}
	return workflow.ExecuteActivity(bookkeeping, (*activities.Activities).FailWebhook, fail).Get(ctx, nil)
}

// StartWebhook starts the delivery workflow of one outbox row on queue. It
// fails with *serviceerror.WorkflowExecutionAlreadyStarted while an earlier
// workflow for the row runs; a finished one is replaced.
func StartWebhook(ctx context.Context, c client.Client, queue string, in WebhookInput) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       WebhookWorkflowID(in.DeliveryID),
		TaskQueue:                                queue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, WebhookWorkflowName, in)
	return err
}
