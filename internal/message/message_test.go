package message

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/pacer-email/pacer/internal/render"
)

func testMessage() *Message {
	return &Message{
		From:                  mail.Address{Name: "Example Kitchen", Address: "news@news.example.org"},
		To:                    mail.Address{Name: "Ana Lima", Address: "ana@example.com"},
		Subject:               "Monthly update",
		HTML:                  `<p>Hello Ana,</p><p><a href="https://www.example.com/offer">Offer</a></p>`,
		Text:                  "Hello Ana,\n\nOffer: https://www.example.com/offer\n",
		MessageID:             "pacer.12.345.abcdefghijklmnop@news.example.org",
		Date:                  time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC),
		ListUnsubscribeURL:    "https://news.example.org/u/12.345.abcdefghijklmnop",
		ListUnsubscribeMailto: "unsubscribe+12.345.abcdefghijklmnop@news.example.org",
		Headers:               []Field{{"X-Pacer-ID", "12.345.abcdefghijklmnop"}},
	}
}

func build(t testing.TB, m *Message, key *DKIMKey) []byte {
	t.Helper()
	var b Builder
	out, err := b.Build(m, key)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return bytes.Clone(out)
}

// parsed is a message read back with go-message.
type parsed struct {
	header mail.Header
	types  []string
	bodies []string // with CRLF turned into LF
}

func parse(t testing.TB, raw []byte) parsed {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("CreateReader: %v", err)
	}
	p := parsed{header: r.Header}
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("NextPart: %v", err)
		}
		ct, _, _ := part.Header.(*mail.InlineHeader).ContentType()
		body, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		p.types = append(p.types, ct)
		p.bodies = append(p.bodies, strings.ReplaceAll(string(body), "\r\n", "\n"))
	}
	return p
}

// headerLines returns the unfolded header fields of raw, as on the wire.
func headerLines(raw []byte) []string {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	unfolded := strings.ReplaceAll(string(head), "\r\n ", " ")
	unfolded = strings.ReplaceAll(unfolded, "\r\n\t", "\t")
	return strings.Split(unfolded, "\r\n")
}

func TestBuildParsesBack(t *testing.T) {
	m := testMessage()
	raw := build(t, m, nil)
	p := parse(t, raw)

	if got := strings.Join(p.types, ","); got != "text/plain,text/html" {
		t.Errorf("parts = %s, want text/plain then text/html", got)
	}
	if p.bodies[0] != m.Text || p.bodies[1] != m.HTML {
		t.Errorf("bodies = %q", p.bodies)
	}
	from, _ := p.header.AddressList("From")
	to, _ := p.header.AddressList("To")
	subject, _ := p.header.Subject()
	date, _ := p.header.Date()
	id, _ := p.header.MessageID()
	if len(from) != 1 || *from[0] != m.From || len(to) != 1 || *to[0] != m.To {
		t.Errorf("From %v, To %v", from, to)
	}
	if subject != m.Subject || !date.Equal(m.Date) || id != m.MessageID {
		t.Errorf("Subject %q, Date %v, Message-ID %q", subject, date, id)
	}
	if got := p.header.Get("X-Pacer-ID"); got != "12.345.abcdefghijklmnop" {
		t.Errorf("X-Pacer-ID = %q", got)
	}
	if p.header.Get("Return-Path") != "" || p.header.Get("Reply-To") != "" {
		t.Error("Return-Path or an empty Reply-To is in the header")
	}
	if got := p.header.Get("Mime-Version"); got != "1.0" {
		t.Errorf("MIME-Version = %q", got)
	}
}

// Every message offers both List-Unsubscribe forms and RFC 8058 one-click.
func TestListUnsubscribe(t *testing.T) {
	m := testMessage()
	p := parse(t, build(t, m, nil))
	want := "<https://news.example.org/u/12.345.abcdefghijklmnop>, " +
		"<mailto:unsubscribe+12.345.abcdefghijklmnop@news.example.org?subject=unsubscribe>"
	if got := p.header.Get("List-Unsubscribe"); got != want {
		t.Errorf("List-Unsubscribe = %q, want %q", got, want)
	}
	if got := p.header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}

	m.ListUnsubscribeURL = ""
	p = parse(t, build(t, m, nil))
	if p.header.Get("List-Unsubscribe-Post") != "" {
		t.Error("one-click offered without an https URL")
	}
	m.ListUnsubscribeMailto = ""
	if _, err := new(Builder).Build(m, nil); err == nil {
		t.Error("Build accepted a message without List-Unsubscribe")
	}
}

func TestTextOnlyMessage(t *testing.T) {
	m := testMessage()
	m.HTML = ""
	raw := build(t, m, nil)
	p := parse(t, raw)
	if strings.Join(p.types, ",") != "text/plain" || p.bodies[0] != m.Text {
		t.Errorf("parts %q, bodies %q", p.types, p.bodies)
	}
	if bytes.Contains(raw, []byte("multipart")) {
		t.Error("a text-only message is multipart")
	}
}

func TestHTMLOnlyMessageGetsTextPart(t *testing.T) {
	m := testMessage()
	m.Text = ""
	p := parse(t, build(t, m, nil))
	if strings.Join(p.types, ",") != "text/plain,text/html" {
		t.Fatalf("parts = %q", p.types)
	}
	if want := render.HTMLToText(m.HTML); p.bodies[0] != want {
		t.Errorf("text part = %q, want %q", p.bodies[0], want)
	}
}

func TestNoBody(t *testing.T) {
	m := testMessage()
	m.HTML, m.Text = "", ""
	if _, err := new(Builder).Build(m, nil); !errors.Is(err, ErrNoBody) {
		t.Errorf("err = %v, want ErrNoBody", err)
	}
}

// RFC 5322 section 2.1.1: no line over 998 octets, and every line ends in CRLF.
func TestLongOneLineHTML(t *testing.T) {
	m := testMessage()
	var b strings.Builder
	for b.Len() < 200<<10 {
		b.WriteString(`<td style="padding:0"><a href="https://www.example.com/p?id=1&amp;x=ä">Produkt – 9,99 €</a></td>`)
	}
	m.HTML = b.String()
	m.Text = strings.Repeat("word ", 40000)
	raw := build(t, m, nil)
	longest := 0
	for _, line := range bytes.Split(raw, []byte("\r\n")) {
		longest = max(longest, len(line))
		if bytes.IndexByte(line, '\n') >= 0 {
			t.Fatal("bare LF in the message")
		}
	}
	if longest > 998 {
		t.Errorf("longest line has %d octets", longest)
	}
	p := parse(t, raw)
	if p.bodies[1] != m.HTML || p.bodies[0] != m.Text {
		t.Error("bodies do not decode back exactly")
	}
}

func TestExtraHeaders(t *testing.T) {
	m := testMessage()
	m.Headers = []Field{{"X-Campaign", "Spring menu – 2026"}, {"x-pacer-id", "1.2.x\r\nBcc: a@example.net"}}
	raw := build(t, m, nil)
	p := parse(t, raw)
	if got, _ := p.header.Text("X-Campaign"); got != "Spring menu – 2026" {
		t.Errorf("X-Campaign = %q", got)
	}
	if got := p.header.Get("X-Pacer-Id"); got != "1.2.x  Bcc: a@example.net" || p.header.Has("Bcc") {
		t.Errorf("X-Pacer-ID = %q; Bcc present: %v", got, p.header.Has("Bcc"))
	}
	for _, key := range []string{"From", "subject", "Content-Type", "DKIM-Signature", "List-Unsubscribe", "Bad Name", ""} {
		m.Headers = []Field{{key, "x"}}
		if _, err := new(Builder).Build(m, nil); err == nil {
			t.Errorf("extra header %q accepted", key)
		}
	}
}

func TestAddresses(t *testing.T) {
	m := testMessage()
	m.To = mail.Address{Name: "Jürgen", Address: "juergen@bücher.example"}
	m.ReplyTo = mail.Address{Address: "desk@example.org"}
	p := parse(t, build(t, m, nil))
	to, _ := p.header.AddressList("To")
	replyTo, _ := p.header.AddressList("Reply-To")
	if len(to) != 1 || to[0].Address != "juergen@xn--bcher-kva.example" || to[0].Name != "Jürgen" {
		t.Errorf("To = %v", to)
	}
	if len(replyTo) != 1 || replyTo[0].Address != "desk@example.org" {
		t.Errorf("Reply-To = %v", replyTo)
	}
	invalid := []string{"", "ana", "@example.com", "ana@", "an a@example.com", "anä@example.com", "a<b>@example.com"}
	for _, addr := range invalid {
		m := testMessage()
		m.To.Address = addr
		if _, err := new(Builder).Build(m, nil); err == nil {
			t.Errorf("To address %q accepted", addr)
		}
	}
}
