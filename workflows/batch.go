package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/store"
)

// SendBatchWorkflow sends one batch of a campaign. A SendEmails activity on
// the server's task queue sends every queued recipient of the batch in bulk;
// recipients that got a soft (4xx) reply are then retried one by one with a
// SendEmail activity each, under the campaign's retry policy, so the
// history shows every failed recipient with the server's reply. Both
// activities claim each recipient in PostgreSQL before the final dot, so a
// retried activity or a reset of this workflow never sends anyone twice.
func SendBatchWorkflow(ctx workflow.Context, in BatchInput) (BatchResult, error) {
	res, err := sendBatch(ctx, in)
	if err != nil {
		return res, err
	}
	// The batch started as Sending. Its final status replaces that, so a
	// filter on CampaignStatus="Sending" in the Web UI finds only running batches.
	status := store.StatusDone
	if res.Stopped != "" {
		status = res.Stopped
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, CampaignStatusKey.ValueSet(status)); err != nil {
		return res, err
	}
	return res, nil
}

func sendBatch(ctx workflow.Context, in BatchInput) (BatchResult, error) {
	log := workflow.GetLogger(ctx)
	if len(in.Servers) == 0 {
		return BatchResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("campaign %d has no sending server", in.CampaignID), "NoServer", nil)
	}
	servers := serverOrder(in.Servers, in.BatchNo)
	current := 0
	var res BatchResult
	for {
		srv := servers[current]
		out, err := runSendEmails(ctx, in, srv)
		if err != nil {
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeServerUnavailable && current+1 < len(servers) {
				log.Warn("server unavailable, failing over", "campaign_id", in.CampaignID,
					"batch", in.BatchNo, "server", srv.Name, "next_server", servers[current+1].Name, "error", err)
				current++
				continue
			}
			return res, err
		}
		res.Sent += out.Sent
		if out.Stopped != "" {
			res.Stopped, res.Reason = out.Stopped, out.Reason
			return res, nil
		}
		if len(out.RetryIDs) > 0 {
			stopped, reason := retryEach(ctx, in, srv, out.RetryIDs)
			res.Retried += len(out.RetryIDs)
			if stopped != "" {
				res.Stopped, res.Reason = stopped, reason
				return res, nil
			}
			continue
		}
		if out.Queued > 0 {
			// Left queued by throttling: run the bulk send again after a pause.
			if err := workflow.Sleep(ctx, 5*time.Second); err != nil {
				return res, err
			}
			continue
		}
		if out.Committing > 0 {
			// Claims of a dead attempt: wait until they are stale, then the
			// next SendEmails marks them delivery-uncertain.
			if err := workflow.Sleep(ctx, in.Options.StaleClaimAge); err != nil {
				return res, err
			}
			continue
		}
		return res, nil
	}
}

// serverOrder returns the campaign's servers in the order this batch tries
// them: batches are spread over the pool by weight, and the others follow as
// failover.
func serverOrder(servers []activities.ServerRef, batchNo int) []activities.ServerRef {
	total := 0
	for _, s := range servers {
		total += max(s.Weight, 0)
	}
	first := 0
	if total > 0 {
		slot := batchNo % total
		for i, s := range servers {
			if slot < max(s.Weight, 0) {
				first = i
				break
			}
			slot -= max(s.Weight, 0)
		}
	}
	out := make([]activities.ServerRef, 0, len(servers))
	for i := range servers {
		out = append(out, servers[(first+i)%len(servers)])
	}
	return out
}

func runSendEmails(ctx workflow.Context, in BatchInput, srv activities.ServerRef) (activities.SendEmailsResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: srv.TaskQueue,
		// A slow pace can stretch one batch over hours; the heartbeat, not
		// this bound, notices a dead worker.
		StartToCloseTimeout: 24 * time.Hour,
		HeartbeatTimeout:    20 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeServerUnavailable, activities.ErrTypeInvalidCampaign},
		},
	})
	send := activities.SendEmailsInput{
		CampaignID:    in.CampaignID,
		BatchNo:       in.BatchNo,
		ServerID:      srv.ID,
		MaxAttempts:   in.Options.Retry.MaxAttempts,
		StaleClaimAge: in.Options.StaleClaimAge,
	}
	var out activities.SendEmailsResult
	err := workflow.ExecuteActivity(actx, (*activities.Activities).SendEmails, send).Get(ctx, &out)
	return out, err
}

// retryEach runs one SendEmail activity per recipient, at most
// RetryConcurrency at once. The activity records each failure itself, and
// their errors are ignored here, so a failed recipient never fails the batch.
func retryEach(ctx workflow.Context, in BatchInput, srv activities.ServerRef, ids []int64) (string, string) {
	p := in.Options.Retry
	firstRetry := p.InitialInterval
	if workflow.GetVersion(ctx, "retry-waits-initial-interval", workflow.DefaultVersion, 1) == 1 {
		// The bulk send was the first attempt. The second waits the initial
		// interval, and each later one the interval times the coefficient
		// once more, as the README promises: 30 s, 60 s, 120 s, ... by
		// default. Without this wait a greylisting server saw the second
		// attempt at once.
		if err := workflow.Sleep(ctx, p.InitialInterval); err != nil {
			return "", ""
		}
		firstRetry = min(time.Duration(float64(p.InitialInterval)*max(p.BackoffCoefficient, 1)), p.MaximumInterval)
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           srv.TaskQueue,
		StartToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    firstRetry,
			BackoffCoefficient: p.BackoffCoefficient,
			MaximumInterval:    p.MaximumInterval,
			// The attempt count lives in the sends row, which also counts the
			// bulk attempt; the activity fails for good once it is used up.
			MaximumAttempts: 0,
		},
	})
	var stopped, reason string
	pending := 0
	sel := workflow.NewSelector(ctx)
	for i := 0; i < len(ids) || pending > 0; {
		if stopped == "" && i < len(ids) && pending < max(in.Options.RetryConcurrency, 1) {
			send := activities.SendEmailInput{CampaignID: in.CampaignID, SubscriberID: ids[i],
				ServerID: srv.ID, MaxAttempts: p.MaxAttempts}
			f := workflow.ExecuteActivity(actx, (*activities.Activities).SendEmail, send)
			pending++
			i++
			sel.AddFuture(f, func(f workflow.Future) {
				pending--
				var out activities.SendEmailResult
				if err := f.Get(ctx, &out); err == nil && out.Stopped != "" && stopped == "" {
					stopped, reason = out.Stopped, out.Reason
				}
			})
			continue
		}
		if stopped != "" && pending == 0 {
			break
		}
		sel.Select(ctx)
	}
	if stopped == store.StatusPaused || stopped == store.StatusCancelled {
		return stopped, reason
	}
	return "", ""
}
