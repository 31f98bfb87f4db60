// Command demo drives pacer's main job through the API, as a marketer would:
// it generates a subscriber CSV, imports it, creates a campaign with a
// personalised subject and HTML and text bodies, sends it to mailpit and
// shows the progress until Done. scripts/demo.sh starts the stack first.
//
// `demo deliverability` sends the same campaign to a small list instead,
// signed with a DKIM key of the demo's From domain, and saves a sample of
// the messages mailpit received for SpamAssassin (scripts/deliverability.sh).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pacer-email/pacer/internal/apiclient"
	"github.com/pacer-email/pacer/internal/watch"
)

func main() {
	run := run
	if len(os.Args) > 1 && os.Args[1] == "deliverability" {
		run = runDeliverability
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type settings struct {
	apiURL, token, stackDir string
	recipients              int
	rate                    float64
	smtpPort                int
	mailpitURL, temporalUI  string
}

func load() (settings, error) {
	s := settings{
		apiURL:     env("PACER_API_URL", "http://127.0.0.1:8080"),
		stackDir:   env("STACK_DIR", ".pacer"),
		mailpitURL: env("MAILPIT_URL", "http://127.0.0.1:8025"),
		temporalUI: env("TEMPORAL_UI_URL", "http://127.0.0.1:8233"),
	}
	var err error
	if s.recipients, err = strconv.Atoi(env("DEMO_RECIPIENTS", "50000")); err != nil || s.recipients < 1 {
		return s, fmt.Errorf("DEMO_RECIPIENTS=%q: give a positive number such as 50000", os.Getenv("DEMO_RECIPIENTS"))
	}
	if s.rate, err = strconv.ParseFloat(env("DEMO_RATE", "0"), 64); err != nil || s.rate < 0 {
		return s, fmt.Errorf("DEMO_RATE=%q: give messages per second, or 0 for no limit", os.Getenv("DEMO_RATE"))
	}
	if s.smtpPort, err = strconv.Atoi(env("MAILPIT_SMTP_PORT", "1025")); err != nil {
		return s, fmt.Errorf("MAILPIT_SMTP_PORT=%q is not a port", os.Getenv("MAILPIT_SMTP_PORT"))
	}
	tok, err := os.ReadFile(filepath.Join(s.stackDir, "api-token"))
	if err != nil {
		return s, fmt.Errorf("read the API token: %w", err)
	}
	s.token = string(tok)
	return s, nil
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run() error {
	s, err := load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c := apiclient.New(s.apiURL, s.token)

	csvPath := filepath.Join(s.stackDir, "demo-subscribers.csv")
	gen, err := writeCSV(csvPath, s.recipients)
	if err != nil {
		return err
	}
	fmt.Printf("Generated %s: %d people, %d case-variant duplicates, %d invalid rows\n",
		csvPath, s.recipients, gen.duplicates, gen.invalid)

	var list struct {
		ID int64 `json:"id"`
	}
	if err := c.Do(ctx, "POST", "/api/lists", map[string]any{"name": fmt.Sprintf("Demo subscribers (%d)", s.recipients)}, &list); err != nil {
		return err
	}
	if err := importCSV(ctx, c, list.ID, csvPath); err != nil {
		return err
	}

	var srv struct {
		ID int64 `json:"id"`
	}
	if err := c.Do(ctx, "POST", "/api/servers", mailpitServer(s), &srv); err != nil {
		return err
	}

	var camp struct {
		ID int64 `json:"id"`
	}
	campaign := demoCampaign("December digest", list.ID, srv.ID)
	if err := c.Do(ctx, "POST", "/api/campaigns", campaign, &camp); err != nil {
		return err
	}
	fmt.Printf("Created campaign %d; sending through mailpit (rate %s)\n", camp.ID, rateText(s.rate))
	start := time.Now()
	if err := c.Do(ctx, "POST", fmt.Sprintf("/api/campaigns/%d/send", camp.ID), nil, nil); err != nil {
		return err
	}
	final, err := watch.Watch(ctx, c, camp.ID, os.Stdout, isTTY(), 500*time.Millisecond)
	if err != nil {
		return err
	}
	summarise(s, final, time.Since(start))
	return nil
}

func rateText(r float64) string {
	if r == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%g/s", r)
}

func importCSV(ctx context.Context, c *apiclient.Client, listID int64, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var rep struct {
		Rows            int `json:"rows"`
		Created         int `json:"created"`
		Updated         int `json:"updated"`
		Duplicates      int `json:"duplicates"`
		Invalid         int `json:"invalid"`
		DuplicateGroups []struct {
			Email string `json:"email"`
			Lines []int  `json:"lines"`
		} `json:"duplicate_groups"`
		RowErrors []struct {
			Line   int    `json:"line"`
			Email  string `json:"email"`
			Reason string `json:"reason"`
		} `json:"row_errors"`
	}
	start := time.Now()
	if err := c.DoRaw(ctx, "POST", fmt.Sprintf("/api/lists/%d/import", listID), "text/csv", f, &rep); err != nil {
		return err
	}
	fmt.Printf("Imported %d rows in %s: %d new, %d updated, %d duplicates merged, %d invalid\n",
		rep.Rows, time.Since(start).Round(time.Millisecond), rep.Created, rep.Updated, rep.Duplicates, rep.Invalid)
	for i, g := range rep.DuplicateGroups {
		if i == 3 {
			fmt.Printf("  ... %d more duplicate groups\n", len(rep.DuplicateGroups)-3)
			break
		}
		fmt.Printf("  duplicate %s on lines %v\n", g.Email, g.Lines)
	}
	for _, e := range rep.RowErrors {
		fmt.Printf("  line %d: %q: %s\n", e.Line, e.Email, e.Reason)
	}
	return nil
}

func summarise(s settings, c watch.Campaign, elapsed time.Duration) {
	sendTime := elapsed
	if c.StartedAt != nil && c.FinishedAt != nil {
		sendTime = c.FinishedAt.Sub(*c.StartedAt)
	}
	n := c.Counts
	fmt.Printf("\nCampaign %d %s in %s (%.0f messages/s while sending)\n", c.ID, c.Status,
		elapsed.Round(time.Millisecond), float64(n.Delivered)/sendTime.Seconds())
	fmt.Printf("  total %d  delivered %d  soft-bounced %d  hard-bounced %d  failed %d  uncertain %d  skipped %d\n",
		n.Total, n.Delivered, n.SoftBounced, n.HardBounced, n.Failed, n.Uncertain, n.Skipped)
	if total, err := mailpitTotal(s.mailpitURL); err == nil {
		fmt.Printf("  mailpit holds %d messages in all\n", total)
	}
	fmt.Printf("\n  API           %s (token in %s)\n", s.apiURL, filepath.Join(s.stackDir, "api-token"))
	fmt.Printf("  Web page      %s/#token=%s (signs you in)\n", s.apiURL, strings.TrimSpace(s.token))
	fmt.Printf("  Temporal UI   %s/namespaces/default/workflows?query=CampaignID%%3D%%22%d%%22\n", s.temporalUI, c.ID)
	fmt.Printf("  mailpit       %s\n", s.mailpitURL)
	fmt.Println("  `make down` stops the stack.")
}

func mailpitTotal(base string) (int, error) {
	resp, err := http.Get(base + "/api/v1/messages?limit=1")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var v struct {
		Total int `json:"total"`
	}
	err = json.NewDecoder(resp.Body).Decode(&v)
	return v.Total, err
}

func isTTY() bool {
	fi, err := os.Stdout.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
