// Package pacing is a worker's side of the shared send rate. It takes tokens
// from each server's token bucket in PostgreSQL (see store.DB.TakeTokens) a
// few at a time and hands them out one per message, so all workers together
// keep to the server's rate.
package pacing

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pacer-email/pacer/internal/store"
)

// TokenSource grants up to want tokens of a server.
type TokenSource interface {
	TakeTokens(ctx context.Context, serverID int64, want int) (store.Grant, error)
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

// Limiter paces one server's sends from this worker.
type Limiter struct {
	src      TokenSource
	serverID int64

	mu        sync.Mutex
	tokens    int
	rate      float64
	unlimited time.Time // when the rate was last seen to be 0
}

// NewLimiter returns a limiter for serverID.
func NewLimiter(src TokenSource, serverID int64) *Limiter {
	return &Limiter{src: src, serverID: serverID}
}

// Rate returns the effective rate seen at the last token request.
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate
}

// Wait blocks until this worker may send one message. It returns a
// *QuotaError when a quota is used up for longer than a minute.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		if l.tokens > 0 {
			l.tokens--
			l.mu.Unlock()
			return nil
		}
		if !l.unlimited.IsZero() && time.Since(l.unlimited) < unlimitedRecheck {
			l.mu.Unlock()
			return nil
		}
		// Ask for about 20 ms of tokens: few round trips, and little left
		// unused when a batch ends with tokens in hand.
		want := max(1, int(l.rate*0.02))
		if l.rate <= 0 {
			want = 10 // quota only: a few at a time, so workers share it
		}
		g, err := l.src.TakeTokens(ctx, l.serverID, want)
		if err != nil {
			l.mu.Unlock()
			return err
		}
		l.rate = g.Rate
		if !g.Limited {
			l.unlimited = time.Now()
			l.mu.Unlock()
			return nil
		}
		l.unlimited = time.Time{}
		if g.Tokens > 0 {
			l.tokens += g.Tokens - 1
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		wait := 100 * time.Millisecond
		if g.Rate > 0 {
			wait = min(time.Duration(float64(time.Second)/g.Rate), wait)
		}
		if !g.QuotaReset.IsZero() {
			until := time.Until(g.QuotaReset)
			if until > maxQuotaWait {
				return &QuotaError{ServerID: l.serverID, Reset: g.QuotaReset}
			}
			wait = max(until, wait)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
