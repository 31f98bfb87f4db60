package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
	"github.com/pacer-email/pacer/internal/tracking"
)

// readCase reads an input of the tracking cases, kept with the tracking
// package's tests.
func readCase(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../tracking/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// D01 and D02: a campaign sent through the whole stack has exactly its web
// links tracked; each tracking URL, followed with a real HTTP client,
// answers 302 to that exact target and records one click.
func TestClickTrackingD01D02(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	d01, d02 := readCase(t, "d01.html"), readCase(t, "d02.html")
	listID, _ := s.ImportList("email,name\nreader@d01.example.com,Reader\n")
	text := "Confirm: https://example.com/confirm?id=42\n" +
		"Write to mailto:help@news.example.org or call tel:+15555550100\n"
	id := createCampaign(s, listID, s.AddServer(sink.Port, 0, 2), d01+d02, text)
	s.Send(id)
	s.WaitStatus(id, "Done", 2*time.Minute)
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages sent, want 1", len(msgs))
	}
	m := parseSent(t, msgs[0].Data)
	tracker, err := tracking.New(s.Signer, s.PublicURL)
	if err != nil {
		t.Fatal(err)
	}

	// Exactly the five web links are tracked, and their stored targets are
	// exact: entities decoded once, escapes and non-ASCII as written.
	clickPrefix := s.PublicURL + tracking.ClickPath
	tracked := withPrefix(attrValues(m.HTML, "a", "href"), clickPrefix)
	wantTargets := []string{
		"https://shop.example.com/search?fulltext=campus&f[0]=themes:2&f[1]=themes:1706",
		"https://docs.example.com/sites/Team/Shared%20Documents/Plan%20Q3.docx?d=w1a2b&csf=1&web=1",
		"https://example.com/café/menü?x=1&y=ä",
		"https://example.com/confirm?id=42",
		"https://www.example.com/offer",
	}
	var targets []string
	for _, u := range tracked {
		c, ok := tracker.ParseClick(strings.TrimPrefix(u, clickPrefix))
		if !ok {
			t.Fatalf("tracking URL %q does not verify", u)
		}
		targets = append(targets, c.Target)
	}
	if !slices.Equal(targets, wantTargets) {
		t.Errorf("tracked targets:\n got %q\nwant %q", targets, wantTargets)
	}
	// D02: every other link is byte-identical and carries no marker.
	for _, keep := range []string{
		`<a href="mailto:help@news.example.org?subject=Question%20about%20my%20order&amp;body=Hi%2C">Email us</a>`,
		`<a href="tel:+15555550100">Call</a>`, `<a href="sms:+15555550100">Text</a>`,
		`<a href="#top">Back to top</a>`, `<img src="cid:logo@news.example.org" alt="logo">`,
		`style="color:#222" target="_blank"`,
	} {
		if !strings.Contains(m.HTML, keep) {
			t.Errorf("sent HTML lost %s", keep)
		}
	}
	if n := strings.Count(m.HTML, tracking.ClickPath); n != len(wantTargets) {
		t.Errorf("sent HTML has %d click markers, want %d", n, len(wantTargets))
	}
	for _, keep := range []string{"mailto:help@news.example.org", "tel:+15555550100"} {
		if !strings.Contains(m.Text, keep) {
			t.Errorf("sent text lost %s:\n%s", keep, m.Text)
		}
	}
	if n := strings.Count(m.Text, tracking.ClickPath); n != 1 {
		t.Errorf("sent text has %d click markers, want 1 (the confirm link):\n%s", n, m.Text)
	}

	// A click right after delivery is a gateway's check, not a person's.
	v := visitor(s)
	var doneAt time.Time
	if err := s.DB.Pool().QueryRow(t.Context(), "SELECT done_at FROM sends WHERE campaign_id = $1", id).
		Scan(&doneAt); err != nil {
		t.Fatal(err)
	}
	wantMachine := int64(0)
	if time.Since(doneAt) < tracking.MinHumanDelay-time.Second {
		wantMachine = 1
		fetch(t, v, "GET", tracked[3], browserAgent, nil)
	}

	waitHumanDelay(t, s, id, tracking.MinHumanDelay)
	wantLocation := []string{
		"https://shop.example.com/search?fulltext=campus&f[0]=themes:2&f[1]=themes:1706",
		"https://docs.example.com/sites/Team/Shared%20Documents/Plan%20Q3.docx?d=w1a2b&csf=1&web=1",
		"https://example.com/caf%C3%A9/men%C3%BC?x=1&y=%C3%A4",
		"https://example.com/confirm?id=42",
		"https://www.example.com/offer",
	}
	for i, u := range tracked {
		resp, _ := fetch(t, v, "GET", u, browserAgent, nil)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != wantLocation[i] {
			t.Errorf("GET %s = %d %q, want 302 %q", u, resp.StatusCode, resp.Header.Get("Location"), wantLocation[i])
		}
	}

	// Forged and altered tokens are not redirected anywhere.
	forged := s.PublicURL + tracking.ClickPath + fmt.Sprintf("%d.1.sZXZpbC5leGFtcGxlLw.aaaaaaaaaaaaaaaa", id)
	altered := tracked[4][:len(tracked[4])-1] + flip(tracked[4][len(tracked[4])-1])
	retargeted := strings.Replace(tracked[4], ".s", ".h", 1)
	for _, u := range []string{forged, altered, retargeted} {
		resp, _ := fetch(t, v, "GET", u, browserAgent, nil)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" {
			t.Errorf("GET %s = %d %q, want 404 and no Location", u, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	r := waitReport(t, s, id, func(r store.Report) bool {
		return r.Clicks.Total+r.Clicks.Machine >= int64(len(wantTargets))+wantMachine
	})
	if r.Clicks.Total != int64(len(wantTargets)) || r.Clicks.Unique != 1 || r.Clicks.Machine != wantMachine {
		t.Errorf("clicks = %+v, want %d by one person and %d machine",
			r.Clicks.Engagement, len(wantTargets), wantMachine)
	}
	perLink := map[string]int64{}
	for _, l := range r.Clicks.Links {
		perLink[l.URL] = l.Total
	}
	for _, target := range wantTargets {
		if perLink[target] != 1 {
			t.Errorf("report counts %d clicks of %s, want 1 (links: %+v)", perLink[target], target, r.Clicks.Links)
		}
	}
}

// flip changes a token character to another valid one.
func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

// D04: every message carries List-Unsubscribe with an https URL and a
// mailto address, and List-Unsubscribe-Post; a GET of the URL changes
// nothing; a POST without cookies or CSRF token unsubscribes at once and
// answers 2xx, again and again, with one unsubscribe event; the next
// campaign skips the subscriber.
func TestOneClickUnsubscribeD04(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(3, "d04.example.com"))
	server := s.AddServer(sink.Port, 0, 2)
	id := s.CreateCampaign(listID, []int64{server}, 100)
	s.Send(id)
	s.WaitStatus(id, "Done", 2*time.Minute)

	tracker, err := tracking.New(s.Signer, s.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	urls := map[string]string{}
	for _, msg := range sink.Messages() {
		m := parseSent(t, msg.Data)
		lu, post := m.Header.Get("List-Unsubscribe"), m.Header.Get("List-Unsubscribe-Post")
		if post != "List-Unsubscribe=One-Click" {
			t.Errorf("message to %s: List-Unsubscribe-Post %q", msg.To, post)
		}
		u, rest, _ := strings.Cut(strings.TrimPrefix(lu, "<"), ">")
		if !strings.HasPrefix(u, s.PublicURL+tracking.UnsubscribePath) ||
			!strings.HasPrefix(rest, ", <mailto:unsubscribe+") {
			t.Fatalf("message to %s: List-Unsubscribe %q, want <%s/u/...>, <mailto:...>", msg.To, lu, s.PublicURL)
		}
		if _, ok := tracker.ParseUnsubscribe(strings.TrimPrefix(u, s.PublicURL+tracking.UnsubscribePath)); !ok {
			t.Errorf("message to %s: unsubscribe URL %q does not verify", msg.To, u)
		}
		urls[msg.To] = u
	}
	const who = "user1@d04.example.com"
	u := urls[who]
	if len(urls) != 3 || u == "" {
		t.Fatalf("unsubscribe URLs %v, want one per recipient", urls)
	}
	v := visitor(s)

	// A GET, as a link scanner sends, shows the button and changes nothing.
	resp, body := fetch(t, v, "GET", u, browserAgent, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`<form method="post">`)) ||
		!bytes.Contains(body, []byte(`<button type="submit">Unsubscribe</button>`)) {
		t.Errorf("GET %s = %d\n%s\nwant 200 with the unsubscribe button", u, resp.StatusCode, body)
	}
	if st := subscriberStatus(t, s, who); st != "active" {
		t.Fatalf("after GET the subscriber is %s, want active", st)
	}
	// A forged or altered token changes nothing.
	for _, bad := range []string{u[:len(u)-1] + flip(u[len(u)-1]), s.PublicURL + "/u/1.1.aaaaaaaaaaaaaaaa"} {
		resp, _ := fetch(t, v, "POST", bad, "", strings.NewReader("List-Unsubscribe=One-Click"))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 404", bad, resp.StatusCode)
		}
	}
	if st := subscriberStatus(t, s, who); st != "active" {
		t.Fatalf("after a forged POST the subscriber is %s, want active", st)
	}

	// The provider's one-click POST: no cookie, no CSRF token, no User-Agent.
	resp, _ = fetch(t, v, "POST", u, "", strings.NewReader("List-Unsubscribe=One-Click"))
	if resp.StatusCode/100 != 2 {
		t.Errorf("one-click POST = %d, want 2xx", resp.StatusCode)
	}
	if st := subscriberStatus(t, s, who); st != "unsubscribed" {
		t.Errorf("right after the POST the subscriber is %s, want unsubscribed", st)
	}
	for _, again := range []string{"List-Unsubscribe=One-Click", ""} {
		resp, _ := fetch(t, v, "POST", u, browserAgent, strings.NewReader(again))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("repeated POST = %d, want 200", resp.StatusCode)
		}
	}
	r := waitReport(t, s, id, func(r store.Report) bool { return r.Unsubscribes > 0 })
	if r.Unsubscribes != 1 || len(r.Recent.Unsubscribes) != 1 || r.Recent.Unsubscribes[0].Email != who {
		t.Errorf("report unsubscribes = %d %+v, want 1 for %s", r.Unsubscribes, r.Recent.Unsubscribes, who)
	}
	if n := countEvents(t, s, id, store.EventUnsubscribe); n != 1 {
		t.Errorf("%d unsubscribe events after three POSTs, want 1", n)
	}
	for _, other := range []string{"user0@d04.example.com", "user2@d04.example.com"} {
		if st := subscriberStatus(t, s, other); st != "active" {
			t.Errorf("%s is %s, want active", other, st)
		}
	}

	// The next campaign to the list skips the unsubscribed subscriber.
	next := s.CreateCampaign(listID, []int64{server}, 100)
	s.Send(next)
	c := s.WaitStatus(next, "Done", 2*time.Minute)
	if c.Counts.Skipped != 1 || c.Counts.Delivered != 2 {
		t.Errorf("second campaign counts %+v, want 2 delivered and 1 skipped", c.Counts)
	}
	if got := sink.CountByRecipient(); got[who] != 1 || got["user0@d04.example.com"] != 2 {
		t.Errorf("messages per recipient %v, want 1 for %s and 2 for the others", got, who)
	}
}

// The pixel answers a GIF that no cache keeps, for any token; only a
// genuine one records an open.
func TestOpenPixel(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList(stacktest.SubscribersCSV(1, "pixel.example.com"))
	id := s.CreateCampaign(listID, []int64{s.AddServer(sink.Port, 0, 1)}, 100)
	s.Send(id)
	s.WaitStatus(id, "Done", 2*time.Minute)
	m := parseSent(t, sink.Messages()[0].Data)
	pixels := withPrefix(attrValues(m.HTML, "img", "src"), s.PublicURL+tracking.OpenPath)
	if len(pixels) != 1 || !strings.HasSuffix(pixels[0], ".gif") {
		t.Fatalf("open pixels %q, want one .gif under %s", pixels, s.PublicURL+tracking.OpenPath)
	}
	waitHumanDelay(t, s, id, tracking.MinHumanDelay)
	v := visitor(s)
	forged := s.PublicURL + tracking.OpenPath + fmt.Sprintf("%d.1.aaaaaaaaaaaaaaaa.gif", id)
	agents := []string{browserAgent, browserAgent, "curl/8.5.0",
		"Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"}
	for i, agent := range append(agents, browserAgent) {
		u := pixels[0]
		if i == len(agents) {
			u = forged
		}
		resp, body := fetch(t, v, "GET", u, agent, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/gif" ||
			!bytes.Equal(body, tracking.PixelGIF) {
			t.Errorf("GET %s = %d %s, %d bytes; want 200 image/gif, the pixel", u, resp.StatusCode,
				resp.Header.Get("Content-Type"), len(body))
		}
		cc := resp.Header.Get("Cache-Control")
		if !strings.Contains(cc, "no-store") || !strings.Contains(cc, "no-cache") {
			t.Errorf("Cache-Control %q, want no-store and no-cache", cc)
		}
	}
	r := waitReport(t, s, id, func(r store.Report) bool { return r.Opens.Total+r.Opens.Machine >= 4 })
	// The Gmail proxy's fetch is counted as an open; curl's is not.
	if r.Opens != (store.Engagement{Unique: 1, Total: 3, Machine: 1}) {
		t.Errorf("opens = %+v, want 3 by one person and 1 machine", r.Opens)
	}
	var proxied int
	if err := s.DB.Pool().QueryRow(t.Context(), `SELECT count(*) FROM events
		WHERE campaign_id = $1 AND kind = 'open' AND (detail->>'proxy')::bool AND NOT machine`, id).
		Scan(&proxied); err != nil {
		t.Fatal(err)
	}
	if proxied != 1 {
		t.Errorf("%d opens flagged as proxied, want 1", proxied)
	}
	if n := countEvents(t, s, id, store.EventOpen); n != 4 {
		t.Errorf("%d open events, want 4 (the forged token records none)", n)
	}
}
