package message

import (
	"mime"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"

	"github.com/pacer-email/pacer/internal/render"
)

var encodedWord = regexp.MustCompile(`=\?[^?]+\?[qQbB]\?[^?]*\?=`)

// checkWireHeader checks that the header of raw is ASCII, that every
// encoded-word is at most 75 characters and holds whole UTF-8 sequences,
// and that the field decodes to want.
func checkWireHeader(t *testing.T, raw []byte, field, want string) {
	t.Helper()
	head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
	for i := 0; i < len(head); i++ {
		if head[i] >= 0x80 {
			t.Fatalf("non-ASCII byte in the header: %q", head)
		}
	}
	var value string
	for _, line := range headerLines(raw) {
		if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, field) {
			value = v
		}
	}
	for _, w := range encodedWord.FindAllString(value, -1) {
		if len(w) > 75 {
			t.Errorf("encoded-word of %d characters: %s", len(w), w)
		}
		dec, err := new(mime.WordDecoder).DecodeHeader(w)
		if err != nil || !utf8.ValidString(dec) {
			t.Errorf("encoded-word %s does not decode to whole characters: %q, %v", w, dec, err)
		}
	}
	if strings.Contains(value, "&#") || strings.Contains(value, "&amp;") {
		t.Errorf("HTML entity in %s: %s", field, value)
	}
	h := parse(t, raw).header
	got, err := h.Text(field)
	if field == "From" || field == "To" {
		var list []*mail.Address
		list, err = h.AddressList(field)
		if len(list) == 1 {
			got = list[0].Name
		}
	}
	if err != nil || got != want {
		t.Errorf("%s decodes to %q (%v), want %q; wire: %s", field, got, err, want, value)
	}
}

// A personalised non-ASCII subject is rendered and then encoded.
func TestPersonalisedSubject(t *testing.T) {
	tmpl, err := render.Compile("{{ .Subscriber.Attribs.venue }} – your table is ready 🍜", "<p>x</p>", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, venue := range []string{"Restaurant Komé", "M'eating"} {
		r, err := tmpl.Render(render.Data{Subscriber: render.Subscriber{Attribs: map[string]any{"venue": venue}}})
		if err != nil {
			t.Fatal(err)
		}
		m := testMessage()
		m.Subject = r.Subject
		checkWireHeader(t, build(t, m, nil), "Subject", venue+" – your table is ready 🍜")
	}
}

func TestASCIISubjectIsNotEncoded(t *testing.T) {
	for _, subject := range []string{"Monthly update", "M'eating & <friends> \"today\" 100%"} {
		m := testMessage()
		m.Subject = subject
		raw := build(t, m, nil)
		found := false
		for _, line := range headerLines(raw) {
			found = found || line == "Subject: "+subject
		}
		if !found {
			t.Errorf("no plain Subject: %s line in %q", subject, headerLines(raw))
		}
	}
}

func TestSubjects(t *testing.T) {
	tests := map[string]string{
		"long ASCII":        strings.Repeat("A long subject line that goes on ", 8),
		"long non-ASCII":    strings.Repeat("Grüße aus Köln – ", 12),
		"all emoji":         strings.Repeat("🍜", 40),
		"CJK":               strings.Repeat("東京のレストラン", 10),
		"mixed scripts":     "Ελληνικά, русский, עברית, العربية and English",
		"looks encoded":     "Hello =?utf-8?q?x?= world é",
		"question and eq":   "Ready? 50% = half ✓",
		"trailing emoji":    strings.Repeat("x", 61) + "🍜",
		"underscores é":     "snake_case_name é",
		"tab and newlines":  "one\ttwo é",
		"only non-ASCII":    "é",
		"long word é":       strings.Repeat("é", 100) + strings.Repeat("a", 100),
		"spaces at the end": "ends with é   ",
	}
	// Emoji at every offset, to cross each encoded-word boundary.
	for k := range 30 {
		tests["emoji at "+strings.Repeat("a", k)] = strings.Repeat("a", k) + strings.Repeat("🍜é", 20)
	}
	for name, subject := range tests {
		t.Run(name, func(t *testing.T) {
			m := testMessage()
			m.Subject = subject
			checkWireHeader(t, build(t, m, nil), "Subject", strings.TrimSpace(subject))
		})
	}
}

func TestSubjectCannotAddFields(t *testing.T) {
	m := testMessage()
	m.Subject = "Hi\r\nBcc: evil@example.net\r\n\r\nbody"
	p := parse(t, build(t, m, nil))
	if p.header.Has("Bcc") {
		t.Error("a line break in the subject added a Bcc field")
	}
	if got, _ := p.header.Subject(); got != "Hi  Bcc: evil@example.net    body" {
		t.Errorf("Subject = %q", got)
	}
}

func TestDisplayNames(t *testing.T) {
	names := []string{
		"Ana Lima", `Lima, Ana`, `Ana "The Chef" Lima`, `Back\slash`, "Café \"Zeit\", Berlin",
		"Jürgen Müller", "O'Brien & Söhne (GmbH)", "東京 レストラン", strings.Repeat("Ünïcödé ", 12),
		"🍜 Noodle Bar", "a@b.example", "=?utf-8?q?fake?=",
	}
	for _, name := range names {
		for _, field := range []string{"From", "To"} {
			m := testMessage()
			if field == "From" {
				m.From.Name = name
			} else {
				m.To.Name = name
			}
			checkWireHeader(t, build(t, m, nil), field, strings.TrimSpace(name))
		}
	}
}
