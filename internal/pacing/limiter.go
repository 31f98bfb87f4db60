// Package pacing holds a worker's side of the shared send rate: it takes
// tokens from each server's token bucket in PostgreSQL (see
// store.DB.TakeTokens) a few at a time and hands them out one per message,
// so all workers together keep to the server's rate.
package pacing

import (
	"context"
	"sync"
	"time"
)

// TokenSource grants up to want tokens of a server and returns the current
// effective rate in messages per second (0 means unlimited).
type TokenSource interface {
	TakeTokens(ctx context.Context, serverID int64, want int) (granted int, rate float64, err error)
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

// Wait blocks until this worker may send one message.
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
		// Ask for about 50 ms of tokens: few round trips, small bursts.
		want := max(1, int(l.rate*0.05))
		granted, rate, err := l.src.TakeTokens(ctx, l.serverID, want)
		if err != nil {
			l.mu.Unlock()
			return err
		}
		l.rate = rate
		if rate <= 0 {
			l.unlimited = time.Now()
			l.mu.Unlock()
			return nil
		}
		l.unlimited = time.Time{}
		if granted > 0 {
			l.tokens += granted - 1
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		wait := min(time.Duration(float64(time.Second)/rate), 100*time.Millisecond)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
