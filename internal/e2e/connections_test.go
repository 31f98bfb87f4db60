package e2e

import (
	"bytes"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/smtpreply"
	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/testenv"
)

// sessionCounter is a listener that tracks how many SMTP connections are
// open at once. A connection stops counting when the server reads its QUIT
// or it closes. The server reads QUIT before the client gets the 221 reply
// and gives the slot back to its pool, so the count does not run ahead of
// the connections the clients hold. A connection closed without QUIT (a
// broken one) stops counting only when the server reads EOF, which can lag
// the client by a moment, but healthy runs break none.
type sessionCounter struct {
	net.Listener
	mu     sync.Mutex
	active int
	peak   int
}

func (l *sessionCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.active++
	l.peak = max(l.peak, l.active)
	l.mu.Unlock()
	return &countedConn{Conn: c, l: l}, nil
}

func (l *sessionCounter) Peak() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak
}

type countedConn struct {
	net.Conn
	l    *sessionCounter
	once sync.Once
}

// Read ends the count at QUIT. The client sends QUIT in one write of its
// own, so one read returns the whole line, and no message body in this
// test contains that line.
func (c *countedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil || bytes.Contains(b[:n], []byte("QUIT\r\n")) {
		c.end()
	}
	return n, err
}

func (c *countedConn) Close() error {
	c.end()
	return c.Conn.Close()
}

func (c *countedConn) end() {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.active--
		c.l.mu.Unlock()
	})
}

// countingSMTPServer serves sink's backend on a listener that counts
// concurrent connections, and returns the listener and its port.
func countingSMTPServer(t *testing.T, sink *testenv.SMTPServer) (*sessionCounter, int) {
	t.Helper()
	var counter *sessionCounter
	l := testenv.ServeSMTP(t, sink, func(l net.Listener) net.Listener {
		counter = &sessionCounter{Listener: l}
		return counter
	})
	return counter, l.Addr().(*net.TCPAddr).Port
}

// sendCounter counts one worker's delivered messages.
type sendCounter struct{ delivered atomic.Int64 }

func (m *sendCounter) ObserveSend(_, outcome string) {
	if outcome == smtpreply.Delivered.String() {
		m.delivered.Add(1)
	}
}

func (m *sendCounter) ObserveActivity(string) {}

// TestMaxConnectionsAcrossWorkers sends one campaign through a server with
// max_connections 4 from two worker instances on the same task queue. The
// server must never have more than 4 connections open at once, and every
// recipient must get exactly one message.
func TestMaxConnectionsAcrossWorkers(t *testing.T) {
	const recipients, maxConns = 600, 4
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	// A slow final dot keeps connections busy, so batches running at once
	// on both workers all want a connection.
	sink.DataDelay = 20 * time.Millisecond
	counter, port := countingSMTPServer(t, sink)

	queue := testenv.TaskQueue(t, "send-shared")
	instances := []string{"worker-a-" + testenv.RandomSuffix(), "worker-b-" + testenv.RandomSuffix()}
	heartbeat(t, s, instances, queue)
	counts := make([]*sendCounter, len(instances))
	for i, id := range instances {
		counts[i] = &sendCounter{}
		s.StartSendWorker(queue, &activities.Activities{DB: s.DB, Signer: s.Signer, Config: s.Acts.Config,
			Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), InstanceID: id, Metrics: counts[i]})
	}

	listID, _ := s.ImportList(stacktest.SubscribersCSV(recipients, "conns.example.com"))
	var srv struct {
		ID int64 `json:"id"`
	}
	s.Do("POST", "/api/servers", map[string]any{"name": "shared " + testenv.RandomSuffix(), "host": "127.0.0.1",
		"port": port, "max_connections": maxConns, "task_queue": queue}, &srv)
	id := s.CreateCampaign(listID, []int64{srv.ID}, 50)
	s.Send(id)
	c := s.WaitStatus(id, "Done", 2*time.Minute)

	if peak := counter.Peak(); peak > maxConns {
		t.Errorf("server saw %d connections at once, above max_connections %d", peak, maxConns)
	} else if peak <= maxConns/2 {
		t.Errorf("server saw at most %d connections at once, so the two workers never sent together", peak)
	}
	for i, m := range counts {
		if m.delivered.Load() == 0 {
			t.Errorf("worker %s delivered nothing, so the test ran on one worker", instances[i])
		}
	}
	if c.Counts.Delivered != recipients {
		t.Errorf("counts = %+v, want %d delivered", c.Counts, recipients)
	}
	if got := assertOncePerRecipient(t, sink); got != recipients {
		t.Errorf("%d recipients got mail, want %d", got, recipients)
	}
	t.Logf("peak connections %d; delivered by worker: %d and %d", counter.Peak(),
		counts[0].delivered.Load(), counts[1].delivered.Load())
}

// heartbeat records the instances as live workers of queue now and every
// 2 s until the test ends, as the worker command does every 5 s.
func heartbeat(t *testing.T, s *stacktest.Stack, instances []string, queue string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	beat := func() error {
		for _, id := range instances {
			if err := s.DB.WorkerSeen(ctx, id, "e2e", 1, []string{queue}); err != nil {
				return err
			}
		}
		return nil
	}
	if err := beat(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := beat(); err != nil && ctx.Err() == nil {
					t.Errorf("worker heartbeat failed: %v", err)
					return
				}
			}
		}
	}()
}
