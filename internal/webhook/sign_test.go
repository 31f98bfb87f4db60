package webhook

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignKnownVector(t *testing.T) {
	// printf '%s' '1700000000.{"id":"ev_1","type":"opened"}' |
	//   openssl dgst -sha256 -hmac whsec_test_0123456789
	const want = "v1=2b1d3784700ce6698632a9909a9a1bb2bb3e68e342930e551a1179b9f2a2cca3"
	got := Sign("whsec_test_0123456789", 1700000000, []byte(`{"id":"ev_1","type":"opened"}`))
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	const secret = "whsec_test_0123456789"
	body := []byte(`{"id":"ev_1","type":"opened","data":{}}`)
	now := time.Unix(1700000000, 0)
	ts := "1700000000"
	sig := Sign(secret, now.Unix(), body)
	tests := []struct {
		name      string
		secret    string
		body      string
		ts, sig   string
		tolerance time.Duration
		want      error
	}{
		{"valid", secret, string(body), ts, sig, 5 * time.Minute, nil},
		{"several signatures, one valid", secret, string(body), ts, "v1=00ff, " + sig, 5 * time.Minute, nil},
		{"tampered body", secret, strings.Replace(string(body), "opened", "clicked", 1), ts, sig, 0, ErrBadSignature},
		{"wrong secret", "whsec_other_0123456789", string(body), ts, sig, 0, ErrBadSignature},
		{"timestamp not covered", secret, string(body), "1700000001", sig, 0, ErrBadSignature},
		{"unknown version", secret, string(body), ts, strings.Replace(sig, "v1=", "v0=", 1), 0, ErrBadSignature},
		{"not hex", secret, string(body), ts, "v1=zz", 0, ErrBadSignature},
		{"stale", secret, string(body), "1699999000", Sign(secret, 1699999000, body), 5 * time.Minute, ErrStale},
		{"stale but no tolerance", secret, string(body), "1699999000", Sign(secret, 1699999000, body), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, []byte(tt.body), tt.ts, tt.sig, now, tt.tolerance)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if err := Verify(secret, body, "yesterday", sig, now, 0); err == nil {
		t.Error("Verify accepted a timestamp that is not a number")
	}
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSecret()
	if !strings.HasPrefix(a, "whsec_") || len(a) != len("whsec_")+64 || a == b {
		t.Errorf("NewSecret = %q then %q, want two different whsec_ + 64 hex digits", a, b)
	}
}

func TestEventBody(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	ev := Event{ID: "ev_7", Type: EventClicked, CreatedAt: at, Data: json.RawMessage(`{"url":"https://example.com/a"}`)}
	body, err := ev.Body()
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"ev_7","type":"clicked","created_at":"2026-03-01T11:30:00Z",` +
		`"data":{"url":"https://example.com/a"}}`
	if string(body) != want {
		t.Errorf("body = %s\nwant   %s", body, want)
	}
}
