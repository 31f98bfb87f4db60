// Package config loads pacer's configuration: temporal.yaml first, then
// PACER_* environment variables, then command-line flags (pflag), each
// overriding the one before. Only main packages call it.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/workflows"
)

// Config is the configuration shared by the worker and the server.
type Config struct {
	Temporal Temporal `yaml:"temporal"`
	Campaign Campaign `yaml:"campaign"`
	Bounces  Bounces  `yaml:"bounces"`
	// DatabaseURL is the PostgreSQL connection URL (PACER_DATABASE_URL).
	DatabaseURL string `yaml:"database_url"`
	// Secret signs tracking links, unsubscribe links and VERP addresses
	// (PACER_SECRET). Every process of one deployment needs the same value.
	Secret string `yaml:"-"`
	// PublicURL is the base URL of the tracking and unsubscribe links.
	PublicURL string `yaml:"public_url"`
	// BounceDomain is the domain of VERP return paths.
	BounceDomain string `yaml:"bounce_domain"`
	DNS          DNS    `yaml:"dns"`
	// Reputation says when a sending campaign is paused for its complaint
	// or hard-bounce rate.
	Reputation Reputation `yaml:"reputation"`
	Webhooks   Webhooks   `yaml:"webhooks"`
}

// DNS configures the lookups of the sending-domain checks.
type DNS struct {
	// Resolver is the host:port of the recursive resolver to ask; empty
	// means the first nameserver of /etc/resolv.conf.
	Resolver string `yaml:"resolver"`
}

// Reputation holds the reputation guard's limits. Rates are fractions:
// 0.003 is 0.3%.
type Reputation struct {
	MinSent           int64         `yaml:"min_sent"`
	MaxComplaintRate  float64       `yaml:"max_complaint_rate"`
	MaxHardBounceRate float64       `yaml:"max_hard_bounce_rate"`
	CheckEvery        time.Duration `yaml:"check_every"`
}

// Temporal is the Temporal side of the configuration.
type Temporal struct {
	Address    string     `yaml:"address"`
	Namespace  string     `yaml:"namespace"`
	TaskQueues TaskQueues `yaml:"task_queues"`
}

// TaskQueues names the task queues. Send lists the send queues a worker
// polls; each sending server names the queue its batches go to.
type TaskQueues struct {
	Campaigns string   `yaml:"campaigns"`
	Send      []string `yaml:"send"`
	Bounces   string   `yaml:"bounces"`
	Webhooks  string   `yaml:"webhooks"`
}

// Campaign holds the tunables of campaign runs.
type Campaign struct {
	BatchSize          int           `yaml:"batch_size"`
	Window             int           `yaml:"window"`
	ContinueAsNewAfter int           `yaml:"continue_as_new_after"`
	StaleClaimAge      time.Duration `yaml:"stale_claim_age"`
	RetryConcurrency   int           `yaml:"retry_concurrency"`
	Retry              Retry         `yaml:"retry"`
}

// Retry is the per-recipient retry policy for soft failures.
type Retry struct {
	MaxAttempts        int           `yaml:"max_attempts"`
	InitialInterval    time.Duration `yaml:"initial_interval"`
	BackoffCoefficient float64       `yaml:"backoff_coefficient"`
	MaximumInterval    time.Duration `yaml:"maximum_interval"`
}

// Bounces holds the thresholds and limits of the bounce processor.
type Bounces struct {
	// HardThreshold, SoftThreshold and ComplaintThreshold are how many hard
	// bounces, soft bounces or complaints within Window stop mail to a
	// subscriber.
	HardThreshold      int           `yaml:"hard_threshold"`
	SoftThreshold      int           `yaml:"soft_threshold"`
	ComplaintThreshold int           `yaml:"complaint_threshold"`
	Window             time.Duration `yaml:"window"`
	// Retention is how long inbound messages are kept.
	Retention time.Duration `yaml:"retention"`
	// MaxMessageBytes is the largest message the inbound SMTP server takes.
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
}

// Default returns the built-in defaults, the same values temporal.yaml lists.
func Default() Config {
	o := workflows.DefaultOptions()
	bp := activities.DefaultBouncePolicy()
	rep := activities.DefaultReputationLimits()
	return Config{
		Temporal: Temporal{
			Address:   "127.0.0.1:7233",
			Namespace: "default",
			TaskQueues: TaskQueues{
				Campaigns: workflows.DefaultCampaignQueue,
				Send:      []string{workflows.DefaultSendQueue},
				Bounces:   workflows.DefaultBounceQueue,
				Webhooks:  workflows.DefaultWebhookQueue,
			},
		},
		Campaign: Campaign{
			BatchSize:          5000,
			Window:             o.Window,
			ContinueAsNewAfter: o.ContinueAsNewAfter,
			StaleClaimAge:      o.StaleClaimAge,
			RetryConcurrency:   o.RetryConcurrency,
			Retry: Retry{
				MaxAttempts:        o.Retry.MaxAttempts,
				InitialInterval:    o.Retry.InitialInterval,
				BackoffCoefficient: o.Retry.BackoffCoefficient,
				MaximumInterval:    o.Retry.MaximumInterval,
			},
		},
		Bounces: Bounces{
			HardThreshold:      bp.HardThreshold,
			SoftThreshold:      bp.SoftThreshold,
			ComplaintThreshold: bp.ComplaintThreshold,
			Window:             bp.Window,
			Retention:          30 * 24 * time.Hour,
			MaxMessageBytes:    bp.MaxMessageBytes,
		},
		DatabaseURL:  "postgres://pacer@127.0.0.1:5433/pacer?sslmode=disable",
		PublicURL:    "http://127.0.0.1:8080",
		Webhooks:     defaultWebhooks(),
		BounceDomain: "bounces.pacer.localhost",
		Reputation: Reputation{MinSent: rep.MinSent, MaxComplaintRate: rep.MaxComplaintRate,
			MaxHardBounceRate: rep.MaxHardBounceRate, CheckEvery: rep.CheckEvery},
	}
}

// Flags registers the shared flags on fs. Call Load after fs.Parse.
func Flags(fs *pflag.FlagSet) {
	fs.String("config", "temporal.yaml", "path of the YAML configuration file; a missing default file is ignored")
	fs.String("database-url", "", "PostgreSQL URL (env PACER_DATABASE_URL)")
	fs.String("temporal-address", "", "Temporal frontend host:port (env PACER_TEMPORAL_ADDRESS)")
	fs.String("namespace", "", "Temporal namespace (env PACER_TEMPORAL_NAMESPACE)")
	fs.String("public-url", "", "base URL of tracking and unsubscribe links (env PACER_PUBLIC_URL)")
	fs.String("bounce-domain", "", "domain of VERP return paths (env PACER_BOUNCE_DOMAIN)")
	fs.String("secret-file", "", "file holding the signing secret (env PACER_SECRET or PACER_SECRET_FILE)")
}

// Load reads the file named by --config, then the environment, then the
// flags that were set.
func Load(fs *pflag.FlagSet) (Config, error) {
	cfg := Default()
	path, _ := fs.GetString("config")
	if err := cfg.readFile(path, fs.Changed("config")); err != nil {
		return Config{}, err
	}
	cfg.applyEnv()
	cfg.applyFlags(fs)
	if err := cfg.loadSecret(fs); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

func (c *Config) readFile(path string, required bool) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config: read %s: %w", path, err)
	}
	if err := yaml.Unmarshal(data, c); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	return nil
}

func (c *Config) applyEnv() {
	setString(&c.DatabaseURL, os.Getenv("PACER_DATABASE_URL"))
	setString(&c.Temporal.Address, os.Getenv("PACER_TEMPORAL_ADDRESS"))
	setString(&c.Temporal.Namespace, os.Getenv("PACER_TEMPORAL_NAMESPACE"))
	setString(&c.PublicURL, os.Getenv("PACER_PUBLIC_URL"))
	setString(&c.BounceDomain, os.Getenv("PACER_BOUNCE_DOMAIN"))
	setString(&c.DNS.Resolver, os.Getenv("PACER_DNS_RESOLVER"))
	if v := os.Getenv("PACER_SEND_QUEUES"); v != "" {
		c.Temporal.TaskQueues.Send = splitList(v)
	}
	if v := os.Getenv("PACER_RETRY_MAX_ATTEMPTS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			c.Campaign.Retry.MaxAttempts = n
		}
	}
	if v := os.Getenv("PACER_RETRY_INITIAL_INTERVAL"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			c.Campaign.Retry.InitialInterval = d
		}
	}
}

func (c *Config) applyFlags(fs *pflag.FlagSet) {
	flagString(fs, "database-url", &c.DatabaseURL)
	flagString(fs, "temporal-address", &c.Temporal.Address)
	flagString(fs, "namespace", &c.Temporal.Namespace)
	flagString(fs, "public-url", &c.PublicURL)
	flagString(fs, "bounce-domain", &c.BounceDomain)
}

func (c *Config) loadSecret(fs *pflag.FlagSet) error {
	c.Secret = os.Getenv("PACER_SECRET")
	path := os.Getenv("PACER_SECRET_FILE")
	flagString(fs, "secret-file", &path)
	if c.Secret == "" && path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("config: read secret file: %w", err)
		}
		c.Secret = strings.TrimSpace(string(data))
	}
	return nil
}

// Validate checks values that would otherwise fail later and far away.
func (c Config) Validate() error {
	var errs []error
	if len(c.Secret) < 16 {
		errs = append(errs, errors.New("config: the signing secret is missing or shorter than 16 characters: set PACER_SECRET or --secret-file"))
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("config: database URL is empty: set PACER_DATABASE_URL or --database-url"))
	}
	if c.Campaign.BatchSize < 1 || c.Campaign.BatchSize > 5000 {
		errs = append(errs, fmt.Errorf("config: campaign.batch_size %d: use 1 to 5000", c.Campaign.BatchSize))
	}
	if c.Campaign.Window < 1 || c.Campaign.Window > 500 {
		errs = append(errs, fmt.Errorf("config: campaign.window %d: use 1 to 500", c.Campaign.Window))
	}
	if c.Campaign.Retry.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("config: campaign.retry.max_attempts %d: use 1 or more", c.Campaign.Retry.MaxAttempts))
	}
	if c.Campaign.Retry.BackoffCoefficient < 1 {
		errs = append(errs, fmt.Errorf("config: campaign.retry.backoff_coefficient %g: use 1 or more", c.Campaign.Retry.BackoffCoefficient))
	}
	errs = append(errs, c.Bounces.validate()...)
	errs = append(errs, c.Reputation.validate()...)
	errs = append(errs, c.Webhooks.validate()...)
	if len(c.Temporal.TaskQueues.Send) == 0 {
		errs = append(errs, errors.New("config: temporal.task_queues.send is empty: name at least one send queue"))
	}
	return errors.Join(errs...)
}

func (b Bounces) validate() []error {
	var errs []error
	for _, t := range []struct {
		name string
		n    int
	}{{"hard_threshold", b.HardThreshold}, {"soft_threshold", b.SoftThreshold}, {"complaint_threshold", b.ComplaintThreshold}} {
		if t.n < 1 {
			errs = append(errs, fmt.Errorf("config: bounces.%s %d: use 1 or more", t.name, t.n))
		}
	}
	if b.Window < time.Hour {
		errs = append(errs, fmt.Errorf("config: bounces.window %s: use 1h or more, for example 720h", b.Window))
	}
	if b.Retention < time.Hour {
		errs = append(errs, fmt.Errorf("config: bounces.retention %s: use 1h or more, for example 720h", b.Retention))
	}
	if b.MaxMessageBytes < 64<<10 || b.MaxMessageBytes > 1<<30 {
		errs = append(errs, fmt.Errorf("config: bounces.max_message_bytes %d: use 65536 to 1073741824", b.MaxMessageBytes))
	}
	return errs
}

// BouncePolicy returns the thresholds the bounce activities apply.
func (c Config) BouncePolicy() activities.BouncePolicy {
	return activities.BouncePolicy{
		HardThreshold:      c.Bounces.HardThreshold,
		SoftThreshold:      c.Bounces.SoftThreshold,
		ComplaintThreshold: c.Bounces.ComplaintThreshold,
		Window:             c.Bounces.Window,
		MaxMessageBytes:    c.Bounces.MaxMessageBytes,
	}
}

func (r Reputation) validate() []error {
	var errs []error
	if r.MinSent < 1 {
		errs = append(errs, fmt.Errorf("config: reputation.min_sent %d: use 1 or more", r.MinSent))
	}
	for _, t := range []struct {
		name string
		v    float64
	}{{"max_complaint_rate", r.MaxComplaintRate}, {"max_hard_bounce_rate", r.MaxHardBounceRate}} {
		if t.v <= 0 || t.v > 1 {
			errs = append(errs, fmt.Errorf("config: reputation.%s %g: use a fraction above 0 and up to 1 (0.05 is 5%%)", t.name, t.v))
		}
	}
	if r.CheckEvery < time.Second {
		errs = append(errs, fmt.Errorf("config: reputation.check_every %s: use 1s or more", r.CheckEvery))
	}
	return errs
}

// ReputationLimits returns the limits of the reputation guard.
func (c Config) ReputationLimits() activities.ReputationLimits {
	r := c.Reputation
	return activities.ReputationLimits{MinSent: r.MinSent, MaxComplaintRate: r.MaxComplaintRate,
		MaxHardBounceRate: r.MaxHardBounceRate, CheckEvery: r.CheckEvery}
}

// WorkflowOptions returns the options a new campaign run starts with.
func (c Config) WorkflowOptions() workflows.Options {
	return workflows.Options{
		CampaignQueue:      c.Temporal.TaskQueues.Campaigns,
		Window:             c.Campaign.Window,
		ContinueAsNewAfter: c.Campaign.ContinueAsNewAfter,
		StaleClaimAge:      c.Campaign.StaleClaimAge,
		RetryConcurrency:   c.Campaign.RetryConcurrency,
		Retry: workflows.RetryOptions{
			MaxAttempts:        c.Campaign.Retry.MaxAttempts,
			InitialInterval:    c.Campaign.Retry.InitialInterval,
			BackoffCoefficient: c.Campaign.Retry.BackoffCoefficient,
			MaximumInterval:    c.Campaign.Retry.MaximumInterval,
		},
	}
}

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func flagString(fs *pflag.FlagSet, name string, dst *string) {
	if fs.Changed(name) {
		*dst, _ = fs.GetString(name)
	}
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
