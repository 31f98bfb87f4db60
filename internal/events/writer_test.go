package events

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/tracking"
)

// fakeStore records the batches it was given. fail makes the next calls
// fail; gate, when set, blocks every write until it is closed.
type fakeStore struct {
	mu      sync.Mutex
	batches [][]store.Event
	fail    int
	gate    chan struct{}
	doneAt  map[store.SendKey]time.Time
	lookups int
	lookErr error
}

func (f *fakeStore) AddEvents(ctx context.Context, events []store.Event) error {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return errors.New("connection refused")
	}
	f.batches = append(f.batches, slices.Clone(events))
	return nil
}

func (f *fakeStore) DoneAt(_ context.Context, keys []store.SendKey) (map[store.SendKey]time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if f.lookErr != nil {
		return nil, f.lookErr
	}
	out := map[store.SendKey]time.Time{}
	for _, k := range keys {
		if t, ok := f.doneAt[k]; ok {
			out[k] = t
		}
	}
	return out, nil
}

func (f *fakeStore) events() []store.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Event
	for _, b := range f.batches {
		out = append(out, b...)
	}
	return out
}

func (f *fakeStore) batchSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for _, b := range f.batches {
		out = append(out, len(b))
	}
	return out
}

func open(campaign, subscriber int64) store.Event {
	return store.Event{CampaignID: campaign, SubscriberID: subscriber, Kind: store.EventOpen}
}

func closeWriter(t *testing.T, w *Writer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWriterBatches(t *testing.T) {
	db := &fakeStore{}
	w := NewWriter(db, nil, Config{BatchSize: 1000, FlushInterval: time.Hour})
	for i := range 2500 {
		if err := w.Add(t.Context(), open(1, int64(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := db.batchSizes(), []int{1000, 1000, 500}; !slices.Equal(got, want) {
		t.Errorf("batch sizes = %v, want %v", got, want)
	}
	for i, e := range db.events() {
		if e.SubscriberID != int64(i+1) || e.CreatedAt.IsZero() {
			t.Fatalf("event %d = %+v, want subscriber %d with a time", i, e, i+1)
		}
	}
	closeWriter(t, w)
	st := w.Stats()
	if st.Enqueued != 2500 || st.Written != 2500 || st.Dropped != 0 || st.Lost != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestWriterFlushesOnInterval(t *testing.T) {
	db := &fakeStore{}
	w := NewWriter(db, nil, Config{FlushInterval: 20 * time.Millisecond})
	defer closeWriter(t, w)
	if err := w.Add(t.Context(), open(1, 1)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(db.events()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a lone event was not written within 2s with a 20ms flush interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWriterRetriesFailedWrites(t *testing.T) {
	db := &fakeStore{fail: 3}
	w := NewWriter(db, nil, Config{FlushInterval: 10 * time.Millisecond})
	for i := range 10 {
		if err := w.Add(t.Context(), open(1, int64(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	closeWriter(t, w)
	if n := len(db.events()); n != 10 {
		t.Errorf("%d events written, want 10", n)
	}
	if st := w.Stats(); st.WriteErrors != 3 || st.Written != 10 || st.Lost != 0 {
		t.Errorf("stats = %+v, want 3 write errors and 10 written", st)
	}
}

func TestCloseWritesTheBuffer(t *testing.T) {
	db := &fakeStore{}
	w := NewWriter(db, nil, Config{FlushInterval: time.Hour})
	for i := range 10 {
		if err := w.Add(t.Context(), open(1, int64(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	closeWriter(t, w)
	if n := len(db.events()); n != 10 {
		t.Errorf("%d events written on close, want 10", n)
	}
	if err := w.Add(t.Context(), open(1, 99)); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close = %v, want ErrClosed", err)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestCloseReportsWhatItCouldNotWrite(t *testing.T) {
	db := &fakeStore{fail: 1 << 30}
	w := NewWriter(db, nil, Config{FlushInterval: time.Hour})
	for i := range 5 {
		if err := w.Add(t.Context(), open(1, int64(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); err == nil {
		t.Error("Close returned nil with the database refusing every write")
	}
	if st := w.Stats(); st.Lost != 5 || st.WriteErrors == 0 {
		t.Errorf("stats = %+v, want 5 lost", st)
	}
}

// A full buffer makes Add wait, and drop only after EnqueueWait.
func TestFullBufferWaitsThenDrops(t *testing.T) {
	gate := make(chan struct{})
	db := &fakeStore{gate: gate}
	w := NewWriter(db, nil, Config{Buffer: 2, BatchSize: 1, FlushInterval: time.Millisecond,
		EnqueueWait: 50 * time.Millisecond})
	// The first event is taken and blocks in the write; two fill the buffer.
	for i := range 3 {
		if err := w.Add(t.Context(), open(1, int64(i+1))); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := w.Add(t.Context(), open(1, 4)); !errors.Is(err, ErrFull) {
		t.Fatalf("Add to a full buffer = %v, want ErrFull", err)
	}
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Errorf("Add gave up after %s, want it to wait about 50ms", waited)
	}

	// A waiting Add gets in once the database takes writes again.
	errc := make(chan error, 1)
	go func() { errc <- w.Add(context.Background(), open(1, 5)) }()
	time.Sleep(10 * time.Millisecond)
	close(gate)
	if err := <-errc; err != nil {
		t.Errorf("Add while the buffer drains = %v", err)
	}
	closeWriter(t, w)
	st := w.Stats()
	if st.Dropped != 1 || st.Waited != 2 || st.Written != 4 || st.Enqueued != 4 {
		t.Errorf("stats = %+v, want 1 dropped, 2 waited, 4 written", st)
	}
}

func TestAddRejectsDetailThatIsNotJSON(t *testing.T) {
	w := NewWriter(&fakeStore{}, nil, Config{})
	defer closeWriter(t, w)
	e := open(1, 1)
	e.Detail = map[string]any{"f": func() {}}
	if err := w.Add(t.Context(), e); err == nil {
		t.Error("Add took a detail that cannot be JSON")
	}
}

func TestTooSoonAfterDeliveryIsMachine(t *testing.T) {
	delivered := time.Now().Add(-time.Minute)
	db := &fakeStore{doneAt: map[store.SendKey]time.Time{
		{CampaignID: 1, SubscriberID: 1}: delivered,
		{CampaignID: 1, SubscriberID: 2}: delivered,
	}}
	w := NewWriter(db, nil, Config{FlushInterval: time.Hour})
	early := open(1, 1)
	early.CreatedAt = delivered.Add(2 * time.Second)
	late := open(1, 2)
	late.CreatedAt = delivered.Add(30 * time.Second)
	unknown := open(1, 3) // no done_at: the verdict stays
	unknown.CreatedAt = time.Now()
	proxied := open(1, 1)
	proxied.CreatedAt = delivered.Add(time.Second)
	proxied.Detail = map[string]any{DetailAgent: "proxy: Gmail image proxy", DetailProxy: true}
	unsub := store.Event{CampaignID: 1, SubscriberID: 1, Kind: store.EventUnsubscribe,
		CreatedAt: delivered.Add(time.Second)}
	for _, e := range []store.Event{early, late, unknown, proxied, unsub} {
		if err := w.Add(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	closeWriter(t, w)

	got := db.events()
	want := []struct {
		machine bool
		agent   any
	}{
		{true, tracking.ReasonTooSoon},
		{false, nil},
		{false, nil},
		{false, "proxy: Gmail image proxy"},
		{false, nil},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events written, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Machine != w.machine || got[i].Detail[DetailAgent] != w.agent {
			t.Errorf("event %d (%s): machine %v, agent %v; want %v, %v", i, got[i].Kind,
				got[i].Machine, got[i].Detail[DetailAgent], w.machine, w.agent)
		}
	}
	if db.lookups != 1 {
		t.Errorf("%d done_at lookups for one batch, want 1", db.lookups)
	}
}

func TestDeliveryLookupFailureStillWrites(t *testing.T) {
	db := &fakeStore{lookErr: errors.New("timeout")}
	w := NewWriter(db, nil, Config{FlushInterval: time.Hour})
	if err := w.Add(t.Context(), open(1, 1)); err != nil {
		t.Fatal(err)
	}
	closeWriter(t, w)
	if got := db.events(); len(got) != 1 || got[0].Machine {
		t.Errorf("events = %+v, want the one open, as a person's", got)
	}
}
