package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/webhook"
)

// Application error types of webhook deliveries. WebhookRejected and
// WebhookUnreachable are retried; the others end the delivery at once.
const (
	// ErrTypeWebhookRejected is a non-2xx answer other than 410.
	ErrTypeWebhookRejected = "WebhookRejected"
	// ErrTypeWebhookUnreachable is a delivery that got no HTTP answer.
	ErrTypeWebhookUnreachable = "WebhookUnreachable"
	// ErrTypeWebhookGone is a 410 answer: the receiver wants no retries.
	ErrTypeWebhookGone = "WebhookGone"
	// ErrTypeWebhookForbidden is an address webhooks may not reach.
	ErrTypeWebhookForbidden = "WebhookForbidden"
	// ErrTypeWebhookDisabled is a delivery to a disabled endpoint.
	ErrTypeWebhookDisabled = "WebhookDisabled"
)

// WebhookInput names one row of the webhook outbox.
type WebhookInput struct {
	DeliveryID int64
}

// WebhookFailInput ends a delivery whose attempts are over.
type WebhookFailInput struct {
	DeliveryID int64
	// Reason is kept as the delivery's last error when no attempt left one.
	Reason string
}

// DeliverWebhook makes one attempt to post a delivery to its endpoint and
// records it. A 2xx answer marks the delivery delivered. A 410, a disabled
// endpoint or a refused address returns a non-retryable error; any other
// answer, and no answer, a retryable one, so the workflow's retry policy
// paces the attempts. A delivery whose endpoint was deleted is done.
func (a *Activities) DeliverWebhook(ctx context.Context, in WebhookInput) error {
	d, ep, err := a.DB.WebhookDelivery(ctx, in.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if d.Status == store.DeliveryDelivered {
		return nil
	}
	if !ep.Enabled {
		msg := fmt.Sprintf("webhook %d is disabled", ep.ID)
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeWebhookDisabled, nil)
	}
	if a.Webhooks == nil {
		return temporal.NewNonRetryableApplicationError("the worker has no webhook client", ErrTypeWebhookDisabled, nil)
	}
	ev := webhook.Event{ID: d.EventID, Type: d.EventType, CreatedAt: d.CreatedAt, Data: d.Payload}
	resp, sendErr := a.Webhooks.Send(ctx, ep.URL, ep.Secret, ev)
	outcome := classifyWebhook(resp, sendErr)
	delivered := outcome == nil
	if err := a.DB.RecordWebhookAttempt(ctx, d.ID, resp.StatusCode, attemptError(resp, sendErr), delivered); err != nil {
		if delivered {
			// Retrying posts the event again; receivers de-duplicate by id.
			return err
		}
		a.Log.Warn("recording a webhook attempt failed", zap.Int64("delivery_id", d.ID), zap.Error(err))
	}
	if outcome != nil {
		a.Log.Debug("webhook attempt failed", zap.Int64("delivery_id", d.ID), zap.Int64("endpoint_id", ep.ID),
			zap.Int32("attempt", activity.GetInfo(ctx).Attempt), zap.Error(outcome))
	}
	return outcome
}

// classifyWebhook maps a receiver's answer to nil (delivered) or the error
// the retry policy acts on.
func classifyWebhook(resp webhook.Response, err error) error {
	var forbidden *webhook.ForbiddenError
	switch {
	case errors.As(err, &forbidden):
		return temporal.NewNonRetryableApplicationError(forbidden.Error(), ErrTypeWebhookForbidden, nil)
	case err != nil:
		return temporal.NewApplicationError(err.Error(), ErrTypeWebhookUnreachable)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == 410:
		return temporal.NewNonRetryableApplicationError("HTTP "+resp.Status+": the receiver is gone", ErrTypeWebhookGone, nil)
	default:
		return temporal.NewApplicationError("HTTP "+resp.Status, ErrTypeWebhookRejected)
	}
}

// attemptError is the last_error text of an attempt: the transport error,
// or the status line and the start of the body of a non-2xx answer.
func attemptError(resp webhook.Response, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return ""
	case resp.Body != "":
		return "HTTP " + resp.Status + ": " + resp.Body
	default:
		return "HTTP " + resp.Status
	}
}

// FailWebhook marks a delivery failed for good once its workflow gives up;
// POST /api/webhooks/{id}/deliveries/{delivery}/replay queues it again.
func (a *Activities) FailWebhook(ctx context.Context, in WebhookFailInput) error {
	return a.DB.FailWebhookDelivery(ctx, in.DeliveryID, in.Reason)
}
