// Command worker runs pacer's Temporal workers: campaign and batch
// workflows, the send activities of the sending servers' task queues, bounce
// processing and webhook delivery. Run several copies on the same queues to
// drain faster; stopping one loses nothing.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/config"
	"github.com/pacer-email/pacer/internal/logging"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/metrics"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/temporalconn"
	"github.com/pacer-email/pacer/workflows"
)

const usage = `worker runs pacer's Temporal workers.

Task queues and sending servers:
  Each sending server (POST /api/servers) names the activity task queue its
  batches are sent from (field task_queue, default "pacer-send"). A worker
  polls the send queues listed in temporal.yaml (temporal.task_queues.send),
  PACER_SEND_QUEUES or --send-queues, and sends through any server whose
  batches arrive there. To give a provider its own fleet, set its server's
  task_queue to, say, "pacer-send-ses" and start workers with
  --send-queues pacer-send-ses. Every worker on a queue shares the server's
  rate through PostgreSQL, so the rate holds at any worker count.

  A server's max_connections is split among the workers that poll its task
  queue and sent a heartbeat within the last 15 s: with 10 connections and
  3 workers they open up to 4, 3 and 3. Each worker reads its share again
  every 5 s and closes connections above it after their current message,
  so for about 5 s after a worker joins the server can see more than
  max_connections. Every worker opens at least 1 connection: with
  more workers than max_connections the server sees one per worker, and
  each worker logs a warning naming the server.

  Workflows and bookkeeping run on temporal.task_queues.campaigns, bounces and
  webhooks on their own queues, so a backlog in one never slows another.

Usage:
  worker [flags]
  worker classify FILE [--envelope-rcpt ADDR]   print a bounce's verdicts as JSON; changes nothing

Flags:
`

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) > 1 && os.Args[1] == "classify" {
		return runClassify(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	}
	fs := pflag.NewFlagSet("worker", pflag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, usage)
		fs.PrintDefaults()
	}
	config.Flags(fs)
	roles := fs.StringSlice("roles", []string{"campaigns", "send", "bounces", "webhooks"}, "which workers to run: campaigns, send, bounces, webhooks")
	sendQueues := fs.StringSlice("send-queues", nil, "send task queues to poll (env PACER_SEND_QUEUES; default from temporal.yaml)")
	sendSlots := fs.Int("send-concurrency", 16, "send activities (batches or single retries) this worker runs at once")
	listen := fs.String("listen", "127.0.0.1:9091", "address of the /healthz, /readyz, /metrics and /debug/pprof endpoints; keep it on loopback; empty disables them")
	bounceListen := fs.String("bounce-listen", "127.0.0.1:2525", "address of the bounce domain's SMTP receiver (role bounces); empty disables it")
	logFormat := fs.String("log-format", "json", "log format: json or console")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := config.Load(fs)
	if err != nil {
		return err
	}
	if len(*sendQueues) > 0 {
		cfg.Temporal.TaskQueues.Send = *sendQueues
	}
	log, err := logging.New(*logFormat, *logLevel)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := store.Open(ctx, cfg.DatabaseURL, 32)
	if err != nil {
		return err
	}
	defer db.Close()
	if applied, err := db.Migrate(ctx); err != nil {
		return err
	} else if len(applied) > 0 {
		log.Info("schema migrated", zap.Strings("versions", applied))
	}
	signer, err := mailid.NewSigner([]byte(cfg.Secret))
	if err != nil {
		return err
	}
	m := metrics.NewWorker()
	tc, err := temporalconn.Dial(ctx, cfg.Temporal.Address, cfg.Temporal.Namespace, log,
		client.Options{MetricsHandler: m.TemporalHandler()})
	if err != nil {
		return err
	}
	defer tc.Close()

	// The heartbeat and the split of each server's max_connections use the
	// same instance id, so this worker's row ranks it among the others.
	instance := fmt.Sprintf("%s-%d-%d", hostname(), os.Getpid(), time.Now().UnixNano()%1e6)
	acts := &activities.Activities{DB: db, Log: log, Signer: signer, Metrics: m, InstanceID: instance, Config: activities.Config{
		PublicURL: cfg.PublicURL, BounceDomain: cfg.BounceDomain,
		CommandTimeout: 30 * time.Second, SubmissionTimeout: 30 * time.Second,
		Bounces:    cfg.BouncePolicy(),
		Reputation: cfg.ReputationLimits(),
	}}
	defer acts.Close()

	var workers []worker.Worker
	var queues []string
	for _, role := range *roles {
		switch strings.TrimSpace(role) {
		case "campaigns":
			w := worker.New(tc, cfg.Temporal.TaskQueues.Campaigns, worker.Options{})
			w.RegisterWorkflowWithOptions(workflows.CampaignWorkflow, wfName(workflows.CampaignWorkflowName))
			w.RegisterWorkflowWithOptions(workflows.SendBatchWorkflow, wfName(workflows.BatchWorkflowName))
			w.RegisterWorkflowWithOptions(workflows.TestMessageWorkflow, wfName(workflows.TestMessageWorkflowName))
			acts.RegisterCampaign(w)
			workers = append(workers, w)
			queues = append(queues, cfg.Temporal.TaskQueues.Campaigns)
		case "send":
			for _, q := range cfg.Temporal.TaskQueues.Send {
				w := worker.New(tc, q, worker.Options{MaxConcurrentActivityExecutionSize: *sendSlots})
				acts.RegisterSend(w)
				workers = append(workers, w)
				queues = append(queues, q)
			}
		case "bounces":
			// A queue and worker of its own: a backlog of bounces never slows sending.
			w := worker.New(tc, cfg.Temporal.TaskQueues.Bounces, worker.Options{MaxConcurrentActivityExecutionSize: 8})
			w.RegisterWorkflowWithOptions(workflows.BounceWorkflow, wfName(workflows.BounceWorkflowName))
			acts.RegisterBounces(w)
			workers = append(workers, w)
			queues = append(queues, cfg.Temporal.TaskQueues.Bounces)
			stopBounces, err := startBounces(ctx, log, db, tc, cfg, *bounceListen)
			if err != nil {
				return err
			}
			defer stopBounces()
		case "webhooks":
			workers = append(workers, webhookWorker(ctx, tc, db, acts, cfg, log))
			queues = append(queues, cfg.Temporal.TaskQueues.Webhooks)
		default:
			return fmt.Errorf("unknown role %q: use campaigns, send, bounces or webhooks", role)
		}
	}
	// The first heartbeat goes out before any task is polled, so the other
	// workers count this one in their connection shares from the start.
	go heartbeat(ctx, log, db, instance, queues)
	for _, w := range workers {
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
	}
	log.Info("worker started", zap.Strings("roles", *roles), zap.Strings("send_queues", cfg.Temporal.TaskQueues.Send),
		zap.String("temporal", cfg.Temporal.Address), zap.String("namespace", cfg.Temporal.Namespace))

	if *listen != "" {
		go serveHealth(ctx, log, *listen, db, m)
	}
	<-ctx.Done()
	log.Info("worker stopping: finishing running activities")
	for _, w := range workers {
		w.Stop()
	}
	gone, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.WorkerGone(gone, instance); err != nil {
		log.Warn("removing the worker's heartbeat failed", zap.Error(err))
	}
	log.Info("worker stopped")
	return nil
}

func wfName(name string) workflow.RegisterOptions { return workflow.RegisterOptions{Name: name} }

func serveHealth(ctx context.Context, log *zap.Logger, addr string, db *store.DB, m *metrics.Worker) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := db.Pool().Ping(r.Context()); err != nil {
			http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("health endpoint stopped", zap.String("listen", addr), zap.Error(err))
	}
}

// heartbeat records every 5 seconds that this worker is alive, so the API
// can say within seconds that a task queue has no worker.
func heartbeat(ctx context.Context, log *zap.Logger, db *store.DB, instance string, queues []string) {
	failures := 0
	for {
		if err := db.WorkerSeen(ctx, instance, hostname(), os.Getpid(), queues); err != nil && ctx.Err() == nil {
			failures++
			if failures == 1 || failures%60 == 0 {
				log.Warn("worker heartbeat failed", zap.Int("failures", failures), zap.Error(err))
			}
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}
