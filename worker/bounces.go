package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/bounce"
	"github.com/pacer-email/pacer/internal/config"
	"github.com/pacer-email/pacer/internal/inbound"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/workflows"
)

// startBounces runs the bounce domain's SMTP receiver on listen (none when
// listen is empty) and the sweeper until ctx ends, and returns a function
// that stops the receiver.
func startBounces(ctx context.Context, log *zap.Logger, db *store.DB, tc client.Client, cfg config.Config,
	listen string) (func(), error) {
	queue := cfg.Temporal.TaskQueues.Bounces
	start := func(ctx context.Context, id int64) error {
		return workflows.StartBounce(ctx, tc, queue, id)
	}
	sweeper := &inbound.Sweeper{DB: db, Start: start, Log: log.Named("bounce-sweeper"),
		Retention: cfg.Bounces.Retention}
	go sweeper.Run(ctx)
	if listen == "" {
		log.Info("bounce receiver disabled: --bounce-listen is empty")
		return func() {}, nil
	}
	scfg := inbound.Config{Domain: cfg.BounceDomain, MaxMessageBytes: cfg.Bounces.MaxMessageBytes,
		Domains: func(ctx context.Context) ([]string, error) { return returnPathDomains(ctx, db) }}
	srv, err := inbound.NewServer(scfg, db, start, log.Named("bounce-smtp"))
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("bounce receiver: listen on %s: %w (set --bounce-listen, or empty to disable it)",
			listen, err)
	}
	go func() {
		if err := srv.Serve(l); err != nil {
			log.Error("bounce receiver stopped", zap.String("listen", listen), zap.Error(err))
		}
	}()
	log.Info("bounce receiver listening", zap.String("listen", listen), zap.String("domain", cfg.BounceDomain))
	return func() { _ = srv.Close() }, nil
}

// returnPathDomains lists the return_path_domain of every sending domain
// that sets one: their return paths come back to this receiver too.
func returnPathDomains(ctx context.Context, db *store.DB) ([]string, error) {
	domains, err := db.ListSendingDomains(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range domains {
		if d.ReturnPathDomain != "" {
			out = append(out, d.ReturnPathDomain)
		}
	}
	return out, nil
}

const classifyUsage = `worker classify prints how the bounce processor classifies one raw
message, as JSON, and changes nothing. With the signing secret configured
(PACER_SECRET or --secret-file) it also verifies pacer's identifiers.

Usage:
  worker classify FILE [--envelope-rcpt ADDR]   (FILE "-" reads standard input)

Flags:
`

// runClassify is the "worker classify" subcommand: a dry run of the parser.
func runClassify(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("worker classify", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, classifyUsage)
		fs.PrintDefaults()
	}
	config.Flags(fs)
	rcpt := fs.String("envelope-rcpt", "", "RCPT TO address the message was delivered to, such as a VERP return path")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("classify: name one message file, or - for standard input")
	}

	// Only the secret and the size limit matter here, so settings the dry
	// run does not use may be invalid. Load returns an empty Config when the
	// file or the secret file could not be read, which is an error here too.
	cfg, err := config.Load(fs)
	if err != nil && cfg.Temporal.Address == "" {
		return fmt.Errorf("classify: %w", err)
	}
	opts := bounce.Options{MaxBytes: cfg.Bounces.MaxMessageBytes}
	if signer, err := mailid.NewSigner([]byte(cfg.Secret)); err == nil {
		opts.Signer = signer
	} else {
		fmt.Fprintln(stderr, "classify: no signing secret configured, "+
			"so pacer's identifiers are not verified (matched_by is none)")
	}

	in := stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("classify: %w", err)
		}
		defer f.Close()
		in = f
	}

	rep, err := bounce.ParseReader(in, *rcpt, opts)
	if err != nil {
		return fmt.Errorf("classify: %w", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
