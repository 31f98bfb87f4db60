package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/pacer-email/pacer/internal/apiclient"
	"github.com/pacer-email/pacer/internal/watch"
)

// runDeliverability sends the demo campaign to DELIVERABILITY_RECIPIENTS
// people (default 50), signed with the DKIM key of the demo's From domain,
// and writes DELIVERABILITY_SAMPLE of the messages mailpit received (default
// 10), raw, to DELIVERABILITY_DIR, after checking their DKIM signatures
// against the record the API returns.
func runDeliverability() error {
	s, err := load()
	if err != nil {
		return err
	}
	n, err1 := strconv.Atoi(env("DELIVERABILITY_RECIPIENTS", "50"))
	sample, err2 := strconv.Atoi(env("DELIVERABILITY_SAMPLE", "10"))
	if err := errors.Join(err1, err2); err != nil || n < 1 || sample < 1 {
		return fmt.Errorf("DELIVERABILITY_RECIPIENTS and DELIVERABILITY_SAMPLE must be positive numbers")
	}
	dir := env("DELIVERABILITY_DIR", filepath.Join(s.stackDir, "deliverability"))
	ctx := context.Background()
	c := apiclient.New(s.apiURL, s.token)

	record, err := demoDomain(ctx, c)
	if err != nil {
		return err
	}
	fmt.Printf("DKIM key of %s: publish TXT %s %q\n", demoFromDomain, record.Name, record.Value)
	id, err := sendSample(ctx, c, s, n)
	if err != nil {
		return err
	}
	raws, err := fetchSample(s.mailpitURL, id, sample)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, raw := range raws {
		if err := verifyDKIM(raw, record); err != nil {
			return fmt.Errorf("message %d as mailpit holds it: %w", i+1, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.eml", i+1)), raw, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("Wrote %d of campaign %d's messages to %s; every DKIM signature verifies\n", len(raws), id, dir)
	return nil
}

type dkimRecord struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// demoDomain registers the demo's From domain with a new RSA key, or finds
// it registered by an earlier run, and returns its DKIM record.
func demoDomain(ctx context.Context, c *apiclient.Client) (dkimRecord, error) {
	var d struct {
		Domain     string     `json:"domain"`
		DKIMRecord dkimRecord `json:"dkim_record"`
	}
	err := c.Do(ctx, "POST", "/api/domains", map[string]any{"domain": demoFromDomain, "selector": "demo",
		"algorithm": "rsa", "return_path_domain": "bounces." + demoFromDomain}, &d)
	var apiErr *apiclient.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		return d.DKIMRecord, err
	}
	var all []struct {
		Domain     string     `json:"domain"`
		DKIMRecord dkimRecord `json:"dkim_record"`
	}
	if err := c.Do(ctx, "GET", "/api/domains", nil, &all); err != nil {
		return dkimRecord{}, err
	}
	for _, d := range all {
		if d.Domain == demoFromDomain {
			return d.DKIMRecord, nil
		}
	}
	return dkimRecord{}, fmt.Errorf("sending domain %s exists but is not listed", demoFromDomain)
}

// sendSample sends the demo campaign to a list of n people and waits until
// it is done.
func sendSample(ctx context.Context, c *apiclient.Client, s settings, n int) (int64, error) {
	csvPath := filepath.Join(s.stackDir, "deliverability-subscribers.csv")
	if _, err := writeCSV(csvPath, n); err != nil {
		return 0, err
	}
	var list, srv, camp struct {
		ID int64 `json:"id"`
	}
	err := c.Do(ctx, "POST", "/api/lists", map[string]any{"name": "Deliverability sample"}, &list)
	if err != nil {
		return 0, err
	}
	if err := importCSV(ctx, c, list.ID, csvPath); err != nil {
		return 0, err
	}
	if err := c.Do(ctx, "POST", "/api/servers", mailpitServer(s), &srv); err != nil {
		return 0, err
	}
	campaign := demoCampaign("Deliverability sample", list.ID, srv.ID)
	if err := c.Do(ctx, "POST", "/api/campaigns", campaign, &camp); err != nil {
		return 0, err
	}
	if err := c.Do(ctx, "POST", fmt.Sprintf("/api/campaigns/%d/send", camp.ID), nil, nil); err != nil {
		return 0, err
	}
	final, err := watch.Watch(ctx, c, camp.ID, os.Stdout, false, 500*time.Millisecond)
	if err != nil {
		return 0, err
	}
	if final.Status != "Done" || final.Counts.Delivered == 0 {
		return 0, fmt.Errorf("campaign %d ended %s with %d delivered",
			camp.ID, final.Status, final.Counts.Delivered)
	}
	return camp.ID, nil
}

// fetchSample returns the raw source of up to n messages of the campaign,
// recognised by their Message-ID, from mailpit's newest messages.
func fetchSample(base string, campaignID int64, n int) ([][]byte, error) {
	prefix := "pacer." + strconv.FormatInt(campaignID, 10) + "."
	var out [][]byte
	for start := 0; start < 20_000 && len(out) < n; start += 500 {
		var page struct {
			Messages []struct {
				ID        string `json:"ID"`
				MessageID string `json:"MessageID"`
			} `json:"messages"`
		}
		if err := getJSON(fmt.Sprintf("%s/api/v1/messages?start=%d&limit=500", base, start), &page); err != nil {
			return nil, err
		}
		if len(page.Messages) == 0 {
			break
		}
		for _, m := range page.Messages {
			if len(out) == n || !strings.HasPrefix(strings.Trim(m.MessageID, "<>"), prefix) {
				continue
			}
			raw, err := get(base + "/api/v1/message/" + url.PathEscape(m.ID) + "/raw")
			if err != nil {
				return nil, err
			}
			out = append(out, raw)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mailpit at %s holds no message of campaign %d", base, campaignID)
	}
	return out, nil
}

func get(u string) ([]byte, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, fmt.Errorf("mailpit: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("mailpit: GET %s: %s", u, resp.Status)
	}
	return body, err
}

func getJSON(u string, v any) error {
	body, err := get(u)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}

// verifyDKIM checks raw's one signature against the record the API gave.
func verifyDKIM(raw []byte, record dkimRecord) error {
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if name != record.Name {
				return nil, fmt.Errorf("no TXT record at %s", name)
			}
			return []string{record.Value}, nil
		},
	})
	if err != nil {
		return err
	}
	if len(vs) != 1 {
		return fmt.Errorf("%d DKIM signatures, want 1", len(vs))
	}
	return vs[0].Err
}
