// Package events buffers the events that pacer's HTTP endpoints record
// (opens, clicks, unsubscribes) and writes them to PostgreSQL in batches, so
// that a request never waits for the database.
//
// A handler calls [Writer.Add], which puts the event into a bounded
// in-memory buffer and returns. One goroutine takes events from the buffer
// and writes up to Config.BatchSize of them in one INSERT, at least every
// Config.FlushInterval. A failed write is retried with back-off until it
// succeeds; meanwhile the buffer fills.
//
// # Losing nothing, blocking little
//
// When the buffer is full, Add waits for room, up to Config.EnqueueWait,
// rather than dropping the event; only after that does it give up, and
// counts the drop. The buffer is sized so that this does not happen while
// the database takes writes: 100,000 events are more than a minute and a
// half of 1,000 opens and clicks a second, and about 10 MB of memory. A
// larger buffer loses fewer events in a longer database outage and holds
// more in memory that a crash of the process would lose; a smaller one
// makes handlers wait sooner. Handlers answer the request first and then
// call Add, so a wait delays no pixel and no redirect, only the next
// request on the same keep-alive connection.
//
// [Writer.Close] stops taking events and writes everything buffered. The
// counters of [Writer.Stats] are monotonic, ready for a metrics exporter.
//
// # Delivery time
//
// Opens and clicks within [tracking.MinHumanDelay] of delivery come from
// security gateways, not people. Reading sends.done_at for every request
// would cost a query per hit, so the writer does it once per batch, for the
// opens and clicks that the agent and address checks took for a person
// (those with no DetailAgent), and marks the early ones as machine traffic.
// If that query fails, the batch is written without the check.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
)

// Detail keys the tracking endpoints and the writer set.
const (
	// DetailAgent holds the reason tracking.ClassifyAgent gave, such as
	// "scanner: Mimecast" or "too soon after delivery". Events without it
	// were taken for a person.
	DetailAgent = "agent"
	// DetailProxy is true on an open fetched by a mailbox provider's image
	// proxy, which is counted as an open.
	DetailProxy = "proxy"
)

// Defaults of [Config].
const (
	DefaultBuffer        = 100_000
	DefaultBatchSize     = 1000
	DefaultFlushInterval = 200 * time.Millisecond
	DefaultEnqueueWait   = 5 * time.Second
)

// Retry back-off of failed writes, and the time one write may take.
const (
	retryMin     = 100 * time.Millisecond
	retryMax     = 5 * time.Second
	writeTimeout = 30 * time.Second
)

// ErrClosed is returned by [Writer.Add] after [Writer.Close].
var ErrClosed = errors.New("events: writer is closed")

// ErrFull is returned by [Writer.Add] when the buffer stayed full for
// Config.EnqueueWait.
var ErrFull = errors.New("events: buffer full")

// Store is the database side of the writer; *store.DB is one.
type Store interface {
	// AddEvents writes events in one statement.
	AddEvents(ctx context.Context, events []store.Event) error
	// DoneAt returns when each send got its outcome.
	DoneAt(ctx context.Context, keys []store.SendKey) (map[store.SendKey]time.Time, error)
}

var _ Store = (*store.DB)(nil)

// Config sizes a [Writer]. Zero fields take the defaults.
type Config struct {
	// Buffer is how many events wait in memory at most.
	Buffer int
	// BatchSize is how many events one INSERT writes at most.
	BatchSize int
	// FlushInterval is the longest an event waits for its batch to fill.
	FlushInterval time.Duration
	// EnqueueWait is how long Add waits for room in a full buffer before
	// it drops the event.
	EnqueueWait time.Duration
}

func (c *Config) setDefaults() {
	if c.Buffer <= 0 {
		c.Buffer = DefaultBuffer
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.EnqueueWait <= 0 {
		c.EnqueueWait = DefaultEnqueueWait
	}
}

// Stats are the writer's counters. All but Pending only grow.
type Stats struct {
	// Enqueued counts events Add accepted.
	Enqueued uint64 `json:"enqueued"`
	// Written counts events stored in the database.
	Written uint64 `json:"written"`
	// Waited counts Add calls that found the buffer full and waited:
	// backpressure.
	Waited uint64 `json:"waited"`
	// Dropped counts events Add gave up on after waiting.
	Dropped uint64 `json:"dropped"`
	// Lost counts accepted events that Close could not write in time.
	Lost uint64 `json:"lost"`
	// WriteErrors counts failed writes; each was retried.
	WriteErrors uint64 `json:"write_errors"`
	// Pending is the number of events in the buffer now.
	Pending int `json:"pending"`
}

// Writer buffers events and writes them in batches. Create it with
// [NewWriter]; it is safe for concurrent use.
type Writer struct {
	db  Store
	log *zap.Logger
	cfg Config

	ch      chan store.Event
	flushes chan chan struct{}
	quit    chan struct{}
	done    chan struct{}
	// ctx ends the retries of writes when Close runs out of time.
	ctx    context.Context
	cancel context.CancelFunc

	// mu orders Add against Close: Add sends under the read lock, so once
	// Close holds the write lock every accepted event is in ch.
	mu     sync.RWMutex
	closed bool

	enqueued, written, waited, dropped, lost, writeErrors atomic.Uint64
	lastDropLog                                           atomic.Int64
}

// NewWriter starts a writer to db.
func NewWriter(db Store, log *zap.Logger, cfg Config) *Writer {
	cfg.setDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Writer{db: db, log: log, cfg: cfg,
		ch: make(chan store.Event, cfg.Buffer), flushes: make(chan chan struct{}),
		quit: make(chan struct{}), done: make(chan struct{}), ctx: ctx, cancel: cancel}
	go w.run()
	return w
}

// Add queues an event for writing and returns at once, unless the buffer
// is full: then it waits for room until Config.EnqueueWait has passed or
// ctx ends, and drops the event with [ErrFull] or ctx's error. A zero
// CreatedAt is set to now, so the event keeps the time it happened.
// Callers that have answered their request should pass a context that is
// not cancelled when the client goes away (context.WithoutCancel).
func (w *Writer) Add(ctx context.Context, e store.Event) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	if _, err := json.Marshal(e.Detail); err != nil {
		return fmt.Errorf("events: detail of %s event: %w", e.Kind, err)
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.drop(ErrClosed)
		return ErrClosed
	}
	select {
	case w.ch <- e:
		w.enqueued.Add(1)
		return nil
	default:
	}
	w.waited.Add(1)
	t := time.NewTimer(w.cfg.EnqueueWait)
	defer t.Stop()
	select {
	case w.ch <- e:
		w.enqueued.Add(1)
		return nil
	case <-t.C:
		w.drop(ErrFull)
		return ErrFull
	case <-ctx.Done():
		w.drop(ctx.Err())
		return ctx.Err()
	}
}

// drop counts a dropped event and logs at most once a second.
func (w *Writer) drop(reason error) {
	n := w.dropped.Add(1)
	now := time.Now().UnixNano()
	last := w.lastDropLog.Load()
	if now-last >= int64(time.Second) && w.lastDropLog.CompareAndSwap(last, now) {
		w.log.Error("event dropped", zap.Error(reason), zap.Uint64("dropped_total", n),
			zap.Int("pending", len(w.ch)))
	}
}

// Flush returns once every event added before the call is written, or ctx
// ends.
func (w *Writer) Flush(ctx context.Context) error {
	reply := make(chan struct{})
	select {
	case w.flushes <- reply:
	case <-w.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-reply:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking events and writes the buffered ones, retrying failed
// writes until ctx ends. It returns an error if any event was not written.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	already := w.closed
	w.closed = true
	w.mu.Unlock()
	if !already {
		close(w.quit)
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		w.cancel()
		<-w.done
	}
	w.cancel()
	if lost := w.lost.Load(); lost > 0 {
		return fmt.Errorf("events: %d events were not written before shutdown", lost)
	}
	return nil
}

// Stats returns the counters.
func (w *Writer) Stats() Stats {
	return Stats{Enqueued: w.enqueued.Load(), Written: w.written.Load(), Waited: w.waited.Load(),
		Dropped: w.dropped.Load(), Lost: w.lost.Load(), WriteErrors: w.writeErrors.Load(), Pending: len(w.ch)}
}

// run takes events from the buffer and writes them in batches.
func (w *Writer) run() {
	defer close(w.done)
	batch := make([]store.Event, 0, w.cfg.BatchSize)
	tick := time.NewTicker(w.cfg.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case e := <-w.ch:
			batch = append(batch, e)
			if len(batch) == w.cfg.BatchSize {
				batch = w.write(batch)
			}
		case <-tick.C:
			batch = w.write(batch)
		case reply := <-w.flushes:
			batch = w.drain(batch, len(w.ch))
			close(reply)
		case <-w.quit:
			w.drain(batch, -1)
			return
		}
	}
}

// drain writes batch and then n events from the buffer, or all of them
// until it is empty when n < 0.
func (w *Writer) drain(batch []store.Event, n int) []store.Event {
	for ; n != 0; n-- {
		var e store.Event
		select {
		case e = <-w.ch:
		default:
			return w.write(batch)
		}
		batch = append(batch, e)
		if len(batch) == w.cfg.BatchSize {
			batch = w.write(batch)
		}
	}
	return w.write(batch)
}

// write stores batch, retrying until it succeeds or the writer's context
// ends, and returns batch emptied for reuse.
func (w *Writer) write(batch []store.Event) []store.Event {
	if len(batch) == 0 {
		return batch
	}
	w.markTooSoon(batch)
	backoff := retryMin
	for {
		ctx, cancel := context.WithTimeout(w.ctx, writeTimeout)
		err := w.db.AddEvents(ctx, batch)
		cancel()
		if err == nil {
			w.written.Add(uint64(len(batch)))
			break
		}
		w.writeErrors.Add(1)
		if w.ctx.Err() != nil {
			w.lost.Add(uint64(len(batch)))
			w.log.Error("events not written before shutdown", zap.Int("events", len(batch)), zap.Error(err))
			break
		}
		w.log.Warn("writing events failed; retrying", zap.Int("events", len(batch)),
			zap.Duration("retry_in", backoff), zap.Int("pending", len(w.ch)), zap.Error(err))
		select {
		case <-time.After(backoff):
		case <-w.ctx.Done():
		}
		backoff = min(2*backoff, retryMax)
	}
	clear(batch)
	return batch[:0]
}
