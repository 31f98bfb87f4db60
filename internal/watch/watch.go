// Package watch follows a campaign through the API and draws a terminal
// progress bar: "Delivered 12,300 / 50,000", the rate and the time left.
package watch

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pacer-email/pacer/internal/apiclient"
)

// Campaign is the part of GET /api/campaigns/{id} the watcher reads.
type Campaign struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Status       string     `json:"status"`
	StatusReason string     `json:"status_reason"`
	StartedAt    *time.Time `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at"`
	Counts       Counts     `json:"counts"`
	Progress     struct {
		Done       int64   `json:"done"`
		Total      int64   `json:"total"`
		Percent    float64 `json:"percent"`
		Rate       float64 `json:"rate"`
		ETASeconds float64 `json:"eta_seconds"`
		Text       string  `json:"text"`
	} `json:"progress"`
	Diagnosis []string `json:"diagnosis"`
}

// Counts mirrors the API's send counts.
type Counts struct {
	Total       int64 `json:"total"`
	Queued      int64 `json:"queued"`
	Retry       int64 `json:"retry"`
	Sending     int64 `json:"sending"`
	Delivered   int64 `json:"delivered"`
	SoftBounced int64 `json:"soft_bounced"`
	HardBounced int64 `json:"hard_bounced"`
	Failed      int64 `json:"failed"`
	Uncertain   int64 `json:"uncertain"`
	Skipped     int64 `json:"skipped"`
	Cancelled   int64 `json:"cancelled"`
}

// Final reports whether status ends a campaign.
func Final(status string) bool { return status == "Done" || status == "Cancelled" }

// Watch polls the campaign every interval and redraws the bar on out until
// the campaign is Done or Cancelled, or ctx ends. With tty false it prints a
// line every 5 seconds instead of redrawing one.
func Watch(ctx context.Context, c *apiclient.Client, id int64, out io.Writer, tty bool, interval time.Duration) (Campaign, error) {
	var last time.Time
	var camp Campaign
	for {
		if err := c.Do(ctx, "GET", fmt.Sprintf("/api/campaigns/%d", id), nil, &camp); err != nil {
			return camp, err
		}
		final := Final(camp.Status)
		switch {
		case tty:
			fmt.Fprintf(out, "\r\033[K%s", Line(camp))
			if final {
				fmt.Fprintln(out)
			}
		case final || time.Since(last) >= 5*time.Second:
			fmt.Fprintln(out, Line(camp))
			last = time.Now()
		}
		if final {
			return camp, nil
		}
		select {
		case <-ctx.Done():
			return camp, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// barWidth is the progress bar's width in characters.
const barWidth = 30

// Line renders one progress line of a campaign.
func Line(c Campaign) string {
	p := c.Progress
	filled := 0
	if p.Total > 0 {
		filled = int(float64(barWidth) * float64(p.Done) / float64(p.Total))
	}
	filled = min(max(filled, 0), barWidth)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", barWidth-filled)
	line := fmt.Sprintf("%s %5.1f%%  %s  %s/s", bar, p.Percent, p.Text, fmt.Sprintf("%.0f", p.Rate))
	if p.ETASeconds > 0 && !Final(c.Status) {
		line += "  ETA " + (time.Duration(p.ETASeconds) * time.Second).String()
	}
	line += "  [" + c.Status + "]"
	if len(c.Diagnosis) > 0 {
		line += "  ! " + c.Diagnosis[0]
	}
	return line
}
