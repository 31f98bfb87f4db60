package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
	"github.com/pacer-email/pacer/internal/webhook"
	"github.com/pacer-email/pacer/workflows"
)

// fastWebhookRetries stands for the production policy (5 s doubling to
// 30 min for 24 h) at test speed.
var fastWebhookRetries = workflows.WebhookOptions{
	AttemptTimeout: 10 * time.Second, InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2,
	MaximumInterval: time.Second, ScheduleToClose: 2 * time.Minute,
}

// webhookStack is a Stack with the webhooks role: a worker on its own
// queue and a dispatcher polling every 100 ms.
type webhookStack struct {
	*stacktest.Stack
	Dispatcher *webhook.Dispatcher
}

// newWebhookStack starts the stack. allowPrivate applies to the API and
// to the delivery client alike; the receivers of these tests live on
// 127.0.0.1, so most tests need it.
func newWebhookStack(t *testing.T, opts workflows.WebhookOptions, allowPrivate bool) *webhookStack {
	t.Helper()
	return newWebhookStackWith(t, opts, allowPrivate, nil)
}

// newWebhookStackWith is newWebhookStack with configure, when not nil,
// called on the dispatcher before it starts.
func newWebhookStackWith(t *testing.T, opts workflows.WebhookOptions, allowPrivate bool,
	configure func(*webhook.Dispatcher)) *webhookStack {
	t.Helper()
	s := stacktest.New(t)
	s.Server.AllowPrivateWebhooks = allowPrivate
	ctx := context.Background()
	// Delivery ids name workflows; start them apart from other tests' in
	// the shared Temporal namespace.
	_, err := s.DB.Pool().Exec(ctx, fmt.Sprintf("ALTER SEQUENCE webhook_deliveries_id_seq RESTART WITH %d",
		1_000_000+rand.IntN(1_000_000_000)))
	if err != nil {
		t.Fatal(err)
	}
	tc := s.Server.Temporal
	queue := testenv.TaskQueue(t, "webhooks")
	acts := &activities.Activities{DB: s.DB, Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
		Webhooks: webhook.NewClient(webhook.ClientConfig{AllowPrivate: allowPrivate, Timeout: 5 * time.Second})}
	// Eight pollers, as the worker's webhooks role has.
	w := worker.New(tc, queue, worker.Options{
		MaxConcurrentWorkflowTaskPollers: 8, MaxConcurrentActivityTaskPollers: 8,
	})
	w.RegisterWorkflowWithOptions(workflows.WebhookWorkflow,
		workflow.RegisterOptions{Name: workflows.WebhookWorkflowName})
	acts.RegisterWebhooks(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	d := &webhook.Dispatcher{DB: s.DB, Log: acts.Log, Client: acts.Webhooks, Interval: 100 * time.Millisecond,
		RoundTime: 5 * time.Second,
		Start: func(ctx context.Context, id int64, attempts int) error {
			return workflows.StartWebhook(ctx, tc, queue,
				workflows.WebhookInput{DeliveryID: id, Options: opts, Attempts: attempts})
		}}
	if configure != nil {
		configure(d)
	}
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(dctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	return &webhookStack{Stack: s, Dispatcher: d}
}

// createdWebhook is the answer to POST /api/webhooks.
type createdWebhook struct {
	ID         int64    `json:"id"`
	URL        string   `json:"url"`
	Secret     string   `json:"secret"`
	EventTypes []string `json:"event_types"`
	Enabled    bool     `json:"enabled"`
}

func (s *webhookStack) createWebhook(body map[string]any) createdWebhook {
	s.T.Helper()
	var ep createdWebhook
	s.Do("POST", "/api/webhooks", body, &ep)
	return ep
}

func (s *webhookStack) deliveries(endpointID int64, status string) []store.WebhookDelivery {
	s.T.Helper()
	var out []store.WebhookDelivery
	s.Do("GET", fmt.Sprintf("/api/webhooks/%d/deliveries?status=%s&limit=1000", endpointID, status), nil, &out)
	return out
}

// waitDeliveries polls until the endpoint has want deliveries, all in
// status, and returns them.
func (s *webhookStack) waitDeliveries(endpointID int64, status string, want int,
	timeout time.Duration) []store.WebhookDelivery {
	s.T.Helper()
	deadline := time.Now().Add(timeout)
	for {
		all := s.deliveries(endpointID, "")
		n := 0
		for _, d := range all {
			if d.Status == status {
				n++
			}
		}
		if n == want && len(all) == want {
			return all
		}
		if time.Now().After(deadline) {
			s.T.Fatalf("endpoint %d: %d of %d deliveries %s after %s, want %d: %s",
				endpointID, n, len(all), status, timeout, want, summarize(all))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func summarize(ds []store.WebhookDelivery) string {
	count := map[string]int{}
	last := ""
	for _, d := range ds {
		count[d.Status]++
		if d.LastError != "" {
			last = d.LastError
		}
	}
	return fmt.Sprintf("%v, a last error: %q", count, last)
}

// receiver is a webhook endpoint on 127.0.0.1. It checks the signature of
// every request and counts the 2xx answers it gave per event id.
type receiver struct {
	t      *testing.T
	URL    string
	secret atomic.Value // string
	answer atomic.Int64 // the status code to answer
	conns  atomic.Int64

	mu       sync.Mutex
	answered map[int]int    // status code -> requests
	ok       map[string]int // event id -> 2xx answers
	events   map[string]webhook.Event
	problems []string
}

func newReceiver(t *testing.T, status int) *receiver {
	return newReceiverAt(t, "127.0.0.1:0", status)
}

// newReceiverAt starts a receiver listening on addr.
func newReceiverAt(t *testing.T, addr string, status int) *receiver {
	t.Helper()
	r := &receiver{t: t, answered: map[int]int{}, ok: map[string]int{}, events: map[string]webhook.Event{}}
	r.answer.Store(int64(status))
	r.secret.Store("")
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: r}}
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			r.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *receiver) setSecret(s string) { r.secret.Store(s) }
func (r *receiver) setAnswer(code int) { r.answer.Store(int64(code)) }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var ev webhook.Event
	problem := ""
	err := webhook.Verify(r.secret.Load().(string), body, req.Header.Get(webhook.HeaderTimestamp),
		req.Header.Get(webhook.HeaderSignature), time.Now(), 5*time.Minute)
	switch {
	case err != nil:
		problem = fmt.Sprintf("signature of %s: %v", body, err)
	case json.Unmarshal(body, &ev) != nil:
		problem = fmt.Sprintf("body is not an event: %s", body)
	case ev.ID == "" || ev.ID != req.Header.Get(webhook.HeaderEventID):
		problem = fmt.Sprintf("body id %q, header id %q", ev.ID, req.Header.Get(webhook.HeaderEventID))
	case req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json":
		problem = fmt.Sprintf("%s with Content-Type %q", req.Method, req.Header.Get("Content-Type"))
	}
	code := int(r.answer.Load())
	r.mu.Lock()
	r.answered[code]++
	if problem != "" {
		r.problems = append(r.problems, problem)
	} else if code/100 == 2 {
		r.ok[ev.ID]++
		r.events[ev.ID] = ev
	}
	r.mu.Unlock()
	w.WriteHeader(code)
}

// snapshot returns copies of what the receiver counted.
func (r *receiver) snapshot() (answered map[int]int, ok map[string]int,
	events map[string]webhook.Event, problems []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.answered), maps.Clone(r.ok), maps.Clone(r.events), slices.Clone(r.problems)
}
