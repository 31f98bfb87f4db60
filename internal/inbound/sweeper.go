package inbound

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
)

// Defaults of Sweeper.
const (
	DefaultSweepInterval  = 5 * time.Second
	DefaultSweepGrace     = time.Minute
	DefaultRetention      = 30 * 24 * time.Hour
	DefaultRetentionEvery = time.Hour
	sweepBatch            = 500
)

// SweepStore is the part of the store a Sweeper uses; *store.DB
// implements it.
type SweepStore interface {
	PendingInbound(ctx context.Context, smtpBefore time.Time, limit int) ([]int64, error)
	DeleteInboundBefore(ctx context.Context, t time.Time) (int64, error)
}

var _ SweepStore = (*store.DB)(nil)

// Sweeper starts processing for stored rows whose workflow was never
// started, and deletes rows past retention. Rows posted to the API are started at its next pass,
// since the API does not start workflows; rows from the SMTP server only
// after Grace, since the server starts them itself unless Temporal was
// down. Several sweepers may run at once: starting a row twice is harmless.
type Sweeper struct {
	DB    SweepStore
	Start StartFunc
	Log   *zap.Logger
	// Interval is the time between passes, Grace the age at which a row
	// from the SMTP server counts as forgotten, Retention how long rows are
	// kept and RetentionEvery how often old rows are deleted.
	Interval       time.Duration
	Grace          time.Duration
	Retention      time.Duration
	RetentionEvery time.Duration
}

// Run sweeps until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	interval := orDuration(s.Interval, DefaultSweepInterval)
	every := orDuration(s.RetentionEvery, DefaultRetentionEvery)
	var purged time.Time
	failures := 0
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			failures++
			// Temporal or PostgreSQL is down: log it at once, then every
			// few minutes rather than on every pass.
			if failures == 1 || failures%60 == 0 {
				s.Log.Warn("bounce sweeper pass failed", zap.Int("failures", failures), zap.Error(err))
			}
		} else {
			failures = 0
		}
		if time.Since(purged) >= every {
			if _, err := s.Purge(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("deleting old inbound messages failed", zap.Error(err))
			}
			purged = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// Sweep starts processing for every row waiting for it and returns how many
// it started. It stops at the first failed start, since the next would
// fail the same way.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	ids, err := s.DB.PendingInbound(ctx, time.Now().Add(-orDuration(s.Grace, DefaultSweepGrace)), sweepBatch)
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		if err := s.Start(ctx, id); err != nil {
			return i, err
		}
	}
	if len(ids) > 0 {
		s.Log.Debug("bounce sweeper started waiting messages", zap.Int("count", len(ids)))
	}
	return len(ids), nil
}

// Purge deletes rows older than Retention and returns how many.
func (s *Sweeper) Purge(ctx context.Context) (int64, error) {
	n, err := s.DB.DeleteInboundBefore(ctx, time.Now().Add(-orDuration(s.Retention, DefaultRetention)))
	if n > 0 {
		s.Log.Info("old inbound messages deleted", zap.Int64("count", n))
	}
	return n, err
}

func orDuration(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}
