package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
)

// ServerRef is one sending server of a campaign's pool, as the workflows
// route batches to it.
type ServerRef struct {
	ID        int64
	Name      string
	TaskQueue string
	Weight    int
}

// PrepareResult is what the campaign workflow needs before it queues.
type PrepareResult struct {
	SendAt  *time.Time
	Servers []ServerRef
}

// PrepareCampaign checks that a campaign can be sent and returns its
// schedule and server pool. Problems a retry cannot fix fail for good with
// a message that names the fix.
func (a *Activities) PrepareCampaign(ctx context.Context, campaignID int64) (PrepareResult, error) {
	a.observeActivity("PrepareCampaign")
	c, err := a.DB.GetCampaign(ctx, campaignID)
	if err != nil {
		return PrepareResult{}, err
	}
	if _, err := a.composer(ctx, campaignID); err != nil {
		return PrepareResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidCampaign, err)
	}
	res := PrepareResult{SendAt: c.SendAt}
	for _, id := range c.ServerIDs {
		srv, err := a.DB.GetServer(ctx, id)
		if err != nil {
			return PrepareResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("campaign %d names sending server %d: %v", campaignID, id, err), ErrTypeInvalidCampaign, err)
		}
		res.Servers = append(res.Servers, ServerRef{ID: srv.ID, Name: srv.Name, TaskQueue: srv.TaskQueue, Weight: srv.Weight})
	}
	return res, nil
}

// SetStatusInput is a lifecycle transition.
type SetStatusInput struct {
	CampaignID int64
	Status     string
	Reason     string
}

// SetStatus stores a campaign's lifecycle status.
func (a *Activities) SetStatus(ctx context.Context, in SetStatusInput) error {
	a.observeActivity("SetStatus")
	if err := a.DB.SetCampaignStatus(ctx, in.CampaignID, in.Status, in.Reason); err != nil {
		return err
	}
	a.Log.Info("campaign status", zap.Int64("campaign_id", in.CampaignID),
		zap.String("status", in.Status), zap.String("reason", in.Reason))
	return nil
}

// QueueRecipients builds the campaign's recipient queue in PostgreSQL.
func (a *Activities) QueueRecipients(ctx context.Context, campaignID int64) (store.QueueResult, error) {
	a.observeActivity("QueueRecipients")
	c, err := a.DB.GetCampaign(ctx, campaignID)
	if err != nil {
		return store.QueueResult{}, err
	}
	start := time.Now()
	res, err := a.DB.QueueRecipients(ctx, campaignID, c.BatchSize)
	if err != nil {
		return store.QueueResult{}, err
	}
	if err := a.DB.AnalyzeSends(ctx); err != nil {
		// Stale statistics slow sending down; they do not stop it.
		a.Log.Warn("refreshing the sends statistics failed", zap.Int64("campaign_id", campaignID), zap.Error(err))
	}
	a.Log.Info("campaign queued", zap.Int64("campaign_id", campaignID), zap.Int("total", res.Total),
		zap.Int("skipped", res.Skipped), zap.Int("batches", res.Batches), zap.Duration("took", time.Since(start)))
	return res, nil
}

// FinishInput ends a campaign.
type FinishInput struct {
	CampaignID int64
	Cancelled  bool
}

// FinishCampaign marks unsent recipients of a cancelled campaign as
// cancelled and returns the final counts.
func (a *Activities) FinishCampaign(ctx context.Context, in FinishInput) (store.Counts, error) {
	a.observeActivity("FinishCampaign")
	if in.Cancelled {
		n, err := a.DB.CancelPending(ctx, in.CampaignID)
		if err != nil {
			return store.Counts{}, err
		}
		a.Log.Info("campaign cancelled", zap.Int64("campaign_id", in.CampaignID), zap.Int64("unsent", n))
	}
	return a.DB.Counts(ctx, in.CampaignID)
}
