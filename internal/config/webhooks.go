package config

import (
	"fmt"
	"time"

	"github.com/pacer-email/pacer/workflows"
)

// Webhooks configures webhook delivery (the webhooks section).
type Webhooks struct {
	// AllowPrivate lets endpoints use loopback, private and link-local
	// addresses. Off by default, so an API user cannot make pacer post to
	// the operator's internal hosts.
	AllowPrivate bool `yaml:"allow_private"`
	// Timeout bounds one request.
	Timeout time.Duration `yaml:"timeout"`
	// BatchSize is how many pending deliveries of one endpoint a dispatcher
	// round locks and attempts, and PollInterval how often the dispatcher
	// looks for endpoints with pending deliveries.
	BatchSize    int           `yaml:"batch_size"`
	PollInterval time.Duration `yaml:"poll_interval"`
	// Concurrency is how many first attempts one worker makes at once over
	// all endpoints, and EndpointConcurrency how many of them go to one
	// endpoint.
	Concurrency         int          `yaml:"concurrency"`
	EndpointConcurrency int          `yaml:"endpoint_concurrency"`
	Retry               WebhookRetry `yaml:"retry"`
}

// WebhookRetry is the Temporal retry policy of one delivery.
type WebhookRetry struct {
	InitialInterval    time.Duration `yaml:"initial_interval"`
	BackoffCoefficient float64       `yaml:"backoff_coefficient"`
	MaximumInterval    time.Duration `yaml:"maximum_interval"`
	// ScheduleToClose bounds all attempts; the delivery fails after it.
	ScheduleToClose time.Duration `yaml:"schedule_to_close"`
}

// attemptMargin is how much longer an attempt may run than its request, so
// the attempt records a timeout before Temporal gives up on it.
const attemptMargin = 10 * time.Second

func defaultWebhooks() Webhooks {
	o := workflows.DefaultWebhookOptions()
	return Webhooks{
		Timeout:             o.AttemptTimeout - attemptMargin,
		BatchSize:           500,
		PollInterval:        time.Second,
		Concurrency:         64,
		EndpointConcurrency: 16,
		Retry: WebhookRetry{
			InitialInterval:    o.InitialInterval,
			BackoffCoefficient: o.BackoffCoefficient,
			MaximumInterval:    o.MaximumInterval,
			ScheduleToClose:    o.ScheduleToClose,
		},
	}
}

func (w Webhooks) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("config: webhooks."+format, args...)) }
	if w.Timeout < time.Second {
		bad("timeout %s: use 1s or more", w.Timeout)
	}
	if w.BatchSize < 1 || w.BatchSize > 5000 {
		bad("batch_size %d: use 1 to 5000", w.BatchSize)
	}
	if w.Concurrency < 1 || w.Concurrency > 1000 {
		bad("concurrency %d: use 1 to 1000, for example 64", w.Concurrency)
	}
	if w.EndpointConcurrency < 1 || w.EndpointConcurrency > max(w.Concurrency, 1) {
		bad("endpoint_concurrency %d: use 1 to webhooks.concurrency (%d), for example 16",
			w.EndpointConcurrency, w.Concurrency)
	}
	if w.PollInterval <= 0 {
		bad("poll_interval %s: use a positive duration such as 1s", w.PollInterval)
	}
	r := w.Retry
	if r.InitialInterval <= 0 {
		bad("retry.initial_interval %s: use a positive duration such as 5s", r.InitialInterval)
	}
	if r.BackoffCoefficient < 1 {
		bad("retry.backoff_coefficient %g: use 1 or more", r.BackoffCoefficient)
	}
	if r.MaximumInterval < r.InitialInterval {
		bad("retry.maximum_interval %s: use at least retry.initial_interval (%s)",
			r.MaximumInterval, r.InitialInterval)
	}
	if r.ScheduleToClose < r.InitialInterval {
		bad("retry.schedule_to_close %s: use at least retry.initial_interval (%s), for example 24h",
			r.ScheduleToClose, r.InitialInterval)
	}
	return errs
}

// WebhookOptions returns the retry policy new delivery workflows start with.
func (c Config) WebhookOptions() workflows.WebhookOptions {
	r := c.Webhooks.Retry
	return workflows.WebhookOptions{
		AttemptTimeout:     c.Webhooks.Timeout + attemptMargin,
		InitialInterval:    r.InitialInterval,
		BackoffCoefficient: r.BackoffCoefficient,
		MaximumInterval:    r.MaximumInterval,
		ScheduleToClose:    r.ScheduleToClose,
	}
}
