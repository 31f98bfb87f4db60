package api

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/workflows"
)

var failedReasons = map[string]bool{
	store.ReasonSoftBounce: true, store.ReasonBlocked: true, store.ReasonRetriesExhausted: true,
	store.ReasonUncertain: true, store.ReasonRejected: true, store.ReasonInvalid: true,
}

func failedFilter(reason string, ids []int64) (store.FailedFilter, error) {
	if reason != "" && !failedReasons[reason] {
		return store.FailedFilter{}, invalid("reason %q: use soft_bounce, blocked, retries_exhausted, uncertain, rejected or invalid", reason)
	}
	return store.FailedFilter{Reason: reason, SubscriberIDs: ids}, nil
}

func (s *Server) listFailed(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	f, err := failedFilter(c.Query("reason"), nil)
	if err != nil {
		return nil, err
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, invalid("limit %q is not a number", v)
		}
		f.Limit = n
	}
	if _, err := s.DB.GetCampaign(c.Request.Context(), id); err != nil {
		return nil, err
	}
	return s.DB.ListFailed(c.Request.Context(), id, f)
}

// redispatch queues failed sends again, all of them or the given
// subscribers or reason, and has the campaign workflow send them: the
// running one through an update, a finished one through a new run.
func (s *Server) redispatch(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	var req struct {
		SubscriberIDs []int64 `json:"subscriber_ids"`
		Reason        string  `json:"reason"`
	}
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			return nil, err
		}
	}
	f, err := failedFilter(req.Reason, req.SubscriberIDs)
	if err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	camp, err := s.DB.GetCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if camp.Status == store.StatusDraft || camp.Status == store.StatusCancelled {
		return nil, &ConflictError{Msg: fmt.Sprintf("campaign %d is %s: nothing to re-dispatch", id, camp.Status)}
	}
	n, batches, err := s.DB.Redispatch(ctx, id, f)
	if err != nil {
		return nil, err
	}
	if n == 0 && len(req.SubscriberIDs) > 0 {
		return nil, invalid("none of subscriber_ids %v is a failed, soft-bounced or uncertain send of campaign %d "+
			"waiting for re-dispatch: see GET /api/campaigns/%d/failed", req.SubscriberIDs, id, id)
	}
	if n > 0 {
		if err := s.runBatches(ctx, camp, batches); err != nil {
			return nil, err
		}
	}
	s.Log.Info("failed sends re-dispatched", zap.Int64("campaign_id", id), zap.Int("sends", n), zap.Ints("batches", batches))
	return gin.H{"campaign_id": id, "redispatched": n, "batches": batches}, nil
}

func (s *Server) runBatches(ctx context.Context, camp store.Campaign, batches []int) error {
	_, err := s.update(ctx, camp.ID, workflows.UpdateRedispatch, batches)
	var conflict *ConflictError
	if err == nil || !errors.As(err, &conflict) {
		return err
	}
	// The workflow has ended: start a new run that sends only these batches.
	var servers []activities.ServerRef
	for _, sid := range camp.ServerIDs {
		srv, err := s.DB.GetServer(ctx, sid)
		if err != nil {
			return err
		}
		servers = append(servers, activities.ServerRef{ID: srv.ID, Name: srv.Name, TaskQueue: srv.TaskQueue, Weight: srv.Weight})
	}
	in := workflows.CampaignInput{CampaignID: camp.ID, Options: s.Options, State: &workflows.CampaignState{
		Status: store.StatusSending, Servers: servers, Batches: camp.Batches, NextBatch: camp.Batches, Rerun: batches,
	}}
	opts := client.StartWorkflowOptions{
		ID:                    workflows.CampaignWorkflowID(camp.ID),
		TaskQueue:             s.Options.CampaignQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}
	if _, err := s.Temporal.ExecuteWorkflow(ctx, opts, workflows.CampaignWorkflowName, in); err != nil {
		return fmt.Errorf("start re-dispatch run of campaign %d: %w", camp.ID, err)
	}
	return nil
}
