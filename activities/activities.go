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
}

// serverReload is how often a server's settings are read again; the pool is
// rebuilt only when its connection settings change.
const serverReload = 5 * time.Second

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
	if st != nil && sameConnection(st.srv, srv) {
		st.srv, st.loaded = srv, time.Now()
		return st, nil
	}
	if st != nil {
		st.pool.Close()
	}
	st = &serverState{
		srv: srv,
		pool: smtpsend.NewPool(smtpsend.Config{
			Host: srv.Host, Port: srv.Port, Username: srv.Username, Password: srv.Password,
			TLS: srv.TLS, HeloName: srv.HeloName, MaxConnections: srv.MaxConnections,
			CommandTimeout: a.Config.CommandTimeout, SubmissionTimeout: a.Config.SubmissionTimeout,
			InsecureSkipVerify: a.Config.InsecureSkipVerify,
		}),
		limiter: pacing.NewLimiter(a.DB, id),
		loaded:  time.Now(),
	}
	a.servers[id] = st
	return st, nil
}

func sameConnection(a, b store.Server) bool {
	return a.Host == b.Host && a.Port == b.Port && a.Username == b.Username &&
		a.Password == b.Password && a.TLS == b.TLS && a.HeloName == b.HeloName &&
		a.MaxConnections == b.MaxConnections
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
