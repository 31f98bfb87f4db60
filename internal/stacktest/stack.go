// Package stacktest runs pacer in-process on the real services `make test`
// starts (PostgreSQL, the Temporal dev server) with its API on real HTTP,
// for end-to-end tests of every package.
package stacktest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/apiclient"
	"github.com/pacer-email/pacer/internal/events"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
	"github.com/pacer-email/pacer/internal/watch"
	"github.com/pacer-email/pacer/server/api"
	"github.com/pacer-email/pacer/workflows"
)

// Stack is pacer running in-process on the real services: PostgreSQL,
// the Temporal dev server, and the API over real HTTP.
type Stack struct {
	T         *testing.T
	DB        *store.DB
	API       *apiclient.Client
	URL       string
	Options   workflows.Options
	SendQueue string
	Signer    *mailid.Signer
	Workers   []worker.Worker
	Acts      *activities.Activities
	Server    *api.Server
	// Events is the server's event writer; Flush it before reading events.
	Events *events.Writer
	// PublicURL is the base of the tracking and unsubscribe links in sent
	// messages: the same API served over HTTPS, as in production, so that
	// messages carry List-Unsubscribe-Post. Public trusts its certificate.
	PublicURL string
	Public    *http.Client
}

// Option changes the workflow options of a Stack.
type Option func(*workflows.Options)

// New starts workers and the API for this test.
func New(t *testing.T, opts ...Option) *Stack {
	t.Helper()
	gin.SetMode(gin.ReleaseMode) // no route dump per test
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
	s := &Stack{T: t, DB: db, Signer: signer, SendQueue: testenv.TaskQueue(t, "send")}
	s.Options = workflows.DefaultOptions()
	s.Options.CampaignQueue = testenv.TaskQueue(t, "campaigns")
	s.Options.Retry.InitialInterval = 200 * time.Millisecond
	s.Options.Retry.MaximumInterval = time.Second
	s.Options.StaleClaimAge = 3 * time.Second
	for _, o := range opts {
		o(&s.Options)
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	s.Acts = &activities.Activities{DB: db, Log: log, Signer: signer, Config: activities.Config{
		PublicURL: "http://127.0.0.1:1", BounceDomain: "bounces.example.org",
		CommandTimeout: 5 * time.Second, SubmissionTimeout: 5 * time.Second,
	}}
	t.Cleanup(s.Acts.Close)

	s.Events = events.NewWriter(db, log, events.Config{FlushInterval: 50 * time.Millisecond})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Events.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	s.Server = &api.Server{DB: db, Temporal: tc, Log: log, Signer: signer, Options: s.Options, Events: s.Events}
	handler := s.Server.Handler()
	hs := httptest.NewServer(handler)
	s.URL = hs.URL
	t.Cleanup(hs.Close)
	public := httptest.NewTLSServer(handler)
	t.Cleanup(public.Close)
	s.PublicURL, s.Public = public.URL, public.Client()
	s.Acts.Config.PublicURL = public.URL // before the workers start, so before any send
	s.startWorkers(tc)
	token, err := db.CreateAPIToken(ctx, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	s.API = apiclient.New(hs.URL, token)
	return s
}

func (s *Stack) startWorkers(c client.Client) {
	cw := worker.New(c, s.Options.CampaignQueue, worker.Options{})
	cw.RegisterWorkflowWithOptions(workflows.CampaignWorkflow, workflow.RegisterOptions{Name: workflows.CampaignWorkflowName})
	cw.RegisterWorkflowWithOptions(workflows.SendBatchWorkflow, workflow.RegisterOptions{Name: workflows.BatchWorkflowName})
	cw.RegisterWorkflowWithOptions(workflows.TestMessageWorkflow, workflow.RegisterOptions{Name: workflows.TestMessageWorkflowName})
	s.Acts.RegisterCampaign(cw)
	sw := worker.New(c, s.SendQueue, worker.Options{MaxConcurrentActivityExecutionSize: 16})
	s.Acts.RegisterSend(sw)
	for _, w := range []worker.Worker{cw, sw} {
		if err := w.Start(); err != nil {
			s.T.Fatal(err)
		}
		s.T.Cleanup(w.Stop)
	}
	s.Workers = []worker.Worker{cw, sw}
}

// StartSendWorker starts one more send worker on queue that runs the
// activities of acts, as another worker process would. It stops the worker
// and closes the connections of acts when the test ends. Give acts their
// own InstanceID. s.Acts keeps serving s.SendQueue.
func (s *Stack) StartSendWorker(queue string, acts *activities.Activities) {
	s.T.Helper()
	tc := testenv.Temporal(s.T)
	w := worker.New(tc, queue, worker.Options{MaxConcurrentActivityExecutionSize: 16})
	acts.RegisterSend(w)
	if err := w.Start(); err != nil {
		s.T.Fatal(err)
	}
	s.T.Cleanup(acts.Close)
	s.T.Cleanup(w.Stop)
	s.Workers = append(s.Workers, w)
}

// Do calls the API and fails the test on an error.
func (s *Stack) Do(method, path string, body, out any) {
	s.T.Helper()
	if err := s.API.Do(context.Background(), method, path, body, out); err != nil {
		s.T.Fatalf("%s %s: %v", method, path, err)
	}
}

// ImportList creates a list and imports the CSV text into it.
func (s *Stack) ImportList(csv string) (int64, api.ImportReport) {
	s.T.Helper()
	var list struct {
		ID int64 `json:"id"`
	}
	s.Do("POST", "/api/lists", map[string]any{"name": "list " + testenv.RandomSuffix()}, &list)
	var rep api.ImportReport
	err := s.API.DoRaw(context.Background(), "POST", fmt.Sprintf("/api/lists/%d/import", list.ID), "text/csv",
		strings.NewReader(csv), &rep)
	if err != nil {
		s.T.Fatalf("import: %v", err)
	}
	return list.ID, rep
}

// AddServer registers an SMTP server on this test's send queue.
func (s *Stack) AddServer(port int, rate float64, conns int) int64 {
	s.T.Helper()
	var srv struct {
		ID int64 `json:"id"`
	}
	s.Do("POST", "/api/servers", map[string]any{"name": "smtp " + testenv.RandomSuffix(), "host": "127.0.0.1",
		"port": port, "rate_per_second": rate, "max_connections": conns, "task_queue": s.SendQueue}, &srv)
	return srv.ID
}

// CreateCampaign creates a personalised campaign to one list.
func (s *Stack) CreateCampaign(listID int64, serverIDs []int64, batchSize int) int64 {
	s.T.Helper()
	var c struct {
		ID int64 `json:"id"`
	}
	s.Do("POST", "/api/campaigns", map[string]any{
		"name": "test", "subject": "Hello {{ .Subscriber.Name }}", "from_email": "news@example.org",
		"html_body": "<p>Hi {{ .Subscriber.Name }} from {{ .Subscriber.Attribs.city }}</p><a href=\"https://example.com/a?b=1\">link</a>",
		"text_body": "Hi {{ .Subscriber.Name }} from {{ .Subscriber.Attribs.city }}",
		"list_ids":  []int64{listID}, "server_ids": serverIDs, "batch_size": batchSize,
	}, &c)
	return c.ID
}

// Send sends a campaign.
func (s *Stack) Send(id int64) {
	s.T.Helper()
	s.Do("POST", fmt.Sprintf("/api/campaigns/%d/send", id), nil, nil)
}

// Campaign reads a campaign with its counts.
func (s *Stack) Campaign(id int64) watch.Campaign {
	s.T.Helper()
	var c watch.Campaign
	s.Do("GET", fmt.Sprintf("/api/campaigns/%d", id), nil, &c)
	return c
}

// WaitStatus polls until the campaign has status, failing the test after timeout.
func (s *Stack) WaitStatus(id int64, status string, timeout time.Duration) watch.Campaign {
	s.T.Helper()
	deadline := time.Now().Add(timeout)
	var c watch.Campaign
	for time.Now().Before(deadline) {
		c = s.Campaign(id)
		if c.Status == status {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.T.Fatalf("campaign %d is %s (%s) after %s, want %s; counts %+v", id, c.Status, c.StatusReason, timeout, status, c.Counts)
	return c
}

// SubscribersCSV returns a CSV of n people at domain.
func SubscribersCSV(n int, domain string) string {
	var b bytes.Buffer
	b.WriteString("email,name,city\n")
	for i := range n {
		fmt.Fprintf(&b, "user%d@%s,User %d,City%d\n", i, domain, i, i%7)
	}
	return b.String()
}

// SumCounts adds every terminal count, which must equal the total.
func SumCounts(c watch.Counts) int64 {
	return c.Delivered + c.SoftBounced + c.HardBounced + c.Failed + c.Uncertain + c.Skipped + c.Cancelled
}
