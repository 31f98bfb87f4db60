package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
	"github.com/pacer-email/pacer/internal/tracking"
)

// mailpit is the mailpit instance `make test` starts. It keeps every
// message, so a test finds its own by a recipient domain of its own.
type mailpit struct {
	t        *testing.T
	api      string
	smtpPort int
}

func newMailpit(t *testing.T) *mailpit {
	t.Helper()
	smtpAddr, api := os.Getenv("PACER_TEST_MAILPIT_SMTP"), os.Getenv("PACER_TEST_MAILPIT_API")
	if smtpAddr == "" || api == "" {
		if os.Getenv("PACER_TEST_REQUIRE") == "1" {
			t.Fatal("mailpit is not configured (PACER_TEST_MAILPIT_SMTP, PACER_TEST_MAILPIT_API); run `make test`")
		}
		t.Skip("mailpit is not configured; `make test` starts it")
	}
	_, port, err := net.SplitHostPort(smtpAddr)
	if err != nil {
		t.Fatalf("PACER_TEST_MAILPIT_SMTP=%q: %v", smtpAddr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("PACER_TEST_MAILPIT_SMTP=%q: %v", smtpAddr, err)
	}
	return &mailpit{t: t, api: strings.TrimRight(api, "/"), smtpPort: p}
}

// mailpitMessage is a summary from mailpit's search.
type mailpitMessage struct {
	ID string `json:"ID"`
	To []struct {
		Address string `json:"Address"`
	} `json:"To"`
}

func (m *mailpit) get(path string) []byte {
	m.t.Helper()
	resp, err := http.Get(m.api + path)
	if err != nil {
		m.t.Fatalf("mailpit: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		m.t.Fatalf("mailpit GET %s: %d %v %s", path, resp.StatusCode, err, b)
	}
	return b
}

// search returns the messages to addresses containing query.
func (m *mailpit) search(query string) []mailpitMessage {
	m.t.Helper()
	var out struct {
		Messages []mailpitMessage `json:"messages"`
	}
	body := m.get("/api/v1/search?limit=500&query=" + url.QueryEscape("to:"+query))
	if err := json.Unmarshal(body, &out); err != nil {
		m.t.Fatalf("mailpit search: %v", err)
	}
	return out.Messages
}

// waitFor polls the search until it finds n messages.
func (m *mailpit) waitFor(query string, n int) []mailpitMessage {
	m.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs := m.search(query)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("mailpit has %d messages to %s after 30s, want %d", len(msgs), query, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// raw returns a message as received.
func (m *mailpit) raw(id string) []byte { return m.get("/api/v1/message/" + id + "/raw") }

// deleteTo removes this test's messages, found by their recipient domain.
func (m *mailpit) deleteTo(query string) {
	var ids []string
	for _, msg := range m.search(query) {
		ids = append(ids, msg.ID)
	}
	if len(ids) == 0 {
		return
	}
	body, _ := json.Marshal(map[string][]string{"IDs": ids})
	req, _ := http.NewRequest(http.MethodDelete, m.api+"/api/v1/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

// The whole path of engagement: a campaign is sent through mailpit; a
// reader opens a message taken from mailpit, follows its links and the
// pixel with a real HTTP client and unsubscribes with the List-Unsubscribe
// URL; the campaign report shows the opens, the clicks per link and the
// unsubscribe, and the next campaign skips the reader.
func TestEngagementThroughMailpit(t *testing.T) {
	mp := newMailpit(t)
	s := stacktest.New(t)
	domain := "trk-" + testenv.RandomSuffix() + ".example.net"
	t.Cleanup(func() { mp.deleteTo("@" + domain) })
	listID, _ := s.ImportList(stacktest.SubscribersCSV(2, domain))
	server := s.AddServer(mp.smtpPort, 0, 2)
	links := []string{"https://example.com/news?id=7&amp;ref=mail", "https://shop.example.org/café"}
	htmlBody := fmt.Sprintf(`<html><body><h1>News for {{ .Subscriber.Name }}</h1>
<p><a href="%s">Read the news</a> or <a href="%s">visit the shop</a>.</p>
<p><a href="{{ .UnsubscribeURL }}">Unsubscribe</a></p></body></html>`, links[0], links[1])
	id := createCampaign(s, listID, server, htmlBody, "News: https://example.com/news?id=7&ref=mail\n")
	s.Send(id)
	s.WaitStatus(id, "Done", 2*time.Minute)

	reader := "user0@" + domain
	var msg []byte
	for _, m := range mp.waitFor("@"+domain, 2) {
		if len(m.To) == 1 && m.To[0].Address == reader {
			msg = mp.raw(m.ID)
		}
	}
	if msg == nil {
		t.Fatalf("mailpit has no message to %s", reader)
	}
	m := parseSent(t, msg)
	pixels := withPrefix(attrValues(m.HTML, "img", "src"), s.PublicURL+tracking.OpenPath)
	tracked := withPrefix(attrValues(m.HTML, "a", "href"), s.PublicURL+tracking.ClickPath)
	unsubscribe := withPrefix(attrValues(m.HTML, "a", "href"), s.PublicURL+tracking.UnsubscribePath)
	if len(pixels) != 1 || len(tracked) != 2 || len(unsubscribe) != 1 {
		t.Fatalf("message has pixels %q, tracked links %q, unsubscribe links %q; want 1, 2, 1",
			pixels, tracked, unsubscribe)
	}
	lu := m.Header.Get("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<"+unsubscribe[0]+">") || m.Header.Get("List-Unsubscribe-Post") == "" {
		t.Errorf("List-Unsubscribe %q, want <%s> first, with List-Unsubscribe-Post", lu, unsubscribe[0])
	}

	// The reader opens the message twice and clicks each link once.
	waitHumanDelay(t, s, id, tracking.MinHumanDelay)
	v := visitor(s)
	for range 2 {
		if resp, body := fetch(t, v, "GET", pixels[0], browserAgent, nil); resp.StatusCode != http.StatusOK ||
			!bytes.Equal(body, tracking.PixelGIF) {
			t.Errorf("pixel: %d, %d bytes", resp.StatusCode, len(body))
		}
	}
	wantTargets := []string{"https://example.com/news?id=7&ref=mail", "https://shop.example.org/café"}
	wantLocation := []string{"https://example.com/news?id=7&ref=mail", "https://shop.example.org/caf%C3%A9"}
	for i, u := range tracked {
		resp, _ := fetch(t, v, "GET", u, browserAgent, nil)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != wantLocation[i] {
			t.Errorf("GET %s = %d %q, want 302 %q", u, resp.StatusCode, resp.Header.Get("Location"), wantLocation[i])
		}
	}
	// Then unsubscribes with the mail client's one-click button.
	lu = strings.TrimPrefix(lu, "<")
	oneClick := lu[:strings.IndexByte(lu, '>')]
	resp, _ := fetch(t, v, "POST", oneClick, "", strings.NewReader("List-Unsubscribe=One-Click"))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("one-click POST = %d, want 200", resp.StatusCode)
	}

	r := waitReport(t, s, id, func(r store.Report) bool {
		return r.Opens.Total >= 2 && r.Clicks.Total >= 2 && r.Unsubscribes >= 1
	})
	if r.Opens != (store.Engagement{Unique: 1, Total: 2}) {
		t.Errorf("opens = %+v, want 2 by one person", r.Opens)
	}
	if r.Clicks.Engagement != (store.Engagement{Unique: 1, Total: 2}) {
		t.Errorf("clicks = %+v, want 2 by one person", r.Clicks.Engagement)
	}
	perLink := map[string]store.LinkClicks{}
	for _, l := range r.Clicks.Links {
		perLink[l.URL] = l
	}
	for _, target := range wantTargets {
		if l := perLink[target]; l.Total != 1 || l.Unique != 1 {
			t.Errorf("link %s: %+v, want 1 click by 1 person (links %+v)", target, l, r.Clicks.Links)
		}
	}
	if r.Unsubscribes != 1 || len(r.Recent.Unsubscribes) != 1 || r.Recent.Unsubscribes[0].Email != reader {
		t.Errorf("unsubscribes = %d %+v, want 1 by %s", r.Unsubscribes, r.Recent.Unsubscribes, reader)
	}
	if st := subscriberStatus(t, s, reader); st != "unsubscribed" {
		t.Errorf("%s is %s, want unsubscribed", reader, st)
	}

	// The next campaign to the list skips the reader.
	next := createCampaign(s, listID, server, htmlBody, "News\n")
	s.Send(next)
	c := s.WaitStatus(next, "Done", 2*time.Minute)
	if c.Counts.Skipped != 1 || c.Counts.Delivered != 1 {
		t.Errorf("second campaign counts %+v, want 1 delivered, 1 skipped", c.Counts)
	}
	mp.waitFor("user1@"+domain, 2)
	if n := len(mp.search(reader)); n != 1 {
		t.Errorf("mailpit holds %d messages to %s, want only the first campaign's", n, reader)
	}
}
