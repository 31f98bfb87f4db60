package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// WebhookAttempt is the outcome of one row of a dispatcher round.
type WebhookAttempt struct {
	ID int64
	// Attempted is false for a row the round did not post. Such a row
	// keeps its attempts, status code and error, and Status is pending or
	// failed.
	Attempted  bool
	StatusCode int
	// Error is the attempt's error, or for a row not attempted the reason
	// it failed, kept only when no earlier attempt left an error.
	Error string
	// Status is the row's new status: pending (tried again next round),
	// delivering (a delivery workflow owns it), delivered or failed.
	Status string
}

// PendingWebhookEndpoints returns the ids of the endpoints that have pending
// deliveries, in id order.
func (db *DB) PendingWebhookEndpoints(ctx context.Context) ([]int64, error) {
	// The (endpoint_id, status, id) index answers each EXISTS with one probe.
	rows, err := db.pool.Query(ctx, `
		SELECT e.id FROM webhook_endpoints e
		WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending')
		ORDER BY e.id`)
	if err != nil {
		return nil, fmt.Errorf("store: list endpoints with pending webhook deliveries: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: list endpoints with pending webhook deliveries: %w", err)
	}
	return ids, nil
}

// roundWriteTimeout bounds the statements that load and record a round
// once its attempts are made.
const roundWriteTimeout = 30 * time.Second

// DeliverWebhookRound locks up to limit pending deliveries of one endpoint
// that no other dispatcher holds, oldest first, and calls attempt with them
// and the endpoint while the rows stay locked. It then stores the outcomes
// attempt returns and commits. Rows without an outcome stay as they were.
//
// The lock is what keeps a second dispatcher off the rows during the
// attempts. If the process dies before the commit, PostgreSQL rolls the
// transaction back and the rows are pending again, so a later round posts
// them again: delivery is at least once. It returns how many rows it locked.
//
// attempt gets ctx, so cancelling ctx stops the attempts. The statements use
// a context that is not cancelled with ctx, so a round that stops early
// still records the attempts it made.
func (db *DB) DeliverWebhookRound(ctx context.Context, endpointID int64, limit int,
	attempt func(ctx context.Context, ep WebhookEndpoint, ds []WebhookDelivery) []WebhookAttempt) (int, error) {
	dbctx := context.WithoutCancel(ctx)
	locked := 0
	// pgx.BeginFunc and not Transact: a retry would post the rows again.
	err := pgx.BeginFunc(dbctx, db.pool, func(tx pgx.Tx) error {
		lctx, cancel := context.WithTimeout(dbctx, roundWriteTimeout)
		defer cancel()
		ep, err := scanEndpoint(tx.QueryRow(lctx,
			`SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`, endpointID))
		if err == pgx.ErrNoRows {
			// Deleted meanwhile: its deliveries went with it.
			return nil
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(lctx, `
			SELECT `+deliveryColumns+` FROM webhook_deliveries d
			WHERE d.endpoint_id = $1 AND d.status = 'pending'
			ORDER BY d.id
			LIMIT $2
			FOR UPDATE SKIP LOCKED`, endpointID, limit)
		if err != nil {
			return err
		}
		ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookDelivery, error) { return scanDelivery(r) })
		if err != nil || len(ds) == 0 {
			return err
		}
		locked = len(ds)
		cancel()

		outcomes := attempt(ctx, ep, ds)
		return recordRound(dbctx, tx, outcomes)
	})
	if err != nil {
		return 0, fmt.Errorf("store: webhook round of endpoint %d: %w", endpointID, err)
	}
	return locked, nil
}

// recordRound stores the outcomes of a round in one statement.
func recordRound(ctx context.Context, tx pgx.Tx, outcomes []WebhookAttempt) error {
	if len(outcomes) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, roundWriteTimeout)
	defer cancel()
	n := len(outcomes)
	ids, attempted := make([]int64, n), make([]bool, n)
	codes, errs, statuses := make([]int32, n), make([]string, n), make([]string, n)
	for i, o := range outcomes {
		ids[i], attempted[i], codes[i], errs[i], statuses[i] = o.ID, o.Attempted, int32(o.StatusCode), o.Error, o.Status
	}
	_, err := tx.Exec(ctx, `
		UPDATE webhook_deliveries d SET
			attempts = d.attempts + CASE WHEN r.attempted THEN 1 ELSE 0 END,
			last_status_code = CASE WHEN r.attempted THEN r.code ELSE d.last_status_code END,
			last_error = CASE WHEN r.attempted OR d.last_error = '' THEN r.err ELSE d.last_error END,
			status = r.status,
			delivered_at = CASE WHEN r.status = 'delivered' THEN now() ELSE d.delivered_at END
		FROM unnest($1::bigint[], $2::bool[], $3::int[], $4::text[], $5::text[]) AS r(id, attempted, code, err, status)
		WHERE d.id = r.id`, ids, attempted, codes, errs, statuses)
	return err
}
