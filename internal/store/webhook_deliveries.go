package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

const deliveryColumns = `d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.status,
	d.attempts, d.last_status_code, d.last_error, d.created_at, d.delivered_at`

func scanDelivery(row pgx.Row, extra ...any) (WebhookDelivery, error) {
	var d WebhookDelivery
	dest := append([]any{&d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Payload, &d.Status,
		&d.Attempts, &d.LastStatusCode, &d.LastError, &d.CreatedAt, &d.DeliveredAt}, extra...)
	err := row.Scan(dest...)
	return d, err
}

// DeliveryFilter narrows ListWebhookDeliveries; zero fields match everything.
type DeliveryFilter struct {
	Status string
	Limit  uint64
}

// ListWebhookDeliveries returns an endpoint's deliveries, newest first.
func (db *DB) ListWebhookDeliveries(ctx context.Context, endpointID int64,
	f DeliveryFilter) ([]WebhookDelivery, error) {
	q := psql.Select(deliveryColumns).From("webhook_deliveries d").
		Where("d.endpoint_id = ?", endpointID).OrderBy("d.id DESC")
	if f.Status != "" {
		q = q.Where("d.status = ?", f.Status)
	}
	limit := f.Limit
	if limit == 0 || limit > 1000 {
		limit = 200
	}
	sql, args, err := q.Limit(limit).ToSql()
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list deliveries of webhook %d: %w", endpointID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookDelivery, error) { return scanDelivery(r) })
	if out == nil {
		out = []WebhookDelivery{}
	}
	return out, err
}

// ReplayWebhookDelivery queues a failed or delivered delivery of an
// endpoint again. With stuck set it also takes a delivering one; the caller
// must know that no workflow delivers it any more. It returns
// ErrDeliveryInFlight when the delivery is in another status.
func (db *DB) ReplayWebhookDelivery(ctx context.Context, endpointID, deliveryID int64,
	stuck bool) (WebhookDelivery, error) {
	d, err := scanDelivery(db.pool.QueryRow(ctx, `
		UPDATE webhook_deliveries d SET status = 'pending', delivered_at = NULL
		WHERE d.id = $1 AND d.endpoint_id = $2
		  AND (d.status IN ('failed', 'delivered') OR ($3 AND d.status = 'delivering'))
		RETURNING `+deliveryColumns, deliveryID, endpointID, stuck))
	if err == nil {
		return d, nil
	}
	if err != pgx.ErrNoRows {
		return WebhookDelivery{}, fmt.Errorf("store: replay webhook delivery %d: %w", deliveryID, err)
	}
	var status string
	err = db.pool.QueryRow(ctx, `SELECT status FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2`,
		deliveryID, endpointID).Scan(&status)
	if err != nil {
		return WebhookDelivery{}, notFound(err, "webhook delivery", deliveryID)
	}
	return WebhookDelivery{}, fmt.Errorf("webhook delivery %d is %s: %w", deliveryID, status, ErrDeliveryInFlight)
}

// ReplayFailedWebhooks queues every failed delivery of an endpoint again
// and returns how many there were.
func (db *DB) ReplayFailedWebhooks(ctx context.Context, endpointID int64) (int64, error) {
	tag, err := db.pool.Exec(ctx, `
		UPDATE webhook_deliveries SET status = 'pending'
		WHERE endpoint_id = $1 AND status = 'failed'`, endpointID)
	if err != nil {
		return 0, fmt.Errorf("store: replay failed deliveries of webhook %d: %w", endpointID, err)
	}
	return tag.RowsAffected(), nil
}

// WebhookDelivery returns one delivery with its endpoint.
func (db *DB) WebhookDelivery(ctx context.Context, id int64) (WebhookDelivery, WebhookEndpoint, error) {
	var e WebhookEndpoint
	d, err := scanDelivery(db.pool.QueryRow(ctx, `
		SELECT `+deliveryColumns+`, e.id, e.url, e.secret, e.event_types, e.enabled, e.created_at
		FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.id = $1`, id), &e.ID, &e.URL, &e.Secret, &e.EventTypes, &e.Enabled, &e.CreatedAt)
	if err != nil {
		return WebhookDelivery{}, WebhookEndpoint{}, notFound(err, "webhook delivery", id)
	}
	return d, e, nil
}

// RecordWebhookAttempt counts one delivery attempt with the receiver's
// status code (0 when no response arrived) and the error. It marks the
// delivery delivered or still delivering.
func (db *DB) RecordWebhookAttempt(ctx context.Context, id int64, code int, errText string, delivered bool) error {
	_, err := db.pool.Exec(ctx, `
		UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = $2, last_error = $3,
			status = CASE WHEN $4 THEN 'delivered' ELSE 'delivering' END,
			delivered_at = CASE WHEN $4 THEN now() END
		WHERE id = $1`, id, code, errText, delivered)
	if err != nil {
		return fmt.Errorf("store: record attempt of webhook delivery %d: %w", id, err)
	}
	return nil
}

// FailWebhookDelivery marks a delivery failed for good. reason becomes the
// last error when no attempt recorded one.
func (db *DB) FailWebhookDelivery(ctx context.Context, id int64, reason string) error {
	_, err := db.pool.Exec(ctx, `
		UPDATE webhook_deliveries SET status = 'failed',
			last_error = CASE WHEN last_error = '' THEN $2 ELSE last_error END
		WHERE id = $1 AND status <> 'delivered'`, id, reason)
	if err != nil {
		return fmt.Errorf("store: fail webhook delivery %d: %w", id, err)
	}
	return nil
}
