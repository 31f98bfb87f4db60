package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/pacer-email/pacer/internal/store"
)

// registerHandlers installs the query and the updates operators and the API
// use to steer a campaign. Each update returns the status it leaves.
func (r *campaignRun) registerHandlers(ctx workflow.Context) error {
	err := workflow.SetQueryHandler(ctx, QueryState, func() (campaignView, error) {
		running := make([]int, 0, len(r.running))
		for b := range r.running {
			running = append(running, b)
		}
		slices.Sort(running)
		return campaignView{Status: r.st.Status, Reason: r.st.Reason, Batches: r.st.Batches,
			NextBatch: r.st.NextBatch, Running: running, Rerun: r.st.Rerun}, nil
	})
	if err != nil {
		return err
	}
	handlers := []struct {
		name     string
		validate func() error
		apply    func(ctx workflow.Context) error
	}{
		{UpdatePause, r.canPause, r.pause},
		{UpdateResume, r.canResume, r.resume},
		{UpdateCancel, r.canCancel, r.cancel},
		{UpdateSendNow, r.canSendNow, func(workflow.Context) error { r.sendNow = true; return nil }},
	}
	for _, h := range handlers {
		apply := h.apply
		err := workflow.SetUpdateHandlerWithOptions(ctx, h.name,
			func(ctx workflow.Context) (string, error) {
				if err := apply(ctx); err != nil {
					return "", err
				}
				r.wake.SendAsync(true)
				return r.st.Status, nil
			},
			workflow.UpdateHandlerOptions{Validator: h.validate})
		if err != nil {
			return err
		}
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateRedispatch,
		func(ctx workflow.Context, batches []int) (string, error) {
			for _, b := range batches {
				if !slices.Contains(r.st.Rerun, b) {
					r.st.Rerun = append(r.st.Rerun, b)
				}
			}
			r.wake.SendAsync(true)
			return r.st.Status, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(batches []int) error {
			if r.cancelled {
				return fmt.Errorf("campaign %d is cancelled: nothing can be re-dispatched", r.in.CampaignID)
			}
			return nil
		}})
}

func (r *campaignRun) canPause() error {
	switch {
	case r.cancelled:
		return fmt.Errorf("campaign %d is cancelled and cannot be paused", r.in.CampaignID)
	case r.paused:
		return fmt.Errorf("campaign %d is already paused: resume it instead", r.in.CampaignID)
	}
	return nil
}

func (r *campaignRun) pause(ctx workflow.Context) error {
	r.paused = true
	actx := workflow.WithActivityOptions(ctx, bookkeepingOptions(r.in.Options))
	return r.setStatus(ctx, actx, store.StatusPaused, "paused by request")
}

func (r *campaignRun) canResume() error {
	if !r.paused || r.cancelled {
		return fmt.Errorf("campaign %d is %s, not paused: only a paused campaign can resume", r.in.CampaignID, r.st.Status)
	}
	return nil
}

func (r *campaignRun) resume(ctx workflow.Context) error {
	actx := workflow.WithActivityOptions(ctx, bookkeepingOptions(r.in.Options))
	if err := r.setStatus(ctx, actx, store.StatusSending, "resumed"); err != nil {
		return err
	}
	r.paused = false
	return nil
}

func (r *campaignRun) canCancel() error {
	if r.cancelled {
		return fmt.Errorf("campaign %d is already cancelled", r.in.CampaignID)
	}
	return nil
}

func (r *campaignRun) cancel(ctx workflow.Context) error {
	r.cancelled = true
	r.paused = false
	// The stored status tells running SendEmails activities to stop at once;
	// the final Cancelled with its counts is written when the batches end.
	actx := workflow.WithActivityOptions(ctx, bookkeepingOptions(r.in.Options))
	return r.setStatus(ctx, actx, store.StatusCancelled, "cancelled by request")
}

func (r *campaignRun) canSendNow() error {
	if r.st.Status != store.StatusScheduled {
		return fmt.Errorf("campaign %d is %s, not scheduled", r.in.CampaignID, r.st.Status)
	}
	return nil
}
