package bounce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTooLarge(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 11<<20) // 11 MiB
	if _, err := Parse(big, "", Options{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse: err = %v, want ErrTooLarge", err)
	}
	if _, err := ParseReader(bytes.NewReader(big), "", Options{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ParseReader: err = %v, want ErrTooLarge", err)
	}
	// Exactly at a custom limit is accepted, one byte more is not.
	raw := readFixture(t, "cases/A01.eml")
	opts := Options{MaxBytes: int64(len(raw))}
	if _, err := ParseReader(bytes.NewReader(raw), "", opts); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	opts.MaxBytes--
	if _, err := Parse(raw, "", opts); !errors.Is(err, ErrTooLarge) {
		t.Errorf("past the limit: err = %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestParseReaderPassesReadErrors(t *testing.T) {
	_, err := ParseReader(io.MultiReader(strings.NewReader("Subject: x\n"), failingReader{}), "", Options{})
	if err == nil || errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want the reader's error", err)
	}
}

func TestParseReaderMatchesParse(t *testing.T) {
	raw := readFixture(t, "cases/A01.eml")
	r, err := ParseReader(bytes.NewReader(raw), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, ReportDSN, wantVerdict{kind: Hard, recipient: "alice@example.com"}, wantVerdict{kind: Soft, recipient: "bob@example.com"})
}

// deepMultipart nests n multipart/mixed entities.
func deepMultipart(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: MAILER-DAEMON@x.example\nSubject: bomb\n")
	for i := range n {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\n\n<a@example.com>: 550 5.1.1 user unknown\n")
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\n", i)
	}
	return b.Bytes()
}

// deepRFC822 nests n message/rfc822 entities.
func deepRFC822(n int) []byte {
	var b bytes.Buffer
	for range n {
		b.WriteString("Subject: wrapped\nContent-Type: message/rfc822\n\n")
	}
	b.WriteString("Subject: inner\n\nhello\n")
	return b.Bytes()
}

// manyParts makes one multipart with n parts.
func manyParts(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=p\n\n")
	for range n {
		b.WriteString("--p\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\n\n")
	}
	b.WriteString("--p--\n")
	return b.Bytes()
}

func TestMIMEBombs(t *testing.T) {
	tests := []struct {
		name   string
		raw    []byte
		reason string
	}{
		{"deep multipart", deepMultipart(5000), "depth"},
		{"deep message/rfc822", deepRFC822(5000), "depth"},
		{"thousands of parts", manyParts(5000), "part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := mustParse(t, tt.raw, "", nil)
			if r.Kind != ReportUnknown || !strings.Contains(r.Reason, tt.reason) || len(r.Verdicts) != 0 {
				t.Errorf("got %s %q %d verdicts", r.Kind, r.Reason, len(r.Verdicts))
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	// Within the limits the same shapes parse.
	r := mustParse(t, deepMultipart(DefaultMaxDepth), "", nil)
	checkReport(t, r, ReportBounce, wantVerdict{Hard, "a@example.com", "5.1.1", "failed"})
	r = mustParse(t, manyParts(DefaultMaxParts-1), "", nil)
	if r.Kind != ReportDSN || len(r.Verdicts) != DefaultMaxParts-1 {
		t.Errorf("got %s with %d verdicts", r.Kind, len(r.Verdicts))
	}
	// Options change the limits.
	r, _ = Parse(deepMultipart(3), "", Options{MaxDepth: 2})
	if r.Kind != ReportUnknown {
		t.Errorf("MaxDepth 2: got %s", r.Kind)
	}
	r, _ = Parse(manyParts(10), "", Options{MaxParts: 5})
	if r.Kind != ReportUnknown {
		t.Errorf("MaxParts 5: got %s", r.Kind)
	}
}

func TestManyRecipientBlocksAreBounded(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=p\n\n--p\nContent-Type: message/delivery-status\n\n")
	for i := range 3 * maxVerdicts {
		fmt.Fprintf(&b, "Final-Recipient: rfc822; u%d@example.com\nAction: failed\nStatus: 5.1.1\n\n", i)
	}
	b.WriteString("--p--\n")
	r := mustParse(t, b.Bytes(), "", nil)
	if r.Kind != ReportDSN || len(r.Verdicts) != maxVerdicts {
		t.Errorf("got %s with %d verdicts", r.Kind, len(r.Verdicts))
	}
}

func TestInvalidUTF8AndControlsAreCleaned(t *testing.T) {
	raw := []byte("From: MAILER-DAEMON@x.example\nSubject: bad \xff subject\nContent-Type: multipart/report; report-type=delivery-status; boundary=p\n\n" +
		"--p\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\x00.example\n\n" +
		"Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 bad \xfe\xff bytes\x07 here\n--p--\n")
	eachEnding(t, raw, func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportDSN, wantVerdict{Hard, "a@example.com", "5.1.1", "failed"})
		v := r.Verdicts[0]
		for _, s := range []string{v.Diagnostic, v.ReportingMTA, r.Subject} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\x07") {
				t.Errorf("not cleaned: %q", s)
			}
		}
		if !strings.Contains(v.Diagnostic, "\uFFFD") {
			t.Errorf("invalid bytes not replaced: %q", v.Diagnostic)
		}
	})
}

func TestUnparseableInput(t *testing.T) {
	for name, raw := range map[string][]byte{
		"empty":   nil,
		"blank":   []byte("\n\n\n"),
		"binary":  {0x00, 0xff, 0x13, 0x37, '\n', 0x80, 0x81},
		"no body": []byte("Subject: hi"),
		"garbage": []byte("--\n--\n:::\n\t\t\n--x--\n"),
	} {
		t.Run(name, func(t *testing.T) {
			r := mustParse(t, raw, "", nil)
			if r.Kind != ReportUnknown || r.Reason == "" || r.Verdicts == nil {
				t.Errorf("got %s %q %v", r.Kind, r.Reason, r.Verdicts)
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	s := testSigner(t)
	r := mustParse(t, readFixture(t, "cases/B04.eml"), s.ReturnPath(testID, "news.example.org"), s)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Kind     string           `json:"kind"`
		Verdicts []map[string]any `json:"verdicts"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"kind": "soft", "recipient": "oscar@example.net", "status": "5.2.2", "action": "failed",
		"reporting_mta": "smtp3.example.net", "remote_mta": "smtp3.example.net",
		"campaign_id": float64(12), "subscriber_id": float64(345), "matched_by": "return-path",
		"original_message_id": "46nlWg1CNHz5d5@news.example.org",
	}
	if got.Kind != "dsn" || len(got.Verdicts) != 1 {
		t.Fatalf("json = %s", b)
	}
	for k, w := range want {
		if got.Verdicts[0][k] != w {
			t.Errorf("%s = %v, want %v", k, got.Verdicts[0][k], w)
		}
	}
	// An unknown report still has a verdicts array, not null.
	r = mustParse(t, nil, "", nil)
	if b, _ := json.Marshal(r); !bytes.Contains(b, []byte(`"verdicts":[]`)) {
		t.Errorf("json = %s", b)
	}
}

// TestLargeHostileInputIsFast feeds 10 MiB bodies that stress the text
// heuristics: they read a bounded prefix, so each parse stays well under a second.
func TestLargeHostileInputIsFast(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 10 MiB inputs")
	}
	const size = DefaultMaxBytes - 1024
	fill := func(head, unit string) []byte {
		b := bytes.NewBufferString(head)
		for b.Len() < size-len(unit) {
			b.WriteString(unit)
		}
		return b.Bytes()
	}
	bounce := "From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n"
	var distinct bytes.Buffer
	distinct.WriteString(bounce)
	for i := 0; distinct.Len() < size-100; i++ {
		fmt.Fprintf(&distinct, "<u%d@example.com>: 550 5.1.1 no\n", i%5000)
	}
	inputs := map[string][]byte{
		"recipient lines": distinct.Bytes(),
		"one long line":   fill(bounce, "a"),
		"dotted numbers":  fill(bounce, "5.1.1.5.1.1. "),
		"html":            fill("Content-Type: text/html\n\n", "<p><br>&amp;<"),
		"folded header":   fill("Subject: x\n", " y\n"),
		"dsn fields":      fill("Content-Type: message/delivery-status\n\n", "Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\n"),
	}
	for name, raw := range inputs {
		start := time.Now()
		r := mustParse(t, raw, "", nil)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		if len(r.Verdicts) > maxVerdicts {
			t.Errorf("%s: %d verdicts", name, len(r.Verdicts))
		}
	}
}
