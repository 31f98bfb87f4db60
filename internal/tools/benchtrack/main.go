// Command benchtrack writes the tracking URLs that scripts/bench-tracking.sh
// sends wrk at: one open pixel path and one click path per subscriber, signed
// with the server's secret, one path a line.
//
//	benchtrack --secret-file F --campaign N --subscribers 1000 --out DIR
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/tracking"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchtrack:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := pflag.NewFlagSet("benchtrack", pflag.ContinueOnError)
	secretFile := fs.String("secret-file", "", "file holding the server's signing secret")
	campaign := fs.Int64("campaign", 0, "campaign id the URLs name")
	subscribers := fs.Int("subscribers", 1000, "subscriber ids 1..N")
	out := fs.String("out", ".", "directory for opens.txt and clicks.txt")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *campaign <= 0 || *subscribers <= 0 {
		return fmt.Errorf("--campaign and --subscribers must be positive")
	}
	secret, err := os.ReadFile(*secretFile)
	if err != nil {
		return err
	}
	signer, err := mailid.NewSigner([]byte(strings.TrimSpace(string(secret))))
	if err != nil {
		return err
	}
	// Only the paths are written; the base is cut off again.
	const base = "http://bench.invalid"
	tracker, err := tracking.New(signer, base)
	if err != nil {
		return err
	}
	opens, clicks := []string{}, []string{}
	for sub := int64(1); sub <= int64(*subscribers); sub++ {
		id := mailid.ID{CampaignID: *campaign, SubscriberID: sub}
		target := fmt.Sprintf("https://shop.example.com/offer?id=%d&utm_source=pacer", sub%50)
		opens = append(opens, strings.TrimPrefix(tracker.OpenURL(id), base))
		clicks = append(clicks, strings.TrimPrefix(tracker.ClickURL(tracking.Message{ID: id}, target), base))
	}
	if err := writeLines(filepath.Join(*out, "opens.txt"), opens); err != nil {
		return err
	}
	return writeLines(filepath.Join(*out, "clicks.txt"), clicks)
}

func writeLines(path string, lines []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
