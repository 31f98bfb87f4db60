package store

import (
	"context"
	"fmt"
	"time"
)

// Report is a campaign's engagement and delivery report. Every figure is
// read live, so it fills in while the campaign sends.
type Report struct {
	CampaignID   int64        `json:"campaign_id"`
	Sent         int64        `json:"sent"`
	Delivered    int64        `json:"delivered"`
	Opens        Engagement   `json:"opens"`
	Clicks       ClickReport  `json:"clicks"`
	Bounces      BounceReport `json:"bounces"`
	Unsubscribes int64        `json:"unsubscribes"`
	Complaints   int64        `json:"complaints"`
	Timeline     []TimePoint  `json:"timeline"`
	Recent       Recent       `json:"recent"`
}

// Engagement counts opens or clicks. Unique and Total count people; Machine
// counts fetches by privacy proxies and link scanners, reported apart.
type Engagement struct {
	Unique  int64 `json:"unique"`
	Total   int64 `json:"total"`
	Machine int64 `json:"machine"`
}

// ClickReport adds per-link counts to Engagement.
type ClickReport struct {
	Engagement
	Links []LinkClicks `json:"links"`
}

// LinkClicks counts the human clicks of one link.
type LinkClicks struct {
	URL    string `json:"url"`
	Unique int64  `json:"unique"`
	Total  int64  `json:"total"`
}

// BounceReport counts bounces by type and reason.
type BounceReport struct {
	Hard     int64         `json:"hard"`
	Soft     int64         `json:"soft"`
	ByReason []ReasonCount `json:"by_reason"`
}

// ReasonCount is one bounce reason and how often it occurred.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// TimePoint is one minute of a campaign.
type TimePoint struct {
	T      time.Time `json:"t"`
	Sent   int64     `json:"sent"`
	Opens  int64     `json:"opens"`
	Clicks int64     `json:"clicks"`
}

// Recent lists the latest bounce, unsubscribe and complaint events.
type Recent struct {
	Bounces      []RecentEvent `json:"bounces"`
	Unsubscribes []RecentEvent `json:"unsubscribes"`
	Complaints   []RecentEvent `json:"complaints"`
}

// RecentEvent is one event with the subscriber's address.
type RecentEvent struct {
	Email  string    `json:"email"`
	Type   string    `json:"type,omitempty"`
	Status string    `json:"status,omitempty"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// recentLimit bounds each list of recent events.
const recentLimit = 50

// CampaignReport builds a campaign's report.
func (db *DB) CampaignReport(ctx context.Context, campaignID int64) (Report, error) {
	r := Report{CampaignID: campaignID, Timeline: []TimePoint{}, Clicks: ClickReport{Links: []LinkClicks{}},
		Bounces: BounceReport{ByReason: []ReasonCount{}},
		Recent:  Recent{Bounces: []RecentEvent{}, Unsubscribes: []RecentEvent{}, Complaints: []RecentEvent{}}}
	counts, err := db.Counts(ctx, campaignID)
	if err != nil {
		return r, err
	}
	r.Sent, r.Delivered = counts.Sent(), counts.Delivered
	steps := []func(context.Context, *Report) error{db.reportEngagement, db.reportLinks, db.reportBounces,
		db.reportTimeline, db.reportRecent}
	for _, step := range steps {
		if err := step(ctx, &r); err != nil {
			return r, fmt.Errorf("store: report of campaign %d: %w", campaignID, err)
		}
	}
	return r, nil
}

func (db *DB) reportEngagement(ctx context.Context, r *Report) error {
	return db.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE kind = 'open' AND NOT machine),
		       count(DISTINCT subscriber_id) FILTER (WHERE kind = 'open' AND NOT machine),
		       count(*) FILTER (WHERE kind = 'open' AND machine),
		       count(*) FILTER (WHERE kind = 'click' AND NOT machine),
		       count(DISTINCT subscriber_id) FILTER (WHERE kind = 'click' AND NOT machine),
		       count(*) FILTER (WHERE kind = 'click' AND machine),
		       count(DISTINCT subscriber_id) FILTER (WHERE kind = 'unsubscribe'),
		       count(*) FILTER (WHERE kind = 'complaint')
		FROM events WHERE campaign_id = $1`, r.CampaignID).Scan(
		&r.Opens.Total, &r.Opens.Unique, &r.Opens.Machine,
		&r.Clicks.Total, &r.Clicks.Unique, &r.Clicks.Machine, &r.Unsubscribes, &r.Complaints)
}

func (db *DB) reportLinks(ctx context.Context, r *Report) error {
	rows, err := db.pool.Query(ctx, `
		SELECT detail->>'url', count(DISTINCT subscriber_id), count(*)
		FROM events WHERE campaign_id = $1 AND kind = 'click' AND NOT machine
		GROUP BY 1 ORDER BY 3 DESC LIMIT 100`, r.CampaignID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l LinkClicks
		if err := rows.Scan(&l.URL, &l.Unique, &l.Total); err != nil {
			return err
		}
		r.Clicks.Links = append(r.Clicks.Links, l)
	}
	return rows.Err()
}

func (db *DB) reportBounces(ctx context.Context, r *Report) error {
	rows, err := db.pool.Query(ctx, `
		SELECT detail->>'type', COALESCE(NULLIF(detail->>'status', ''), 'no status code'), count(*)
		FROM events WHERE campaign_id = $1 AND kind = 'bounce'
		GROUP BY 1, 2 ORDER BY 3 DESC`, r.CampaignID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var typ, reason string
		var n int64
		if err := rows.Scan(&typ, &reason, &n); err != nil {
			return err
		}
		if typ == "hard" {
			r.Bounces.Hard += n
		} else {
			r.Bounces.Soft += n
		}
		r.Bounces.ByReason = append(r.Bounces.ByReason, ReasonCount{Reason: typ + " " + reason, Count: n})
	}
	return rows.Err()
}

// reportTimeline buckets sends, human opens and human clicks by minute.
func (db *DB) reportTimeline(ctx context.Context, r *Report) error {
	rows, err := db.pool.Query(ctx, `
		WITH s AS (
			SELECT date_trunc('minute', done_at) AS t, count(*) AS n FROM sends
			WHERE campaign_id = $1 AND done_at IS NOT NULL AND status <> 'skipped' AND status <> 'cancelled'
			GROUP BY 1
		), e AS (
			SELECT date_trunc('minute', created_at) AS t,
			       count(*) FILTER (WHERE kind = 'open' AND NOT machine) AS opens,
			       count(*) FILTER (WHERE kind = 'click' AND NOT machine) AS clicks
			FROM events WHERE campaign_id = $1 AND kind IN ('open', 'click') GROUP BY 1
		)
		SELECT COALESCE(s.t, e.t), COALESCE(s.n, 0), COALESCE(e.opens, 0), COALESCE(e.clicks, 0)
		FROM s FULL JOIN e ON s.t = e.t ORDER BY 1 LIMIT 2000`, r.CampaignID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p TimePoint
		if err := rows.Scan(&p.T, &p.Sent, &p.Opens, &p.Clicks); err != nil {
			return err
		}
		r.Timeline = append(r.Timeline, p)
	}
	return rows.Err()
}

func (db *DB) reportRecent(ctx context.Context, r *Report) error {
	rows, err := db.pool.Query(ctx, `
		(SELECT e.kind, s.email, COALESCE(e.detail->>'type', ''), COALESCE(e.detail->>'status', ''),
		        COALESCE(e.detail->>'reply', e.detail->>'diagnostic', ''), e.created_at
		 FROM events e JOIN subscribers s ON s.id = e.subscriber_id
		 WHERE e.campaign_id = $1 AND e.kind = 'bounce' ORDER BY e.id DESC LIMIT $2)
		UNION ALL
		(SELECT e.kind, s.email, '', '', '', e.created_at
		 FROM events e JOIN subscribers s ON s.id = e.subscriber_id
		 WHERE e.campaign_id = $1 AND e.kind = 'unsubscribe' ORDER BY e.id DESC LIMIT $2)
		UNION ALL
		(SELECT e.kind, s.email, '', '', '', e.created_at
		 FROM events e JOIN subscribers s ON s.id = e.subscriber_id
		 WHERE e.campaign_id = $1 AND e.kind = 'complaint' ORDER BY e.id DESC LIMIT $2)`,
		r.CampaignID, recentLimit)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var e RecentEvent
		if err := rows.Scan(&kind, &e.Email, &e.Type, &e.Status, &e.Reason, &e.At); err != nil {
			return err
		}
		switch kind {
		case EventBounce:
			r.Recent.Bounces = append(r.Recent.Bounces, e)
		case EventUnsubscribe:
			r.Recent.Unsubscribes = append(r.Recent.Unsubscribes, e)
		case EventComplaint:
			r.Recent.Complaints = append(r.Recent.Complaints, e)
		}
	}
	return rows.Err()
}
