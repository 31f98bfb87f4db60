package pacing

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/store"
)

// fakeSource grants from a fixed script of answers, repeating the last.
type fakeSource struct {
	mu      sync.Mutex
	answers []store.Grant
	calls   int
}

func (f *fakeSource) TakeTokens(context.Context, int64, int) (store.Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	g := f.answers[min(f.calls-1, len(f.answers)-1)]
	return g, nil
}

func TestLimiterHandsOutGrantedTokens(t *testing.T) {
	src := &fakeSource{answers: []store.Grant{{Tokens: 5, Rate: 100, Limited: true}}}
	l := NewLimiter(src, 1)
	for range 5 {
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if src.calls != 1 {
		t.Errorf("5 sends took %d token requests, want 1", src.calls)
	}
}

func TestLimiterUnlimitedAsksRarely(t *testing.T) {
	src := &fakeSource{answers: []store.Grant{{Tokens: 10}}}
	l := NewLimiter(src, 1)
	for range 100 {
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if src.calls != 1 {
		t.Errorf("100 unlimited sends took %d token requests, want 1", src.calls)
	}
}

func TestLimiterLongQuotaIsAnError(t *testing.T) {
	reset := time.Now().Add(3 * time.Hour)
	src := &fakeSource{answers: []store.Grant{{Limited: true, QuotaReset: reset}}}
	err := NewLimiter(src, 7).Wait(t.Context())
	var qe *QuotaError
	if !errors.As(err, &qe) {
		t.Fatalf("Wait = %v, want a *QuotaError", err)
	}
	if qe.ServerID != 7 || !qe.Reset.Equal(reset) {
		t.Errorf("QuotaError = %+v, want server 7 and reset %v", qe, reset)
	}
}

func TestLimiterWaitsForShortQuota(t *testing.T) {
	reset := time.Now().Add(300 * time.Millisecond)
	src := &fakeSource{answers: []store.Grant{{Limited: true, QuotaReset: reset}, {Tokens: 1, Limited: true}}}
	start := time.Now()
	if err := NewLimiter(src, 1).Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 250*time.Millisecond {
		t.Errorf("Wait returned after %s, before the minute quota started over", time.Since(start))
	}
}
