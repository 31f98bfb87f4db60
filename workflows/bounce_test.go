package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/store"
)

func newBounceEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *activities.Activities) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(BounceWorkflow)
	a := &activities.Activities{}
	a.RegisterBounces(env)
	return env, a
}

func TestBounceWorkflowProcessesItsMessage(t *testing.T) {
	env, a := newBounceEnv(t)
	var got activities.InboundInput
	env.OnActivity(a.ProcessInbound, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.InboundInput) (activities.InboundOutcome, error) {
			got = in
			return activities.InboundOutcome{InboundID: in.InboundID, Status: store.InboundProcessed, Applied: true}, nil
		})
	env.ExecuteWorkflow(BounceWorkflow, BounceInput{InboundID: 42})

	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var out activities.InboundOutcome
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	if got.InboundID != 42 || out.Status != store.InboundProcessed {
		t.Errorf("activity got %+v, workflow returned %+v", got, out)
	}
}

func TestBounceWorkflowRetriesFailures(t *testing.T) {
	env, a := newBounceEnv(t)
	calls := 0
	env.OnActivity(a.ProcessInbound, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.InboundInput) (activities.InboundOutcome, error) {
			calls++
			if calls < 3 {
				return activities.InboundOutcome{}, errors.New("database is restarting")
			}
			return activities.InboundOutcome{InboundID: in.InboundID, Status: store.InboundUnmatched}, nil
		})
	env.ExecuteWorkflow(BounceWorkflow, BounceInput{InboundID: 7})

	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Errorf("ProcessInbound ran %d times, want 3", calls)
	}
}

func TestBounceWorkflowID(t *testing.T) {
	if got := BounceWorkflowID(123); got != "bounce-123" {
		t.Errorf("BounceWorkflowID(123) = %q, want bounce-123", got)
	}
}
