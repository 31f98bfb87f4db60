package message

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"
)

// canonicalText returns s with every line break (CRLF, lone CR or lone LF)
// written as CRLF. A text part decodes to this form of its input.
func canonicalText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\r':
			b.WriteString("\r\n")
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case '\n':
			b.WriteString("\r\n")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// bodyCases are HTML and text bodies that are hard to encode.
func bodyCases() map[string]string {
	cases := map[string]string{
		"empty":              "",
		"one line":           "Hello Ana",
		"long without space": strings.Repeat("x", 500),
		"long with spaces":   strings.Repeat("word ", 100),
		"equals signs":       strings.Repeat("a=b ==3D =\n", 20) + "=",
		"trailing spaces":    "one \ntwo\t\nthree  \r\nfour \t \n \n\t\nend ",
		"trailing tab":       "end\t",
		"dot lines":          ".\n..\n. x\n.hidden\r\n.",
		"from lines":         "From here\nFrom\nFrom: header\nFromage\n From x\nFrom ",
		"lone CR and LF":     "a\rb\nc\r\nd\n\re\r\r\n\n",
		"only breaks":        "\n\n\r\n\r\r",
		"accents":            "Grüße aus Köln, señor, ça va? Ærø",
		"CJK":                strings.Repeat("東京のレストランで", 30),
		"emoji":              strings.Repeat("🍜🎉👩‍👩‍👧", 40),
		"NUL and controls":   "a\x00b\x01\x1f\x7f\x80\xff c\x1b[0m\f\v",
		"invalid UTF-8":      "\xc3\x28 \xe2\x82 \xf0\x9f\x8d",
		"boundary lookalike": "--=_\n--=_abc\n=_\n--\n-- \n--=_f00.1--",
		"html":               `<p style="margin:0">Hello&nbsp;Ana, <a href="https://www.example.com/o?id=1&amp;x=ä">Offer</a></p>`,
	}
	// A multi-octet character and an escape at every offset around the
	// 75-octet soft line break.
	for k := 60; k < 80; k++ {
		pad := strings.Repeat("a", k)
		cases[fmt.Sprintf("emoji at %d", k)] = pad + "🍜" + pad + "🍜"
		cases[fmt.Sprintf("space at %d", k)] = pad + " \n" + pad + " " + pad
		cases[fmt.Sprintf("equals at %d", k)] = pad + "=" + pad + "=="
		cases[fmt.Sprintf("dot after %d", k)] = pad + "." + pad + ".From x"
	}
	return cases
}

// stdlibPart is a part read with mime/multipart and decoded with
// mime/quotedprintable.
type stdlibPart struct {
	contentType, encoding, disposition string
	body                               string
}

// parseStdlib reads raw with net/mail, mime/multipart and
// mime/quotedprintable. It takes the parts raw, so that the decoding is
// the test's own.
func parseStdlib(t *testing.T, raw []byte) (netmail.Header, []stdlibPart) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail: %v", err)
	}
	decode := func(r io.Reader) string {
		body, err := io.ReadAll(quotedprintable.NewReader(r))
		if err != nil {
			t.Fatalf("quoted-printable: %v", err)
		}
		return string(body)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	if mediaType != "multipart/alternative" {
		part := stdlibPart{contentType: msg.Header.Get("Content-Type"),
			encoding: msg.Header.Get("Content-Transfer-Encoding"), body: decode(msg.Body)}
		return msg.Header, []stdlibPart{part}
	}
	var parts []stdlibPart
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		parts = append(parts, stdlibPart{
			contentType: p.Header.Get("Content-Type"),
			encoding:    p.Header.Get("Content-Transfer-Encoding"),
			disposition: p.Header.Get("Content-Disposition"),
			body:        decode(p),
		})
	}
	return msg.Header, parts
}

// checkBody checks the body of raw, built from m: its lines, its boundary
// and what both parsers decode.
func checkBody(t *testing.T, raw []byte, m *Message) {
	t.Helper()
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("no empty line after the header")
	}
	for i, line := range bytes.Split(body, []byte("\r\n")) {
		if len(line) > 76 {
			t.Errorf("body line %d has %d octets: %q", i, len(line), line)
		}
		if bytes.ContainsAny(line, "\r\n") {
			t.Errorf("body line %d has a bare CR or LF: %q", i, line)
		}
		for _, c := range line {
			if c < ' ' && c != '\t' || c > '~' {
				t.Errorf("body line %d has the octet %#x: %q", i, c, line)
				break
			}
		}
	}
	text := m.Text
	wantTypes := []string{"text/plain"}
	wantBodies := []string{canonicalText(text)}
	if m.HTML != "" {
		if text == "" {
			text = parse(t, raw).bodies[0]
			wantBodies[0] = canonicalText(text)
		}
		wantTypes = append(wantTypes, "text/html")
		wantBodies = append(wantBodies, canonicalText(m.HTML))

		h := parse(t, raw).header
		_, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		boundary := params["boundary"]
		if err != nil || !strings.HasPrefix(boundary, "=_") || len(boundary) > 70 {
			t.Fatalf("boundary %q (%v): want =_ and at most 70 octets", boundary, err)
		}
		delimiters := bytes.Count(body, []byte("--"+boundary))
		if delimiters != 3 {
			t.Errorf("%d lines start with the boundary, want 3", delimiters)
		}
		if bytes.Contains(head, []byte("--"+boundary)) {
			t.Error("the header contains the boundary delimiter")
		}
	}

	p := parse(t, raw)
	if got := strings.Join(p.types, ","); got != strings.Join(wantTypes, ",") {
		t.Fatalf("go-message: parts %s, want %s", got, strings.Join(wantTypes, ","))
	}
	_, parts := parseStdlib(t, raw)
	if len(parts) != len(wantTypes) {
		t.Fatalf("mime/multipart: %d parts, want %d", len(parts), len(wantTypes))
	}
	for i, want := range wantBodies {
		// parse turns CRLF into LF, so its bodies are compared in that form.
		if got := p.bodies[i]; got != strings.ReplaceAll(want, "\r\n", "\n") {
			t.Errorf("go-message: %s part = %q, want %q", wantTypes[i], got, want)
		}
		if got := parts[i].body; got != want {
			t.Errorf("mime/quotedprintable: %s part = %q, want %q", wantTypes[i], got, want)
		}
		if ct, params, _ := mime.ParseMediaType(parts[i].contentType); ct != wantTypes[i] || params["charset"] != "utf-8" {
			t.Errorf("part %d: Content-Type %q, want %s with charset utf-8", i, parts[i].contentType, wantTypes[i])
		}
		if parts[i].encoding != "quoted-printable" {
			t.Errorf("part %d: Content-Transfer-Encoding %q", i, parts[i].encoding)
		}
	}
}

// withoutContentType returns the header of raw, as on the wire, without its
// first field, which is Content-Type or Content-Transfer-Encoding and holds
// the boundary of a multipart message.
func withoutContentType(raw []byte) string {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	s := string(head)
	if strings.HasPrefix(s, "Content-Type: multipart/alternative;") {
		_, s, _ = strings.Cut(s, "\r\nFrom: ")
		return "From: " + s
	}
	return s
}

// checkSameAsReference checks that Build writes the header fields of
// referenceBuild, octet for octet apart from the boundary, and that the parts
// decode to the same text.
func checkSameAsReference(t *testing.T, m *Message) {
	t.Helper()
	raw := build(t, m, nil)
	ref, err := referenceBuild(m)
	if err != nil {
		t.Fatalf("referenceBuild: %v", err)
	}
	if got, want := withoutContentType(raw), withoutContentType(ref); got != want {
		t.Errorf("header differs from go-message's\ngot:\n%s\nwant:\n%s", got, want)
	}
	if m.HTML == "" && !bytes.HasPrefix(raw, []byte("Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain; charset=utf-8\r\n")) {
		t.Errorf("text-only message starts with %q", raw[:min(len(raw), 100)])
	}
	got, want := parse(t, raw), parse(t, ref)
	if strings.Join(got.types, ",") != strings.Join(want.types, ",") {
		t.Errorf("parts %q, go-message wrote %q", got.types, want.types)
	}
	for i := range min(len(got.bodies), len(want.bodies)) {
		if got.bodies[i] != want.bodies[i] {
			t.Errorf("part %d decodes to %q, go-message's to %q", i, got.bodies[i], want.bodies[i])
		}
	}
}

func TestBodiesDecodeExactly(t *testing.T) {
	for name, body := range bodyCases() {
		t.Run(name, func(t *testing.T) {
			m := testMessage()
			m.HTML, m.Text = body, body+"\ntext version"
			checkBody(t, build(t, m, nil), m)
			checkSameAsReference(t, m)

			m.HTML, m.Text = "", body+"."
			checkBody(t, build(t, m, nil), m)
			checkSameAsReference(t, m)

			if body != "" {
				m.HTML, m.Text = body, ""
				checkBody(t, build(t, m, nil), m)
				checkSameAsReference(t, m)
			}
		})
	}
}

// LF and CRLF line breaks in the input decode to the same CRLF, so a body
// written with LF comes back exactly once CRLF is read as LF.
func TestLFBodyRoundTrips(t *testing.T) {
	m := testMessage()
	m.Text = "line one \nline two\t\n\n.\nFrom me\n" + strings.Repeat("é", 80) + "\n"
	m.HTML = "<p>\n=3D\n</p>\n"
	p := parse(t, build(t, m, nil))
	if p.bodies[0] != m.Text {
		t.Errorf("text = %q, want %q", p.bodies[0], m.Text)
	}
	if p.bodies[1] != m.HTML {
		t.Errorf("HTML = %q, want %q", p.bodies[1], m.HTML)
	}
}

func TestHeaderSameAsReference(t *testing.T) {
	long := strings.Repeat("a", 1100)
	variants := map[string]func(m *Message){
		"test message":      func(m *Message) {},
		"reply-to":          func(m *Message) { m.ReplyTo = mail.Address{Name: "Desk", Address: "desk@example.org"} },
		"quoted name":       func(m *Message) { m.From.Name = `Café "Zeit", Berlin` },
		"CJK name":          func(m *Message) { m.To.Name = strings.Repeat("東京 レストラン ", 6) },
		"long ASCII name":   func(m *Message) { m.To.Name = strings.Repeat("Very Long Name ", 8) },
		"IDNA domain":       func(m *Message) { m.To.Address = "juergen@bücher.example" },
		"long subject":      func(m *Message) { m.Subject = strings.Repeat("A long subject line that goes on ", 8) },
		"long word subject": func(m *Message) { m.Subject = strings.Repeat("x", 200) + " end" },
		"spaced subject":    func(m *Message) { m.Subject = "  lead and   inner\tspaces  " },
		"non-ASCII subject": func(m *Message) { m.Subject = strings.Repeat("Grüße aus Köln – ", 12) },
		"emoji subject":     func(m *Message) { m.Subject = strings.Repeat("🍜", 40) },
		"empty subject":     func(m *Message) { m.Subject = "" },
		"long message id":   func(m *Message) { m.MessageID = strings.Repeat("x", 120) + "@example.org" },
		"huge message id":   func(m *Message) { m.MessageID = long + "@example.org" },
		"huge URL":          func(m *Message) { m.ListUnsubscribeURL = "https://example.org/" + long },
		"http URL":          func(m *Message) { m.ListUnsubscribeURL = "http://example.org/u" },
		"mailto URI":        func(m *Message) { m.ListUnsubscribeMailto = "mailto:u@example.org?subject=stop" },
		"URL only":          func(m *Message) { m.ListUnsubscribeMailto = "" },
		"address only":      func(m *Message) { m.ListUnsubscribeURL = "" },
		"empty extra value": func(m *Message) { m.Headers = []Field{{"X-Empty", ""}} },
		"several extras": func(m *Message) {
			m.Headers = append(m.Headers, Field{"x-campaign", "Spring – 2026"}, Field{" X-Tag ", "a b"})
		},
		"long extra value":   func(m *Message) { m.Headers = []Field{{"X-Long", strings.Repeat("word ", 60)}} },
		"extra with breaks":  func(m *Message) { m.Headers = []Field{{"X-Pacer-ID", "1.2.x\r\nBcc: a@example.net"}} },
		"extra leading wsp":  func(m *Message) { m.Headers = []Field{{"X-Lead", " \tvalue"}} },
		"date with zone":     func(m *Message) { m.Date = m.Date.In(fixedZone) },
		"no extra headers":   func(m *Message) { m.Headers = nil },
		"text only":          func(m *Message) { m.HTML = "" },
		"folds at the limit": func(m *Message) { m.Subject = strings.Repeat("a", 66) + " " + strings.Repeat("b", 75) + " c" },
	}
	// Spaces at each offset around the 76-octet fold.
	for k := 60; k < 80; k++ {
		variants[fmt.Sprintf("space at %d", k)] = func(m *Message) {
			m.Subject = strings.Repeat("s", k) + " " + strings.Repeat("t", k) + "  " + strings.Repeat("u", 10)
		}
	}
	for name, change := range variants {
		t.Run(name, func(t *testing.T) {
			m := testMessage()
			change(m)
			checkSameAsReference(t, m)
			checkStdlibHeader(t, build(t, m, nil), m)
		})
	}
}

var fixedZone = func() *time.Location { return time.FixedZone("", -(3*3600 + 30*60)) }()

// checkStdlibHeader checks that net/mail and mime.WordDecoder read back the
// header values of m.
func checkStdlibHeader(t *testing.T, raw []byte, m *Message) {
	t.Helper()
	h, _ := parseStdlib(t, raw)
	var dec mime.WordDecoder
	// net/textproto joins a folded line with one space, however many spaces
	// or tabs the continuation line starts with, so runs of whitespace are
	// compared as one space.
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if want := strings.TrimSpace(oneLine(m.Subject)); err != nil || collapseSpace(subject) != collapseSpace(want) {
		t.Errorf("Subject = %q (%v), want %q", subject, err, want)
	}
	for field, a := range map[string]mail.Address{"From": m.From, "To": m.To} {
		list, err := h.AddressList(field)
		if err != nil || len(list) != 1 {
			t.Errorf("%s: %v, %v", field, list, err)
			continue
		}
		if list[0].Name != strings.TrimSpace(a.Name) {
			t.Errorf("%s name = %q, want %q", field, list[0].Name, a.Name)
		}
	}

	if date, err := h.Date(); err != nil || !date.Equal(m.Date) {
		t.Errorf("Date = %v (%v), want %v", date, err, m.Date)
	}

	// A Message-ID too long for one line is split with an added space, as
	// go-message did, so only shorter ones are compared.
	if got := h.Get("Message-Id"); got != "<"+m.MessageID+">" && len(m.MessageID) < 980 {
		t.Errorf("Message-Id = %q", got)
	}

	for _, f := range m.Headers {
		got, err := dec.DecodeHeader(h.Get(strings.TrimSpace(f.Key)))
		if want := oneLine(f.Value); err != nil || collapseSpace(got) != collapseSpace(want) {
			t.Errorf("%s = %q (%v), want %q", f.Key, got, err, want)
		}
	}
	if h.Get("Mime-Version") != "1.0" {
		t.Errorf("MIME-Version = %q", h.Get("Mime-Version"))
	}
	if !utf8.ValidString(subject) {
		t.Errorf("Subject is not UTF-8: %q", subject)
	}
}

// go-message v0.18 panics on field names of 74 octets or more, so these are
// checked by decoding alone.
func TestLongExtraFieldNames(t *testing.T) {
	for _, n := range []int{73, 74, 80, 300, 996, 1200} {
		m := testMessage()
		key := "X-" + strings.Repeat("k", n-2)
		m.Headers = []Field{{key, "a value"}, {"X-After", "b"}}
		raw := build(t, m, nil)
		h, _ := parseStdlib(t, raw)
		if got := h.Get(key); got != "a value" {
			t.Errorf("name of %d octets: net/mail reads %q, want %q", n, got, "a value")
		}
		p := parse(t, raw)
		if got := p.header.Get(key); got != "a value" {
			t.Errorf("name of %d octets: go-message reads %q, want %q", n, got, "a value")
		}
		if got := p.header.Get("X-After"); got != "b" {
			t.Errorf("name of %d octets: X-After = %q, want b", n, got)
		}
	}
}

func TestErrorsSameAsReference(t *testing.T) {
	invalid := map[string]func(m *Message){
		"no body":            func(m *Message) { m.HTML, m.Text = "", "" },
		"two bad extras":     func(m *Message) { m.Headers = []Field{{"From", "x"}, {"Bad Name", "y"}} },
		"bad extra and To":   func(m *Message) { m.Headers = []Field{{"Subject", "x"}}; m.To.Address = "x" },
		"no unsubscribe":     func(m *Message) { m.ListUnsubscribeURL, m.ListUnsubscribeMailto = "", "" },
		"ftp URL":            func(m *Message) { m.ListUnsubscribeURL = "ftp://example.org/u" },
		"URL with space":     func(m *Message) { m.ListUnsubscribeURL = "https://example.org/a b" },
		"mailto with angle":  func(m *Message) { m.ListUnsubscribeMailto = "a>b@example.org" },
		"message id":         func(m *Message) { m.MessageID = "no-at-sign" },
		"bad reply-to":       func(m *Message) { m.ReplyTo.Address = "desk" },
		"bad To and From":    func(m *Message) { m.To.Address, m.From.Address = "to", "from" },
		"non-ASCII local":    func(m *Message) { m.From.Address = "anä@example.com" },
		"bad IDNA domain":    func(m *Message) { m.From.Address = "a@bü_cher.example" },
		"URL before message": func(m *Message) { m.ListUnsubscribeURL = "x"; m.MessageID = "" },
	}
	for name, change := range invalid {
		t.Run(name, func(t *testing.T) {
			m := testMessage()
			change(m)
			_, err := new(Builder).Build(m, nil)
			_, want := referenceBuild(m)
			if err == nil || want == nil || err.Error() != want.Error() {
				t.Errorf("error %v, go-message's build returned %v", err, want)
			}
		})
	}
}

// Every message gets its own boundary, from one Builder and from many.
func TestBoundariesAreUnique(t *testing.T) {
	m := testMessage()
	seen := map[string]bool{}
	boundaryOf := func(raw []byte) string {
		h := parse(t, raw).header
		_, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		return params["boundary"]
	}
	var shared Builder
	for i := range 2000 {
		b := &shared
		if i%2 == 1 {
			b = new(Builder)
		}
		raw, err := b.Build(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		boundary := boundaryOf(raw)
		if seen[boundary] {
			t.Fatalf("boundary %q used twice", boundary)
		}
		seen[boundary] = true
	}
}

// The result of Build stays valid until the next call, and a failed call
// leaves the Builder usable.
func TestBuilderReuse(t *testing.T) {
	var b Builder
	small, big := testMessage(), testMessage()
	big.HTML = strings.Repeat("<p>é</p>", 5000)
	bad := testMessage()
	bad.MessageID = "x"
	for _, m := range []*Message{big, small, bad, big, small} {
		raw, err := b.Build(m, nil)
		if m == bad {
			if err == nil {
				t.Fatal("Build accepted an invalid Message-ID")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		checkBody(t, bytes.Clone(raw), m)
	}
}

// collapseSpace trims s and turns each run of whitespace into one space.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
