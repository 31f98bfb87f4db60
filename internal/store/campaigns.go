package store

import (
	"context"
	"fmt"
	"time"
)

const campaignColumns = `id, name, subject, from_name, from_email, reply_to, html_body, text_body,
	list_ids, server_ids, track, status, status_reason, send_at, total, batch_size, batches,
	queued_at, started_at, finished_at, created_at, updated_at`

func scanCampaign(row interface{ Scan(...any) error }) (Campaign, error) {
	var c Campaign
	err := row.Scan(&c.ID, &c.Name, &c.Subject, &c.FromName, &c.FromEmail, &c.ReplyTo,
		&c.HTMLBody, &c.TextBody, &c.ListIDs, &c.ServerIDs, &c.Track, &c.Status,
		&c.StatusReason, &c.SendAt, &c.Total, &c.BatchSize, &c.Batches, &c.QueuedAt,
		&c.StartedAt, &c.FinishedAt, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// CreateCampaign inserts a campaign in Draft.
func (db *DB) CreateCampaign(ctx context.Context, c Campaign) (Campaign, error) {
	row := db.pool.QueryRow(ctx, `
		INSERT INTO campaigns (name, subject, from_name, from_email, reply_to, html_body,
			text_body, list_ids, server_ids, track, send_at, batch_size)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING `+campaignColumns,
		c.Name, c.Subject, c.FromName, c.FromEmail, c.ReplyTo, c.HTMLBody, c.TextBody,
		c.ListIDs, c.ServerIDs, c.Track, c.SendAt, c.BatchSize)
	out, err := scanCampaign(row)
	if err != nil {
		return Campaign{}, fmt.Errorf("store: create campaign %q: %w", c.Name, err)
	}
	return out, nil
}

// GetCampaign returns one campaign.
func (db *DB) GetCampaign(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(db.pool.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = $1`, id))
	if err != nil {
		return Campaign{}, notFound(err, "campaign", id)
	}
	return c, nil
}

// CampaignFilter narrows ListCampaigns; zero fields match everything.
type CampaignFilter struct {
	Status string
	Limit  uint64
}

// ListCampaigns returns campaigns newest first.
func (db *DB) ListCampaigns(ctx context.Context, f CampaignFilter) ([]Campaign, error) {
	q := psql.Select(campaignColumns).From("campaigns").OrderBy("id DESC")
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
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
		return nil, err
	}
	defer rows.Close()
	out := []Campaign{}
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetCampaignStatus records a lifecycle transition with its reason and the
// time stamps that go with it.
func (db *DB) SetCampaignStatus(ctx context.Context, id int64, status, reason string) error {
	now := time.Now()
	tag, err := db.pool.Exec(ctx, `
		UPDATE campaigns SET status = $2, status_reason = $3, updated_at = $4,
			queued_at = CASE WHEN $2 = 'Queued' THEN $4 ELSE queued_at END,
			started_at = CASE WHEN $2 = 'Sending' AND started_at IS NULL THEN $4 ELSE started_at END,
			finished_at = CASE WHEN $2 IN ('Done', 'Cancelled') THEN $4 ELSE finished_at END
		WHERE id = $1`, id, status, reason, now)
	if err != nil {
		return fmt.Errorf("store: set campaign %d status %q: %w", id, status, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("campaign %d: %w", id, ErrNotFound)
	}
	return nil
}

// CampaignStatus returns just the status and reason: the send loop polls it
// to notice pause and cancel.
func (db *DB) CampaignStatus(ctx context.Context, id int64) (string, string, error) {
	var status, reason string
	err := db.pool.QueryRow(ctx, `SELECT status, status_reason FROM campaigns WHERE id = $1`, id).Scan(&status, &reason)
	if err != nil {
		return "", "", notFound(err, "campaign", id)
	}
	return status, reason, nil
}
