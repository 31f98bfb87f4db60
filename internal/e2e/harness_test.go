package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/apiclient"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
	"github.com/pacer-email/pacer/internal/watch"
	"github.com/pacer-email/pacer/server/api"
	"github.com/pacer-email/pacer/workflows"
)

// stack is pacer running in-process on the real services: PostgreSQL,
// the Temporal dev server, and the API over real HTTP.
type stack struct {
	t       *testing.T
	db      *store.DB
	api     *apiclient.Client
	opts    workflows.Options
	sendQ   string
	signer  *mailid.Signer
	workers []worker.Worker
	acts    *activities.Activities
}

type stackOption func(*workflows.Options)

func newStack(t *testing.T, opts ...stackOption) *stack {
	t.Helper()
	db := testenv.DB(t)
	tc := testenv.Temporal(t)
	ctx := context.Background()
	// Campaign ids name workflows; start them high and apart so tests that
	// share the Temporal namespace never reuse one.
	if _, err := db.Pool().Exec(ctx, fmt.Sprintf("ALTER SEQUENCE campaigns_id_seq RESTART WITH %d", 1_000_000+rand.IntN(1_000_000_000))); err != nil {
		t.Fatal(err)
	}
	signer, err := mailid.NewSigner([]byte("e2e-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, db: db, signer: signer, sendQ: testenv.TaskQueue(t, "send")}
	s.opts = workflows.DefaultOptions()
	s.opts.CampaignQueue = testenv.TaskQueue(t, "campaigns")
	s.opts.Retry.InitialInterval = 200 * time.Millisecond
	s.opts.Retry.MaximumInterval = time.Second
	s.opts.StaleClaimAge = 3 * time.Second
	for _, o := range opts {
		o(&s.opts)
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	s.acts = &activities.Activities{DB: db, Log: log, Signer: signer, Config: activities.Config{
		PublicURL: "http://127.0.0.1:1", BounceDomain: "bounces.example.org",
		CommandTimeout: 5 * time.Second, SubmissionTimeout: 5 * time.Second,
	}}
	t.Cleanup(s.acts.Close)
	s.startWorkers(tc)

	srv := &api.Server{DB: db, Temporal: tc, Log: log, Signer: signer, Options: s.opts}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	token, err := db.CreateAPIToken(ctx, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	s.api = apiclient.New(hs.URL, token)
	return s
}

func (s *stack) startWorkers(c client.Client) {
	cw := worker.New(c, s.opts.CampaignQueue, worker.Options{})
	cw.RegisterWorkflowWithOptions(workflows.CampaignWorkflow, workflow.RegisterOptions{Name: workflows.CampaignWorkflowName})
	cw.RegisterWorkflowWithOptions(workflows.SendBatchWorkflow, workflow.RegisterOptions{Name: workflows.BatchWorkflowName})
	s.acts.RegisterCampaign(cw)
	sw := worker.New(c, s.sendQ, worker.Options{MaxConcurrentActivityExecutionSize: 16})
	s.acts.RegisterSend(sw)
	for _, w := range []worker.Worker{cw, sw} {
		if err := w.Start(); err != nil {
			s.t.Fatal(err)
		}
		s.t.Cleanup(w.Stop)
	}
	s.workers = []worker.Worker{cw, sw}
}

func (s *stack) do(method, path string, body, out any) {
	s.t.Helper()
	if err := s.api.Do(context.Background(), method, path, body, out); err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// importList creates a list and imports the CSV text into it.
func (s *stack) importList(csv string) (int64, api.ImportReport) {
	s.t.Helper()
	var list struct {
		ID int64 `json:"id"`
	}
	s.do("POST", "/api/lists", map[string]any{"name": "list " + testenv.RandomSuffix()}, &list)
	var rep api.ImportReport
	err := s.api.DoRaw(context.Background(), "POST", fmt.Sprintf("/api/lists/%d/import", list.ID), "text/csv",
		strings.NewReader(csv), &rep)
	if err != nil {
		s.t.Fatalf("import: %v", err)
	}
	return list.ID, rep
}

// addServer registers an SMTP server on this test's send queue.
func (s *stack) addServer(port int, rate float64, conns int) int64 {
	s.t.Helper()
	var srv struct {
		ID int64 `json:"id"`
	}
	s.do("POST", "/api/servers", map[string]any{"name": "smtp " + testenv.RandomSuffix(), "host": "127.0.0.1",
		"port": port, "rate_per_second": rate, "max_connections": conns, "task_queue": s.sendQ}, &srv)
	return srv.ID
}

func (s *stack) createCampaign(listID int64, serverIDs []int64, batchSize int) int64 {
	s.t.Helper()
	var c struct {
		ID int64 `json:"id"`
	}
	s.do("POST", "/api/campaigns", map[string]any{
		"name": "test", "subject": "Hello {{ .Subscriber.Name }}", "from_email": "news@example.org",
		"html_body": "<p>Hi {{ .Subscriber.Name }} from {{ .Subscriber.Attribs.city }}</p><a href=\"https://example.com/a?b=1\">link</a>",
		"text_body": "Hi {{ .Subscriber.Name }} from {{ .Subscriber.Attribs.city }}",
		"list_ids":  []int64{listID}, "server_ids": serverIDs, "batch_size": batchSize,
	}, &c)
	return c.ID
}

func (s *stack) send(id int64) {
	s.t.Helper()
	s.do("POST", fmt.Sprintf("/api/campaigns/%d/send", id), nil, nil)
}

func (s *stack) campaign(id int64) watch.Campaign {
	s.t.Helper()
	var c watch.Campaign
	s.do("GET", fmt.Sprintf("/api/campaigns/%d", id), nil, &c)
	return c
}

// waitStatus polls until the campaign has status or the timeout passes.
func (s *stack) waitStatus(id int64, status string, timeout time.Duration) watch.Campaign {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var c watch.Campaign
	for time.Now().Before(deadline) {
		c = s.campaign(id)
		if c.Status == status {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("campaign %d is %s (%s) after %s, want %s; counts %+v", id, c.Status, c.StatusReason, timeout, status, c.Counts)
	return c
}

// subscribersCSV returns a CSV of n people at domain.
func subscribersCSV(n int, domain string) string {
	var b bytes.Buffer
	b.WriteString("email,name,city\n")
	for i := range n {
		fmt.Fprintf(&b, "user%d@%s,User %d,City%d\n", i, domain, i, i%7)
	}
	return b.String()
}

// sumCounts adds every terminal count, which must equal the total.
func sumCounts(c watch.Counts) int64 {
	return c.Delivered + c.SoftBounced + c.HardBounced + c.Failed + c.Uncertain + c.Skipped + c.Cancelled
}
