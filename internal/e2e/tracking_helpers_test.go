package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"golang.org/x/net/html"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/store"
)

// browserAgent is a desktop browser's User-Agent, which the tracking
// endpoints count as a person.
const browserAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

// sentMessage is a message as a recipient sees it.
type sentMessage struct {
	Header     mail.Header
	HTML, Text string
}

// parseSent decodes a message and its text/html and text/plain parts.
func parseSent(t *testing.T, raw []byte) sentMessage {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	m := sentMessage{Header: r.Header}
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parse message part: %v", err)
		}
		h, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			continue
		}
		body, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatalf("read message part: %v", err)
		}
		switch ct, _, _ := h.ContentType(); ct {
		case "text/html":
			m.HTML = string(body)
		case "text/plain":
			m.Text = string(body)
		}
	}
	if m.HTML == "" || m.Text == "" {
		t.Fatalf("message lacks an HTML or a text part:\n%s", raw)
	}
	return m
}

// attrValues returns the decoded values of attribute attr on every tag
// called tag, in order.
func attrValues(src, tag, attr string) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, more := z.TagName()
		if string(name) != tag {
			continue
		}
		for more {
			var k, v []byte
			k, v, more = z.TagAttr()
			if string(k) == attr {
				out = append(out, string(v))
			}
		}
	}
}

// withPrefix keeps the values that start with prefix.
func withPrefix(values []string, prefix string) []string {
	var out []string
	for _, v := range values {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out
}

// visitor is a real HTTP client of the public tracking URLs: no cookie jar,
// redirects not followed.
func visitor(s *stacktest.Stack) *http.Client {
	c := *s.Public
	c.Jar = nil
	c.Timeout = 10 * time.Second
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// fetch sends a request with a User-Agent (none when agent is "") and
// returns the response with its body read.
func fetch(t *testing.T, c *http.Client, method, url, agent string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", agent)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, b
}

// waitReport flushes the event writer and reads the campaign's report
// until ok accepts it, failing the test after 15 seconds.
func waitReport(t *testing.T, s *stacktest.Stack, id int64, ok func(store.Report) bool) store.Report {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var r store.Report
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.Events.Flush(ctx)
		cancel()
		if err != nil {
			t.Fatalf("flush events: %v", err)
		}
		r = store.Report{}
		s.Do("GET", fmt.Sprintf("/api/campaigns/%d/report", id), nil, &r)
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("report of campaign %d did not fill in: %+v", id, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitHumanDelay sleeps until every send of the campaign was delivered at
// least the tracking package's minimum human delay ago, so that opens and
// clicks count as a person's.
func waitHumanDelay(t *testing.T, s *stacktest.Stack, id int64, delay time.Duration) {
	t.Helper()
	var last time.Time
	err := s.DB.Pool().QueryRow(t.Context(),
		"SELECT max(done_at) FROM sends WHERE campaign_id = $1", id).Scan(&last)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(last.Add(delay + 200*time.Millisecond)); d > 0 {
		time.Sleep(d)
	}
}

// subscriberStatus reads a subscriber's status by address.
func subscriberStatus(t *testing.T, s *stacktest.Stack, email string) string {
	t.Helper()
	var status string
	err := s.DB.Pool().QueryRow(t.Context(), "SELECT status FROM subscribers WHERE email = $1", email).Scan(&status)
	if err != nil {
		t.Fatalf("subscriber %s: %v", email, err)
	}
	return status
}

// countEvents counts a campaign's events of one kind.
func countEvents(t *testing.T, s *stacktest.Stack, id int64, kind string) int {
	t.Helper()
	var n int
	err := s.DB.Pool().QueryRow(t.Context(),
		"SELECT count(*) FROM events WHERE campaign_id = $1 AND kind = $2", id, kind).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// createCampaign creates a tracked campaign with the given bodies.
func createCampaign(s *stacktest.Stack, listID, serverID int64, htmlBody, textBody string) int64 {
	s.T.Helper()
	var c struct {
		ID int64 `json:"id"`
	}
	s.Do("POST", "/api/campaigns", map[string]any{
		"name": "tracking", "subject": "Monthly update", "from_email": "news@example.org",
		"html_body": htmlBody, "text_body": textBody,
		"list_ids": []int64{listID}, "server_ids": []int64{serverID}, "batch_size": 100,
	}, &c)
	return c.ID
}
