// Command server runs pacer's HTTP API (Gin) and starts, steers and reads
// campaign workflows on Temporal.
//
//	server                            serve the API
//	server token create NAME          create an API bearer token and print it
//	server campaigns list             list campaigns (also: campaign send|watch|pause|resume|cancel ID,
//	                                  failed list|redispatch ID); see `server campaign --help`
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/config"
	"github.com/pacer-email/pacer/internal/events"
	"github.com/pacer-email/pacer/internal/logging"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/metrics"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/temporalconn"
	"github.com/pacer-email/pacer/server/api"
	"github.com/pacer-email/pacer/server/cli"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && cli.IsCommand(args[0]) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, args, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, "server runs pacer's HTTP API.\n\nUsage:\n  server [flags]\n  server token create NAME [flags]\n  server campaigns list | campaign send|watch|pause|resume|cancel ID | failed list|redispatch ID\n\nFlags:\n")
		fs.PrintDefaults()
	}
	config.Flags(fs)
	listen := fs.String("listen", "127.0.0.1:8080", "address the HTTP API listens on")
	logFormat := fs.String("log-format", "json", "log format: json or console")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := config.Load(fs)
	if err != nil {
		return err
	}
	log, err := logging.New(*logFormat, *logLevel)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, cfg.DatabaseURL, 16)
	if err != nil {
		return err
	}
	defer db.Close()
	if applied, err := db.Migrate(ctx); err != nil {
		return err
	} else if len(applied) > 0 {
		log.Info("schema migrated", zap.Strings("versions", applied))
	}

	if rest := fs.Args(); len(rest) > 0 {
		return runCommand(ctx, db, rest)
	}

	signer, err := mailid.NewSigner([]byte(cfg.Secret))
	if err != nil {
		return err
	}
	tc, err := temporalconn.Dial(ctx, cfg.Temporal.Address, cfg.Temporal.Namespace, log, client.Options{})
	if err != nil {
		return err
	}
	defer tc.Close()

	gin.SetMode(gin.ReleaseMode)
	evw := events.NewWriter(db, log, events.Config{})
	m := metrics.NewServer(func() (uint64, uint64, uint64, int) {
		st := evw.Stats()
		return st.Enqueued, st.Written, st.Dropped, st.Pending
	})
	m.WatchQueues(func(ctx context.Context) ([]temporalconn.QueueStat, error) {
		stats, err := queueStats(ctx, db, tc, cfg)
		if err != nil {
			log.Warn("reading the task queues' backlog for /metrics failed", zap.Error(err))
		}
		return stats, err
	})
	srv := &api.Server{DB: db, Temporal: tc, Log: log, Signer: signer, Options: cfg.WorkflowOptions(), BatchSize: cfg.Campaign.BatchSize, Events: evw, Metrics: m,
		DNSResolver: cfg.DNS.Resolver, AllowPrivateWebhooks: cfg.Webhooks.AllowPrivate}
	httpSrv := &http.Server{Addr: *listen, Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another pacer server running? `make down` stops the demo's)", *listen, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	log.Info("server started", zap.String("listen", *listen), zap.String("temporal", cfg.Temporal.Address))
	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", *listen, err)
	case <-ctx.Done():
	}
	log.Info("server stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = httpSrv.Shutdown(shutdown)
	// The handlers are done; write the events they buffered.
	err = errors.Join(err, evw.Close(shutdown))
	log.Info("server stopped", zap.Any("events", evw.Stats()))
	return err
}

// runCommand runs an administrative subcommand.
func runCommand(ctx context.Context, db *store.DB, args []string) error {
	if len(args) == 3 && args[0] == "token" && args[1] == "create" {
		token, err := db.CreateAPIToken(ctx, args[2])
		if err != nil {
			return err
		}
		fmt.Println(token)
		return nil
	}
	return fmt.Errorf("unknown command %q: use `server token create NAME`", args)
}

// queueStats describes every task queue pacer uses: the configured ones and
// those of the sending servers.
func queueStats(ctx context.Context, db *store.DB, tc client.Client, cfg config.Config) ([]temporalconn.QueueStat, error) {
	q := cfg.Temporal.TaskQueues
	queues := append([]string{q.Campaigns, q.Bounces, q.Webhooks}, q.Send...)
	servers, err := db.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range servers {
		if !slices.Contains(queues, s.TaskQueue) {
			queues = append(queues, s.TaskQueue)
		}
	}
	var out []temporalconn.QueueStat
	for _, name := range queues {
		st, err := temporalconn.DescribeQueue(ctx, tc, cfg.Temporal.Namespace, name)
		if err != nil {
			return out, err
		}
		out = append(out, st...)
	}
	return out, nil
}
