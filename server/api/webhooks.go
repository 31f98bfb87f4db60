package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/webhook"
	"github.com/pacer-email/pacer/workflows"
)

// webhookRoutes registers the webhook endpoints and their deliveries.
func (s *Server) webhookRoutes(api *gin.RouterGroup) {
	api.GET("/webhooks", s.handle(s.listWebhooks))
	api.POST("/webhooks", s.handle(s.createWebhook))
	api.GET("/webhooks/:id", s.handle(s.getWebhook))
	api.DELETE("/webhooks/:id", s.handle(s.deleteWebhook))
	api.GET("/webhooks/:id/deliveries", s.handle(s.listDeliveries))
	api.POST("/webhooks/:id/deliveries/:delivery/replay", s.handle(s.replayDelivery))
	api.POST("/webhooks/:id/replay-failed", s.handle(s.replayFailed))
}

// webhookRequest is the body of POST /api/webhooks.
type webhookRequest struct {
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
	// Secret is generated when empty, and then returned once.
	Secret  string `json:"secret"`
	Enabled *bool  `json:"enabled"`
}

// minSecretLength keeps caller-chosen secrets out of guessing range.
const minSecretLength = 16

func (r webhookRequest) validate() error {
	for _, t := range r.EventTypes {
		if !webhook.KnownEventType(t) {
			return invalid("event type %q: use %s, or none for every type", t, strings.Join(webhook.EventTypes, ", "))
		}
	}
	if r.Secret != "" && len(r.Secret) < minSecretLength {
		return invalid("secret is %d characters: use at least %d, or leave it out to have one generated",
			len(r.Secret), minSecretLength)
	}
	return nil
}

// webhookCreated is the response to POST /api/webhooks: the endpoint, with
// its secret when pacer generated it. The API never shows it again.
type webhookCreated struct {
	store.WebhookEndpoint
	Secret string `json:"secret,omitempty"`
}

func (s *Server) createWebhook(c *gin.Context) (any, error) {
	var req webhookRequest
	if err := bindJSON(c, &req); err != nil {
		return nil, err
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	u, err := webhook.CheckURL(ctx, req.URL, s.AllowPrivateWebhooks, nil)
	if err != nil {
		return nil, webhookURLError(err)
	}

	ep := store.WebhookEndpoint{URL: u.String(), Secret: req.Secret, EventTypes: req.EventTypes, Enabled: true}
	generated := ep.Secret == ""
	if generated {
		if ep.Secret, err = webhook.NewSecret(); err != nil {
			return nil, err
		}
	}
	if req.Enabled != nil {
		ep.Enabled = *req.Enabled
	}

	ep, err = s.DB.CreateWebhookEndpoint(ctx, ep)
	if err != nil {
		return nil, err
	}
	s.Log.Info("webhook created", zap.Int64("webhook_id", ep.ID), zap.Strings("event_types", ep.EventTypes))
	out := webhookCreated{WebhookEndpoint: ep}
	if generated {
		out.Secret = ep.Secret
	}
	return created{out}, nil
}

// webhookURLError turns a rejected URL into a 400 with the reason.
func webhookURLError(err error) error {
	var forbidden *webhook.ForbiddenError
	var bad *webhook.InvalidURLError
	if errors.As(err, &forbidden) || errors.As(err, &bad) {
		return invalid("%s", strings.TrimPrefix(err.Error(), "webhook: "))
	}
	return err
}

func (s *Server) listWebhooks(c *gin.Context) (any, error) {
	return s.DB.ListWebhookEndpoints(c.Request.Context())
}

func (s *Server) getWebhook(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.DB.GetWebhookEndpoint(c.Request.Context(), id)
}

func (s *Server) deleteWebhook(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	if err := s.DB.DeleteWebhookEndpoint(c.Request.Context(), id); err != nil {
		return nil, err
	}
	s.Log.Info("webhook deleted", zap.Int64("webhook_id", id))
	return gin.H{"deleted": id}, nil
}

var deliveryStatuses = []string{
	store.DeliveryPending, store.DeliveryDelivering, store.DeliveryDelivered, store.DeliveryFailed,
}

func (s *Server) listDeliveries(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	f := store.DeliveryFilter{Status: c.Query("status")}
	if f.Status != "" && !slices.Contains(deliveryStatuses, f.Status) {
		return nil, invalid("status %q: use %s", f.Status, strings.Join(deliveryStatuses, ", "))
	}
	if v := c.Query("limit"); v != "" {
		if f.Limit, err = strconv.ParseUint(v, 10, 32); err != nil {
			return nil, invalid("limit %q is not a number", v)
		}
	}
	ctx := c.Request.Context()
	if _, err := s.DB.GetWebhookEndpoint(ctx, id); err != nil {
		return nil, err
	}
	return s.DB.ListWebhookDeliveries(ctx, id, f)
}

// replayDelivery queues one failed or delivered delivery again; the
// dispatcher starts its workflow within a poll interval. A delivering one
// is queued again only when its workflow no longer runs, as after an
// operator terminated it.
func (s *Server) replayDelivery(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	deliveryID, err := pathID(c, "delivery")
	if err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	d, err := s.DB.ReplayWebhookDelivery(ctx, id, deliveryID, false)
	if errors.Is(err, store.ErrDeliveryInFlight) && !s.webhookRunning(ctx, deliveryID) {
		d, err = s.DB.ReplayWebhookDelivery(ctx, id, deliveryID, true)
	}
	if errors.Is(err, store.ErrDeliveryInFlight) {
		return nil, &ConflictError{Msg: fmt.Sprintf("%v: wait for it to be delivered or to fail", err)}
	}
	if err != nil {
		return nil, err
	}
	s.Log.Info("webhook delivery replayed", zap.Int64("webhook_id", id), zap.Int64("delivery_id", deliveryID))
	return d, nil
}

// webhookRunning reports whether a delivery's workflow runs. When the
// lookup fails it reports true, so the delivery is left as it is.
func (s *Server) webhookRunning(ctx context.Context, deliveryID int64) bool {
	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, workflows.WebhookWorkflowID(deliveryID), "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false
	}
	if err != nil {
		s.Log.Warn("describing a webhook workflow failed", zap.Int64("delivery_id", deliveryID), zap.Error(err))
		return true
	}
	return desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
}

// replayFailed queues every failed delivery of an endpoint again.
func (s *Server) replayFailed(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	if _, err := s.DB.GetWebhookEndpoint(ctx, id); err != nil {
		return nil, err
	}
	n, err := s.DB.ReplayFailedWebhooks(ctx, id)
	if err != nil {
		return nil, err
	}
	s.Log.Info("failed webhook deliveries replayed", zap.Int64("webhook_id", id), zap.Int64("deliveries", n))
	return gin.H{"webhook_id": id, "replayed": n}, nil
}
