package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Inbound message statuses, stored in inbound_messages.status.
const (
	InboundReceived  = "received"  // stored, waiting for its workflow
	InboundProcessed = "processed" // classified, every verdict reached its subscriber
	InboundUnmatched = "unmatched" // unparseable, or a verdict without a subscriber
	InboundFailed    = "failed"    // processing failed for good; Error contains the cause
)

// Where an inbound message came from, and how its raw bytes are read.
const (
	SourceSMTP = "smtp" // the inbound SMTP server
	SourceHTTP = "http" // a provider notification posted to the API

	FormatMessage = "message" // an RFC 5322 message: DSN, ARF report, auto-reply, ...
	FormatGeneric = "generic" // the JSON of POST /hooks/bounces/generic
	FormatSES     = "ses"     // an Amazon SNS message carrying an SES notification
)

// InboundMessage is one stored message or notification. Raw is only filled
// by GetInbound.
type InboundMessage struct {
	ID                int64           `json:"id"`
	ReceivedAt        time.Time       `json:"received_at"`
	Source            string          `json:"source"`
	Format            string          `json:"format"`
	EnvelopeSender    string          `json:"envelope_sender"`
	EnvelopeRecipient string          `json:"envelope_recipient"`
	Size              int             `json:"size"`
	Status            string          `json:"status"`
	ReportKind        string          `json:"report_kind,omitempty"`
	Reason            string          `json:"reason,omitempty"`
	Verdicts          json.RawMessage `json:"verdicts"`
	Error             string          `json:"error,omitempty"`
	ProcessedAt       *time.Time      `json:"processed_at,omitempty"`
	Raw               []byte          `json:"-"`
}

const inboundColumns = `id, received_at, source, format, envelope_sender, envelope_recipient,
	size, status, report_kind, reason, verdicts, error, processed_at`

func scanInbound(row interface{ Scan(...any) error }, extra ...any) (InboundMessage, error) {
	var m InboundMessage
	var verdicts []byte
	dest := append([]any{&m.ID, &m.ReceivedAt, &m.Source, &m.Format, &m.EnvelopeSender,
		&m.EnvelopeRecipient, &m.Size, &m.Status, &m.ReportKind, &m.Reason, &verdicts,
		&m.Error, &m.ProcessedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return InboundMessage{}, err
	}
	m.Verdicts = verdicts
	return m, nil
}

// SaveInbound stores a received message with status received and returns
// its id. It returns once the row is committed, so a caller may then
// acknowledge the message to its sender.
func (db *DB) SaveInbound(ctx context.Context, m InboundMessage) (int64, error) {
	if m.Format == "" {
		m.Format = FormatMessage
	}
	var id int64
	err := db.pool.QueryRow(ctx, `
		INSERT INTO inbound_messages (source, format, envelope_sender, envelope_recipient, raw, size)
		VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING id`,
		m.Source, m.Format, dbText(m.EnvelopeSender), dbText(m.EnvelopeRecipient), m.Raw, len(m.Raw)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: save inbound message of %d bytes: %w", len(m.Raw), err)
	}
	return id, nil
}

// GetInbound returns one inbound message with its raw bytes.
func (db *DB) GetInbound(ctx context.Context, id int64) (InboundMessage, error) {
	var raw []byte
	m, err := scanInbound(db.pool.QueryRow(ctx,
		`SELECT `+inboundColumns+`, raw FROM inbound_messages WHERE id = $1`, id), &raw)
	if err != nil {
		return InboundMessage{}, notFound(err, "inbound message", id)
	}
	m.Raw = raw
	return m, nil
}

// InboundFilter narrows ListInbound; zero fields match everything.
type InboundFilter struct {
	Status   string
	BeforeID int64 // only rows with a smaller id: the next page
	Limit    uint64
}

// ListInbound returns inbound messages without their raw bytes, newest first.
func (db *DB) ListInbound(ctx context.Context, f InboundFilter) ([]InboundMessage, error) {
	q := psql.Select(inboundColumns).From("inbound_messages").OrderBy("id DESC")
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	limit := f.Limit
	if limit == 0 || limit > 1000 {
		limit = 100
	}
	sql, args, err := q.Limit(limit).ToSql()
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list inbound messages: %w", err)
	}
	defer rows.Close()
	out := []InboundMessage{}
	for rows.Next() {
		m, err := scanInbound(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list inbound messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// PendingInbound returns the ids of rows still waiting for processing,
// oldest first. Rows posted to the API are returned at once, because
// nothing else starts their workflow. Rows from the SMTP server are
// returned only when received before smtpBefore, because the server starts
// their workflow itself.
func (db *DB) PendingInbound(ctx context.Context, smtpBefore time.Time, limit int) ([]int64, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT id FROM inbound_messages
		WHERE status = 'received' AND (source = 'http' OR received_at < $1)
		ORDER BY received_at LIMIT $2`, smtpBefore, limit)
	if err != nil {
		return nil, fmt.Errorf("store: read pending inbound messages: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: read pending inbound messages: %w", err)
	}
	return ids, nil
}

// DeleteInboundBefore deletes processed, unmatched and failed rows received
// before t, in chunks so a large backlog never holds one long lock, and
// returns how many it deleted. Rows still received are kept: they are
// evidence that processing is stuck.
func (db *DB) DeleteInboundBefore(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	for {
		tag, err := db.pool.Exec(ctx, `
			DELETE FROM inbound_messages WHERE id IN (
				SELECT id FROM inbound_messages
				WHERE received_at < $1 AND status <> 'received' LIMIT 5000)`, t)
		if err != nil {
			return total, fmt.Errorf("store: delete inbound messages before %s: %w", t.Format(time.RFC3339), err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < 5000 {
			return total, nil
		}
	}
}

// FailInbound marks a row that could not be processed as failed, unless it
// was processed meanwhile.
func (db *DB) FailInbound(ctx context.Context, id int64, reason string) error {
	_, err := db.pool.Exec(ctx, `
		UPDATE inbound_messages SET status = 'failed', error = $2, processed_at = now()
		WHERE id = $1 AND status = 'received'`, id, dbText(reason))
	if err != nil {
		return fmt.Errorf("store: mark inbound message %d failed: %w", id, err)
	}
	return nil
}

// InboundResult is the outcome of processing one inbound message, which
// FinishInbound applies in one transaction.
type InboundResult struct {
	Status     string
	ReportKind string
	Reason     string
	Events     []Event
	Changes    []StatusChange
	// Verdicts returns the value stored as the row's verdicts JSON, given
	// which Changes took effect (applied[i] for Changes[i]).
	Verdicts func(applied []bool) any
}

// StatusChange stops mail to a subscriber once enough events of one kind
// were recorded for them. The events of the same InboundResult count.
type StatusChange struct {
	SubscriberID int64
	Status       string // SubscriberBounced, SubscriberComplained or SubscriberUnsubscribed
	Reason       string
	// EventKind and, when set, EventType (detail->>'type') name the events
	// counted since Since; at least MinEvents must exist. MinEvents of 1 or
	// less applies the change at once.
	EventKind string
	EventType string
	Since     time.Time
	MinEvents int
}

// FinishInbound records the events and status changes of a processed
// message together with its status, verdicts and processing time. It does
// nothing and returns false when the row is no longer received, so a
// retried activity or a second workflow never applies a message twice.
// Subscribers are locked first, so concurrent reports about one subscriber
// count each other's events.
func (db *DB) FinishInbound(ctx context.Context, id int64, res InboundResult) (bool, error) {
	var done bool
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		done = false
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM inbound_messages WHERE id = $1 FOR UPDATE`, id).Scan(&status)
		if err != nil {
			return notFound(err, "inbound message", id)
		}
		if status != InboundReceived {
			return nil
		}
		ids := make([]int64, 0, len(res.Changes))
		for _, ch := range res.Changes {
			ids = append(ids, ch.SubscriberID)
		}
		_, err = tx.Exec(ctx, `SELECT 1 FROM subscribers WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
		if err != nil {
			return fmt.Errorf("lock subscribers: %w", err)
		}
		if err := insertEventsTx(ctx, tx, res.Events); err != nil {
			return err
		}
		applied := make([]bool, len(res.Changes))
		for i, ch := range res.Changes {
			if applied[i], err = applyStatusChange(ctx, tx, ch); err != nil {
				return err
			}
		}
		var verdicts any = []any{}
		if res.Verdicts != nil {
			verdicts = res.Verdicts(applied)
		}
		data, err := json.Marshal(verdicts)
		if err != nil {
			return fmt.Errorf("encode verdicts: %w", err)
		}
		_, err = tx.Exec(ctx, `
			UPDATE inbound_messages SET status = $2, report_kind = $3, reason = $4, verdicts = $5,
				error = '', processed_at = now()
			WHERE id = $1`, id, res.Status, dbText(res.ReportKind), dbText(res.Reason), data)
		if err != nil {
			return fmt.Errorf("update status: %w", err)
		}
		done = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: finish inbound message %d: %w", id, err)
	}
	return done, nil
}

// applyStatusChange changes a subscriber's status when enough events exist.
// Like SetSubscriberStatus, it changes only an active subscriber, except
// that a complaint overrides any other status.
func applyStatusChange(ctx context.Context, tx pgx.Tx, ch StatusChange) (bool, error) {
	tag, err := tx.Exec(ctx, `
		UPDATE subscribers SET status = $2, status_reason = $3, updated_at = now()
		WHERE id = $1 AND (status = 'active' OR ($2 = 'complained' AND status <> 'complained'))
		  AND (SELECT count(*) FROM events
		       WHERE subscriber_id = $1 AND kind = $4 AND ($5 = '' OR detail->>'type' = $5)
		         AND created_at >= $6) >= $7`,
		ch.SubscriberID, ch.Status, dbText(ch.Reason), ch.EventKind, ch.EventType, ch.Since, max(ch.MinEvents, 1))
	if err != nil {
		return false, fmt.Errorf("set subscriber %d status %q: %w", ch.SubscriberID, ch.Status, err)
	}
	return tag.RowsAffected() == 1, nil
}

// insertEventsTx is AddEvents inside a transaction; the events get the
// transaction's time, so the counts of applyStatusChange include them.
func insertEventsTx(ctx context.Context, tx pgx.Tx, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	campaigns := make([]*int64, len(events))
	subscribers := make([]*int64, len(events))
	kinds := make([]string, len(events))
	details := make([]string, len(events))
	for i, e := range events {
		if e.CampaignID != 0 {
			campaigns[i] = &events[i].CampaignID
		}
		if e.SubscriberID != 0 {
			subscribers[i] = &events[i].SubscriberID
		}
		d := []byte("{}")
		if e.Detail != nil {
			var err error
			if d, err = json.Marshal(e.Detail); err != nil {
				return fmt.Errorf("encode event detail: %w", err)
			}
		}
		kinds[i], details[i] = e.Kind, string(d)
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO events (campaign_id, subscriber_id, kind, detail, machine, created_at)
		SELECT c, s, k, d, false, now()
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::jsonb[]) AS e(c, s, k, d)`,
		campaigns, subscribers, kinds, details)
	if err != nil {
		return fmt.Errorf("insert %d events: %w", len(events), err)
	}
	return nil
}

// dbText makes s storable in a text column: PostgreSQL rejects NUL bytes
// and invalid UTF-8, and both can arrive in an SMTP envelope.
func dbText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}
