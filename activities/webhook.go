package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/webhook"
)

// Application error types of webhook deliveries. WebhookRejected and
// WebhookUnreachable are retried; the others end the delivery at once.
const (
	// ErrTypeWebhookRejected is a non-2xx response other than 410.
	ErrTypeWebhookRejected = "WebhookRejected"
	// ErrTypeWebhookUnreachable is a delivery that got no HTTP response.
	ErrTypeWebhookUnreachable = "WebhookUnreachable"
	// ErrTypeWebhookGone is a 410 response: the receiver wants no retries.
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
// records it. A 2xx response marks the delivery delivered. A 410, a disabled
// endpoint or a rejected address returns a non-retryable error. Any other
// response, or none, returns a retryable error, so the workflow's retry
// policy paces the attempts. A delivery whose endpoint was deleted is done.
func (a *Activities) DeliverWebhook(ctx context.Context, in WebhookInput) error {
	d, ep, err := a.DB.WebhookDelivery(ctx, in.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}

	if d.Status == store.DeliveryDelivered {
		// An earlier attempt got through but its worker died before it
		// could report back: do not post again.
		return nil
	}
	if !ep.Enabled {
		msg := fmt.Sprintf("webhook %d is disabled", ep.ID)
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeWebhookDisabled, nil)
	}
	if a.Webhooks == nil {
		msg := "the worker has no webhook client: run it with the webhooks role"
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeWebhookDisabled, nil)
	}

	ev := webhook.Event{ID: d.EventID, Type: d.EventType, CreatedAt: d.CreatedAt, Data: d.Payload}
	resp, sendErr := a.Webhooks.Send(ctx, ep.URL, ep.Secret, ev)
	outcome := classifyWebhook(resp, sendErr)
	delivered := outcome == nil
	err = a.DB.RecordWebhookAttempt(ctx, d.ID, resp.StatusCode, attemptError(resp, sendErr), delivered)
	if err != nil {
		if delivered {
			// Retrying posts the event again; receivers de-duplicate by id.
			return err
		}
		a.Log.Warn("recording a webhook attempt failed", zap.Int64("delivery_id", d.ID), zap.Error(err))
	}
	return outcome
}

// classifyWebhook maps a receiver's response to nil (delivered) or to the
// error the retry policy acts on.
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
		msg := "HTTP " + resp.Status + ": the receiver is gone"
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeWebhookGone, nil)
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
