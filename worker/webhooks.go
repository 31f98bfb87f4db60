package main

import (
	"context"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/config"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/webhook"
	"github.com/pacer-email/pacer/workflows"
)

// webhookWorkerOptions polls with more pollers than the SDK's two. Each
// retried delivery is a short workflow; with two pollers, thousands of them
// stalled for a minute at a time on the Temporal dev server.
var webhookWorkerOptions = worker.Options{
	MaxConcurrentWorkflowTaskPollers: 8,
	MaxConcurrentActivityTaskPollers: 8,
}

// webhookWorker builds the worker of the webhook task queue. It also starts
// the dispatcher, which makes the first attempt of pending outbox rows and
// starts delivery workflows for the ones to retry, until ctx is done.
func webhookWorker(ctx context.Context, tc client.Client, db *store.DB, acts *activities.Activities,
	cfg config.Config, log *zap.Logger) worker.Worker {
	queue := cfg.Temporal.TaskQueues.Webhooks
	acts.Webhooks = webhook.NewClient(webhook.ClientConfig{
		AllowPrivate: cfg.Webhooks.AllowPrivate, Timeout: cfg.Webhooks.Timeout,
	})
	w := worker.New(tc, queue, webhookWorkerOptions)
	w.RegisterWorkflowWithOptions(workflows.WebhookWorkflow, wfName(workflows.WebhookWorkflowName))
	acts.RegisterWebhooks(w)

	opts := cfg.WebhookOptions()
	d := &webhook.Dispatcher{
		DB: db, Log: log, Client: acts.Webhooks,
		BatchSize: cfg.Webhooks.BatchSize, Interval: cfg.Webhooks.PollInterval,
		Concurrency: cfg.Webhooks.Concurrency, EndpointConcurrency: cfg.Webhooks.EndpointConcurrency,
		RoundTime: cfg.Webhooks.Timeout,
		Start: func(ctx context.Context, id int64, attempts int) error {
			return workflows.StartWebhook(ctx, tc, queue,
				workflows.WebhookInput{DeliveryID: id, Options: opts, Attempts: attempts})
		},
	}
	go d.Run(ctx)
	return w
}
