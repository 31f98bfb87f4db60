package store_test

import (
	"testing"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
)

func TestTakeTokensQuota(t *testing.T) {
	db := testenv.DB(t)
	ctx := t.Context()
	srv, err := db.UpsertServer(ctx, store.Server{Name: "q", Host: "127.0.0.1", Port: 25, TLS: "none",
		HeloName: "localhost", MaxConnections: 1, Weight: 1, TaskQueue: "q", QuotaPerDay: 25})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for range 5 {
		g, err := db.TakeTokens(ctx, srv.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !g.Limited {
			t.Errorf("a server with a daily quota is reported unlimited")
		}
		total += g.Tokens
	}
	if total != 25 {
		t.Errorf("granted %d tokens in all, want the daily quota of 25", total)
	}
	g, err := db.TakeTokens(ctx, srv.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if g.Tokens != 0 || g.QuotaReset.IsZero() {
		t.Errorf("after the quota: grant %+v, want no tokens and a reset time", g)
	}
}

func TestTakeTokensRateCapsBurst(t *testing.T) {
	db := testenv.DB(t)
	ctx := t.Context()
	srv, err := db.UpsertServer(ctx, store.Server{Name: "r", Host: "127.0.0.1", Port: 25, TLS: "none",
		HeloName: "localhost", MaxConnections: 1, Weight: 1, TaskQueue: "q", RatePerSecond: 100})
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.TakeTokens(ctx, srv.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// The bucket holds at most a tenth of a second of tokens.
	if g.Tokens > 10 {
		t.Errorf("granted %d tokens at once at 100/s, want at most 10", g.Tokens)
	}
	if g.Rate != 100 {
		t.Errorf("rate = %g, want 100", g.Rate)
	}
}
