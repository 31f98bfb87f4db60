package stacktest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pacer-email/pacer/internal/inbound"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
	"github.com/pacer-email/pacer/workflows"
)

// Bounces is the bounce processor of a Stack: its worker on a task queue of
// the test's own, the inbound SMTP server and the sweeper, wired as the
// worker binary wires them.
type Bounces struct {
	// Addr is the host:port of the inbound SMTP server.
	Addr   string
	Domain string
	Queue  string
	Server *inbound.Server
}

// StartBounces starts the bounce processor for the stack's bounce domain
// and stops it when the test ends. cfg may set limits of the SMTP server.
func (s *Stack) StartBounces(cfg inbound.Config) *Bounces {
	s.T.Helper()
	tc := testenv.Temporal(s.T)
	// Inbound ids name workflows too: start them apart from other tests'.
	_, err := s.DB.Pool().Exec(context.Background(),
		fmt.Sprintf("ALTER SEQUENCE inbound_messages_id_seq RESTART WITH %d", 1_000_000+rand.IntN(1_000_000_000)))
	if err != nil {
		s.T.Fatal(err)
	}
	b := &Bounces{Domain: s.Acts.Config.BounceDomain, Queue: testenv.TaskQueue(s.T, "bounces")}
	w := worker.New(tc, b.Queue, worker.Options{MaxConcurrentActivityExecutionSize: 8})
	w.RegisterWorkflowWithOptions(workflows.BounceWorkflow,
		workflow.RegisterOptions{Name: workflows.BounceWorkflowName})
	s.Acts.RegisterBounces(w)
	if err := w.Start(); err != nil {
		s.T.Fatal(err)
	}
	s.T.Cleanup(w.Stop)

	log := zaptest.NewLogger(s.T, zaptest.Level(zap.WarnLevel))
	start := func(ctx context.Context, id int64) error { return workflows.StartBounce(ctx, tc, b.Queue, id) }
	cfg.Domain = b.Domain
	srv, err := inbound.NewServer(cfg, s.DB, start, log)
	if err != nil {
		s.T.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.T.Fatal(err)
	}
	b.Addr, b.Server = l.Addr().String(), srv
	go srv.Serve(l) //nolint:errcheck
	s.T.Cleanup(func() { _ = srv.Close() })

	ctx, cancel := context.WithCancel(context.Background())
	sweeper := &inbound.Sweeper{DB: s.DB, Start: start, Log: log, Interval: 200 * time.Millisecond}
	go sweeper.Run(ctx)
	s.T.Cleanup(cancel)
	return b
}

// WaitInbound polls until the newest inbound message is no longer received,
// and returns it; it fails the test after timeout.
func (s *Stack) WaitInbound(timeout time.Duration) store.InboundMessage {
	s.T.Helper()
	deadline := time.Now().Add(timeout)
	var last store.InboundMessage
	for time.Now().Before(deadline) {
		rows, err := s.DB.ListInbound(context.Background(), store.InboundFilter{Limit: 1})
		if err != nil {
			s.T.Fatal(err)
		}
		if len(rows) == 1 {
			last = rows[0]
			if last.Status != store.InboundReceived {
				return last
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.T.Fatalf("no processed inbound message after %s; newest is %d (%s)", timeout, last.ID, last.Status)
	return last
}
