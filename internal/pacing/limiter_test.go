package pacing

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/store"
)

// fakeSource returns reservations from a fixed script, repeating the last.
type fakeSource struct {
	mu      sync.Mutex
	answers []store.Reservation
	calls   int
	wants   []int
}

func (f *fakeSource) ReserveSlots(_ context.Context, _ int64, want int) (store.Reservation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.wants = append(f.wants, want)
	return f.answers[min(f.calls-1, len(f.answers)-1)], nil
}

func TestLimiterSpacesReservedSlots(t *testing.T) {
	src := &fakeSource{answers: []store.Reservation{{Slots: 5, Rate: 100, Limited: true}}}
	l := NewLimiter(src, 1)
	start := time.Now()
	var times []time.Duration
	for range 5 {
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	if src.calls != 1 {
		t.Errorf("5 sends took %d reservations, want 1", src.calls)
	}
	// Five slots at 100/s span 40 ms: the last may not come before that.
	if times[4] < 35*time.Millisecond {
		t.Errorf("the fifth slot came after %s, want 40 ms (one slot every 10 ms)", times[4])
	}
}

func TestLimiterWaitsForReservationStart(t *testing.T) {
	src := &fakeSource{answers: []store.Reservation{{Slots: 1, Rate: 10, Limited: true, Start: 150 * time.Millisecond}}}
	start := time.Now()
	if err := NewLimiter(src, 1).Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Errorf("Wait returned after %s, before the reserved slot at 150 ms", d)
	}
}

func TestLimiterAsksAgainWhenSlotsAreFarAhead(t *testing.T) {
	src := &fakeSource{answers: []store.Reservation{
		{Rate: 10, Limited: true, Start: 100 * time.Millisecond},
		{Slots: 2, Rate: 10, Limited: true},
	}}
	start := time.Now()
	if err := NewLimiter(src, 1).Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if src.calls != 2 {
		t.Errorf("took %d reservations, want 2 (none granted, then two slots)", src.calls)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Errorf("asked again after %s, want after the 100 ms the store gave", d)
	}
}

func TestLimiterReservesAboutTwentyMilliseconds(t *testing.T) {
	src := &fakeSource{answers: []store.Reservation{{Slots: 1, Rate: 1000, Limited: true}}}
	l := NewLimiter(src, 1)
	for range 2 {
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if len(src.wants) != 2 || src.wants[1] != 20 {
		t.Errorf("asked for %v slots, want 20 once the rate of 1000/s is known", src.wants)
	}
}

func TestLimiterUnlimitedAsksRarely(t *testing.T) {
	src := &fakeSource{answers: []store.Reservation{{Slots: 10}}}
	l := NewLimiter(src, 1)
	for range 100 {
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if src.calls != 1 {
		t.Errorf("100 unlimited sends took %d reservations, want 1", src.calls)
	}
}

func TestLimiterLongQuotaIsAnError(t *testing.T) {
	reset := time.Now().Add(3 * time.Hour)
	src := &fakeSource{answers: []store.Reservation{{Limited: true, QuotaReset: reset}}}
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
	src := &fakeSource{answers: []store.Reservation{{Limited: true, QuotaReset: reset}, {Slots: 1, Limited: true}}}
	start := time.Now()
	if err := NewLimiter(src, 1).Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 250*time.Millisecond {
		t.Errorf("Wait returned after %s, before the minute quota started over", time.Since(start))
	}
}

func TestLimiterCancelledWhileWaiting(t *testing.T) {
	src := &fakeSource{answers: []store.Reservation{{Slots: 1, Rate: 1, Limited: true, Start: time.Hour}}}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := NewLimiter(src, 1).Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want the context's deadline error", err)
	}
}
