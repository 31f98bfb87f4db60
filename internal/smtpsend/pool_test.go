package smtpsend

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/testenv"
)

func newTestPool(t *testing.T, limit int) (*Pool, *testenv.SMTPServer) {
	t.Helper()
	sink := testenv.NewSMTPServer(t, nil)
	p := NewPool(Config{Host: "127.0.0.1", Port: sink.Port, MaxConnections: limit,
		CommandTimeout: 2 * time.Second, SubmissionTimeout: 2 * time.Second})
	t.Cleanup(p.Close)
	return p, sink
}

// counts returns the pool's connections in use and idle.
func counts(p *Pool) (inUse, idle int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inUse, len(p.idle)
}

func mustGet(t *testing.T, p *Pool) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := p.Get(ctx)
	if err != nil {
		t.Fatalf("get a connection: %v", err)
	}
	return c
}

// assertGetBlocks checks that Get waits while the pool is at its limit.
func assertGetBlocks(t *testing.T, p *Pool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	c, err := p.Get(ctx)
	if err == nil {
		p.Put(c)
		t.Fatalf("Get returned a connection beyond the limit of %d", p.Limit())
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get at the limit failed with %v, want context.DeadlineExceeded", err)
	}
}

// getAsync starts a Get and returns the channel its result arrives on.
func getAsync(p *Pool) <-chan *Conn {
	out := make(chan *Conn, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _ := p.Get(ctx)
		out <- c
	}()
	return out
}

func receive(t *testing.T, got <-chan *Conn) *Conn {
	t.Helper()
	select {
	case c := <-got:
		if c == nil {
			t.Fatal("waiting Get failed")
		}
		return c
	case <-time.After(3 * time.Second):
		t.Fatal("waiting Get was not woken within 3 s")
		return nil
	}
}

func TestPoolSetLimitGrow(t *testing.T) {
	p, _ := newTestPool(t, 1)
	first := mustGet(t, p)
	assertGetBlocks(t, p)
	if err := p.SetLimit(3); err != nil {
		t.Fatal(err)
	}
	if got := p.Limit(); got != 3 {
		t.Errorf("Limit() = %d after SetLimit(3)", got)
	}
	second, third := mustGet(t, p), mustGet(t, p)
	assertGetBlocks(t, p)
	for _, c := range []*Conn{first, second, third} {
		p.Put(c)
	}
	if inUse, idle := counts(p); inUse != 0 || idle != 3 {
		t.Errorf("after putting 3 back: %d in use, %d idle, want 0 and 3", inUse, idle)
	}
}

func TestPoolShrinkKeepsConnsInUse(t *testing.T) {
	p, sink := newTestPool(t, 3)
	conns := []*Conn{mustGet(t, p), mustGet(t, p), mustGet(t, p)}
	if err := p.SetLimit(1); err != nil {
		t.Fatal(err)
	}
	if inUse, idle := counts(p); inUse != 3 || idle != 0 {
		t.Fatalf("shrinking closed connections in use: %d in use, %d idle, want 3 and 0", inUse, idle)
	}
	for i, c := range conns {
		res := c.Send("from@example.org", "to@example.com", []byte("Subject: x\r\n\r\nbody\r\n"), noClaim)
		if res.Err != nil {
			t.Errorf("connection %d in use failed to send after the limit shrank: %v", i, res.Err)
		}
	}
	if n := len(sink.Messages()); n != 3 {
		t.Errorf("server received %d messages, want 3", n)
	}

	p.Put(conns[0])
	if inUse, idle := counts(p); inUse != 2 || idle != 0 {
		t.Errorf("put above the limit kept the connection: %d in use, %d idle, want 2 and 0", inUse, idle)
	}
	p.Put(conns[1])
	if inUse, idle := counts(p); inUse != 1 || idle != 0 {
		t.Errorf("put at the limit kept the connection: %d in use, %d idle, want 1 and 0", inUse, idle)
	}
	assertGetBlocks(t, p)
	p.Put(conns[2])
	if inUse, idle := counts(p); inUse != 0 || idle != 1 {
		t.Errorf("last put: %d in use, %d idle, want 0 and 1", inUse, idle)
	}
	if c := mustGet(t, p); c != conns[2] {
		t.Error("Get dialed a new connection instead of reusing the idle one")
	}
}

func TestPoolShrinkClosesIdle(t *testing.T) {
	p, _ := newTestPool(t, 3)
	conns := []*Conn{mustGet(t, p), mustGet(t, p), mustGet(t, p)}
	for _, c := range conns {
		p.Put(c)
	}
	if err := p.SetLimit(1); err != nil {
		t.Fatal(err)
	}
	if inUse, idle := counts(p); inUse != 0 || idle != 1 {
		t.Errorf("after shrinking to 1: %d in use, %d idle, want 0 and 1", inUse, idle)
	}
	c := mustGet(t, p)
	assertGetBlocks(t, p)
	p.Put(c)
}

func TestPoolGetWokenBySetLimit(t *testing.T) {
	p, _ := newTestPool(t, 1)
	held := mustGet(t, p)
	got := getAsync(p)
	time.Sleep(50 * time.Millisecond)
	if err := p.SetLimit(2); err != nil {
		t.Fatal(err)
	}
	c := receive(t, got)
	if c == held {
		t.Error("waiting Get returned the connection still in use")
	}
	p.Put(c)
	p.Put(held)
}

func TestPoolGetWokenByPut(t *testing.T) {
	p, _ := newTestPool(t, 1)
	held := mustGet(t, p)
	got := getAsync(p)
	time.Sleep(50 * time.Millisecond)
	p.Put(held)
	if c := receive(t, got); c != held {
		t.Error("waiting Get dialed a new connection instead of taking the one put back")
	}
}

func TestPoolGetCancelWhileWaiting(t *testing.T) {
	p, _ := newTestPool(t, 1)
	held := mustGet(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() {
		_, err := p.Get(ctx)
		errs <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-errs:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Get returned %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Get ignored the cancelled context")
	}
	if inUse, _ := counts(p); inUse != 1 {
		t.Errorf("%d connections in use after a cancelled Get, want 1", inUse)
	}
	p.Put(held)
}

func TestPoolSetLimitRejectsZero(t *testing.T) {
	p, _ := newTestPool(t, 2)
	if err := p.SetLimit(0); err == nil {
		t.Error("SetLimit(0) succeeded, want an error")
	}
	if got := p.Limit(); got != 2 {
		t.Errorf("Limit() = %d after a rejected SetLimit, want 2", got)
	}
}

func TestPoolPutClosesBrokenAndWornOut(t *testing.T) {
	p, _ := newTestPool(t, 2)
	broken, worn := mustGet(t, p), mustGet(t, p)
	broken.broken = true
	worn.sent = p.cfg.MaxMessagesPerConn
	p.Put(broken)
	p.Put(worn)
	if inUse, idle := counts(p); inUse != 0 || idle != 0 {
		t.Errorf("after putting a broken and a worn-out connection: %d in use, %d idle, want 0 and 0", inUse, idle)
	}
	mustGet(t, p)
	mustGet(t, p)
	assertGetBlocks(t, p)
}

func TestPoolDialFailureFreesSlot(t *testing.T) {
	p := NewPool(Config{Host: "127.0.0.1", Port: 1, MaxConnections: 1, CommandTimeout: time.Second})
	for range 2 {
		if _, err := p.Get(context.Background()); !errors.Is(err, ErrConnect) {
			t.Fatalf("Get from a closed port returned %v, want ErrConnect", err)
		}
	}
	if inUse, _ := counts(p); inUse != 0 {
		t.Errorf("%d connections in use after failed dials, want 0", inUse)
	}
}

func TestPoolOverAfterShrink(t *testing.T) {
	p, _ := newTestPool(t, 2)
	a, b := mustGet(t, p), mustGet(t, p)
	if p.Over() {
		t.Fatal("two connections in use at a limit of 2 reported over the limit")
	}
	if err := p.SetLimit(1); err != nil {
		t.Fatal(err)
	}
	if !p.Over() {
		t.Fatal("two connections in use at a limit of 1 not reported over the limit")
	}
	p.Put(a)
	if p.Over() {
		t.Fatal("one connection in use at a limit of 1 reported over the limit")
	}
	p.Put(b)
}

func TestPoolClosesIdleConnections(t *testing.T) {
	sink := testenv.NewSMTPServer(t, nil)
	p := NewPool(Config{Host: "127.0.0.1", Port: sink.Port, MaxConnections: 2,
		CommandTimeout: 2 * time.Second, SubmissionTimeout: 2 * time.Second, IdleTimeout: 100 * time.Millisecond})
	t.Cleanup(p.Close)
	a, b := mustGet(t, p), mustGet(t, p)
	p.Put(a)
	time.Sleep(60 * time.Millisecond)
	p.Put(b)
	if _, idle := counts(p); idle != 2 {
		t.Fatalf("%d idle connections right after Put, want 2", idle)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		inUse, idle := counts(p)
		if idle == 0 && inUse == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2 s: %d idle and %d in use, want both closed after the 100 ms idle timeout", idle, inUse)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A closed idle connection frees its slot: both can be opened again.
	p.Put(mustGet(t, p))
	p.Put(mustGet(t, p))
}
