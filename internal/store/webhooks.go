package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Webhook delivery statuses, stored in webhook_deliveries.status.
const (
	DeliveryPending    = "pending"
	DeliveryDelivering = "delivering"
	DeliveryDelivered  = "delivered"
	DeliveryFailed     = "failed"
)

// ErrDeliveryInFlight is returned when replaying a delivery that is still
// pending or being delivered.
var ErrDeliveryInFlight = errors.New("delivery is still pending or being delivered")

// WebhookEndpoint is a receiver of webhook events. The secret is never
// serialised.
type WebhookEndpoint struct {
	ID     int64  `json:"id"`
	URL    string `json:"url"`
	Secret string `json:"-"`
	// EventTypes lists the event types sent; empty means every type.
	EventTypes []string  `json:"event_types"`
	Enabled    bool      `json:"enabled"`
	CreatedAt  time.Time `json:"created_at"`
}

// WebhookDelivery is one event for one endpoint: a row of the outbox.
type WebhookDelivery struct {
	ID             int64           `json:"id"`
	EndpointID     int64           `json:"endpoint_id"`
	EventID        string          `json:"event_id"`
	EventType      string          `json:"event_type"`
	Payload        json.RawMessage `json:"payload"`
	Status         string          `json:"status"`
	Attempts       int             `json:"attempts"`
	LastStatusCode int             `json:"last_status_code"`
	LastError      string          `json:"last_error"`
	CreatedAt      time.Time       `json:"created_at"`
	DeliveredAt    *time.Time      `json:"delivered_at"`
}

const endpointColumns = `id, url, secret, event_types, enabled, created_at`

func scanEndpoint(row pgx.Row) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := row.Scan(&e.ID, &e.URL, &e.Secret, &e.EventTypes, &e.Enabled, &e.CreatedAt)
	return e, err
}

// CreateWebhookEndpoint inserts an endpoint. A nil EventTypes is stored as
// the empty list: every type.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e WebhookEndpoint) (WebhookEndpoint, error) {
	if e.EventTypes == nil {
		e.EventTypes = []string{}
	}
	out, err := scanEndpoint(db.pool.QueryRow(ctx, `
		INSERT INTO webhook_endpoints (url, secret, event_types, enabled)
		VALUES ($1, $2, $3, $4)
		RETURNING `+endpointColumns, e.URL, e.Secret, e.EventTypes, e.Enabled))
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("store: create webhook endpoint %q: %w", e.URL, err)
	}
	return out, nil
}

// GetWebhookEndpoint returns one endpoint.
func (db *DB) GetWebhookEndpoint(ctx context.Context, id int64) (WebhookEndpoint, error) {
	row := db.pool.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`, id)
	e, err := scanEndpoint(row)
	if err != nil {
		return WebhookEndpoint{}, notFound(err, "webhook", id)
	}
	return e, nil
}

// ListWebhookEndpoints returns every endpoint in creation order.
func (db *DB) ListWebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list webhook endpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookEndpoint, error) { return scanEndpoint(r) })
	if out == nil {
		out = []WebhookEndpoint{}
	}
	return out, err
}

// DeleteWebhookEndpoint deletes an endpoint and its deliveries. A delivery
// workflow still running finds nothing to deliver and ends.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete webhook %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	return nil
}
