package e2e

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
	"github.com/pacer-email/pacer/internal/webhook"
)

// TestWebhookSendThroughput measures what the fan-out triggers cost the
// send path: a 5,000-recipient campaign with the triggers disabled, with
// them and no enabled endpoint, with one endpoint but nothing delivering
// (the triggers' cost alone), and with one endpoint receiving every event
// while the campaign runs. It takes a few minutes, so it runs only with
// PACER_WEBHOOK_BENCH=1 (PACER_WEBHOOK_BENCH_ROUNDS sets the repetitions).
func TestWebhookSendThroughput(t *testing.T) {
	if os.Getenv("PACER_WEBHOOK_BENCH") != "1" {
		t.Skip("set PACER_WEBHOOK_BENCH=1 to measure send throughput with and without webhooks")
	}
	rounds := 3
	if v := os.Getenv("PACER_WEBHOOK_BENCH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PACER_WEBHOOK_BENCH_ROUNDS=%q: want a positive number", v)
		}
		rounds = n
	}
	modes := []string{benchNoTrigger, benchNoEndpoint, benchEndpointOnly, benchDelivering}
	rates := map[string][]float64{}
	for r := range rounds {
		for _, mode := range modes {
			rate := measureSend(t, mode)
			rates[mode] = append(rates[mode], rate)
			t.Logf("round %d, %-34s %5.0f sends/s", r+1, mode+":", rate)
		}
	}
	for _, mode := range modes {
		t.Logf("%-34s median %5.0f sends/s of %.0f", mode+":", median(rates[mode]), rates[mode])
	}
}

const (
	benchNoTrigger    = "triggers disabled"
	benchNoEndpoint   = "triggers, no enabled endpoint"
	benchEndpointOnly = "one endpoint, no dispatcher"
	benchDelivering   = "one endpoint, delivering"
)

// measureSend sends 5,000 recipients on a fresh stack and returns the
// sends per second between Sending and Done.
func measureSend(t *testing.T, mode string) float64 {
	var rate float64
	t.Run(mode, func(t *testing.T) {
		var s *stacktest.Stack
		var rcv *receiver
		ctx := context.Background()
		switch mode {
		case benchDelivering:
			ws := newWebhookStack(t, fastWebhookRetries, true)
			rcv = newReceiver(t, http.StatusOK)
			rcv.setSecret(ws.createWebhook(map[string]any{"url": rcv.URL}).Secret)
			s = ws.Stack
		case benchEndpointOnly:
			s = stacktest.New(t)
			_, err := s.DB.CreateWebhookEndpoint(ctx,
				store.WebhookEndpoint{URL: "http://127.0.0.1:1/", Secret: "whsec_bench", Enabled: true})
			if err != nil {
				t.Fatal(err)
			}
		case benchNoEndpoint:
			s = stacktest.New(t)
			_, err := s.DB.CreateWebhookEndpoint(ctx,
				store.WebhookEndpoint{URL: "http://127.0.0.1:1/", Secret: "whsec_bench"})
			if err != nil {
				t.Fatal(err)
			}
		case benchNoTrigger:
			s = stacktest.New(t)
			for _, table := range []string{"sends", "events", "campaigns"} {
				_, err := s.DB.Pool().Exec(ctx, `ALTER TABLE `+table+` DISABLE TRIGGER webhook_`+table)
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		sink := testenv.NewSMTPServer(t, nil)
		const n = 5000
		listID, _ := s.ImportList(stacktest.SubscribersCSV(n, "bench.example.com"))
		id := s.CreateCampaign(listID, []int64{s.AddServer(sink.Port, 0, 8)}, 500)
		s.Send(id)
		s.WaitStatus(id, "Done", 5*time.Minute)
		c, err := s.DB.GetCampaign(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		counts, err := s.DB.Counts(ctx, id)
		if err != nil || counts.Delivered != n {
			t.Fatalf("delivered %d of %d: %v", counts.Delivered, n, err)
		}
		rate = n / c.FinishedAt.Sub(*c.StartedAt).Seconds()
		var rows, delivered int
		err = s.DB.Pool().QueryRow(ctx,
			`SELECT count(*), count(*) FILTER (WHERE status = 'delivered') FROM webhook_deliveries`).
			Scan(&rows, &delivered)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("outbox when the campaign was done: %d rows, %d delivered", rows, delivered)
		if mode == benchDelivering {
			start := time.Now()
			waitUntil(t, "every webhook delivered", 10*time.Minute, func() bool {
				_, ok, _, _ := rcv.snapshot()
				return len(ok) == rows
			})
			t.Logf("the other %d deliveries took %s more: %.0f/s", rows-delivered, time.Since(start).Round(time.Second),
				float64(rows-delivered)/time.Since(start).Seconds())
		}
	})
	return rate
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestWebhookDeliveryThroughput measures how fast the webhooks role drains
// an outbox backlog to one receiver on 127.0.0.1 that accepts everything.
// It writes PACER_WEBHOOK_BENCH_ROWS pending rows (5,000 by default) in one
// statement and logs deliveries per second until the last row is marked
// delivered. PACER_WEBHOOK_BENCH_BATCH sets the dispatcher's batch size
// (its default when unset). It runs only with PACER_WEBHOOK_BENCH=1.
func TestWebhookDeliveryThroughput(t *testing.T) {
	if os.Getenv("PACER_WEBHOOK_BENCH") != "1" {
		t.Skip("set PACER_WEBHOOK_BENCH=1 to measure webhook delivery throughput")
	}
	rows := 5000
	if v := os.Getenv("PACER_WEBHOOK_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PACER_WEBHOOK_BENCH_ROWS=%q: want a positive number", v)
		}
		rows = n
	}
	batch := 0
	if v := os.Getenv("PACER_WEBHOOK_BENCH_BATCH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PACER_WEBHOOK_BENCH_BATCH=%q: want a positive number", v)
		}
		batch = n
	}
	s := newWebhookStackWith(t, fastWebhookRetries, true, func(d *webhook.Dispatcher) { d.BatchSize = batch })
	rcv := newReceiver(t, http.StatusOK)
	ep := s.createWebhook(map[string]any{"url": rcv.URL})
	rcv.setSecret(ep.Secret)

	ctx := context.Background()
	start := time.Now()
	_, err := s.DB.Pool().Exec(ctx, `
		INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload)
		SELECT $1, 'bench_' || i, 'sent', jsonb_build_object('n', i)
		FROM generate_series(1, $2) AS i`, ep.ID, rows)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "every bench row delivered", 30*time.Minute, func() bool {
		var left int
		err := s.DB.Pool().QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries
			WHERE endpoint_id = $1 AND status <> 'delivered'`, ep.ID).Scan(&left)
		return err == nil && left == 0
	})
	elapsed := time.Since(start)
	answered, ok, _, problems := rcv.snapshot()
	if len(problems) > 0 {
		t.Errorf("receiver: %d problems, the first: %s", len(problems), problems[0])
	}
	if len(ok) != rows {
		t.Errorf("the receiver accepted %d distinct events, want %d", len(ok), rows)
	}
	t.Logf("%d deliveries in %s: %.0f deliveries/s (%d requests)", rows, elapsed.Round(time.Millisecond),
		float64(rows)/elapsed.Seconds(), answered[http.StatusOK])
}
