package webhook

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
)

// StartFunc starts the delivery workflow of one outbox row. It must fail
// with *serviceerror.WorkflowExecutionAlreadyStarted when a workflow for
// the row is still running.
type StartFunc func(ctx context.Context, deliveryID int64) error

// Dispatcher moves pending outbox rows to delivery workflows. Every worker
// with the webhooks role runs one, and they share the rows through FOR
// UPDATE SKIP LOCKED. The workflow id names the row, so one workflow at a
// time delivers a row.
type Dispatcher struct {
	DB    *store.DB
	Log   *zap.Logger
	Start StartFunc
	// BatchSize is how many rows one round locks and starts; 100 when zero.
	BatchSize int
	// Interval is the pause after a round that found less than a full batch;
	// one second when zero.
	Interval time.Duration
	// Concurrency is how many workflow starts run at once; 8 when zero.
	Concurrency int
}

// Run dispatches until ctx is done.
func (d *Dispatcher) Run(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		locked, started, err := d.DispatchOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			if failures == 1 || failures%60 == 0 {
				d.Log.Warn("webhook dispatch failed", zap.Int("failures", failures), zap.Error(err))
			}
		case err == nil:
			failures = 0
		}
		// A full batch that all started means more may be waiting.
		if err == nil && locked == d.batchSize() && started == locked {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(d.interval()):
		}
	}
}

// DispatchOnce runs one round: it locks pending rows, starts their
// workflows and marks the started ones delivering. A row whose workflow is
// still running stays pending and is tried again next round.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (locked, started int, err error) {
	return d.DB.DispatchWebhooks(ctx, d.batchSize(), d.startAll)
}

func (d *Dispatcher) startAll(ctx context.Context, ids []int64) []int64 {
	ok := make([]bool, len(ids))
	sem := make(chan struct{}, d.concurrency())
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			// The rows stay locked meanwhile, so each start gets startTimeout.
			sctx, cancel := context.WithTimeout(ctx, startTimeout)
			err := d.Start(sctx, id)
			cancel()
			var running *serviceerror.WorkflowExecutionAlreadyStarted
			switch {
			case err == nil:
				ok[i] = true
			case errors.As(err, &running):
				d.Log.Debug("webhook delivery workflow still running", zap.Int64("delivery_id", id))
			case ctx.Err() == nil:
				d.Log.Warn("starting a webhook delivery failed", zap.Int64("delivery_id", id), zap.Error(err))
			}
		}()
	}
	wg.Wait()
	var out []int64
	for i, id := range ids {
		if ok[i] {
			out = append(out, id)
		}
	}
	return out
}

// startTimeout bounds one workflow start.
const startTimeout = 10 * time.Second

func (d *Dispatcher) batchSize() int {
	if d.BatchSize > 0 {
		return d.BatchSize
	}
	return 100
}

func (d *Dispatcher) interval() time.Duration {
	if d.Interval > 0 {
		return d.Interval
	}
	return time.Second
}

func (d *Dispatcher) concurrency() int {
	if d.Concurrency > 0 {
		return d.Concurrency
	}
	return 8
}
