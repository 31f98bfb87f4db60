package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/dkim"

	"github.com/pacer-email/pacer/internal/dnscheck"
	"github.com/pacer-email/pacer/internal/dnscheck/dnstest"
	"github.com/pacer-email/pacer/internal/message"
	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/testenv"
)

// d06Venues are the venues of case D06 and the subjects they must decode to.
var d06Venues = map[string]string{
	"Restaurant Komé": "Restaurant Komé – your table is ready 🍜",
	"M'eating":        "M'eating – your table is ready 🍜",
}

// longHTML is a 200 KB HTML body on one line, personalised and with links.
func longHTML() string {
	var b strings.Builder
	b.WriteString(`<html><body><h1>Hello {{ .Subscriber.Name }}</h1>`)
	for i := 0; b.Len() < 200<<10; i++ {
		fmt.Fprintf(&b, `<p class="row">Row %d for {{ .Subscriber.Attribs.venue }}: `+
			`<a href="https://example.com/menu?row=%d&amp;v=1">menu</a> – crème brûlée, ramen, café</p>`, i, i)
	}
	b.WriteString(`<p><a href="{{ .UnsubscribeURL }}">Unsubscribe</a></p></body></html>`)
	return b.String()
}

// TestDKIMSignedCampaign sends a campaign From a sending domain and checks
// every message as a receiver would: the DKIM signature verifies against
// the key record served by a loopback DNS server, altering any signed
// header or the body breaks it, the envelope sender is on the domain's
// return path domain, the non-ASCII personalised subjects of D06 decode
// exactly, and a 200 KB one-line HTML body arrives with short lines.
func TestDKIMSignedCampaign(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	var domain struct {
		ID         int64 `json:"id"`
		DKIMRecord struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"dkim_record"`
	}
	s.Do("POST", "/api/domains", map[string]any{"domain": "example.org", "selector": "e2e", "algorithm": "rsa",
		"return_path_domain": "bounces.example.org"}, &domain)
	ns := dnstest.New(t)
	ns.SetTXT(domain.DKIMRecord.Name, domain.DKIMRecord.Value)

	csv := "email,name,venue\nkome@example.com,Aiko Komé,Restaurant Komé\nmeat@example.com,Mat O'Brien,M'eating\n"
	listID, _ := s.ImportList(csv)
	server := s.AddServer(sink.Port, 0, 2)
	html := longHTML()
	var c struct {
		ID int64 `json:"id"`
	}
	s.Do("POST", "/api/campaigns", map[string]any{
		"name": "dkim", "subject": "{{ .Subscriber.Attribs.venue }} – your table is ready 🍜",
		"from_name": "Pacer Tests", "from_email": "news@example.org", "reply_to": "help@example.org",
		"html_body": html,
		"text_body": "Hello {{ .Subscriber.Name }}, your table at {{ .Subscriber.Attribs.venue }} is ready.",
		"list_ids":  []int64{listID}, "server_ids": []int64{server},
	}, &c)
	s.Send(c.ID)
	s.WaitStatus(c.ID, "Done", time.Minute)

	msgs := sink.Messages()
	if len(msgs) != 2 {
		t.Fatalf("the server got %d messages, want 2", len(msgs))
	}
	lookup := (&dnscheck.Resolver{Server: ns.Addr, Timeout: 2 * time.Second}).LookupTXT
	for _, m := range msgs {
		if err := verifyDKIM(m.Data, lookup); err != nil {
			t.Fatalf("message to %s: %v", m.To, err)
		}
		if !strings.HasSuffix(m.From, "@bounces.example.org") || !strings.HasPrefix(m.From, "bounces+") {
			t.Errorf("envelope sender %q is not a VERP address on bounces.example.org", m.From)
		}
		for _, name := range message.SignedFields {
			if err := verifyDKIM(alterHeader(m.Data, name), lookup); err == nil {
				t.Errorf("message to %s still verifies after its %s field changed or was added", m.To, name)
			}
		}
		altered := bytes.Replace(m.Data, []byte("Row 1 for"), []byte("Row 2 for"), 1)
		if err := verifyDKIM(altered, lookup); err == nil {
			t.Errorf("message to %s still verifies after its body changed", m.To)
		}
		checkSubjectD06(t, m.Data)
		checkLongLine(t, m.Data)
	}
}

// verifyDKIM returns nil when raw carries exactly one signature, by
// example.org, and it verifies.
func verifyDKIM(raw []byte, lookup func(context.Context, string) ([]string, error)) error {
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) { return lookup(context.Background(), name) },
	})
	if err != nil {
		return err
	}
	if len(vs) != 1 {
		return fmt.Errorf("%d DKIM signatures, want 1", len(vs))
	}
	if vs[0].Domain != "example.org" {
		return fmt.Errorf("signed by %q, want example.org", vs[0].Domain)
	}
	return vs[0].Err
}

// alterHeader changes the value of the first header field called name,
// keeping it valid: its first letter or digit becomes another. A message
// without the field gets one added, which must break the signature too.
func alterHeader(raw []byte, name string) []byte {
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	for i, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok || !strings.EqualFold(k, name) {
			continue
		}
		j := strings.IndexFunc(v, func(r rune) bool { return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) })
		if j < 0 {
			break
		}
		c := v[j] ^ 0x20 // swaps the case of a letter
		if v[j] >= '0' && v[j] <= '9' {
			c = '0' + (v[j]-'0'+1)%10
		}
		lines[i] = k + ":" + v[:j] + string(c) + v[j+1:]
		return []byte(strings.Join(lines, "\r\n") + "\r\n\r\n" + string(body))
	}
	return append([]byte(name+": added\r\n"), raw...)
}

var encodedWord = regexp.MustCompile(`=\?(?i:utf-8)\?[qQbB]\?[^?]*\?=`)

// checkSubjectD06 checks case D06: a pure-ASCII header section whose
// Subject decodes to the personalised text, without HTML escapes.
func checkSubjectD06(t *testing.T, raw []byte) {
	t.Helper()
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for i, b := range head {
		if b >= 0x80 {
			t.Fatalf("header byte %d is not ASCII: %q", i, head[max(0, i-20):min(len(head), i+20)])
		}
	}
	var folded string
	for _, l := range strings.SplitAfter(string(head), "\r\n") {
		if strings.HasPrefix(l, "Subject:") || folded != "" && (l[0] == ' ' || l[0] == '\t') {
			folded += l
		} else if folded != "" {
			break
		}
	}
	for _, w := range encodedWord.FindAllString(folded, -1) {
		if len(w) > 75 {
			t.Errorf("encoded-word of %d characters, RFC 2047 allows 75: %s", len(w), w)
		}
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(strings.TrimSpace(strings.TrimPrefix(
		strings.NewReplacer("\r\n", "").Replace(folded), "Subject:")))
	if err != nil {
		t.Fatalf("decode subject %q: %v", folded, err)
	}
	found := false
	for _, want := range d06Venues {
		found = found || subject == want
	}
	if !found || strings.Contains(subject, "&") {
		t.Errorf("subject decodes to %q, want one of the D06 subjects", subject)
	}
}

// checkLongLine checks that no line of the message passes 998 octets
// (RFC 5322, section 2.1.1) and that the one-line HTML arrives whole.
func checkLongLine(t *testing.T, raw []byte) {
	t.Helper()
	for i, l := range bytes.Split(raw, []byte("\r\n")) {
		if len(l) > 998 {
			t.Fatalf("line %d has %d octets, RFC 5322 allows 998", i+1, len(l))
		}
	}
	html := htmlPart(t, raw)
	if len(html) < 200<<10 || strings.Contains(html, "\n") {
		t.Errorf("the HTML part has %d octets and %d newlines, want 200 KB on one line",
			len(html), strings.Count(html, "\n"))
	}
	if n := strings.Count(html, "crème brûlée, ramen, café"); n < 1000 {
		t.Errorf("the HTML part holds %d rows, want the whole body", n)
	}
	// html/template escapes the apostrophe in HTML text.
	if !strings.Contains(html, "Row 0 for Restaurant Komé:") && !strings.Contains(html, "Row 0 for M&#39;eating:") {
		t.Errorf("the HTML part is not personalised with the venue")
	}
}

// htmlPart returns the decoded text/html part of raw.
func htmlPart(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("no text/html part: %v", err)
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/html" {
				body, err := io.ReadAll(p.Body)
				if err != nil {
					t.Fatal(err)
				}
				return string(body)
			}
		}
	}
}
