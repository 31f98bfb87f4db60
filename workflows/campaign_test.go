package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/store"
)

// recorder collects the statuses and batches a test workflow went through.
type recorder struct {
	mu       sync.Mutex
	statuses []string
	batches  []int
	retried  []int64
}

func (r *recorder) status(in activities.SetStatusInput) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, in.Status)
	return nil
}

func (r *recorder) sent(in activities.SendEmailsInput) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, in.BatchNo)
}

func newEnv(t *testing.T, batches int) (*testsuite.TestWorkflowEnvironment, *recorder, *activities.Activities) {
	t.Helper()
	env, rec, a := newBareEnv(t)
	env.OnActivity(a.PrepareCampaign, mock.Anything, mock.Anything).Return(activities.PrepareResult{
		Servers: []activities.ServerRef{{ID: 1, Name: "relay", TaskQueue: "send", Weight: 1}},
	}, nil)
	env.OnActivity(a.QueueRecipients, mock.Anything, mock.Anything).Return(store.QueueResult{Total: batches * 10, Batches: batches}, nil)
	env.OnActivity(a.FinishCampaign, mock.Anything, mock.Anything).Return(store.Counts{Total: int64(batches * 10), Delivered: int64(batches * 10)}, nil)
	return env, rec, a
}

// newBareEnv mocks only SetStatus, recording every status.
func newBareEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *recorder, *activities.Activities) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(CampaignWorkflow)
	env.RegisterWorkflow(SendBatchWorkflow)
	a := &activities.Activities{}
	a.RegisterCampaign(env)
	a.RegisterSend(env)
	rec := &recorder{}
	env.OnActivity(a.SetStatus, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SetStatusInput) error { return rec.status(in) })
	return env, rec, a
}

func testOptions() Options {
	o := DefaultOptions()
	o.Window = 2
	return o
}

func TestCampaignLifecycle(t *testing.T) {
	env, rec, a := newEnv(t, 5)
	env.OnActivity(a.SendEmails, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendEmailsInput) (activities.SendEmailsResult, error) {
			rec.sent(in)
			return activities.SendEmailsResult{Sent: 10}, nil
		})
	env.ExecuteWorkflow(CampaignWorkflow, CampaignInput{CampaignID: 7, Options: testOptions()})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	want := []string{store.StatusQueuing, store.StatusQueued, store.StatusSending, store.StatusDone}
	if !slices.Equal(rec.statuses, want) {
		t.Errorf("statuses = %v, want %v", rec.statuses, want)
	}
	slices.Sort(rec.batches)
	if !slices.Equal(rec.batches, []int{0, 1, 2, 3, 4}) {
		t.Errorf("batches sent = %v, want 0..4 once each", rec.batches)
	}
	var res CampaignResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != store.StatusDone {
		t.Errorf("result status = %q, want Done", res.Status)
	}
	if res.Counts["delivered"] != 50 {
		t.Errorf("delivered = %d, want 50", res.Counts["delivered"])
	}
}

func TestCampaignContinuesAsNew(t *testing.T) {
	env, rec, a := newEnv(t, 5)
	env.OnActivity(a.SendEmails, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendEmailsInput) (activities.SendEmailsResult, error) {
			rec.sent(in)
			return activities.SendEmailsResult{}, nil
		})
	o := testOptions()
	o.ContinueAsNewAfter = 2
	env.ExecuteWorkflow(CampaignWorkflow, CampaignInput{CampaignID: 7, Options: o})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want continue-as-new", err)
	}
	if len(rec.batches) != 2 {
		t.Errorf("first run sent %d batches, want 2", len(rec.batches))
	}
}

func TestCampaignPauseResume(t *testing.T) {
	env, rec, a := newEnv(t, 6)
	env.OnActivity(a.SendEmails, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendEmailsInput) (activities.SendEmailsResult, error) {
			rec.sent(in)
			return activities.SendEmailsResult{}, nil
		}).After(time.Minute)
	update := func(name string) {
		env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { t.Errorf("%s rejected: %v", name, err) },
			OnAccept:   func() {},
			OnComplete: func(any, error) {},
		})
	}
	env.RegisterDelayedCallback(func() { update(UpdatePause) }, 90*time.Second)
	var sentWhilePaused int
	env.RegisterDelayedCallback(func() {
		rec.mu.Lock()
		sentWhilePaused = len(rec.batches)
		rec.mu.Unlock()
	}, 3*time.Hour)
	env.RegisterDelayedCallback(func() {
		rec.mu.Lock()
		n := len(rec.batches)
		rec.mu.Unlock()
		if n != sentWhilePaused {
			t.Errorf("batches started while paused: %d then %d", sentWhilePaused, n)
		}
		update(UpdateResume)
	}, 5*time.Hour)
	env.ExecuteWorkflow(CampaignWorkflow, CampaignInput{CampaignID: 7, Options: testOptions()})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	if !slices.Contains(rec.statuses, store.StatusPaused) {
		t.Errorf("statuses %v never include Paused", rec.statuses)
	}
	if rec.statuses[len(rec.statuses)-1] != store.StatusDone {
		t.Errorf("last status = %q, want Done", rec.statuses[len(rec.statuses)-1])
	}
	if len(rec.batches) != 6 {
		t.Errorf("sent %d batches, want 6", len(rec.batches))
	}
}

func TestCampaignCancel(t *testing.T) {
	env, rec, a := newEnv(t, 6)
	env.OnActivity(a.SendEmails, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendEmailsInput) (activities.SendEmailsResult, error) {
			rec.sent(in)
			return activities.SendEmailsResult{}, nil
		}).After(time.Minute)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateCancel, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("cancel rejected: %v", err) },
			OnAccept: func() {}, OnComplete: func(any, error) {},
		})
	}, 90*time.Second)
	env.ExecuteWorkflow(CampaignWorkflow, CampaignInput{CampaignID: 7, Options: testOptions()})
	var res CampaignResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != store.StatusCancelled {
		t.Errorf("status = %q, want Cancelled", res.Status)
	}
	if len(rec.batches) >= 6 {
		t.Errorf("all %d batches sent despite cancel", len(rec.batches))
	}
}

func TestCampaignScheduled(t *testing.T) {
	env, rec, a := newBareEnv(t)
	at := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	env.SetStartTime(at.Add(-2 * time.Hour))
	env.OnActivity(a.FinishCampaign, mock.Anything, mock.Anything).Return(store.Counts{Total: 1, Delivered: 1}, nil)
	env.OnActivity(a.PrepareCampaign, mock.Anything, mock.Anything).Return(activities.PrepareResult{
		SendAt:  &at,
		Servers: []activities.ServerRef{{ID: 1, TaskQueue: "send", Weight: 1}},
	}, nil)
	var queuedAt time.Time
	env.OnActivity(a.QueueRecipients, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ int64) (store.QueueResult, error) {
			queuedAt = env.Now()
			return store.QueueResult{Total: 1, Batches: 1}, nil
		})
	env.OnActivity(a.SendEmails, mock.Anything, mock.Anything).Return(activities.SendEmailsResult{}, nil)
	env.ExecuteWorkflow(CampaignWorkflow, CampaignInput{CampaignID: 7, Options: testOptions()})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if rec.statuses[0] != store.StatusScheduled {
		t.Errorf("first status = %q, want Scheduled", rec.statuses[0])
	}
	if queuedAt.Before(at) {
		t.Errorf("queued at %v, before the scheduled %v", queuedAt, at)
	}
}

func TestBatchRetriesEachRecipient(t *testing.T) {
	env, _, a := newEnv(t, 1)
	calls := 0
	env.OnActivity(a.SendEmails, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendEmailsInput) (activities.SendEmailsResult, error) {
			calls++
			if calls == 1 {
				return activities.SendEmailsResult{Sent: 8, RetryIDs: []int64{4, 9}}, nil
			}
			return activities.SendEmailsResult{}, nil
		})
	var mu sync.Mutex
	var retried []int64
	env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendEmailInput) (activities.SendEmailResult, error) {
			mu.Lock()
			retried = append(retried, in.SubscriberID)
			mu.Unlock()
			return activities.SendEmailResult{Status: store.SendDelivered}, nil
		})
	env.ExecuteWorkflow(SendBatchWorkflow, BatchInput{CampaignID: 7, BatchNo: 0,
		Servers: []activities.ServerRef{{ID: 1, TaskQueue: "send", Weight: 1}}, Options: testOptions()})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(retried)
	if !slices.Equal(retried, []int64{4, 9}) {
		t.Errorf("retried %v, want [4 9]", retried)
	}
}

func TestBatchRetryWaitsInitialInterval(t *testing.T) {
	env, _, a := newEnv(t, 1)
	opts := testOptions()
	opts.Retry.InitialInterval = 30 * time.Second
	var bulkDone, retryAt time.Time
	calls := 0
	env.OnActivity(a.SendEmails, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendEmailsInput) (activities.SendEmailsResult, error) {
			calls++
			if calls == 1 {
				bulkDone = env.Now()
				return activities.SendEmailsResult{Sent: 9, RetryIDs: []int64{4}}, nil
			}
			return activities.SendEmailsResult{}, nil
		})
	env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendEmailInput) (activities.SendEmailResult, error) {
			retryAt = env.Now()
			return activities.SendEmailResult{Status: store.SendDelivered}, nil
		})
	env.ExecuteWorkflow(SendBatchWorkflow, BatchInput{CampaignID: 7, BatchNo: 0,
		Servers: []activities.ServerRef{{ID: 1, TaskQueue: "send", Weight: 1}}, Options: opts})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if wait := retryAt.Sub(bulkDone); wait < 30*time.Second {
		t.Errorf("the second attempt came %s after the bulk send, want the 30 s initial interval", wait)
	}
}

func TestBatchFailsOver(t *testing.T) {
	env, _, a := newEnv(t, 1)
	var servers []int64
	env.OnActivity(a.SendEmails, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendEmailsInput) (activities.SendEmailsResult, error) {
			servers = append(servers, in.ServerID)
			if in.ServerID == 1 {
				return activities.SendEmailsResult{}, temporal.NewNonRetryableApplicationError(
					"down", activities.ErrTypeServerUnavailable, nil)
			}
			return activities.SendEmailsResult{Sent: 10}, nil
		})
	env.ExecuteWorkflow(SendBatchWorkflow, BatchInput{CampaignID: 7, BatchNo: 0, Options: testOptions(),
		Servers: []activities.ServerRef{{ID: 1, TaskQueue: "a", Weight: 1}, {ID: 2, TaskQueue: "b", Weight: 1}}})
	var res BatchResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(servers, []int64{1, 2}) {
		t.Errorf("servers tried = %v, want [1 2]", servers)
	}
	if res.Sent != 10 {
		t.Errorf("sent = %d, want 10", res.Sent)
	}
}

func TestServerOrderByWeight(t *testing.T) {
	servers := []activities.ServerRef{{ID: 1, Weight: 3}, {ID: 2, Weight: 1}}
	firsts := map[int64]int{}
	for b := range 400 {
		firsts[serverOrder(servers, b)[0].ID]++
	}
	if firsts[1] != 300 || firsts[2] != 100 {
		t.Errorf("first choices = %v, want 300 for weight 3 and 100 for weight 1", firsts)
	}
	if got := serverOrder(servers, 3); len(got) != 2 || got[1].ID != 1 {
		t.Errorf("failover order for batch 3 = %v, want server 2 then 1", got)
	}
}
