package webhook

import (
	"context"
	"errors"

	"github.com/pacer-email/pacer/internal/store"
)

// Outcome classifies one delivery attempt.
type Outcome int

const (
	// Delivered is a 2xx response.
	Delivered Outcome = iota
	// Rejected is a non-2xx response other than 410. It is retried.
	Rejected
	// Unreachable is an attempt that got no HTTP response. It is retried.
	Unreachable
	// Gone is a 410 response: the receiver wants no retries.
	Gone
	// Forbidden is an address that webhooks may not reach.
	Forbidden
)

// Result is one delivery attempt: the response, or the error that stopped
// it, and its outcome.
type Result struct {
	Response Response
	// Err is the transport error when no response arrived.
	Err     error
	Outcome Outcome
}

// Retryable reports whether a later attempt may succeed.
func (r Result) Retryable() bool { return r.Outcome == Rejected || r.Outcome == Unreachable }

// ErrorText returns the last_error text of the attempt: the transport
// error, or the status line and the start of the body of a non-2xx
// response. It is empty for a delivered attempt.
func (r Result) ErrorText() string {
	switch {
	case r.Err != nil:
		return r.Err.Error()
	case r.Outcome == Delivered:
		return ""
	case r.Response.Body != "":
		return "HTTP " + r.Response.Status + ": " + r.Response.Body
	default:
		return "HTTP " + r.Response.Status
	}
}

// Deliver makes one attempt to post ev to url, signed with secret, and
// classifies the response. The dispatcher's first attempts and the
// DeliverWebhook activity's retries both call it.
func (c *Client) Deliver(ctx context.Context, url, secret string, ev Event) Result {
	resp, err := c.Send(ctx, url, secret, ev)
	var forbidden *ForbiddenError
	switch {
	case errors.As(err, &forbidden):
		return Result{Err: err, Outcome: Forbidden}
	case err != nil:
		return Result{Err: err, Outcome: Unreachable}
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return Result{Response: resp, Outcome: Delivered}
	case resp.StatusCode == 410:
		return Result{Response: resp, Outcome: Gone}
	default:
		return Result{Response: resp, Outcome: Rejected}
	}
}

// EventOf returns the event that an outbox row carries.
func EventOf(d store.WebhookDelivery) Event {
	return Event{ID: d.EventID, Type: d.EventType, CreatedAt: d.CreatedAt, Data: d.Payload}
}
