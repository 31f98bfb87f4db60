package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/pacer-email/pacer/workflows"
)

func loadYAML(t *testing.T, yaml string) (Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pacer.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PACER_SECRET", "a-test-secret-of-32-characters!!")
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	Flags(fs)
	if err := fs.Parse([]string{"--config", path}); err != nil {
		t.Fatal(err)
	}
	return Load(fs)
}

func TestWebhookDefaults(t *testing.T) {
	cfg, err := loadYAML(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Webhooks.AllowPrivate || cfg.Webhooks.Timeout != 10*time.Second || cfg.Webhooks.BatchSize != 500 {
		t.Errorf("webhooks = %+v, want private addresses refused, 10s timeout, batches of 500", cfg.Webhooks)
	}
	if cfg.Webhooks.Concurrency != 64 || cfg.Webhooks.EndpointConcurrency != 16 {
		t.Errorf("webhooks concurrency %d, endpoint_concurrency %d; want 64 and 16",
			cfg.Webhooks.Concurrency, cfg.Webhooks.EndpointConcurrency)
	}
	if got, want := cfg.WebhookOptions(), workflows.DefaultWebhookOptions(); got != want {
		t.Errorf("WebhookOptions = %+v, want the workflow defaults %+v", got, want)
	}
}

func TestWebhookSection(t *testing.T) {
	cfg, err := loadYAML(t, `
webhooks:
  allow_private: true
  timeout: 3s
  retry:
    initial_interval: 1s
    backoff_coefficient: 3
    maximum_interval: 1m
    schedule_to_close: 2h
`)
	if err != nil {
		t.Fatal(err)
	}
	want := workflows.WebhookOptions{AttemptTimeout: 13 * time.Second, InitialInterval: time.Second,
		BackoffCoefficient: 3, MaximumInterval: time.Minute, ScheduleToClose: 2 * time.Hour}
	if got := cfg.WebhookOptions(); !cfg.Webhooks.AllowPrivate || got != want {
		t.Errorf("allow_private %v, WebhookOptions = %+v; want true, %+v", cfg.Webhooks.AllowPrivate, got, want)
	}
}

func TestWebhookConcurrencyInvalid(t *testing.T) {
	_, err := loadYAML(t, `
webhooks:
  concurrency: 0
`)
	if want := "webhooks.concurrency 0: use 1 to 1000"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Load = %v, want an error naming %q", err, want)
	}
}

func TestWebhookSectionInvalid(t *testing.T) {
	_, err := loadYAML(t, `
webhooks:
  batch_size: 0
  concurrency: 4
  endpoint_concurrency: 8
  retry:
    backoff_coefficient: 0.5
    maximum_interval: 1s
`)
	for _, want := range []string{
		"webhooks.batch_size 0", "webhooks.retry.backoff_coefficient 0.5", "webhooks.retry.maximum_interval 1s",
		"webhooks.endpoint_concurrency 8: use 1 to webhooks.concurrency (4)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load = %v, want an error naming %q", err, want)
		}
	}
}
