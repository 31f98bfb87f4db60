package store_test

import (
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
)

func TestReserveSlotsQuota(t *testing.T) {
	db := testenv.DB(t)
	ctx := t.Context()
	srv, err := db.UpsertServer(ctx, store.Server{Name: "q", Host: "127.0.0.1", Port: 25, TLS: "none",
		HeloName: "localhost", MaxConnections: 1, Weight: 1, TaskQueue: "q", QuotaPerDay: 25})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for range 5 {
		r, err := db.ReserveSlots(ctx, srv.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Limited {
			t.Errorf("a server with a daily quota is reported unlimited")
		}
		if r.Start != 0 {
			t.Errorf("a server without a rate reserved slots %s ahead, want now", r.Start)
		}
		total += r.Slots
	}
	if total != 25 {
		t.Errorf("reserved %d slots in all, want the daily quota of 25", total)
	}
	r, err := db.ReserveSlots(ctx, srv.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Slots != 0 || r.QuotaReset.IsZero() {
		t.Errorf("after the quota: reservation %+v, want no slots and a reset time", r)
	}
}

func TestReserveSlotsFollowEachOther(t *testing.T) {
	db := testenv.DB(t)
	ctx := t.Context()
	srv, err := db.UpsertServer(ctx, store.Server{Name: "r", Host: "127.0.0.1", Port: 25, TLS: "none",
		HeloName: "localhost", MaxConnections: 1, Weight: 1, TaskQueue: "q", RatePerSecond: 100})
	if err != nil {
		t.Fatal(err)
	}
	first, err := db.ReserveSlots(ctx, srv.ID, 30)
	if err != nil {
		t.Fatal(err)
	}
	second, err := db.ReserveSlots(ctx, srv.ID, 30)
	if err != nil {
		t.Fatal(err)
	}
	if first.Slots != 30 || second.Slots != 30 || first.Rate != 100 {
		t.Fatalf("reservations %+v and %+v, want 30 slots each at 100/s", first, second)
	}
	// 30 slots at 100/s take 300 ms, so the second reservation starts about
	// 300 ms later; the two round trips can only shorten that.
	if second.Start < 250*time.Millisecond || second.Start > 300*time.Millisecond {
		t.Errorf("second reservation starts in %s, want just under 300 ms", second.Start)
	}
}

func TestReserveSlotsStopAtOneSecondAhead(t *testing.T) {
	db := testenv.DB(t)
	ctx := t.Context()
	srv, err := db.UpsertServer(ctx, store.Server{Name: "a", Host: "127.0.0.1", Port: 25, TLS: "none",
		HeloName: "localhost", MaxConnections: 1, Weight: 1, TaskQueue: "q", RatePerSecond: 10})
	if err != nil {
		t.Fatal(err)
	}
	big, err := db.ReserveSlots(ctx, srv.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if big.Slots != 10 {
		t.Errorf("asked for 1000 slots at 10/s, got %d, want one second's worth (10)", big.Slots)
	}
	next, err := db.ReserveSlots(ctx, srv.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	if next.Slots != 5 {
		t.Fatalf("a reservation starting one second ahead got %d slots, want 5", next.Slots)
	}
	far, err := db.ReserveSlots(ctx, srv.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	if far.Slots != 0 || far.Start <= 0 || far.Start > 500*time.Millisecond {
		t.Errorf("a reservation 1.5 s ahead: %+v, want no slots and a retry within 0.5 s", far)
	}
	if err := db.SetServerRate(ctx, srv.ID, 1000); err != nil {
		t.Fatal(err)
	}
	after, err := db.ReserveSlots(ctx, srv.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	if after.Slots != 5 || after.Start > 50*time.Millisecond {
		t.Errorf("after raising the rate: %+v, want 5 slots now", after)
	}
}
