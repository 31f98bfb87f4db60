package inbound_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/pacer-email/pacer/internal/inbound"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
)

func TestSweeperStartsForgottenRows(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	save := func(source string, age time.Duration) int64 {
		id, err := db.SaveInbound(ctx, store.InboundMessage{Source: source, Raw: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pool().Exec(ctx, `UPDATE inbound_messages SET received_at = now() - $2::interval WHERE id = $1`,
			id, age.String()); err != nil {
			t.Fatal(err)
		}
		return id
	}
	fresh := save(store.SourceSMTP, 0)
	forgotten := save(store.SourceSMTP, 2*time.Minute)
	posted := save(store.SourceHTTP, 0)
	var started []int64
	s := &inbound.Sweeper{DB: db, Log: zaptest.NewLogger(t), Start: func(_ context.Context, id int64) error {
		started = append(started, id)
		return nil
	}}
	n, err := s.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(started)
	if n != 2 || !slices.Equal(started, []int64{forgotten, posted}) {
		t.Errorf("started %v, want %d (forgotten) and %d (posted), not %d (fresh)", started, forgotten, posted, fresh)
	}

	// Temporal down: the pass fails and the rows wait for the next one.
	s.Start = func(context.Context, int64) error { return errors.New("temporal is down") }
	if _, err := s.Sweep(ctx); err == nil {
		t.Error("a pass whose starts fail returned no error")
	}
}

func TestSweeperPurgesOldRows(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	ids := map[string]int64{}
	for _, name := range []string{"old processed", "old received", "new processed"} {
		id, err := db.SaveInbound(ctx, store.InboundMessage{Source: store.SourceSMTP, Raw: []byte(name)})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	_, err := db.Pool().Exec(ctx, `
		UPDATE inbound_messages SET status = 'processed' WHERE id IN ($1, $2);
		`, ids["old processed"], ids["new processed"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE inbound_messages SET received_at = now() - interval '31 days' WHERE id IN ($1, $2)`,
		ids["old processed"], ids["old received"]); err != nil {
		t.Fatal(err)
	}
	s := &inbound.Sweeper{DB: db, Log: zaptest.NewLogger(t)}
	n, err := s.Purge(ctx)
	if err != nil || n != 1 {
		t.Fatalf("purged %d (%v), want 1", n, err)
	}
	for name, id := range ids {
		_, err := db.GetInbound(ctx, id)
		if deleted := errors.Is(err, store.ErrNotFound); deleted != (name == "old processed") {
			t.Errorf("%s: deleted = %v", name, deleted)
		}
	}
}
