package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/events"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/tracking"
)

func TestClassifyHit(t *testing.T) {
	const browser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 " +
		"(KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	const gmail = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
	tests := []struct {
		kind, agent, ip string
		machine, proxy  bool
		reason          string
	}{
		{store.EventOpen, browser, "192.0.2.1", false, false, ""},
		{store.EventClick, browser, "192.0.2.1", false, false, ""},
		{store.EventOpen, gmail, "192.0.2.1", false, true, "proxy: Gmail image proxy"},
		{store.EventOpen, "Mozilla/5.0", "", false, true, "proxy: Apple Mail Privacy Protection"},
		{store.EventOpen, browser, "66.249.80.1", false, true, "proxy: Google network"},
		{store.EventClick, gmail, "", true, false, "proxy: Gmail image proxy"},
		{store.EventClick, "Mozilla/5.0 (compatible; SafeLinks)", "", true, false, "scanner: Microsoft Safe Links"},
		{store.EventOpen, "curl/8.5.0", "", true, false, "tool: curl"},
		{store.EventClick, "", "", true, false, tracking.ReasonNoAgent},
	}
	for _, tt := range tests {
		machine, detail := classifyHit(tt.kind, tt.agent, tt.ip)
		reason, _ := detail[events.DetailAgent].(string)
		proxy, _ := detail[events.DetailProxy].(bool)
		if machine != tt.machine || reason != tt.reason || proxy != tt.proxy {
			t.Errorf("%s by %q from %q: machine %v, reason %q, proxy %v; want %v, %q, %v", tt.kind, tt.agent,
				tt.ip, machine, reason, proxy, tt.machine, tt.reason, tt.proxy)
		}
	}
}

// eventSink is an events.Store that keeps what it is given.
type eventSink struct {
	mu     sync.Mutex
	events []store.Event
}

func (e *eventSink) AddEvents(_ context.Context, evs []store.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, evs...)
	return nil
}

func (e *eventSink) DoneAt(context.Context, []store.SendKey) (map[store.SendKey]time.Time, error) {
	return nil, nil
}

// recorded flushes w and returns the events written so far.
func (e *eventSink) recorded(t *testing.T, w *events.Writer) []store.Event {
	t.Helper()
	if err := w.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]store.Event(nil), e.events...)
}

// trackingServer serves the routes without a database, so a handler that
// reached for it would fail, with events going to sink.
func trackingServer(t *testing.T) (http.Handler, *mailid.Signer, *eventSink, *events.Writer) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	signer, err := mailid.NewSigner([]byte("tracking-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	sink := &eventSink{}
	w := events.NewWriter(sink, nil, events.Config{})
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	s := &Server{Signer: signer, Log: zap.NewNop(), Events: w}
	return s.Handler(), signer, sink, w
}

func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestForgedTokensGetNoRedirectAndNoEvent(t *testing.T) {
	h, _, sink, w := trackingServer(t)
	for _, path := range []string{
		"/t/c/12.345.sZXZpbC5leGFtcGxlLw.aaaaaaaaaaaaaaaa", // https://evil.example/
		"/t/c/12.345.0.aaaaaaaaaaaaaaaa",
		"/t/c/not-a-token",
	} {
		rec := serve(h, "GET", path)
		if rec.Code != http.StatusNotFound || rec.Header().Get("Location") != "" {
			t.Errorf("GET %s = %d, Location %q; want 404 without Location",
				path, rec.Code, rec.Header().Get("Location"))
		}
	}
	for _, method := range []string{"GET", "POST"} {
		if rec := serve(h, method, "/u/12.345.aaaaaaaaaaaaaaaa"); rec.Code != http.StatusNotFound {
			t.Errorf("%s of a forged unsubscribe token = %d, want 404", method, rec.Code)
		}
	}
	// A forged pixel still gets the image, so no message shows a broken one.
	rec := serve(h, "GET", "/t/o/12.345.aaaaaaaaaaaaaaaa.gif")
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), tracking.PixelGIF) {
		t.Errorf("forged pixel = %d, %d bytes; want 200 and the GIF", rec.Code, rec.Body.Len())
	}
	if got := sink.recorded(t, w); len(got) != 0 {
		t.Errorf("forged tokens recorded %+v", got)
	}
}

func TestUnsubscribePageChangesNothing(t *testing.T) {
	h, signer, sink, w := trackingServer(t)
	token := signer.Token(mailid.ID{CampaignID: 12, SubscriberID: 345})
	rec := serve(h, "GET", "/u/"+token)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `<form method="post">`) ||
		!strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "<h1>") {
		t.Errorf("GET /u/<token> = %d:\n%s\nwant 200 with a heading and a POST form", rec.Code, body)
	}
	for _, header := range []string{"Content-Security-Policy", "Referrer-Policy", "Cache-Control"} {
		if rec.Header().Get(header) == "" {
			t.Errorf("page lacks %s", header)
		}
	}
	if got := sink.recorded(t, w); len(got) != 0 {
		t.Errorf("GET of the unsubscribe page recorded %+v", got)
	}
}

func TestHeadRequestsRecordNothing(t *testing.T) {
	h, signer, sink, w := trackingServer(t)
	tr, err := tracking.New(signer, "http://localhost")
	if err != nil {
		t.Fatal(err)
	}
	id := mailid.ID{CampaignID: 12, SubscriberID: 345}
	click := strings.TrimPrefix(tr.ClickURL(tracking.Message{ID: id}, "https://example.com/a"), "http://localhost")
	rec := serve(h, "HEAD", click)
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "https://example.com/a" {
		t.Errorf("HEAD %s = %d %q, want 302 to the target", click, rec.Code, rec.Header().Get("Location"))
	}
	open := strings.TrimPrefix(tr.OpenURL(id), "http://localhost")
	if rec := serve(h, "HEAD", open); rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/gif" {
		t.Errorf("HEAD %s = %d %s, want 200 image/gif", open, rec.Code, rec.Header().Get("Content-Type"))
	}
	if got := sink.recorded(t, w); len(got) != 0 {
		t.Errorf("HEAD requests recorded %+v", got)
	}

	// The same URLs with GET record a click and an open, with the time of
	// the request and the click's exact target.
	before := time.Now()
	serve(h, "GET", click)
	serve(h, "GET", open)
	got := sink.recorded(t, w)
	if len(got) != 2 || got[0].Kind != store.EventClick || got[0].Detail["url"] != "https://example.com/a" ||
		got[1].Kind != store.EventOpen || got[0].CampaignID != 12 || got[1].SubscriberID != 345 ||
		got[0].CreatedAt.Before(before) {
		t.Errorf("GET recorded %+v, want a click of https://example.com/a and an open", got)
	}
}
