// Package cli is the terminal client of pacer's HTTP API, run as
// subcommands of the server binary:
//
//	server campaigns list
//	server campaign send|watch|pause|resume|cancel ID
//	server failed list ID [--reason R]
//	server failed redispatch ID [--reason R]
//
// It talks to a running server through the API with a bearer token, the
// same way the web page does, and needs no database or Temporal access.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pacer-email/pacer/internal/apiclient"
)

// Exit codes of Run.
const (
	ExitOK        = 0
	ExitAPI       = 1 // the API returned an error or could not be reached
	ExitUsage     = 2 // bad arguments, flags or token settings
	ExitCancelled = 3 // `campaign watch` saw the campaign end Cancelled
)

// Defaults of the connection flags. PACER_API_URL, PACER_TOKEN_FILE and
// PACER_TOKEN override them.
const (
	DefaultAPIURL    = "http://127.0.0.1:8080"
	DefaultTokenFile = ".pacer/api-token"
)

// watchInterval is how often `campaign watch` reads the campaign. Tests
// shorten it.
var watchInterval = time.Second

// IsCommand reports whether arg, the first argument of the server binary,
// names a command of this package.
func IsCommand(arg string) bool {
	return arg == "campaigns" || arg == "campaign" || arg == "failed"
}

const usageText = `Usage:
  server campaigns list                 list campaigns, newest first
  server campaign send ID               start sending a Draft campaign
  server campaign watch ID              follow a campaign until it is Done or Cancelled
  server campaign pause|resume|cancel ID
  server failed list ID [--reason R]    list failed sends
  server failed redispatch ID [--reason R]
                                        queue failed sends again

Reasons: soft_bounce, blocked, retries_exhausted, uncertain, rejected, invalid.

Exit codes: 0 success, 1 API or network error, 2 usage error,
3 when a watched campaign ends Cancelled.

Flags:
`

// usageError is a mistake in the command line or the token settings.
// Only command-line mistakes print the usage text after the message.
type usageError struct {
	msg       string
	showUsage bool
}

func (e *usageError) Error() string { return e.msg }

// usagef returns a command-line mistake.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), showUsage: true}
}

// settingf returns a mistake in the token or URL settings.
func settingf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// options are the parsed flags.
type options struct {
	apiURL    string
	tokenFile string
	json      bool
	reason    string
	setFlags  map[string]bool
}

// command is one parsed invocation.
type command struct {
	opts   options
	client *apiclient.Client
	stdout io.Writer
	stderr io.Writer
}

// Run runs the command in args (for example "campaign", "watch", "12") and
// returns the process exit code. Output goes to stdout, errors to stderr.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var opts options
	fs.StringVar(&opts.apiURL, "api-url", envOr("PACER_API_URL", DefaultAPIURL),
		"base URL of the pacer server (env PACER_API_URL)")
	fs.StringVar(&opts.tokenFile, "token-file", envOr("PACER_TOKEN_FILE", DefaultTokenFile),
		"file with the API bearer token (env PACER_TOKEN_FILE); PACER_TOKEN overrides it unless this flag is given")
	fs.BoolVar(&opts.json, "json", false, "print the API's JSON instead of text")
	fs.StringVar(&opts.reason, "reason", "", "only failed sends with this reason (failed list and failed redispatch)")
	help := fs.BoolP("help", "h", false, "show this help")

	printUsage := func(w io.Writer) {
		fmt.Fprint(w, usageText)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "server: %v\n\n", err)
		printUsage(stderr)
		return ExitUsage
	}
	if *help {
		printUsage(stdout)
		return ExitOK
	}
	opts.setFlags = map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { opts.setFlags[f.Name] = true })

	err := run(ctx, opts, fs.Args(), stdout, stderr)
	var usage *usageError
	var cancelled *cancelledError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "server: %v\n", err)
		if usage.showUsage {
			fmt.Fprintln(stderr)
			printUsage(stderr)
		}
		return ExitUsage
	case errors.As(err, &cancelled):
		fmt.Fprintf(stderr, "server: %v\n", err)
		return ExitCancelled
	default:
		fmt.Fprintf(stderr, "server: %v\n", err)
		return ExitAPI
	}
}

func run(ctx context.Context, opts options, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("missing command: give campaigns, campaign or failed")
	}
	if len(args) < 2 {
		return usagef("missing command: %q needs a subcommand", args[0])
	}
	handler, err := lookup(args[0], args[1])
	if err != nil {
		return err
	}
	if opts.reason != "" && args[0] != "failed" {
		return usagef("--reason applies only to `failed list` and `failed redispatch`")
	}
	id, err := parseArgs(args)
	if err != nil {
		return err
	}
	client, err := newClient(opts)
	if err != nil {
		return err
	}
	cmd := &command{opts: opts, client: client, stdout: stdout, stderr: stderr}
	return handler(ctx, cmd, id)
}

type handlerFunc func(ctx context.Context, cmd *command, id int64) error

// lookup returns the handler of a command and subcommand.
func lookup(group, sub string) (handlerFunc, error) {
	handlers := map[string]map[string]handlerFunc{
		"campaigns": {"list": listCampaigns},
		"campaign": {
			"send": sendCampaign, "watch": watchCampaign,
			"pause": controlCampaign("pause"), "resume": controlCampaign("resume"), "cancel": controlCampaign("cancel"),
		},
		"failed": {"list": listFailed, "redispatch": redispatchFailed},
	}
	subs, ok := handlers[group]
	if !ok {
		return nil, usagef("unknown command %q: use campaigns, campaign or failed", group)
	}
	h, ok := subs[sub]
	if !ok {
		return nil, usagef("unknown command %q: see the usage below", group+" "+sub)
	}
	return h, nil
}

// parseArgs checks the argument count and returns the campaign ID, or 0 for
// `campaigns list`.
func parseArgs(args []string) (int64, error) {
	name := args[0] + " " + args[1]
	if args[0] == "campaigns" {
		if len(args) != 2 {
			return 0, usagef("%s takes no arguments, got %q", name, strings.Join(args[2:], " "))
		}
		return 0, nil
	}
	if len(args) != 3 {
		return 0, usagef("%s needs exactly one campaign ID, got %d arguments", name, len(args)-2)
	}
	id, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("campaign ID %q is not a positive integer: see `server campaigns list`", args[2])
	}
	return id, nil
}

// newClient checks the API URL and reads the token: --token-file when given,
// else PACER_TOKEN when set, else the file PACER_TOKEN_FILE or the default.
func newClient(opts options) (*apiclient.Client, error) {
	u, err := url.Parse(opts.apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, settingf("--api-url %q is not an http or https URL such as %s", opts.apiURL, DefaultAPIURL)
	}
	token := strings.TrimSpace(os.Getenv("PACER_TOKEN"))
	if opts.setFlags["token-file"] || token == "" {
		data, err := os.ReadFile(opts.tokenFile)
		if err != nil {
			return nil, settingf("no API token: cannot read the token file (%v); "+
				"set PACER_TOKEN or --token-file (`server token create NAME` prints a new token)", err)
		}
		token = strings.TrimSpace(string(data))
		if token == "" {
			return nil, settingf("token file %s is empty: write a token from `server token create NAME` into it", opts.tokenFile)
		}
	}
	return apiclient.New(opts.apiURL, token), nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
