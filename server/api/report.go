package api

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/address"
	"github.com/pacer-email/pacer/workflows"
)

func (s *Server) getReport(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	if _, err := s.DB.GetCampaign(c.Request.Context(), id); err != nil {
		return nil, err
	}
	return s.DB.CampaignReport(c.Request.Context(), id)
}

// maxTestEmails bounds the test copies one request sends.
const maxTestEmails = 10

// sendTest sends test copies of a campaign through the worker that holds the
// SMTP connections, and returns each server reply.
func (s *Server) sendTest(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	var req struct {
		Emails []string `json:"emails"`
	}
	if err := bindJSON(c, &req); err != nil {
		return nil, err
	}
	if len(req.Emails) == 0 || len(req.Emails) > maxTestEmails {
		return nil, invalid(`emails: give 1 to %d addresses, as {"emails": ["you@example.com"]}`, maxTestEmails)
	}
	for i, e := range req.Emails {
		n, err := address.Normalize(e)
		if err != nil {
			return nil, invalid("emails[%d] %q: %v", i, e, err)
		}
		req.Emails[i] = n
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 90*time.Second)
	defer cancel()
	camp, err := s.DB.GetCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	srv, err := s.DB.GetServer(ctx, camp.ServerIDs[0])
	if err != nil {
		return nil, err
	}
	opts := client.StartWorkflowOptions{
		ID:        fmt.Sprintf("campaign-%d-test-%d", id, time.Now().UnixNano()),
		TaskQueue: s.Options.CampaignQueue,
	}
	in := workflows.TestMessageInput{CampaignID: id, Emails: req.Emails,
		Server: activities.ServerRef{ID: srv.ID, Name: srv.Name, TaskQueue: srv.TaskQueue, Weight: srv.Weight}}
	run, err := s.Temporal.ExecuteWorkflow(ctx, opts, workflows.TestMessageWorkflowName, in)
	if err != nil {
		return nil, fmt.Errorf("start test send: %w", err)
	}
	var out []activities.TestResult
	if err := run.Get(ctx, &out); err != nil {
		if strings.Contains(err.Error(), "ScheduleToStart") {
			return nil, fmt.Errorf("no worker picked up the test send on task queue %q within 30s: start the worker", srv.TaskQueue)
		}
		return nil, fmt.Errorf("test send: %w", err)
	}
	return gin.H{"campaign_id": id, "results": out}, nil
}
