// Package webhook delivers pacer's events to the HTTP endpoints that
// subscribed to them. It holds the request format and its HMAC-SHA256
// signature, an HTTP client that rejects loopback, private and link-local
// addresses at connect time, and the dispatcher that makes the first attempt
// of pending outbox rows and hands the ones to retry to delivery workflows.
//
// PostgreSQL triggers (schema/0005_webhooks.up.sql) write one outbox row per
// event and enabled endpoint; docs/webhooks.md describes what receivers see.
package webhook

import (
	"encoding/json"
	"slices"
	"time"
)

// Event types, as sent in the body's "type" field and stored in
// webhook_endpoints.event_types.
const (
	EventSent           = "sent"
	EventBounced        = "bounced"
	EventOpened         = "opened"
	EventClicked        = "clicked"
	EventUnsubscribed   = "unsubscribed"
	EventComplained     = "complained"
	EventCampaignStatus = "campaign_status"
)

// EventTypes lists every event type in documentation order.
var EventTypes = []string{
	EventSent, EventBounced, EventOpened, EventClicked,
	EventUnsubscribed, EventComplained, EventCampaignStatus,
}

// KnownEventType reports whether t is one of [EventTypes].
func KnownEventType(t string) bool { return slices.Contains(EventTypes, t) }

// Event is the JSON body of one webhook request.
type Event struct {
	// ID is the de-duplication key: the same event always carries the same
	// id, whichever attempt or replay delivers it.
	ID   string `json:"id"`
	Type string `json:"type"`
	// CreatedAt is when the event happened.
	CreatedAt time.Time `json:"created_at"`
	// Data holds the event's fields: campaign_id, subscriber_id, email, and
	// per type url, status and others.
	Data json.RawMessage `json:"data"`
}

// Body returns the JSON encoding of e with CreatedAt in UTC.
func (e Event) Body() ([]byte, error) {
	e.CreatedAt = e.CreatedAt.UTC()
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("{}")
	}
	return json.Marshal(e)
}
