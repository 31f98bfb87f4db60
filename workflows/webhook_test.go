package workflows

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/pacer-email/pacer/activities"
)

func newWebhookEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *activities.Activities) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(WebhookWorkflow)
	a := &activities.Activities{}
	a.RegisterWebhooks(env)
	return env, a
}

var testWebhookOptions = WebhookOptions{
	AttemptTimeout: 20 * time.Second, InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
	MaximumInterval: 30 * time.Minute, ScheduleToClose: 24 * time.Hour,
}

func TestWebhookWorkflowRetriesUntilDelivered(t *testing.T) {
	env, a := newWebhookEnv(t)
	var attempts atomic.Int32
	env.OnActivity(a.DeliverWebhook, mock.Anything, activities.WebhookInput{DeliveryID: 7}).Return(
		func(context.Context, activities.WebhookInput) error {
			// Down for 8 attempts: 5 s doubling to 640 s, 21 minutes in all.
			if attempts.Add(1) <= 8 {
				return temporal.NewApplicationError("HTTP 503 Service Unavailable", activities.ErrTypeWebhookRejected)
			}
			return nil
		})
	start := env.Now()
	env.ExecuteWorkflow(WebhookWorkflow, WebhookInput{DeliveryID: 7, Options: testWebhookOptions})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	if n := attempts.Load(); n != 9 {
		t.Errorf("DeliverWebhook ran %d times, want 9", n)
	}
	if took, want := env.Now().Sub(start), 1275*time.Second; took < want || took > want+time.Minute {
		t.Errorf("delivered after %s of backoff, want %s", took, want)
	}
	env.AssertNotCalled(t, "FailWebhook", mock.Anything, mock.Anything)
}

func TestWebhookWorkflowFailsForGood(t *testing.T) {
	tests := []struct {
		name            string
		err             error
		scheduleToClose time.Duration
		wantAttempts    int32
	}{
		{"410 Gone", temporal.NewNonRetryableApplicationError("HTTP 410 Gone", activities.ErrTypeWebhookGone, nil),
			0, 1},
		// The policy, not the error, stops a retryable type of the list.
		{"refused address", temporal.NewApplicationError("webhook: 10.0.0.1 is ...",
			activities.ErrTypeWebhookForbidden),
			0, 1},
		// Attempts at 0, 5, 15 and 35 s; the next one, at 75 s, is past
		// the deadline. (The test environment caps retries at 10 attempts,
		// so the 24-hour default cannot be played out here.)
		{"retries exhausted", temporal.NewApplicationError("HTTP 500", activities.ErrTypeWebhookRejected),
			time.Minute, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, a := newWebhookEnv(t)
			var attempts atomic.Int32
			env.OnActivity(a.DeliverWebhook, mock.Anything, mock.Anything).Return(
				func(context.Context, activities.WebhookInput) error { attempts.Add(1); return tt.err })
			var failed activities.WebhookFailInput
			env.OnActivity(a.FailWebhook, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.WebhookFailInput) error { failed = in; return nil })
			opts := testWebhookOptions
			if tt.scheduleToClose > 0 {
				opts.ScheduleToClose = tt.scheduleToClose
			}
			env.ExecuteWorkflow(WebhookWorkflow, WebhookInput{DeliveryID: 9, Options: opts})
			if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
				t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
			}
			if n := attempts.Load(); n != tt.wantAttempts {
				t.Errorf("DeliverWebhook ran %d times, want %d", n, tt.wantAttempts)
			}
			if failed.DeliveryID != 9 || failed.Reason == "" {
				t.Errorf("FailWebhook got %+v, want delivery 9 with a reason", failed)
			}
		})
	}
}

// TestWebhookWorkflowContinuesAfterDispatcher starts the workflow as the
// dispatcher does after a failed first attempt: the workflow's attempts are
// the second and later ones, 5 s, 10 s and 20 s apart, as with no
// dispatcher attempt.
func TestWebhookWorkflowContinuesAfterDispatcher(t *testing.T) {
	env, a := newWebhookEnv(t)
	start := env.Now()
	var at []time.Duration
	env.OnActivity(a.DeliverWebhook, mock.Anything, activities.WebhookInput{DeliveryID: 7}).Return(
		func(context.Context, activities.WebhookInput) error {
			at = append(at, env.Now().Sub(start))
			if len(at) < 3 {
				return temporal.NewApplicationError("HTTP 503 Service Unavailable", activities.ErrTypeWebhookRejected)
			}
			return nil
		})
	env.ExecuteWorkflow(WebhookWorkflow, WebhookInput{DeliveryID: 7, Options: testWebhookOptions, Attempts: 1})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	want := []time.Duration{5 * time.Second, 15 * time.Second, 35 * time.Second}
	if len(at) != len(want) {
		t.Fatalf("DeliverWebhook ran at %v, want %v", at, want)
	}
	for i := range want {
		// The test environment's clock may add a few milliseconds per step.
		if at[i] < want[i] || at[i] > want[i]+time.Second {
			t.Errorf("attempt %d ran at %s, want %s", i+2, at[i], want[i])
		}
	}
	env.AssertNotCalled(t, "FailWebhook", mock.Anything, mock.Anything)
}

func TestRetryDelay(t *testing.T) {
	o := testWebhookOptions
	for n, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 4: 40 * time.Second,
		9: 1280 * time.Second, 10: 30 * time.Minute, 60: 30 * time.Minute} {
		if got := retryDelay(o, n); got != want {
			t.Errorf("retryDelay after attempt %d = %s, want %s", n, got, want)
		}
	}
}
