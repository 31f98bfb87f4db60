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

	res := a.Webhooks.Deliver(ctx, ep.URL, ep.Secret, webhook.EventOf(d))
	outcome := classifyWebhook(res)
	delivered := outcome == nil
	err = a.DB.RecordWebhookAttempt(ctx, d.ID, res.Response.StatusCode, res.ErrorText(), delivered)
	if err != nil {
		if delivered {
			// Retrying posts the event again; receivers de-duplicate by id.
			return err
		}
		a.Log.Warn("recording a webhook attempt failed", zap.Int64("delivery_id", d.ID), zap.Error(err))
	}
	return outcome
}

// classifyWebhook maps an attempt to nil (delivered) or to the error the
// retry policy acts on.
func classifyWebhook(res webhook.Result) error {
	var forbidden *webhook.ForbiddenError
	switch res.Outcome {
	case webhook.Delivered:
		return nil
	case webhook.Forbidden:
		msg := res.ErrorText()
		if errors.As(res.Err, &forbidden) {
			msg = forbidden.Error()
		}
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeWebhookForbidden, nil)
	case webhook.Unreachable:
		return temporal.NewApplicationError(res.ErrorText(), ErrTypeWebhookUnreachable)
	case webhook.Gone:
		msg := "HTTP " + res.Response.Status + ": the receiver is gone"
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeWebhookGone, nil)
	default:
		return temporal.NewApplicationError("HTTP "+res.Response.Status, ErrTypeWebhookRejected)
	}
}

// FailWebhook marks a delivery failed for good once its workflow gives up;
// POST /api/webhooks/{id}/deliveries/{delivery}/replay queues it again.
func (a *Activities) FailWebhook(ctx context.Context, in WebhookFailInput) error {
	return a.DB.FailWebhookDelivery(ctx, in.DeliveryID, in.Reason)
}
