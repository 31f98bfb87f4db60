package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener counts the connections a test server accepts.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

func newCountingServer(t *testing.T, h http.Handler) (*httptest.Server, *countingListener) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	l := &countingListener{Listener: srv.Listener}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, l
}

var testEvent = Event{ID: "ev_42", Type: EventOpened, CreatedAt: time.Unix(1700000000, 0),
	Data: json.RawMessage(`{"campaign_id":1,"subscriber_id":2,"email":"a@example.com"}`)}

func TestClientRefusesInternalAddresses(t *testing.T) {
	var hits atomic.Int64
	srv, l := newCountingServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c := NewClient(ClientConfig{Timeout: 3 * time.Second})
	urls := []string{
		srv.URL,
		"http://localhost:" + strconv.Itoa(port) + "/hook",
		// Nothing listens there. The dialer rejects the address before
		// connect(2), so no packet leaves and Send returns at once.
		"http://10.0.0.1:9/hook",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:127.0.0.1]:" + strconv.Itoa(port) + "/",
	}
	for _, u := range urls {
		start := time.Now()
		_, err := c.Send(context.Background(), u, "whsec_test_0123456789", testEvent)
		var forbidden *ForbiddenError
		if !errors.As(err, &forbidden) {
			t.Errorf("Send(%s) = %v, want a ForbiddenError", u, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Send(%s) took %s: it tried to connect", u, d)
		}
	}
	if n := l.accepted.Load(); n != 0 || hits.Load() != 0 {
		t.Errorf("the loopback server accepted %d connections and %d requests, want none", n, hits.Load())
	}
}

func TestClientSendsSignedRequest(t *testing.T) {
	const secret = "whsec_test_0123456789"
	var got *http.Request
	var body []byte
	srv, _ := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
		w.WriteHeader(http.StatusAccepted)
	}))
	c := NewClient(ClientConfig{AllowPrivate: true})
	resp, err := c.Send(context.Background(), srv.URL+"/hook", secret, testEvent)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Send = %+v, %v; want 202", resp, err)
	}
	want, _ := testEvent.Body()
	if string(body) != string(want) {
		t.Errorf("body = %s, want %s", body, want)
	}
	for h, v := range map[string]string{
		"Content-Type": "application/json", HeaderEventID: "ev_42", HeaderEventType: EventOpened,
	} {
		if got.Header.Get(h) != v {
			t.Errorf("%s = %q, want %q", h, got.Header.Get(h), v)
		}
	}
	ts := got.Header.Get(HeaderTimestamp)
	if err := Verify(secret, body, ts, got.Header.Get(HeaderSignature), time.Now(), time.Minute); err != nil {
		t.Errorf("the receiver cannot verify the request: %v (timestamp %s, signature %s)",
			err, ts, got.Header.Get(HeaderSignature))
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Bool
	srv, _ := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(true)
			return
		}
		w.Header().Set("Location", "/elsewhere")
		w.WriteHeader(http.StatusTemporaryRedirect)
		_, _ = w.Write([]byte(strings.Repeat("moved ", 100)))
	}))
	c := NewClient(ClientConfig{AllowPrivate: true})
	resp, err := c.Send(context.Background(), srv.URL, "whsec_test_0123456789", testEvent)
	if err != nil || resp.StatusCode != http.StatusTemporaryRedirect || followed.Load() {
		t.Errorf("Send = %d, %v, followed %v; want the 307 itself", resp.StatusCode, err, followed.Load())
	}
	if len(resp.Body) > maxBodySnippet {
		t.Errorf("kept %d bytes of the body, want at most %d", len(resp.Body), maxBodySnippet)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
