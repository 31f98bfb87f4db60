package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/address"
	"github.com/pacer-email/pacer/internal/render"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/workflows"
)

type campaignRequest struct {
	Name      string     `json:"name"`
	Subject   string     `json:"subject"`
	FromName  string     `json:"from_name"`
	FromEmail string     `json:"from_email"`
	ReplyTo   string     `json:"reply_to"`
	HTMLBody  string     `json:"html_body"`
	TextBody  string     `json:"text_body"`
	ListIDs   []int64    `json:"list_ids"`
	ServerIDs []int64    `json:"server_ids"`
	Track     *bool      `json:"track"`
	SendAt    *time.Time `json:"send_at"`
	BatchSize int        `json:"batch_size"`
}

func (s *Server) validateCampaign(ctx context.Context, req *campaignRequest) error {
	if strings.TrimSpace(req.Name) == "" {
		return invalid(`campaign name is empty: send {"name": "December news", ...}`)
	}
	if n := len(strings.TrimSpace(req.Name)); n > maxNameBytes {
		return invalid("campaign name is %d bytes long: use at most %d", n, maxNameBytes)
	}
	from, err := address.Normalize(req.FromEmail)
	if err != nil {
		return invalid("from_email %q: %v", req.FromEmail, err)
	}
	req.FromEmail = from
	if req.ReplyTo != "" {
		if req.ReplyTo, err = address.Normalize(req.ReplyTo); err != nil {
			return invalid("reply_to: %v", err)
		}
	}
	if _, err := render.Compile(req.Subject, req.HTMLBody, req.TextBody); err != nil {
		return invalid("%v", err)
	}
	if len(req.ListIDs) == 0 {
		return invalid("list_ids is empty: name at least one list (GET /api/lists)")
	}
	for _, id := range req.ListIDs {
		if _, err := s.DB.GetList(ctx, id); err != nil {
			return invalid("list %d does not exist: see GET /api/lists", id)
		}
	}
	if len(req.ServerIDs) == 0 {
		return invalid("server_ids is empty: name at least one sending server (GET /api/servers)")
	}
	for _, id := range req.ServerIDs {
		if _, err := s.DB.GetServer(ctx, id); err != nil {
			return invalid("sending server %d does not exist: see GET /api/servers", id)
		}
	}
	if req.BatchSize == 0 {
		req.BatchSize = s.BatchSize
	}
	if req.BatchSize == 0 {
		req.BatchSize = 5000
	}
	if req.BatchSize < 1 || req.BatchSize > 5000 {
		return invalid("batch_size %d: use 1 to 5000", req.BatchSize)
	}
	return nil
}

func (s *Server) createCampaign(c *gin.Context) (any, error) {
	var req campaignRequest
	if err := bindJSON(c, &req); err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	if err := s.validateCampaign(ctx, &req); err != nil {
		return nil, err
	}
	camp := store.Campaign{
		Name: strings.TrimSpace(req.Name), Subject: req.Subject, FromName: req.FromName,
		FromEmail: req.FromEmail, ReplyTo: req.ReplyTo, HTMLBody: req.HTMLBody, TextBody: req.TextBody,
		ListIDs: req.ListIDs, ServerIDs: req.ServerIDs, Track: req.Track == nil || *req.Track,
		SendAt: req.SendAt, BatchSize: req.BatchSize,
	}
	out, err := s.DB.CreateCampaign(ctx, camp)
	if err != nil {
		return nil, err
	}
	s.Log.Info("campaign created", zap.Int64("campaign_id", out.ID), zap.String("name", out.Name))
	return created{out}, nil
}

func (s *Server) listCampaigns(c *gin.Context) (any, error) {
	status := c.Query("status")
	if status != "" && !slices.Contains(campaignStatuses, status) {
		return nil, invalid("status %q: use one of %s", status, strings.Join(campaignStatuses, ", "))
	}
	return s.DB.ListCampaigns(c.Request.Context(), store.CampaignFilter{Status: status})
}

// CampaignView is a campaign with its live counts and progress.
type CampaignView struct {
	store.Campaign
	Counts   store.Counts `json:"counts"`
	Progress Progress     `json:"progress"`
	// Diagnosis explains in plain sentences why the campaign is not moving.
	Diagnosis []string `json:"diagnosis"`
}

func (s *Server) getCampaign(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.campaignView(c.Request.Context(), id)
}

func (s *Server) campaignView(ctx context.Context, id int64) (CampaignView, error) {
	camp, err := s.DB.GetCampaign(ctx, id)
	if err != nil {
		return CampaignView{}, err
	}
	counts, err := s.counts.get(ctx, s.DB, id, camp.Status)
	if err != nil {
		return CampaignView{}, err
	}
	v := CampaignView{Campaign: camp, Counts: counts, Progress: s.progress.observe(camp, counts, time.Now())}
	v.Diagnosis = s.diagnose(ctx, v)
	if v.Diagnosis == nil {
		v.Diagnosis = []string{}
	}
	return v, nil
}

// sendCampaign starts the campaign workflow. A campaign is sent once, and a
// second request gets 409.
func (s *Server) sendCampaign(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	camp, err := s.DB.GetCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if camp.Status != store.StatusDraft {
		return nil, &ConflictError{Msg: fmt.Sprintf("campaign %d is %s: only a Draft campaign can be sent", id, camp.Status)}
	}
	opts := client.StartWorkflowOptions{
		ID:                       workflows.CampaignWorkflowID(id),
		TaskQueue:                s.Options.CampaignQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// Without it the client returns the running workflow, and a second
		// send would get 200 instead of 409.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.CampaignIDKey.ValueSet(fmt.Sprint(id)),
			workflows.CampaignStatusKey.ValueSet(store.StatusQueuing)),
	}
	run, err := s.Temporal.ExecuteWorkflow(ctx, opts, workflows.CampaignWorkflowName,
		workflows.CampaignInput{CampaignID: id, Options: s.Options})
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return nil, &ConflictError{Msg: fmt.Sprintf("campaign %d is already sending", id)}
		}
		return nil, fmt.Errorf("start campaign %d: %w", id, err)
	}
	s.Log.Info("campaign sent", zap.Int64("campaign_id", id), zap.String("workflow_id", run.GetID()), zap.String("run_id", run.GetRunID()))
	return gin.H{"campaign_id": id, "workflow_id": run.GetID(), "run_id": run.GetRunID()}, nil
}

// control sends a pause, resume or cancel update to the campaign workflow
// and returns the status it reports.
func (s *Server) control(update string) func(c *gin.Context) (any, error) {
	return func(c *gin.Context) (any, error) {
		id, err := pathID(c, "id")
		if err != nil {
			return nil, err
		}
		if _, err := s.DB.GetCampaign(c.Request.Context(), id); err != nil {
			return nil, err
		}
		status, err := s.update(c.Request.Context(), id, update, nil)
		if err != nil {
			return nil, err
		}
		s.Log.Info("campaign "+update, zap.Int64("campaign_id", id), zap.String("status", status))
		return gin.H{"campaign_id": id, "status": status}, nil
	}
}

func (s *Server) update(ctx context.Context, id int64, name string, arg any) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	opts := client.UpdateWorkflowOptions{
		WorkflowID:   workflows.CampaignWorkflowID(id),
		UpdateName:   name,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	if arg != nil {
		opts.Args = []any{arg}
	}
	handle, err := s.Temporal.UpdateWorkflow(ctx, opts)
	if err == nil {
		var status string
		if err = handle.Get(ctx, &status); err == nil {
			return status, nil
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return "", &ConflictError{Msg: fmt.Sprintf("campaign %d is not running: only a sending, queued, scheduled or paused campaign accepts %s", id, name)}
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return "", &ConflictError{Msg: appErr.Message()}
	}
	return "", fmt.Errorf("%s campaign %d: %w", name, id, err)
}

// campaignStatuses are the values GET /api/campaigns?status= takes.
var campaignStatuses = []string{store.StatusDraft, store.StatusScheduled, store.StatusQueuing, store.StatusQueued,
	store.StatusSending, store.StatusPaused, store.StatusCancelled, store.StatusDone}
