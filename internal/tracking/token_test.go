package tracking

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pacer-email/pacer/internal/mailid"
)

func clickToken(t *testing.T, tr *Tracker, m Message, target string) string {
	t.Helper()
	u := tr.ClickURL(m, target)
	token, ok := strings.CutPrefix(u, testBase+ClickPath)
	if !ok {
		t.Fatalf("ClickURL = %q, want it under %s", u, testBase+ClickPath)
	}
	return token
}

func TestClickTokenRoundTrip(t *testing.T) {
	tr := newTestTracker(t)
	links := NewLinks([]string{"https://example.com/a", "https://example.com/b"})
	tests := []struct {
		target string
		links  *Links
		index  int
	}{
		{"https://example.com/b", links, 1},
		{"https://example.com/c", links, -1},
		{"http://example.com/ä?x=1&y=%20#frag", nil, -1},
		{"HTTPS://EXAMPLE.COM/", nil, -1},
	}
	for _, tt := range tests {
		token := clickToken(t, tr, Message{ID: testID, Links: tt.links}, tt.target)
		click, ok := tr.ParseClick(token)
		if !ok || click.ID != testID || click.Link != tt.index {
			t.Fatalf("ParseClick(%q) = %+v, %v", token, click, ok)
		}
		if tt.index < 0 && click.Target != tt.target {
			t.Errorf("target = %q, want %q", click.Target, tt.target)
		}
		if again, ok := tr.ParseClick(token + "."); !ok || again != click {
			t.Errorf("ParseClick(%q) with a trailing dot = %+v, %v", token, again, ok)
		}
		if strings.Contains(token, "aHR0c") {
			t.Errorf("token %q shows base64 of http", token)
		}
	}
}

func TestForgedClickTokensAreRejected(t *testing.T) {
	tr := newTestTracker(t)
	links := NewLinks([]string{"https://example.com/a", "https://example.com/b"})
	indexed := clickToken(t, tr, Message{ID: testID, Links: links}, "https://example.com/a")
	inlined := clickToken(t, tr, Message{ID: testID}, "https://example.com/a")

	other, err := mailid.NewSigner([]byte("another key of 20 bytes"))
	if err != nil {
		t.Fatal(err)
	}
	otherTracker, err := New(other, testBase)
	if err != nil {
		t.Fatal(err)
	}
	forged := []string{
		"", ".", "...", "12.345", "12.345.0", indexed + ".x", "12.345.0.",
		strings.Replace(indexed, "12.345.0.", "12.345.1.", 1),  // another link
		strings.Replace(indexed, "12.345.", "12.346.", 1),      // another subscriber
		strings.Replace(indexed, "12.345.", "13.345.", 1),      // another campaign
		strings.Replace(indexed, "12.345.0.", "12.345.00.", 1), // same number, other text
		strings.Replace(inlined, ".s", ".h", 1),                // http instead of https
		strings.Replace(inlined, ".s", ".u", 1),
		tr.signer.Token(testID), // a message token is not a click token
		clickToken(t, otherTracker, Message{ID: testID}, "https://example.com/a"),
	}
	for _, token := range []string{indexed, inlined} {
		for i := range len(token) {
			b := []byte(token)
			b[i] ^= 0x01 // flips a digit to a digit, a letter to another letter
			forged = append(forged, string(b), token[:i])
		}
	}
	for _, token := range forged {
		if click, ok := tr.ParseClick(token); ok {
			t.Errorf("ParseClick(%q) accepted a forged token: %+v", token, click)
		}
	}
}

func TestOpenAndUnsubscribeURLs(t *testing.T) {
	tr := newTestTracker(t)
	open := tr.OpenURL(testID)
	segment, ok := strings.CutPrefix(open, testBase+OpenPath)
	if !ok || !strings.HasSuffix(segment, ".gif") {
		t.Fatalf("OpenURL = %q", open)
	}
	if id, ok := tr.ParseOpen(segment); !ok || id != testID {
		t.Errorf("ParseOpen(%q) = %+v, %v", segment, id, ok)
	}
	unsub := tr.UnsubscribeURL(testID)
	token, ok := strings.CutPrefix(unsub, testBase+UnsubscribePath)
	if !ok {
		t.Fatalf("UnsubscribeURL = %q", unsub)
	}
	if id, ok := tr.ParseUnsubscribe(token); !ok || id != testID {
		t.Errorf("ParseUnsubscribe(%q) = %+v, %v", token, id, ok)
	}
	if _, ok := tr.ParseOpen(strings.Replace(segment, "345", "346", 1)); ok {
		t.Error("ParseOpen accepted an altered token")
	}
}

func TestNewRejectsBadBaseURLs(t *testing.T) {
	s, _ := mailid.NewSigner([]byte("0123456789abcdef"))
	for _, base := range []string{"", "news.example.org", "ftp://news.example.org",
		"https://news.example.org/?a=b", "https://news.example.org/#x", "https://u:p@news.example.org",
		`https://news.example.org/a"b`, "https://news.example.org/a&b"} {
		if _, err := New(s, base); err == nil {
			t.Errorf("New(%q) succeeded", base)
		}
	}
	if _, err := New(s, "https://news.example.org:8443/pacer/"); err != nil {
		t.Errorf("New with a port and path: %v", err)
	}
}

func TestLinkCache(t *testing.T) {
	tr := newTestTracker(t)
	stored := []string{"https://example.com/a"}
	loads := 0
	cache := NewLinkCache(func(_ context.Context, campaign int64) ([]string, error) {
		loads++
		if campaign != testID.CampaignID {
			return nil, errors.New("no such campaign")
		}
		return stored, nil
	})
	resolve := func(target string, links *Links) (string, error) {
		click, ok := tr.ParseClick(clickToken(t, tr, Message{ID: testID, Links: links}, target))
		if !ok {
			t.Fatal("ParseClick failed")
		}
		return cache.Target(context.Background(), click)
	}

	for range 3 {
		if got, err := resolve("https://example.com/a", NewLinks(stored)); err != nil || got != stored[0] {
			t.Fatalf("Target = %q, %v", got, err)
		}
	}
	if loads != 1 {
		t.Errorf("loaded %d times, want once", loads)
	}

	// The list grew after it was cached.
	stored = append(stored, "https://example.com/b")
	if got, err := resolve("https://example.com/b", NewLinks(stored)); err != nil || got != stored[1] {
		t.Errorf("Target after growth = %q, %v", got, err)
	}

	// An inline token needs no list.
	if got, err := resolve("https://example.com/z", nil); err != nil || got != "https://example.com/z" || loads != 2 {
		t.Errorf("inline Target = %q, %v after %d loads", got, err, loads)
	}

	_, err := cache.Target(context.Background(), Click{ID: testID, Link: 7})
	if !errors.Is(err, ErrUnknownLink) {
		t.Errorf("unknown index: err = %v, want ErrUnknownLink", err)
	}
}

// redirect handles a click as the server does: 404 for anything not signed,
// otherwise 302 to the exact target.
func redirect(tr *Tracker, cache *LinkCache) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		click, ok := tr.ParseClick(strings.TrimPrefix(r.URL.Path, ClickPath))
		if !ok {
			http.NotFound(w, r)
			return
		}
		target, err := cache.Target(r.Context(), click)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Location", LocationHeader(target))
		w.WriteHeader(http.StatusFound)
	})
}

// Following each tracking URL redirects to that exact target.
func TestRedirectToExactTarget(t *testing.T) {
	tr := newTestTracker(t)
	in := readCase(t, "d01.html")
	stored := tr.CollectLinks(in, "", "")
	cache := NewLinkCache(func(context.Context, int64) ([]string, error) { return stored, nil })
	wantLocation := []string{
		"https://shop.example.com/search?fulltext=campus&f[0]=themes:2&f[1]=themes:1706",
		"https://docs.example.com/sites/Team/Shared%20Documents/Plan%20Q3.docx?d=w1a2b&csf=1&web=1",
		"https://example.com/caf%C3%A9/men%C3%BC?x=1&y=%C3%A4",
		"https://example.com/confirm?id=42",
	}
	for _, links := range []*Links{nil, NewLinks(stored)} {
		for i, target := range d01Targets {
			rec := httptest.NewRecorder()
			u := tr.ClickURL(Message{ID: testID, Links: links}, target)
			redirect(tr, cache).ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
			loc := rec.Header().Get("Location")
			if rec.Code != http.StatusFound || loc != wantLocation[i] {
				t.Errorf("GET %s = %d %q, want 302 %q", u, rec.Code, loc, wantLocation[i])
			}
			if parsed, err := url.Parse(loc); err != nil || parsed.String() != loc {
				t.Errorf("Location %q does not survive url.Parse: %v", loc, err)
			}
		}
	}
	rec := httptest.NewRecorder()
	forged := testBase + "/t/c/12.345.uZXZpbC5leGFtcGxl.aaaaaaaaaaaaaaaa"
	redirect(tr, cache).ServeHTTP(rec, httptest.NewRequest("GET", forged, nil))
	if rec.Code != http.StatusNotFound || rec.Header().Get("Location") != "" {
		t.Errorf("forged token: %d %q, want 404", rec.Code, rec.Header().Get("Location"))
	}
}
