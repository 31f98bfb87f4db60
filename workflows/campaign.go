package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/store"
)

// campaignRun is the state of one campaign workflow run.
type campaignRun struct {
	in      CampaignInput
	st      CampaignState
	running map[int]bool
	// started counts the children this run started.
	started   int
	paused    bool
	cancelled bool
	sendNow   bool
	wake      workflow.Channel
}

// campaignView is the state query's result.
type campaignView struct {
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	Batches   int    `json:"batches"`
	NextBatch int    `json:"next_batch"`
	Running   []int  `json:"running"`
	Rerun     []int  `json:"rerun"`
}

// CampaignWorkflow drives one campaign through its lifecycle: Scheduled,
// Queuing, Queued, Sending, Paused and Done or Cancelled. It fans out one
// SendBatchWorkflow child per batch of recipients in a sliding window and
// continues as new every Options.ContinueAsNewAfter children, so a
// campaign of any size stays within Temporal's history limits.
func CampaignWorkflow(ctx workflow.Context, in CampaignInput) (CampaignResult, error) {
	r := &campaignRun{in: in, running: map[int]bool{}, wake: workflow.NewBufferedChannel(ctx, 64)}
	if in.State != nil {
		r.st = *in.State
		r.paused = r.st.Status == store.StatusPaused
	}
	if err := r.registerHandlers(ctx); err != nil {
		return CampaignResult{}, err
	}
	actx := workflow.WithActivityOptions(ctx, bookkeepingOptions(in.Options))

	if in.State == nil {
		var prep activities.PrepareResult
		if err := workflow.ExecuteActivity(actx, (*activities.Activities).PrepareCampaign, in.CampaignID).Get(ctx, &prep); err != nil {
			return CampaignResult{}, err
		}
		r.st.Servers = prep.Servers
		if prep.SendAt != nil && prep.SendAt.After(workflow.Now(ctx)) {
			if err := r.waitForSchedule(ctx, actx, *prep.SendAt); err != nil {
				return CampaignResult{}, err
			}
		}
		if !r.cancelled {
			if err := r.queue(ctx, actx); err != nil {
				return CampaignResult{}, err
			}
		}
	}
	if r.cancelled {
		return r.finish(ctx, actx)
	}
	if r.paused {
		// Paused while Scheduled or Queuing. Queuing has set its own status
		// since, so store Paused again.
		if r.st.Status != store.StatusPaused {
			if err := r.setStatus(ctx, actx, store.StatusPaused, "paused by request"); err != nil {
				return CampaignResult{}, err
			}
		}
	} else if err := r.setStatus(ctx, actx, store.StatusSending, ""); err != nil {
		return CampaignResult{}, err
	}
	return r.send(ctx, actx)
}

func bookkeepingOptions(o Options) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           o.CampaignQueue,
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	}
}

func (r *campaignRun) waitForSchedule(ctx workflow.Context, actx workflow.Context, at time.Time) error {
	if err := r.setStatus(ctx, actx, store.StatusScheduled, "send at "+at.UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	timer := workflow.NewTimer(timerCtx, at.Sub(workflow.Now(ctx)))
	fired := false
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(timer, func(workflow.Future) { fired = true })
	sel.AddReceive(r.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	for !fired && !r.sendNow && !r.cancelled {
		sel.Select(ctx)
	}
	cancelTimer()
	return nil
}

func (r *campaignRun) queue(ctx workflow.Context, actx workflow.Context) error {
	if err := r.setStatus(ctx, actx, store.StatusQueuing, ""); err != nil {
		return err
	}
	qctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           r.in.Options.CampaignQueue,
		StartToCloseTimeout: 30 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	var q store.QueueResult
	if err := workflow.ExecuteActivity(qctx, (*activities.Activities).QueueRecipients, r.in.CampaignID).Get(ctx, &q); err != nil {
		return err
	}
	r.st.Batches = q.Batches
	return r.setStatus(ctx, actx, store.StatusQueued, fmt.Sprintf("%d recipients in %d batches", q.Total, q.Batches))
}

// setStatus stores a lifecycle transition in PostgreSQL and in the
// CampaignStatus search attribute.
func (r *campaignRun) setStatus(ctx workflow.Context, actx workflow.Context, status, reason string) error {
	in := activities.SetStatusInput{CampaignID: r.in.CampaignID, Status: status, Reason: reason}
	if err := workflow.ExecuteActivity(actx, (*activities.Activities).SetStatus, in).Get(ctx, nil); err != nil {
		return err
	}
	r.st.Status, r.st.Reason = status, reason
	return workflow.UpsertTypedSearchAttributes(ctx, CampaignStatusKey.ValueSet(status))
}

// nextBatch returns the next batch to start: a re-run first, then a new one.
func (r *campaignRun) nextBatch() (int, bool) {
	for i, b := range r.st.Rerun {
		if !r.running[b] {
			r.st.Rerun = slices.Delete(r.st.Rerun, i, i+1)
			return b, true
		}
	}
	if r.st.NextBatch < r.st.Batches {
		b := r.st.NextBatch
		r.st.NextBatch++
		return b, true
	}
	return 0, false
}

func (r *campaignRun) send(ctx workflow.Context, actx workflow.Context) (CampaignResult, error) {
	log := workflow.GetLogger(ctx)
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(r.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	for {
		for !r.paused && !r.cancelled && len(r.running) < r.in.Options.Window && r.started < r.in.Options.ContinueAsNewAfter {
			b, ok := r.nextBatch()
			if !ok {
				break
			}
			r.startBatch(ctx, sel, b)
		}
		if len(r.running) == 0 {
			if r.cancelled {
				return r.finish(ctx, actx)
			}
			if !r.paused && len(r.st.Rerun) == 0 && r.st.NextBatch >= r.st.Batches {
				return r.finish(ctx, actx)
			}
			if !r.paused && r.started >= r.in.Options.ContinueAsNewAfter {
				if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
					return CampaignResult{}, err
				}
				log.Info("continuing as new", "campaign_id", r.in.CampaignID, "next_batch", r.st.NextBatch)
				next := r.in
				st := r.st
				next.State = &st
				return CampaignResult{}, workflow.NewContinueAsNewError(ctx, CampaignWorkflow, next)
			}
		}
		sel.Select(ctx)
	}
}

func (r *campaignRun) startBatch(ctx workflow.Context, sel workflow.Selector, b int) {
	r.running[b] = true
	r.started++
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            BatchWorkflowID(r.in.CampaignID, b),
		TaskQueue:             r.in.Options.CampaignQueue,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			CampaignIDKey.ValueSet(fmt.Sprint(r.in.CampaignID)),
			CampaignStatusKey.ValueSet(store.StatusSending)),
	})
	in := BatchInput{CampaignID: r.in.CampaignID, BatchNo: b, Servers: r.st.Servers, Options: r.in.Options}
	f := workflow.ExecuteChildWorkflow(cctx, SendBatchWorkflow, in)
	sel.AddFuture(f, func(f workflow.Future) {
		delete(r.running, b)
		var res BatchResult
		err := f.Get(ctx, &res)
		r.onBatchDone(ctx, b, res, err)
	})
}

func (r *campaignRun) onBatchDone(ctx workflow.Context, b int, res BatchResult, err error) {
	log := workflow.GetLogger(ctx)
	switch {
	case err != nil:
		// A batch that fails for good (no server reachable, a template error)
		// pauses the campaign with the reason instead of finishing it with
		// mail unsent. Resume runs the batch again.
		var canceled *temporal.CanceledError
		if errors.As(err, &canceled) && r.cancelled {
			return
		}
		log.Error("batch failed, pausing campaign", "campaign_id", r.in.CampaignID, "batch", b, "error", err)
		r.st.Rerun = append(r.st.Rerun, b)
		r.pauseFromBatch(ctx, fmt.Sprintf("batch %d failed: %v", b, rootCause(err)))
	case res.Stopped == store.StatusPaused:
		r.st.Rerun = append(r.st.Rerun, b)
		r.pauseFromBatch(ctx, res.Reason)
	case res.Stopped == store.StatusCancelled:
		r.cancelled = true
	}
}

// pauseFromBatch records a pause that a batch reported (a daily quota reply,
// a failed batch) as if an operator had paused the campaign.
func (r *campaignRun) pauseFromBatch(ctx workflow.Context, reason string) {
	if r.paused || r.cancelled {
		return
	}
	r.paused = true
	actx := workflow.WithActivityOptions(ctx, bookkeepingOptions(r.in.Options))
	if err := r.setStatus(ctx, actx, store.StatusPaused, reason); err != nil {
		workflow.GetLogger(ctx).Error("recording pause failed", "campaign_id", r.in.CampaignID, "error", err)
	}
}

func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

func (r *campaignRun) finish(ctx workflow.Context, actx workflow.Context) (CampaignResult, error) {
	status := store.StatusDone
	if r.cancelled {
		status = store.StatusCancelled
	}
	var counts store.Counts
	in := activities.FinishInput{CampaignID: r.in.CampaignID, Cancelled: r.cancelled}
	if err := workflow.ExecuteActivity(actx, (*activities.Activities).FinishCampaign, in).Get(ctx, &counts); err != nil {
		return CampaignResult{}, err
	}
	reason := fmt.Sprintf("%d delivered of %d", counts.Delivered, counts.Total)
	if err := r.setStatus(ctx, actx, status, reason); err != nil {
		return CampaignResult{}, err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return CampaignResult{}, err
	}
	// A re-dispatch accepted while the campaign was finishing has queued
	// sends again. No later run would send them, so this one does.
	if !r.cancelled && len(r.st.Rerun) > 0 {
		if err := r.setStatus(ctx, actx, store.StatusSending, "re-dispatched"); err != nil {
			return CampaignResult{}, err
		}
		return r.send(ctx, actx)
	}
	return CampaignResult{Status: status, Counts: countsMap(counts)}, nil
}

func countsMap(c store.Counts) map[string]int64 {
	return map[string]int64{
		"total": c.Total, "delivered": c.Delivered, "soft_bounced": c.SoftBounced,
		"hard_bounced": c.HardBounced, "failed": c.Failed, "uncertain": c.Uncertain,
		"skipped": c.Skipped, "cancelled": c.Cancelled, "pending": c.Pending(),
	}
}
