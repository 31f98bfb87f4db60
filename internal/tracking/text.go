package tracking

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// RewriteText returns a text/plain body with every bare http and https URL
// replaced by its click tracking URL. A URL runs to the next white space or
// one of < > " and loses trailing punctuation and unbalanced closing
// brackets, so "(see https://example.com/a)." tracks https://example.com/a.
// Other schemes, m.UnsubscribeURL and this tracker's own URLs stay as they
// are, byte for byte.
func (t *Tracker) RewriteText(text string, m Message) string {
	return string(t.AppendRewriteText(make([]byte, 0, len(text)+len(text)/4), text, m))
}

// AppendRewriteText appends the result of [Tracker.RewriteText] to dst.
func (t *Tracker) AppendRewriteText(dst []byte, text string, m Message) []byte {
	ids := newMessageIDs(m.ID)
	last := 0
	t.eachTextLink(text, m.UnsubscribeURL, func(start, end int, target string) {
		dst = append(dst, text[last:start]...)
		dst = t.appendClickURL(dst, &ids, m.Links, target)
		last = end
	})
	return append(dst, text[last:]...)
}

// eachTextLink calls visit for every URL of src that click tracking rewrites.
func (t *Tracker) eachTextLink(src, unsubscribeURL string, visit func(start, end int, target string)) {
	for i := 0; i < len(src); {
		j := indexHTTP(src[i:])
		if j < 0 {
			return
		}
		start := i + j
		end := start + urlEnd(src[start:])
		target := src[start:end]
		i = end
		if !isWebURL(target) || target == unsubscribeURL || t.isOwnURL(target) {
			continue
		}
		visit(start, end, target)
	}
}

// indexHTTP returns the index of the first "http://" or "https://" in s, in
// any letter case, that does not continue an ASCII word, or -1.
//
// It looks for "://" and then at the bytes before it. Only an ASCII byte
// can continue a word, and a byte below utf8.RuneSelf is always a whole
// rune, so the byte before the scheme decides.
func indexHTTP(s string) int {
	for from := 0; ; {
		j := strings.Index(s[from:], "://")
		if j < 0 {
			return -1
		}
		colon := from + j
		from = colon + len("://")
		var start int
		switch {
		case colon >= len("https") && asciiEqualFold(s[colon-len("https"):colon], "https"):
			start = colon - len("https")
		case colon >= len("http") && asciiEqualFold(s[colon-len("http"):colon], "http"):
			start = colon - len("http")
		default:
			continue
		}
		if start > 0 && isWordRune(rune(s[start-1])) {
			continue
		}
		return start
	}
}

// isWordRune reports ASCII characters that would make a preceding "http"
// part of a longer scheme or word. Text in scripts without spaces, such as
// Japanese, may put a URL right after a letter, so other letters do not count.
func isWordRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
		r == '_' || r == '-' || r == '.' || r == '+'
}

// urlEnd returns the length of the URL at the start of s.
func urlEnd(s string) int {
	n := 0
	for n < len(s) {
		if c := s[n]; c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' {
				break // an ASCII control, white space or delimiter
			}
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[n:])
		if unicode.IsSpace(r) {
			break
		}
		n += size
	}
	// Surplus closing brackets at the end belong to the text around the URL.
	var surplus [3]int // ) ] }
	for i := 0; i < n; i++ {
		switch s[i] {
		case '(':
			surplus[0]--
		case '[':
			surplus[1]--
		case '{':
			surplus[2]--
		case ')':
			surplus[0]++
		case ']':
			surplus[1]++
		case '}':
			surplus[2]++
		}
	}
	for n > 0 {
		c := s[n-1]
		switch c {
		case '.', ',', ';', ':', '!', '?', '\'', '*':
			n--
			continue
		}
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeLastRuneInString(s[:n]); unicode.IsPunct(r) {
				n -= size // such as "。" or "」"
				continue
			}
			return n
		}
		k := strings.IndexByte(")]}", c)
		if k < 0 || surplus[k] <= 0 {
			return n
		}
		surplus[k]--
		n--
	}
	return n
}
