// Package pacing is a worker's side of the shared send rate. It reserves
// send slots of each server in PostgreSQL (see store.DB.ReserveSlots) a
// few at a time and hands them out one per message, each at its own time,
// so all workers together keep to the server's rate.
package pacing

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pacer-email/pacer/internal/store"
)

// SlotSource reserves up to want send slots of a server.
type SlotSource interface {
	ReserveSlots(ctx context.Context, serverID int64, want int) (store.Reservation, error)
}

// maxQuotaWait is the longest a send waits for a quota to start over. A
// longer wait, for an hourly or daily quota, is returned as a QuotaError.
const maxQuotaWait = time.Minute

// QuotaError reports that a server's hourly or daily quota is used up.
type QuotaError struct {
	ServerID int64
	Reset    time.Time
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("server %d has used its sending quota until %s", e.ServerID, e.Reset.UTC().Format(time.RFC3339))
}

// unlimitedRecheck is how often an unlimited server's rate is read again, so
// a newly set rate applies within this time.
const unlimitedRecheck = time.Second

// reserveSpan is the send time one reservation covers: few round trips to
// PostgreSQL, and few slots reserved but unused when a run ends.
const reserveSpan = 20 * time.Millisecond

// Limiter paces one server's sends from this worker.
type Limiter struct {
	src      SlotSource
	serverID int64

	mu sync.Mutex
	// left is the number of unused slots of the current reservation: the
	// first at next, then one every interval.
	left      int
	next      time.Time
	interval  time.Duration
	rate      float64
	unlimited time.Time // when the server was last seen to be unlimited
}

// NewLimiter returns a limiter for serverID.
func NewLimiter(src SlotSource, serverID int64) *Limiter {
	return &Limiter{src: src, serverID: serverID}
}

// Rate returns the effective rate seen at the last reservation.
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate
}

// Wait blocks until this worker may send one message. It returns a
// *QuotaError when a quota is used up for longer than a minute.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		at, wait, err := l.take(ctx)
		if err != nil {
			return err
		}
		if wait == 0 {
			return sleepUntil(ctx, at)
		}
		if err := sleepUntil(ctx, time.Now().Add(wait)); err != nil {
			return err
		}
	}
}

// take hands out the next slot of the current reservation, reserving more
// when it is used up. It returns the slot's time, or how long to wait
// before asking again when no slot could be reserved.
func (l *Limiter) take(ctx context.Context) (time.Time, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.left == 0 {
		if !l.unlimited.IsZero() && time.Since(l.unlimited) < unlimitedRecheck {
			return time.Time{}, 0, nil
		}
		wait, err := l.reserve(ctx)
		if err != nil || wait > 0 {
			return time.Time{}, wait, err
		}
		if l.left == 0 {
			return time.Time{}, 0, nil // unlimited
		}
	}
	at := l.next
	l.next = l.next.Add(l.interval)
	l.left--
	return at, 0, nil
}

// reserve requests about reserveSpan of slots from PostgreSQL. It reports
// how long to wait when none were granted.
func (l *Limiter) reserve(ctx context.Context) (time.Duration, error) {
	want := max(1, int(l.rate*reserveSpan.Seconds()))
	if l.rate <= 0 {
		want = 10 // quota only: a few at a time, so workers share it
	}
	requested := time.Now()
	r, err := l.src.ReserveSlots(ctx, l.serverID, want)
	if err != nil {
		return 0, err
	}
	l.rate = r.Rate
	if !r.Limited {
		l.unlimited = time.Now()
		return 0, nil
	}
	l.unlimited = time.Time{}
	if r.Slots > 0 {
		l.left, l.next, l.interval = r.Slots, requested.Add(r.Start), 0
		if r.Rate > 0 {
			l.interval = time.Duration(float64(time.Second) / r.Rate)
		}
		return 0, nil
	}
	if !r.QuotaReset.IsZero() {
		until := time.Until(r.QuotaReset)
		if until > maxQuotaWait {
			return 0, &QuotaError{ServerID: l.serverID, Reset: r.QuotaReset}
		}
		return max(until, time.Millisecond), nil
	}
	// The server's next free slot is more than store.MaxReserveAhead away.
	return max(r.Start, time.Millisecond), nil
}

func sleepUntil(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
