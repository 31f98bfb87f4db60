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

// webhookWorker builds the worker of the webhook task queue and starts the
// dispatcher that turns pending outbox rows into delivery workflows; the
// dispatcher stops with ctx.
func webhookWorker(ctx context.Context, tc client.Client, db *store.DB, acts *activities.Activities,
	cfg config.Config, log *zap.Logger) worker.Worker {
	queue := cfg.Temporal.TaskQueues.Webhooks
	acts.Webhooks = webhook.NewClient(webhook.ClientConfig{AllowPrivate: cfg.Webhooks.AllowPrivate, Timeout: cfg.Webhooks.Timeout})
	w := worker.New(tc, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.WebhookWorkflow, wfName(workflows.WebhookWorkflowName))
	acts.RegisterWebhooks(w)

	opts := cfg.WebhookOptions()
	d := &webhook.Dispatcher{
		DB: db, Log: log, BatchSize: cfg.Webhooks.BatchSize, Interval: cfg.Webhooks.PollInterval,
		Start: func(ctx context.Context, id int64) error {
			return workflows.StartWebhook(ctx, tc, queue, workflows.WebhookInput{DeliveryID: id, Options: opts})
		},
	}
	go d.Run(ctx)
	return w
}
