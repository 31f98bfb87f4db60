package message

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
)

func TestQuotedPrintableEncoding(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Hello, Ana!", "Hello, Ana!"},
		{"equals", "a=b", "a=3Db"},
		{"non-ASCII", "é€🍜", "=C3=A9=E2=82=AC=F0=9F=8D=9C"},
		{"controls", "\x00\x1b\x7f\xff", "=00=1B=7F=FF"},
		{"inner space and tab", "a b\tc", "a b\tc"},
		{"space at the end", "a ", "a=20"},
		{"tab at the end", "a\t", "a=09"},
		{"space before LF", "a \nb", "a=20\r\nb"},
		{"tab before CRLF", "a\t\r\nb", "a=09\r\nb"},
		{"space before CR", "a \rb", "a=20\r\nb"},
		{"LF", "a\nb", "a\r\nb"},
		{"CRLF", "a\r\nb", "a\r\nb"},
		{"lone CR", "a\rb", "a\r\nb"},
		{"LF CR", "a\n\rb", "a\r\n\r\nb"},
		{"dot at the start", ".a\n.", "=2Ea\r\n=2E"},
		{"inner dot", "a.b\n a.", "a.b\r\n a."},
		{"From line", "From me\nFrom\nFromage\nFrom: x", "=46rom me\r\nFrom\r\nFromage\r\nFrom: x"},
		{"inner From", "a From b", "a From b"},
		{"empty", "", ""},
		{"soft break", strings.Repeat("a", 80), strings.Repeat("a", 75) + "=\r\naaaaa"},
		{"exactly 75", strings.Repeat("a", 75), strings.Repeat("a", 75)},
		{"escape kept whole", strings.Repeat("a", 73) + "é", strings.Repeat("a", 73) + "=\r\n=C3=A9"},
		{"escape fits", strings.Repeat("a", 72) + "=", strings.Repeat("a", 72) + "=3D"},
		{"dot after soft break", strings.Repeat("a", 75) + ".b", strings.Repeat("a", 75) + "=\r\n=2Eb"},
		{"From after soft break", strings.Repeat("a", 75) + "From x", strings.Repeat("a", 75) + "=\r\n=46rom x"},
		{"space before soft break", strings.Repeat("a", 74) + " bc", strings.Repeat("a", 74) + " =\r\nbc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendQuotedPrintable(nil, tt.in))
			if got != tt.want {
				t.Errorf("encoded %q\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestQuotedPrintableAppends(t *testing.T) {
	got := appendQuotedPrintable([]byte("prefix:"), "x=")
	if string(got) != "prefix:x=3D" {
		t.Errorf("got %q, want prefix:x=3D", got)
	}
}

// checkQuotedPrintable checks that enc, the encoding of s, is made of lines
// of at most 76 printable ASCII octets joined by CRLF, contains no "=_",
// and decodes to s with canonical line breaks.
func checkQuotedPrintable(t *testing.T, s string, enc []byte) {
	t.Helper()
	for i, line := range bytes.Split(enc, []byte("\r\n")) {
		if len(line) > 76 {
			t.Fatalf("line %d has %d octets: %q", i, len(line), line)
		}
		for _, c := range line {
			if c < ' ' && c != '\t' || c > '~' {
				t.Fatalf("line %d has the octet %#x: %q", i, c, line)
			}
		}
		if len(line) > 0 {
			if last := line[len(line)-1]; last == ' ' || last == '\t' {
				t.Fatalf("line %d ends in whitespace: %q", i, line)
			}
		}
		if bytes.HasPrefix(line, []byte(".")) || bytes.HasPrefix(line, []byte("From ")) {
			t.Fatalf("line %d starts with %q", i, line[:1])
		}
	}
	if bytes.Contains(enc, []byte("=_")) {
		t.Fatalf("the output contains =_: %q", enc)
	}
	dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(enc)))
	if err != nil {
		t.Fatalf("decode %q: %v", enc, err)
	}
	if want := canonicalText(s); string(dec) != want {
		t.Fatalf("decoded %q, want %q; encoded %q", dec, want, enc)
	}
}

func TestQuotedPrintableBodies(t *testing.T) {
	for name, body := range bodyCases() {
		t.Run(name, func(t *testing.T) {
			checkQuotedPrintable(t, body, appendQuotedPrintable(nil, body))
		})
	}
}

func FuzzQuotedPrintable(f *testing.F) {
	for _, body := range bodyCases() {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkQuotedPrintable(t, s, appendQuotedPrintable(nil, s))
	})
}

// FuzzBuild builds messages with fuzzed bodies and reads them back with
// go-message and with the standard library.
func FuzzBuild(f *testing.F) {
	f.Add("<p>Hello</p>", "Hello")
	f.Add("", "text only")
	f.Add("<p>no text</p>", "")
	f.Add(strings.Repeat("x", 80)+"\r.\nFrom =_\t", "🍜 \n")
	f.Fuzz(func(t *testing.T, html, text string) {
		m := testMessage()
		m.HTML, m.Text = html, text
		raw, err := new(Builder).Build(m, nil)
		if html == "" && text == "" {
			if err != ErrNoBody {
				t.Fatalf("err = %v, want ErrNoBody", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkBody(t, raw, m)
	})
}
