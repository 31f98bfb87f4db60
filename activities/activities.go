// Package activities holds every side effect of pacer's workflows: reading
// and writing PostgreSQL, rendering messages and talking SMTP. The worker
// registers one *Activities value; its methods are the activities.
package activities

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/pacing"
	"github.com/pacer-email/pacer/internal/smtpsend"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/webhook"
)

// Application error types. The workflows' retry policies name them.
const (
	ErrTypeServerUnavailable = "ServerUnavailable"
	ErrTypeInvalidCampaign   = "InvalidCampaign"
	ErrTypeSMTPTransient     = "SMTPTransient"
	ErrTypeSMTPPermanent     = "SMTPPermanent"
)

// Config is what activities need beyond the database.
type Config struct {
	// PublicURL is the base of tracking and unsubscribe links, for example
	// "http://127.0.0.1:8080".
	PublicURL string
	// BounceDomain is the domain of VERP return paths and of the
	// unsubscribe mailto address.
	BounceDomain string
	// CommandTimeout and SubmissionTimeout bound SMTP commands and the wait
	// for the reply to the final dot.
	CommandTimeout    time.Duration
	SubmissionTimeout time.Duration
	// Bounces are the thresholds of the bounce processor; zero fields take
	// the defaults of DefaultBouncePolicy.
	Bounces BouncePolicy
	// InsecureSkipVerify disables TLS certificate checks of sending servers.
	InsecureSkipVerify bool
	// Reputation says when a sending campaign is paused for its complaint
	// or hard-bounce rate.
	Reputation ReputationLimits
}

// Activities carries the dependencies of every activity.
type Activities struct {
	DB     *store.DB
	Log    *zap.Logger
	Signer *mailid.Signer
	Config Config
	// Metrics receives send outcomes; nil disables them.
	Metrics Metrics
	// Webhooks posts webhook deliveries; only the webhooks role needs it.
	Webhooks *webhook.Client
	// InstanceID is the id this worker process records its heartbeat under
	// (store.DB.WorkerSeen). Each server's max_connections is split among
	// the live workers of its task queue by this id. Empty means a single
	// worker that opens up to the whole max_connections.
	InstanceID string

	// reputationChecks holds, per campaign id, when this worker last ran the
	// reputation guard's count.
	reputationChecks sync.Map

	mu        sync.Mutex
	servers   map[int64]*serverState
	campaigns map[int64]*campaignState
}

// Metrics is the part of the metrics registry activities report to.
type Metrics interface {
	ObserveSend(server, outcome string)
	ObserveActivity(name string)
}

// observeActivity counts one execution of the named activity.
func (a *Activities) observeActivity(name string) {
	if a.Metrics != nil {
		a.Metrics.ObserveActivity(name)
	}
}

// serverState is a worker's connection pool and limiter of one server.
type serverState struct {
	srv     store.Server
	pool    *smtpsend.Pool
	limiter *pacing.Limiter
	loaded  time.Time
	// workers is the live worker count of the last share computation.
	workers int
}

// serverReload is the interval at which a server's settings and this
// worker's share of its connections are read again. The pool is rebuilt
// only when its connection settings change. A new share sets its limit.
const serverReload = 5 * time.Second

// workerMaxAge is the max age of the heartbeat of a worker that counts in
// the split of max_connections. Workers write one every 5 s.
const workerMaxAge = 15 * time.Second

func (a *Activities) server(ctx context.Context, id int64) (*serverState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.servers == nil {
		a.servers = map[int64]*serverState{}
	}
	st := a.servers[id]
	if st != nil && time.Since(st.loaded) < serverReload {
		return st, nil
	}
	srv, err := a.DB.GetServer(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load sending server %d: %w", id, err)
	}
	share, workers, err := a.connectionShare(ctx, srv)
	if err != nil {
		return nil, err
	}
	if st == nil || st.workers != workers || st.srv.MaxConnections != srv.MaxConnections {
		a.logShare(srv, share, workers)
	}
	if st != nil && sameConnection(st.srv, srv) {
		st.srv, st.loaded, st.workers = srv, time.Now(), workers
		// A smaller share applies within one message per connection: the
		// send loop gives a connection back while the pool is over its
		// limit. NOTE: a batch run starts its connection loops once, so a
		// larger share is used only by batch runs started later.
		if err := st.pool.SetLimit(share); err != nil {
			return nil, err
		}
		return st, nil
	}
	if st != nil {
		st.pool.Close()
	}
	st = &serverState{
		srv: srv,
		pool: smtpsend.NewPool(smtpsend.Config{
			Host: srv.Host, Port: srv.Port, Username: srv.Username, Password: srv.Password,
			TLS: srv.TLS, HeloName: srv.HeloName, MaxConnections: share,
			CommandTimeout: a.Config.CommandTimeout, SubmissionTimeout: a.Config.SubmissionTimeout,
			InsecureSkipVerify: a.Config.InsecureSkipVerify,
		}),
		limiter: pacing.NewLimiter(a.DB, id),
		loaded:  time.Now(),
		workers: workers,
	}
	a.servers[id] = st
	return st, nil
}

// connectionShare returns how many of srv's connections this worker may
// open and how many live workers poll srv's task queue.
func (a *Activities) connectionShare(ctx context.Context, srv store.Server) (share, workers int, err error) {
	if a.InstanceID == "" {
		return shareOf(srv.MaxConnections, 0, 1), 1, nil
	}
	rank, workers, err := a.DB.WorkerRank(ctx, a.InstanceID, srv.TaskQueue, workerMaxAge)
	if err != nil {
		return 0, 0, fmt.Errorf("split the connections of sending server %d: %w", srv.ID, err)
	}
	return shareOf(srv.MaxConnections, rank, workers), workers, nil
}

// shareOf splits maxConns among workers: the worker at rank (0-based) gets
// maxConns/workers, plus one if rank < maxConns%workers, and at least 1.
//
// NOTE: with more workers than maxConns every worker still gets 1, so the
// server can see up to workers connections, more than maxConns. A lower
// share would leave a batch that reached such a worker unable to send.
func shareOf(maxConns, rank, workers int) int {
	if workers < 1 {
		workers = 1
	}
	share := maxConns / workers
	if rank < maxConns%workers {
		share++
	}
	return max(share, 1)
}

// logShare logs this worker's new share of srv's connections, as a warning
// when the live workers outnumber the connections.
func (a *Activities) logShare(srv store.Server, share, workers int) {
	if a.Log == nil {
		return
	}
	fields := []zap.Field{zap.Int64("server_id", srv.ID), zap.String("server", srv.Name),
		zap.String("task_queue", srv.TaskQueue), zap.Int("max_connections", srv.MaxConnections),
		zap.Int("workers", workers), zap.Int("share", share)}
	if workers > srv.MaxConnections {
		a.Log.Warn("live workers outnumber the server's max_connections and each opens 1 connection, "+
			"so the server can see more: raise max_connections or run fewer workers on the task queue", fields...)
		return
	}
	a.Log.Info("connection share of the sending server set", fields...)
}

func sameConnection(a, b store.Server) bool {
	return a.Host == b.Host && a.Port == b.Port && a.Username == b.Username &&
		a.Password == b.Password && a.TLS == b.TLS && a.HeloName == b.HeloName
}

// Close closes every pooled SMTP connection.
func (a *Activities) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, st := range a.servers {
		st.pool.Close()
	}
}

// recordEvent stores one event; a failure is logged, never returned, since
// an event is evidence, not part of the send.
func (a *Activities) recordEvent(ctx context.Context, e store.Event) {
	if err := a.DB.AddEvents(ctx, []store.Event{e}); err != nil {
		a.Log.Error("recording event failed", zap.String("kind", e.Kind),
			zap.Int64("campaign_id", e.CampaignID), zap.Error(err))
	}
}

// Registry is the part of a Temporal worker (or test environment) that
// registers activities.
type Registry interface {
	RegisterActivity(a any)
}

// RegisterCampaign registers the bookkeeping activities of the campaign
// task queue.
func (a *Activities) RegisterCampaign(r Registry) {
	r.RegisterActivity(a.PrepareCampaign)
	r.RegisterActivity(a.SetStatus)
	r.RegisterActivity(a.QueueRecipients)
	r.RegisterActivity(a.FinishCampaign)
}

// RegisterSend registers the activities of a send task queue.
func (a *Activities) RegisterSend(r Registry) {
	r.RegisterActivity(a.SendEmails)
	r.RegisterActivity(a.SendEmail)
	r.RegisterActivity(a.SendTestMessages)
}

// RegisterWebhooks registers the activities of the webhook task queue.
func (a *Activities) RegisterWebhooks(r Registry) {
	r.RegisterActivity(a.DeliverWebhook)
	r.RegisterActivity(a.FailWebhook)
}

// RegisterBounces registers the activities of the bounce task queue.
func (a *Activities) RegisterBounces(r Registry) {
	r.RegisterActivity(a.ProcessInbound)
}
