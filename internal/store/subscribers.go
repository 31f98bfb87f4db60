package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ImportRow is one valid CSV row, already normalised by the importer.
type ImportRow struct {
	Line    int
	Email   string
	Key     string
	Name    string
	Attribs map[string]any
}

// DuplicateGroup is one address that appeared on several lines of an import.
type DuplicateGroup struct {
	Email string `json:"email"`
	Lines []int  `json:"lines"`
}

// ImportResult counts what an import did. Duplicates counts rows merged into
// an earlier row of the same file (the last row wins).
type ImportResult struct {
	Rows            int              `json:"rows"`
	Created         int              `json:"created"`
	Updated         int              `json:"updated"`
	Duplicates      int              `json:"duplicates"`
	DuplicateGroups []DuplicateGroup `json:"duplicate_groups,omitempty"`
}

// maxDuplicateGroups bounds the duplicate groups listed in an ImportResult.
const maxDuplicateGroups = 100

// ImportSubscribers streams rows into the database with COPY and merges them
// into subscribers and the list in one transaction, so a failed import
// changes nothing. Rows with an address already known update that subscriber:
// the name is replaced when the row has one, attributes are merged.
func (db *DB) ImportSubscribers(ctx context.Context, listID int64, next func() (ImportRow, bool, error)) (ImportResult, error) {
	var res ImportResult
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		res = ImportResult{}
		_, err := tx.Exec(ctx, `
			CREATE TEMP TABLE import_rows (
				line int, email text, email_key text, name text, attribs jsonb
			) ON COMMIT DROP`)
		if err != nil {
			return err
		}
		var rowErr error
		source := pgx.CopyFromFunc(func() ([]any, error) {
			row, ok, err := next()
			if err != nil || !ok {
				rowErr = err
				return nil, err
			}
			attribs, err := json.Marshal(row.Attribs)
			if err != nil {
				return nil, fmt.Errorf("line %d: attributes: %w", row.Line, err)
			}
			if row.Attribs == nil {
				attribs = []byte("{}")
			}
			res.Rows++
			return []any{row.Line, row.Email, row.Key, row.Name, string(attribs)}, nil
		})
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"import_rows"},
			[]string{"line", "email", "email_key", "name", "attribs"}, source)
		if rowErr != nil {
			return rowErr
		}
		if err != nil {
			return fmt.Errorf("copy rows: %w", err)
		}

		rows, err := tx.Query(ctx, `
			SELECT min(email), array_agg(line ORDER BY line)
			FROM import_rows GROUP BY email_key HAVING count(*) > 1
			ORDER BY min(line) LIMIT $1`, maxDuplicateGroups)
		if err != nil {
			return err
		}
		for rows.Next() {
			var g DuplicateGroup
			var lines []int32
			if err := rows.Scan(&g.Email, &lines); err != nil {
				return err
			}
			for _, l := range lines {
				g.Lines = append(g.Lines, int(l))
			}
			res.DuplicateGroups = append(res.DuplicateGroups, g)
		}
		if err := rows.Err(); err != nil {
			return err
		}

		// The last row of each address wins; created and updated are told
		// apart by xmax, which is 0 only for a freshly inserted tuple.
		return tx.QueryRow(ctx, `
			WITH latest AS (
				SELECT DISTINCT ON (email_key) email, email_key, name, attribs
				FROM import_rows ORDER BY email_key, line DESC
			), up AS (
				INSERT INTO subscribers (email, email_key, name, attribs)
				SELECT email, email_key, name, attribs FROM latest
				ON CONFLICT (email_key) DO UPDATE SET
					email = EXCLUDED.email,
					name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE subscribers.name END,
					attribs = subscribers.attribs || EXCLUDED.attribs,
					updated_at = now()
				RETURNING id, (xmax = 0) AS created
			), members AS (
				INSERT INTO list_subscribers (list_id, subscriber_id)
				SELECT $1, id FROM up ON CONFLICT DO NOTHING
			)
			SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created)
			FROM up`, listID).Scan(&res.Created, &res.Updated)
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("store: import into list %d: %w", listID, err)
	}
	res.Duplicates = res.Rows - res.Created - res.Updated
	return res, nil
}

// GetSubscriber returns one subscriber.
func (db *DB) GetSubscriber(ctx context.Context, id int64) (Subscriber, error) {
	var s Subscriber
	err := db.pool.QueryRow(ctx, `
		SELECT id, email, name, attribs, status, status_reason, created_at
		FROM subscribers WHERE id = $1`, id).
		Scan(&s.ID, &s.Email, &s.Name, &s.Attribs, &s.Status, &s.StatusReason, &s.CreatedAt)
	if err != nil {
		return Subscriber{}, notFound(err, "subscriber", id)
	}
	return s, nil
}

// FindSubscriberByKey returns the subscriber whose lower-cased address is key.
func (db *DB) FindSubscriberByKey(ctx context.Context, key string) (Subscriber, error) {
	var s Subscriber
	err := db.pool.QueryRow(ctx, `
		SELECT id, email, name, attribs, status, status_reason, created_at
		FROM subscribers WHERE email_key = $1`, key).
		Scan(&s.ID, &s.Email, &s.Name, &s.Attribs, &s.Status, &s.StatusReason, &s.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Subscriber{}, fmt.Errorf("subscriber %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return Subscriber{}, fmt.Errorf("store: find subscriber %q: %w", key, err)
	}
	return s, nil
}

// SetSubscriberStatus changes a subscriber's status. Only an active
// subscriber is changed, except that a complaint overrides any status: the
// first reason to stop mailing someone is kept.
func (db *DB) SetSubscriberStatus(ctx context.Context, id int64, status, reason string) (bool, error) {
	tag, err := db.pool.Exec(ctx, `
		UPDATE subscribers SET status = $2, status_reason = $3, updated_at = now()
		WHERE id = $1 AND (status = 'active' OR ($2 = 'complained' AND status <> 'complained'))`,
		id, status, reason)
	if err != nil {
		return false, fmt.Errorf("store: set subscriber %d status %q: %w", id, status, err)
	}
	return tag.RowsAffected() == 1, nil
}
