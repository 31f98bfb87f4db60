package webhook

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
)

// StartFunc starts the delivery workflow of one outbox row. attempts is how
// many attempts the dispatcher already made, so the workflow continues its
// backoff after them. It must fail with
// *serviceerror.WorkflowExecutionAlreadyStarted when a workflow for the row
// is still running.
type StartFunc func(ctx context.Context, deliveryID int64, attempts int) error

// Dispatcher makes the first attempt of every pending outbox row itself and
// hands the rows that fail with a retryable result to delivery workflows.
// Almost every delivery succeeds at once, and a Temporal workflow per event
// costs far more than the POST, so only the retries are workflows.
//
// The attempts run in this process and not in a Temporal activity per
// round, because the row locks already make a round safe to lose. A round
// holds its rows locked (FOR UPDATE SKIP LOCKED) in a transaction while it
// posts them, and records the outcomes in the same transaction. If the
// worker dies mid-round, PostgreSQL rolls the transaction back, the rows are
// pending again and a later round posts them again (at least once, and
// receivers de-duplicate by event id). An activity per round would add a
// workflow and an activity per round and still need the same locks.
//
// Each round takes the rows of one endpoint, and rounds of different
// endpoints run at once, so an endpoint that is slow or down holds only its
// own round. Every worker with the webhooks role runs a dispatcher, and they
// share the rows through the locks.
type Dispatcher struct {
	DB     *store.DB
	Log    *zap.Logger
	Client *Client
	Start  StartFunc
	// BatchSize is how many rows of one endpoint a round locks; 500 when
	// zero.
	BatchSize int
	// Interval is how often the dispatcher looks for endpoints with pending
	// rows while none of its rounds ends; one second when zero.
	Interval time.Duration
	// Concurrency is how many POSTs run at once over all endpoints; 64 when
	// zero.
	Concurrency int
	// EndpointConcurrency is how many POSTs to one endpoint run at once; 16
	// when zero. Concurrency / EndpointConcurrency rounds run at once.
	EndpointConcurrency int
	// RoundTime is how long a round starts new attempts. Rows it did not
	// reach by then stay pending for the endpoint's next round. 10 seconds
	// when zero.
	RoundTime time.Duration
}

// roundResult is the summary of a finished round that Run acts on.
type roundResult struct {
	endpointID int64
	locked     int
	// failing is set when the round stopped because its attempts failed.
	failing bool
	err     error
}

// endpointPause is how long Run waits before the next round of an endpoint
// whose last round stopped on failures.
type endpointPause struct {
	until time.Time
	delay time.Duration
}

// maxEndpointPause caps the pause of a failing endpoint, so its pending
// rows go out within a minute of it coming back.
const maxEndpointPause = time.Minute

// Run dispatches until ctx is done, then waits for its rounds to end.
func (d *Dispatcher) Run(ctx context.Context) {
	slots := make(chan struct{}, d.concurrency())
	done := make(chan roundResult)
	running := map[int64]bool{}
	paused := map[int64]endpointPause{}
	var cursor int64 // the endpoint of the last round started, for fairness
	failures := 0

	for ctx.Err() == nil {
		ids, err := d.DB.PendingWebhookEndpoints(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			if failures == 1 || failures%60 == 0 {
				d.Log.Warn("listing endpoints with pending webhooks failed",
					zap.Int("failures", failures), zap.Error(err))
			}
		case err == nil:
			failures = 0
		}
		now := time.Now()
		for _, id := range rotate(ids, cursor) {
			if len(running) >= d.maxRounds() {
				break
			}
			if running[id] || now.Before(paused[id].until) {
				continue
			}
			running[id] = true
			cursor = id
			go func() { done <- d.round(ctx, id, slots) }()
		}

		select {
		case <-ctx.Done():
		case r := <-done:
			delete(running, r.endpointID)
			d.finish(r, paused)
		case <-time.After(d.interval()):
		}
	}
	for len(running) > 0 {
		r := <-done
		delete(running, r.endpointID)
	}
}

// finish logs a round's error and pauses or resumes its endpoint.
func (d *Dispatcher) finish(r roundResult, paused map[int64]endpointPause) {
	if r.err != nil {
		d.Log.Warn("webhook round failed", zap.Int64("endpoint_id", r.endpointID), zap.Error(r.err))
	}
	if r.locked == 0 && r.err == nil {
		// Another dispatcher holds the endpoint's pending rows: look again
		// after the interval rather than at once.
		p := paused[r.endpointID]
		p.until = time.Now().Add(d.interval())
		paused[r.endpointID] = p
		return
	}
	if !r.failing {
		delete(paused, r.endpointID)
		return
	}
	p := paused[r.endpointID]
	p.delay = min(max(2*p.delay, d.interval()), maxEndpointPause)
	p.until = time.Now().Add(p.delay)
	paused[r.endpointID] = p
	d.Log.Info("webhook endpoint is failing: pausing its first attempts",
		zap.Int64("endpoint_id", r.endpointID), zap.Duration("pause", p.delay))
}

// rotate returns ids starting after cursor, so endpoints take turns when
// more of them have pending rows than rounds may run.
func rotate(ids []int64, cursor int64) []int64 {
	for i, id := range ids {
		if id > cursor {
			return append(ids[i:len(ids):len(ids)], ids[:i]...)
		}
	}
	return ids
}

// DispatchOnce runs one round for the endpoint: it locks up to BatchSize of
// its pending rows and attempts them. It returns how many rows it locked.
func (d *Dispatcher) DispatchOnce(ctx context.Context, endpointID int64) (int, error) {
	r := d.round(ctx, endpointID, make(chan struct{}, d.concurrency()))
	return r.locked, r.err
}

// round runs one round of an endpoint. slots bounds the POSTs of all rounds.
func (d *Dispatcher) round(ctx context.Context, endpointID int64, slots chan struct{}) roundResult {
	r := roundResult{endpointID: endpointID}
	r.locked, r.err = d.DB.DeliverWebhookRound(ctx, endpointID, d.batchSize(),
		func(ctx context.Context, ep store.WebhookEndpoint, ds []store.WebhookDelivery) []store.WebhookAttempt {
			if !ep.Enabled {
				return failAll(ds, fmt.Sprintf("webhook %d is disabled", ep.ID))
			}
			results, failing := d.attemptAll(ctx, ep, ds, slots)
			r.failing = failing
			return d.outcomes(ctx, ds, results)
		})
	return r
}

func failAll(ds []store.WebhookDelivery, reason string) []store.WebhookAttempt {
	out := make([]store.WebhookAttempt, len(ds))
	for i, dl := range ds {
		out[i] = store.WebhookAttempt{ID: dl.ID, Error: reason, Status: store.DeliveryFailed}
	}
	return out
}

// attemptAll posts the rows in order, at most EndpointConcurrency at once.
// A nil result is a row it did not post. It stops starting attempts when
// RoundTime has passed or ctx is done. It also stops, and reports failing,
// once EndpointConcurrency attempts failed with a retryable result and more
// failed than were delivered.
func (d *Dispatcher) attemptAll(ctx context.Context, ep store.WebhookEndpoint, ds []store.WebhookDelivery,
	slots chan struct{}) (results []*Result, failing bool) {
	results = make([]*Result, len(ds))
	deadline := time.Now().Add(d.roundTime())
	perEndpoint := make(chan struct{}, d.endpointConcurrency())
	var (
		mu                  sync.Mutex
		delivered, retrying int
		wg                  sync.WaitGroup
	)
	isFailing := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return retrying >= d.endpointConcurrency() && retrying > delivered
	}

	for i, dl := range ds {
		if !acquire(ctx, perEndpoint) {
			break
		}
		if !acquire(ctx, slots) {
			<-perEndpoint
			break
		}
		failing = isFailing()
		if failing || time.Now().After(deadline) {
			<-slots
			<-perEndpoint
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; <-perEndpoint; wg.Done() }()
			res := d.Client.Deliver(ctx, ep.URL, ep.Secret, EventOf(dl))
			if res.Err != nil && ctx.Err() != nil {
				// Stopped by shutdown, not by the receiver: not an attempt.
				return
			}
			mu.Lock()
			defer mu.Unlock()
			results[i] = &res
			switch {
			case res.Outcome == Delivered:
				delivered++
			case res.Retryable():
				retrying++
			}
		}()
	}
	wg.Wait()
	return results, failing || isFailing()
}

// acquire takes a slot of sem unless ctx is done first.
func acquire(ctx context.Context, sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// outcomes turns the attempts into row updates. It starts a delivery
// workflow for every row with a retryable failure. A row whose workflow did
// not start stays pending with its attempt counted, so the next round posts
// it again.
func (d *Dispatcher) outcomes(ctx context.Context, ds []store.WebhookDelivery,
	results []*Result) []store.WebhookAttempt {
	var out []store.WebhookAttempt
	var retry []int // indexes in out
	for i, res := range results {
		if res == nil {
			continue
		}
		a := store.WebhookAttempt{ID: ds[i].ID, Attempted: true, StatusCode: res.Response.StatusCode,
			Error: res.ErrorText(), Status: store.DeliveryDelivered}
		switch {
		case res.Retryable():
			a.Status = store.DeliveryPending
			retry = append(retry, len(out))
		case res.Outcome != Delivered:
			a.Status = store.DeliveryFailed
		}
		out = append(out, a)
	}

	sem := make(chan struct{}, startConcurrency)
	var wg sync.WaitGroup
	for _, i := range retry {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			id := out[i].ID
			// The start must not outlive the round's row locks for long, and
			// shutdown must not cancel it: the attempt is already made.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), startTimeout)
			// One attempt, not the row's attempts count: a replayed row has
			// the attempts of its earlier deliveries but starts its backoff
			// afresh.
			err := d.Start(sctx, id, 1)
			cancel()
			var running *serviceerror.WorkflowExecutionAlreadyStarted
			switch {
			case err == nil:
				out[i].Status = store.DeliveryDelivering
			case errors.As(err, &running):
				d.Log.Debug("webhook delivery workflow still running", zap.Int64("delivery_id", id))
			default:
				d.Log.Warn("starting a webhook delivery workflow failed", zap.Int64("delivery_id", id), zap.Error(err))
			}
		}()
	}
	wg.Wait()
	return out
}

const (
	// startTimeout bounds one workflow start.
	startTimeout = 10 * time.Second
	// startConcurrency is how many workflow starts one round runs at once.
	startConcurrency = 8
)

func (d *Dispatcher) batchSize() int {
	if d.BatchSize > 0 {
		return d.BatchSize
	}
	return 500
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
	return 64
}

func (d *Dispatcher) endpointConcurrency() int {
	if d.EndpointConcurrency > 0 {
		return min(d.EndpointConcurrency, d.concurrency())
	}
	return min(16, d.concurrency())
}

func (d *Dispatcher) maxRounds() int {
	return max(1, d.concurrency()/d.endpointConcurrency())
}

func (d *Dispatcher) roundTime() time.Duration {
	if d.RoundTime > 0 {
		return d.RoundTime
	}
	return 10 * time.Second
}
